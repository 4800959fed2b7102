"""Shape ops: reshape, transpose, expand, cat, split, pad, ...

Ops that NumPy can do as a view return a view; their outputs share the input's version counter,
so an in-place change through either one is seen by autograd.

Seven primitives do all the work, in adjoint pairs where one exists: Reshape (its own adjoint),
Expand (summed back by the engine), Permute (the inverse permutation), Cat and Split (each the
other's backward), Flip (its own adjoint) and Clone. The rest is composed from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..autograd.forward_ad import linear_jvp
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor, _wrap
from .elementwise import promote

__all__ = [
    "reshape",
    "view",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "transpose",
    "swapaxes",
    "t",
    "permute",
    "movedim",
    "expand",
    "expand_as",
    "repeat",
    "tile",
    "flip",
    "roll",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "pad",
    "contiguous",
    "clone",
]


def mark_view(out: Tensor, base: Tensor) -> Tensor:
    """Record that `out` shares memory with `base`: one version counter, and the base."""
    out._vc = base._shared_version()
    out._base = base if base._base is None else base._base
    return out


def _size_args(sizes) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike, as PyTorch does."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = sizes[0]
    return tuple(map(int, sizes))


def _dim(op: str, dim: int, ndim: int, extra: int = 0) -> int:
    """`dim` wrapped into [0, ndim + extra); extra=1 for the positions a new dim may take.

    A 0-d tensor accepts dim 0 and -1, as in PyTorch.
    """
    n = max(ndim + extra, 1)
    if not -n <= dim < n:
        raise ShapeError(
            f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions "
            f"(expected a dim in [{-n}, {n - 1}])"
        )
    return int(dim) % n


def _dims(op: str, dims, ndim: int) -> tuple[int, ...]:
    """An int or a sequence of dims, wrapped and checked for repeats."""
    out = tuple(_dim(op, d, ndim) for d in ((dims,) if isinstance(dims, int) else dims))
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: dims {tuple(dims)} name a dimension more than once")
    return out


class Reshape(Function):
    """out = x with a new shape (same elements, same order)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.data.shape
        return x.data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None

    @staticmethod
    def backward_numpy(ctx, grad):
        return _wrap(grad.data.reshape(ctx.shape)), None

    jvp = linear_jvp


