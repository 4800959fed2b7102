"""autograd.trace: every node the engine runs, in order, with the gradients in and out."""

import threading

import numpy as np
import pytest

import chainrule
from chainrule.autograd.function import AccumulateGrad
from chainrule.autograd.grad_mode import _state

ACC = "torch::autograd::AccumulateGrad"


def _mlp(rng, dtype=np.float32):
    """loss = mean(tanh(x @ w1 + b1) @ w2), with named leaves."""
    def leaf(*shape):
        return chainrule.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)

    params = {"w1": leaf(3, 4), "b1": leaf(4), "w2": leaf(4, 2)}
    x = chainrule.tensor(rng.standard_normal((5, 3)).astype(dtype))
    loss = ((x @ params["w1"] + params["b1"]).tanh() @ params["w2"]).mean()
    return loss, params


def _assert_reverse_topological(events):
    """Each node runs once, after every node that sends it a gradient."""
    position = {}
    for e in events:
        assert id(e.node) not in position, f"{e.name} ran twice"
        position[id(e.node)] = e.index
    for e in events:
        for child, _ in getattr(e.node, "next_functions", ()):
            if child is not None and id(child) in position:
                assert position[id(child)] > e.index, f"{e.name} ran after its input's node"


def test_trace_records_each_node_in_execution_order():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * 3).sum()
    with chainrule.autograd.trace() as t:
        loss.backward()
    assert t.names() == ["SumBackward0", "MulBackward0", "ExpBackward0", ACC]
    assert [e.index for e in t] == [0, 1, 2, 3]
    assert t[0].node is loss.grad_fn
    assert t[-1].is_leaf and t[-1].leaf is x and not t[0].is_leaf
    assert len(t) == 4


def test_trace_order_is_reverse_topological_with_shared_nodes(rng):
    x = chainrule.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    a = x.sin()
    b = a * a + a.exp()  # `a` is used three times: it must run once, after all its users
    loss = (b * x).sum()
    with chainrule.autograd.trace() as t:
        loss.backward()
    _assert_reverse_topological(t.events)
    assert t.names().count("SinBackward0") == 1
    assert t.names().count(ACC) == 1


def test_trace_leaf_gradients_equal_grad(rng):
    loss, params = _mlp(rng)
    with chainrule.autograd.trace() as t:
        loss.backward()
    _assert_reverse_topological(t.events)
    leaves = [e for e in t if e.is_leaf]
    assert {id(e.leaf) for e in leaves} == {id(p) for p in params.values()}
    for e in leaves:
        np.testing.assert_array_equal(e.accumulated.data, e.leaf.grad.data)
        np.testing.assert_array_equal(e.grad_outputs[0].data, e.leaf.grad.data)
        assert e.accumulated.dtype == chainrule.float32
    recorded = [r for e in t for r in e.grad_outputs + e.grad_inputs if r is not None]
    assert {r.dtype for r in recorded} == {chainrule.float32}  # no float64 upcast


def test_trace_gradients_match_numpy_reference(rng):
    x_np = rng.standard_normal((2, 3))
    b_np = rng.standard_normal(3)
    x = chainrule.tensor(x_np, requires_grad=True)
    b = chainrule.tensor(b_np, requires_grad=True)
    loss = (x * b).tanh().sum()
    with chainrule.autograd.trace() as t:
        loss.backward()
    mul = next(e for e in t if e.name == "MulBackward0")
    tanh = next(e for e in t if e.name == "TanhBackward0")
    d_out = 1 - np.tanh(x_np * b_np) ** 2  # d tanh = 1 - tanh², times the incoming ones
    np.testing.assert_allclose(tanh.grad_outputs[0].data, np.ones((2, 3)))
    np.testing.assert_allclose(mul.grad_outputs[0].data, d_out, rtol=1e-12)
    grad_x, grad_b = mul.grad_inputs
    np.testing.assert_allclose(grad_x.data, d_out * b_np, rtol=1e-12)
    np.testing.assert_allclose(grad_b.data, (d_out * x_np).sum(0), rtol=1e-12)  # summed back
    assert grad_b.shape == (3,)


def test_trace_grad_outputs_of_shared_node_are_summed(rng):
    x = chainrule.tensor([0.5, -1.0], dtype=chainrule.float64, requires_grad=True)
    a = x * 2
    loss = (a * a).sum() + a.sum()
    with chainrule.autograd.trace() as t:
        loss.backward()
    shared = next(e for e in t if e.node is a.grad_fn)
    np.testing.assert_allclose(shared.grad_outputs[0].data, 2 * a.data + 1)


