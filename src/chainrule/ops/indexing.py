"""Indexing: ``x[index]``, ``x[index] = value``, gather, scatter, index_select, masked_fill, ...

Two primitives do all the work, and each is the other's derivative:
- ``Index``: out = x[index], with NumPy's rules (ints, slices, None and Ellipsis give a view).
- ``IndexPut``: out = x with out[index] = values, or += values with repeated indices adding up.
The gradient of Index scatter-adds into zeros (an IndexPut) and the gradient of IndexPut
gathers (an Index), so every op here has gradients of gradients. gather, scatter, index_select,
take_along_dim, masked_fill and masked_select are these two with a computed index.
"""

from __future__ import annotations

import numpy as np

from ..autograd.forward_ad import linear_jvp
from ..autograd.function import Function
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, _wrap
from .elementwise import to_dtype
from .shape import mark_view

__all__ = [
    "getitem",
    "setitem",
    "index_select",
    "gather",
    "scatter",
    "scatter_add",
    "masked_fill",
    "masked_select",
    "index_put",
    "take_along_dim",
    "nonzero",
]

TensorLike = Tensor | float | int | bool


def parse_index(op: str, index) -> tuple[tuple, bool]:
    """``index`` as a tuple NumPy understands (Tensors become arrays), and whether it is basic.

    Basic indices (ints, slices, None, Ellipsis) select a view; arrays copy. A 0-d integer
    tensor counts as an int, and a uint8 tensor as a bool mask, as in PyTorch.
    """
    if type(index) is not tuple:
        index = (index,)
    parsed, basic = [], True
    for item in index:
        kind = type(item)
        if kind is int or kind is slice or item is None or item is Ellipsis:
            parsed.append(item)
            continue
        if isinstance(item, Tensor):
            item = item.data
        elif isinstance(item, (np.integer, int)) and not isinstance(item, bool):
            parsed.append(int(item))
            continue
        elif isinstance(item, (list, tuple, bool, np.bool_)):
            item = np.asarray(item)
            if item.size == 0 and item.dtype.kind == "f":  # [] means "no elements"
                item = item.astype(np.int64)
        if not isinstance(item, np.ndarray):
            raise IndexError(
                f"{op}: only integers, slices, None, Ellipsis, lists and integer "
                f"or bool tensors are valid indices, got {type(item).__name__}"
            )
        if item.dtype.kind not in "iub":
            raise IndexError(
                f"{op}: tensors used as indices must be long, int, byte or bool "
                f"tensors, got dtype {item.dtype}"
            )
        if item.dtype.kind == "u":
            item = item.astype(np.bool_)
        elif item.dtype.kind == "i" and item.ndim == 0:
            parsed.append(int(item))
            continue
        parsed.append(item)
        basic = False
    return tuple(parsed), basic


def put(out: np.ndarray, index: tuple, values, accumulate: bool) -> None:
    """Write ``values`` into ``out[index]`` in place; with ``accumulate``, add (np.add.at)."""
    if not accumulate:
        out[index] = values
    elif any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in index):
        np.add.at(out, index, values)  # integer arrays may repeat an element: add each
    else:
        out[index] += values  # slices and masks select each element at most once


def _zero(like: Tensor) -> Tensor:
    return _wrap(np.zeros((), like.data.dtype))


