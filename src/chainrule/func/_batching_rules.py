"""vmap's batching machinery: BatchedTensor's base, its helpers, and the method rules left.

A BatchedTensor of ``level`` L holds ``_value``, whose dim 0 is the batch of level L. A rule
shifts dims by one, pads batched operands with size-1 dims so that broadcasting lines examples
up (unbatched ones broadcast as they are) and calls the same op once on the value. Nested vmaps
nest wrappers; a rule works at the highest level among its operands and, with several tensor
operands, calls itself again on the values for the levels below. An ``in_dims=None`` input
keeps its unbatched ``_source``, which rules use directly (one ``x @ weight`` for the batch).

Most ops are batched by their Function class (``_op_rules.py``). The method rules here are for
the methods that compute on values outside any Function (comparisons, ``max(dim)``, in-place
and random ops, gather/scatter, index tensors that differ per example).
"""

from __future__ import annotations

import itertools
import threading
import warnings

import numpy as np

from ..errors import ShapeError
from ..ops.reduction import normalize_dims
from ..ops.shape import cat as _cat_plain
from ..ops.shape import stack as _stack_plain
from ..tensor import Tensor


class _Running(threading.local):
    """Per thread: level -> (batch size, randomness) of each running vmap (inner: higher)."""

    def __init__(self) -> None:
        self.sizes: dict[int, tuple[int, str]] = {}


active = _Running()
levels = itertools.count(1)
_warned: set[str] = set()


def make(value: Tensor, level: int, source: Tensor | None = None) -> Batched:
    out = object.__new__(Batched._cls)
    out._value, out._level, out._source = value, level, source
    out._vc = out._base = None  # the op wrappers may mark a result as a view (mark_view)
    return out


def named(rule, name: str):
    rule.__name__ = rule.__qualname__ = name
    return rule


def level_of(x) -> int:
    return x._level if isinstance(x, Batched) else 0


def top_level(args, kwargs=None) -> int:
    level = 0
    for a in args:
        if isinstance(a, Batched) and a._level > level:
            level = a._level
        elif type(a) in (tuple, list):
            level = max(level, top_level(a))
    for a in (kwargs or {}).values():
        if isinstance(a, Batched) and a._level > level:
            level = a._level
    return level


def unpack(x, level: int):
    """(physical operand, batched?) at ``level``: the value, or x itself if x is unbatched."""
    if isinstance(x, Batched) and x._level == level:
        if x._source is not None:
            return x._source, False
        return x._value, True
    return x, False


def batch_size(level: int, x=None) -> int:  # read from x's value when x is batched there
    if isinstance(x, Batched) and x._level == level:
        return x._value.shape[0]
    return active.sizes[level][0] if level in active.sizes else 0


def as_batched(x, level: int) -> Tensor:
    """The physical value of x at ``level`` with the batch dim, expanded if x is unbatched."""
    p, batched = unpack(x, level)
    return p if batched else p.unsqueeze(0).expand(batch_size(level, x), *p.shape)


def batched_everywhere(x, level: int) -> Batched:
    """x at ``level``, batched at every running level up to it (expanded where it is not): a
    leaf made from its plain value gives per-example gradients at each level."""
    value = as_batched(x, level)
    below = max((k for k in active.sizes if k < level), default=0)
    return make(batched_everywhere(value, below) if below else value, level)


def pad(value: Tensor, rank: int) -> Tensor:
    """A batched value (batch dim 0) with size-1 dims inserted after it up to ``rank`` + 1."""
    missing = rank + 1 - value.ndim
    if missing <= 0:
        return value
    return value.reshape(value.shape[0], *(1,) * missing, *value.shape[1:])


def _wrap_result(out, level: int):
    if isinstance(out, Tensor):
        return make(out, level)
    items = [make(o, level) for o in out]
    return type(out)(*items) if hasattr(out, "_fields") else tuple(items)


def _logical_ndim(x) -> int:
    return x.ndim if isinstance(x, Tensor) else np.ndim(x)


