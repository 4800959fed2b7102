"""Function: one differentiable operation, its forward and its derivative rule side by side.

``Function.apply`` runs ``forward`` on NumPy arrays and, when an input requires grad and grad
mode is on, records a graph node. The node *is* the ``ctx`` object that forward and backward
share (PyTorch's ``grad_fn``): it knows the nodes of its inputs (``next_functions``), what was
saved for backward, and the hooks registered on it.

Conventions for chainrule's own ops (user Functions may instead compute with Tensors):
1. ``forward(ctx, *args)`` computes with NumPy on ``.data`` and returns an ndarray (or a tuple).
2. ``backward(ctx, *grads)`` computes with chainrule ops, so it is differentiable itself; the
   engine runs it under ``no_grad`` unless ``create_graph=True``.
3. ``backward`` may return gradients in the broadcast shape; the engine sums them back.
4. A rule's NumPy form, if it has one, is ``backward_numpy(ctx, *grads)`` beside ``backward``:
   the same formula on ``.data``, returning ``_wrap``-ped arrays. The engine calls it instead
   of ``backward`` when ``_state.mode == NO_GRAD`` (nothing records the backward: no
   create_graph, vmap, forward AD or anomaly mode), the usual ``loss.backward()``. It skips a
   chainrule op call per product, which on small tensors is most of a node's time
   (op_overhead's backward: 46.6k -> 34.2k instructions per op).
"""

from __future__ import annotations

import traceback
import weakref

import numpy as np

