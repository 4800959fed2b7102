"""A Tensor's operations as methods, each a delegation to :mod:`chainrule.ops`.

:class:`chainrule.Tensor` inherits them from :class:`TensorOps`; ``tensor.py`` keeps the data
and the autograd metadata. No maths lives here. ``_ops`` and ``_random`` are set by
``tensor.py`` once those packages exist: the one import cycle of the package (ops need Tensor,
Tensor's methods are ops) is broken there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tensor import Tensor

_ops = _random = None  # chainrule.ops and chainrule.random, set at the end of tensor.py


class TensorOps:
    """The op methods of Tensor (``x.exp()``, ``x + y``, ``x[i]``, ``x.sum(dim)`` ...)."""

    __slots__ = ()

    def exp(self) -> Tensor:
        """See :func:`chainrule.exp`."""
        return _ops.exp(self)

    def log(self) -> Tensor:
        """See :func:`chainrule.log`."""
        return _ops.log(self)

    def log1p(self) -> Tensor:
        """See :func:`chainrule.log1p`."""
        return _ops.log1p(self)

    def expm1(self) -> Tensor:
        """See :func:`chainrule.expm1`."""
        return _ops.expm1(self)

    def sqrt(self) -> Tensor:
        """See :func:`chainrule.sqrt`."""
        return _ops.sqrt(self)

    def rsqrt(self) -> Tensor:
        """See :func:`chainrule.rsqrt`."""
        return _ops.rsqrt(self)

    def abs(self) -> Tensor:
        """See :func:`chainrule.abs`."""
        return _ops.abs(self)

    def sign(self) -> Tensor:
        """See :func:`chainrule.sign`."""
        return _ops.sign(self)

    def sin(self) -> Tensor:
        """See :func:`chainrule.sin`."""
        return _ops.sin(self)

    def cos(self) -> Tensor:
        """See :func:`chainrule.cos`."""
        return _ops.cos(self)

    def tan(self) -> Tensor:
        """See :func:`chainrule.tan`."""
        return _ops.tan(self)

    def tanh(self) -> Tensor:
        """See :func:`chainrule.tanh`."""
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        """See :func:`chainrule.sigmoid`."""
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        """See :func:`chainrule.relu`."""
        return _ops.relu(self)

    def erf(self) -> Tensor:
        """See :func:`chainrule.erf`."""
        return _ops.erf(self)

    def reciprocal(self) -> Tensor:
        """See :func:`chainrule.reciprocal`."""
        return _ops.reciprocal(self)

    def floor(self) -> Tensor:
        """See :func:`chainrule.floor`."""
        return _ops.floor(self)

    def ceil(self) -> Tensor:
        """See :func:`chainrule.ceil`."""
        return _ops.ceil(self)

    def square(self) -> Tensor:
        """See :func:`chainrule.square`."""
        return _ops.square(self)

    def neg(self) -> Tensor:
        """See :func:`chainrule.neg`."""
        return _ops.neg(self)

    def isnan(self) -> Tensor:
        """See :func:`chainrule.isnan`."""
        return _ops.isnan(self)

    def isfinite(self) -> Tensor:
        """See :func:`chainrule.isfinite`."""
        return _ops.isfinite(self)

    def logical_not(self) -> Tensor:
        """See :func:`chainrule.logical_not`."""
        return _ops.logical_not(self)

    def t(self) -> Tensor:
        """See :func:`chainrule.t`."""
        return _ops.t(self)

    def contiguous(self) -> Tensor:
        """See :func:`chainrule.contiguous`."""
        return _ops.contiguous(self)

    def clone(self) -> Tensor:
        """See :func:`chainrule.clone`."""
        return _ops.clone(self)

    def trace(self) -> Tensor:
        """See :func:`chainrule.trace`."""
        return _ops.trace(self)

    def mul(self, other) -> Tensor:
        """See :func:`chainrule.mul`."""
        return _ops.mul(self, other)

    def minimum(self, other) -> Tensor:
        """See :func:`chainrule.minimum`."""
        return _ops.minimum(self, other)

    def maximum(self, other) -> Tensor:
        """See :func:`chainrule.maximum`."""
        return _ops.maximum(self, other)

    def eq(self, other) -> Tensor:
        """See :func:`chainrule.eq`."""
        return _ops.eq(self, other)

    def ne(self, other) -> Tensor:
        """See :func:`chainrule.ne`."""
        return _ops.ne(self, other)

    def lt(self, other) -> Tensor:
        """See :func:`chainrule.lt`."""
        return _ops.lt(self, other)

    def le(self, other) -> Tensor:
        """See :func:`chainrule.le`."""
        return _ops.le(self, other)

    def gt(self, other) -> Tensor:
        """See :func:`chainrule.gt`."""
        return _ops.gt(self, other)

    def ge(self, other) -> Tensor:
        """See :func:`chainrule.ge`."""
        return _ops.ge(self, other)

    def logical_and(self, other) -> Tensor:
        """See :func:`chainrule.logical_and`."""
        return _ops.logical_and(self, other)

    def logical_or(self, other) -> Tensor:
        """See :func:`chainrule.logical_or`."""
        return _ops.logical_or(self, other)

    def logical_xor(self, other) -> Tensor:
        """See :func:`chainrule.logical_xor`."""
        return _ops.logical_xor(self, other)

    def matmul(self, other) -> Tensor:
        """See :func:`chainrule.matmul`."""
        return _ops.matmul(self, other)

    def mm(self, other) -> Tensor:
        """See :func:`chainrule.mm`."""
        return _ops.mm(self, other)

    def bmm(self, other) -> Tensor:
        """See :func:`chainrule.bmm`."""
        return _ops.bmm(self, other)

    def outer(self, other) -> Tensor:
        """See :func:`chainrule.outer`."""
        return _ops.outer(self, other)

    def dot(self, other) -> Tensor:
        """See :func:`chainrule.dot`."""
        return _ops.dot(self, other)

    def floor_divide(self, other) -> Tensor:
        """See :func:`chainrule.floor_divide`."""
        return _ops.floor_divide(self, other)

    def remainder(self, other) -> Tensor:
        """See :func:`chainrule.remainder`."""
        return _ops.remainder(self, other)

    def add(self, other, *, alpha=1) -> Tensor:
        """See :func:`chainrule.add`."""
        return _ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1) -> Tensor:
        """See :func:`chainrule.sub`."""
        return _ops.sub(self, other, alpha=alpha)

    def div(self, other, *, rounding_mode=None) -> Tensor:
        """See :func:`chainrule.div`."""
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent) -> Tensor:
        """See :func:`chainrule.pow`."""
        return _ops.pow(self, exponent)

    def clamp(self, min=None, max=None) -> Tensor:
        """See :func:`chainrule.clamp`."""
        return _ops.clamp(self, min, max)

    def clip(self, min=None, max=None) -> Tensor:
        """See :func:`chainrule.clamp`."""
        return _ops.clamp(self, min, max)

    def where(self, condition, other) -> Tensor:
        """See :func:`chainrule.where`."""
        return _ops.where(condition, self, other)

    def lerp(self, end, weight) -> Tensor:
        """See :func:`chainrule.lerp`."""
        return _ops.lerp(self, end, weight)

    def round(self, decimals: int = 0) -> Tensor:
        """See :func:`chainrule.round`."""
        return _ops.round(self, decimals=decimals)

    def softmax(self, dim: int) -> Tensor:
        """See :func:`chainrule.softmax`."""
        return _ops.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        """See :func:`chainrule.log_softmax`."""
        return _ops.log_softmax(self, dim)

    def sum(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.sum`."""
        return _ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.mean`."""
        return _ops.mean(self, dim, keepdim)

    def amax(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.amax`."""
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.amin`."""
        return _ops.amin(self, dim, keepdim)

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.all`."""
        return _ops.all(self, dim, keepdim)

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.any`."""
        return _ops.any(self, dim, keepdim)

    def prod(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.prod`."""
        return _ops.prod(self, dim, keepdim)

    def argmax(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.argmax`."""
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.argmin`."""
        return _ops.argmin(self, dim, keepdim)

    def max(self, dim=None, keepdim: bool = False):
        """See :func:`chainrule.max`."""
        return _ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        """See :func:`chainrule.min`."""
        return _ops.min(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
        """See :func:`chainrule.var`."""
        return _ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
        """See :func:`chainrule.std`."""
        return _ops.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.logsumexp`."""
        return _ops.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim: bool = False) -> Tensor:
        """See :func:`chainrule.norm`."""
        return _ops.norm(self, p, dim, keepdim)

    def cumsum(self, dim: int) -> Tensor:
        """See :func:`chainrule.cumsum`."""
        return _ops.cumsum(self, dim)

    def sum_to_size(self, *size) -> Tensor:
        """See :func:`chainrule.sum_to_size`."""
        return _ops.sum_to_size(self, *size)

    def reshape(self, *shape) -> Tensor:
        """See :func:`chainrule.reshape`."""
        return _ops.reshape(self, *shape)

    def view(self, *shape) -> Tensor:
        """See :func:`chainrule.view`."""
        return _ops.view(self, *shape)

    def view_as(self, other) -> Tensor:
        """See :func:`chainrule.view`."""
        return _ops.view(self, other.shape)

    def reshape_as(self, other) -> Tensor:
        """See :func:`chainrule.reshape`."""
        return _ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """See :func:`chainrule.flatten`."""
        return _ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes) -> Tensor:
        """See :func:`chainrule.unflatten`."""
        return _ops.unflatten(self, dim, sizes)

    def squeeze(self, dim=None) -> Tensor:
        """See :func:`chainrule.squeeze`."""
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        """See :func:`chainrule.unsqueeze`."""
        return _ops.unsqueeze(self, dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """See :func:`chainrule.transpose`."""
        return _ops.transpose(self, dim0, dim1)

    def swapaxes(self, dim0: int, dim1: int) -> Tensor:
        """See :func:`chainrule.transpose`."""
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims) -> Tensor:
        """See :func:`chainrule.permute`."""
        return _ops.permute(self, *dims)

    def movedim(self, source, destination) -> Tensor:
        """See :func:`chainrule.movedim`."""
        return _ops.movedim(self, source, destination)

    def expand(self, *sizes) -> Tensor:
        """See :func:`chainrule.expand`."""
        return _ops.expand(self, *sizes)

    def expand_as(self, other) -> Tensor:
        """See :func:`chainrule.expand`."""
        return _ops.expand(self, other.shape)

    def repeat(self, *sizes) -> Tensor:
        """See :func:`chainrule.repeat`."""
        return _ops.repeat(self, *sizes)

    def tile(self, dims) -> Tensor:
        """See :func:`chainrule.tile`."""
        return _ops.tile(self, dims)

    def flip(self, dims) -> Tensor:
        """See :func:`chainrule.flip`."""
        return _ops.flip(self, dims)

    def roll(self, shifts, dims=None) -> Tensor:
        """See :func:`chainrule.roll`."""
        return _ops.roll(self, shifts, dims)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
        """See :func:`chainrule.split`."""
        return _ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """See :func:`chainrule.chunk`."""
        return _ops.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """See :func:`chainrule.unbind`."""
        return _ops.unbind(self, dim)

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """See :func:`chainrule.narrow`."""
        return _ops.narrow(self, dim, start, length)

    def __getitem__(self, index) -> Tensor:
        """See :func:`chainrule.getitem`."""
        return _ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        """See :func:`chainrule.setitem`."""
        return _ops.setitem(self, index, value)

    def index_select(self, dim: int, index) -> Tensor:
        """See :func:`chainrule.index_select`."""
        return _ops.index_select(self, dim, index)

    def gather(self, dim: int, index) -> Tensor:
        """See :func:`chainrule.gather`."""
        return _ops.gather(self, dim, index)

    def scatter(self, dim: int, index, src) -> Tensor:
        """See :func:`chainrule.scatter`."""
        return _ops.scatter(self, dim, index, src)

    def scatter_add(self, dim: int, index, src) -> Tensor:
        """See :func:`chainrule.scatter_add`."""
        return _ops.scatter_add(self, dim, index, src)

    def masked_fill(self, mask, value) -> Tensor:
        """See :func:`chainrule.masked_fill`."""
        return _ops.masked_fill(self, mask, value)

    def index_put(self, indices, values, accumulate: bool = False) -> Tensor:
        """See :func:`chainrule.index_put`."""
        return _ops.index_put(self, indices, values, accumulate)

    def take_along_dim(self, indices, dim=None) -> Tensor:
        """See :func:`chainrule.take_along_dim`."""
        return _ops.take_along_dim(self, indices, dim)

    def nonzero(self, *, as_tuple: bool = False):
        """See :func:`chainrule.nonzero`."""
        return _ops.nonzero(self, as_tuple=as_tuple)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """See :func:`chainrule.diagonal`."""
        return _ops.diagonal(self, offset, dim1, dim2)

    def tril(self, diagonal: int = 0) -> Tensor:
        """See :func:`chainrule.tril`."""
        return _ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """See :func:`chainrule.triu`."""
        return _ops.triu(self, diagonal)

    def neg_(self) -> Tensor:
        """See :func:`chainrule.neg_`."""
        return _ops.neg_(self)

    def exp_(self) -> Tensor:
        """See :func:`chainrule.exp_`."""
        return _ops.exp_(self)

    def sigmoid_(self) -> Tensor:
        """See :func:`chainrule.sigmoid_`."""
        return _ops.sigmoid_(self)

    def tanh_(self) -> Tensor:
        """See :func:`chainrule.tanh_`."""
        return _ops.tanh_(self)

    def relu_(self) -> Tensor:
        """See :func:`chainrule.relu_`."""
        return _ops.relu_(self)

    def zero_(self) -> Tensor:
        """See :func:`chainrule.zero_`."""
        return _ops.zero_(self)

    def sqrt_(self) -> Tensor:
        """See :func:`chainrule.sqrt_`."""
        return _ops.sqrt_(self)

    def abs_(self) -> Tensor:
        """See :func:`chainrule.abs_`."""
        return _ops.abs_(self)

    def add_(self, other, *, alpha=1) -> Tensor:
        """See :func:`chainrule.add_`."""
        return _ops.add_(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1) -> Tensor:
        """See :func:`chainrule.sub_`."""
        return _ops.sub_(self, other, alpha=alpha)

    def mul_(self, other) -> Tensor:
        """See :func:`chainrule.mul_`."""
        return _ops.mul_(self, other)

    def div_(self, other) -> Tensor:
        """See :func:`chainrule.div_`."""
        return _ops.div_(self, other)

    def pow_(self, other) -> Tensor:
        """See :func:`chainrule.pow_`."""
        return _ops.pow_(self, other)

    def fill_(self, value) -> Tensor:
        """See :func:`chainrule.fill_`."""
        return _ops.fill_(self, value)

    def copy_(self, src) -> Tensor:
        """See :func:`chainrule.copy_`."""
        return _ops.copy_(self, src)

    def clamp_(self, min=None, max=None) -> Tensor:
        """See :func:`chainrule.clamp_`."""
        return _ops.clamp_(self, min, max)

    def clip_(self, min=None, max=None) -> Tensor:
        """See :func:`chainrule.clamp_`."""
        return _ops.clamp_(self, min, max)

    def masked_fill_(self, mask, value) -> Tensor:
        """See :func:`chainrule.masked_fill_`."""
        return _ops.masked_fill_(self, mask, value)

    def index_put_(self, indices, values, accumulate: bool = False) -> Tensor:
        """See :func:`chainrule.index_put_`."""
        return _ops.index_put_(self, indices, values, accumulate)

    def scatter_(self, dim: int, index, src) -> Tensor:
        """See :func:`chainrule.scatter_`."""
        return _ops.scatter_(self, dim, index, src)

    def scatter_add_(self, dim: int, index, src) -> Tensor:
        """See :func:`chainrule.scatter_add_`."""
        return _ops.scatter_add_(self, dim, index, src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        """See :func:`chainrule.random.uniform_`."""
        return _random.uniform_(self, a, b, generator=generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        """See :func:`chainrule.random.normal_`."""
        return _random.normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p: float = 0.5, *, generator=None) -> Tensor:
        """See :func:`chainrule.random.bernoulli_`."""
        return _random.bernoulli_(self, p, generator=generator)
