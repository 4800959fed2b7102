"""The graph of a tensor as an object to look at: nodes, edges, saved tensors, DOT text.

``graph(loss)`` walks ``loss.grad_fn`` and its ``next_functions`` (iteratively: a graph a
thousand operations deep is fine) and keeps, for every node, what a picture needs: its name
(``MulBackward0``; a leaf's name from ``params``), the shape and dtype of what it computed, the
tensors it saved for backward and, on request, values and gradients. Edges go the way data
flowed forward, from an input to the operation that used it; gradients flow back along them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..autograd.function import AccumulateGrad
from ..autograd.graph import _children, _leaf_names, _outputs, _root_node, _walk
from ..tensor import Tensor

if TYPE_CHECKING:
    from ..autograd.trace import trace as _Trace

__all__ = ["graph", "Graph", "GraphNode", "GraphEdge", "SavedTensor"]


@dataclass
class SavedTensor:
    """A tensor (or array) a node saved for backward with ``ctx.save_for_backward``.

    ``role`` is ``"out"`` for the node's own output, the leaf's name when ``params`` names it,
    else ``"#i"`` (its position in ``save_for_backward``).
    """

    id: str
    role: str
    shape: tuple[int, ...]
    dtype: str
    value: np.ndarray | None = None


@dataclass
class GraphNode:
    """One node: an operation (``kind == "op"``) or a leaf's AccumulateGrad (``"leaf"``).

    ``outputs`` lists (shape, dtype) per output; ``depth`` is the longest path from the root;
    ``freed`` says backward already released what the node saved.
    """

    id: str
    kind: str
    name: str
    label: str | None
    outputs: list[tuple[tuple[int, ...], str]]
    depth: int = 0
    value: np.ndarray | None = None
    grad: np.ndarray | None = None
    saved: list[SavedTensor] = field(default_factory=list)
    freed: bool = False
    node: object = field(default=None, repr=False)

    @property
    def title(self) -> str:
        """What a picture writes first: the op name, or the leaf's name (``leaf`` if unnamed)."""
        if self.kind == "leaf":
            return self.label or "leaf"
        return self.name

    @property
    def meta(self) -> str:
        """``(2, 3) float32``, one entry per output."""
        return ", ".join(f"{shape} {dtype}" for shape, dtype in self.outputs) or "(freed)"


@dataclass(frozen=True)
class GraphEdge:
    """``src`` was input ``index`` of ``dst``; ``output_nr`` is which output of ``src``."""

    src: str
    dst: str
    output_nr: int = 0
    index: int = 0


