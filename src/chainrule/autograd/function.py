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
"""

from __future__ import annotations

import traceback
import weakref

import numpy as np

from ..tensor import Tensor, _wrap
from .grad_mode import _state

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class _AllFalse(tuple):
    """needs_input_grad when nothing is recorded: False at every index."""

    def __getitem__(self, index):
        return False


class _NoGradCtx:
    """The ctx forward gets when nothing will be recorded: saving is a no-op."""

    needs_input_grad = _AllFalse()

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

    _released = False
    _to_save = ()
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
        self._saved_versions = tuple(
            (t._vc[0] if t._vc else 0) if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(_FREED)
        return tuple(self._unpack(item, version)
                     for item, version in zip(self._to_save, self._saved_versions))

    def _unpack(self, item, version):
        outputs = self._outputs
        for nr, out in enumerate(outputs):
            if item is out:
                return self._saved_output(nr)
        if isinstance(item, Tensor):
            current = item._vc[0] if item._vc else 0
            if current != version:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: a tensor of shape {tuple(item.shape)} saved by "
                    f"{self.name()} was modified in place (version {current}, expected "
                    f"{version}); use out-of-place ops or .clone() before modifying")
            return item
        if isinstance(item, np.ndarray):
            return Tensor(item)
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
        return t

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

    def register_hook(self, fn) -> None:
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)

    def register_prehook(self, fn) -> None:
        """``fn(grad_outputs)`` runs before this node's backward and may return replacements."""
        self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, output_nr: int, fn) -> None:
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._pre_hooks.setdefault(output_nr, []).append(fn)

    def _release(self) -> None:
        if self._to_save:
            self._to_save = ()
            self._released = True
        self._outputs = ()

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad:
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``.

    It holds its leaf weakly: if the leaf is gone, nobody can read the gradient.
    """

    next_functions = ()
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

    def _add_pre_hook(self, output_nr: int, fn) -> None:
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._pre_hooks.setdefault(0, []).append(fn)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def grad_accumulator(leaf: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, made once so every use of the leaf shares it."""
    acc = leaf._grad_acc
    if acc is None:
        acc = leaf._grad_acc = AccumulateGrad(leaf)
    return acc


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

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        suffix = "Backward0" if cls.__module__.startswith("chainrule.") else "Backward"
        cls._backward_name = cls.__name__ + suffix

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args):
        """Run forward on ``args`` and, if any input requires grad, record the graph node."""
        if _state.enabled:
            needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
            if True in needs:
                return cls._apply_recorded(args, needs)
        _state.enabled, enabled = False, _state.enabled
        try:
            out = cls.forward(_NoGradCtx(), *args)
        finally:
            _state.enabled = enabled
        if type(out) is tuple:
            return tuple(_wrap(_as_array(o)) for o in out)
        return _wrap(_as_array(out))

    @classmethod
    def _apply_recorded(cls, args, needs):
        ctx = FunctionCtx()
        ctx._fn = cls
        ctx.needs_input_grad = needs
        _state.enabled = False  # a user forward computing with Tensors must not record
        try:
            raw = cls.forward(ctx, *args)
        finally:
            _state.enabled = True
        edges, shapes = [], []
        for a, need in zip(args, needs):
            if need:
                fn = a.grad_fn
                edges.append((fn, a._output_nr) if fn is not None else (grad_accumulator(a), 0))
                shapes.append(a.data.shape)
            else:
                edges.append((None, 0))
                shapes.append(None)
        ctx.next_functions = tuple(edges)
        ctx._input_shapes = shapes
        if _state.anomaly:
            ctx._trace = traceback.format_stack()[:-2]
        multiple = type(raw) is tuple
        outs = raw if multiple else (raw,)
        ctx._outputs = outs
        non_diff = ctx._non_diff
        results, meta, vcs = [], [], []
        for nr, out in enumerate(outs):
            data = _as_array(out)
            differentiable = data.dtype.kind == "f" and not any(out is n for n in non_diff)
            t = _wrap(data, differentiable, ctx if differentiable else None, nr)
            meta.append((data.shape, data.dtype, differentiable))
            if ctx._to_save:
                t._vc = [0]
            vcs.append(t._vc)
            results.append(t)
        ctx._output_meta = meta
        ctx._output_vcs = vcs
        return tuple(results) if multiple else results[0]


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
