"""In-place ops: ``add_``, ``mul_``, ``clamp_``, ``copy_``, ``index_put_``, ... and one mechanism.

1. Nothing to record (grad mode off, as in optimizer steps, or no operand requires grad): the
   result is computed straight into ``input.data`` with NumPy's ``out=``, and the version
   counter goes up. The result dtype must be castable to input's (no float into int).
2. Otherwise the out-of-place op runs on a stand-in for input's old value, its result is copied
   into ``input.data`` (so views and aliases see it), the version goes up, and ``input`` takes
   over the result's place in the graph (``grad_fn``). Nodes that saved the old ``input`` then
   refuse to run backward, because its version changed. Refused, as in PyTorch: a leaf that
   requires grad, and (a chainrule limit) a view while gradients are recorded.
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import _state
from ..dtype import category, result_type
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, _wrap
from .elementwise import add, div, mul, neg, pow, sub, to_dtype
from .indexing import (
    IndexPut,
    bool_mask,
    check_dim,
    fill_value,
    index_put_op,
    index_tensors,
    masked_fill,
    put,
    scatter,
    scatter_add,
    scatter_args,
    values_like,
    values_shape_error,
)

__all__ = [
    "add_",
    "sub_",
    "mul_",
    "div_",
    "pow_",
    "neg_",
    "exp_",
    "sqrt_",
    "abs_",
    "sigmoid_",
    "tanh_",
    "relu_",
    "clamp_",
    "clip_",
    "zero_",
    "fill_",
    "copy_",
    "masked_fill_",
    "index_put_",
    "scatter_",
    "scatter_add_",
]

TensorLike = Tensor | float | int | bool

_TORCH_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "uint8": "Byte",
    "int32": "Int",
    "int64": "Long",
    "bool": "Bool",
}


# -- the mechanism ---------------------------------------------------------------------------
def _records(input: Tensor, *operands) -> bool:
    """Whether the op joins the graph; if not, it takes the NumPy fast path."""
    if input.data.dtype.kind != "f":
        return False  # an integer result never requires grad
    if _state.fw is not None and _carries_tangent(input, operands):
        return True  # forward-mode AD: the tangent must follow the new values
    if not _state.enabled:
        return False
    if input._requires_grad:
        return True
    return any(isinstance(o, Tensor) and o._requires_grad for o in operands)


def _carries_tangent(input: Tensor, operands) -> bool:
    fw = _state.fw
    return any(isinstance(t, Tensor) and fw.get(t) is not None for t in (input, *operands))


def _check_cast(op: str, input: Tensor, result: np.dtype) -> None:
    """PyTorch's rule: an in-place result may not move up a category (float into int)."""
    have = input.data.dtype
    if result != have and category(result) > category(have):
        raise DTypeError(
            f"{op}: result type {_TORCH_NAMES[result.name]} can't be cast to the "
            f"desired output type {_TORCH_NAMES[have.name]} (input dtype "
            f"{input.dtype}); use the out-of-place op or convert the input first"
        )


def _operand(op: str, input: Tensor, other: TensorLike):
    """``other``'s raw value for the fast path, once its dtype is known to fit."""
    kind = type(other)
    if kind is Tensor:
        if other.data.dtype != input.data.dtype:
            _check_cast(op, input, result_type(input, other))
        return other.data
    if kind is float and input.data.dtype.kind == "f":
        return other
    _check_cast(op, input, result_type(input, other))
    return other


def _shape_error(op: str, input: Tensor, other) -> ShapeError:
    return ShapeError(
        f"{op}: other of shape {tuple(np.shape(_data(other)))} cannot be "
        f"broadcast to the input's shape {tuple(input.shape)}; an in-place op "
        f"keeps the input's shape, so only other may be broadcast"
    )


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _write_error(op: str, input: Tensor, other=None) -> Exception:
    """The error for NumPy's ValueError on an in-place write: read-only memory or shapes."""
    if not input.data.flags.writeable:
        return RuntimeError(
            f"{op}: this tensor of shape {tuple(input.shape)} is a read-only "
            f"view (e.g. from expand()) whose elements share memory; clone() "
            f"it before modifying it in place"
        )
    return _shape_error(op, input, other)