def infer_shape(op: str, shape: tuple[int, ...], input: Tensor) -> tuple[int, ...]:
    """`shape` with its one -1 filled in, or a ShapeError naming the input's size."""
    size = input.data.size
    if -1 not in shape:  # the common case, kept cheap: reshape is everywhere
        if math.prod(shape) == size and (not shape or min(shape) >= 0):
            return shape
    elif shape.count(-1) == 1 and min(shape) == -1:
        known = -math.prod(shape)  # the product of the other sizes
        if known and not size % known:
            return tuple(size // known if n == -1 else n for n in shape)
    raise ShapeError(
        f"{op}: shape {tuple(shape)} is invalid for input of size {size} "
        f"(shape {tuple(input.shape)})"
    )


def _reshape(input: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Reshape to a checked `shape`; the result is a view exactly when NumPy made one."""
    data = input.data
    if shape == data.shape:
        return input
    out = Reshape.apply(input, shape)
    if data.flags.c_contiguous or np.may_share_memory(out.data, data):
        mark_view(out, input)
    return out


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape; one dimension may be -1. A view when possible.

    Example:
        >>> import chainrule
        >>> chainrule.arange(6).reshape(2, -1)
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    return _reshape(input, infer_shape("reshape", _size_args(shape), input))


def view(input: Tensor, *shape) -> Tensor:
    """Like :func:`reshape`, but always a view: raises where the strides need a copy.

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3).view(6).shape
        (6,)
    """
    shape = infer_shape("view", _size_args(shape), input)
    data = input.data
    if (
        not data.flags.c_contiguous
        and data.size
        and not np.may_share_memory(data.reshape(shape), data)
    ):
        raise ShapeError(
            f"view: shape {shape} is not compatible with the strides of the input "
            f"(shape {tuple(input.shape)}, not contiguous); use .reshape(...) "
            f"instead"
        )
    return _reshape(input, shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims ``start_dim`` .. ``end_dim`` merged into one. A 0-d input gives shape (1,).

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3, 4).flatten(1).shape
        (2, 12)
    """
    shape = input.data.shape
    if not shape:
        return _reshape(input, (1,))
    start = _dim("flatten", start_dim, len(shape))
    end = _dim("flatten", end_dim, len(shape))
    if start > end:
        raise ShapeError(
            f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim} "
            f"(a tensor of {len(shape)} dimensions)"
        )
    return _reshape(input, (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :]))


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dim ``dim`` split into ``sizes`` (one may be -1); the reverse of :func:`flatten`.

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 12).unflatten(1, (3, -1)).shape
        (2, 3, 4)
    """
    shape = input.data.shape
    d = _dim("unflatten", dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    n = shape[d]
    known = math.prod(s for s in sizes if s != -1)
    unknown = sizes.count(-1)
    if (
        not sizes
        or unknown > 1
        or any(s < -1 for s in sizes)
        or (unknown and (known == 0 or n % known))
        or (not unknown and known != n)
    ):
        raise ShapeError(
            f"unflatten: sizes {sizes} do not multiply to the size {n} of dim "
            f"{dim} (input shape {tuple(shape)})"
        )
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return _reshape(input, (*shape[:d], *sizes, *shape[d + 1 :]))


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Size-1 dims removed: all of them, or those among ``dim`` (others are kept, no error).

    Example:
        >>> import chainrule
        >>> chainrule.zeros(1, 2, 1).squeeze().shape
        (2,)
    """
    shape = input.data.shape
    if dim is None:
        return _reshape(input, tuple(n for n in shape if n != 1))
    dims = _dims("squeeze", dim, len(shape))
    return _reshape(input, tuple(n for i, n in enumerate(shape) if n != 1 or i not in dims))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A size-1 dim inserted at position ``dim`` (negative counts from the new end).

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3).unsqueeze(-1).shape
        (2, 3, 1)
    """
    shape = input.data.shape
    d = _dim("unsqueeze", dim, len(shape), extra=1)
    return _reshape(input, (*shape[:d], 1, *shape[d:]))


class Permute(Function):
    """out = x with its dims reordered (a view): out.shape[i] = x.shape[dims[i]]."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.data.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, _inverse(ctx.dims)), None

    @staticmethod
    def backward_numpy(ctx, grad):
        return _wrap(grad.data.transpose(_inverse(ctx.dims))), None

    jvp = linear_jvp


def _inverse(dims: tuple[int, ...]) -> list[int]:
    """The permutation that undoes ``dims``."""
    return sorted(range(len(dims)), key=dims.__getitem__)


