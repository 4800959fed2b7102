"""Per-sample normalisation layers: LayerNorm and GroupNorm."""

from __future__ import annotations

from collections.abc import Sequence

from ...factories import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["LayerNorm", "GroupNorm"]


class LayerNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing
    ``normalized_shape`` dims; weight starts at 1 and bias at 0.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for one dim).
        elementwise_affine: learn ``weight`` (and ``bias`` if ``bias``) of that shape.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> norm = nn.LayerNorm(4)
        >>> norm
        LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> norm(chainrule.randn(2, 3, 4)).shape
        (2, 3, 4)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        weight = bias_ = None
        if elementwise_affine:
            weight = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
            if bias:
                bias_ = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
        self.register_parameter("weight", weight)
        self.register_parameter("bias", bias_)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the statistics over groups of
    num_channels / num_groups channels of each sample; weight starts at 1 and bias at 0.

    Args:
        affine: learn a per-channel ``weight`` (and ``bias`` if ``bias``).

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> norm = nn.GroupNorm(2, 4)
        >>> norm
        GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
        >>> norm(chainrule.randn(3, 4, 5)).shape
        (3, 4, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        weight = bias_ = None
        if affine:
            weight = Parameter(empty(num_channels, dtype=dtype, device=device))
            if bias:
                bias_ = Parameter(empty(num_channels, dtype=dtype, device=device))
        self.register_parameter("weight", weight)
        self.register_parameter("bias", bias_)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