def _ufunc(op: str, fn, input: Tensor, *operands) -> Tensor:
    """The fast path: ``fn(input.data, *operands, out=input.data)``, then a version bump."""
    data = input.data
    try:
        fn(data, *operands, out=data, casting="unsafe")
    except ValueError:
        raise _write_error(op, input, operands[0] if operands else None) from None
    input._bump_version()
    return input


def _check_recordable(op: str, input: Tensor) -> None:
    if input.grad_fn is None and input._requires_grad:
        raise RuntimeError(
            f"{op}: a leaf Variable that requires grad is being used in an "
            f"in-place operation. Modify it under `with chainrule.no_grad():` or "
            f"use the out-of-place op"
        )
    base = input._base
    if base is not None:
        if base.grad_fn is None and base._requires_grad:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad is being "
                f"used in an in-place operation."
            )
        raise RuntimeError(
            f"{op}: in-place modification of a view (shape {tuple(input.shape)}) of another "
            f"tensor (shape {tuple(base.shape)}) is not supported while gradients are recorded "
            f"(the view or the values require grad); modify a clone() instead "
            f"(`y = y.clone()`), or index the base tensor directly (`x[i, j] = v`)"
        )
    if not input.data.flags.writeable:
        raise _write_error(op, input)


def _record(op: str, input: Tensor, compute, other=None, save_input: bool = True) -> Tensor:
    """The recorded path: ``out = compute(old_input)``, written into input, which adopts it.

    ``save_input`` says whether ``compute`` may save its argument for backward; if so, the
    stand-in gets its own copy of the old values, since input's memory is about to change.
    """
    if _state.enabled:
        _check_recordable(op, input)
    data = input.data
    old = _wrap(
        data.copy() if save_input else data, input._requires_grad, input.grad_fn, input._output_nr
    )
    fw = _state.fw  # forward-mode AD: old carries input's tangent, input adopts out's
    if fw is not None and fw.get(input) is not None:
        fw.set(old, fw.get(input))
    out = compute(old)
    if fw is not None and fw.get(out) is not None:
        fw.set(input, fw.get(out))
    if out.data.shape != data.shape:
        raise _shape_error(op, input, other)
    if out.data.dtype != data.dtype:
        out = to_dtype(out, data.dtype)
    np.copyto(data, out.data)
    input._bump_version()
    input.grad_fn, input._output_nr = out.grad_fn, out._output_nr
    input._requires_grad = out._requires_grad
    return input


def _stand_in(other, input: Tensor, old: Tensor):
    """``other``, or the stand-in for input's old value when other is input itself."""
    return old if other is input else other


# -- arithmetic ------------------------------------------------------------------------------
def add_(input: Tensor, other: TensorLike, *, alpha: float = 1) -> Tensor:
    """``input += alpha * other`` in place (other is broadcast to input's shape).

    Example:
        >>> import chainrule
        >>> x = chainrule.ones(3)
        >>> x.add_(chainrule.tensor([1.0, 2.0, 3.0]), alpha=2)
        tensor([3., 5., 7.])
    """
    if _records(input, other):
        return _record(
            "add_",
            input,
            lambda old: add(old, _stand_in(other, input, old), alpha=alpha),
            other,
            save_input=False,
        )
    y = _operand("add_", input, other)
    return _ufunc("add_", np.add, input, y if alpha == 1 else np.multiply(y, alpha))


def sub_(input: Tensor, other: TensorLike, *, alpha: float = 1) -> Tensor:
    """``input -= alpha * other`` in place."""
    if (
        input.data.dtype == np.bool_
        or type(other) is bool
        or (isinstance(other, Tensor) and other.data.dtype == np.bool_)
    ):
        raise DTypeError(
            "sub_: subtraction with a bool tensor is not supported; use "
            "logical_not (~) or logical_xor instead"
        )
    if _records(input, other):
        return _record(
            "sub_",
            input,
            lambda old: sub(old, _stand_in(other, input, old), alpha=alpha),
            other,
            save_input=False,
        )
    y = _operand("sub_", input, other)
    return _ufunc("sub_", np.subtract, input, y if alpha == 1 else np.multiply(y, alpha))


def mul_(input: Tensor, other: TensorLike) -> Tensor:
    """``input *= other`` in place."""
    if _records(input, other):
        return _record("mul_", input, lambda old: mul(old, _stand_in(other, input, old)), other)
    return _ufunc("mul_", np.multiply, input, _operand("mul_", input, other))


