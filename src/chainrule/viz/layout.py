"""A layered layout computed in Python, and the SVG drawn from it (no Graphviz needed).

Each node sits in the layer of its depth (the longest path from the root), so every edge
points from a higher layer to a lower one; the root is at the bottom, as Graphviz draws DOT
edges from inputs to their consumers. Within a layer nodes keep depth-first order from the root.
Elements carry stable ids (``node-n3``; ``edge-n3-0`` for input 0 of n3) and ``data-*``
attributes, which the replay page's script and its tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .graph import Graph, GraphNode

__all__ = ["layout", "to_svg"]

_CHAR_W = 7.2  # a 12px monospace character
_LINE_H = 15
_PAD = 8
_GAP_X = 24
_GAP_Y = 56
_MARGIN = 16


@dataclass
class Box:
    """Where a node is drawn: top-left corner, width and height, in pixels."""

    x: float
    y: float
    w: float
    h: float


def _lines(n: GraphNode) -> list[str]:
    return [n.title, n.meta]


def layout(graph: Graph) -> tuple[dict[str, Box], float, float]:
    """Boxes for every node of ``graph``, and the total width and height.

    Example:
        >>> import chainrule.viz
        >>> x = chainrule.tensor([1.0], requires_grad=True)
        >>> boxes, width, height = layout(chainrule.viz.graph(x.exp()))
        >>> boxes["n1"].y < boxes["n0"].y  # the leaf above the root
        True
    """
    layers: dict[int, list] = {}
    for n in graph.nodes:
        layers.setdefault(n.depth, []).append(n)
    deepest = max(layers)
    sizes = {n.id: (max(len(s) for s in _lines(n)) * _CHAR_W + 2 * _PAD,
                    len(_lines(n)) * _LINE_H + 2 * _PAD) for n in graph.nodes}
    widths = {d: sum(sizes[n.id][0] for n in layer) + _GAP_X * (len(layer) - 1)
              for d, layer in layers.items()}
    width = max(widths.values()) + 2 * _MARGIN
    row_h = max(h for _, h in sizes.values()) + _GAP_Y
    boxes = {}
    for d, layer in layers.items():
        x = (width - widths[d]) / 2
        y = _MARGIN + (deepest - d) * row_h
        for n in layer:
            w, h = sizes[n.id]
            boxes[n.id] = Box(x, y, w, h)
            x += w + _GAP_X
    return boxes, width, _MARGIN * 2 + (deepest + 1) * row_h - _GAP_Y


def to_svg(graph: Graph) -> str:
    """The graph drawn as an SVG document with the layout above."""
    boxes, width, height = layout(graph)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="graph" width="{width:.0f}" '
             f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'font-family="monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/>'
             '</marker></defs>']
    for e in graph.edges:
        a, b = boxes[e.src], boxes[e.dst]
        x1, y1, x2, y2 = a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y
        mid = (y1 + y2) / 2
        parts.append(f'<path class="edge" id="edge-{e.dst}-{e.index}" '
                     f'data-src="{e.src}" data-dst="{e.dst}" fill="none" stroke="#777" '
                     f'marker-end="url(#arrow)" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} '
                     f'{x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"/>')
    fills = {"op": "#e4e4e4", "leaf": "#add8e6"}
    for n in graph.nodes:
        box = boxes[n.id]
        fill = "#caff70" if n.id == graph.root else fills[n.kind]
        parts.append(f'<g class="node {n.kind}" id="node-{n.id}" data-node="{n.id}" '
                     f'data-name="{escape(n.name)}" data-kind="{n.kind}" '
                     f'data-title="{escape(n.title)}">'
                     f'<title>{escape(n.title)}</title>'
                     f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
                     f'height="{box.h:.1f}" rx="4" fill="{fill}" stroke="#333"/>')
        for i, text in enumerate(_lines(n)):
            y = box.y + _PAD + (i + 0.8) * _LINE_H
            parts.append(f'<text x="{box.x + _PAD:.1f}" y="{y:.1f}">{escape(text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