# -- elementwise: align, run once -------------------------------------------------------------
def elementwise(name: str):
    """A rule for an elementwise (broadcasting) method: batched operands are padded to the
    result's rank so that their batch dims line up; unbatched ones broadcast as they are."""
    plain = getattr(Tensor, name)

    def rule(self, *args, **kwargs):
        level = top_level((self, *args), kwargs)
        if level == 0:
            return plain(self, *args, **kwargs)
        operands = [self, *args, *kwargs.values()]
        rank = max(_logical_ndim(a) for a in operands if isinstance(a, (Tensor, np.ndarray)))
        phys, any_batched = [], False
        for a in operands:
            p, batched = unpack(a, level)
            phys.append(pad(p, rank) if batched else p)
            any_batched = any_batched or batched
        n = 1 + len(args)
        out = rule(phys[0], *phys[1:n], **dict(zip(kwargs, phys[n:], strict=True)))
        return _wrap_result(out, level) if any_batched else out

    return named(rule, name)


def same_layout(name: str):
    """A rule for a method of one tensor that keeps every dim where it is (exp, clone, to)."""
    def rule(self, *args, **kwargs):
        p, batched = unpack(self, self._level)
        out = getattr(p, name)(*args, **kwargs)
        return make(out, self._level) if batched else out

    return named(rule, name)


def inplace(name: str):
    """A rule for an in-place method: operands are aligned to ``self``, which must be batched
    if any of them is (one example cannot hold a whole batch)."""
    plain = getattr(Tensor, name)

    def rule(self, *args, **kwargs):
        level = top_level((self, *args), kwargs)
        if level == 0:
            return plain(self, *args, **kwargs)
        target, batched = unpack(self, level)
        rank = _logical_ndim(self)
        phys = []
        for a in [*args, *kwargs.values()]:
            p, b = unpack(a, level)
            if b and not batched:
                raise ShapeError(
                    f"vmap: {name}: the tensor modified in place (shape {tuple(self.shape)}) is "
                    f"not batched but an operand is; an in-place op cannot write a batch into "
                    f"one tensor: use the out-of-place {name.strip('_')} instead")
            phys.append(pad(p, rank) if b else p)
        rule(target, *phys[:len(args)], **dict(zip(kwargs, phys[len(args):], strict=True)))
        return self

    return named(rule, name)


_masked_fill_ = inplace("masked_fill_")


def random_inplace(name: str):
    """uniform_, normal_, bernoulli_ under vmap's ``randomness``: 'error' refuses, 'different'
    draws per example, 'same' draws one example and copies it into every one."""
    def rule(self, *args, **kwargs):
        mode = active.sizes.get(self._level, (0, "error"))[1]
        target, batched = unpack(self, self._level)
        if mode == "error":
            raise RuntimeError(f"vmap: called random operation {name} while in randomness error "
                               f"mode; pass randomness='same' or 'different' to vmap")
        if not batched and mode == "different":
            raise RuntimeError(f"vmap: {name} with randomness='different' on a tensor that is "
                               f"not batched (shape {tuple(self.shape)}); use randomness='same'")
        if not batched or mode == "different":
            getattr(target, name)(*args, **kwargs)
            return self
        one = getattr(target[0].detach().clone(), name)(*args, **kwargs)
        target.copy_(one)
        return self

    return named(rule, name)


