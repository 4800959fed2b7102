"""Seeing autograd: pictures of the graph and a step-by-step replay of the backward pass.

``graph(loss)`` gives a :class:`Graph`: ``.to_dot()`` (plain text, no dependency),
``.render("g.svg")`` and ``.render("g.png", format="png")`` (Graphviz: ``pip install
"chainrule[viz]"`` and ``apt-get install graphviz``), inline SVG in notebooks, and
``.to_html("replay.html", trace=t)``, a self-contained page that replays a backward recorded by
``chainrule.autograd.trace``. For the terminal: ``print_graph(loss)`` (also importable from
``chainrule.autograd.graph``) prints the graph as a text tree.

Example:
    >>> import chainrule.viz
    >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (x * x).sum()
    >>> g = chainrule.viz.graph(loss, params={"x": x})
    >>> with chainrule.autograd.trace() as t:
    ...     loss.backward()
    >>> t.names()
    ['SumBackward0', 'MulBackward0', 'torch::autograd::AccumulateGrad']
"""

from __future__ import annotations

from ..autograd.graph import print_graph
from .graph import Graph, GraphEdge, GraphNode, SavedTensor, graph

__all__ = ["graph", "print_graph", "Graph", "GraphNode", "GraphEdge", "SavedTensor"]