class Index(Function):
    """out = x[index] (NumPy's indexing rules)."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.data.shape, index
        return x.data[index]

    @staticmethod
    def backward(ctx, grad):
        # Scatter-add into zeros: an element selected k times gets k gradients.
        zeros = _wrap(np.broadcast_to(np.zeros((), grad.data.dtype), ctx.shape))
        return IndexPut.apply(zeros, ctx.index, grad, True), None

    jvp = linear_jvp


def getitem(input: Tensor, index) -> Tensor:
    """``input[index]``: ints, slices (negative steps too), None, Ellipsis, integer arrays,
    lists or tensors (repeated indices add up in backward), bool masks, and mixtures.

    Basic indices (ints, slices, None, Ellipsis) return a view sharing memory with ``input``.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> x[1, ::-1]
        tensor([6., 5., 4.])
        >>> x[:, [0, 0]]
        tensor([[1., 1.],
                [4., 4.]])
    """
    index, basic = parse_index("getitem", index)
    if basic and Ellipsis not in index:
        index = (*index, Ellipsis)  # so that x[0] of a vector is a 0-d view, not a copy
    try:
        out = Index.apply(input, index)
    except IndexError as e:
        raise IndexError(f"getitem: {e} (tensor shape {tuple(input.shape)})") from None
    return mark_view(out, input) if basic else out


class IndexPut(Function):
    """out = x with out[index] = values, or out[index] += values when accumulating."""

    @staticmethod
    def forward(ctx, x, index, values, accumulate):
        ctx.index, ctx.accumulate, ctx.values_ndim = index, accumulate, values.data.ndim
        out = x.data.copy()
        put(out, index, values.data, accumulate)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_values = None
        if ctx.needs_input_grad[0]:
            # Overwritten elements no longer depend on x.
            grad_x = grad if ctx.accumulate else IndexPut.apply(grad, ctx.index, _zero(grad), False)
        if ctx.needs_input_grad[2]:
            grad_values = Index.apply(grad, ctx.index)
            extra = ctx.values_ndim - grad_values.data.ndim
            if extra > 0:  # NumPy lets values carry leading 1s; the engine sums the rest
                grad_values = grad_values.reshape((1,) * extra + grad_values.data.shape)
        return grad_x, None, grad_values, None

    jvp = linear_jvp  # linear in (x, values) jointly


def index_put_op(op: str, input: Tensor, index: tuple, values: Tensor, accumulate: bool) -> Tensor:
    """IndexPut.apply with NumPy's index and broadcast errors turned into ones naming `op`."""
    try:
        return IndexPut.apply(input, index, values, accumulate)
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor shape {tuple(input.shape)})") from None
    except ValueError:
        raise values_shape_error(op, input, index, values.data) from None


def values_shape_error(op: str, input: Tensor, index: tuple, values) -> ShapeError:
    target = input.data[index].shape
    return ShapeError(
        f"{op}: values of shape {tuple(np.shape(values))} cannot be broadcast to "
        f"the indexed shape {target} (tensor shape {tuple(input.shape)})"
    )


