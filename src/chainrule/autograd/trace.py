"""Tracing the backward pass: what every node of the graph received and produced, in order.

Inside ``with chainrule.autograd.trace() as t:``, every node the engine runs adds one
:class:`TraceEvent` to ``t.events``, in execution order (a reverse topological order of the
graph): the node's name, the gradients flowing in (``grad_outputs``, one per output of the
node), the gradients it produced (``grad_inputs``, one per input, already summed back to the
input's shape, ``None`` for inputs that need none) and, at a leaf, its ``.grad`` after the
accumulation. The recorded gradients are copies, so later in-place changes to ``.grad`` (an
optimizer's ``zero_grad``) do not alter the record.

Tracing costs nothing when off: the engine reads one thread-local attribute per node. It is
per thread, like the grad mode: a backward run in another thread is not recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..tensor import Tensor, _wrap
from .function import AccumulateGrad
from .grad_mode import _state

__all__ = ["trace", "TraceEvent"]


@dataclass(frozen=True)
class TraceEvent:
    """One node run by the engine.

    Attributes:
        index: position in execution order, from 0.
        name: the node's name, e.g. ``MulBackward0`` or ``torch::autograd::AccumulateGrad``.
        node: the node itself (the ``grad_fn``, or the leaf's AccumulateGrad).
        grad_outputs: the gradients flowing in, one per output of the node (None: no gradient).
        grad_inputs: the gradients it produced, one per input edge (None: none sent). Empty at
            a leaf.
        leaf: the leaf tensor, for an AccumulateGrad node (None if it no longer exists).
        accumulated: the leaf's ``.grad`` after this step; None when the engine did not
            accumulate (``autograd.grad``, or a leaf outside ``backward(inputs=...)``).
    """

    index: int
    name: str
    node: object
    grad_outputs: tuple[Tensor | None, ...]
    grad_inputs: tuple[Tensor | None, ...]
    leaf: Tensor | None = None
    accumulated: Tensor | None = None

    @property
    def is_leaf(self) -> bool:
        """True for the AccumulateGrad node of a leaf."""
        return type(self.node) is AccumulateGrad


class trace:
    """Record every node the backward pass runs, in execution order.

    Use as a context manager; ``as`` gives the recorder, whose ``events`` list fills up as
    ``backward()`` or ``autograd.grad()`` runs inside the block. Blocks may nest: the inner one
    records, the outer one resumes after it.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (x * x).sum()
        >>> with chainrule.autograd.trace() as t:
        ...     loss.backward()
        >>> t.names()
        ['SumBackward0', 'MulBackward0', 'torch::autograd::AccumulateGrad']
        >>> t.events[1].grad_inputs
        (tensor([1., 2.]), tensor([1., 2.]))
        >>> t.events[2].accumulated
        tensor([2., 4.])
    """

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self._previous = None

    def __enter__(self) -> trace:
        self._previous = _state.trace
        _state.trace = self
        return self

    def __exit__(self, *exc) -> None:
        _state.trace = self._previous
        self._previous = None

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __getitem__(self, index: int) -> TraceEvent:
        return self.events[index]

    def names(self) -> list[str]:
        """The names of the nodes run, in execution order."""
        return [e.name for e in self.events]

    def __repr__(self) -> str:
        return f"<autograd.trace of {len(self.events)} events>"

    # Called by the engine (engine.py), only while this recorder is active.
    def _record_node(self, node, grads, out: tuple) -> None:
        produced = []
        for (child, _), grad, shape in zip(node.next_functions, out, node._input_shapes):
            if child is None or grad is None:
                produced.append(None)
                continue
            data = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
            produced.append(_wrap(_sum_to_shape(data, shape).copy()))
        self.events.append(TraceEvent(len(self.events), node.name(), node, _copies(grads),
                                      tuple(produced)))

    def _record_leaf(self, node: AccumulateGrad, grad, accumulated: bool) -> None:
        leaf = node._variable()
        after = None
        if accumulated and leaf is not None and leaf.grad is not None and grad is not None:
            after = _wrap(leaf.grad.data.copy())
        self.events.append(TraceEvent(len(self.events), node.name(), node, _copies([grad]),
                                      (), leaf, after))


def _copies(grads) -> tuple[Tensor | None, ...]:
    return tuple(None if g is None else _wrap(g.data.copy()) for g in grads)


def _sum_to_shape(data: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient in the broadcast shape back to ``shape``, as the engine will."""
    if data.shape == shape:
        return data
    lead = data.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and data.shape[i + lead] != 1)
    return data.sum(axis=axes, keepdims=True).reshape(shape) if axes else data.reshape(shape)