from ..tensor import _VERSION_0, Tensor, _init, _new, _wrap
from . import forward_ad as _forward_ad
from .grad_mode import RECORD, SPECIAL, _state

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class _NoGradCtx:
    """The ctx forward gets when nothing will be recorded: saving is a no-op."""

    needs_input_grad = (False,) * 256  # a tuple (not a __getitem__ method): indexing is free

    def save_for_backward(self, *tensors) -> None:
        pass

    def mark_non_differentiable(self, *outputs) -> None:
        pass

    def mark_dirty(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass


class FunctionCtx:
    """What forward and backward share, and the graph node (``grad_fn``) of the outputs."""

    # Slots for what every node sets (faster than a dict, and no dict for the GC to walk);
    # __dict__ for what forward adds. The edges to the input nodes are two tuples, the nodes
    # and their output numbers (shared between nodes), so a node costs no tuple per edge.
    __slots__ = ("_fn", "needs_input_grad", "_next", "_next_nrs", "_input_shapes", "_outputs",
                 "_output_meta", "_output_vcs", "_to_save", "_saved_versions", "__dict__",
                 "__weakref__")
    _released = False
    _materialize = True
    _non_diff = ()
    _pre_hooks = None  # {output_nr: [hook, ...]}: hooks registered on the output tensors
    _post_hooks = None
    _trace = None

    def save_for_backward(self, *tensors) -> None:
        """Keep Tensors (inputs, or the ndarray forward returns) for backward.

        An ndarray that forward returns as an output comes back from ``saved_tensors`` as a
        Tensor linked to this node, so gradients of gradients flow through it. Any other
        ndarray comes back as a constant Tensor; ``None`` and numbers come back unchanged.
        """
        self._to_save = tensors
        versions = []
        modified = False  # a tensor changed in place before (a parameter after each step)
        for t in tensors:
            if isinstance(t, Tensor):
                vc = t._vc
                if vc and vc[0]:
                    modified = True
                    versions.append(vc[0])
                else:
                    versions.append(0)
            else:
                versions.append(None)
        versions = tuple(versions)
        # Only unmodified versions are shared: a parameter's count grows every step, and
        # storing each new tuple would grow the table for the whole run.
        self._saved_versions = versions if modified else _shared(_VERSIONS, versions)

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(_FREED)
        if not self._to_save:
            return ()
        user_fn = not self._fn._numpy_forward  # only a user forward returns Tensors
        result = []
        for item, version in zip(self._to_save, self._saved_versions):
            if item is None:
                result.append(None)
            elif isinstance(item, Tensor) and not (user_fn and self._is_output(item)):
                vc = item._vc
                if (vc[0] if vc else 0) != version:
                    raise RuntimeError(
                        f"one of the variables needed for gradient computation has been "
                        f"modified by an inplace operation: a tensor of shape "
                        f"{tuple(item.shape)} saved by {self.name()} was modified in place "
                        f"(version {vc[0]}, expected {version}); use out-of-place ops or "
                        f".clone() before modifying")
                result.append(item)
            else:
                result.append(self._unpack_other(item))
        return tuple(result)

    def _is_output(self, item) -> bool:
        return any(item is out for out in self._outputs)

    def _unpack_other(self, item):
        """An output (linked to this node), another array (a constant) or a plain value."""
        for nr, out in enumerate(self._outputs):
            if item is out:
                return self._saved_output(nr)
        if isinstance(item, np.ndarray):
            return _wrap(item)
        return item

    def _saved_output(self, nr: int) -> Tensor:
        counter = self._output_vcs[nr]
        if counter and counter[0] != 0:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: output {nr} of {self.name()} was modified in place "
                f"(version {counter[0]}, expected 0); use out-of-place ops or .clone() first")
        data = self._outputs[nr]
        data = data.data if isinstance(data, Tensor) else data
        differentiable = self._output_meta[nr][2]
        t = _wrap(data, differentiable, self if differentiable else None, nr)
        t._vc = counter
        if _state.fw is not None:  # forward-over-reverse: the output's tangent comes along
            tangent = _forward_ad.saved_output_tangent(self, nr)
            if tangent is not None:
                _state.fw.set(t, tangent)
        return t

    @property
    def next_functions(self) -> tuple:
        """((node, output_nr), ...): where each input came from; (None, 0) for an input that
        needs no gradient, (AccumulateGrad, 0) for a leaf."""
        return tuple(zip(self._next, self._next_nrs))

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs (the arrays forward returns) that carry no gradient, e.g. indices."""
        self._non_diff = outputs

    def mark_dirty(self, *tensors) -> None:
        """Accepted for PyTorch compatibility; chainrule's in-place ops handle versions."""

    def set_materialize_grads(self, value: bool) -> None:
        """If False, backward gets None (not zeros) for outputs that received no gradient."""
        self._materialize = value

    def name(self) -> str:
        """``MulBackward0`` for chainrule's ``Mul``; ``MyFnBackward`` for a user's ``MyFn``."""
        return self._fn._backward_name

    def register_hook(self, fn) -> HookHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        return HookHandle(self._post_hooks, fn)

    def register_prehook(self, fn) -> HookHandle:
        """``fn(grad_outputs)`` runs before this node's backward and may return replacements."""
        return self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, output_nr: int, fn) -> HookHandle:
        return _add_pre_hook(self, output_nr, fn)

    def _release(self) -> None:
        if self._to_save:
            self._to_save = ()
            self._released = True
        self._outputs = ()

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class HookHandle:
    """What registering a hook returns: ``handle.remove()`` unregisters it (idempotent)."""

    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list, fn) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_pre_hook(node, output_nr: int, fn) -> HookHandle:
    """Register ``fn`` on the gradient of ``node``'s output ``output_nr`` (-1: all outputs).

    The hook that ``retain_grad`` adds stays last, so ``.grad`` sees what the other hooks
    return, whatever the order of registration (as in PyTorch).
    """
    if node._pre_hooks is None:
        node._pre_hooks = {}
    hooks = node._pre_hooks.setdefault(output_nr, [])
    retains_last = bool(hooks) and getattr(hooks[-1], "retains_grad", False)
    hooks.insert(len(hooks) - 1 if retains_last else len(hooks), fn)
    return HookHandle(hooks, fn)


