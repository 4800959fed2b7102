"""One-input maths: exp, log, sqrt, trigonometry, erf, clamp, rounding, ...

Functions that only exist on floats (exp, log, sin, ...) turn integer and bool inputs into
float32, as PyTorch does; abs, sign, clamp, rounding and square keep integer dtypes. Rules reuse
the forward's result where the derivative is a function of it (exp, sqrt, tan, tanh, expm1);
such forwards wrap it in ``np.asarray``, since a ufunc given a 0-d array returns a NumPy scalar
and a saved output must be an array.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..autograd.forward_ad import add_terms, diagonal_jvp, zero_jvp
from ..autograd.function import Function
from ..dtype import result_type
from ..errors import DTypeError
from ..tensor import Tensor, _wrap
from .comparison import keep_where
from .elementwise import broadcast_shapes, div, pow, to_dtype

__all__ = [
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "abs",
    "sign",
    "sin",
    "cos",
    "tan",
    "tanh",
    "erf",
    "reciprocal",
    "clamp",
    "clip",
    "floor",
    "ceil",
    "round",
    "square",
]

_FLOAT32 = np.dtype(np.float32)


def _float_input(op: str, input: Tensor) -> Tensor:
    """``input``, cast to float32 if it is an integer or bool tensor; a TypeError otherwise."""
    try:
        kind = input.data.dtype.kind
    except AttributeError:
        raise DTypeError(f"{op}: expected a Tensor, got {type(input).__name__}") from None
    return input if kind == "f" else to_dtype(input, _FLOAT32)


class Exp(Function):
    """out = e^x."""

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(np.exp(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out  # d e^x = e^x

    @staticmethod
    def backward_numpy(ctx, grad):
        (out,) = ctx.saved_tensors
        return _wrap(grad.data * out.data)

    jvp = diagonal_jvp


def exp(input: Tensor) -> Tensor:
    """e raised to each element.

    Example:
        >>> import chainrule
        >>> chainrule.exp(chainrule.tensor([0.0, 1.0]))
        tensor([1.0000, 2.7183])
    """
    return Exp.apply(_float_input("exp", input))


class Log(Function):
    """out = ln x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x  # d ln x = 1/x

    @staticmethod
    def backward_numpy(ctx, grad):
        (x,) = ctx.saved_tensors
        return _wrap(grad.data / x.data)

    jvp = diagonal_jvp


def log(input: Tensor) -> Tensor:
    """Natural logarithm; -inf at 0 and NaN below.

    Example:
        >>> import chainrule
        >>> chainrule.log(chainrule.tensor([1.0, 4.0]))
        tensor([0.0000, 1.3863])
    """
    return Log.apply(_float_input("log", input))


class Log1p(Function):
    """out = ln(1 + x), a primitive for accuracy: exact for tiny x, where 1 + x rounds to 1."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)  # d ln(1 + x) = 1/(1 + x)

    jvp = diagonal_jvp


def log1p(input: Tensor) -> Tensor:
    """``log(1 + input)``, accurate for small inputs.

    Example:
        >>> import chainrule
        >>> chainrule.log1p(chainrule.tensor([1e-10], dtype=chainrule.float64)).item()
        9.99999999950...e-11
    """
    return Log1p.apply(_float_input("log1p", input))


class Expm1(Function):
    """out = e^x - 1, a primitive for accuracy: exact for tiny x, where e^x rounds to 1."""

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(np.expm1(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)  # d (e^x - 1) = e^x = out + 1

    jvp = diagonal_jvp


def expm1(input: Tensor) -> Tensor:
    """``exp(input) - 1``, accurate for small inputs.

    Example:
        >>> import chainrule
        >>> chainrule.expm1(chainrule.tensor([1e-10], dtype=chainrule.float64)).item()
        1.00000000005e-10
    """
    return Expm1.apply(_float_input("expm1", input))


class Sqrt(Function):
    """out = √x."""

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(np.sqrt(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2)  # d √x = 1/(2√x)

    jvp = diagonal_jvp


def sqrt(input: Tensor) -> Tensor:
    """Square root; NaN for negative inputs.

    Example:
        >>> import chainrule
        >>> chainrule.sqrt(chainrule.tensor([4.0, 9.0]))
        tensor([2., 3.])
    """
    return Sqrt.apply(_float_input("sqrt", input))


def rsqrt(input: Tensor) -> Tensor:
    """``1 / sqrt(input)``, as one power: ``input ** -0.5``.

    Example:
        >>> import chainrule
        >>> chainrule.rsqrt(chainrule.tensor([4.0, 16.0]))
        tensor([0.5000, 0.2500])
    """
    return pow(_float_input("rsqrt", input), -0.5)


class Abs(Function):
    """out = |x|; the gradient at 0 is 0 (sign(0) = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * sign(x)  # d|x| = sign(x)

    jvp = diagonal_jvp


def abs(input: Tensor) -> Tensor:
    """Absolute value; integer tensors stay integer.

    Example:
        >>> import chainrule
        >>> chainrule.abs(chainrule.tensor([-1.5, 2.0]))
        tensor([1.5000, 2.0000])
    """
    return Abs.apply(input)


class Sign(Function):
    """out = -1, 0 or 1; piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, x):
        return x.data.copy() if x.data.dtype == np.bool_ else np.sign(x.data)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0

    jvp = zero_jvp


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (NaN stays NaN).

    Example:
        >>> import chainrule
        >>> chainrule.sign(chainrule.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    return Sign.apply(input)


class Sin(Function):
    """out = sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cos(x)  # d sin = cos

    jvp = diagonal_jvp


def sin(input: Tensor) -> Tensor:
    """Sine, in radians.

    Example:
        >>> import chainrule
        >>> chainrule.sin(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8415])
    """
    return Sin.apply(_float_input("sin", input))


class Cos(Function):
    """out = cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * sin(x)  # d cos = -sin

    jvp = diagonal_jvp


def cos(input: Tensor) -> Tensor:
    """Cosine, in radians.

    Example:
        >>> import chainrule
        >>> chainrule.cos(chainrule.tensor([0.0, 1.0]))
        tensor([1.0000, 0.5403])
    """
    return Cos.apply(_float_input("cos", input))


class Tan(Function):
    """out = tan x."""

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(np.tan(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1)  # d tan = 1 + tan²

    jvp = diagonal_jvp


def tan(input: Tensor) -> Tensor:
    """Tangent, in radians.

    Example:
        >>> import chainrule
        >>> chainrule.tan(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 1.5574])
    """
    return Tan.apply(_float_input("tan", input))


class Tanh(Function):
    """out = tanh x."""

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(np.tanh(x.data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)  # d tanh = 1 - tanh²

    @staticmethod
    def backward_numpy(ctx, grad):
        (out,) = ctx.saved_tensors
        return _wrap(grad.data * (1 - out.data * out.data))

    jvp = diagonal_jvp


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    Example:
        >>> import chainrule
        >>> chainrule.tanh(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """
    return Tanh.apply(_float_input("tanh", input))


