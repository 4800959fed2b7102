"""Comparisons and logic (bool results, no gradient), and the ops that choose between values:
where, minimum, maximum, lerp.

Comparisons promote their operands as arithmetic does (``int tensor < 1.5`` compares in
float32) and broadcast; their outputs never require grad, so they are plain functions, not
Functions: nothing is recorded.
"""

from __future__ import annotations

import numpy as np

from ..autograd.forward_ad import linear_jvp
from ..autograd.function import Function
from ..dtype import result_type
from ..errors import DTypeError
from ..tensor import Tensor, _wrap
from .elementwise import broadcast_shapes, promote

TensorLike = Tensor | float | int | bool

__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "isnan",
    "isfinite",
    "logical_and",
    "logical_or",
    "logical_not",
    "logical_xor",
    "where",
    "minimum",
    "maximum",
    "lerp",
]


def _operand(op: str, x, dtype: np.dtype):
    """The ndarray (or NumPy scalar) of `x` in `dtype`; a TypeError names `op` for non-numbers."""
    if isinstance(x, Tensor):
        data = x.data
        return data if data.dtype == dtype else data.astype(dtype)
    if isinstance(x, (bool, int, float, np.generic)):
        return dtype.type(x)
    raise DTypeError(f"{op}: expected a Tensor or a Python number, got {type(x).__name__}")


def _compare(op: str, ufunc, input: TensorLike, other: TensorLike) -> Tensor:
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise DTypeError(
            f"{op}: expected at least one Tensor, got {type(input).__name__} and "
            f"{type(other).__name__}"
        )
    try:
        dtype = result_type(input, other)
    except DTypeError as error:
        raise DTypeError(f"{op}: {error}") from None
    x, y = _operand(op, input, dtype), _operand(op, other, dtype)
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape != y.shape:
        broadcast_shapes(op, x.shape, y.shape)
    return _wrap(np.asarray(ufunc(x, y)))


def eq(input: TensorLike, other: TensorLike) -> Tensor:
    """``input == other`` elementwise, as a bool tensor.

    Example:
        >>> import chainrule
        >>> chainrule.eq(chainrule.tensor([1, 2, 3]), 2)
        tensor([False,  True, False])
    """
    return _compare("eq", np.equal, input, other)


def ne(input: TensorLike, other: TensorLike) -> Tensor:
    """``input != other`` elementwise, as a bool tensor."""
    return _compare("ne", np.not_equal, input, other)


def lt(input: TensorLike, other: TensorLike) -> Tensor:
    """``input < other`` elementwise, as a bool tensor.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([1, 2, 3]) < 2.5
        tensor([ True,  True, False])
    """
    return _compare("lt", np.less, input, other)


def le(input: TensorLike, other: TensorLike) -> Tensor:
    """``input <= other`` elementwise, as a bool tensor."""
    return _compare("le", np.less_equal, input, other)


def gt(input: TensorLike, other: TensorLike) -> Tensor:
    """``input > other`` elementwise, as a bool tensor."""
    return _compare("gt", np.greater, input, other)


def ge(input: TensorLike, other: TensorLike) -> Tensor:
    """``input >= other`` elementwise, as a bool tensor."""
    return _compare("ge", np.greater_equal, input, other)


def _logical(op: str, ufunc, input: TensorLike, other: TensorLike) -> Tensor:
    # Truth values need no common dtype: any nonzero element is True.
    x = input.data if isinstance(input, Tensor) else _operand(op, input, np.dtype(np.bool_))
    y = other.data if isinstance(other, Tensor) else _operand(op, other, np.dtype(np.bool_))
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape != y.shape:
        broadcast_shapes(op, x.shape, y.shape)
    return _wrap(np.asarray(ufunc(x, y)))


def logical_and(input: TensorLike, other: TensorLike) -> Tensor:
    """True where both ``input`` and ``other`` are nonzero. Same as ``input & other``.

    Example:
        >>> import chainrule
        >>> chainrule.logical_and(chainrule.tensor([True, False]), chainrule.tensor([1.0, 1.0]))
        tensor([ True, False])
    """
    return _logical("logical_and", np.logical_and, input, other)


def logical_or(input: TensorLike, other: TensorLike) -> Tensor:
    """True where ``input`` or ``other`` is nonzero. Same as ``input | other``."""
    return _logical("logical_or", np.logical_or, input, other)


def logical_xor(input: TensorLike, other: TensorLike) -> Tensor:
    """True where exactly one of ``input`` and ``other`` is nonzero. Same as ``input ^ other``."""
    return _logical("logical_xor", np.logical_xor, input, other)


def logical_not(input: Tensor) -> Tensor:
    """True where ``input`` is zero. Same as ``~input``.

    Example:
        >>> import chainrule
        >>> ~chainrule.tensor([True, False])
        tensor([False,  True])
    """
    return _wrap(np.logical_not(input.data))


def isnan(input: Tensor) -> Tensor:
    """True where ``input`` is NaN (never, for integer tensors).

    Example:
        >>> import chainrule
        >>> chainrule.isnan(chainrule.tensor([1.0, float("nan")]))
        tensor([False,  True])
    """
    return _wrap(np.isnan(input.data))


def isfinite(input: Tensor) -> Tensor:
    """True where ``input`` is neither infinite nor NaN (always, for integer tensors)."""
    return _wrap(np.isfinite(input.data))


