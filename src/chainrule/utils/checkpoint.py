"""Activation checkpointing: trade compute for memory by recomputing a segment in backward.

``checkpoint(f, x)`` returns ``f(x)`` but keeps none of the intermediate results ``f`` would
save for backward: only its inputs. In backward, ``f`` runs again with grad enabled (from the
same random state, so dropout draws the same masks) and the incoming gradient is
back-propagated through that recomputation. The gradients are those of the plain run.

Two variants, as in PyTorch:

- ``use_reentrant=True`` (the default, also for None): the forward runs under ``no_grad``.
  The backward calls ``autograd.backward`` on the recomputation, so tensors ``f`` captured by
  closure (parameters) accumulate their ``.grad`` there, even under ``autograd.grad`` (which
  returns the gradients of the explicit inputs only). Gradients reach the checkpoint only
  through an input that requires grad; no keyword arguments, no double backward.
- ``use_reentrant=False``: the forward runs with grad enabled once, to find the leaves ``f``
  uses (e.g. parameters it captured), then frees that graph (so the forward's peak still
  holds one segment's activations). The leaves become inputs of the checkpoint's graph node,
  so ``autograd.grad``, keyword arguments and double backward (``create_graph=True``) all
  work.

Inside a forward-AD level (``forward_ad.dual_level``, ``func.jvp``, ``func.jacfwd``) the
function simply runs, unchanged, so tangents pass through it (also those of tensors it
captured); nothing is saved or recomputed there.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from .. import autograd
from ..autograd.function import AccumulateGrad, Function
from ..autograd.grad_mode import _state, enable_grad, is_grad_enabled, no_grad
from ..ops.shape import clone
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Run:
    """What the backward needs to run the function again."""

    def __init__(self, function: Callable, kwargs: dict, n_args: int, reentrant: bool,
                 rng_state: Tensor | None) -> None:
        self.function, self.kwargs, self.n_args = function, kwargs, n_args
        self.reentrant, self.rng_state = reentrant, rng_state
        self.outputs: tuple | None = None  # (use_reentrant=False) the forward's results
        self.is_tuple = False

    def call(self, args) -> tuple:
        out = self.function(*args, **self.kwargs)
        self.is_tuple = isinstance(out, tuple)
        outs = out if self.is_tuple else (out,)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(f"checkpoint: the function must return a Tensor or a tuple of "
                                f"Tensors, got a {type(o).__name__}")
        return outs

    def recompute(self, inputs) -> tuple:
        """The function again, from the random state of the first run, on inputs that
        require grad (linked to the originals only when recording a graph of the backward,
        which the reentrant variant does not support, as in PyTorch)."""
        record = is_grad_enabled() and not self.reentrant
        fresh = [x if not isinstance(x, Tensor) else
                 clone(x) if record and x.requires_grad else
                 x.detach().requires_grad_(x.requires_grad) for x in inputs]
        saved = get_rng_state() if self.rng_state is not None else None
        if saved is not None:
            set_rng_state(self.rng_state)
        try:
            with enable_grad():
                outs = self.call(fresh)
        finally:
            if saved is not None:
                set_rng_state(saved)
        return fresh, outs


class Checkpoint(Function):
    """outs = function(*args); nothing but the inputs is kept: backward recomputes."""

    @staticmethod
    def forward(ctx, run: _Run, *tensors):
        ctx.run = run
        ctx.save_for_backward(*tensors)
        if run.outputs is None:
            with no_grad():
                outs = run.call(tensors)
        else:
            outs, run.outputs = run.outputs, None  # hold no reference to the graph
        data = tuple(o.data for o in outs)
        return data if run.is_tuple else data[0]

    @staticmethod
    def backward(ctx, *grads):
        run: _Run = ctx.run
        saved = ctx.saved_tensors
        inputs, leaves = saved[:run.n_args], saved[run.n_args:]
        fresh, outs = run.recompute(inputs)
        pairs = [(o, g) for o, g in zip(outs, grads) if o.requires_grad and g is not None]
        result: list = [None] * len(saved)
        if not pairs:
            return (None, *result)
        outs, grads = [o for o, _ in pairs], [g for _, g in pairs]
        if run.reentrant:
            if is_grad_enabled():  # the gradients would be constants: say so, do not mislead
                raise RuntimeError("checkpoint: use_reentrant=True does not support double "
                                   "backward (create_graph=True, or a func transform inside "
                                   "another); pass use_reentrant=False")
            autograd.backward(outs, grads)  # captured leaves accumulate here
            result[:run.n_args] = [f.grad if isinstance(f, Tensor) else None for f in fresh]
            return (None, *result)
        wanted = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
        targets = [fresh[i] for i in wanted] + list(leaves)
        got = autograd.grad(outs, targets, grads, retain_graph=True,
                            create_graph=is_grad_enabled(), allow_unused=True)
        for i, g in zip(wanted + list(range(run.n_args, len(saved))), got):
            result[i] = g
        return (None, *result)


def _captured_leaves(outs: tuple, fresh: list) -> list[Tensor]:
    """The leaves that require grad in the graph of ``outs``, other than ``fresh`` (iterative)."""
    own = {id(x) for x in fresh}
    leaves = [o for o in outs if o.requires_grad and o.grad_fn is None and id(o) not in own]
    stack = [o.grad_fn for o in outs if o.grad_fn is not None]
    seen = set(stack)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is None or child in seen:
                continue
            seen.add(child)
            if type(child) is AccumulateGrad:
                leaf = child.variable
                if leaf is not None and id(leaf) not in own:
                    leaves.append(leaf)
            else:
                stack.append(child)
    return leaves


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs):
    """``function(*args, **kwargs)``, recomputed in backward instead of keeping activations.

    Args:
        function: returns a Tensor or a tuple of Tensors.
        args: its positional arguments.
        use_reentrant: which variant (see the module docstring); None means True, as PyTorch.
        preserve_rng_state: restore the random state before recomputing, so random ops (dropout)
            draw the same numbers.
        kwargs: keyword arguments for ``function`` (only with ``use_reentrant=False``).

    Example:
        >>> import chainrule
        >>> from chainrule.utils.checkpoint import checkpoint
        >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> checkpoint(lambda t: (t.exp() * t).sum(), x, use_reentrant=False).backward()
        >>> x.grad  # (1 + x) exp(x)
        tensor([ 5.4366, 22.1672])
    """
    reentrant = True if use_reentrant is None else use_reentrant
    if reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not is_grad_enabled() or _state.fw is not None:  # no graph, or forward mode
        return function(*args, **kwargs)
    rng_state = get_rng_state() if preserve_rng_state else None
    run = _Run(function, kwargs, len(args), reentrant, rng_state)
    if reentrant:
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
        return Checkpoint.apply(run, *args)
    fresh = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
             for a in args]
    with enable_grad():
        outs = run.call(fresh)
    leaves = _captured_leaves(outs, fresh)
    run.outputs = tuple(o.detach() for o in outs)
    del outs, fresh  # the graph of the first run goes now
    return Checkpoint.apply(run, *args, *leaves)


def checkpoint_sequential(functions, segments: int, input: Tensor,
                          use_reentrant: bool | None = None, **kwargs):
    """Run ``functions`` in order, as ``segments`` checkpointed pieces (the last one plain).

    Only the input of each segment is kept; backward recomputes one segment at a time.

    Args:
        functions: an ``nn.Sequential`` or a list of modules or functions of one argument.
        segments: how many pieces to cut the sequence into.
        input: the input of the first function.
        use_reentrant: passed to :func:`checkpoint`.
        kwargs: only ``preserve_rng_state``.

    Example:
        >>> import chainrule
        >>> from chainrule.utils.checkpoint import checkpoint_sequential
        >>> x = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> y = checkpoint_sequential([chainrule.exp, chainrule.neg], 2, x, use_reentrant=False)
        >>> y.sum().backward()
        >>> x.grad
        tensor([-2.7183, -0.1353])
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    functions = list(functions)
    if not isinstance(segments, int) or not 1 <= segments <= max(len(functions), 1):
        raise ValueError(f"checkpoint_sequential: segments must be an int from 1 to the number "
                         f"of functions ({len(functions)}), got {segments!r}")

    def run_segment(start: int, end: int) -> Callable:
        def forward(x):
            for fn in functions[start:end]:
                x = fn(x)
            return x

        return forward

    size = len(functions) // segments
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run_segment(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_segment(end, len(functions))(input)
