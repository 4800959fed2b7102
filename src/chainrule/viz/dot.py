"""A Graph as DOT text, the input language of Graphviz: plain strings, no dependency.

Colours follow torchviz, which PyTorch users know: operations grey, leaves blue, the root
green, saved tensors orange (joined to their node by a dashed edge).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .graph import Graph, GraphNode

__all__ = ["to_dot"]

_FILL = {"op": "lightgrey", "leaf": "lightblue", "root": "darkolivegreen1", "saved": "orange"}


def to_dot(graph: Graph) -> str:
    """DOT for ``graph`` (a :class:`chainrule.viz.Graph`): one statement per node and edge.

    Example:
        >>> import chainrule.viz
        >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> print(chainrule.viz.graph(x.exp(), params={"x": x}).to_dot())
        digraph {
          graph [ordering=in];
          node [shape=box, style=filled, fontname=monospace, fontsize=10];
          n0 [label="ExpBackward0\\n(2,) float32", fillcolor=darkolivegreen1];
          n0_s0 [label="saved out\\n(2,) float32", fillcolor=orange];
          n0_s0 -> n0 [style=dashed, arrowhead=none];
          n1 [label="x\\n(2,) float32", fillcolor=lightblue];
          n1 -> n0;
        }
    """
    lines = ["digraph {", "  graph [ordering=in];",
             "  node [shape=box, style=filled, fontname=monospace, fontsize=10];"]
    into: dict[str, list] = {}
    for e in graph.edges:
        into.setdefault(e.dst, []).append(e)
    for n in graph.nodes:
        fill = _FILL["root"] if n.id == graph.root else _FILL[n.kind]
        lines.append(f"  {n.id} [label={_quote(_label(n))}, fillcolor={fill}];")
        for s in n.saved:
            text = [f"saved {s.role}", f"{s.shape} {s.dtype}"] + _array_lines(s.value)
            lines.append(f"  {s.id} [label={_quote(text)}, fillcolor={_FILL['saved']}];")
            lines.append(f"  {s.id} -> {n.id} [style=dashed, arrowhead=none];")
    for n in graph.nodes:  # edges after all nodes, so `ordering=in` keeps inputs in order
        for e in into.get(n.id, ()):
            multi = len(graph[e.src].outputs) > 1
            attrs = f" [label={_quote([f'output {e.output_nr}'])}]" if multi else ""
            lines.append(f"  {e.src} -> {e.dst}{attrs};")
    lines.append("}")
    return "\n".join(lines)


def _label(n: GraphNode) -> list[str]:
    text = [n.title]
    if n.kind == "leaf" and n.label is None:
        text[0] = "leaf"
    text.append(n.meta)
    if n.value is not None:
        text += ["value:"] + _array_lines(n.value)
    if n.grad is not None:
        text += ["grad:"] + _array_lines(n.grad)
    if n.freed:
        text.append("(saved tensors freed by backward)")
    return text


def _array_lines(value: np.ndarray | None) -> list[str]:
    if value is None:
        return []
    text = np.array2string(np.asarray(value), precision=4, threshold=12, edgeitems=2,
                           max_line_width=48, suppress_small=True)
    return text.splitlines()


def _quote(lines: list[str]) -> str:
    """A DOT string literal: lines joined by DOT's escaped newline, quotes escaped."""
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"') for line in lines]
    return '"' + "\\n".join(escaped) + '"'