def index_tensors(op: str, indices) -> tuple:
    """The arrays of a tuple of index tensors (int64, int32 or bool), checked."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}: indices must be a tuple of tensors, got {type(indices).__name__}")
    out = []
    for i, t in enumerate(indices):
        if t is None:
            out.append(slice(None))
            continue
        data = t.data if isinstance(t, Tensor) else np.asarray(t)
        if data.dtype not in (np.int64, np.int32, np.bool_, np.uint8):
            raise DTypeError(
                f"{op}: indices must be int64 or bool tensors, but index {i} has dtype {data.dtype}"
            )
        out.append(data.astype(np.bool_) if data.dtype == np.uint8 else data)
    return tuple(out)


def values_like(op: str, input: Tensor, values: TensorLike, cast: bool = False) -> Tensor:
    """``values`` as a Tensor of input's dtype: a number is converted; a Tensor must match
    unless ``cast``."""
    if not isinstance(values, Tensor):
        return _wrap(np.asarray(values, dtype=input.data.dtype))
    if values.data.dtype != input.data.dtype:
        if not cast:
            raise DTypeError(
                f"{op}: values have dtype {values.dtype} but the tensor has dtype "
                f"{input.dtype}; they must match (convert with "
                f"values.to({input.dtype}))"
            )
        return to_dtype(values, input.data.dtype)
    return values


def index_put(
    input: Tensor, indices: tuple, values: TensorLike, accumulate: bool = False
) -> Tensor:
    """A copy of ``input`` with ``out[indices] = values`` (``+=`` when ``accumulate``, where
    repeated indices add up).

    Args:
        indices: a tuple of int64 or bool tensors, one per leading dimension.
        values: broadcast to the indexed shape; same dtype as ``input``.

    Example:
        >>> import chainrule
        >>> x = chainrule.zeros(3)
        >>> x.index_put((chainrule.tensor([0, 0, 2]),), chainrule.tensor(1.0), accumulate=True)
        tensor([2., 0., 1.])
    """
    index = index_tensors("index_put", indices)
    return index_put_op(
        "index_put", input, index, values_like("index_put", input, values), accumulate
    )


def setitem(input: Tensor, index, value: TensorLike) -> None:
    """``input[index] = value``, in place (``value`` is broadcast and cast to input's dtype).

    Recorded in input's history when gradients are on, as PyTorch does; see
    :mod:`chainrule.ops.inplace` for the rules (leaves that require grad refuse).

    Example:
        >>> import chainrule
        >>> x = chainrule.zeros(2, 3)
        >>> x[0, 1:] = 5
        >>> x
        tensor([[0., 5., 5.],
                [0., 0., 0.]])
    """
    from .inplace import put_  # inplace.py builds on this module: imported late, no cycle

    index, _ = parse_index("setitem", index)
    put_("setitem", input, index, value, False, cast=True)


def check_dim(op: str, dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis (a 0-d tensor takes 0 or -1), or an IndexError."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions "
            f"(expected in [{-n}, {n - 1}])"
        )
    return dim % n


def _check_bounds(op: str, index: np.ndarray, size: int, dim: int) -> None:
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")


def _long_index(op: str, index, allow_int32: bool = False) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index must be a Tensor, got {type(index).__name__}")
    if index.data.dtype != np.int64 and not (allow_int32 and index.data.dtype == np.int32):
        wanted = "int64 or int32" if allow_int32 else "int64"
        raise DTypeError(
            f"{op}: expected dtype {wanted} for index, got {index.dtype}; convert it with .long()"
        )
    return index.data


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``input`` at positions ``index`` (1-D) along ``dim``.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]).index_select(1, chainrule.tensor([1, 1]))
        tensor([[2., 2.],
                [4., 4.]])
    """
    data = _long_index("index_select", index, allow_int32=True)
    if data.ndim > 1:
        raise ShapeError(f"index_select: index must be 0-d or 1-D, got shape {tuple(index.shape)}")
    dim = check_dim("index_select", dim, input.data.ndim)
    if input.data.ndim == 0:
        return _on_vector(index_select, input, dim, index)
    _check_bounds("index_select", data, input.data.shape[dim], dim)
    return Index.apply(input, (slice(None),) * dim + (data.reshape(-1),))


def _dim_grid(op: str, input: Tensor, dim: int, index, src_shape=None) -> tuple:
    """The advanced index that gather/scatter along ``dim`` use: index itself along ``dim``,
    and positions 0..n-1 along every other dimension of ``index``."""
    data = _long_index(op, index)
    ndim = input.data.ndim
    if data.ndim != ndim:
        raise ShapeError(
            f"{op}: index must have as many dimensions as input, got index shape "
            f"{tuple(index.shape)} and input shape {tuple(input.shape)}"
        )
    for d, n in enumerate(data.shape):
        if d != dim and n > input.data.shape[d]:
            raise ShapeError(
                f"{op}: index shape {tuple(index.shape)} is larger than input shape "
                f"{tuple(input.shape)} in dimension {d} (only dim {dim} may be)"
            )
        if src_shape is not None and n > src_shape[d]:
            raise ShapeError(
                f"{op}: index shape {tuple(index.shape)} is larger than src shape "
                f"{tuple(src_shape)} in dimension {d}"
            )
    _check_bounds(op, data, input.data.shape[dim], dim)
    return tuple(
        data if d == dim else np.arange(n).reshape((n,) + (1,) * (ndim - d - 1))
        for d, n in enumerate(data.shape)
    )


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0 (and likewise for other dims).

    ``index`` (int64) has input's number of dimensions and is no larger in any other dim.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.gather(1, chainrule.tensor([[1, 0], [1, 1]]))
        tensor([[2., 1.],
                [4., 4.]])
    """
    if input.data.ndim == 0:
        return _on_vector(gather, input, dim, index)
    dim = check_dim("gather", dim, input.data.ndim)
    return Index.apply(input, _dim_grid("gather", input, dim, index))


def scatter_args(op: str, input: Tensor, dim: int, index: Tensor, src) -> tuple:
    """The advanced index and the values (src's leading block, or a number) of a scatter."""
    if isinstance(src, Tensor):
        if src.data.dtype != input.data.dtype:
            raise DTypeError(
                f"{op}: src has dtype {src.dtype} but input has dtype "
                f"{input.dtype}; they must match"
            )
        if src.data.ndim != input.data.ndim:
            raise ShapeError(
                f"{op}: src must have as many dimensions as input, got src shape "
                f"{tuple(src.shape)} and input shape {tuple(input.shape)}"
            )
        grid = _dim_grid(op, input, dim, index, src.data.shape)
        if src.data.shape != index.data.shape:  # only src's leading block is used
            src = Index.apply(src, tuple(slice(0, n) for n in index.data.shape))
        return grid, src
    return _dim_grid(op, input, dim, index), values_like(op, input, src)


def _on_vector(fn, input: Tensor, dim: int, index: Tensor, *src) -> Tensor:
    """fn on 0-d tensors, run as on 1-element vectors (PyTorch accepts dim 0 or -1 there)."""
    check_dim(fn.__name__, dim, 0)
    src = [s.reshape(1) if isinstance(s, Tensor) else s for s in src]
    return fn(input.reshape(1), 0, index.reshape(1), *src).reshape(())


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: TensorLike | None = None,
    *,
    value: TensorLike | None = None,
) -> Tensor:
    """A copy of ``input`` with out[index[i][j]][j] = src[i][j] for dim 0 (likewise others).

    ``src`` may be a tensor (same dtype, at least index's size) or a number (``value=``).
    Where ``index`` repeats a position the written value is unspecified, as in PyTorch.

    Example:
        >>> import chainrule
        >>> chainrule.zeros(3).scatter(0, chainrule.tensor([2, 0]), chainrule.tensor([5.0, 6.0]))
        tensor([6., 0., 5.])
    """
    src = value if src is None else src
    if src is None:
        raise TypeError("scatter: give src (a tensor or number) or value")
    if input.data.ndim == 0:
        return _on_vector(scatter, input, dim, index, src)
    dim = check_dim("scatter", dim, input.data.ndim)
    grid, src = scatter_args("scatter", input, dim, index, src)
    return index_put_op("scatter", input, grid, src, False)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with out[index[i][j]][j] += src[i][j] for dim 0 (repeats add up).

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2).scatter_add(0, chainrule.tensor([1, 1, 0]), chainrule.ones(3))
        tensor([1., 2.])
    """
    if input.data.ndim == 0:
        return _on_vector(scatter_add, input, dim, index, src)
    dim = check_dim("scatter_add", dim, input.data.ndim)
    grid, src = scatter_args("scatter_add", input, dim, index, src)
    return index_put_op("scatter_add", input, grid, src, True)


def bool_mask(op: str, mask, shape: tuple[int, ...]) -> np.ndarray:
    """``mask``'s array broadcast to ``shape``; it must be a bool tensor."""
    data = mask.data if isinstance(mask, Tensor) else None
    if data is None or data.dtype != np.bool_:
        got = f"dtype {mask.dtype}" if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"{op}: only bool masks are supported, got a mask with {got}")
    if data.shape == shape:
        return data
    try:
        return np.broadcast_to(data, shape)
    except ValueError:
        raise ShapeError(
            f"{op}: mask of shape {tuple(data.shape)} cannot be broadcast to the "
            f"tensor's shape {tuple(shape)}"
        ) from None