# W. J. Cody's rational Chebyshev approximations (Math. Comp. 1969, as in SPECFUN's CALERF):
# erf on |x| <= 0.46875, erfc on (0.46875, 4] and erfc on (4, inf). Max error about 3e-16.
_ERF_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_ERF_B = (
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_ERFC_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_ERFC_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_ERFC_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_ERFC_Q = (
    2.56852019228982242e00,
    1.87295284992346725e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf in float64 by Cody's approximations (NumPy has no erf; SciPy is not a dependency)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    out = np.empty_like(y)
    small = y <= 0.46875
    z = y[small] ** 2
    num, den = _ERF_A[4] * z, z
    for a, b in zip(_ERF_A[:3], _ERF_B[:3], strict=True):
        num, den = (num + a) * z, (den + b) * z
    out[small] = x[small] * (num + _ERF_A[3]) / (den + _ERF_B[3])
    mid = ~small & (y <= 4.0)
    ym = y[mid]
    num, den = _ERFC_C[8] * ym, ym
    for c, d in zip(_ERFC_C[:7], _ERFC_D[:7], strict=True):
        num, den = (num + c) * ym, (den + d) * ym
    out[mid] = 1 - _exp_minus_square(ym) * (num + _ERFC_C[7]) / (den + _ERFC_D[7])
    large = y > 4.0
    yl = np.minimum(y[large], 30.0)  # erfc(30) underflows: erf is exactly 1 beyond
    z = 1 / (yl * yl)
    num, den = _ERFC_P[5] * z, z
    for p, q in zip(_ERFC_P[:4], _ERFC_Q[:4], strict=True):
        num, den = (num + p) * z, (den + q) * z
    erfc = (_TWO_OVER_SQRT_PI / 2 - z * (num + _ERFC_P[4]) / (den + _ERFC_Q[4])) / yl
    out[large] = 1 - _exp_minus_square(yl) * erfc
    out[~small] = np.copysign(out[~small], x[~small])
    out[np.isnan(x)] = np.nan
    return out


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y²) without the rounding error of y²: y = a + r with a a multiple of 1/16, so
    a² is exact and exp(-y²) = exp(-a²) exp(-(y - a)(y + a))."""
    a = np.trunc(y * 16) / 16
    return np.exp(-a * a) * np.exp(-(y - a) * (y + a))


class Erf(Function):
    """out = erf x = 2/√π ∫₀ˣ e^(-t²) dt, computed in float64 (error below 1e-15)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x.data).astype(x.data.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _TWO_OVER_SQRT_PI * exp(-x * x)  # d erf = 2/√π e^(-x²)

    jvp = diagonal_jvp


def erf(input: Tensor) -> Tensor:
    """The error function.

    Example:
        >>> import chainrule
        >>> chainrule.erf(chainrule.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8427])
    """
    return Erf.apply(_float_input("erf", input))


def reciprocal(input: Tensor) -> Tensor:
    """``1 / input`` (integers give float32).

    Example:
        >>> import chainrule
        >>> chainrule.reciprocal(chainrule.tensor([2.0, 4.0]))
        tensor([0.5000, 0.2500])
    """
    return div(1, _float_input("reciprocal", input))


class Clamp(Function):
    """out = min(max(x, lo), hi); lo and hi are numbers, tensors or None.

    The gradient passes where lo <= x <= hi (both ends included, as PyTorch); a tensor bound
    gets it where it was the value chosen.
    """

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        lo_data = lo.data if isinstance(lo, Tensor) else lo
        hi_data = hi.data if isinstance(hi, Tensor) else hi
        return np.clip(x.data, lo_data, hi_data)

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.saved_tensors
        x = x.data
        lo = lo.data if isinstance(lo, Tensor) else lo
        hi = hi.data if isinstance(hi, Tensor) else hi
        grad_x = grad_lo = grad_hi = None
        if ctx.needs_input_grad[0]:
            inside = x >= lo if hi is None else x <= hi if lo is None else (x >= lo) & (x <= hi)
            grad_x = keep_where(inside, grad)
        if ctx.needs_input_grad[1]:  # lo is chosen below it, unless hi overrides it
            grad_lo = keep_where(x < lo if hi is None else (x < lo) & (lo < hi), grad)
        if ctx.needs_input_grad[2]:  # hi is chosen above it, and wherever hi < lo
            grad_hi = keep_where(x > hi if lo is None else (x > hi) | (hi < lo), grad)
        return grad_x, grad_lo, grad_hi

    @staticmethod
    def jvp(ctx, tangent_x, tangent_lo, tangent_hi):
        # The tangent of whichever of x, lo, hi was chosen (the same choices as backward).
        x, lo, hi = (a.data if isinstance(a, Tensor) else a for a in ctx.primals)
        terms = []
        if tangent_x is not None:
            inside = x >= lo if hi is None else x <= hi if lo is None else (x >= lo) & (x <= hi)
            terms.append(keep_where(inside, tangent_x))
        if tangent_lo is not None:
            terms.append(keep_where(x < lo if hi is None else (x < lo) & (lo < hi), tangent_lo))
        if tangent_hi is not None:
            terms.append(keep_where(x > hi if lo is None else (x > hi) | (hi < lo), tangent_hi))
        return add_terms(terms)


def clamp(
    input: Tensor, min: Tensor | float | None = None, max: Tensor | float | None = None
) -> Tensor:
    """Each element limited to ``[min, max]``; where ``min > max`` the result is ``max``.

    Args:
        min, max: lower and upper bound (numbers or broadcastable tensors); one may be None.

    Example:
        >>> import chainrule
        >>> chainrule.clamp(chainrule.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    dtype = result_type(input, *(b for b in (min, max) if b is not None))
    if input.data.dtype != dtype:
        input = to_dtype(input, dtype)
    tensors = [input]
    if isinstance(min, Tensor):
        min = to_dtype(min, dtype)
        tensors.append(min)
    if isinstance(max, Tensor):
        max = to_dtype(max, dtype)
        tensors.append(max)
    if len(tensors) > 1 and builtins.any(t.data.shape != input.data.shape for t in tensors):
        broadcast_shapes("clamp", *(t.data.shape for t in tensors))
    return Clamp.apply(input, min, max)


clip = clamp


class Floor(Function):
    """out = the largest integer <= x; piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, x):
        return np.floor(x.data) if x.data.dtype.kind == "f" else x.data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad * 0

    jvp = zero_jvp


