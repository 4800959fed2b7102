"""Loss layers: thin Modules over ``chainrule.nn.functional``'s losses.

Class weights (``weight``, ``pos_weight``) are buffers, as in PyTorch: they are saved in the
``state_dict`` and move with ``.to()``, but are not learnable.
"""

from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..functional.loss import _legacy_reduction
from .module import Module

__all__ = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "CosineEmbeddingLoss",
]


class _Loss(Module):
    """Stores ``reduction`` (or the one the deprecated ``size_average``/``reduce`` imply)."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with a per-class ``weight`` buffer (None when not given)."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """``mean((input - target)²)`` (or its sum, or elementwise); see :func:`F.mse_loss`.

    Example:
        >>> import chainrule
        >>> chainrule.nn.MSELoss()(chainrule.tensor([1.0, 2.0]), chainrule.zeros(2))
        tensor(2.5000)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``mean(|input - target|)``; see :func:`F.l1_loss`.

    Example:
        >>> import chainrule
        >>> chainrule.nn.L1Loss()(chainrule.tensor([1.0, -3.0]), chainrule.zeros(2))
        tensor(2.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic for ``|input - target| < beta``, linear beyond; see :func:`F.smooth_l1_loss`.

    Example:
        >>> import chainrule
        >>> chainrule.nn.SmoothL1Loss()(chainrule.tensor([0.5, 3.0]), chainrule.zeros(2))
        tensor(1.3125)
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic for ``|input - target| < delta``, ``delta``-linear beyond; see
    :func:`F.huber_loss`.

    Example:
        >>> import chainrule
        >>> chainrule.nn.HuberLoss(delta=2.0)(chainrule.tensor([0.5, 3.0]), chainrule.zeros(2))
        tensor(2.0625)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """``nll_loss(log_softmax(input, 1), target)`` for logits; see :func:`F.cross_entropy`.

    Example:
        >>> import chainrule
        >>> loss = chainrule.nn.CrossEntropyLoss()
        >>> loss(chainrule.zeros(2, 4), chainrule.tensor([0, 3]))
        tensor(1.3863)
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """``-weight[t] * input[n, t]`` for log-probabilities; see :func:`F.nll_loss`.

    Example:
        >>> import chainrule
        >>> loss = chainrule.nn.NLLLoss()
        >>> loss(chainrule.tensor([[-0.5, -1.0], [-2.0, -0.1]]), chainrule.tensor([0, 1]))
        tensor(0.3000)
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities; see :func:`F.binary_cross_entropy`.

    Example:
        >>> import chainrule
        >>> chainrule.nn.BCELoss()(chainrule.tensor([0.5]), chainrule.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of logits, stable for any logit; see
    :func:`F.binary_cross_entropy_with_logits`.

    Example:
        >>> import chainrule
        >>> chainrule.nn.BCEWithLogitsLoss()(chainrule.tensor([0.0]), chainrule.tensor([1.0]))
        tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """``target (log target - input)`` for log-probabilities ``input``; see :func:`F.kl_div`.

    Example:
        >>> import chainrule
        >>> loss = chainrule.nn.KLDivLoss(reduction="batchmean")
        >>> loss(chainrule.tensor([[0.25, 0.75]]).log(), chainrule.tensor([[0.5, 0.5]]))
        tensor(0.1438)
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos`` for similar pairs (target 1), ``max(0, cos - margin)`` for dissimilar ones
    (target -1); see :func:`F.cosine_embedding_loss`.

    Example:
        >>> import chainrule
        >>> loss = chainrule.nn.CosineEmbeddingLoss()
        >>> loss(chainrule.tensor([[1.0, 0.0]]), chainrule.tensor([[0.0, 1.0]]),
        ...      chainrule.tensor([1]))
        tensor(1.)
    """

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)
