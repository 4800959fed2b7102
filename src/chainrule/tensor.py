"""Tensor: an ndarray plus the autograd metadata that links it into the graph.

No maths lives here: every method delegates to a function in :mod:`chainrule.ops`.
The one import cycle of the package (ops need Tensor; Tensor's methods are ops) is broken
at the bottom of this file.
"""

from __future__ import annotations

from array import array as _array
from collections.abc import Callable, Iterator
from weakref import ref as _weakref

import numpy as np

from . import _tensor_ops, _tensor_str
from ._tensor_ops import TensorOps
from .dtype import DType, as_numpy_dtype, from_numpy_dtype
from .errors import DTypeError, ShapeError

Shape = tuple[int, ...]


class Tensor(TensorOps):
    """An n-dimensional array that can record the operations applied to it.

    ``data`` is the underlying ``numpy.ndarray`` (in PyTorch ``.data`` is a Tensor; here it is
    the array, which is what forwards compute with).
    """

    __slots__ = ("data", "_requires_grad", "grad", "grad_fn", "_output_nr", "_vc", "_base",
                 "_accumulator", "_retains_grad", "__weakref__")
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
        node = self.grad_fn
        if node is None:
            node = _autograd.function.grad_accumulator(self)
        nr = self._output_nr if self.grad_fn is not None else 0
        return node._add_pre_hook(nr, hook)

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf; see autograd.backward."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def _shared_version(self) -> _array:
        if self._vc is None:
            self._vc = _VERSION_0[:]
        return self._vc

    def _bump_version(self) -> None:
        if self._vc is None:
            self._vc = _VERSION_1[:]
        else:
            self._vc[0] += 1

    # -- operators: each delegates to chainrule.ops -------------------------------------
    # + - * go straight to the shared binary-op entry (one call level less than add(),
    # sub(), mul(): most ops of a backward pass). / goes through div(): integers give floats.
    def __add__(self, other):
        return _binary("add", _Add, self, other)

    def __radd__(self, other):
        return _binary("add", _Add, other, self)

    def __sub__(self, other):
        return _binary("sub", _Sub, self, other)

    def __rsub__(self, other):
        return _binary("sub", _Sub, other, self)

    def __mul__(self, other):
        return _binary("mul", _Mul, self, other)

    def __rmul__(self, other):
        return _binary("mul", _Mul, other, self)

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


# A version counter is a one-element int64 array (shared by a tensor and its views, bumped by
# in-place ops): unlike a list it holds no references, so Python's GC never walks it.
_VERSION_0, _VERSION_1 = _array("q", [0]), _array("q", [1])


def _init(t: Tensor, data: np.ndarray, requires_grad: bool, grad_fn, output_nr: int) -> None:
    t.data = data
    t._requires_grad = requires_grad
    t.grad = None
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t._vc = None  # the version counter: made on first need, shared by views
    t._base = None
    t._accumulator = None  # a leaf's AccumulateGrad node, made on first use
    t._retains_grad = False


def _wrap(data: np.ndarray, requires_grad: bool = False, grad_fn=None, output_nr: int = 0):
    """Make a Tensor around an ndarray without checks: the hot path of every op."""
    t = _new(Tensor)
    _init(t, data, requires_grad, grad_fn, output_nr)
    return t


_new = object.__new__


# The one import cycle: ops need Tensor, and Tensor's methods are ops. Imported last, once
# Tensor exists; the methods (here and in _tensor_ops.py) look these up when they are called.
from . import autograd as _autograd  # noqa: E402
from . import ops as _ops  # noqa: E402
from . import random as _random  # noqa: E402
from .ops import elementwise as _elementwise  # noqa: E402

_tensor_ops._ops, _tensor_ops._random = _ops, _random
_binary, _Add, _Sub, _Mul = (_elementwise._binary, _elementwise.Add, _elementwise.Sub,
                             _elementwise.Mul)