class Where(Function):
    """out = x where condition holds, else y."""

    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.save_for_backward(condition)
        c, a, b = condition.data, x.data, y.data
        if b.ndim == 0 and a.shape == c.shape and a.dtype.kind == "f" and not b \
                and np.isfinite(a).all():
            # x or 0 (the gradient routing of relu, clamp, max ...): np.where branches on a
            # random mask and is ~10x slower than this product; + 0 turns -0.0 into 0.0.
            out = a * c
            out += 0
            return out
        return np.where(c, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        mask = condition.data
        grad_x = keep_where(mask, grad) if ctx.needs_input_grad[1] else None
        grad_y = keep_where(~mask, grad) if ctx.needs_input_grad[2] else None
        return None, grad_x, grad_y

    jvp = linear_jvp  # linear in x and y for a fixed condition


def keep_where(mask: np.ndarray, grad: Tensor) -> Tensor:
    """``grad`` where the bool array ``mask`` is True, 0 elsewhere (differentiable in grad).

    The derivative rules of clamp, relu, maximum, ... route their gradient with it.
    """
    zero = _wrap(np.zeros((), dtype=grad.data.dtype))
    return Where.apply(_wrap(np.asarray(mask)), grad, zero)


def where(condition: Tensor, input: TensorLike, other: TensorLike) -> Tensor:
    """Elements of ``input`` where ``condition`` is True, of ``other`` elsewhere, broadcasting.

    Gradients flow to ``input`` where the condition holds and to ``other`` elsewhere.

    Args:
        condition: a bool tensor.
        input, other: tensors or Python numbers, promoted to a common dtype.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([-1.0, 2.0])
        >>> chainrule.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    if not isinstance(condition, Tensor) or condition.data.dtype != np.bool_:
        got = condition.dtype if isinstance(condition, Tensor) else type(condition).__name__
        raise DTypeError(
            f"where: condition must be a bool tensor, got {got}; compare it "
            f"(e.g. x > 0) or convert it with .bool()"
        )
    x, y = promote(input, other)
    shapes = condition.data.shape, x.data.shape, y.data.shape
    if not shapes[0] == shapes[1] == shapes[2]:
        broadcast_shapes("where", *shapes)
    return Where.apply(condition, x, y)


class Maximum(Function):
    """out = max(x, y) elementwise; NaN wins, ties split the gradient in half (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x.data, y.data)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return _pick_grads(ctx, grad, x.data < y.data, x.data > y.data, x.data == y.data)

    @staticmethod
    def jvp(ctx, tangent_x, tangent_y):
        x, y = ctx.primals
        return _pick_tangent(tangent_x, tangent_y, x.data > y.data, x.data < y.data)


class Minimum(Function):
    """out = min(x, y) elementwise; NaN wins, ties split the gradient in half (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.minimum(x.data, y.data)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return _pick_grads(ctx, grad, x.data > y.data, x.data < y.data, x.data == y.data)

    @staticmethod
    def jvp(ctx, tangent_x, tangent_y):
        x, y = ctx.primals
        return _pick_tangent(tangent_x, tangent_y, x.data < y.data, x.data > y.data)


def _pick_grads(
    ctx, grad: Tensor, x_loses: np.ndarray, y_loses: np.ndarray, tie: np.ndarray
) -> tuple:
    """The gradient goes to the operand that was picked; half to each at a tie. A NaN is
    neither less, greater nor equal, so both operands get the full gradient there (PyTorch)."""
    if tie.any():
        grad = Where.apply(_wrap(np.asarray(tie)), grad * 0.5, grad)
    grad_x = keep_where(~x_loses, grad) if ctx.needs_input_grad[0] else None
    grad_y = keep_where(~y_loses, grad) if ctx.needs_input_grad[1] else None
    return grad_x, grad_y


def _pick_tangent(tangent_x, tangent_y, x_wins: np.ndarray, y_wins: np.ndarray) -> Tensor:
    """The tangent of the operand that was picked; their mean at a tie (as in backward)."""
    tx = 0.0 if tangent_x is None else tangent_x
    ty = 0.0 if tangent_y is None else tangent_y
    return where(_wrap(x_wins), tx, where(_wrap(y_wins), ty, (tx + ty) * 0.5))


def maximum(input: TensorLike, other: TensorLike) -> Tensor:
    """The larger of ``input`` and ``other`` elementwise, broadcasting; NaN propagates.

    Example:
        >>> import chainrule
        >>> chainrule.maximum(chainrule.tensor([1.0, 5.0]), chainrule.tensor([3.0, 2.0]))
        tensor([3., 5.])
    """
    x, y = promote(input, other)
    if x.data.shape != y.data.shape:
        broadcast_shapes("maximum", x.data.shape, y.data.shape)
    return Maximum.apply(x, y)


def minimum(input: TensorLike, other: TensorLike) -> Tensor:
    """The smaller of ``input`` and ``other`` elementwise, broadcasting; NaN propagates."""
    x, y = promote(input, other)
    if x.data.shape != y.data.shape:
        broadcast_shapes("minimum", x.data.shape, y.data.shape)
    return Minimum.apply(x, y)


def lerp(input: Tensor, end: Tensor, weight: TensorLike) -> Tensor:
    """``input + weight * (end - input)``, broadcasting; ``weight`` is a number or a tensor.

    Composed from sub, mul and add, so it needs no rule of its own: d/dinput = 1 - weight,
    d/dend = weight, d/dweight = end - input.

    Example:
        >>> import chainrule
        >>> chainrule.lerp(chainrule.tensor([1.0, 2.0]), chainrule.tensor([3.0, 6.0]), 0.5)
        tensor([2., 4.])
    """
    return input + weight * (end - input)
