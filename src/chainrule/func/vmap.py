"""vmap: a vectorising map. ``vmap(f)(xs)`` is ``stack([f(x) for x in xs])``, computed at once.

``vmap`` moves each input's mapped dim to the front and wraps the input in a BatchedTensor: a
Tensor that shows ``f`` the shape of ONE example while its ``_value`` holds the whole batch
(dim 0). Its ``.data`` is a value-free stand-in of the example's shape and dtype, so the op
wrappers (``chainrule.exp``, ``cat``, ``einsum``, all of ``nn.functional``) validate shapes as
usual; every op then reaches ``Function.apply``, which, while a vmap runs, hands it to the
batching rule of its Function class (``_op_rules.py``): the same primitive, called once on the
whole batch. So ``f`` may use module-level functions, Tensor methods and nn layers alike
(``func.functional_call(model, params, x)``), and runs once.

The values are ordinary Tensors that record autograd graphs: gradients flow through vmap, and
since examples never mix, the gradient of the sum over examples w.r.t. a batched input is the
batch of per-example gradients (``_batched_grad``, the bridge for reverse-mode transforms:
``vmap(grad(f))``). Forward AD composes: tangents live on the values, so ``vmap(jvp(f))``,
``vmap(jacfwd(f))`` and ``jvp(vmap(f))`` work.

Fallbacks, each with a warning once: a Function without a rule runs once per example
(``_op_rules._per_example``); an op that computes on values outside any Function (comparisons
as module functions, ``F.cross_entropy``'s class-index targets) makes ``f`` run once per
example (``_loop``). A few Tensor methods of that kind keep a rule here and in
``_batching_rules.py`` (comparisons, ``max(dim)``, ``argmax``, in-place and random ops,
gather/scatter). Python control flow on values (``if x.sum() > 0``) raises, as in PyTorch.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable

import numpy as np

from ..autograd import grad as _autograd_grad
from ..autograd.grad_mode import _state
from ..errors import ShapeError
from ..factories import ones
from ..tensor import Tensor
from . import _batching_rules as rules
from . import _op_rules
from .transforms import _flatten, _unflatten

__all__ = ["vmap"]

_OPS = ("chainrule.ops", "chainrule.nn.functional", "chainrule.autograd.function")


class _NoValues(np.ndarray):
    """A BatchedTensor's ``.data``: the example's shape and dtype, no values (0 bytes), so an
    op's wrapper can validate shapes before ``Function.apply`` batches the op. Computing with
    it (an op that bypasses ``Function.apply``) raises instead of returning garbage."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _values_error(self, f"numpy.{ufunc.__name__}")

    def __array_function__(self, func, types, args, kwargs):
        if func in _METADATA:  # reads no values: on plain views of the stand-ins
            return func(*(a.view(np.ndarray) if isinstance(a, _NoValues) else a for a in args),
                        **kwargs)
        _values_error(self, f"numpy.{func.__name__}")


_METADATA = {np.may_share_memory, np.shares_memory, np.shape, np.ndim, np.size,
             np.result_type, np.iscomplexobj, np.isrealobj}


class _ValuesNeeded(RuntimeError):
    """An op computed on a stand-in: ``vmap`` then runs ``func`` once per example."""

    def __init__(self, op: str, message: str) -> None:
        super().__init__(message)
        self.op = op


def _values_error(stand_in, what: str):
    frame = sys._getframe(2)  # whoever computed; then up to the op the user called
    while frame.f_back and frame.f_back.f_globals["__name__"].startswith(_OPS):
        frame = frame.f_back
    op = frame.f_code.co_qualname
    raise _ValuesNeeded(op, f"vmap: {op} computes on the values of a batched tensor (example "
                            f"shape {stand_in.shape}) with {what}, outside any Function, so no "
                            f"batching rule can see it")


