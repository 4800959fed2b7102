"""viz.graph: the Graph object, its DOT text and chainrule's own layered SVG layout."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import chainrule
import chainrule.viz
from chainrule.viz import layout as layout_mod
from chainrule.viz import render as render_mod

NODE = re.compile(r'^  (n\d+(?:_s\d+)?) \[label="((?:[^"\\]|\\.)*)", fillcolor=(\w+)\];$')
EDGE = re.compile(r"^  (n\d+(?:_s\d+)?) -> (n\d+)( \[.*\])?;$")


def _mlp(rng):
    def leaf(*shape):
        return chainrule.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    params = {"w1": leaf(3, 4), "b1": leaf(4), "w2": leaf(4, 2)}
    x = chainrule.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    loss = ((x @ params["w1"] + params["b1"]).tanh() @ params["w2"]).mean()
    return loss, params


def _reachable(tensor):
    """Independent walk: every node, and every (input node, consumer node) edge, once per use."""
    nodes, edges, stack = [tensor.grad_fn], [], [tensor.grad_fn]
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            edges.append((child, node))
            if all(child is not n for n in nodes):
                nodes.append(child)
                stack.append(child)
    return nodes, edges


def _parse(dot):
    nodes, edges = {}, []
    for line in dot.splitlines()[3:-1]:
        m = NODE.match(line)
        if m:
            assert m.group(1) not in nodes, f"{m.group(1)} declared twice"
            nodes[m.group(1)] = (m.group(2).split("\\n"), m.group(3))
            continue
        m = EDGE.match(line)
        assert m, f"unexpected DOT line {line!r}"
        edges.append((m.group(1), m.group(2), m.group(3) or ""))
    return nodes, edges


def test_dot_names_every_node_and_edge(rng):
    loss, params = _mlp(rng)
    g = chainrule.viz.graph(loss, params)
    nodes, edges = _parse(g.to_dot())
    reach, reach_edges = _reachable(loss)
    by_id = {n.id: n for n in g.nodes}
    ops = {k: v for k, v in nodes.items() if "_s" not in k}
    assert len(ops) == len(reach) == len(g.nodes)
    assert sorted(by_id[k].node.name() for k in ops) == sorted(n.name() for n in reach)
    graph_edges = [(by_id[s].node, by_id[d].node) for s, d, _ in edges if "_s" not in s]
    assert len(graph_edges) == len(reach_edges)
    for edge in reach_edges:
        assert any(edge[0] is a and edge[1] is b for a, b in graph_edges)
    for k, (label, _) in ops.items():
        node = by_id[k].node
        if by_id[k].kind == "op":
            assert label[0] == node.name()
            assert label[1] == f"{node._output_meta[0][0]} float32"


def test_dot_leaves_named_from_params_with_shapes(rng):
    loss, params = _mlp(rng)
    nodes, _ = _parse(chainrule.viz.graph(loss, params).to_dot())
    leaves = {label[0]: (label[1], fill) for label, fill in nodes.values() if fill == "lightblue"}
    assert leaves == {"w1": ("(3, 4) float32", "lightblue"), "b1": ("(4,) float32", "lightblue"),
                      "w2": ("(4, 2) float32", "lightblue")}
    unnamed, _ = _parse(chainrule.viz.graph(loss).to_dot())
    assert sorted(label[0] for label, fill in unnamed.values() if fill == "lightblue") == \
        ["leaf"] * 3


def test_dot_root_is_green_and_first():
    x = chainrule.tensor([1.0], requires_grad=True)
    nodes, _ = _parse(chainrule.viz.graph(x.exp().sum()).to_dot())
    assert nodes["n0"] == (["SumBackward0", "() float32"], "darkolivegreen1")


def test_saved_tensors_are_shown_with_dashed_edges():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = chainrule.tensor([[3.0], [4.0]], requires_grad=True)
    out = x * y
    g = chainrule.viz.graph(out, {"x": x})
    assert [(s.role, s.shape, s.dtype) for s in g.nodes[0].saved] == [
        ("x", (2,), "float32"), ("#1", (2, 1), "float32")]
    nodes, edges = _parse(g.to_dot())
    assert nodes["n0_s0"] == (["saved x", "(2,) float32"], "orange")
    assert nodes["n0_s1"] == (["saved #1", "(2, 1) float32"], "orange")
    assert ("n0_s0", "n0", " [style=dashed, arrowhead=none]") in edges
    exp = chainrule.viz.graph(x.exp())
    assert [s.role for s in exp.nodes[0].saved] == ["out"]


def test_saved_tensors_freed_after_backward_are_noted():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    g = chainrule.viz.graph(loss)
    mul = g["n1"]
    assert mul.freed and mul.saved == []
    assert "(saved tensors freed by backward)" in g.to_dot()


def test_show_values_and_grads():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    loss = y.sum()
    loss.backward(retain_graph=True)
    g = chainrule.viz.graph(loss, {"x": x}, show_values=True, show_grads=True)
    np.testing.assert_array_equal(g["n1"].value, [3.0, 6.0])
    np.testing.assert_array_equal(g["n2"].value, [1.0, 2.0])
    np.testing.assert_array_equal(g["n2"].grad, [3.0, 3.0])
    nodes, _ = _parse(g.to_dot())
    assert nodes["n1"][0] == ["MulBackward0", "(2,) float32", "value:", "[3. 6.]"]
    assert nodes["n2"][0] == ["x", "(2,) float32", "value:", "[1. 2.]", "grad:", "[3. 3.]"]
    plain = chainrule.viz.graph(loss, {"x": x})
    assert plain["n1"].value is None and plain["n2"].grad is None


def test_multi_output_node_edges_are_labelled():
    x = chainrule.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = x.split(2)
    g = chainrule.viz.graph(a * b)
    assert [(e.src, e.dst, e.output_nr, e.index) for e in g.edges] == [
        ("n1", "n0", 0, 0), ("n1", "n0", 1, 1), ("n2", "n1", 0, 0)]
    _, edges = _parse(g.to_dot())
    assert ("n1", "n0", ' [label="output 0"]') in edges
    assert ("n1", "n0", ' [label="output 1"]') in edges


def test_dot_escapes_quotes_in_names():
    w = chainrule.tensor([1.0], requires_grad=True)
    dot = chainrule.viz.graph(w * 2, {'say "hi" \\': w}).to_dot()
    assert 'n1 [label="say \\"hi\\" \\\\\\n(1,) float32", fillcolor=lightblue];' in dot


def test_graph_of_1000_op_chain_is_iterative():
    x = chainrule.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(1000):
        y = y.sin()
    g = chainrule.viz.graph(y, {"x": x})
    assert len(g.nodes) == 1001 and len(g.edges) == 1000
    assert [n.depth for n in g.nodes] == list(range(1001))
    nodes, edges = _parse(g.to_dot())
    assert len([k for k in nodes if "_s" not in k]) == 1001
    assert len([e for e in edges if "_s" not in e[0]]) == 1000
    boxes, _, height = layout_mod.layout(g)
    assert boxes["n1000"].y < boxes["n0"].y < height


def test_depth_is_longest_path_from_root():
    x = chainrule.tensor([1.0], requires_grad=True)
    loss = x.exp().exp() + x  # x is at depth 3 through the exps, 1 directly
    g = chainrule.viz.graph(loss, {"x": x})
    assert {n.title: n.depth for n in g.nodes} == {"AddBackward0": 0, "ExpBackward0": 2, "x": 3}


def test_graph_lookup_by_id_and_by_node():
    x = chainrule.tensor([1.0], requires_grad=True)
    y = x.exp()
    g = chainrule.viz.graph(y)
    assert g.find(y.grad_fn) is g["n0"] and g.find(object()) is None
    assert repr(g) == "<chainrule.viz.Graph: 2 nodes, 1 edges>"
    with pytest.raises(KeyError):
        g["n9"]


def test_graph_of_leaf_is_one_node():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    g = chainrule.viz.graph(x, {"x": x})
    assert [(n.id, n.kind, n.title) for n in g.nodes] == [("n0", "leaf", "x")] and not g.edges


def test_graph_rejects_bad_input():
    with pytest.raises(ValueError, match=r"viz.graph: the tensor \(shape \(1,\)\) does not "
                                         r"require grad"):
        chainrule.viz.graph(chainrule.tensor([1.0]))
    with pytest.raises(TypeError, match="viz.graph: expected a Tensor, got ndarray"):
        chainrule.viz.graph(np.ones(2))


def test_layout_edges_point_down_and_boxes_do_not_overlap(rng):
    loss, params = _mlp(rng)
    g = chainrule.viz.graph(loss, params)
    boxes, width, height = layout_mod.layout(g)
    for e in g.edges:
        assert boxes[e.src].y + boxes[e.src].h < boxes[e.dst].y
    for a in g.nodes:
        box = boxes[a.id]
        assert 0 <= box.x and box.x + box.w <= width and box.y + box.h <= height
        for b in g.nodes:
            other = boxes[b.id]
            if a.id < b.id and box.y == other.y:
                assert box.x + box.w <= other.x or other.x + other.w <= box.x


def test_own_svg_has_stable_ids_for_every_node_and_edge(rng):
    loss, params = _mlp(rng)
    g = chainrule.viz.graph(loss, params)
    root = ET.fromstring(layout_mod.to_svg(g))
    ns = "{http://www.w3.org/2000/svg}"
    groups = {el.get("id"): el for el in root.iter(ns + "g")}
    assert sorted(groups) == sorted(f"node-{n.id}" for n in g.nodes)
    for n in g.nodes:
        el = groups[f"node-{n.id}"]
        assert (el.get("data-node"), el.get("data-name"), el.get("data-title")) == (
            n.id, n.name, n.title)
    paths = [el.get("id") for el in root.iter(ns + "path") if el.get("class") == "edge"]
    assert sorted(paths) == sorted(f"edge-{e.dst}-{e.index}" for e in g.edges)


def test_repr_svg_falls_back_to_own_layout_without_graphviz(monkeypatch):
    x = chainrule.tensor([1.0], requires_grad=True)
    g = chainrule.viz.graph(x.exp(), {"x": x})
    monkeypatch.setattr(render_mod, "pipe_svg", lambda dot: None)
    svg = g._repr_svg_()
    assert svg == layout_mod.to_svg(g)
    assert 'id="node-n1"' in svg and ">x</text>" in svg


def test_leaf_names_from_module_named_parameters():
    from chainrule.nn import Module, Parameter

    class Scale(Module):
        def __init__(self):
            super().__init__()
            self.weight = Parameter(chainrule.tensor([2.0, 3.0]))

        def forward(self, x):
            return x * self.weight

    inner = Scale()
    outer = Module()
    outer.scale = inner
    loss = inner(chainrule.tensor([1.0, 1.0])).sum()
    for params in (dict(outer.named_parameters()), outer.named_parameters()):
        g = chainrule.viz.graph(loss, params)
        assert [n.title for n in g.nodes if n.kind == "leaf"] == ["scale.weight"]
