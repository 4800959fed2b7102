"""Affine layers: Identity, Linear (y = x Wᵀ + b) and Bilinear (y = x₁ᵀ A x₂ + b)."""

from __future__ import annotations

import math

from ...factories import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear"]


def _check_features(layer: str, **sizes: int) -> None:
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"{layer}: {name} must be a non-negative int, got {size!r}")


class Identity(Module):
    """y = x; any constructor arguments are ignored (a placeholder layer).

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> nn.Identity(54, unused="x")(chainrule.ones(2)).shape
        (2,)
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x @ weight.T + bias, with weight (out_features, in_features).

    weight and bias start as U(-k, k), k = 1/√in_features (PyTorch's ``kaiming_uniform_`` with
    a = √5, and the same bound for the bias).

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> layer = nn.Linear(2, 3)
        >>> layer
        Linear(in_features=2, out_features=3, bias=True)
        >>> layer(chainrule.ones(4, 2)).shape
        (4, 3)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        _check_features("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        bias_ = Parameter(empty(out_features, dtype=dtype, device=device)) if bias else None
        self.register_parameter("bias", bias_)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1ᵀ weight[k] x2 + bias_k, with weight (out_features, in1_features, in2_features).

    weight and bias start as U(-k, k), k = 1/√in1_features.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> layer = nn.Bilinear(2, 3, 4)
        >>> layer(chainrule.ones(5, 2), chainrule.ones(5, 3)).shape
        (5, 4)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        _check_features("Bilinear", in1_features=in1_features, in2_features=in2_features,
                        out_features=out_features)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        self.weight = Parameter(empty(*shape, dtype=dtype, device=device))
        bias_ = Parameter(empty(out_features, dtype=dtype, device=device)) if bias else None
        self.register_parameter("bias", bias_)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
