"""Loss functions with PyTorch's ``torch.nn.functional`` signatures and reductions.

Every loss is composed from differentiable ops, so gradients of gradients come for free, with
two primitives. binary_cross_entropy's PyTorch rule divides by ``max(x (1 - x), 1e-12)`` and so
stays finite at probabilities of exactly 0 or 1 (a composed ``log`` would give NaN there).
cross_entropy with class indices on (N, C) or (C,) logits is ``ops.activation``'s fused
SoftmaxCrossEntropy (it sits on every classifier's training step); other shapes, probability
targets and nll_loss are ``log_softmax`` (a primitive) followed by a pick, one ``gather``
along the class dimension for the whole batch.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import ops
from ...autograd.function import Function
from ...dtype import result_type
from ...errors import DTypeError, ShapeError
from ...ops.activation import ClassTargets, softmax_cross_entropy
from ...ops.elementwise import broadcast_shapes
from ...tensor import Tensor
from .activation import logsigmoid

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_embedding_loss",
]


# -- reductions ------------------------------------------------------------------------------
def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """The reduction that PyTorch's deprecated ``size_average``/``reduce`` flags stand for."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=4)
    return reduction


def _reduction(op: str, size_average, reduce, reduction: str,
               allowed: tuple[str, ...] = ("none", "mean", "sum")) -> str:
    """The reduction to apply, checked before anything is computed."""
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; expected one "
                         f"of {', '.join(repr(r) for r in allowed)}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _check_tensor(op: str, name: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


