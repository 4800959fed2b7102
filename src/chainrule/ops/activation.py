"""Activation functions: sigmoid, relu and its relatives, gelu, silu, softplus, softmax.

sigmoid, relu, softmax and log_softmax are primitives (they sit on every training step's hot
path, and softmax needs a stable forward); the rest are composed from them and from unary ops.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.forward_ad import diagonal_jvp
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..tensor import Tensor, _wrap
from .comparison import keep_where, where
from .elementwise import to_dtype
from .reduction import normalize_dims
from .unary import _float_input, clamp, erf, exp, expm1, log1p, tanh

__all__ = [
    "sigmoid",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "softplus",
    "softmax",
    "log_softmax",
]


class Sigmoid(Function):
    """out = 1 / (1 + e^-x), computed without overflow for either sign of x."""

    @staticmethod
    def forward(ctx, x):
        e = np.exp(-np.abs(x.data))  # <= 1, so nothing overflows
        out = np.where(x.data >= 0, 1, e).astype(x.data.dtype, copy=False)
        out /= 1 + e  # 1/(1+e^-x) or e^x/(1+e^x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)  # d sigmoid = sigmoid (1 - sigmoid)

    jvp = diagonal_jvp


def sigmoid(input: Tensor) -> Tensor:
    """The logistic function ``1 / (1 + exp(-input))``.

    Example:
        >>> import chainrule
        >>> chainrule.sigmoid(chainrule.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """
    return Sigmoid.apply(_float_input("sigmoid", input))


class Relu(Function):
    """out = max(x, 0); relu'(0) = 0, as PyTorch."""

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(np.maximum(x.data, 0))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        g = grad.data
        if _state.enabled or _state.dispatch is not None or g.dtype != out.data.dtype:
            # create_graph, vmap or forward AD: a Where node, differentiable in grad
            return keep_where(out.data > 0, grad)
        return _wrap(_keep_positive(g, out.data))

    jvp = diagonal_jvp


def _keep_positive(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.where(out > 0, grad, 0)`` as a bitwise and with an all-ones/all-zeros integer mask.

    The same bits as np.where (inf or NaN in grad still give +0.0 where out <= 0, which a
    product with the mask would turn into NaN), without np.where's branch per element, ~10x
    slower on a random mask: relu's backward on (128, 512) float32 takes ~30 us instead of ~330.
    """
    bits = np.dtype(f"i{grad.dtype.itemsize}")
    mask = np.asarray(out > 0).astype(bits)  # asarray: 0-d comparisons give a scalar
    np.negative(mask, out=mask)  # 1 -> all bits set
    np.bitwise_and(mask, grad.view(bits), out=mask)
    return mask.view(grad.dtype)


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)``; integer tensors stay integer.

    Example:
        >>> import chainrule
        >>> chainrule.relu(chainrule.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return Relu.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``input`` where positive, ``negative_slope * input`` elsewhere (slope at 0 included).

    Example:
        >>> import chainrule
        >>> chainrule.leaky_relu(chainrule.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2000,  3.0000])
    """
    return where(input > 0, input, input * negative_slope)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere.

    Example:
        >>> import chainrule
        >>> chainrule.elu(chainrule.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    # expm1 sees min(input, 0): the branch where() drops must stay finite, or its zero
    # gradient times an infinite derivative would give NaN.
    negative = expm1(clamp(input, max=0.0)) * alpha
    return where(input > 0, input, negative)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``input * Φ(input)``, Φ the standard normal CDF; ``approximate="tanh"`` uses
    ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``.

    Example:
        >>> import chainrule
        >>> chainrule.gelu(chainrule.tensor([-1.0, 1.0]))
        tensor([-0.1587,  0.8413])
    """
    if approximate == "none":
        return input * (erf(input * (1 / math.sqrt(2))) + 1) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * (tanh(inner) + 1) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor) -> Tensor:
    """``input * sigmoid(input)`` (also called swish).

    Example:
        >>> import chainrule
        >>> chainrule.silu(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """
    return input * sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * input)) / beta``, and ``input`` itself where
    ``beta * input > threshold`` (where the two agree to float precision).

    Example:
        >>> import chainrule
        >>> chainrule.softplus(chainrule.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    scaled = input * beta
    # exp sees at most `threshold`: the dropped branch must not overflow (see elu).
    smooth = log1p(exp(clamp(scaled, max=threshold))) / beta
    return where(scaled > threshold, input, smooth)


def _softmax_input(op: str, input: Tensor, dim: int, dtype) -> tuple[Tensor, int | None]:
    """The input cast as asked (integers to float32) and `dim` checked; None for a 0-d input."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if dtype is not None:
        input = to_dtype(input, dtype)
    input = _float_input(op, input)
    (axis,) = normalize_dims(op, dim, input.data.ndim) or (None,)
    return input, axis


def _shifted(x: np.ndarray, axis: int | None) -> np.ndarray:
    """x - max(x) along `axis`, as a new array (also for 0-d x): every exponent is <= 0."""
    peak = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # initial: empty slices
    return np.subtract(x, peak, out=np.empty_like(x))


class Softmax(Function):
    """out = e^(x - max) / Σ e^(x - max) along a dim. A primitive for stability (no overflow
    at any logit) and speed; its rule uses the output, so gradients of gradients are exact."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = _shifted(x.data, axis)
        np.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # Jacobian diag(s) - s sᵀ: grad_x = s * (grad - Σ grad * s)
        weighted = (grad * out).sum(dim=ctx.axis, keepdim=True)
        return out * (grad - weighted), None

    jvp = diagonal_jvp  # its Jacobian diag(s) - s sᵀ is symmetric


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``exp(input) / exp(input).sum(dim)``, computed without overflow.

    Args:
        dim: the dimension whose slices sum to 1.
        dtype: if given, the input is cast to it first.

    Example:
        >>> import chainrule
        >>> chainrule.softmax(chainrule.tensor([1.0, 1e4, 1e4]), dim=0)
        tensor([0.0000, 0.5000, 0.5000])
    """
    input, axis = _softmax_input("softmax", input, dim, dtype)
    return Softmax.apply(input, axis)


class LogSoftmax(Function):
    """out = x - max - log Σ e^(x - max) along a dim. A primitive for stability: it never
    takes the log of an underflowed softmax, so -1e4 logits give finite results."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = _shifted(x.data, axis)
        out -= np.log(np.exp(out).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # d log_softmax: grad_x = grad - softmax * Σ grad, with softmax = e^out
        return grad - exp(out) * grad.sum(dim=ctx.axis, keepdim=True), None

    @staticmethod
    def jvp(ctx, tangent, _):
        # J = I - 1 sᵀ: the tangent minus its softmax-weighted mean
        return tangent - (exp(ctx.out) * tangent).sum(dim=ctx.axis, keepdim=True)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``log(softmax(input, dim))``, computed without overflow or underflow.

    Args:
        dim: the dimension to normalise over.
        dtype: if given, the input is cast to it first.

    Example:
        >>> import chainrule
        >>> chainrule.log_softmax(chainrule.tensor([0.0, 1e4]), dim=0)
        tensor([-10000.,      0.])
    """
    input, axis = _softmax_input("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(input, axis)