# -- dims: a logical dim d is physical d + 1 --------------------------------------------------
def physical_dim(self, dim: int, op: str, extra: int = 0) -> int:
    """``dim`` of the example (range [-n-extra, n+extra)) as a physical dim of the value."""
    n = self.ndim + extra
    bound = max(n, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -bound <= dim < bound:
        raise ShapeError(f"{op}: dim {dim} is out of range for a tensor of {self.ndim} "
                         f"dimensions (expected in [{-bound}, {bound - 1}]) (inside vmap)")
    return int(dim) % bound + 1


def reduce(self, name: str, dim, keepdim: bool, one_dim: bool = False, **kwargs):
    """A reduction over ``dim`` of each example (None: all of its dims)."""
    value, batched = unpack(self, self._level)
    if not batched:
        return getattr(value, name)(dim=dim, keepdim=keepdim, **kwargs)
    if self.ndim == 0:  # a 0-d example: reduce a length-1 dim instead, keep no dim
        value, dim, keepdim = value.unsqueeze(1), 0, False
    dims = tuple(d + 1 for d in normalize_dims(name, dim, value.ndim - 1))
    out = getattr(value, name)(dim=dims[0] if one_dim else dims, keepdim=keepdim, **kwargs)
    return _wrap_result(out, self._level)


def arg_reduce(self, name: str, dim, keepdim: bool):
    """argmax/argmin; without dim an index into each flattened example, as PyTorch."""
    if dim is not None:
        return reduce(self, name, dim, keepdim, one_dim=True)
    value, batched = unpack(self, self._level)
    if not batched:
        return getattr(value, name)(dim=None, keepdim=keepdim)
    out = getattr(value.reshape(value.shape[0], -1), name)(dim=1)
    return make(out.reshape(-1, *(1,) * self.ndim) if keepdim else out, self._level)


# -- matmul ----------------------------------------------------------------------------------
def matmul(x, y):
    """x @ y per example. 1-d operands become matrices first, as matmul defines."""
    level = max(level_of(x), level_of(y))
    if level == 0:
        return Tensor.matmul(x, y)
    xp, xb = unpack(x, level)
    yp, yb = unpack(y, level)
    if not (xb or yb):
        return matmul(xp, yp)
    nx, ny = _logical_ndim(x), _logical_ndim(y)
    if nx == 0 or ny == 0:
        raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)} (inside vmap)")
    if not yb and ny <= 2:  # weights shared by the batch: one product over every row
        rows = xp.reshape(-1, xp.shape[-1]) if nx > 1 else xp
        out = matmul(rows, yp)
        return make(out.reshape(*xp.shape[:-1], *yp.shape[1:]) if nx > 1 else out, level)
    if xb:
        xp = xp.unsqueeze(1) if nx == 1 else xp
    elif nx == 1:
        xp = xp.unsqueeze(0)
    if yb:
        yp = yp.unsqueeze(-1) if ny == 1 else yp
    elif ny == 1:
        yp = yp.unsqueeze(-1)
    rank = max(nx, ny, 2)
    out = matmul(pad(xp, rank) if xb else xp, pad(yp, rank) if yb else yp)
    if ny == 1:
        out = out.squeeze(-1)
    if nx == 1:
        out = out.squeeze(-2 if ny > 1 else -1)
    return make(out, level)


# -- indexing ---------------------------------------------------------------------------------
def _is_array_index(item) -> bool:
    return isinstance(item, (Tensor, np.ndarray, list))


def _broadcast_rank(items) -> int:
    """The dims NumPy puts first for separated array indices (a bool mask gives one)."""
    return max((1 if str(getattr(it, "dtype", "")).endswith("bool") else np.ndim(it)
                if isinstance(it, list) else it.ndim) for it in items if _is_array_index(it))


def getitem(x, index):
    """x[index]: ``Index``'s rule (``_op_rules``) unless an index tensor is batched, which
    needs a different index per example."""
    items = index if type(index) is tuple else (index,)
    level = top_level(items)
    if level and any(unpack(it, level)[1] for it in items):
        return per_example(x, "__getitem__", (index,), {})
    return Tensor.__getitem__(x, index)


def setitem(x, index, value) -> None:
    items = index if type(index) is tuple else (index,)
    level = max(level_of(x), level_of(value), top_level(items))
    if level == 0:
        return Tensor.__setitem__(x, index, value)
    p, batched = unpack(x, level)
    vp, vb = unpack(value, level)
    if type(index) is not tuple and unpack(index, level)[1] and not vb \
            and str(index.dtype).endswith("bool"):  # x[mask] = v, a mask per example
        return _masked_fill_(x, index, value)
    if any(unpack(it, level)[1] for it in items) or (vb and not batched):
        raise ShapeError(f"vmap: x[index] = value: x (shape {tuple(x.shape)}) is not batched "
                         f"or the index is, so the batch cannot be written in place; build the "
                         f"result out of place (e.g. with masked_fill or where)")
    if vb:
        vp = pad(vp, x[index].ndim)
    setitem(p, (slice(None), *items) if batched else index, vp)


