"""Shape ops: reshape, transpose, expand, cat, split, pad, ...

Ops that NumPy can do as a view return a view; their outputs share the input's version counter,
so an in-place change through either one is seen by autograd.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor

__all__ = ["reshape", "view", "expand"]


def mark_view(out: Tensor, base: Tensor) -> Tensor:
    """Record that `out` shares memory with `base`: one version counter, and the base."""
    out._vc = base._shared_version()
    out._base = base if base._base is None else base._base
    return out


def _size_args(sizes) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike, as PyTorch does."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        return tuple(int(s) for s in sizes[0])
    return tuple(int(s) for s in sizes)


class Reshape(Function):
    """out = x with a new shape (same elements, same order)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.data.shape
        return x.data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def infer_shape(op: str, shape: tuple[int, ...], input: Tensor) -> tuple[int, ...]:
    """`shape` with its one -1 filled in, or a ShapeError naming the input's size."""
    size = input.data.size
    known = int(np.prod([n for n in shape if n != -1]))
    unknown = shape.count(-1)
    if unknown > 1 or any(n < -1 for n in shape) or \
            (unknown and (known == 0 or size % known)) or (not unknown and known != size):
        raise ShapeError(f"{op}: shape {tuple(shape)} is invalid for input of size {size} "
                         f"(shape {tuple(input.shape)})")
    return tuple(size // known if n == -1 else n for n in shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape; one dimension may be -1. A view when possible."""
    shape = infer_shape("reshape", _size_args(shape), input)
    if shape == input.data.shape:
        return input
    return mark_view(Reshape.apply(input, shape), input)


view = reshape


class Expand(Function):
    """out = x broadcast to a larger shape (a read-only view)."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x.data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine sums the broadcast gradient back to x's shape


def expand(input: Tensor, *sizes) -> Tensor:
    """``input`` broadcast to ``sizes``; -1 keeps a dimension. No memory is copied."""
    sizes = _size_args(sizes)
    lead = len(sizes) - input.data.ndim
    if lead < 0:
        raise ShapeError(f"expand: the number of sizes {len(sizes)} must be at least the "
                         f"number of dimensions {input.data.ndim} (shape {tuple(input.shape)})")
    shape = tuple(n if n != -1 else input.data.shape[i - lead] for i, n in enumerate(sizes))
    for have, want in zip(input.data.shape, shape[lead:]):
        if have != want and have != 1:
            raise ShapeError(f"expand: shape {tuple(input.shape)} cannot be expanded to "
                             f"{shape} (a dimension can only grow from size 1)")
    if shape == input.data.shape:
        return input
    return mark_view(Expand.apply(input, shape), input)
