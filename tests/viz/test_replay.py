"""The HTML replay page, read as text and data (the browser test is test_replay_browser.py)."""

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import chainrule
import chainrule.viz
from chainrule.viz.replay import _run_trace, replay_data


def _mlp(rng):
    def leaf(*shape):
        return chainrule.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    params = {"w1": leaf(3, 4), "b1": leaf(4), "w2": leaf(4, 2)}
    x = chainrule.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    loss = ((x @ params["w1"] + params["b1"]).tanh() @ params["w2"]).mean()
    return loss, params


class _Collect(HTMLParser):
    """Tags, attributes and the JSON payload of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.payload, self._in_data = [], None, False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_data = tag == "script" and dict(attrs).get("id") == "replay-data"

    def handle_data(self, data):
        if self._in_data:
            self.payload = json.loads(data)
            self._in_data = False


def _page(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    parsed = _Collect()
    parsed.feed(text)
    return text, parsed


def test_page_is_self_contained(rng, tmp_path):
    loss, params = _mlp(rng)
    g = chainrule.viz.graph(loss, params)
    with chainrule.autograd.trace() as t:
        loss.backward()
    text, parsed = _page(g.to_html(str(tmp_path / "replay.html"), trace=t))
    assert re.findall(r"https?://[^\"' ]+", text) == ["http://www.w3.org/2000/svg"]  # xmlns
    assert not any(tag == "link" or "src" in attrs or "href" in attrs
                   for tag, attrs in parsed.tags)
    ids = [attrs["id"] for _, attrs in parsed.tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    for needed in ["btn-first", "btn-prev", "btn-next", "btn-last", "step-counter", "step-rule",
                   "grad-outputs", "grad-inputs", "leaf-grads", "graph"]:
        assert needed in ids
    assert {f"node-{n.id}" for n in g.nodes} <= set(ids)


def test_steps_follow_the_trace_with_rules(rng, tmp_path):
    loss, params = _mlp(rng)
    g = chainrule.viz.graph(loss, params)
    with chainrule.autograd.trace() as t:
        loss.backward()
    data = replay_data(g, t)
    assert [s["name"] for s in data["steps"]] == t.names()
    assert [s["node"] for s in data["steps"]] == [g.find(e.node).id for e in t]
    rules = {s["name"]: s["rule"] for s in data["steps"]}
    assert rules["MatMulBackward0"] == "MatMulBackward0: grad_x = grad @ yᵀ, grad_y = xᵀ @ grad"
    assert rules["TanhBackward0"] == "TanhBackward0: grad_x = grad * (1 - out²)"
    assert "def backward(ctx, grad)" in data["sources"]["TanhBackward0"]
    add = next(s for s in data["steps"] if s["name"] == "AddBackward0")
    assert [(i["to"], i["index"]) for i in add["grad_inputs"]] == [
        (e.src, e.index) for e in g.edges if e.dst == add["node"]]


def test_final_leaf_grads_are_exact(rng, tmp_path):
    loss, params = _mlp(rng)
    g = chainrule.viz.graph(loss, params)
    with chainrule.autograd.trace() as t:
        loss.backward()
    data = replay_data(g, t)
    names = {n.id: n.title for n in g.nodes}
    finals = {names[s["node"]]: s["leaf"]["exact"] for s in data["steps"] if "leaf" in s}
    assert sorted(finals) == sorted(params)
    for name, exact in finals.items():
        grad = params[name].grad.data
        np.testing.assert_array_equal(np.array([float(v) for v in exact], np.float32),
                                      grad.ravel())


def test_page_without_trace_leaves_grad_untouched(rng, tmp_path):
    loss, params = _mlp(rng)
    g = chainrule.viz.graph(loss, params)
    _, parsed = _page(g.to_html(str(tmp_path / "replay.html")))
    assert all(p.grad is None for p in params.values())
    loss.backward()  # the graph was kept, and the page shows what backward now accumulates
    names = {n.id: n.title for n in g.nodes}
    for step in parsed.payload["steps"]:
        if "leaf" in step:
            exact = np.array([float(v) for v in step["leaf"]["exact"]], np.float32)
            np.testing.assert_array_equal(exact, params[names[step["node"]]].grad.data.ravel())


def test_leaf_used_twice_shows_running_sum_without_trace():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()  # MulBackward0 sends two gradients into x, summed before accumulating
    g = chainrule.viz.graph(loss, {"x": x})
    data = replay_data(g, _run_trace(g))
    leaf_steps = [s for s in data["steps"] if "leaf" in s]
    assert len(leaf_steps) == 1 and leaf_steps[0]["leaf"]["exact"] == ["2.0", "4.0"]


def test_html_escapes_names_and_script_end(tmp_path):
    x = chainrule.tensor([1.0], requires_grad=True)
    name = "</script><b>x</b>"
    g = chainrule.viz.graph(x.exp().sum(), {name: x})
    text, parsed = _page(g.to_html(str(tmp_path / "r.html")))
    assert "<b>" not in text
    assert parsed.payload["leaves"][0]["name"] == name


def test_freed_graph_without_trace_explains_what_to_do(tmp_path):
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"to_html: backward\(\) already freed this graph.*"
                                           r"pass trace=t"):
        chainrule.viz.graph(loss).to_html(str(tmp_path / "r.html"))


def test_trace_of_another_graph_is_rejected(tmp_path):
    x = chainrule.tensor([1.0], requires_grad=True)
    with chainrule.autograd.trace() as t:
        x.exp().sum().backward()
    g = chainrule.viz.graph((x * 2).sum())
    with pytest.raises(ValueError, match="to_html: step 0 of the trace ran SumBackward0, which "
                                         "is not in this graph"):
        g.to_html(str(tmp_path / "r.html"), trace=t)
    assert not (tmp_path / "r.html").exists()


def test_leaf_root_has_nothing_to_replay(tmp_path):
    x = chainrule.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="to_html: the tensor is a leaf"):
        chainrule.viz.graph(x).to_html(str(tmp_path / "r.html"))


def test_page_of_1000_op_chain(tmp_path):
    x = chainrule.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(1000):
        y = y * 1.0
    g = chainrule.viz.graph(y.sum(), {"x": x})
    _, parsed = _page(g.to_html(str(tmp_path / "r.html")))
    assert len(parsed.payload["steps"]) == 1002
    assert list(parsed.payload["sources"]) == ["SumBackward0", "MulBackward0"]


class Cube(chainrule.autograd.Function):
    """out = x³, a user Function the rule table does not know."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_user_function_rule_comes_from_its_docstring_and_source():
    x = chainrule.tensor([2.0], requires_grad=True)
    loss = Cube.apply(x).sum()
    g = chainrule.viz.graph(loss, {"x": x})
    data = replay_data(g, _run_trace(g))
    step = data["steps"][1]
    assert step["rule"] == "CubeBackward: the derivative of out = x³, a user Function the rule " \
                           "table does not know."
    assert "return grad * 3 * x ** 2" in data["sources"]["CubeBackward"]
    assert data["steps"][-1]["leaf"]["exact"] == ["12.0"]
    assert [s.role for s in g["n1"].saved] == ["x"]


def test_saved_tensors_listed_per_op_or_marked_freed(tmp_path):
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    loss = x.exp().sum()
    before = chainrule.viz.graph(loss, {"x": x})
    with chainrule.autograd.trace() as t:
        loss.backward()
    assert replay_data(before, t)["saved"] == {"n0": "(nothing)", "n1": "out: (2,) float32"}
    after = chainrule.viz.graph(loss, {"x": x})
    assert replay_data(after, t)["saved"]["n1"].startswith("(freed by backward")
