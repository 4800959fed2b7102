"""Arithmetic: + - * / // % ** and negation, dtype casts, and PyTorch's type promotion.

Binary ops broadcast like NumPy; their rules return gradients in the broadcast shape and the
engine sums them back to each input's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd.forward_ad import add_terms, diagonal_jvp, linear_jvp, multilinear_jvp, zero_jvp
from ..autograd.function import Function, _NoGradCtx
from ..autograd.grad_mode import RECORD, SPECIAL, _state
from ..dtype import DType, as_numpy_dtype, result_type
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, _init, _new, _wrap

TensorLike = Tensor | float | int | bool

__all__ = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow",
           "neg", "to_dtype"]


def promote(*operands: TensorLike) -> tuple[Tensor, ...]:
    """Operands as Tensors of one dtype, chosen by PyTorch's promotion rules.

    A Python scalar becomes a 0-d constant; a tensor of another dtype goes through a
    (differentiable) cast.
    """
    dtype = result_type(*operands)
    out = []
    for x in operands:
        if isinstance(x, Tensor):
            out.append(x if x.data.dtype == dtype else to_dtype(x, dtype))
        else:
            out.append(_wrap(np.asarray(x, dtype=dtype)))
    return tuple(out)


def float_operand(x: Tensor) -> Tensor:
    """An integer or bool tensor cast to float32, for ops that only exist on floats (exp, /)."""
    return x if x.data.dtype.kind == "f" else to_dtype(x, np.dtype(np.float32))


def broadcast_shapes(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast shape, or a ShapeError naming `op` and every shape."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ShapeError(f"{op}: shapes {listed} cannot be broadcast together (each dimension "
                         f"must match or be 1, aligned from the right)") from None


class _SharedCtx(_NoGradCtx):
    """The one ctx of every unrecorded binary op: it refuses attributes, so nothing leaks
    from one call to the next."""

    def __setattr__(self, name, value):
        raise AttributeError(f"the shared ctx of an unrecorded op cannot hold {name!r}")


_UNRECORDED = _SharedCtx()


def _binary(op: str, fn, x: TensorLike, y: TensorLike) -> Tensor:
    """Promote, apply, and turn NumPy's broadcasting error into one that names `op`."""
    tx, ty = type(x), type(y)
    if tx is Tensor and ty is Tensor and x.data.dtype == y.data.dtype:
        pass  # the common case, no promotion to do
    elif tx is Tensor and (ty is float or ty is int) and x.data.dtype.kind == "f":
        y = _wrap(np.array(y, dtype=x.data.dtype))  # a scalar never upcasts a float tensor
    else:
        x, y = promote(x, y)
    mode = _state.mode
    try:
        if mode == RECORD:
            if x._requires_grad or y._requires_grad:
                return fn._apply_recorded((x, y))
        elif mode == SPECIAL:
            return fn.apply(x, y)
        # Nothing to record (every op of a backward pass lands here): call forward directly,
        # without Function.apply's checks. These forwards only save (a no-op here) and never
        # set attributes on ctx, so one shared ctx serves them all.
        out = fn.forward(_UNRECORDED, x, y)
        t = _new(Tensor)  # _wrap, inlined
        _init(t, out if type(out) is np.ndarray else np.asarray(out), False, None, 0)
        return t
    except ValueError:
        broadcast_shapes(op, x.data.shape, y.data.shape)  # raises ShapeError if that was it
        raise