def test_trace_marks_inputs_without_grad_as_none():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    c = chainrule.tensor([3.0, 4.0])
    with chainrule.autograd.trace() as t:
        (x * c).sum().backward()
    mul = t[1]
    assert mul.name == "MulBackward0"
    assert mul.grad_inputs[1] is None
    np.testing.assert_array_equal(mul.grad_inputs[0].data, [3.0, 4.0])


def test_trace_keeps_copies_that_later_changes_do_not_alter():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    with chainrule.autograd.trace() as t:
        (x * x).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(t[-1].accumulated.data, [2.0, 4.0])
    np.testing.assert_array_equal(t[-1].grad_outputs[0].data, [2.0, 4.0])


def test_trace_accumulated_includes_earlier_grad():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    with chainrule.autograd.trace() as t:
        loss.backward()
    np.testing.assert_array_equal(t[-1].grad_outputs[0].data, [2.0, 4.0])
    np.testing.assert_array_equal(t[-1].accumulated.data, [4.0, 8.0])


def test_trace_of_autograd_grad_records_no_accumulation():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    with chainrule.autograd.trace() as t:
        (g,) = chainrule.autograd.grad((x ** 3).sum(), x)
    assert t[-1].is_leaf and t[-1].accumulated is None
    np.testing.assert_array_equal(t[-1].grad_outputs[0].data, g.data)
    assert x.grad is None


def test_trace_with_create_graph_records_constants():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    with chainrule.autograd.trace() as t:
        (g,) = chainrule.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    recorded = [r for e in t for r in e.grad_outputs + e.grad_inputs if r is not None]
    assert recorded and not any(r.requires_grad for r in recorded)


def test_trace_is_off_outside_the_block_and_nests():
    x = chainrule.tensor([1.0], requires_grad=True)
    assert _state.trace is None
    with chainrule.autograd.trace() as outer:
        (x * 2).sum().backward()
        with chainrule.autograd.trace() as inner:
            x.exp().sum().backward()
        (x * 3).sum().backward()
    (x * 4).sum().backward()
    assert _state.trace is None
    assert inner.names() == ["SumBackward0", "ExpBackward0", ACC]
    assert outer.names() == ["SumBackward0", "MulBackward0", ACC] * 2
    assert [e.index for e in outer] == list(range(6))


def test_trace_restores_state_after_error():
    x = chainrule.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        with chainrule.autograd.trace():
            (x * chainrule.ones(2)).backward()
    assert _state.trace is None


def test_trace_does_not_record_other_threads():
    x = chainrule.tensor([1.0], requires_grad=True)
    with chainrule.autograd.trace() as t:
        worker = threading.Thread(target=lambda: (x * 2).sum().backward())
        worker.start()
        worker.join()
    assert t.events == []
    assert x.grad is not None


def test_trace_of_long_chain(rng):
    x = chainrule.tensor([0.5], dtype=chainrule.float64, requires_grad=True)
    y = x
    for _ in range(1000):
        y = y * 1.001
    with chainrule.autograd.trace() as t:
        y.sum().backward()
    assert len(t) == 1002
    assert t.names()[1:-1] == ["MulBackward0"] * 1000
    np.testing.assert_allclose(t[-1].accumulated.data, [1.001 ** 1000], rtol=1e-12)


def test_trace_repr_and_leaf_node_type():
    x = chainrule.tensor([1.0], requires_grad=True)
    with chainrule.autograd.trace() as t:
        x.exp().sum().backward()
    assert repr(t) == "<autograd.trace of 3 events>"
    assert type(t[-1].node) is AccumulateGrad and t[-1].grad_inputs == ()


def test_trace_matches_torch_gradients_of_intermediates(rng):
    torch = pytest.importorskip("torch")
    x_np = rng.standard_normal((4, 3)).astype(np.float32)
    w_np = rng.standard_normal((3, 2)).astype(np.float32)
    x, w = chainrule.tensor(x_np), chainrule.tensor(w_np, requires_grad=True)
    h = x @ w
    a = h.sigmoid()
    loss = (a * a).mean()
    with chainrule.autograd.trace() as t:
        loss.backward()
    tw = torch.tensor(w_np, requires_grad=True)
    th = torch.tensor(x_np) @ tw
    th.retain_grad()
    ta = th.sigmoid()
    ta.retain_grad()
    (ta * ta).mean().backward()
    by_node = {id(e.node): e for e in t}
    np.testing.assert_allclose(by_node[id(a.grad_fn)].grad_outputs[0].data, ta.grad.numpy(),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(by_node[id(h.grad_fn)].grad_outputs[0].data, th.grad.numpy(),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(t[-1].accumulated.data, tw.grad.numpy(), rtol=1e-5, atol=1e-7)