class AccumulateGrad:
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``.

    It holds its leaf weakly: if the leaf is gone, nobody can read the gradient.
    """

    next_functions = _next = _next_nrs = ()
    _output_meta = ((None, None, True),)  # one input slot, for the engine's buffers
    _pre_hooks = None
    _post_hooks = None
    _trace = None

    def __init__(self, leaf: Tensor) -> None:
        self._variable = weakref.ref(leaf)

    @property
    def variable(self) -> Tensor | None:
        return self._variable()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def _add_pre_hook(self, output_nr: int, fn) -> HookHandle:
        return _add_pre_hook(self, 0, fn)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def grad_accumulator(leaf: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, made once so every use of the leaf shares it."""
    node = leaf._accumulator
    if node is None:
        node = leaf._accumulator = AccumulateGrad(leaf)
    return node


class Function:
    """Base class of differentiable operations; subclass with ``forward`` and ``backward``.

    Example:
        >>> import chainrule
        >>> class Cube(chainrule.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x.data ** 3
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return grad * 3 * x ** 2
        >>> x = chainrule.tensor([2.0], requires_grad=True)
        >>> Cube.apply(x).backward()
        >>> x.grad
        tensor([12.])
    """

    _backward_name = "FunctionBackward"
    backward_numpy = None  # the rule in NumPy, for a backward that records nothing (see 4.)
    _numpy_forward = False  # True for chainrule's own ops: forward never touches Tensor ops

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        internal = cls.__module__.startswith("chainrule.")
        cls._backward_name = cls.__name__ + ("Backward0" if internal else "Backward")
        cls._numpy_forward = internal

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args):
        """Run forward on ``args`` and, if any input requires grad, record the graph node."""
        mode = _state.mode  # RECORD, NO_GRAD or SPECIAL (see grad_mode._GradState)
        if mode == SPECIAL:
            dispatch = _state._dispatch
            if dispatch is not None:  # vmap or forward AD
                return dispatch(cls, args)
            recording = _state.enabled  # anomaly mode: nodes keep where their forward ran
        else:
            recording = mode == RECORD
        if recording:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    return cls._apply_recorded(args, trace=mode == SPECIAL)
            if not cls._numpy_forward:
                return cls._apply_user_unrecorded(args)
        out = cls.forward(_NoGradCtx(), *args)
        if type(out) is tuple:
            return tuple(_wrap(_as_array(o)) for o in out)
        t = _new(Tensor)  # _wrap, inlined: this is every op of a backward pass
        _init(t, out if type(out) is np.ndarray else _as_array(out), False, None, 0)
        return t

    @classmethod
    def _apply_user_unrecorded(cls, args):
        _state.enabled = False  # a user forward computing with Tensors must not record
        try:
            out = cls.forward(_NoGradCtx(), *args)
        finally:
            _state.enabled = True
        if type(out) is tuple:
            return tuple(_wrap(_as_array(o)) for o in out)
        return _wrap(_as_array(out))

    @classmethod
    def _apply_recorded(cls, args, save_all: bool = False, trace: bool = False):
        """Forward, and the node. ``save_all``: every float input counts as needing a gradient
        (so forward saves what the rules read), as a jvp rule may read it. ``trace``: keep the
        stack that ran forward (anomaly mode)."""
        ctx = FunctionCtx()
        ctx._fn = cls
        ctx._to_save = ()
        nodes, shapes = [], []
        numbered = False  # an input that is a node's output 1, 2, ...: rare
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                fn = a.grad_fn
                if fn is None:  # a leaf: its AccumulateGrad is made once
                    nodes.append(a._accumulator or grad_accumulator(a))
                else:
                    nodes.append(fn)
                    numbered = numbered or a._output_nr != 0
                shapes.append(a.data.shape)
            else:
                nodes.append(None)
                shapes.append(None)
        shapes = tuple(shapes)
        shapes, needs = _SHAPES.get(shapes) or _shared_shapes(shapes)
        if numbered or len(args) >= len(_ZEROS):
            ctx._next_nrs = _output_nrs(args)
        else:
            ctx._next_nrs = _ZEROS[len(args)]
        if save_all:
            needs = tuple(n or (isinstance(a, Tensor) and a.data.dtype.kind == "f")
                          for n, a in zip(needs, args, strict=True))
            needs = _NEEDS.get(needs) or _shared(_NEEDS, needs)
        ctx.needs_input_grad = needs
        if cls._numpy_forward:
            raw = cls.forward(ctx, *args)
        else:
            _state.enabled = False
            try:
                raw = cls.forward(ctx, *args)
            finally:
                _state.enabled = True
        ctx._next = tuple(nodes)
        ctx._input_shapes = shapes
        if trace:
            ctx._trace = traceback.format_stack()[:-2]
        if type(raw) is not tuple:  # the common case: one output
            data = raw if type(raw) is np.ndarray else _as_array(raw)
            differentiable = data.dtype.kind == "f" and not ctx._non_diff
            ctx._outputs = (raw,)
            meta = ((data.shape, data.dtype, differentiable),)
            ctx._output_meta = _META.get(meta) or _shared(_META, meta)
            t = _new(Tensor)
            _init(t, data, differentiable, ctx if differentiable else None, 0)
            if ctx._to_save:  # t._shared_version(), inlined: t is new, so it has no counter
                t._vc = vc = _VERSION_0[:]
                ctx._output_vcs = (vc,)
            else:
                ctx._output_vcs = (None,)
            return t
        ctx._outputs = raw
        non_diff = ctx._non_diff
        results, meta, vcs = [], [], []
        for nr, out in enumerate(raw):
            data = _as_array(out)
            differentiable = data.dtype.kind == "f" and not any(out is n for n in non_diff)
            t = _wrap(data, differentiable, ctx if differentiable else None, nr)
            meta.append((data.shape, data.dtype, differentiable))
            vcs.append(t._shared_version() if ctx._to_save else None)
            results.append(t)
        ctx._output_meta = meta
        ctx._output_vcs = vcs
        return tuple(results)