class Cast(Function):
    """out = x converted to another dtype; the gradient is converted back."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = x.data.dtype
        return x.data.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return to_dtype(grad, ctx.input_dtype), None

    jvp = linear_jvp


def to_dtype(input: Tensor, dtype: DType | np.dtype | type | str) -> Tensor:
    """``input`` converted to ``dtype`` (a new tensor; the same one if nothing changes)."""
    dtype = as_numpy_dtype(dtype)
    if input.data.dtype == dtype:
        return input
    return Cast.apply(input, dtype)


class Add(Function):
    """out = x + y."""

    @staticmethod
    def forward(ctx, x, y):
        return x.data + y.data

    @staticmethod
    def backward(ctx, grad):
        return grad, grad

    jvp = linear_jvp


def add(input: TensorLike, other: TensorLike, *, alpha: float = 1) -> Tensor:
    """``input + alpha * other``, broadcasting.

    Example:
        >>> import chainrule
        >>> chainrule.add(chainrule.tensor([1.0, 2.0]), 1)
        tensor([2., 3.])
    """
    if alpha != 1:
        other = mul(other, alpha)
    return _binary("add", Add, input, other)


class Sub(Function):
    """out = x - y."""

    @staticmethod
    def forward(ctx, x, y):
        return x.data - y.data

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)

    @staticmethod
    def backward_numpy(ctx, grad):
        return grad, (_wrap(np.negative(grad.data)) if ctx.needs_input_grad[1] else None)

    jvp = linear_jvp


def sub(input: TensorLike, other: TensorLike, *, alpha: float = 1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary("sub", Sub, input, other)


class Mul(Function):
    """out = x * y."""

    @staticmethod
    def forward(ctx, x, y):
        # Save only what the rule will read: x is needed for grad_y, y for grad_x.
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              y if ctx.needs_input_grad[0] else None)
        return x.data * y.data

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_x = grad * y if ctx.needs_input_grad[0] else None  # d(xy)/dx = y
        grad_y = grad * x if ctx.needs_input_grad[1] else None  # d(xy)/dy = x
        return grad_x, grad_y

    @staticmethod
    def backward_numpy(ctx, grad):
        x, y = ctx.saved_tensors
        g = grad.data
        grad_x = _wrap(g * y.data) if ctx.needs_input_grad[0] else None
        grad_y = _wrap(g * x.data) if ctx.needs_input_grad[1] else None
        return grad_x, grad_y

    jvp = multilinear_jvp


def mul(input: TensorLike, other: TensorLike) -> Tensor:
    """Elementwise product, broadcasting like NumPy. Same as ``input * other``."""
    return _binary("mul", Mul, input, other)


class Div(Function):
    """out = x / y."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        return x.data / y.data

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_x = grad / y if ctx.needs_input_grad[0] else None  # d(x/y)/dx = 1/y
        grad_y = -grad * x / (y * y) if ctx.needs_input_grad[1] else None  # d/dy = -x/y²
        return grad_x, grad_y

    @staticmethod
    def backward_numpy(ctx, grad):
        x, y = ctx.saved_tensors
        g, yd = grad.data, y.data
        grad_x = _wrap(g / yd) if ctx.needs_input_grad[0] else None
        grad_y = _wrap(np.negative(g) * x.data / (yd * yd)) if ctx.needs_input_grad[1] else None
        return grad_x, grad_y

    @staticmethod
    def jvp(ctx, tangent_x, tangent_y):
        x, y = ctx.primals
        terms = [] if tangent_x is None else [tangent_x / y]
        if tangent_y is not None:
            terms.append(-tangent_y * ctx.out / y)  # d(x/y) = dx/y - (x/y) dy/y
        return add_terms(terms)


def div(input: TensorLike, other: TensorLike, *, rounding_mode: str | None = None) -> Tensor:
    """True division (integers give float32), or ``rounding_mode`` "floor" / "trunc"."""
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return _binary("div", TruncDiv, input, other)
    if rounding_mode is not None:
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', "
                         f"got {rounding_mode!r}")
    if isinstance(input, Tensor) and input.data.dtype.kind != "f" and (
            not isinstance(other, Tensor) or other.data.dtype.kind != "f"):
        input = float_operand(input)  # true division of integers gives float32
    elif not isinstance(input, Tensor) and isinstance(other, Tensor) and \
            other.data.dtype.kind != "f":
        other = float_operand(other)
    return _binary("div", Div, input, other)


true_divide = div


