"""Tensor: an ndarray plus the autograd metadata that links it into the graph.

No maths lives here: every method delegates to a function in :mod:`chainrule.ops`.
The one import cycle of the package (ops need Tensor; Tensor's methods are ops) is broken
at the bottom of this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from weakref import ref as _weakref

import numpy as np

from . import _tensor_str
from .dtype import DType, as_numpy_dtype, from_numpy_dtype
from .errors import DTypeError, ShapeError

Shape = tuple[int, ...]


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``data`` is the underlying ``numpy.ndarray`` (in PyTorch ``.data`` is a Tensor; here it is
    the array, which is what forwards compute with).
    """

    __slots__ = ("data", "_requires_grad", "grad", "grad_fn", "_output_nr", "_vc", "_base",
                 "_grad_acc", "_retains_grad", "__weakref__")
    __array_ufunc__ = None  # `ndarray * Tensor` falls through to Tensor.__rmul__

    def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
        data = data if isinstance(data, np.ndarray) else np.asarray(data)
        from_numpy_dtype(data.dtype)  # raises for dtypes chainrule does not have
        _init(self, data, False, None, 0)
        if requires_grad:
            self.requires_grad = True

    # -- metadata --------------------------------------------------------------------------
    @property
    def shape(self) -> Shape:
        return self.data.shape

    @property
    def dtype(self) -> DType:
        return from_numpy_dtype(self.data.dtype)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def itemsize(self) -> int:
        return self.data.itemsize

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use .detach() to "
                f"get a leaf from this output of {self.grad_fn.name()}")
        if value and self.data.dtype.kind != "f":
            raise DTypeError(
                f"only Tensors of floating point dtype can require gradients, got "
                f"{self.dtype} (shape {self.shape}); convert with .float() first")
        self._requires_grad = bool(value)

    @property
    def _version(self) -> int:
        return self._vc[0] if self._vc else 0

    @property
    def output_nr(self) -> int:
        return self._output_nr

    def size(self, dim: int | None = None):
        """The shape, or its length along ``dim``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def element_size(self) -> int:
        return self.data.itemsize

    # -- conversion ------------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: a Tensor with {self.data.size} elements (shape "
                             f"{self.shape}) cannot be converted to a Python number")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The array itself (shared memory). Refused on a tensor that requires grad."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.numpy() if dtype is None else self.numpy().astype(dtype)

    def to(self, *args, dtype=None, **kwargs) -> Tensor:
        """``to(dtype)``; a device argument must be "cpu". Returns self if nothing changes."""
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] == "cpu":
                continue
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            else:
                dtype = arg
        device = kwargs.pop("device", "cpu")
        if str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"to: chainrule runs on the CPU only, got device {device!r}")
        if dtype is None:
            return self
        return _ops.to_dtype(self, as_numpy_dtype(dtype))

    def type(self, dtype=None):
        return f"chainrule.{self.dtype.name}" if dtype is None else self.to(dtype)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def half(self) -> Tensor:
        return self.to(np.float16)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def cpu(self) -> Tensor:
        return self

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if not self.data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.unbind(self, 0))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.data.size} elements (shape "
                               f"{self.shape}) is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.data)

    def __hash__(self) -> int:
        return id(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A leaf with copied data (and ``.grad``); the type (e.g. Parameter) is kept."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; call .detach() first")
        out = _new(type(self))
        _init(out, self.data.copy(), self._requires_grad, None, 0)
        memo[id(self)] = out
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        return out

    def __repr__(self) -> str:
        return _tensor_str.format_tensor(self)

    # -- autograd --------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and version counter)."""
        out = _wrap(self.data)
        out._vc = self._shared_version()
        return out

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        ref = _weakref(self)

        def keep(grad: Tensor) -> None:
            tensor = ref()
            if tensor is None:
                return
            if tensor.grad is not None:
                tensor.grad = tensor.grad + grad
            else:  # a copy: the same gradient may flow on into a leaf's .grad
                tensor.grad = grad if grad.requires_grad else _wrap(grad.data.copy())

        keep.retains_grad = True
        self.grad_fn._add_pre_hook(self._output_nr, keep)

    @property
    def retains_grad(self) -> bool:
        return bool(self._retains_grad)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]):
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a new one.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn if self.grad_fn is not None else _autograd.function.grad_accumulator(self)
        nr = self._output_nr if self.grad_fn is not None else 0
        return node._add_pre_hook(nr, hook)

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf. See :func:`autograd.backward`."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def _shared_version(self) -> list:
        if self._vc is None:
            self._vc = [0]
        return self._vc

    def _bump_version(self) -> None:
        if self._vc is None:
            self._vc = [1]
        else:
            self._vc[0] += 1

    # -- operations: each delegates to chainrule.ops ------------------------------------
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

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __iadd__(self, other):
        return _ops.add_(self, other)

    def __isub__(self, other):
        return _ops.sub_(self, other)

    def __imul__(self, other):
        return _ops.mul_(self, other)

    def __itruediv__(self, other):
        return _ops.div_(self, other)

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    def __xor__(self, other):
        return _ops.logical_xor(self, other)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.logical_not(self)

    @property
    def T(self) -> Tensor:
        """All dimensions reversed. See :func:`chainrule.permute`."""
        return _ops.permute(self, *range(self.data.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped. See :func:`chainrule.transpose`."""
        return _ops.transpose(self, -2, -1)


def _init(t: Tensor, data: np.ndarray, requires_grad: bool, grad_fn, output_nr: int) -> None:
    t.data = data
    t._requires_grad = requires_grad
    t.grad = None
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t._vc = None  # the version counter: made on first need, shared by views
    t._base = None
    t._grad_acc = None
    t._retains_grad = False


def _wrap(data: np.ndarray, requires_grad: bool = False, grad_fn=None, output_nr: int = 0):
    """Make a Tensor around an ndarray without checks: the hot path of every op."""
    t = _new(Tensor)
    _init(t, data, requires_grad, grad_fn, output_nr)
    return t


_new = object.__new__


# The one import cycle: ops need Tensor, and Tensor's methods are ops. Imported last, once
# Tensor exists; every method above looks `_ops` up when it is called.
from . import autograd as _autograd  # noqa: E402
from . import ops as _ops  # noqa: E402
from . import random as _random  # noqa: E402