def gather_like(name: str):
    """gather, scatter, scatter_add (and in place): every tensor operand made batched."""
    def rule(self, dim, index, *args):
        level = max(level_of(self), level_of(index), top_level(args))
        if level == 0:
            return getattr(Tensor, name)(self, dim, index, *args)
        phys = [as_batched(t, level) if isinstance(t, Tensor) else t
                for t in (self, index, *args)]
        out = rule(phys[0], physical_dim(self, dim, name), *phys[1:])
        return self if name.endswith("_") else make(out, level)  # in place: into the value

    return named(rule, name)


# -- no rule: once per example ----------------------------------------------------------------
def _example(x, i: int, level: int):
    p, batched = unpack(x, level)
    if batched:
        return p[i]
    if type(x) in (tuple, list):
        return type(x)(_example(a, i, level) for a in x)
    return p


def per_example(self, name: str, args: tuple, kwargs: dict):
    """The fallback for methods without a batching rule: a loop over the batch and a stack.

    Correct for any method whose results have one shape for every example, but as slow as a
    Python loop; a warning (once per method) says which method needs a rule.
    """
    level = max(level_of(self), top_level(args, kwargs))
    if name not in _warned:
        _warned.add(name)
        warnings.warn(f"vmap: Tensor.{name} has no batching rule; it runs once per example "
                      f"(a Python loop), which is slow", RuntimeWarning, stacklevel=3)
    results = []
    for i in range(batch_size(level, self)):
        example = _example(self, i, level)
        a = [_example(x, i, level) for x in args]
        k = {key: _example(x, i, level) for key, x in kwargs.items()}
        results.append(getattr(example, name)(*a, **k))
    if isinstance(results[0], Tensor):
        return make(join(results, 0, True), level)
    cols = [join(list(col), 0, True) for col in zip(*results, strict=True)]
    return _wrap_result(type(results[0])(*cols) if hasattr(results[0], "_fields") else cols, level)


def join(tensors: list, dim: int, new_dim: bool) -> Tensor:
    """stack (``new_dim``) or cat of tensors that may be batched at any level."""
    level = max(level_of(t) for t in tensors)
    if level == 0:
        return (_stack_plain if new_dim else _cat_plain)(tensors, dim)
    values = [as_batched(t, level) for t in tensors]
    return make(join(values, dim + 1, new_dim), level)



def index_select(x, dim: int, index):
    level = max(level_of(x), level_of(index))
    if level == 0:
        return Tensor.index_select(x, dim, index)
    if unpack(index, level)[1]:
        return per_example(x, "index_select", (dim, index), {})
    p, batched = unpack(x, level)
    out = index_select(p, physical_dim(x, dim, "index_select") if batched else dim, index)
    return make(out, level) if batched else out


def take_along_dim(x, indices, dim=None):
    level = max(level_of(x), level_of(indices))
    if level == 0:
        return Tensor.take_along_dim(x, indices, dim)
    if dim is None:  # along the flattened example
        return per_example(x, "take_along_dim", (indices,), {"dim": None})
    dim = physical_dim(x, dim, "take_along_dim")
    return make(take_along_dim(as_batched(x, level), as_batched(indices, level), dim), level)


def physical(x) -> Tensor:
    """The plain Tensor under every level of batching."""
    while isinstance(x, Batched):
        x = x._value
    return x


class Batched(Tensor):
    """The base of vmap's BatchedTensor: its slots, the shape ops, and the one subclass that
    :func:`make` builds (:class:`chainrule.func.vmap.BatchedTensor`, with the other rules)."""

    __slots__ = ("_value", "_level", "_source")
    _cls: type | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        Batched._cls = cls
