"""Activation functions with PyTorch's ``torch.nn.functional`` signatures.

Most are chainrule ops already (``chainrule.relu``, ``chainrule.softmax``, ...); this file gives
them F's argument lists (``inplace``, ``_stacklevel``, an optional softmax ``dim``) and adds the
ones composed here: hardtanh, relu6, logsigmoid, softmin, selu, celu, mish, hardsigmoid,
hardswish, softsign, threshold, glu and prelu.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from ... import ops
from ...autograd.grad_mode import is_grad_enabled
from ...errors import ShapeError
from ...ops.elementwise import float_operand
from ...tensor import Tensor

__all__ = [
    "relu",
    "relu_",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "tanh",
    "sigmoid",
    "softplus",
    "hardtanh",
    "relu6",
    "logsigmoid",
    "softmax",
    "log_softmax",
    "softmin",
    "selu",
    "celu",
    "mish",
    "hardsigmoid",
    "hardswish",
    "softsign",
    "threshold",
    "glu",
    "prelu",
]


def _in_place(op: str, input: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """``input`` overwritten with ``compute(input)``, for the ``inplace=True`` forms.

    While gradients are recorded, ``compute`` sees a clone, so the nodes it creates save the old
    values rather than ``input``, whose version is about to change.
    """
    if is_grad_enabled() and input.requires_grad:
        if input.is_leaf:
            raise RuntimeError(
                f"{op}(inplace=True): a leaf Variable that requires grad is being used in an "
                f"in-place operation; use inplace=False or modify it under chainrule.no_grad()")
        return input.copy_(compute(input.clone()))
    return input.copy_(compute(input))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise; relu'(0) = 0, as PyTorch.

    Args:
        inplace: overwrite ``input`` with the result and return it.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.relu(chainrule.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """
    return ops.relu_(input) if inplace else ops.relu(input)


