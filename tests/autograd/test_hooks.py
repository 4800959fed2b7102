"""Tensor hooks (register_hook), retain_grad, and hooks on graph nodes."""

import numpy as np
import pytest

import chainrule
from chainrule import autograd


def _leaf(values, dtype=chainrule.float64):
    return chainrule.tensor(values, dtype=dtype, requires_grad=True)


# -- register_hook -------------------------------------------------------------------------
def test_hook_on_leaf_sees_its_gradient():
    x = _leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda grad: seen.append(grad.data.copy()))
    (x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])  # returning None keeps it


def test_hook_on_leaf_may_replace_the_gradient():
    x = _leaf([1.0, 2.0])
    x.register_hook(lambda grad: grad * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [30.0, 30.0])


def test_hook_on_leaf_runs_once_on_the_summed_gradient():
    x = _leaf([1.0])
    seen = []
    x.register_hook(lambda grad: seen.append(grad.item()))
    (x * 2 + x * 5).sum().backward()
    assert seen == [7.0]


def test_hook_on_non_leaf_replaces_the_gradient_flowing_on():
    x = _leaf([1.0, 2.0])
    m = x * 2
    m.register_hook(lambda grad: grad * 0 + 5)
    (m * m).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [10.0, 10.0])  # 5 * dm/dx


def test_hooks_run_in_registration_order_each_seeing_the_previous_result():
    x = _leaf([1.0])
    seen = []

    def first(grad):
        seen.append(("first", grad.item()))
        return grad + 1

    def second(grad):
        seen.append(("second", grad.item()))
        return grad * 10

    x.register_hook(first)
    x.register_hook(second)
    (x * 2).sum().backward()
    assert seen == [("first", 2.0), ("second", 3.0)]
    assert x.grad.item() == 30.0


def test_hook_handle_removes_the_hook():
    x = _leaf([1.0])
    handle = x.register_hook(lambda grad: grad * 10)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_removing_one_hook_keeps_the_others():
    x = _leaf([1.0])
    keep = []
    x.register_hook(lambda grad: keep.append(1))
    handle = x.register_hook(lambda grad: grad * 10)
    handle.remove()
    (x * 2).sum().backward()
    assert keep == [1]
    assert x.grad.item() == 2.0


def test_hook_on_non_leaf_runs_for_autograd_grad():
    x = _leaf([1.0])
    m = x * 2
    m.register_hook(lambda grad: grad * 100)
    (gx,) = autograd.grad((m * 3).sum(), x)
    assert gx.item() == 600.0


def test_register_hook_on_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        chainrule.tensor([1.0]).register_hook(lambda grad: grad)


def test_hook_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (chainrule, torch):
        x = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        m = x * x
        m.register_hook(lambda grad: grad * 3)
        x.register_hook(lambda grad: grad - 1)
        (m * x).sum().backward()
        results.append(np.array(x.grad.tolist()))
    np.testing.assert_allclose(results[0], results[1])


# -- retain_grad ---------------------------------------------------------------------------
def test_retain_grad_keeps_a_non_leaf_gradient():
    x = _leaf([1.0, 2.0])
    m = x * 2
    m.retain_grad()
    assert m.retains_grad
    (m * m).sum().backward()
    np.testing.assert_array_equal(m.grad.data, [4.0, 8.0])
    np.testing.assert_array_equal(x.grad.data, [8.0, 16.0])


def test_retained_grad_accumulates_across_backward_calls():
    x = _leaf([1.0, 2.0])
    m = x * 2
    m.retain_grad()
    out = (m * 3).sum()
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_array_equal(m.grad.data, [6.0, 6.0])


def test_retain_grad_on_leaf_is_a_no_op():
    x = _leaf([1.0])
    x.retain_grad()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_retain_grad_on_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        chainrule.tensor([1.0]).retain_grad()


def test_retained_grad_does_not_share_memory_with_leaf_grad():
    x = _leaf([1.0, 2.0])
    m = x + 0.0  # Add passes the gradient on unchanged
    m.retain_grad()
    (m * chainrule.tensor([3.0, 3.0], dtype=chainrule.float64)).sum().backward()
    assert not np.shares_memory(m.grad.data, x.grad.data)


def test_retained_grad_sees_the_result_of_hooks_as_in_torch():
    x = _leaf([1.0, 2.0])
    m = x * 2
    m.retain_grad()
    m.register_hook(lambda grad: grad * 10)  # registered after retain_grad, still runs first
    (m * m).sum().backward()
    np.testing.assert_array_equal(m.grad.data, [40.0, 80.0])


# -- node hooks ----------------------------------------------------------------------------
def test_node_post_hook_sees_grad_inputs_and_grad_outputs():
    x, y = _leaf([2.0]), _leaf([3.0])
    out = x * y
    seen = []
    out.grad_fn.register_hook(
        lambda grad_inputs, grad_outputs: seen.append(
            ([g.item() for g in grad_inputs], [g.item() for g in grad_outputs])
        )
    )
    out.sum().backward()
    assert seen == [([3.0, 2.0], [1.0])]


def test_node_prehook_may_replace_grad_outputs():
    x = _leaf([2.0])
    out = x * 3
    out.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 2,))
    out.sum().backward()
    assert x.grad.item() == 3.0 * 2  # d(3x)/dx, doubled by the hook