def _stand_in(x) -> np.ndarray:
    shape = x.shape  # every element is the same read-only zero bytes (strides 0)
    return _NoValues(shape, x._value.data.dtype, _ZERO_BYTES, 0, (0,) * len(shape))


_ZERO_BYTES = bytes(16)  # one element of any dtype


def _refuse(what: str):
    """A method that would need each example's value in Python (bool(x), x.item())."""
    def refused(self, *args, **kwargs):
        raise RuntimeError(
            f"vmap: {what} of a batched tensor (example shape {tuple(self.shape)}) is not "
            f"supported: each example has its own value, so data-dependent Python control flow "
            f"cannot be vectorised; use x.where(condition, y) or move it outside vmap")

    return refused


def _reduction(name: str):
    """sum, mean, ...: ``(dim=None, keepdim=False)`` over the example's dims."""
    def rule(self, dim=None, keepdim: bool = False) -> Tensor:
        return rules.reduce(self, name, dim, keepdim)

    return rules.named(rule, name)


_masked_fill = rules.elementwise("masked_fill")
_fill = rules.inplace("fill_")


class BatchedTensor(rules.Batched):
    """One example of a batch inside ``vmap``; see the module docstring. Not for users."""

    __slots__ = ()
    _requires_grad = False  # Function.apply hands ops to vmap's dispatch before reading it

    # -- metadata: the example's --------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        return _stand_in(self)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape[1:]

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim - 1

    @property
    def requires_grad(self) -> bool:
        return (self._value if self._source is None else self._source).requires_grad

    @property
    def grad(self):
        g = self._value.grad
        return None if g is None else rules.make(g, self._level)

    @property
    def grad_fn(self):
        return self._value.grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._value.is_leaf

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def is_floating_point(self) -> bool:
        return self._value.is_floating_point()

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if not self.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return (f"BatchedTensor(level={self._level}, batch={self._value.shape[0]}, example "
                f"shape {tuple(self.shape)}, value={self._value!r})")

    item = _refuse(".item()")
    tolist = _refuse(".tolist()")
    numpy = _refuse(".numpy()")
    __array__ = _refuse("converting to a NumPy array")
    __bool__ = _refuse("bool()")
    __float__ = _refuse("float()")
    __int__ = _refuse("int()")
    __index__ = _refuse("using the value as an index")

    # -- autograd ------------------------------------------------------------------------
    def detach(self) -> BatchedTensor:
        source = None if self._source is None else self._source.detach()
        return rules.make(self._value.detach(), self._level, source)

    def requires_grad_(self, requires_grad: bool = True) -> BatchedTensor:
        """Gradients are then taken per example: the value, batched at every running level
        (an ``in_dims=None`` input: a stride-0 expand), becomes the leaf."""
        self._value, self._source = rules.batched_everywhere(self, self._level)._value, None
        self._value.requires_grad_(requires_grad)
        return self

    def clone(self) -> BatchedTensor:
        """A copy per example (gradients w.r.t. it are per example, at every level)."""
        copy = rules.batched_everywhere(self, self._level)._value.clone()
        return rules.make(copy, self._level)

    def retain_grad(self) -> None:
        self._value.retain_grad()

    def register_hook(self, hook):
        level = self._level

        def batched_hook(grad):  # backward may run outside vmap: its ops still need rules
            outer, _state.dispatch = _state.dispatch, _op_rules.dispatch
            try:
                out = hook(rules.make(grad, level))
                return None if out is None else rules.as_batched(out, level)
            finally:
                _state.dispatch = outer

        return self._value.register_hook(batched_hook)

    def _dual_parts(self, tangent):
        """For forward_ad: tangents live on the value (a batch of tangents, see there)."""
        value, batched = rules.unpack(self, self._level)
        if not batched:
            return value, tangent, lambda t: t
        level = self._level
        batch = None if tangent is None else rules.as_batched(tangent, level)
        return value, batch, lambda t: None if t is None else rules.make(t, level)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        raise RuntimeError("vmap: backward() on a batched tensor is not supported inside vmap; "
                           "use chainrule.func.grad or vjp (or call backward outside vmap)")

    # -- elementwise ---------------------------------------------------------------------
    isnan = rules.same_layout("isnan")
    isfinite = rules.same_layout("isfinite")
    logical_not = rules.same_layout("logical_not")
    __invert__ = rules.same_layout("__invert__")
    eq = rules.elementwise("eq")
    ne = rules.elementwise("ne")
    lt = rules.elementwise("lt")
    le = rules.elementwise("le")
    gt = rules.elementwise("gt")
    ge = rules.elementwise("ge")
    logical_and = rules.elementwise("logical_and")
    logical_or = rules.elementwise("logical_or")
    logical_xor = rules.elementwise("logical_xor")
    __eq__ = rules.elementwise("__eq__")
    __ne__ = rules.elementwise("__ne__")
    __lt__ = rules.elementwise("__lt__")
    __le__ = rules.elementwise("__le__")
    __gt__ = rules.elementwise("__gt__")
    __ge__ = rules.elementwise("__ge__")
    __and__ = rules.elementwise("__and__")
    __or__ = rules.elementwise("__or__")
    __xor__ = rules.elementwise("__xor__")

    def masked_fill(self, mask, value) -> Tensor:
        if rules.unpack(value, rules.top_level((self, mask, value)))[1]:  # a value per example
            return self.where(mask.logical_not(), value)
        return _masked_fill(self, mask, value)

    # -- in place ------------------------------------------------------------------------
    neg_ = rules.inplace("neg_")
    exp_ = rules.inplace("exp_")
    sigmoid_ = rules.inplace("sigmoid_")
    tanh_ = rules.inplace("tanh_")
    relu_ = rules.inplace("relu_")
    zero_ = rules.inplace("zero_")
    sqrt_ = rules.inplace("sqrt_")
    abs_ = rules.inplace("abs_")
    add_ = rules.inplace("add_")
    sub_ = rules.inplace("sub_")
    mul_ = rules.inplace("mul_")
    div_ = rules.inplace("div_")
    pow_ = rules.inplace("pow_")
    copy_ = rules.inplace("copy_")
    clamp_ = rules.inplace("clamp_")
    clip_ = rules.inplace("clip_")
    masked_fill_ = rules.inplace("masked_fill_")
    __iadd__ = rules.inplace("__iadd__")
    __isub__ = rules.inplace("__isub__")
    __imul__ = rules.inplace("__imul__")
    __itruediv__ = rules.inplace("__itruediv__")
    uniform_ = rules.random_inplace("uniform_")
    normal_ = rules.random_inplace("normal_")
    bernoulli_ = rules.random_inplace("bernoulli_")

    def fill_(self, value) -> BatchedTensor:
        if rules.unpack(value, rules.top_level((self, value)))[1]:
            return self.copy_(value)
        return _fill(self, value)

    # -- reductions: dims of the example -------------------------------------------------
    all = _reduction("all")
    any = _reduction("any")
    logsumexp = _reduction("logsumexp")  # these three compute on values outside a Function

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return rules.reduce(self, "std", dim, keepdim, unbiased=unbiased, correction=correction)

    def norm(self, p="fro", dim=None, keepdim: bool = False) -> Tensor:
        return rules.reduce(self, "norm", dim, keepdim, p=p)

    def argmax(self, dim=None, keepdim: bool = False) -> Tensor:
        return rules.arg_reduce(self, "argmax", dim, keepdim)

    def argmin(self, dim=None, keepdim: bool = False) -> Tensor:
        return rules.arg_reduce(self, "argmin", dim, keepdim)

    def max(self, dim=None, keepdim: bool = False):
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self.amax() if dim is None else rules.reduce(self, "max", dim, keepdim, True)

    def min(self, dim=None, keepdim: bool = False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self.amin() if dim is None else rules.reduce(self, "min", dim, keepdim, True)

    # -- indexing ------------------------------------------------------------------------
    __getitem__ = rules.getitem
    __setitem__ = rules.setitem
    gather = rules.gather_like("gather")
    scatter = rules.gather_like("scatter")
    scatter_add = rules.gather_like("scatter_add")

    def index_select(self, dim: int, index) -> Tensor:
        return rules.index_select(self, dim, index)

    def take_along_dim(self, indices, dim=None) -> Tensor:
        return rules.take_along_dim(self, indices, dim)

    nonzero = _refuse("nonzero() (its shape depends on the values)")

    scatter_ = rules.gather_like("scatter_")
    scatter_add_ = rules.gather_like("scatter_add_")


# -- vmap --------------------------------------------------------------------------------------
def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``vmap(func)(xs)[i] == func(xs[i])``: ``func`` mapped over a batch dim, run once.

    Args:
        func: returns a Tensor or a pytree (tuples, lists, dicts) of Tensors; it sees one
            example (``x.shape == xs[i].shape``). Keyword arguments pass through unbatched.
        in_dims: the mapped dim of each input: an int, None for an input shared by every
            example (still wrapped, so that gradients w.r.t. it can be taken per example), or a
            pytree matching the positional arguments (an int or None covers a subtree).
        out_dims: where the batch dim goes in each output: an int or a matching pytree.
        randomness: random in-place ops (``uniform_``, ``normal_``, ``bernoulli_``) on batched
            tensors: 'error' refuses them, 'different' draws per example, 'same' draws once.
        chunk_size: map at most this many examples at a time (less memory, more passes).

    Raises:
        ValueError: no input mapped, mapped sizes differ, a bad in_dim, non-Tensor outputs.

    Example:
        >>> import chainrule
        >>> from chainrule.func import vmap
        >>> xs = chainrule.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> vmap(lambda x: x.sum() * x)(xs)
        tensor([[ 3.,  6.],
                [21., 28.],
                [55., 66.]])
        >>> vmap(lambda x, w: x @ w, in_dims=(0, None))(xs, chainrule.tensor([1.0, -1.0]))
        tensor([-1., -1., -1.])
        >>> vmap(lambda x: chainrule.cat([x, chainrule.nn.functional.relu(-x)]))(xs).shape
        (3, 4)
    """
    if not callable(func):
        raise TypeError(f"vmap: func must be callable, got {type(func).__name__}")
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got "
                         f"{randomness!r}")
    if chunk_size is not None and (type(chunk_size) is not int or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size must be None or a positive int, got {chunk_size!r}")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        leaves, spec = _flatten(args)
        dims = _leaf_dims(in_dims, args, "in_dims", "inputs")
        size = _batch_size(leaves, dims, in_dims)
        step = size if chunk_size is None else min(chunk_size, size)
        parts = []
        for start in range(0, size, step) if size else [0]:
            inputs = (leaves, dims, start, min(step, size - start), size)
            parts.append(_run(func, inputs, spec, kwargs, out_dims, randomness))
        return parts[0] if len(parts) == 1 else _concat(parts, out_dims)

    return wrapped


def _run(func: Callable, inputs: tuple, spec, kwargs: dict, out_dims, randomness: str):
    """One call of ``func`` on examples [start, start + length) at a new level."""
    leaves, dims, start, length, size = inputs
    level = next(rules.levels)
    rules.active.sizes[level] = (length, randomness)
    outer, _state.dispatch = _state.dispatch, _op_rules.dispatch  # every op: by its Function
    try:
        batched = []
        for x, d in zip(leaves, dims, strict=True):
            if d is None:
                is_tensor = isinstance(x, Tensor)
                batched.append(rules.make(x.unsqueeze(0).expand(length, *x.shape), level, x)
                               if is_tensor else x)
                continue
            value = x.movedim(d, 0) if d % x.ndim else x
            batched.append(rules.make(value.narrow(0, start, length) if length != size
                                      else value, level))
        try:
            out = func(*_unflatten(spec, batched), **kwargs)
        except _ValuesNeeded as e:
            out = _loop(func, inputs, spec, kwargs, level, e.op)
        return _unbatch(out, out_dims, level, length, func)
    finally:
        _state.dispatch = outer
        del rules.active.sizes[level]


def _loop(func: Callable, inputs: tuple, spec, kwargs: dict, level: int, op: str):
    """The fallback for ops that compute on values outside ``Function.apply`` (so that no
    batching rule sees them): ``func`` once per example, its outputs stacked and batched at
    ``level``. Correct for functions without side effects, but as slow as a Python loop (and
    what ``func`` did before the op is done again); a warning, once per op, names the op."""
    if op not in _looped:
        _looped.add(op)
        warnings.warn(f"vmap: {op} computes on the values of a batched tensor outside any "
                      f"Function, so it has no batching rule; the function runs once per "
                      f"example (a Python loop), which is slow", RuntimeWarning, stacklevel=4)
    leaves, dims, start, length, _ = inputs
    results = []
    for i in range(length):
        example = [x if d is None else x.movedim(d, 0)[start + i]
                   for x, d in zip(leaves, dims, strict=True)]
        results.append(_flatten(func(*_unflatten(spec, example), **kwargs)))
    columns = zip(*(leaves for leaves, _ in results), strict=True)
    stacked = [rules.make(rules.join(list(col), 0, True), level)
               if all(isinstance(x, Tensor) for x in col) else col[0] for col in columns]
    return _unflatten(results[0][1], stacked)


_looped: set[str] = set()


def _leaf_dims(dims, tree, what: str, of: str) -> list:
    """``dims`` (an int/None for a whole subtree, or a matching pytree) for each leaf of tree."""
    if dims is None or type(dims) is int:
        return [dims] * len(_flatten(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) \
            and len(dims) == len(tree):
        return [d for sub, t in zip(dims, tree, strict=True) for d in _leaf_dims(sub, t, what, of)]
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        return [d for key in tree for d in _leaf_dims(dims[key], tree[key], what, of)]
    if not isinstance(dims, (tuple, list, dict)):
        raise ValueError(f"vmap: {what} must be an int, None, or a (nested) tuple, list or dict "
                         f"of them, got {dims!r}")
    raise ValueError(f"vmap: {what}={dims!r} is not compatible with the structure of the {of} "
                     f"(a {type(tree).__name__}); give one entry per {of[:-1]}, or an int or None")


def _batch_size(leaves: list, dims: list, in_dims) -> int:
    sizes = []
    for x, d in zip(leaves, dims, strict=True):
        if d is None:
            continue
        if not isinstance(x, Tensor):
            raise ValueError(f"vmap: got in_dim={d} for an input of type {type(x).__name__}; "
                             f"only Tensors can be mapped over: use None as its in_dim")
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"vmap: got in_dim={d} for an input of shape {tuple(x.shape)}: "
                             f"expected -{x.ndim} <= in_dim < {x.ndim}")
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError(f"vmap: at least one input must be mapped over, but in_dims={in_dims!r} "
                         f"maps no Tensor input; give a Tensor input an int in_dim")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: expected all mapped inputs to have the same size in the mapped "
                         f"dim, got sizes {sizes} (in_dims={in_dims!r})")
    return sizes[0]


def _unbatch(out, out_dims, level: int, size: int, func) -> object:
    """func's outputs with the batch dim (of ``level``) moved to ``out_dims``."""
    leaves, spec = _flatten(out)
    dims = _leaf_dims(out_dims, out, "out_dims", "outputs")
    result = []
    for i, (x, d) in enumerate(zip(leaves, dims, strict=True)):
        if not isinstance(x, Tensor):
            name = getattr(func, "__name__", "func")
            raise ValueError(f"vmap: {name} must only return Tensors, got a "
                             f"{type(x).__name__} as output {i}; return a tensor (e.g. "
                             f"chainrule.tensor(value)) or compute it outside vmap")
        value, batched = rules.unpack(x, level)
        if d is None:
            if batched:
                raise ValueError(f"vmap: out_dims is None for output {i}, but it differs "
                                 f"between examples; give it an int out_dim")
            result.append(value)
            continue
        if not batched:  # the same for every example, as PyTorch: an expanded view
            value = value.unsqueeze(0).expand(size, *value.shape)
        if not -value.ndim <= d < value.ndim:
            raise ValueError(f"vmap: out_dim={d} for output {i} of example shape "
                             f"{tuple(x.shape)}: expected -{value.ndim} <= out_dim < "
                             f"{value.ndim}")
        result.append(value.movedim(0, d) if d % value.ndim else value)
    return _unflatten(spec, result)


def _concat(parts: list, out_dims) -> object:
    """The outputs of the chunks, joined along their out_dims."""
    flat = [_flatten(p)[0] for p in parts]
    spec = _flatten(parts[0])[1]
    dims = _leaf_dims(out_dims, parts[0], "out_dims", "outputs")
    joined = []
    for j, d in enumerate(dims):
        column = [leaves[j] for leaves in flat]
        joined.append(column[0] if d is None else rules.join(column, d % column[0].ndim, False))
    return _unflatten(spec, joined)


# -- the bridge to reverse mode ----------------------------------------------------------------
def _batched_grad(outputs, inputs, grad_outputs=None, **kwargs) -> tuple:
    """``autograd.grad`` (same arguments) where tensors may be batched by vmap.

    Each batched tensor is replaced by its value, whose graph holds every example; an
    unbatched gradient (or the implicit 1 of a scalar) is expanded over the batch. As examples
    never mix, the gradient w.r.t. a batched input is then the batch of per-example gradients.
    Nested vmaps are peeled one level at a time, innermost first.
    """
    outs, ins, cots = (_as_list(t) for t in (outputs, inputs, grad_outputs))
    cots = cots or [None] * len(outs)
    level = rules.top_level((*outs, *ins, *cots))
    if level == 0:
        return _autograd_grad(outs, ins, cots, **kwargs)
    phys_outs, phys_cots, any_batched = [], [], False
    for o, c in zip(outs, cots, strict=True):
        op, ob = rules.unpack(o, level)
        if c is None:
            if o.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs, "
                                   f"but an example's output has shape {tuple(o.shape)}")
            c = ones(o.shape, dtype=o.dtype)
        cp, cb = rules.unpack(c, level)
        if cb and not ob:
            raise ShapeError(f"vmap: a batched gradient for an unbatched output (shape "
                             f"{tuple(o.shape)}) is not supported")
        phys_outs.append(op)
        phys_cots.append(rules.pad(cp, o.ndim) if cb else cp.expand(op.shape) if ob else cp)
        any_batched = any_batched or ob
    phys_ins, batched_ins = [], []
    for x in ins:
        xp, xb = rules.unpack(x, level)
        if any_batched and not xb:
            raise ShapeError(
                f"vmap: cannot take per-example gradients with respect to a tensor of shape "
                f"{tuple(x.shape)} that is shared by the batch (not batched, or an in_dims=None "
                f"input used as is); pass it to the vmapped function and differentiate a "
                f"per-example copy (x.detach().requires_grad_() or x.clone())")
        phys_ins.append(xp)
        batched_ins.append(xb)
    grads = _batched_grad(phys_outs, phys_ins, phys_cots, **kwargs)
    return tuple(rules.make(g, level) if g is not None and b else g
                 for g, b in zip(grads, batched_ins, strict=True))


def _as_list(x) -> list:
    return [] if x is None else [x] if isinstance(x, Tensor) else list(x)


def _stack(tensors, dim: int = 0) -> Tensor:
    return rules.join(list(tensors), dim, True)  # chainrule.stack, for tensors vmap may batch