def permute(input: Tensor, *dims) -> Tensor:
    """A view with dims reordered: ``out.shape[i] == input.shape[dims[i]]``.

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
    """
    ndim = input.data.ndim
    dims = _size_args(dims)
    if len(dims) != ndim:
        raise ShapeError(
            f"permute: got {len(dims)} dims {dims} for a tensor of {ndim} "
            f"dimensions (shape {tuple(input.shape)})"
        )
    order = _dims("permute", dims, ndim)
    if order == tuple(range(ndim)):
        return input
    return mark_view(Permute.apply(input, order), input)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dims ``dim0`` and ``dim1`` swapped.

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3, 4).transpose(0, -1).shape
        (4, 3, 2)
    """
    ndim = input.data.ndim
    order = list(range(ndim))
    a, b = _dim("transpose", dim0, ndim), _dim("transpose", dim1, ndim)
    if a == b or ndim < 2:
        return input
    order[a], order[b] = b, a
    return mark_view(Permute.apply(input, tuple(order)), input)


swapaxes = transpose


def t(input: Tensor) -> Tensor:
    """A matrix transposed; 0-d and 1-d tensors come back as they are.

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3).t().shape
        (3, 2)
    """
    if input.data.ndim > 2:
        raise ShapeError(
            f"t: expects a tensor with <= 2 dimensions, got {input.data.ndim} "
            f"(shape {tuple(input.shape)}); use transpose(dim0, dim1) or .mT"
        )
    return transpose(input, 0, -1)


def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """A view with dims ``source`` moved to positions ``destination``; the rest keep order.

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3, 4).movedim(0, -1).shape
        (3, 4, 2)
    """
    ndim = input.data.ndim
    src, dst = _dims("movedim", source, ndim), _dims("movedim", destination, ndim)
    if len(src) != len(dst):
        raise ShapeError(
            f"movedim: source {source} and destination {destination} must name "
            f"the same number of dims"
        )
    order = [None] * ndim
    for s, d in zip(src, dst, strict=True):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    return permute(input, [next(rest) if d is None else d for d in order])


class Expand(Function):
    """out = x broadcast to a larger shape (a read-only view)."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x.data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine sums the broadcast gradient back to x's shape

    jvp = linear_jvp


def expand(input: Tensor, *sizes) -> Tensor:
    """``input`` broadcast to ``sizes``; -1 keeps a dimension. No memory is copied.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1], [2]]).expand(2, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    sizes = _size_args(sizes)
    lead = len(sizes) - input.data.ndim
    if lead < 0:
        raise ShapeError(
            f"expand: the number of sizes {len(sizes)} must be at least the "
            f"number of dimensions {input.data.ndim} (shape {tuple(input.shape)})"
        )
    shape = tuple(n if n != -1 else input.data.shape[i - lead] for i, n in enumerate(sizes))
    for have, want in zip(input.data.shape, shape[lead:], strict=True):
        if have != want and have != 1:
            raise ShapeError(
                f"expand: shape {tuple(input.shape)} cannot be expanded to "
                f"{shape} (a dimension can only grow from size 1)"
            )
    if shape == input.data.shape:
        return input
    return mark_view(Expand.apply(input, shape), input)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` expanded to ``other``'s shape. See :func:`expand`."""
    return expand(input, other.shape)


def repeat(input: Tensor, *sizes) -> Tensor:
    """``input`` repeated ``sizes[i]`` times along dim i (leading sizes add new dims). A copy.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    sizes = _size_args(sizes)
    if len(sizes) < input.data.ndim or any(s < 0 for s in sizes):
        raise ShapeError(
            f"repeat: sizes {sizes} must be non-negative and at least as many as "
            f"the {input.data.ndim} dimensions of the input (shape "
            f"{tuple(input.shape)})"
        )
    shape = (1,) * (len(sizes) - input.data.ndim) + input.data.shape
    # (n0, n1) -> (1, n0, 1, n1) -> expand to (r0, n0, r1, n1) -> copy -> (r0*n0, r1*n1)
    pairs = _reshape(input, tuple(x for n in shape for x in (1, n)))
    pairs = expand(pairs, tuple(x for r, n in zip(sizes, shape, strict=True) for x in (r, n)))
    return _reshape(clone(pairs), tuple(r * n for r, n in zip(sizes, shape, strict=True)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Like :func:`repeat`, but ``dims`` shorter than ``input.ndim`` is padded with leading 1s.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1, 2]]).tile((2,))
        tensor([[1, 2, 1, 2]])
    """
    dims = _size_args((dims,))
    return repeat(input, (1,) * (input.data.ndim - len(dims)) + dims)


