"""Forward-mode AD: dual tensors that carry a tangent through every operation.

Inside ``with dual_level():``, ``make_dual(x, t)`` gives a tensor equal to ``x`` that carries
the tangent ``t``. Each op that sees a dual input computes its output's tangent with the op's
``jvp`` rule, written beside its ``forward`` and ``backward`` in :mod:`chainrule.ops`:
``tangent_out = J(x) @ tangent_in``. ``unpack_dual(y)`` reads it back. One forward pass gives
one Jacobian-vector product, whatever the number of outputs.

Rules compute with chainrule ops, so tangents are differentiable by reverse mode
(``jacrev(jacfwd(f))``), and reverse-mode rules run on dual tensors propagate tangents
(``jacfwd(jacrev(f))``, PyTorch's recipe for hessians). Three shared rules cover most ops:

- ``diagonal_jvp``: elementwise ops with one input (and softmax, whose Jacobian is symmetric):
  the tangent is the backward rule applied to the tangent.
- ``linear_jvp``: ops linear in their float inputs (add, reshape, sum, indexing, cat ...): the
  tangent is the op applied to the tangents.
- ``multilinear_jvp``: ops linear in each float input separately (mul, matmul, einsum): the sum
  over inputs of the op with that one input replaced by its tangent.
- ``double_vjp_jvp``: fused ops (LSTM and GRU recurrences): the tangent from the backward rule
  by differentiating it once more, so no second rule needs writing.

Levels: one at a time, per thread (PyTorch refuses nested levels too). Tangents live in the
level, keyed weakly by tensor, and are gone when it exits.

Example:
    >>> import chainrule
    >>> from chainrule.autograd import forward_ad as fwAD
    >>> x = chainrule.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, chainrule.ones(2)) ** 2
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 4.])
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np

from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, _wrap
from .grad_mode import _state

__all__ = ["dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor", "enter_dual_level",
           "exit_dual_level"]


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


class _Level:
    """The tangents of one level: id(tensor) -> (weak reference, tangent)."""

    def __init__(self) -> None:
        self.tangents: dict[int, tuple] = {}

    def get(self, t: Tensor) -> Tensor | None:
        entry = self.tangents.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else None

    def set(self, t: Tensor, tangent: Tensor) -> None:
        key, tangents = id(t), self.tangents

        def drop(ref) -> None:  # the tensor died: forget its tangent (unless its id was reused)
            entry = tangents.get(key)
            if entry is not None and entry[0] is ref:
                del tangents[key]

        tangents[key] = (weakref.ref(t, drop), tangent)


def enter_dual_level() -> int:
    """Start a level (``dual_level`` does this for you). Returns its index, always 0."""
    if _state.fw is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _state.fw = _Level()
    if _state.dispatch is None:  # else vmap's handler runs first and passes ops on to us
        _state.dispatch = apply_dual
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """End the current level; every tangent it held is dropped."""
    if _state.fw is None:
        raise RuntimeError("exit_dual_level: no forward AD level is active")
    _state.fw = None
    if _state.dispatch is apply_dual:
        _state.dispatch = None


class dual_level:
    """Context manager for a forward-AD level: dual tensors exist only inside it."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` (reverse-mode gradients reach it) that carries ``tangent``."""
    fw = _state.fw
    if fw is None:
        raise RuntimeError("make_dual: no forward AD level is active; use it inside "
                           "`with forward_ad.dual_level():`")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual: expected two Tensors, got {type(tensor).__name__} and "
                        f"{type(tangent).__name__}")
    if tensor.data.dtype.kind != "f" or tangent.data.dtype != tensor.data.dtype:
        raise DTypeError(f"make_dual: the primal must be floating and the tangent of the same "
                         f"dtype, got primal {tensor.dtype} and tangent {tangent.dtype}")
    if tangent.shape != tensor.shape:
        raise ShapeError(f"make_dual: tangent of shape {tuple(tangent.shape)} does not match "
                         f"the primal's shape {tuple(tensor.shape)}")
    dual = _alias(tensor)
    _tangents_of(dual, tangent, fw.set)
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)``: the primal is a view without a tangent; tangent None if none."""
    fw = _state.fw
    tangent = _tangents_of(tensor, None, fw.get) if fw is not None else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor), tangent)


def _tangents_of(tensor: Tensor, tangent, access):
    """``access(tensor, tangent)`` (set) or ``access(tensor)`` (get) on the tensor that
    carries tangents. Tangents live on plain tensors: a vmap BatchedTensor names its value (and
    the matching batch of tangents) through ``_dual_parts``; the result is batched back."""
    parts = getattr(tensor, "_dual_parts", None)
    if parts is None:
        return access(tensor) if tangent is None else access(tensor, tangent)
    value, value_tangent, rewrap = parts(tangent)
    return rewrap(_tangents_of(value, value_tangent, access))


def _alias(tensor: Tensor) -> Tensor:
    """A new view of ``tensor`` in the graph (reverse-mode gradients pass), with no tangent."""
    from ..ops.shape import Reshape

    fw, dispatch = _suspend()
    try:
        return Reshape.apply(tensor, tensor.shape)
    finally:
        _state.fw, _state.dispatch = fw, dispatch


def _suspend() -> tuple:
    """Turn the level off (ops then see primals only); returns what to restore."""
    fw, dispatch = _state.fw, _state._dispatch
    _state.fw = None
    if dispatch is apply_dual:  # vmap's handler stays: it passes plain ops on unchanged
        _state.dispatch = None
    return fw, dispatch


# -- the machinery Function.apply calls while a level is active -------------------------------
def apply_dual(cls, args: tuple):
    """Run ``cls`` on ``args``; if an input carries a tangent, give the outputs theirs."""
    fw, dispatch = _state.fw, _state._dispatch
    tangents = [fw.get(a) if isinstance(a, Tensor) else None for a in args]
    _state.fw = None  # the forward and the rule run on primals only (_suspend, inlined)
    if dispatch is apply_dual:
        _state.dispatch = None
    try:
        if all(t is None for t in tangents):
            return cls.apply(*args)
        jvp = getattr(cls, "jvp", None)
        if jvp is None:
            raise RuntimeError(f"{cls.__name__}: this operation has no forward-mode AD rule "
                               f"(jvp); define jvp(ctx, *tangents) on the Function")
        records = _state.enabled and any(isinstance(a, Tensor) and a._requires_grad
                                         for a in args)
        out = cls._apply_recorded(args, save_all=True, trace=_state.anomaly)
        outs = out if type(out) is tuple else (out,)
        ctx = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
        if ctx is None:  # no differentiable output (indices, comparisons): nothing to carry
            return out
        if not records:  # the node exists only for the rule: outputs and saved ones are constants
            for o in outs:
                o.grad_fn, o._requires_grad = None, False
            ctx._output_meta = tuple((shape, dtype, False) for shape, dtype, _ in ctx._output_meta)
        ctx.primals, ctx.out = args, out
        try:
            result = jvp(ctx, *tangents)
        finally:
            del ctx.primals, ctx.out
    finally:
        _state.fw, _state.dispatch = fw, dispatch
    results = result if type(result) is tuple else (result,)
    tangents_out = []
    for o, t in zip(outs, results):
        t = _as_tangent(t, o) if t is not None and o.data.dtype.kind == "f" else None
        if t is not None:
            fw.set(o, t)
        tangents_out.append(t)
    if records:  # a saved output read back in backward must carry its tangent too
        ctx._fw_outputs = (fw, tangents_out)
    return out


def saved_output_tangent(ctx, nr: int) -> Tensor | None:
    """The tangent of ``ctx``'s output ``nr`` in the active level, if it has one."""
    stored = ctx.__dict__.get("_fw_outputs")
    if stored is None or stored[0] is not _state.fw:
        return None
    return stored[1][nr]


