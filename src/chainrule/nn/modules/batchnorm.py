"""Batch normalisation: BatchNorm1d over (N, C) or (N, C, L), BatchNorm2d over (N, C, H, W).

In training mode each channel is normalised with the batch's statistics, which are folded into
``running_mean`` and ``running_var``; in eval mode the running statistics are used.
"""

from __future__ import annotations

import numpy as np

from ...factories import empty, ones, tensor, zeros
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """The shared layer; subclasses name the input ranks they accept in ``_dims``."""

    _dims: tuple[int, ...] = ()
    _expected = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        weight = bias_ = None
        if affine:
            weight = Parameter(empty(num_features, dtype=dtype, device=device))
            if bias:
                bias_ = Parameter(empty(num_features, dtype=dtype, device=device))
        self.register_parameter("weight", weight)
        self.register_parameter("bias", bias_)
        stats = track_running_stats
        self.register_buffer("running_mean", zeros(num_features, dtype=dtype) if stats else None)
        self.register_buffer("running_var", ones(num_features, dtype=dtype) if stats else None)
        self.register_buffer("num_batches_tracked", tensor(0) if stats else None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1),
                                  (self.num_batches_tracked, 0)):
                buffer.data[...] = value
                buffer._bump_version()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {self._expected} input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")
        tracking = self.training and self.track_running_stats
        factor = 0.0 if self.momentum is None else self.momentum
        if tracking and self.momentum is None:  # a cumulative moving average
            factor = 1.0 / (int(self.num_batches_tracked.data) + 1)
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        out = F.batch_norm(input, self.running_mean if keep else None,
                           self.running_var if keep else None, self.weight, self.bias,
                           use_batch, factor, self.eps)
        if tracking:  # counted once the batch has been accepted
            self.num_batches_tracked.data += np.int64(1)
            self.num_batches_tracked._bump_version()
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias per channel of (N, C) or (N, C, L).

    Args:
        num_features: C.
        momentum: the running statistics' update weight; None for a cumulative average.
        affine: learn ``weight`` (starting at 1) and ``bias`` (at 0, if ``bias``).
        track_running_stats: keep running statistics (else batch statistics in eval too).

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> bn = nn.BatchNorm1d(3)
        >>> bn
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> bn(chainrule.randn(4, 3)).shape, list(bn.state_dict())
        ((4, 3), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'])
    """

    _dims = (2, 3)
    _expected = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias per channel of (N, C, H, W).

    Arguments as :class:`BatchNorm1d`.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.BatchNorm2d(3)(chainrule.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _dims = (4,)
    _expected = "4D"