def fill_value(op: str, input: Tensor, value: TensorLike) -> Tensor:
    """A number, or a 0-d tensor cast to input's dtype (differentiably)."""
    if isinstance(value, Tensor) and value.data.ndim:
        raise ShapeError(
            f"{op}: only a 0-dimensional value tensor is supported, got one of "
            f"shape {tuple(value.shape)}"
        )
    return values_like(op, input, value, cast=True)


def _broadcast_with(op: str, input: Tensor, mask) -> Tensor:
    if isinstance(mask, Tensor) and mask.data.shape != input.data.shape:
        try:
            shape = np.broadcast_shapes(input.data.shape, mask.data.shape)
        except ValueError:
            raise ShapeError(
                f"{op}: mask of shape {tuple(mask.shape)} and input of shape "
                f"{tuple(input.shape)} cannot be broadcast together"
            ) from None
        if shape != input.data.shape:
            return input.expand(shape)
    return input


def masked_fill(input: Tensor, mask: Tensor, value: TensorLike) -> Tensor:
    """A copy of ``input`` with ``value`` where the bool ``mask`` (broadcast) is True.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([1.0, 2.0, 3.0])
        >>> x.masked_fill(x > 1.5, 0.0)
        tensor([1., 0., 0.])
    """
    input = _broadcast_with("masked_fill", input, mask)
    mask = bool_mask("masked_fill", mask, input.data.shape)
    return IndexPut.apply(input, (mask,), fill_value("masked_fill", input, value), False)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The entries of ``input`` where the bool ``mask`` (broadcast) is True, as a 1-D tensor.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> chainrule.masked_select(x, chainrule.tensor([True, False]))
        tensor([1., 3.])
    """
    input = _broadcast_with("masked_select", input, mask)
    return Index.apply(input, (bool_mask("masked_select", mask, input.data.shape),))


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """out = input gathered at ``indices`` along ``dim`` (both broadcast in the other dims);
    with ``dim=None``, ``input`` and ``indices`` are flattened first.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
        >>> chainrule.take_along_dim(x, x.argmax(dim=1, keepdim=True), dim=1)
        tensor([[30.],
                [60.]])
    """
    data = _long_index("take_along_dim", indices)
    if dim is None:
        return gather(input.reshape(-1), 0, _wrap(data.reshape(-1)))
    if data.ndim != input.data.ndim:
        raise ShapeError(
            f"take_along_dim: input and indices must have the same number of "
            f"dimensions, got shapes {tuple(input.shape)} and "
            f"{tuple(indices.shape)}"
        )
    dim = check_dim("take_along_dim", dim, input.data.ndim)
    in_shape, ix_shape = list(input.data.shape), list(data.shape)
    in_shape[dim] = ix_shape[dim] = 1
    try:
        shape = list(np.broadcast_shapes(tuple(in_shape), tuple(ix_shape)))
    except ValueError:
        raise ShapeError(
            f"take_along_dim: input of shape {tuple(input.shape)} and indices of "
            f"shape {tuple(indices.shape)} cannot be broadcast together outside "
            f"dim {dim}"
        ) from None
    shape[dim] = input.data.shape[dim]
    input = input.expand(tuple(shape))
    shape[dim] = data.shape[dim]
    return gather(input, dim, _wrap(np.broadcast_to(data, tuple(shape))))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The positions of the non-zero entries: an int64 tensor of shape (n, ndim), or with
    ``as_tuple`` one 1-D tensor per dimension. Carries no gradient.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[0.0, 1.0], [2.0, 0.0]]).nonzero()
        tensor([[0, 1],
                [1, 0]])
    """
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(input.data)))
    return _wrap(np.argwhere(input.data).astype(np.int64))
