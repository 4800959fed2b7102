"""Activation layers (ReLU, GELU, Softmax, PReLU, ...), each a thin Module over
``chainrule.nn.functional``; only PReLU has a parameter."""

from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...factories import empty
from ...tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Tanh",
    "Sigmoid",
    "Softplus",
    "Hardtanh",
    "ReLU6",
    "LogSigmoid",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "SELU",
    "CELU",
    "Mish",
    "Hardsigmoid",
    "Hardswish",
    "Softsign",
    "Threshold",
    "GLU",
    "PReLU",
]


def _inplace_repr(inplace: bool, sep: str = ", ") -> str:
    return f"{sep}inplace=True" if inplace else ""


class ReLU(Module):
    """``max(input, 0)`` elementwise.

    Args:
        inplace: overwrite the input with the result.

    Example:
        >>> import chainrule
        >>> chainrule.nn.ReLU()(chainrule.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, sep="")


class LeakyReLU(Module):
    """``input`` where positive, ``negative_slope * input`` elsewhere.

    Example:
        >>> import chainrule
        >>> chainrule.nn.LeakyReLU(0.1)(chainrule.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_repr(self.inplace)}"


class ELU(Module):
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere.

    Example:
        >>> import chainrule
        >>> chainrule.nn.ELU()(chainrule.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class GELU(Module):
    """``input * Φ(input)`` (``approximate='tanh'``: its tanh approximation).

    Example:
        >>> import chainrule
        >>> chainrule.nn.GELU()(chainrule.tensor([-1.0, 1.0]))
        tensor([-0.1587,  0.8413])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``input * sigmoid(input)``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.SiLU()(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, sep="")


class Tanh(Module):
    """``tanh(input)`` elementwise.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Tanh()(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-input))`` elementwise.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Sigmoid()(chainrule.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Softplus(Module):
    """``log(1 + exp(beta * input)) / beta``, linear where ``beta * input > threshold``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Softplus()(chainrule.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """``input`` clamped to ``[min_val, max_val]``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Hardtanh()(chainrule.tensor([-3.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
                 ) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val "
                             f"({max_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self.inplace)}"


class ReLU6(Hardtanh):
    """``min(max(input, 0), 6)``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.ReLU6()(chainrule.tensor([-1.0, 8.0]))
        tensor([0., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, sep="")


class LogSigmoid(Module):
    """``log(sigmoid(input))``, finite for any input.

    Example:
        >>> import chainrule
        >>> chainrule.nn.LogSigmoid()(chainrule.tensor([0.0]))
        tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softmax(Module):
    """``exp(input) / exp(input).sum(dim)``: slices along ``dim`` sum to 1.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Softmax(dim=1)(chainrule.zeros(1, 2))
        tensor([[0.5000, 0.5000]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(input, dim))``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.LogSoftmax(dim=1)(chainrule.zeros(1, 2))
        tensor([[-0.6931, -0.6931]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    """``softmax(-input, dim)``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Softmin(dim=0)(chainrule.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _InplaceActivation(Module):
    """An activation whose only option is ``inplace``; ``_fn`` is its F function."""

    _fn = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, sep="")


class SELU(_InplaceActivation):
    """``scale * elu(input, alpha)`` with SELU's constants.

    Example:
        >>> import chainrule
        >>> chainrule.nn.SELU()(chainrule.tensor([1.0]))
        tensor([1.0507])
    """

    _fn = staticmethod(F.selu)


class Mish(_InplaceActivation):
    """``input * tanh(softplus(input))``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Mish()(chainrule.tensor([1.0]))
        tensor([0.8651])
    """

    _fn = staticmethod(F.mish)


class Hardsigmoid(_InplaceActivation):
    """``clamp(input / 6 + 1/2, 0, 1)``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Hardsigmoid()(chainrule.tensor([1.5]))
        tensor([0.7500])
    """

    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_InplaceActivation):
    """``input * hardsigmoid(input)``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Hardswish()(chainrule.tensor([1.0]))
        tensor([0.6667])
    """

    _fn = staticmethod(F.hardswish)


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.CELU(2.0)(chainrule.tensor([-1.0]))
        tensor([-0.7869])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class Softsign(Module):
    """``input / (1 + |input|)``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Softsign()(chainrule.tensor([3.0]))
        tensor([0.7500])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Threshold(Module):
    """``input`` where ``input > threshold``, else ``value``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Threshold(1.0, -1.0)(chainrule.tensor([0.5, 2.0]))
        tensor([-1.,  2.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_repr(self.inplace)}"


class GLU(Module):
    """``a * sigmoid(b)`` for the halves ``a``, ``b`` of the input along ``dim``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.GLU()(chainrule.tensor([1.0, 2.0, 0.0, 100.0]))
        tensor([0.5000, 2.0000])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """``max(0, x) + weight * min(0, x)`` with a learnt slope ``weight``: one, or one per
    channel (dim 1 of the input), each initialised to ``init``.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.PReLU()
        >>> layer(chainrule.tensor([-2.0, 3.0]))
        tensor([-0.5000,  3.0000], grad_fn=<WhereBackward0>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with no_grad():
            self.weight.fill_(self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
