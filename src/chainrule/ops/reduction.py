"""Reductions over one or more dimensions: sum, mean, prod, max, var, logsumexp, norm, ...

``dim`` is an int, a tuple or list of ints, or None for every dimension (an empty tuple also
means every dimension, as in PyTorch, except for all/any); ``keepdim`` keeps reduced dimensions
with size 1. Rules reshape the gradient to the keepdim shape and let it broadcast back.
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from ..autograd.forward_ad import linear_jvp
from ..autograd.function import Function
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, _wrap
from .elementwise import float_operand

__all__ = ["sum", "sum_to_size", "mean", "prod", "max", "min", "amax", "amin", "argmax",
           "argmin", "var", "std", "logsumexp", "norm", "cumsum", "all", "any"]

# What max(dim) and min(dim) return, like torch.return_types.max: a tuple with named fields.
_MaxResult = namedtuple("max", ("values", "indices"))
_MinResult = namedtuple("min", ("values", "indices"))


def normalize_dims(op: str, dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int, or a tuple/list of ints) as a sorted tuple of axes in [0, ndim).

    None and an empty tuple mean every dimension; a 0-d tensor accepts dim 0 and -1.
    """
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, checked in one step
        return (dim % ndim,)
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    bound = builtins.max(ndim, 1)
    out: list[int] = []
    for d in dims:
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -bound <= d < bound:
            raise ShapeError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions "
                             f"(expected in [{-bound}, {bound - 1}])")
        if int(d) % bound in out:
            raise ShapeError(f"{op}: dim {int(d) % bound} appears more than once in "
                             f"dim={tuple(dims)} (tensor of {ndim} dimensions)")
        out.append(int(d) % bound)
    return tuple(sorted(out)) if ndim else ()


def _one_dim(op: str, dim, ndim: int) -> int:
    """A single dim (ops such as max(dim), argmax and cumsum take exactly one), non-negative."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be a single int, got {dim!r}")
    return normalize_dims(op, dim, ndim)[0] if ndim else 0


def _require_nonempty(op: str, shape: tuple[int, ...], dims: tuple[int, ...]) -> None:
    for d in dims:
        if shape[d] == 0:
            raise ShapeError(f"{op}: cannot reduce dim {d} of size 0 (input shape {shape}): "
                             f"the operation has no identity element")


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    """`shape` with the reduced `dims` set to 1 (the keepdim=True shape)."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _kept(grad: Tensor | np.ndarray, ctx) -> Tensor | np.ndarray:
    """The gradient of a reduction's output (a Tensor, or its array in a NumPy rule) in the
    keepdim shape, ready to broadcast back."""
    return grad if ctx.keepdim else grad.reshape(kept_shape(ctx.shape, ctx.dims))


def _const(array: np.ndarray, dtype: np.dtype) -> Tensor:
    """A constant tensor (a mask or a count): no gradient flows into it."""
    return _wrap(np.asarray(array, dtype=dtype))


def _integer_as_int64(input: Tensor, dtype) -> Tensor:
    """Apply ``dtype``; otherwise bool and integer inputs accumulate in int64, as PyTorch."""
    if dtype is not None:
        return input.to(dtype)
    if input.data.dtype.kind in "bui" and input.data.dtype != np.int64:
        return input.long()
    return input


def _reduction_jvp(ctx, tangent, *_):
    """Tangent of a reduction: sum over the reduced dims of d out/d x_i * t_i, where
    d out/d x_i is the backward rule applied to ones."""
    partials = ctx._fn.backward(ctx, _wrap(np.ones_like(ctx.out.data)))[0]
    return Sum.apply(partials * tangent, ctx.dims, ctx.keepdim)