class Graph:
    """The recorded graph of a tensor; see :func:`graph`.

    Attributes:
        nodes: every node, root first (depth-first order from the root).
        edges: input -> consumer edges, once per use (an op using x twice has two).
        root: the id of the root node.
    """

    def __init__(self, tensor: Tensor, nodes: list[GraphNode], edges: list[GraphEdge]) -> None:
        self.tensor = tensor
        self.nodes = nodes
        self.edges = edges
        self.root = nodes[0].id
        self._by_node = {id(n.node): n for n in nodes}

    def __getitem__(self, node_id: str) -> GraphNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def find(self, node) -> GraphNode | None:
        """The GraphNode of an autograd node (a ``grad_fn``), or None if not in this graph."""
        return self._by_node.get(id(node))

    def __repr__(self) -> str:
        return f"<chainrule.viz.Graph: {len(self.nodes)} nodes, {len(self.edges)} edges>"

    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (needs nothing installed)."""
        from .dot import to_dot

        return to_dot(self)

    def render(self, path: str | os.PathLike, format: str = "svg") -> str:
        """Write a picture with Graphviz (``format`` "svg" or "png"); returns ``path``.

        Needs the ``graphviz`` Python package and the ``dot`` program:
        ``pip install "chainrule[viz]"`` and, on Debian, ``apt-get install graphviz``.
        """
        from .render import render

        return render(self.to_dot(), path, format)

    def _repr_svg_(self) -> str:
        """SVG for notebooks: Graphviz's drawing when installed, else chainrule's own layout."""
        from .layout import to_svg
        from .render import pipe_svg

        svg = pipe_svg(self.to_dot())
        return svg if svg is not None else to_svg(self)

    def to_html(self, path: str | os.PathLike, trace: _Trace | None = None) -> str:
        """Write a self-contained HTML page that replays the backward pass step by step.

        Args:
            path: the file to write.
            trace: a finished :class:`chainrule.autograd.trace` of a backward through this
                graph. Without it the backward is run here, from the root with gradient
                ones, through ``autograd.grad`` semantics (no ``.grad`` changes, graph kept).

        Returns the path. See :mod:`chainrule.viz.replay`.

        Example:
            >>> import os, tempfile
            >>> import chainrule.viz
            >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
            >>> loss = (x * x).sum()
            >>> g = chainrule.viz.graph(loss, params={"x": x})
            >>> with chainrule.autograd.trace() as t:
            ...     loss.backward()
            >>> path = g.to_html(os.path.join(tempfile.mkdtemp(), "replay.html"), trace=t)
            >>> os.path.getsize(path) > 0
            True
        """
        from .replay import write_html

        return write_html(self, path, trace)


def graph(tensor: Tensor, params: dict[str, Tensor] | None = None, show_values: bool = False,
          show_grads: bool = False) -> Graph:
    """The graph that computed ``tensor``, for pictures (DOT, SVG, PNG) and the HTML replay.

    Args:
        tensor: the result (e.g. a loss); it must require grad.
        params: names for leaves, e.g. ``dict(model.named_parameters())`` (or the
            ``(name, tensor)`` pairs themselves).
        show_values: keep the values computed by each node (while backward has not freed
            them), of every leaf and of every saved tensor.
        show_grads: keep each leaf's ``.grad``.

    Example:
        >>> import chainrule.viz
        >>> w = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> g = chainrule.viz.graph((w * 3).sum(), params={"w": w})
        >>> for n in g.nodes:
        ...     print(n.id, n.title, n.meta)
        n0 SumBackward0 () float32
        n1 MulBackward0 (2,) float32
        n2 w (2,) float32
        >>> [(e.src, e.dst) for e in g.edges]
        [('n1', 'n0'), ('n2', 'n1')]
    """
    root = _root_node(tensor, "viz.graph")
    order, uses = _walk(root)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    names = _leaf_names(params)
    nodes, edges = [], []
    for node in order:
        nodes.append(_make_node(node, ids[node], names, show_values, show_grads))
        for index, (child, nr) in enumerate(getattr(node, "next_functions", ())):
            if child is not None:
                edges.append(GraphEdge(ids[child], ids[node], nr, index))
    depths = _depths(order, uses, ids)
    for n in nodes:
        n.depth = depths[n.id]
    return Graph(tensor, nodes, edges)


def _make_node(node, node_id: str, names: dict[int, str], show_values: bool,
               show_grads: bool) -> GraphNode:
    outputs = _outputs(node)
    if type(node) is AccumulateGrad:
        leaf = node.variable
        label = names.get(id(leaf)) if leaf is not None else None
        n = GraphNode(node_id, "leaf", "AccumulateGrad", label, outputs, node=node)
        if leaf is not None:
            n.value = leaf.data.copy() if show_values else None
            n.grad = leaf.grad.data.copy() if show_grads and leaf.grad is not None else None
        return n
    n = GraphNode(node_id, "op", node.name(), None, outputs, node=node,
                  freed=bool(getattr(node, "_released", False)))
    n.saved = _saved(node, node_id, names, show_values)
    produced = getattr(node, "_outputs", ())
    if show_values and produced:
        first = produced[0]
        n.value = np.array(first.data if isinstance(first, Tensor) else first)
    return n


def _saved(node, node_id: str, names: dict[int, str], show_values: bool) -> list[SavedTensor]:
    saved = []
    produced = getattr(node, "_outputs", ())
    for i, item in enumerate(getattr(node, "_to_save", ())):
        if isinstance(item, Tensor):
            data = item.data
        elif isinstance(item, np.ndarray):
            data = item
        else:
            continue  # None and plain numbers are not tensors to draw
        if any(item is out for out in produced):
            role = "out"
        else:
            role = names.get(id(item), f"#{i}")
        value = np.array(data) if show_values else None
        saved.append(SavedTensor(f"{node_id}_s{i}", role, tuple(data.shape), str(data.dtype),
                                 value))
    return saved


def _depths(order: list, uses: dict, ids: dict) -> dict[str, int]:
    """The longest path from the root to each node (so every edge points one layer up)."""
    remaining = dict(uses)
    depth = {order[0]: 0}
    ready = [order[0]]
    while ready:
        node = ready.pop()
        for child, _ in _children(node):
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
            remaining[child] -= 1
            if remaining[child] == 0:
                ready.append(child)
    return {ids[node]: d for node, d in depth.items()}