class Flip(Function):
    """out = x reversed along dims, as a copy (PyTorch's flip does not alias its input).

    A primitive: reversal cannot be built from reshapes, permutes and splits; it is its own
    adjoint.
    """

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x.data, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return flip(grad, ctx.dims), None

    jvp = linear_jvp


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """The elements in reverse order along each of ``dims``.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1, 2], [3, 4]]).flip(1)
        tensor([[2, 1],
                [4, 3]])
    """
    dims = _dims("flip", dims, input.data.ndim)
    return Flip.apply(input, dims if input.data.ndim else ())


def roll(
    input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims``, wrapping around; over the flattened
    tensor when ``dims`` is None.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
    """
    if dims is None:
        shift = _size_args((shifts,)) if not isinstance(shifts, int) else (shifts,)
        if len(shift) != 1:
            raise ShapeError(f"roll: shifts {shifts} must be a single int when dims is None")
        return _reshape(roll(flatten(input), shift[0], 0), input.data.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    out = input
    for shift, dim in zip(shifts, dims, strict=True):
        d = _dim("roll", dim, input.data.ndim)
        n = input.data.shape[d] if input.data.ndim else 1
        shift = shift % n if n else 0
        if shift:
            head, tail = split(out, [n - shift, shift], d)
            out = cat([tail, head], d)
    return clone(out) if out is input else out


class Cat(Function):
    """out = xs joined along an existing dim (cat), or along a new one (stack)."""

    @staticmethod
    def forward(ctx, dim, new_dim, *xs):
        ctx.dim, ctx.new_dim = dim, new_dim
        arrays = [x.data for x in xs]
        if new_dim:
            return np.stack(arrays, dim)
        ctx.sizes = [a.shape[dim] for a in arrays]
        return np.concatenate(arrays, dim)

    @staticmethod
    def backward(ctx, grad):
        pieces = unbind(grad, ctx.dim) if ctx.new_dim else split(grad, ctx.sizes, ctx.dim)
        return (None, None, *pieces)

    jvp = linear_jvp


def _tensor_list(op: str, tensors) -> list[Tensor]:
    """`tensors` as a list, checked, and promoted to one dtype if they differ."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of Tensors")
    dtypes = set()
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"{op}: expected a sequence of Tensors, got {type(x).__name__} at position {i}"
            )
        dtypes.add(x.data.dtype)
    return list(promote(*tensors)) if len(dtypes) > 1 else tensors


def _shapes(tensors: list[Tensor]) -> str:
    return ", ".join(str(tuple(x.shape)) for x in tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """``tensors`` joined along ``dim``; shapes must match except there. Dtypes are promoted.

    As in PyTorch, 1-d empty tensors (shape (0,)) are skipped whatever the other shapes.

    Example:
        >>> import chainrule
        >>> chainrule.cat([chainrule.zeros(1, 2), chainrule.ones(1, 2)], dim=1)
        tensor([[0., 0., 1., 1.]])
    """
    tensors = _tensor_list("cat", tensors)
    first = (0,)
    for x in tensors:
        if x.data.shape != (0,):
            first = x.data.shape
            break
    d = _dim("cat", dim, len(first))
    for i, x in enumerate(tensors):
        shape = x.data.shape
        if shape == first and shape:
            continue
        if not shape:
            raise ShapeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be "
                f"concatenated; use stack, or unsqueeze it first"
            )
        if len(shape) == len(first) and shape[:d] == first[:d] and shape[d + 1 :] == first[d + 1 :]:
            continue
        if shape == (0,):  # skipped for shape checks: joined as an empty slab
            tensors[i] = _reshape(x, (*first[:d], 0, *first[d + 1 :]))
            continue
        raise ShapeError(
            f"cat: tensors must have the same shape except in dim {dim}, got "
            f"shapes {_shapes(tensors)}"
        )
    return Cat.apply(d, False, *tensors)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """``tensors`` (all of one shape) joined along a new dim ``dim``. Dtypes are promoted.

    Example:
        >>> import chainrule
        >>> chainrule.stack([chainrule.zeros(2), chainrule.ones(2)], dim=1)
        tensor([[0., 1.],
                [0., 1.]])
    """
    tensors = _tensor_list("stack", tensors)
    first = tensors[0].data.shape
    if any(x.data.shape != first for x in tensors):
        raise ShapeError(
            f"stack: expects each tensor to be equal size, got shapes {_shapes(tensors)}"
        )
    return Cat.apply(_dim("stack", dim, len(first), extra=1), True, *tensors)