def floor(input: Tensor) -> Tensor:
    """Round down to an integer value (integer tensors are returned as they are).

    Example:
        >>> import chainrule
        >>> chainrule.floor(chainrule.tensor([-1.5, 1.5]))
        tensor([-2.,  1.])
    """
    return Floor.apply(input)


class Ceil(Function):
    """out = the smallest integer >= x; piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x.data) if x.data.dtype.kind == "f" else x.data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad * 0

    jvp = zero_jvp


def ceil(input: Tensor) -> Tensor:
    """Round up to an integer value (integer tensors are returned as they are).

    Example:
        >>> import chainrule
        >>> chainrule.ceil(chainrule.tensor([-1.5, 1.5]))
        tensor([-1.,  2.])
    """
    return Ceil.apply(input)


class Round(Function):
    """out = x rounded to `decimals` places, halves to even; its gradient is zero."""

    @staticmethod
    def forward(ctx, x, decimals):
        if x.data.dtype.kind != "f":
            return x.data.copy()
        return np.round(x.data, decimals)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None

    jvp = zero_jvp


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round to the nearest integer (or to ``decimals`` places); halves go to the even
    neighbour, as in PyTorch and NumPy.

    Example:
        >>> import chainrule
        >>> chainrule.round(chainrule.tensor([0.5, 1.5, 2.567]))
        tensor([0., 2., 3.])
        >>> chainrule.round(chainrule.tensor([2.567]), decimals=2)
        tensor([2.5700])
    """
    return Round.apply(input, decimals)


def square(input: Tensor) -> Tensor:
    """``input * input``, as the power ``input ** 2``; integer tensors stay integer.

    Example:
        >>> import chainrule
        >>> chainrule.square(chainrule.tensor([-2.0, 3.0]))
        tensor([4., 9.])
    """
    return pow(input, 2)