def div_(input: Tensor, other: TensorLike) -> Tensor:
    """``input /= other`` in place (true division: integer inputs refuse, as in PyTorch)."""
    if input.data.dtype.kind != "f":
        _check_cast("div_", input, np.dtype(np.float32))
    if _records(input, other):
        return _record("div_", input, lambda old: div(old, _stand_in(other, input, old)), other)
    return _ufunc("div_", np.divide, input, _operand("div_", input, other))


def pow_(input: Tensor, exponent: TensorLike) -> Tensor:
    """``input **= exponent`` in place."""
    if _records(input, exponent):
        return _record(
            "pow_", input, lambda old: pow(old, _stand_in(exponent, input, old)), exponent
        )
    y = _operand("pow_", input, exponent)
    if input.data.dtype.kind != "f" and np.any(np.asarray(y) < 0):
        raise DTypeError(
            f"pow_: integers to negative integer powers are not allowed (input dtype {input.dtype})"
        )
    return _ufunc("pow_", np.power, input, y)


def neg_(input: Tensor) -> Tensor:
    """``input = -input`` in place."""
    if input.data.dtype == np.bool_:
        raise DTypeError(
            "neg_: negation of a bool tensor is not supported; use logical_not (~) instead"
        )
    if _records(input):
        return _record("neg_", input, neg, save_input=False)
    return _ufunc("neg_", np.negative, input)


# -- unary functions -------------------------------------------------------------------------
def _float_only(op: str, input: Tensor) -> None:
    if input.data.dtype.kind != "f":
        _check_cast(op, input, np.dtype(np.float32))


def exp_(input: Tensor) -> Tensor:
    """``input = exp(input)`` in place."""
    _float_only("exp_", input)
    if _records(input):
        return _record("exp_", input, lambda old: old.exp())
    return _ufunc("exp_", np.exp, input)


def sqrt_(input: Tensor) -> Tensor:
    """``input = sqrt(input)`` in place."""
    _float_only("sqrt_", input)
    if _records(input):
        return _record("sqrt_", input, lambda old: old.sqrt())
    return _ufunc("sqrt_", np.sqrt, input)


def abs_(input: Tensor) -> Tensor:
    """``input = |input|`` in place."""
    if _records(input):
        return _record("abs_", input, lambda old: old.abs())
    return _ufunc("abs_", np.abs, input)


def tanh_(input: Tensor) -> Tensor:
    """``input = tanh(input)`` in place."""
    _float_only("tanh_", input)
    if _records(input):
        return _record("tanh_", input, lambda old: old.tanh())
    return _ufunc("tanh_", np.tanh, input)


def sigmoid_(input: Tensor) -> Tensor:
    """``input = 1 / (1 + exp(-input))`` in place."""
    _float_only("sigmoid_", input)
    if _records(input):
        return _record("sigmoid_", input, lambda old: old.sigmoid())
    data = input.data
    if not data.flags.writeable:
        raise _write_error("sigmoid_", input)
    # sigmoid(x) = exp(-log(1 + exp(-x))): no overflow, and tiny values keep their precision.
    np.negative(data, out=data)
    np.logaddexp(0, data, out=data)
    np.negative(data, out=data)
    return _ufunc("sigmoid_", np.exp, input)


def relu_(input: Tensor) -> Tensor:
    """``input = max(input, 0)`` in place."""
    if _records(input):
        return _record("relu_", input, lambda old: old.relu())
    return _ufunc("relu_", np.maximum, input, input.data.dtype.type(0))