# -- regression losses -----------------------------------------------------------------------
def _difference(op: str, input: Tensor, target: Tensor) -> Tensor:
    """``input - target`` in their promoted float dtype; differing shapes broadcast with
    PyTorch's warning, and shapes that cannot broadcast raise a ShapeError."""
    _check_tensor(op, "input", input)
    _check_tensor(op, "target", target)
    dtype = result_type(input, target)
    if dtype.kind != "f":
        raise DTypeError(f"{op}: expected floating-point input or target, got input "
                         f"{input.dtype} and target {target.dtype}")
    if input.shape != target.shape:
        broadcast_shapes(op, input.data.shape, target.data.shape)
        warnings.warn(f"{op}: using a target of shape {tuple(target.shape)} that differs "
                      f"from the input's shape {tuple(input.shape)}; they are broadcast, which "
                      f"is likely to give wrong results. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)
    return ops.sub(input, target)


def _weighted(op: str, loss: Tensor, weight: Tensor | None, reduction: str,
              normalize: bool) -> Tensor:
    """``loss * weight`` reduced; ``normalize``: the mean divides by ``weight.sum()``."""
    if weight is None:
        return _reduce(loss, reduction)
    _check_tensor(op, "weight", weight)
    if weight.shape != loss.shape:
        raise ShapeError(f"{op}: weight of shape {tuple(weight.shape)} must have the input's "
                         f"shape {tuple(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and normalize:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """``(input - target)²`` elementwise, reduced.

    Args:
        reduction: 'mean', 'sum' or 'none'.
        weight: elementwise weights of the input's shape; the mean then divides by their sum.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.mse_loss(chainrule.tensor([1.0, 2.0]), chainrule.tensor([0.0, 0.0]))
        tensor(2.5000)
    """
    reduction = _reduction("mse_loss", size_average, reduce, reduction)
    loss = ops.square(_difference("mse_loss", input, target))
    return _weighted("mse_loss", loss, weight, reduction, normalize=True)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """``|input - target|`` elementwise, reduced (gradient 0 where they are equal).

    Args:
        reduction: 'mean', 'sum' or 'none'.
        weight: elementwise weights of the input's shape; the mean then divides by their sum.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.l1_loss(chainrule.tensor([1.0, -3.0]), chainrule.tensor([0.0, 0.0]))
        tensor(2.)
    """
    reduction = _reduction("l1_loss", size_average, reduce, reduction)
    loss = ops.abs(_difference("l1_loss", input, target))
    return _weighted("l1_loss", loss, weight, reduction, normalize=True)


def _smooth_l1(diff: Tensor, beta: float) -> Tensor:
    """``0.5 d² / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere."""
    size = ops.abs(diff)
    return ops.where(size < beta, diff * diff * (0.5 / beta), size - 0.5 * beta)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d² / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, with
    ``d = input - target``; ``beta = 0`` is the L1 loss.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.smooth_l1_loss(chainrule.tensor([0.5, 3.0]), chainrule.zeros(2), reduction="none")
        tensor([0.1250, 2.5000])
    """
    reduction = _reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    diff = _difference("smooth_l1_loss", input, target)
    loss = ops.abs(diff) if beta == 0 else _smooth_l1(diff, beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d²`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, with
    ``d = input - target`` (``delta`` times smooth_l1_loss with ``beta = delta``).

    Args:
        weight: elementwise weights of the input's shape ('mean' stays the plain mean, as
            PyTorch's huber_loss).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.huber_loss(chainrule.tensor([0.5, 3.0]), chainrule.zeros(2), delta=2.0,
        ...              reduction="none")
        tensor([0.1250, 4.0000])
    """
    reduction = _reduction("huber_loss", None, None, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    loss = _smooth_l1(_difference("huber_loss", input, target), delta) * delta
    return _weighted("huber_loss", loss, weight, reduction, normalize=False)


# -- classification: nll_loss and cross_entropy ----------------------------------------------
def _class_weight(op: str, weight: Tensor | None, input: Tensor, n_classes: int) -> None:
    if weight is None:
        return
    _check_tensor(op, "weight", weight)
    if weight.shape != (n_classes,):
        raise ShapeError(f"{op}: weight must have one entry per class, shape ({n_classes},), "
                         f"got shape {tuple(weight.shape)}")
    if weight.dtype != input.dtype:
        raise DTypeError(f"{op}: weight has dtype {weight.dtype} but input has dtype "
                         f"{input.dtype}; they must match")


def _check_class_input(op: str, input: Tensor) -> None:
    _check_tensor(op, "input", input)
    if input.data.dtype.kind != "f":
        raise DTypeError(f"{op}: input must be a floating-point tensor of scores, got "
                         f"{input.dtype}")
    if input.ndim == 0:
        raise ShapeError(f"{op}: input must have 1 or more dimensions, (C,) or (N, C, ...), "
                         f"got a 0-d tensor")


def _check_class_target(op: str, input: Tensor, target: Tensor) -> None:
    """Class indices: an integer tensor of shape () for input (C,), else (N, d1, ...)."""
    _check_tensor(op, "target", target)
    if target.data.dtype.kind not in "iu":
        raise DTypeError(f"{op}: target must be an integer tensor of class indices (int64), got "
                         f"{target.dtype}; cross_entropy also takes float class probabilities "
                         f"of the input's shape")
    if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
        raise ShapeError(f"{op}: expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]})")
    expected = () if input.ndim == 1 else (input.shape[0], *input.shape[2:])
    if target.shape != expected:
        raise ShapeError(f"{op}: expected target of shape {expected} for input of shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")


def _kept_targets(op: str, target: np.ndarray, n_classes: int,
                  ignore_index: int) -> np.ndarray | None:
    """The mask of targets that are not ``ignore_index`` (None: all of them), once every other
    target is known to be a class index in [0, n_classes)."""
    if target.size:
        low, high = target.min(), target.max()
        if low >= 0 and high < n_classes and not low <= ignore_index <= high:
            return None  # the common case, checked with two reductions
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= n_classes))
    if bad.any():
        raise IndexError(f"{op}: Target {int(target[bad].flat[0])} is out of bounds: expected "
                         f"class indices in [0, {n_classes}) or ignore_index ({ignore_index})")
    return None if valid.all() else valid


def _pick(logp: Tensor, target: np.ndarray, weight: Tensor | None,
          valid: np.ndarray | None) -> tuple[Tensor, np.ndarray | int]:
    """``weight[t] * logp[n, t, ...]`` per sample of a batched (N, C, ...) ``logp`` (0 where
    the target is ignored), and the total weight of the kept targets."""
    safe = target if valid is None else np.where(valid, target, 0)
    safe = safe.astype(np.int64, copy=False)
    if logp.ndim == 2:
        picked = logp[np.arange(len(safe)), safe]
    else:
        picked = ops.gather(logp, 1, Tensor(np.expand_dims(safe, 1))).squeeze(1)
    if weight is None and valid is None:
        return picked, safe.size
    w = weight.data[safe] if weight is not None else np.ones(safe.shape, logp.data.dtype)
    if valid is not None:
        w = np.where(valid, w, 0).astype(logp.data.dtype, copy=False)
    return picked * Tensor(w), w.sum()


def _batched(input: Tensor, target: Tensor) -> tuple[Tensor, np.ndarray]:
    """An unbatched (C,) input and its 0-d target as a batch of one."""
    if input.ndim == 1:
        return input.unsqueeze(0), target.data.reshape(1)
    return input, target.data


def _class_index_loss(op: str, logp: Tensor, target: Tensor, weight: Tensor | None,
                      ignore_index: int, reduction: str, smoothing: float) -> Tensor:
    """nll_loss on log-probabilities, mixed with the smoothed term when ``smoothing > 0``."""
    unbatched = logp.ndim == 1
    logp, t = _batched(logp, target)
    valid = _kept_targets(op, t, logp.shape[1], ignore_index)
    kept, total = _pick(logp, t, weight, valid)  # the loss is -kept
    if smoothing > 0:
        # the smoothed part: -Σ_c weight[c] logp[c] / C per sample, 0 where ignored
        scores = logp if weight is None else logp * weight.reshape(-1, *[1] * (logp.ndim - 2))
        scores = scores.sum(dim=1)
        if valid is not None:
            scores = scores * Tensor(valid.astype(logp.data.dtype))
        kept = kept * (1 - smoothing) + scores * (smoothing / logp.shape[1])
    if reduction == "mean":
        # every target ignored: NaN with zero gradients, as PyTorch (kept is all zeros)
        return kept.sum() * (-1.0 / float(total)) if total else kept.sum() + float("nan")
    if reduction == "sum":
        return -kept.sum()
    return -kept.squeeze(0) if unbatched else -kept


def _class_targets(op: str, input: Tensor, target: Tensor, weight: Tensor | None,
                   ignore_index: int, reduction: str, smoothing: float) -> ClassTargets:
    """The target distribution of cross_entropy on (N, C) or (C,) logits, for the fused
    primitive: weight[t] at the target class (times 1 - smoothing), weight[c] * smoothing / C
    spread over every class, nothing in ignored rows."""
    t = target.data.reshape(-1)
    n_classes, dtype = input.shape[-1], input.data.dtype
    valid = _kept_targets(op, t, n_classes, ignore_index)
    index = (t if valid is None else np.where(valid, t, 0)).astype(np.int64, copy=False)
    pick = None if weight is None else weight.data[index]
    keep = None if valid is None else valid.astype(dtype)
    if keep is not None:
        pick = keep if pick is None else pick * keep
    count = len(index) if pick is None else float(pick.sum())
    smooth = None
    if smoothing > 0:
        spread = np.ones(n_classes, dtype) if weight is None else weight.data
        smooth = spread * np.asarray(smoothing / n_classes, dtype)
        kept = np.asarray(1 - smoothing, dtype)
        pick = np.full(len(index), kept) if pick is None else pick * kept
    return ClassTargets(index, pick, smooth, keep, reduction, count, tuple(target.shape))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``-weight[t] * input[n, t]`` per sample, for log-probabilities ``input``.

    Args:
        input: log-probabilities (C,), (N, C) or (N, C, d1, ...).
        target: class indices (), (N,) or (N, d1, ...), an integer tensor.
        weight: a weight per class, shape (C,).
        ignore_index: a target value that contributes nothing (not to the mean's count either).
        reduction: 'mean' divides by the summed weights of the targets that are not ignored.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> logp = chainrule.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> F.nll_loss(logp, chainrule.tensor([0, 1]))
        tensor(0.3000)
    """
    reduction = _reduction("nll_loss", size_average, reduce, reduction)
    _check_class_input("nll_loss", input)
    _check_class_target("nll_loss", input, target)
    _class_weight("nll_loss", weight, input, input.shape[0 if input.ndim == 1 else 1])
    return _class_index_loss("nll_loss", input, target, weight, ignore_index, reduction, 0.0)


def _probability_loss(logp: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                      smoothing: float) -> Tensor:
    """``-Σ_c weight[c] target[c] logp[c]`` per sample; 'mean' averages over the samples."""
    class_dim = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[class_dim]
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / n_classes
    if weight is not None:
        target = target * weight.reshape(-1, *[1] * (logp.ndim - class_dim - 1))
    return _reduce(-(logp * target).sum(dim=class_dim), reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, class dim), target)``: the loss of unnormalised scores.

    Args:
        input: scores (logits) of shape (C,), (N, C) or (N, C, d1, ...).
        target: class indices, an integer tensor of shape (), (N,) or (N, d1, ...); or class
            probabilities, a float tensor of the input's shape.
        weight: a weight per class, shape (C,).
        ignore_index: a class-index target that contributes nothing.
        reduction: 'mean' divides by the summed weights of the targets not ignored (class
            indices) or by the number of samples (probabilities); 'sum' or 'none'.
        label_smoothing: ε in [0, 1]; the target becomes (1 - ε) target + ε / C.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> logits = chainrule.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> F.cross_entropy(logits, chainrule.tensor([0, 2]))
        tensor(0.6691)
    """
    op = "cross_entropy"
    reduction = _reduction(op, size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    _check_class_input(op, input)
    _check_tensor(op, "target", target)
    class_dim = 0 if input.ndim == 1 else 1
    _class_weight(op, weight, input, input.shape[class_dim])
    if target.data.dtype.kind != "f":
        _check_class_target(op, input, target)
        if input.ndim <= 2 and input.data.size and (weight is None or not weight.requires_grad):
            targets = _class_targets(op, input, target, weight, ignore_index, reduction,
                                     label_smoothing)
            return softmax_cross_entropy(input, targets)
        return _class_index_loss(op, ops.log_softmax(input, class_dim), target, weight,
                                 ignore_index, reduction, label_smoothing)
    logp = ops.log_softmax(input, class_dim)
    if target.shape != input.shape:
        raise ShapeError(f"{op}: class-probability targets (a float target) must have the "
                         f"input's shape {tuple(input.shape)}, got {tuple(target.shape)}; "
                         f"class indices must be an integer tensor")
    if target.dtype != input.dtype:
        raise DTypeError(f"{op}: target has dtype {target.dtype} but input has dtype "
                         f"{input.dtype}; they must match")
    if ignore_index != -100:
        raise ValueError(f"{op}: ignore_index ({ignore_index}) is not supported for class-"
                         f"probability (float) targets; give them zero probability instead")
    return _probability_loss(logp, target, weight, reduction, label_smoothing)


# -- binary classification -------------------------------------------------------------------
_LOG_FLOOR = -100.0  # PyTorch's clamp on each log in binary_cross_entropy


class BinaryCrossEntropy(Function):
    """out = -(t log x + (1 - t) log(1 - x)), each log clamped at -100.

    A primitive for stability: its rule, d/dx = (x - t) / max(x (1 - x), 1e-12), stays finite
    at x = 0 and x = 1, where the derivative of a composed log would be inf * 0 = NaN.
    """

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped
            log_x = np.maximum(np.log(x.data), _LOG_FLOOR)
            log_1mx = np.maximum(np.log1p(-x.data), _LOG_FLOOR)
        return -(t.data * log_x + (1 - t.data) * log_1mx)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = grad * (x - t) / ops.clamp(x * (1 - x), min=1e-12)
        if ctx.needs_input_grad[1]:  # d/dt = log(1 - x) - log(x), both clamped
            with np.errstate(divide="ignore"):
                log_x = ops.clamp(ops.log(x), min=_LOG_FLOOR)
                log_1mx = ops.clamp(ops.log1p(-x), min=_LOG_FLOOR)
            grad_t = grad * (log_1mx - log_x)
        return grad_x, grad_t

    @staticmethod
    def jvp(ctx, tangent_x, tangent_t):
        x, t = ctx.primals
        out = None
        if tangent_x is not None:
            out = tangent_x * (x - t) / ops.clamp(x * (1 - x), min=1e-12)
        if tangent_t is not None:
            with np.errstate(divide="ignore"):
                log_x = ops.clamp(ops.log(x), min=_LOG_FLOOR)
                log_1mx = ops.clamp(ops.log1p(-x), min=_LOG_FLOOR)
            term = tangent_t * (log_1mx - log_x)
            out = term if out is None else out + term
        return out


def _binary_target(op: str, input: Tensor, target: Tensor) -> None:
    _check_tensor(op, "input", input)
    _check_tensor(op, "target", target)
    if input.data.dtype.kind != "f" or target.data.dtype.kind != "f":
        raise DTypeError(f"{op}: input and target must be floating-point tensors, got input "
                         f"{input.dtype} and target {target.dtype}")
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target size {tuple(target.shape)} must be the same as input "
                         f"size {tuple(input.shape)}")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-weight (t log x + (1 - t) log(1 - x))`` for probabilities ``x`` in [0, 1]; each log
    is clamped at -100, so the loss stays finite at 0 and 1.

    Args:
        weight: rescales each element's loss (broadcast to the input's shape).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.binary_cross_entropy(chainrule.tensor([0.5, 1.0]), chainrule.tensor([1.0, 0.0]),
        ...                        reduction="none")
        tensor([  0.6931, 100.0000])
    """
    op = "binary_cross_entropy"
    reduction = _reduction(op, size_average, reduce, reduction)
    _binary_target(op, input, target)
    if target.dtype != input.dtype:
        raise DTypeError(f"{op}: target has dtype {target.dtype} but input has dtype "
                         f"{input.dtype}; they must match")
    x = input.data
    if x.size and (np.min(x) < 0 or np.max(x) > 1):
        raise ValueError(f"{op}: all elements of input should be between 0 and 1, got values "
                         f"in [{np.min(x)}, {np.max(x)}]; for logits use "
                         f"binary_cross_entropy_with_logits")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        _check_tensor(op, "weight", weight)
        broadcast_shapes(op, weight.data.shape, input.data.shape)
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``-weight (pos_weight t log σ(x) + (1 - t) log(1 - σ(x)))`` for logits ``x``, computed
    as ``(1 - t) x - (1 + (pos_weight - 1) t) log σ(x)``, finite for any ``x``.

    Args:
        weight: rescales each element's loss (broadcast to the input's shape).
        pos_weight: weight of the positive term, per class (broadcast along the last dim).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.binary_cross_entropy_with_logits(chainrule.tensor([0.0, 200.0]),
        ...                                    chainrule.tensor([1.0, 0.0]), reduction="none")
        tensor([  0.6931, 200.0000])
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, size_average, reduce, reduction)
    _binary_target(op, input, target)
    for name, extra in (("weight", weight), ("pos_weight", pos_weight)):
        if extra is not None:
            _check_tensor(op, name, extra)
            broadcast_shapes(op, extra.data.shape, input.data.shape)
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input - log_weight * logsigmoid(input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# -- distributions and embeddings ------------------------------------------------------------
def _xlogx(x: Tensor) -> Tensor:
    """``x log x`` with ``0 log 0 = 0``."""
    return x * ops.log(ops.where(x == 0, 1.0, x))


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """``target (log target - input)`` elementwise, for log-probabilities ``input``
    (``log_target=True``: ``exp(target) (target - input)``, target given as logs too).

    Args:
        reduction: 'batchmean' (the sum over the batch size: the KL divergence), 'sum', 'none',
            or 'mean' (over every element, with PyTorch's warning).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> p = chainrule.tensor([[0.5, 0.5]])
        >>> F.kl_div(chainrule.tensor([[0.25, 0.75]]).log(), p, reduction="batchmean")
        tensor(0.1438)
    """
    op = "kl_div"
    reduction = _reduction(op, size_average, reduce, reduction,
                           allowed=("none", "batchmean", "sum", "mean"))
    _check_tensor(op, "input", input)
    _check_tensor(op, "target", target)
    if reduction == "mean":
        warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, and "
                      "aligns with the KL divergence's definition.", UserWarning, stacklevel=2)
    broadcast_shapes(op, input.data.shape, target.data.shape)
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


_COSINE_EPS = 1e-12  # added to each squared norm, as PyTorch, so zero vectors give cos = 0


def _check_embedding_pair(op: str, input1: Tensor, input2: Tensor, target: Tensor) -> None:
    for name, x in (("input1", input1), ("input2", input2), ("target", target)):
        _check_tensor(op, name, x)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise ShapeError(f"{op}: input1 and input2 must have the same shape, (D,) or (N, D), "
                         f"got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if target.shape != input1.shape[:-1]:
        raise ShapeError(f"{op}: target must have shape {input1.shape[:-1]} (one ±1 per pair) "
                         f"for inputs of shape {tuple(input1.shape)}, got {tuple(target.shape)}")


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1`` (0 for any other target value), per pair.

    Args:
        input1, input2: vectors (D,) or batches (N, D).
        target: 1 (similar) or -1 (dissimilar) per pair, shape () or (N,).
        margin: dissimilar pairs cost nothing below this cosine.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> a = chainrule.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> b = chainrule.tensor([[0.0, 1.0], [1.0, 1.0]])
        >>> F.cosine_embedding_loss(a, b, chainrule.tensor([1, -1]), reduction="none")
        tensor([1.0000, 0.7071])
    """
    op = "cosine_embedding_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    _check_embedding_pair(op, input1, input2, target)
    dot = (input1 * input2).sum(dim=-1)
    norms = ((input1 * input1).sum(dim=-1) + _COSINE_EPS) * ((input2 * input2).sum(dim=-1)
                                                              + _COSINE_EPS)
    cos = dot / ops.sqrt(norms)
    similar = ops.where(Tensor(target.data == 1), 1 - cos, 0.0)
    dissimilar = ops.where(Tensor(target.data == -1), ops.clamp(cos - margin, min=0.0), 0.0)
    return _reduce(similar + dissimilar, reduction)
