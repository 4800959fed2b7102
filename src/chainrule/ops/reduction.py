"""Reductions over one or more dimensions: sum, mean, max, var, logsumexp, norm, ...

``dim`` is an int, a tuple of ints, or None for every dimension; ``keepdim`` keeps reduced
dimensions with size 1. Gradients are expanded back to the input's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor

__all__ = ["sum", "sum_to_size"]


def normalize_dims(op: str, dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, int or tuple) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise ShapeError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions "
                             f"(expected in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        out.append(d % max(ndim, 1) if ndim else 0)
    return tuple(sorted(set(out))) if ndim else ()


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    """`shape` with the reduced `dims` set to 1 (the keepdim=True shape)."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class Sum(Function):
    """out = sum of x over dims."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.data.shape, dims, keepdim
        return np.sum(x.data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            grad = grad.reshape(kept_shape(ctx.shape, ctx.dims))
        return grad.expand(ctx.shape), None, None  # d sum = 1 for every element


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dimensions when None). Bool and integer inputs sum as int64.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    if dtype is not None:
        input = input.to(dtype)
    elif input.data.dtype.kind in "bui" and input.data.dtype != np.int64:
        input = input.long()
    return Sum.apply(input, normalize_dims("sum", dim, input.data.ndim), keepdim)


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum ``input`` down to the broadcastable shape ``size`` (the reverse of expand)."""
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    extra = input.data.ndim - len(shape)
    if extra < 0 or any(s != 1 and s != n for s, n in zip(shape, input.data.shape[extra:])):
        raise ShapeError(f"sum_to_size: shape {tuple(input.shape)} cannot be summed to "
                         f"{tuple(shape)} (it must be broadcastable to the input's shape)")
    dims = tuple(range(extra)) + tuple(
        extra + i for i, s in enumerate(shape) if s == 1 and input.data.shape[extra + i] != 1)
    if not dims:
        return input
    out = Sum.apply(input, dims, True)
    return out.reshape(shape) if extra else out