def clamp_(input: Tensor, min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
    """``input = min(max(input, min), max)`` in place; either bound may be None or a tensor."""
    if min is None and max is None:
        raise ValueError("clamp_: at least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    _check_cast("clamp_", input, result_type(input, *bounds))
    if _records(input, min, max):
        return _record("clamp_", input, lambda old: old.clamp(min, max), bounds[0])
    return _ufunc("clamp_", np.clip, input, _data(min), _data(max))


clip_ = clamp_


# -- filling and copying ---------------------------------------------------------------------
def fill_(input: Tensor, value: TensorLike) -> Tensor:
    """Every entry of ``input`` set to ``value`` (a number or a 0-d tensor), in place."""
    value = fill_value("fill_", input, value)
    if _records(input, value):
        return _record(
            "fill_",
            input,
            lambda old: IndexPut.apply(old, (Ellipsis,), value, False),
            save_input=False,
        )
    if not input.data.flags.writeable:
        raise _write_error("fill_", input)
    input.data[...] = value.data
    input._bump_version()
    return input


def zero_(input: Tensor) -> Tensor:
    """Every entry of ``input`` set to 0, in place."""
    return fill_(input, 0)


def copy_(input: Tensor, src: Tensor) -> Tensor:
    """``input``'s entries replaced by ``src``'s (broadcast to input's shape, cast to its dtype).

    Example:
        >>> import chainrule
        >>> x = chainrule.zeros(2, 2)
        >>> x.copy_(chainrule.tensor([1, 2]))
        tensor([[1., 2.],
                [1., 2.]])
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_: src must be a Tensor, got {type(src).__name__}")
    if _records(input, src):
        return _record(
            "copy_",
            input,
            lambda old: IndexPut.apply(old, (Ellipsis,), to_dtype(src, input.data.dtype), False),
            src,
            save_input=False,
        )
    try:
        np.copyto(input.data, src.data, casting="unsafe")
    except ValueError:
        raise _write_error("copy_", input, src) from None
    input._bump_version()
    return input


# -- indexed writes --------------------------------------------------------------------------
def put_(
    op: str, input: Tensor, index: tuple, values: TensorLike, accumulate: bool, cast: bool = False
) -> Tensor:
    """``input[index] = values`` (or ``+=``) in place: the mechanism behind setitem,
    index_put_ and scatter_. ``index`` is already parsed (a tuple NumPy understands)."""
    values = values_like(op, input, values, cast)
    if _records(input, values):
        return _record(
            op,
            input,
            lambda old: index_put_op(op, old, index, values, accumulate),
            values,
            save_input=False,
        )
    if not input.data.flags.writeable:
        raise _write_error(op, input)
    try:
        put(input.data, index, values.data, accumulate)
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor shape {tuple(input.shape)})") from None
    except ValueError:
        raise values_shape_error(op, input, index, values.data) from None
    input._bump_version()
    return input


def index_put_(
    input: Tensor, indices: tuple, values: TensorLike, accumulate: bool = False
) -> Tensor:
    """``input[indices] = values`` in place (``+=`` with ``accumulate``, repeats adding up).

    See :func:`chainrule.index_put` for the arguments.
    """
    return put_("index_put_", input, index_tensors("index_put_", indices), values, accumulate)


def masked_fill_(input: Tensor, mask: Tensor, value: TensorLike) -> Tensor:
    """``value`` written where the bool ``mask`` (broadcast to input's shape) is True."""
    mask_data = bool_mask("masked_fill_", mask, input.data.shape)
    value = fill_value("masked_fill_", input, value)
    if _records(input, value):
        return _record(
            "masked_fill_", input, lambda old: masked_fill(old, mask, value), save_input=False
        )
    if not input.data.flags.writeable:
        raise _write_error("masked_fill_", input)
    np.copyto(input.data, value.data, where=mask_data)
    input._bump_version()
    return input


def _scatter_(
    op: str, out_of_place, input: Tensor, dim: int, index: Tensor, src, accumulate: bool
) -> Tensor:
    if _records(input, src):
        return _record(
            op, input, lambda old: out_of_place(old, dim, index, src), src, save_input=False
        )
    if input.data.ndim == 0:  # written as a 1-element vector sharing input's memory
        check_dim(op, dim, 0)
        vector = _wrap(input.data.reshape(1))
        vector._vc = input._shared_version()
        src = src.reshape(1) if isinstance(src, Tensor) else src
        grid, values = scatter_args(op, vector, 0, index.reshape(1), src)
        put_(op, vector, grid, values, accumulate)
        return input
    grid, values = scatter_args(op, input, check_dim(op, dim, input.data.ndim), index, src)
    return put_(op, input, grid, values, accumulate)


def scatter_(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: TensorLike | None = None,
    *,
    value: TensorLike | None = None,
) -> Tensor:
    """In-place :func:`chainrule.scatter`: input[index[i][j]][j] = src[i][j] for dim 0."""
    src = value if src is None else src
    return _scatter_("scatter_", scatter, input, dim, index, src, False)


def scatter_add_(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """In-place :func:`chainrule.scatter_add`: input[index[i][j]][j] += src[i][j] for dim 0."""
    return _scatter_("scatter_add_", scatter_add, input, dim, index, src, True)