class Sum(Function):
    """out = sum of x over dims."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.data.shape, dims, keepdim
        return np.sum(x.data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _kept(grad, ctx).expand(ctx.shape), None, None  # d sum = 1 for every element

    @staticmethod
    def backward_numpy(ctx, grad):
        return _wrap(np.broadcast_to(_kept(grad.data, ctx), ctx.shape)), None, None

    jvp = linear_jvp


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dimensions when None). Bool and integer inputs sum as int64.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    input = _integer_as_int64(input, dtype)
    return Sum.apply(input, normalize_dims("sum", dim, input.data.ndim), keepdim)


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum ``input`` down to the broadcastable shape ``size`` (the reverse of expand)."""
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    extra = input.data.ndim - len(shape)
    if extra < 0 or builtins.any(s != 1 and s != n
                                 for s, n in zip(shape, input.data.shape[extra:], strict=True)):
        raise ShapeError(f"sum_to_size: shape {tuple(input.shape)} cannot be summed to "
                         f"{tuple(shape)} (it must be broadcastable to the input's shape)")
    dims = tuple(range(extra)) + tuple(
        extra + i for i, s in enumerate(shape) if s == 1 and input.data.shape[extra + i] != 1)
    if not dims:
        return input
    out = Sum.apply(input, dims, True)
    return out.reshape(shape) if extra else out


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Arithmetic mean over ``dim``: sum / n. The mean of no elements is nan.

    Args:
        dtype: convert the input first; integer inputs need it (or ``.float()``), as in PyTorch.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(dim=1)
        tensor([1.5000, 4.0000])
    """
    if dtype is not None:
        input = input.to(dtype)
    if input.data.dtype.kind != "f":
        raise DTypeError(f"mean: input dtype must be floating point, got {input.dtype}; pass "
                         f"dtype=chainrule.float32 or call .float() first")
    dims = normalize_dims("mean", dim, input.data.ndim)
    n = math.prod(input.data.shape[d] for d in dims)
    total = Sum.apply(input, dims, keepdim)
    return total / n if n else total * math.nan


class Prod(Function):
    """out = product of x over dims.

    A primitive for accuracy: d out/d x_i = out / x_i divides by zero where x_i = 0, so where
    the input has zeros the rule builds the product of the other elements instead.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.data.shape, dims, keepdim
        out = np.asarray(np.prod(x.data, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        zero = x.data == 0
        if not zero.any():
            return _kept(grad, ctx) * _kept(out, ctx) / x, None, None  # d prod/dx_i = prod/x_i
        return _kept(grad, ctx) * _product_of_others(x, zero, ctx.dims), None, None

    jvp = staticmethod(_reduction_jvp)


def _product_of_others(x: Tensor, zero: np.ndarray, dims: tuple[int, ...]) -> Tensor:
    """prod_{j != i} x_j over each reduced slice, without dividing by the zeros of x.

    In a slice with k zeros, q the product of its non-zeros and s the sum of its zeros (0 in
    value, but differentiable), the product of the elements other than x_i is
        x_i != 0:  q / x_i * (1 if k == 0, s if k == 1, 0 if k >= 2)
        x_i == 0:  q       * (1 if k == 1, s - x_i if k == 2, 0 if k >= 3)
    This has the right value and the right first derivative, so gradgrad is exact as well.
    """
    dtype = x.data.dtype
    k = np.sum(zero, axis=dims, keepdims=True)
    nonzero = x * _const(~zero, dtype) + _const(zero, dtype)  # the zeros as constant ones
    q = Prod.apply(nonzero, dims, True)  # no zeros left: the division rule applies
    s = Sum.apply(x * _const(zero, dtype), dims, True)
    one = np.where(zero, k == 1, k == 0)
    with_s = np.where(zero, k == 2, k == 1)
    factor = _const(one, dtype) + _const(with_s, dtype) * s - _const(zero & (k == 2), dtype) * x
    return q / nonzero * factor


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of the elements over ``dim`` (all when None). Bool and integer inputs give int64.

    The gradient is exact where the input has zeros (no division by zero).

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(dim=1)
        tensor([ 2., 12.])
    """
    input = _integer_as_int64(input, dtype)
    return Prod.apply(input, normalize_dims("prod", dim, input.data.ndim), keepdim)


class Amax(Function):
    """out = largest element of x over dims; tied maxima share the gradient evenly (PyTorch).

    A primitive for speed: one NumPy reduction, where a composition needs a mask and five ops.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return _extremum(ctx, x, dims, keepdim, np.max)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        hit = x.data == _kept(out, ctx).data  # the positions that attain the extremum
        with np.errstate(invalid="ignore", divide="ignore"):  # nan input: nan, as PyTorch
            share = hit / np.sum(hit, axis=ctx.dims, keepdims=True)
        return _kept(grad, ctx) * _const(share, x.data.dtype), None, None

    jvp = staticmethod(_reduction_jvp)


class Amin(Amax):
    """out = smallest element of x over dims; tied minima share the gradient evenly."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return _extremum(ctx, x, dims, keepdim, np.min)


def _extremum(ctx, x: Tensor, dims, keepdim: bool, reduce) -> np.ndarray:
    ctx.shape, ctx.dims, ctx.keepdim = x.data.shape, dims, keepdim
    out = np.asarray(reduce(x.data, axis=dims, keepdims=keepdim))
    ctx.save_for_backward(x, out)
    return out


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The largest element over ``dim`` (all when empty or None); ties share the gradient.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=1)
        tensor([5., 7.])
    """
    dims = normalize_dims("amax", dim, input.data.ndim)
    _require_nonempty("amax", input.data.shape, dims)
    return Amax.apply(input, dims, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The smallest element over ``dim`` (all when empty or None); ties share the gradient.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(dim=1)
        tensor([1., 2.])
    """
    dims = normalize_dims("amin", dim, input.data.ndim)
    _require_nonempty("amin", input.data.shape, dims)
    return Amin.apply(input, dims, keepdim)


class Selection(Function):
    """out = the elements of x at ``indices`` along ``dim``: the values of max(dim), min(dim).

    The gradient goes to the selected elements only. ``indices`` has the keepdim shape.
    """

    @staticmethod
    def forward(ctx, x, indices, dim, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim, ctx.indices = x.data.shape, (dim,), keepdim, indices
        out = np.take_along_axis(x.data, indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.dims[0]
        positions = np.arange(ctx.shape[dim]).reshape((-1,) + (1,) * (len(ctx.shape) - dim - 1))
        chosen = _const(positions == ctx.indices, grad.data.dtype)
        return _kept(grad, ctx) * chosen, None, None, None

    jvp = linear_jvp  # linear in x for the fixed indices


def _select(op: str, input: Tensor, dim, keepdim: bool):
    if dim is None:  # the whole tensor: ties share the gradient, as PyTorch's max()
        if input.data.size == 0:
            raise ShapeError(f"{op}: the input is empty (shape {tuple(input.shape)}); give a "
                             f"dim to reduce over")
        return (Amax if op == "max" else Amin).apply(input, tuple(range(input.data.ndim)), False)
    if isinstance(dim, Tensor):  # max(input, other) is the elementwise maximum
        from .. import ops

        return ops.maximum(input, dim) if op == "max" else ops.minimum(input, dim)
    d = _one_dim(op, dim, input.data.ndim)
    x = input if input.data.ndim else input.reshape(1)
    _require_nonempty(op, x.data.shape, (d,))
    # The first extremum when there are ties, as PyTorch on the CPU.
    arg = np.argmax if op == "max" else np.argmin
    indices = arg(x.data, axis=d, keepdims=True).astype(np.int64, copy=False)
    values = Selection.apply(x, indices, d, keepdim)
    if not keepdim:
        indices = indices.squeeze(d)
    if not input.data.ndim:
        values, indices = values.reshape(()), indices.reshape(())
    return (_MaxResult if op == "max" else _MinResult)(values, _wrap(indices))


def max(input: Tensor, dim=None, keepdim: bool = False):
    """The largest element, or with ``dim`` the named tuple ``(values, indices)`` along it.

    Without ``dim`` tied maxima share the gradient (as :func:`amax`); with ``dim`` the gradient
    goes to the element at ``indices``, the first maximum. ``max(input, other)`` with a tensor
    ``other`` is :func:`maximum`.

    Example:
        >>> import chainrule
        >>> values, indices = chainrule.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
        >>> values, indices
        (tensor([5., 7.]), tensor([1, 0]))
    """
    return _select("max", input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """The smallest element, or with ``dim`` the named tuple ``(values, indices)`` along it.

    Ties behave as in :func:`max`. ``min(input, other)`` with a tensor is :func:`minimum`.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0).indices
        tensor([0, 1])
    """
    return _select("min", input, dim, keepdim)


def _arg(op: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    data = input.data
    arg = np.argmax if op == "argmax" else np.argmin
    if dim is None:  # an index into the flattened tensor
        _require_nonempty(op, data.shape, tuple(range(data.ndim)))
        out = np.asarray(arg(data), dtype=np.int64)
        return _wrap(out.reshape((1,) * data.ndim) if keepdim else out)
    d = _one_dim(op, dim, data.ndim)
    if not data.ndim:
        return _wrap(np.zeros((), dtype=np.int64))
    _require_nonempty(op, data.shape, (d,))
    return _wrap(arg(data, axis=d, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index (int64) of the first maximum along ``dim``, or in the flattened tensor if None.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax()
        tensor(2)
    """
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index (int64) of the first minimum along ``dim``, or in the flattened tensor if None.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(dim=1)
        tensor([0, 1])
    """
    return _arg("argmin", input, dim, keepdim)


def _variance(op: str, input: Tensor, dim, unbiased, correction, keepdim: bool) -> Tensor:
    """sum((x - mean)²) / (N - correction) over ``dim``, the arguments checked as PyTorch."""
    if isinstance(dim, bool):  # var(x, True): PyTorch's legacy var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise ValueError(f"{op}: give either unbiased or correction, not both")
    if input.data.dtype.kind != "f":
        raise DTypeError(f"{op}: only floating point inputs are supported, got {input.dtype}; "
                         f"call .float() first")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = normalize_dims(op, dim, input.data.ndim)
    n = math.prod(input.data.shape[d] for d in dims)
    diff = input - mean(input, dims, keepdim=True)
    total = Sum.apply(diff * diff, dims, keepdim)
    if n - correction > 0:
        return total / (n - correction)
    warnings.warn(f"{op}: degrees of freedom is <= 0 ({n} elements, correction {correction}); "
                  f"the result is nan or inf", stacklevel=3)
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / 0


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Variance over ``dim``: sum((x - mean)²) / (N - correction).

    Args:
        unbiased: the older form of ``correction``: True means 1, False means 0.
        correction: subtracted from the number of elements N; 1 (Bessel's) by default.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([1.0, 2.0, 4.0]).var(correction=0)
        tensor(1.5556)
    """
    return _variance("var", input, dim, unbiased, correction, keepdim)


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Standard deviation over ``dim``: sqrt(var). Where it is 0 its gradient is 0 (PyTorch).

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1)
        tensor([1.4142, 0.0000])
    """
    return _root(_variance("std", input, dim, unbiased, correction, keepdim), 2)


def _root(s: Tensor, p: float) -> Tensor:
    """s ** (1/p) for s >= 0, whose gradient is 0 where s == 0 (not inf * 0 = nan): PyTorch's
    choice for norms and std. Masking keeps that piecewise rule differentiable."""
    zero = s.data == 0
    if not zero.any():
        return s.sqrt() if p == 2 else s ** (1 / p)
    dtype = s.data.dtype
    safe = s + _const(zero, dtype)  # 1 where s == 0, so the root's derivative is finite there
    return (safe.sqrt() if p == 2 else safe ** (1 / p)) * _const(~zero, dtype)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim``, without overflow.

    Subtracting the (detached) max m leaves the value unchanged and keeps exp() <= 1; an
    infinite m is replaced by 0, so that inf - inf never appears.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([1000.0, 1000.0]).logsumexp(dim=0)
        tensor(1000.6932)
    """
    input = float_operand(input)
    dims = normalize_dims("logsumexp", dim, input.data.ndim)
    shape = input.data.shape
    m = input.detach().amax(dims, keepdim=True) if input.data.size else None
    if m is not None and np.isfinite(m.data).all():
        out = sum((input - m).exp(), dims, keepdim=True).log() + m
    else:  # an empty or all -inf slice sums to 0, and log(0) = -inf is right there
        finite = np.zeros(kept_shape(shape, dims), input.data.dtype) if m is None else \
            np.where(np.isinf(m.data), np.zeros_like(m.data), m.data)
        m = _wrap(finite)
        with np.errstate(divide="ignore"):
            out = sum((input - m).exp(), dims, keepdim=True).log() + m
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(shape) if i not in dims))


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over ``dim`` (every element when None): (sum |x|^p)^(1/p).

    Args:
        p: "fro" or 2 (Euclidean), 1, inf (max |x|), -inf (min |x|), 0 (the number of
            non-zeros) or any other number. The gradient of a norm that is 0 is 0, as PyTorch.
        dtype: convert the input first.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[3.0, -4.0], [1.0, 0.0]]).norm(dim=1)
        tensor([5., 1.])
    """
    if dtype is not None:
        input = input.to(dtype)
    if input.data.dtype.kind != "f":
        raise DTypeError(f"norm: only floating point inputs are supported, got {input.dtype}; "
                         f"call .float() first")
    if p is None:
        p = 2
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: p={p!r} is not supported; use 'fro' or a number (the "
                             f"nuclear norm 'nuc' is not implemented)")
        if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) > 2:
            raise ShapeError(f"norm: p='fro' takes at most 2 dims, got dim={dim} (input "
                             f"shape {tuple(input.shape)}); use p=2 for a vector norm")
        p = 2
    dims = normalize_dims("norm", dim, input.data.ndim)
    if p == 2:
        return _root(Sum.apply(input * input, dims, keepdim), 2)
    if p == 0:  # piecewise constant: a zero gradient, as PyTorch
        count = np.sum(input.data != 0, axis=dims, keepdims=keepdim)
        return Sum.apply(input * 0, dims, keepdim) + _const(count, input.data.dtype)
    magnitude = input.abs()
    if p == math.inf:
        return amax(magnitude, dims, keepdim)
    if p == -math.inf:
        return amin(magnitude, dims, keepdim)
    if p == 1:
        return Sum.apply(magnitude, dims, keepdim)
    return _root(Sum.apply(magnitude ** p, dims, keepdim), p)


class Cumsum(Function):
    """out_i = x_0 + ... + x_i along dim (x_i + ... + x_n-1 when reverse).

    A primitive for speed: one NumPy pass, and the gradient is a cumulative sum the other way.
    """

    @staticmethod
    def forward(ctx, x, dim, reverse):
        ctx.dim, ctx.reverse = dim, reverse
        if not reverse:
            return np.cumsum(x.data, axis=dim)
        return np.flip(np.cumsum(np.flip(x.data, dim), axis=dim), dim)

    @staticmethod
    def backward(ctx, grad):
        return Cumsum.apply(grad, ctx.dim, not ctx.reverse), None, None

    jvp = linear_jvp


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim``. Bool and integer inputs accumulate in int64.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([1.0, 2.0, 3.0]).cumsum(0)
        tensor([1., 3., 6.])
    """
    input = _integer_as_int64(input, dtype)
    d = _one_dim("cumsum", dim, input.data.ndim)
    if not input.data.ndim:
        return Cumsum.apply(input.reshape(1), 0, False).reshape(())
    return Cumsum.apply(input, d, False)


def _logical(op: str, reduce, input: Tensor, dim, keepdim: bool) -> Tensor:
    data = input.data
    empty = dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0
    dims = () if empty else normalize_dims(op, dim, data.ndim)  # all(dim=()) reduces nothing
    out = np.asarray(reduce(data, axis=dims, keepdims=keepdim))
    return _wrap(out.astype(np.uint8) if data.dtype == np.uint8 else out)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element over ``dim`` is non-zero (uint8 for uint8 input). No gradient.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 0.0], [2.0, 3.0]]).all(dim=1)
        tensor([False,  True])
    """
    return _logical("all", np.all, input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element over ``dim`` is non-zero (uint8 for uint8 input). No gradient.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 0.0], [0.0, 0.0]]).any(dim=1)
        tensor([ True, False])
    """
    return _logical("any", np.any, input, dim, keepdim)