class Split(Function):
    """outs = views of consecutive pieces of x along dim (of `sizes`), or every slice of it
    with dim removed (unbind)."""

    @staticmethod
    def forward(ctx, x, sizes, dim, unbind):
        ctx.dim, ctx.unbind = dim, unbind
        lead = (slice(None),) * dim
        data = x.data
        if unbind:
            return tuple(data[(*lead, i)] for i in range(data.shape[dim]))
        pieces, start = [], 0
        for n in sizes:
            pieces.append(data[(*lead, slice(start, start + n))])
            start += n
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        grad = stack(grads, ctx.dim) if ctx.unbind else cat(grads, ctx.dim)
        return grad, None, None, None

    jvp = linear_jvp


def _split(op: str, input: Tensor, sizes, dim: int, unbind: bool = False) -> tuple[Tensor, ...]:
    if not input.data.ndim:
        raise ShapeError(f"{op}: expects a tensor with at least 1 dimension, got shape ()")
    pieces = Split.apply(input, tuple(sizes), dim, unbind)
    for piece in pieces:
        mark_view(piece, input)
    return pieces


def split(
    input: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """Views of ``input`` cut along ``dim``: pieces of one size (the last may be smaller), or
    of the listed sizes, which must sum to ``input.shape[dim]``.

    Example:
        >>> import chainrule
        >>> chainrule.arange(5).split([2, 3])
        (tensor([0, 1]), tensor([2, 3, 4]))
    """
    shape = input.data.shape
    d = _dim("split", dim, len(shape))
    n = shape[d] if shape else 0
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise ShapeError(
                f"split: split_size must be positive (0 only for an empty dim), "
                f"got {size} for dim {dim} of size {n}"
            )
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else []
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(
                f"split: sections {sizes} must be non-negative and sum to the "
                f"size {n} of dim {dim} (input shape {tuple(shape)})"
            )
    return _split("split", input, sizes, d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``input`` split into ``chunks`` views of ceil(n / chunks) along ``dim`` (maybe fewer).

    Example:
        >>> import chainrule
        >>> [c.shape for c in chainrule.zeros(5).chunk(3)]
        [(2,), (2,), (1,)]
    """
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    shape = input.data.shape
    d = _dim("chunk", dim, len(shape))
    n = shape[d] if shape else 0
    if n == 0:
        return _split("chunk", input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Every slice of ``input`` along ``dim``, that dim removed (views).

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1, 2], [3, 4]]).unbind(1)
        (tensor([1, 3]), tensor([2, 4]))
    """
    return _split("unbind", input, (), _dim("unbind", dim, input.data.ndim), unbind=True)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view ``input[..., start:start + length, ...]`` along ``dim``; start may be negative.

    Example:
        >>> import chainrule
        >>> chainrule.arange(5).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    shape = input.data.shape
    d = _dim("narrow", dim, len(shape))
    n = shape[d] if shape else 0
    begin = start + n if start < 0 else start
    if not 0 <= begin <= n or length < 0 or begin + length > n:
        raise ShapeError(
            f"narrow: start {start} and length {length} do not fit in dim {dim} "
            f"of size {n} (input shape {tuple(shape)})"
        )
    return _split("narrow", input, (begin, length, n - begin - length), d)[1]


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """``input`` padded: ``pad`` = (left, right) for the last dim, then the one before, ...

    Modes: 'constant' (``value``; negative pads crop), 'reflect' (mirror, edge excluded; pads
    must be smaller than the dim), 'replicate' (repeat the edge) and 'circular' (wrap around).
    Unlike PyTorch, non-constant modes accept any number of padded dims.

    Example:
        >>> import chainrule
        >>> chainrule.pad(chainrule.tensor([[1, 2, 3]]), (2, 1), mode="reflect")
        tensor([[3, 2, 1, 2, 3, 2]])
    """
    pads = tuple(int(p) for p in pad)
    ndim = input.data.ndim
    if len(pads) % 2 or len(pads) > 2 * ndim:
        raise ShapeError(
            f"pad: the pad tuple {pads} must have an even length of at most "
            f"2 * ndim = {2 * ndim} (input shape {tuple(input.shape)})"
        )
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    out = input
    for i in range(len(pads) // 2):
        out = _pad_dim(out, ndim - 1 - i, pads[2 * i], pads[2 * i + 1], mode, value)
    return clone(out) if out is input else out


def _pad_dim(x: Tensor, d: int, left: int, right: int, mode: str, value: float) -> Tensor:
    """`x` padded along dim `d` by `left` and `right`, composed from narrow, flip and cat."""
    n = x.data.shape[d]
    where = f"padding ({left}, {right}) of dim {d} of size {n} (shape {tuple(x.shape)})"
    if mode == "constant" and (left < 0 or right < 0):  # a negative pad crops
        if n + min(left, 0) + min(right, 0) < 0:
            raise ShapeError(f"pad: {where} would make the dim negative")
        x = narrow(x, d, max(-left, 0), n + min(left, 0) + min(right, 0))
        left, right, n = max(left, 0), max(right, 0), x.data.shape[d]
    elif left < 0 or right < 0:
        raise ShapeError(f"pad: {where}: negative padding needs mode='constant'")
    elif mode == "reflect" and (left >= n or right >= n):
        raise ShapeError(f"pad: {where}: reflect padding must be smaller than the dim")
    elif mode == "replicate" and n == 0:
        raise ShapeError(f"pad: {where}: cannot replicate the edge of an empty dim")
    elif mode == "circular" and (left > n or right > n):
        raise ShapeError(f"pad: {where}: circular padding must not exceed the dim")
    parts = [x]
    if left:
        parts.insert(0, _pad_side(x, d, left, mode, value, before=True))
    if right:
        parts.append(_pad_side(x, d, right, mode, value, before=False))
    return cat(parts, d) if len(parts) > 1 else x


def _pad_side(x: Tensor, d: int, width: int, mode: str, value: float, before: bool) -> Tensor:
    """The `width` slices that go before (or after) `x` along dim `d`."""
    n = x.data.shape[d]
    shape = (*x.data.shape[:d], width, *x.data.shape[d + 1 :])
    if mode == "constant":
        return _wrap(np.full(shape, value, dtype=x.data.dtype))
    if mode == "reflect":  # the mirror image, without the edge itself
        return flip(narrow(x, d, 1 if before else n - 1 - width, width), d)
    if mode == "replicate":
        return expand(narrow(x, d, 0 if before else n - 1, 1), shape)
    return narrow(x, d, n - width if before else 0, width)  # circular: the other end


class Clone(Function):
    """out = a copy of x. A primitive: no other op copies memory without changing values."""

    @staticmethod
    def forward(ctx, x):
        return x.data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad

    jvp = linear_jvp


def clone(input: Tensor) -> Tensor:
    """A copy of ``input`` with its own memory, still in the graph.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([1.0, 2.0], requires_grad=True).clone()
        tensor([1., 2.], grad_fn=<CloneBackward0>)
    """
    return Clone.apply(input)


def contiguous(input: Tensor) -> Tensor:
    """``input`` itself if it is C-contiguous, else a contiguous copy (see :func:`clone`).

    Example:
        >>> import chainrule
        >>> x = chainrule.zeros(2, 3)
        >>> x.contiguous() is x, x.t().contiguous() is x
        (True, False)
    """
    return input if input.data.flags.c_contiguous else clone(input)