# A recorded op keeps its node alive until backward, and Python's cyclic GC walks everything
# alive. needs_input_grad, the input shapes, the output's (shape, dtype, differentiable) and the
# versions of saved tensors repeat from op to op, so nodes share one tuple of each (in
# op_overhead's forward the GC's walks had been ~60% of the time).
# One table per kind: (True,) == (1,), so needs and shapes must not meet as keys.
_NEEDS: dict = {}
_NRS: dict = {}
_SHAPES: dict = {}
_ZEROS = tuple((0,) * n for n in range(64))  # the output numbers of n leaves or new inputs
_META: dict = {}
_VERSIONS: dict = {}


def _shared(table: dict, key: tuple) -> tuple:
    """The one stored tuple equal to ``key`` (``key`` itself, the first time)."""
    shared = table.get(key)
    if shared is None:
        if len(table) >= 4096:  # many distinct shapes (e.g. variable lengths): start over
            table.clear()
        shared = table[key] = key
    return shared


def _output_nrs(args: tuple) -> tuple:
    """The stored tuple of each input's output number (0 for a leaf or a non-Tensor)."""
    nrs = tuple(a._output_nr if isinstance(a, Tensor) and a._requires_grad and a.grad_fn
                is not None else 0 for a in args)
    return _NRS.get(nrs) or _shared(_NRS, nrs)


def _shared_shapes(shapes: tuple) -> tuple[tuple, tuple]:
    """The stored (input shapes, needs_input_grad) for ``shapes``: an input has a shape there
    exactly when it requires grad, so one lookup gives both."""
    if len(_SHAPES) >= 4096:
        _SHAPES.clear()
    entry = _SHAPES[shapes] = (shapes, tuple(shape is not None for shape in shapes))
    return entry


def _as_array(out) -> np.ndarray:
    if type(out) is np.ndarray:
        return out
    if isinstance(out, Tensor):
        return out.data
    return np.asarray(out)


def once_differentiable(fn):
    """Mark a backward as not differentiable itself: with create_graph its result is a constant.

    chainrule's own rules never need this; it exists for user Functions written in NumPy.
    """
    import functools

    from .grad_mode import no_grad

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with no_grad():
            return fn(ctx, *grads)

    return wrapper