class FloorDiv(Function):
    """out = floor(x / y); piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, x, y):
        return np.floor_divide(x.data, y.data)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad * 0

    jvp = zero_jvp


class TruncDiv(Function):
    """out = trunc(x / y); piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, x, y):
        out = np.trunc(x.data / y.data)
        return out if x.data.dtype.kind == "f" else out.astype(x.data.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad * 0

    jvp = zero_jvp


def floor_divide(input: TensorLike, other: TensorLike) -> Tensor:
    """``input // other``, rounding toward minus infinity as Python does."""
    return _binary("floor_divide", FloorDiv, input, other)


class Remainder(Function):
    """out = x - floor(x / y) * y, with the sign of y (Python's %)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              y if ctx.needs_input_grad[1] else None)
        return np.remainder(x.data, y.data)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_y = -grad * floor_divide(x, y) if ctx.needs_input_grad[1] else None
        return grad, grad_y

    @staticmethod
    def jvp(ctx, tangent_x, tangent_y):
        x, y = ctx.primals  # x mod y = x - floor(x/y) y
        if tangent_y is None:
            return tangent_x
        term = -tangent_y * floor_divide(x, y)
        return term if tangent_x is None else tangent_x + term


def remainder(input: TensorLike, other: TensorLike) -> Tensor:
    """``input % other``, with the sign of the divisor as in Python."""
    return _binary("remainder", Remainder, input, other)


class Pow(Function):
    """out = x ** y."""

    @staticmethod
    def forward(ctx, x, y):
        out = np.power(x.data, y.data)
        ctx.save_for_backward(x, y, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y, out = ctx.saved_tensors
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = grad * y * x ** (y - 1)  # d x^y/dx = y x^(y-1)
        if ctx.needs_input_grad[1]:
            # d x^y/dy = x^y log x; at x = 0 the limit is 0 (PyTorch's choice too).
            from .comparison import where

            safe_log = where(x > 0, x, 1.0).log()
            grad_y = grad * out * safe_log
        return grad_x, grad_y

    @staticmethod
    def jvp(ctx, tangent_x, tangent_y):
        x, y = ctx.primals
        terms = [] if tangent_x is None else [tangent_x * y * x ** (y - 1)]
        if tangent_y is not None:
            from .comparison import where
            terms.append(tangent_y * ctx.out * where(x > 0, x, 1.0).log())
        return add_terms(terms)


class PowScalar(Function):
    """out = x ** c for a Python number c: no tensor for the exponent, one less op."""

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return np.power(x.data, exponent)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        c = ctx.exponent
        if c == 2:
            return grad * 2 * x, None
        return grad * c * x ** (c - 1), None  # d x^c = c x^(c-1)

    @staticmethod
    def backward_numpy(ctx, grad):
        (x,) = ctx.saved_tensors
        c, g = ctx.exponent, grad.data
        if c == 2:
            return _wrap(g * 2 * x.data), None
        return _wrap(g * c * np.power(x.data, c - 1)), None

    jvp = diagonal_jvp


def pow(input: TensorLike, exponent: TensorLike) -> Tensor:
    """``input ** exponent``; either may be a tensor. Integer tensors to negative integer
    powers are refused, as in PyTorch."""
    if isinstance(input, Tensor) and isinstance(exponent, (int, float)) and \
            not isinstance(exponent, bool):
        if input.data.dtype.kind != "f":
            if isinstance(exponent, float):
                input = float_operand(input)
            elif exponent < 0:
                raise DTypeError(f"pow: integers to negative integer powers are not allowed "
                                 f"(input dtype {input.dtype}, exponent {exponent})")
        return PowScalar.apply(input, exponent)
    return _binary("pow", Pow, input, exponent)


class Neg(Function):
    """out = -x."""

    @staticmethod
    def forward(ctx, x):
        if x.data.dtype == np.bool_:
            raise DTypeError("neg: negation of a bool tensor is not supported; "
                             "use logical_not (~) instead")
        return np.negative(x.data)

    @staticmethod
    def backward(ctx, grad):
        return -grad

    @staticmethod
    def backward_numpy(ctx, grad):
        return _wrap(np.negative(grad.data))

    jvp = linear_jvp


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    return Neg.apply(input)
