"""The backward pass: run each graph node once, in reverse topological order.

1. Count, for every node reachable from the roots, how many edges lead into it.
2. Start from the roots; a node runs when every edge into it has delivered its gradient, so a
   node shared by many paths runs once, with the sum of their gradients.
3. AccumulateGrad nodes add into ``leaf.grad`` (or, for ``autograd.grad``, hand the gradient
   back instead). Nothing here recurses, so a chain of a million operations is fine.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap
from .function import AccumulateGrad
from .grad_mode import NO_GRAD, _state


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool,
                 inputs=None, accumulate: bool = True) -> list | None:
    """Back-propagate ``root_grads`` from ``roots`` ((node, output_nr) pairs).

    With ``inputs`` (a list of (node, output_nr) capture points) returns their gradients;
    leaves accumulate only if ``accumulate`` and only those among ``inputs`` when given.
    """
    deps = _count_dependencies([node for node, _ in roots])
    captured = None
    if inputs is not None:
        captured = [None] * len(inputs)
        wanted = {}
        for i, key in enumerate(inputs):
            wanted.setdefault(key, []).append(i)
        active = _nodes_to_run(deps, roots, {node for node, _ in wanted})
    buffers: dict = {}
    delivered = {id(g.data) for g in root_grads}  # arrays a user or another leaf may hold
    for (node, nr), grad in zip(roots, root_grads):
        _add_to_buffer(buffers, node, nr, grad)
    ready = [node for node in dict.fromkeys(node for node, _ in roots) if not deps.get(node)]
    previous, _state.enabled = _state.enabled, create_graph
    watched = _state.trace is not None or _state.anomaly  # read once: thread-local reads cost
    plain = _state.mode == NO_GRAD  # no graph of the backward, no transform: sum in NumPy
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is None:  # every edge into it delivered None: nothing to propagate
                _release_children(node, deps, ready)
                continue
            if node._pre_hooks:
                grads = _run_pre_hooks(node, grads)
            if captured is not None:
                for nr, grad in enumerate(grads):
                    for i in wanted.get((node, nr), ()):
                        captured[i] = grad
                if node not in active:
                    _release_children(node, deps, ready)
                    continue
            if type(node) is AccumulateGrad:
                if accumulate:
                    _accumulate(node, grads[0], create_graph, delivered)
                if watched and _state.trace is not None:
                    _state.trace._record_leaf(node, grads[0], accumulate)
                continue
            if grads[0] is not None or any(g is not None for g in grads):
                _run_node(node, grads, deps, buffers, ready, retain_graph, watched, plain)
            else:
                _release_children(node, deps, ready)
    finally:
        _state.enabled = previous
    return captured


def _run_node(node, grads, deps, buffers, ready, retain_graph: bool, watched: bool,
              plain: bool) -> None:
    if len(grads) > 1 and node._materialize:  # zeros for outputs that got no gradient
        grads = [g if g is not None else _wrap(np.zeros(shape, dtype))
                 for g, (shape, dtype, _) in zip(grads, node._output_meta)]
    fn = node._fn
    numpy_rule = fn.backward_numpy if plain else None  # nothing records: the NumPy form
    out = numpy_rule(node, *grads) if numpy_rule is not None else fn.backward(node, *grads)
    if type(out) is not tuple:
        out = (out,)
    children = node._next
    if len(out) != len(children):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(children)}, got {len(out)})")
    if watched or node._post_hooks:  # autograd.trace, anomaly mode, hooks
        if _state.trace is not None:
            _state.trace._record_node(node, grads, out)
        _check_and_post_hook(node, out, grads)
    if not retain_graph:
        node._release()
    for child, nr, grad, shape in zip(children, node._next_nrs, out, node._input_shapes):
        if child is None:
            continue
        if grad is not None:
            if not isinstance(grad, Tensor):
                grad = Tensor(np.asarray(grad))
            if grad.data.shape != shape:
                grad = grad.sum_to_size(shape)
            slot = buffers.get(child)
            if slot is None:
                slot = buffers[child] = [None] * len(child._output_meta)
            if slot[nr] is None:
                slot[nr] = grad
            elif plain:  # a tensor used many times (a weight) sums one gradient per use
                slot[nr] = _wrap(slot[nr].data + grad.data)
            else:
                slot[nr] = slot[nr] + grad
        count = deps[child] - 1
        deps[child] = count
        if count == 0:
            ready.append(child)


def _add_to_buffer(buffers: dict, node, nr: int, grad: Tensor) -> None:
    slot = buffers.get(node)
    if slot is None:
        slot = buffers[node] = [None] * len(node._output_meta)
    slot[nr] = grad if slot[nr] is None else slot[nr] + grad


def _release_children(node, deps: dict, ready: list) -> None:
    for child in node._next:
        if child is not None:
            deps[child] -= 1
            if deps[child] == 0:
                ready.append(child)


def _run_pre_hooks(node, grads: list) -> list:
    for nr, fns in node._pre_hooks.items():
        for fn in fns:
            if nr == -1:  # a node pre-hook sees all output gradients at once
                result = fn(tuple(grads))
                grads = list(result) if result is not None else grads
            elif grads[nr] is not None:
                result = fn(grads[nr])
                if result is not None:
                    grads[nr] = result
    return grads


def _accumulate(node: AccumulateGrad, grad: Tensor | None, create_graph: bool,
                delivered: set) -> None:
    leaf = node._variable()
    if leaf is None or grad is None:
        return
    if leaf.grad is not None:
        leaf.grad = leaf.grad + grad  # out of place: the old .grad may be referenced elsewhere
        return
    data = grad.data
    if not create_graph and (data.base is not None or id(data) in delivered):
        grad = _wrap(data.copy())  # never let two .grad tensors share memory
    delivered.add(id(grad.data))
    leaf.grad = grad


def _check_and_post_hook(node, grad_inputs: tuple, grad_outputs: list) -> None:
    if _state.anomaly:
        for i, g in enumerate(grad_inputs):
            if g is not None and np.isnan(g.data).any():
                where = "".join(node._trace or ["(no forward trace: enable detect_anomaly "
                                                "before the forward pass)\n"])
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its "
                                   f"{i}th output.\nIts forward ran at:\n{where}")
    for hook in node._post_hooks or ():
        hook(grad_inputs, tuple(grad_outputs))


def _count_dependencies(roots: list) -> dict:
    deps: dict = {}
    stack = list(dict.fromkeys(roots))
    roots = set(stack)  # walked from the start; any other node is walked when first counted
    while stack:
        for child in stack.pop()._next:
            if child in deps:
                deps[child] += 1
            elif child is not None:
                deps[child] = 1
                if child not in roots:
                    stack.append(child)
    return deps


def _nodes_to_run(deps: dict, roots, targets: set) -> set:
    """Nodes whose backward must run to reach `targets`; the rest only pass the turn on."""
    remaining = dict(deps)
    order, ready = [], [n for n in dict.fromkeys(n for n, _ in roots) if not deps.get(n)]
    while ready:
        node = ready.pop()
        order.append(node)
        for child in node._next:
            if child is not None:
                remaining[child] -= 1
                if remaining[child] == 0:
                    ready.append(child)
    active = set()
    for node in reversed(order):
        if any(c in targets or c in active for c in node._next if c is not None):
            active.add(node)
    return active | {n for n in targets if type(n) is AccumulateGrad}
