"""The step-by-step replay of a backward pass: one self-contained HTML page.

The page shows the graph (laid out and drawn as SVG here, in Python) and, for each node the
engine ran, in order: the node highlighted, the gradient flowing in, the local derivative it
applies (in words and as its ``backward`` source), the gradients it sends to its inputs (those
edges light up) and, at a leaf, the ``.grad`` accumulated so far. Buttons and the arrow keys
(Home/End too) step forward and back. Everything is inline: no network, no external script.

Stable hooks for tests and scripts: ``#node-<id>`` (class ``active`` on the current node,
``done`` once run), ``#step-counter[data-step]``, ``#step-name``, ``#step-rule``,
``#grad-outputs``, ``#grad-inputs``, ``#step-saved``, ``#leaf-<id> .grad[data-grad]`` (a JSON
list of the leaf's current ``.grad``, exact), buttons ``#btn-first #btn-prev #btn-next
#btn-last``.
"""

from __future__ import annotations

import json
import os
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from ..autograd import engine
from ..autograd.function import AccumulateGrad
from ..autograd.trace import trace as _trace
from ..tensor import _wrap
from .assets import CSS, JS
from .layout import to_svg
from .rules import backward_source, rule_for

if TYPE_CHECKING:
    from .graph import Graph, GraphNode

__all__ = ["write_html", "replay_data"]

_EXACT_LIMIT = 10_000  # leaves with more elements get no exact data-grad list


def write_html(graph: Graph, path: str | os.PathLike, trace: _trace | None = None) -> str:
    """Write the replay page of ``graph`` (see :meth:`chainrule.viz.Graph.to_html`)."""
    if trace is None:
        trace = _run_trace(graph)
    data = replay_data(graph, trace)
    page = _page(graph, data)
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def _run_trace(graph: Graph) -> _trace:
    """Trace a backward from the root (gradient ones) that leaves every .grad untouched."""
    root = graph.tensor
    node = root.grad_fn
    if node is None:
        raise ValueError("to_html: the tensor is a leaf, so there is no backward pass to replay")
    ones = _wrap(np.ones_like(root.data))
    with _trace() as t:
        try:
            engine.run_backward([(node, root._output_nr)], [ones], retain_graph=True,
                                create_graph=False, accumulate=False)
        except RuntimeError as err:
            if "second time" not in str(err):
                raise
            raise RuntimeError(
                "to_html: backward() already freed this graph. Build the graph, then run "
                "`with chainrule.autograd.trace() as t: loss.backward()` and pass trace=t "
                "(or call backward with retain_graph=True)") from err
    return t


def _text(value) -> str:
    if value is None:
        return "None"
    arr = np.asarray(value.data if hasattr(value, "data") else value)
    body = np.array2string(arr, precision=4, threshold=24, edgeitems=3, max_line_width=64,
                           suppress_small=True)
    return f"{body}\n  shape {tuple(arr.shape)} {arr.dtype}"


def _exact(arr: np.ndarray) -> list[str] | None:
    """Every element as the shortest string that reads back to the same float (JSON-safe)."""
    if arr.size > _EXACT_LIMIT:
        return None
    return [repr(float(v)) for v in arr.ravel().tolist()]


def replay_data(graph: Graph, trace: _trace) -> dict:
    """What the page's script replays: the steps, the leaves and the backward sources."""
    steps, sources, leaf_grads = [], {}, {}
    for event in trace.events:
        gnode = graph.find(event.node)
        if gnode is None:
            raise ValueError(f"to_html: step {event.index} of the trace ran {event.name}, which "
                             f"is not in this graph; trace a backward through this graph")
        step = {"node": gnode.id, "name": event.name, "rule": rule_for(event.node),
                "grad_outputs": [_text(g) for g in event.grad_outputs], "grad_inputs": []}
        edges = getattr(event.node, "next_functions", ())
        for index, ((child, _), g) in enumerate(zip(edges, event.grad_inputs)):
            if child is not None and g is not None:
                target = graph.find(child).id
                step["grad_inputs"].append({"to": target, "index": index, "text": _text(g)})
        if type(event.node) is AccumulateGrad:
            step["leaf"] = _leaf_step(gnode, event, leaf_grads)
        elif event.name not in sources:
            sources[event.name] = backward_source(event.node)
        steps.append(step)
    leaves = [{"node": n.id, "name": n.title, "meta": n.meta} for n in graph.nodes
              if n.kind == "leaf"]
    saved = {n.id: _saved_text(n) for n in graph.nodes if n.kind == "op"}
    return {"steps": steps, "leaves": leaves, "sources": sources, "saved": saved,
            "root": graph.root}


def _saved_text(n: GraphNode) -> str:
    if n.freed:
        return "(freed by backward: build the graph before calling backward to see them)"
    lines = [f"{s.role}: {s.shape} {s.dtype}" for s in n.saved]
    return "\n".join(lines) or "(nothing)"


def _leaf_step(gnode: GraphNode, event, leaf_grads: dict) -> dict:
    """The leaf's .grad after this step: recorded by the trace, else the running sum."""
    incoming = event.grad_outputs[0]
    if event.accumulated is not None:
        value = event.accumulated.data
    elif incoming is None:
        value = leaf_grads.get(gnode.id)
    else:
        before = leaf_grads.get(gnode.id)
        value = incoming.data if before is None else before + incoming.data
    leaf_grads[gnode.id] = value
    return {"text": _text(value), "exact": None if value is None else _exact(value)}


def _page(graph: Graph, data: dict) -> str:
    payload = json.dumps(data).replace("<", "\\u003c")  # the script's text holds no tag
    title = escape(f"Backward replay: {graph[graph.root].title}")
    rows = "\n".join(
        f'<tr id="leaf-{leaf["node"]}" data-node="{leaf["node"]}"><td>{escape(leaf["name"])}'
        f'</td><td class="meta">{escape(leaf["meta"])}</td><td><pre class="grad" '
        f'data-grad="null">None</pre></td></tr>' for leaf in data["leaves"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{CSS}</style></head>
<body data-step="0">
<header><h1>{title}</h1>
<nav><button id="btn-first" title="Home">&#x00AB; first</button>
<button id="btn-prev" title="Left arrow">&#x2039; back</button>
<span id="step-counter" data-step="0"></span>
<button id="btn-next" title="Right arrow">forward &#x203A;</button>
<button id="btn-last" title="End">last &#x00BB;</button></nav></header>
<main><section id="canvas">{to_svg(graph)}</section>
<aside id="panel">
<h2 id="step-name"></h2><p id="step-rule"></p>
<h3>gradient flowing in (grad_outputs)</h3><pre id="grad-outputs"></pre>
<h3>gradients sent to inputs (grad_inputs)</h3><div id="grad-inputs"></div>
<h3>saved for backward (ctx.saved_tensors)</h3><pre id="step-saved"></pre>
<details id="source-box"><summary>backward source</summary><pre id="step-source"></pre>
</details>
<h3>leaves: .grad so far</h3>
<table id="leaf-grads"><tbody>
{rows}
</tbody></table>
</aside></main>
<script type="application/json" id="replay-data">{payload}</script>
<script>{JS}</script>
</body></html>
"""