def relu_(input: Tensor) -> Tensor:
    """``relu(input, inplace=True)``."""
    return ops.relu_(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input`` where ``input > 0``, else ``negative_slope * input``.

    Args:
        negative_slope: the slope left of 0 (the gradient at 0 too, as PyTorch).
        inplace: overwrite ``input`` with the result and return it.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.leaky_relu(chainrule.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2000,  3.0000])
    """
    if inplace:
        return _in_place("leaky_relu", input, lambda x: ops.leaky_relu(x, negative_slope))
    return ops.leaky_relu(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input`` where ``input > 0``, else ``alpha * (exp(input) - 1)``.

    Args:
        alpha: the value the negative side tends to is ``-alpha``.
        inplace: overwrite ``input`` with the result and return it.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.elu(chainrule.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    if inplace:
        return _in_place("elu", input, lambda x: ops.elu(x, alpha))
    return ops.elu(input, alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``input * Φ(input)`` with Φ the standard normal CDF (``approximate='tanh'``: the tanh
    approximation ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.gelu(chainrule.tensor([-1.0, 1.0]), approximate="tanh")
        tensor([-0.1588,  0.8412])
    """
    return ops.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)`` (swish).

    Args:
        inplace: overwrite ``input`` with the result and return it.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.silu(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """
    if inplace:
        return _in_place("silu", input, ops.silu)
    return ops.silu(input)


def tanh(input: Tensor) -> Tensor:
    """``tanh(input)`` elementwise; see :func:`chainrule.tanh`.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.tanh(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """
    return ops.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))`` elementwise; see :func:`chainrule.sigmoid`.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.sigmoid(chainrule.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """
    return ops.sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * input)) / beta``, and ``input`` where ``beta * input > threshold``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.softplus(chainrule.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    return ops.softplus(input, beta, threshold)


def _hardtanh(input: Tensor, min_val: float, max_val: float) -> Tensor:
    # The gradient passes strictly inside (min_val, max_val), as PyTorch's hardtanh (clamp
    # would also pass it at the two ends): outside, the value is a constant.
    inside = (input > min_val).logical_and(input < max_val)
    return ops.where(inside, input, ops.clamp(input.detach(), min_val, max_val))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``input`` clamped to ``[min_val, max_val]``; the gradient is 1 strictly inside, else 0.

    Args:
        min_val, max_val: the ends of the linear region.
        inplace: overwrite ``input`` with the result and return it.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.hardtanh(chainrule.tensor([-3.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    if inplace:
        return _in_place("hardtanh", input, lambda x: _hardtanh(x, min_val, max_val))
    return _hardtanh(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(input, 0), 6)``, i.e. ``hardtanh(input, 0, 6)`` (gradient 0 at 0 and 6).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.relu6(chainrule.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(input)) = min(input, 0) - log(1 + exp(-|input|))``, finite everywhere.

    Each branch of the ``where`` only sees inputs of its own sign, so neither exp overflows and
    no gradient is NaN; at 0 the clamp passes the gradient, which gives PyTorch's 1/2.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.logsigmoid(chainrule.tensor([-200.0, 0.0, 200.0]))
        tensor([-200.0000,   -0.6931,   -0.0000])
    """
    input = float_operand(input)
    negative = ops.clamp(input, max=0.0)
    positive = ops.clamp(input, min=0.0)
    return ops.where(input < 0, negative - ops.log1p(ops.exp(negative)),
                     -ops.log1p(ops.exp(-positive)))


def _softmax_dim(op: str, input: Tensor, dim: int | None, stacklevel: int) -> int:
    """``dim``, or PyTorch's legacy implicit choice (with its deprecation warning)."""
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to "
                  f"include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """``exp(input) / exp(input).sum(dim, keepdim=True)``, without overflow.

    Args:
        dim: the dimension whose slices sum to 1 (None: PyTorch's deprecated implicit choice).
        dtype: if given, the input is cast to it first.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.softmax(chainrule.tensor([[0.0, 0.0], [0.0, 1e4]]), dim=1)
        tensor([[0.5000, 0.5000],
                [0.0000, 1.0000]])
    """
    return ops.softmax(input, _softmax_dim("softmax", input, dim, _stacklevel), dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``log(softmax(input, dim))``, without overflow or underflow.

    Args:
        dim: the dimension to normalise over (None: PyTorch's deprecated implicit choice).
        dtype: if given, the input is cast to it first.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.log_softmax(chainrule.tensor([0.0, 1e4]), dim=0)
        tensor([-10000.,      0.])
    """
    return ops.log_softmax(input, _softmax_dim("log_softmax", input, dim, _stacklevel), dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """``softmax(-input, dim)``: the smallest entries get the largest weights.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.softmin(chainrule.tensor([0.0, 1e4]), dim=0)
        tensor([1., 0.])
    """
    dim = _softmax_dim("softmin", input, dim, _stacklevel)
    if dtype is not None:
        input = ops.to_dtype(input, dtype)
    return ops.softmax(-float_operand(input), dim)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(input, alpha)`` with SELU's self-normalising constants (alpha ≈ 1.6733,
    scale ≈ 1.0507).

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.selu(chainrule.tensor([-1.0, 1.0]))
        tensor([-1.1113,  1.0507])
    """
    def compute(x: Tensor) -> Tensor:
        return ops.elu(x, _SELU_ALPHA) * _SELU_SCALE

    return _in_place("selu", input, compute) if inplace else compute(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.celu(chainrule.tensor([-1.0, 1.0]), alpha=2.0)
        tensor([-0.7869,  1.0000])
    """
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0 (it divides the input)")

    def compute(x: Tensor) -> Tensor:
        return _celu(x, alpha)

    return _in_place("celu", input, compute) if inplace else compute(input)


def _celu(x: Tensor, alpha: float) -> Tensor:
    # expm1 sees min(x, 0) only: the branch where() drops must stay finite (see elu).
    negative = ops.expm1(ops.clamp(x, max=0.0) / alpha) * alpha
    return ops.where(x > 0, x, negative)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * tanh(softplus(input))``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.mish(chainrule.tensor([-1.0, 1.0]))
        tensor([-0.3034,  0.8651])
    """
    def compute(x: Tensor) -> Tensor:
        return x * ops.tanh(ops.softplus(x))

    return _in_place("mish", input, compute) if inplace else compute(input)


def _hardsigmoid(x: Tensor) -> Tensor:
    # The gradient 1/6 passes strictly inside (-3, 3), as PyTorch; outside it is a constant.
    inside = (x > -3.0).logical_and(x < 3.0)
    return ops.where(inside, x / 6 + 0.5, (x.detach() >= 3.0).to(x.dtype))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``0`` for ``x <= -3``, ``1`` for ``x >= 3``, ``x / 6 + 1/2`` in between.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.hardsigmoid(chainrule.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """
    input = float_operand(input)
    return _in_place("hardsigmoid", input, _hardsigmoid) if inplace else _hardsigmoid(input)


def _hardswish(x: Tensor) -> Tensor:
    # PyTorch's gradient: 0 up to -3 (included), x / 3 + 1/2 inside, 1 from 3 on.
    middle = ops.where(x < 3.0, x * (x + 3.0) / 6, x)
    return ops.where(x <= -3.0, 0.0, middle)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * hardsigmoid(x)``: ``0`` for ``x <= -3``, ``x`` for ``x >= 3``, ``x (x + 3) / 6``
    in between.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.hardswish(chainrule.tensor([-4.0, 1.0, 4.0]))
        tensor([0.0000, 0.6667, 4.0000])
    """
    input = float_operand(input)
    return _in_place("hardswish", input, _hardswish) if inplace else _hardswish(input)


def softsign(input: Tensor) -> Tensor:
    """``input / (1 + |input|)``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.softsign(chainrule.tensor([-1.0, 3.0]))
        tensor([-0.5000,  0.7500])
    """
    input = float_operand(input)
    return input / (ops.abs(input) + 1)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``input`` where ``input > threshold``, else ``value``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.threshold(chainrule.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    def compute(x: Tensor) -> Tensor:
        return ops.where(x > threshold, x, value)

    return _in_place("threshold", input, compute) if inplace else compute(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)``, where ``a`` and ``b`` are the two halves of ``input`` along ``dim``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.glu(chainrule.tensor([1.0, 2.0, 0.0, 100.0]))
        tensor([0.5000, 2.0000])
    """
    if input.ndim == 0:
        raise ShapeError("glu: glu does not support 0-d (scalar) tensors")
    size = input.shape[dim]
    if size % 2:
        raise ShapeError(f"glu: the halved dimension must be even, but dimension {dim} of "
                         f"input shape {tuple(input.shape)} has size {size}")
    a, b = ops.chunk(input, 2, dim)
    return a * ops.sigmoid(b)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)``, with one learnt slope, or one per channel (dim 1).

    Args:
        weight: the negative slopes, shape (1,) or (C,) for C = ``input.shape[1]``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.prelu(chainrule.tensor([-2.0, 3.0]), chainrule.tensor([0.25]))
        tensor([-0.5000,  3.0000])
    """
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or weight.numel() not in (1, channels):
        raise ShapeError(f"prelu: weight must have 1 or {channels} (input channels, dim 1) "
                         f"entries, got weight shape {tuple(weight.shape)} for input shape "
                         f"{tuple(input.shape)}")
    if weight.numel() > 1:
        weight = weight.reshape(-1, *[1] * (input.ndim - 2))
    # where(): the gradient at 0 goes to the negative side (weight for x, 0 for weight), as PyTorch
    return ops.where(input > 0, input, weight * input)