def _as_tangent(t, out: Tensor) -> Tensor:
    if not isinstance(t, Tensor):
        t = _wrap(np.asarray(t, dtype=out.data.dtype))
    if t.data.dtype != out.data.dtype:
        t = t.to(out.dtype)
    if t.shape != out.shape:
        t = t.expand(out.shape)
    return t


def _zeros_like(x: Tensor) -> Tensor:
    return _wrap(np.zeros_like(x.data))


# -- the shared rules --------------------------------------------------------------------------
def diagonal_jvp(ctx, tangent, *rest):
    """Elementwise with one input: J is diagonal (or symmetric), so J t = backward(t)."""
    out = ctx._fn.backward(ctx, tangent)
    return out[0] if type(out) is tuple else out


def linear_jvp(ctx, *tangents):
    """Linear in the float inputs: J t = op(t), other arguments (indices, dims) unchanged."""
    args = [_tangent_or_zeros(a, t) for a, t in zip(ctx.primals, tangents)]
    return ctx._fn.apply(*args)


def multilinear_jvp(ctx, *tangents):
    """Linear in each float input: J t = sum_i op(x_1, .., t_i, .., x_n)."""
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        args = list(ctx.primals)
        args[i] = t
        term = ctx._fn.apply(*args)
        total = term if total is None else total + term
    return total


def double_vjp_jvp(ctx, *tangents):
    """Any op whose backward is differentiable (fused ones): J t from the backward rule alone.

    ``u -> J^T u`` is linear in ``u``, so differentiating ``<J^T u, t>`` with respect to ``u``
    gives ``J t``. Two backward passes instead of one forward: for fused primitives (LSTM, GRU
    recurrences) whose tangent rule would repeat their whole backward by hand.
    """
    from . import grad as _grad
    from .grad_mode import enable_grad

    outs = ctx.out if type(ctx.out) is tuple else (ctx.out,)
    cotangents = [_zeros_like(o).requires_grad_() for o in outs]
    with enable_grad():
        grads = ctx._fn.backward(ctx, *cotangents)
        grads = grads if type(grads) is tuple else (grads,)
        total = None
        for g, t in zip(grads, tangents):
            if g is not None and t is not None:
                term = (g * t).sum()
                total = term if total is None else total + term
    result = _grad(total, cotangents, create_graph=True, allow_unused=True,
                   materialize_grads=True)
    return result if type(ctx.out) is tuple else result[0]


def add_terms(terms: list):
    """The sum of a rule's tangent terms (one per input that has a tangent; never empty)."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def zero_jvp(ctx, *tangents):
    """Piecewise constant (floor, sign, random draws): the tangent is zero."""
    outs = ctx.out if type(ctx.out) is tuple else (ctx.out,)
    zeros = tuple(_zeros_like(o) for o in outs)
    return zeros if type(ctx.out) is tuple else zeros[0]


def _tangent_or_zeros(a, t):
    if t is not None:
        return t
    if isinstance(a, Tensor) and a.data.dtype.kind == "f":
        return _zeros_like(a)
    return a
