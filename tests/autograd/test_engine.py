"""The backward pass: order, summing, accumulation, freeing, long chains, in-place checks."""

import gc
import weakref

import numpy as np
import pytest

import chainrule
from chainrule import autograd
from chainrule.autograd import Function

_FREED = "Trying to backward through the graph a second time"


def _leaf(values, dtype=chainrule.float64):
    return chainrule.tensor(values, dtype=dtype, requires_grad=True)


class Double(Function):
    """out = 2 x, counting how often its backward runs and what it receives."""

    calls = 0
    received = None

    @staticmethod
    def forward(ctx, x):
        return x.data * 2

    @staticmethod
    def backward(ctx, grad):
        Double.calls += 1
        Double.received = grad.data.copy()
        return grad * 2


class SaveInput(Function):
    """out = x³, saving x for backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


# -- long graphs ---------------------------------------------------------------------------
def test_chain_of_a_million_ops_back_propagates_without_recursion():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 0.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_long_graph_is_freed_without_recursion_when_dropped_unused():
    x = chainrule.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    node = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert node() is None


# -- order and summing ---------------------------------------------------------------------
def test_node_shared_by_several_paths_runs_once_with_summed_gradient():
    Double.calls = 0
    x = _leaf([1.0, 2.0])
    d = Double.apply(x)
    out = (d * 3 + d * 4 - d).sum()  # three paths from d to out
    out.backward()
    assert Double.calls == 1
    np.testing.assert_array_equal(Double.received, [6.0, 6.0])  # 3 + 4 - 1
    np.testing.assert_array_equal(x.grad.data, [12.0, 12.0])


def test_nested_diamonds_run_each_node_once():
    Double.calls = 0
    x = _leaf([1.0])
    a = Double.apply(x)
    b = a * a
    c = b + a  # a is reached directly and through b
    (c * b).sum().backward()
    assert Double.calls == 1
    # c*b = (a² + a) a² = a⁴ + a³ with a = 2x = 2: d/da = 4a³ + 3a² = 44, d/dx = 88
    np.testing.assert_allclose(x.grad.data, [88.0])


def test_leaf_used_twice_gets_both_contributions():
    x = _leaf([3.0])
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [7.0])


def test_gradient_of_broadcast_input_is_summed_back_to_its_shape():
    x = _leaf(np.ones((3, 1)))
    y = _leaf(np.arange(4.0).reshape(1, 4))
    (x * y).sum().backward()
    assert x.grad.shape == (3, 1) and y.grad.shape == (1, 4)
    np.testing.assert_array_equal(x.grad.data, np.full((3, 1), 6.0))
    np.testing.assert_array_equal(y.grad.data, np.full((1, 4), 3.0))


def test_backward_runs_rules_under_no_grad_unless_create_graph():
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data.copy()

        @staticmethod
        def backward(ctx, grad):
            seen.append(chainrule.is_grad_enabled())
            return grad

    x = _leaf([1.0])
    Spy.apply(x).sum().backward()
    Spy.apply(x).sum().backward(create_graph=True)
    assert seen == [False, True]
    assert chainrule.is_grad_enabled()


def test_backward_numpy_runs_only_when_the_backward_records_nothing():
    # the engine takes a rule's NumPy form for a plain backward; create_graph (or vmap,
    # forward AD, anomaly mode) needs the differentiable rule
    seen = []

    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * 2

        @staticmethod
        def backward(ctx, grad):
            seen.append("ops")
            return grad * 2

        @staticmethod
        def backward_numpy(ctx, grad):
            seen.append("numpy")
            return chainrule.tensor(grad.data * 2)

    x = _leaf([1.0, 3.0])
    Twice.apply(x).sum().backward()
    autograd.grad(Twice.apply(x).sum(), [x], create_graph=True)
    with autograd.detect_anomaly():
        Twice.apply(x).sum().backward()
    assert seen == ["numpy", "ops", "ops"]
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])


def test_plain_backward_records_nothing():
    x = _leaf([1.0, 2.0])
    (x * x * x).sum().backward()
    assert x.grad.grad_fn is None
    assert not x.grad.requires_grad


def test_input_whose_rule_returns_none_gets_no_gradient():
    class FirstOnly(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x.data + y.data

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    x, y = _leaf([1.0]), _leaf([2.0])
    FirstOnly.apply(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0])
    assert y.grad is None


# -- accumulation and retention ------------------------------------------------------------
def test_leaf_gradients_accumulate_across_backward_calls():
    x = _leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0 + 3.0, 4.0 + 3.0])


def test_accumulation_does_not_modify_a_previously_read_grad():
    x = _leaf([1.0])
    (x * 2).sum().backward()
    first = x.grad
    (x * 5).sum().backward()
    np.testing.assert_array_equal(first.data, [2.0])
    np.testing.assert_array_equal(x.grad.data, [7.0])


def test_non_leaf_grad_is_not_kept():
    x = _leaf([1.0, 2.0])
    m = x * 2
    (m * m).sum().backward()
    assert m.grad is None
    assert x.grad is not None


def test_leaf_grads_never_share_memory():
    x, y = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (x + y).sum().backward()
    assert x.grad is not y.grad
    assert not np.shares_memory(x.grad.data, y.grad.data)
    x.grad.data[0] = 100.0
    assert y.grad.data[0] == 1.0


def test_leaf_grads_do_not_share_memory_with_a_fresh_intermediate_gradient():
    x, y = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    c = chainrule.tensor([5.0, 6.0], dtype=chainrule.float64)
    ((x + y) * c).sum().backward()  # Add hands the same fresh gradient to both inputs
    assert not np.shares_memory(x.grad.data, y.grad.data)
    np.testing.assert_array_equal(x.grad.data, [5.0, 6.0])


def test_leaf_grad_does_not_share_memory_with_the_gradient_passed_in():
    x = _leaf([1.0, 2.0])
    g = chainrule.tensor([1.0, 1.0], dtype=chainrule.float64)
    (x + 0.0).backward(g)
    assert not np.shares_memory(x.grad.data, g.data)


# -- freeing the graph ---------------------------------------------------------------------
def test_saved_tensors_are_released_after_backward():
    x = _leaf([1.0, 2.0])
    m = x * 2
    saved = weakref.ref(m)
    y = SaveInput.apply(m)
    del m
    assert saved() is not None  # held by y's node for backward
    y.sum().backward()
    assert saved() is None
    np.testing.assert_allclose(x.grad.data, [24.0, 96.0])  # d (2x)³ = 24 x²


def test_second_backward_raises_pytorchs_error():
    x = _leaf([1.0, 2.0])
    out = (x * x).sum()
    out.backward()
    with pytest.raises(RuntimeError, match=_FREED):
        out.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])  # the failed call changed nothing


def test_saved_tensors_access_after_backward_raises_pytorchs_error():
    x = _leaf([1.0])
    y = SaveInput.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match=_FREED):
        _ = y.grad_fn.saved_tensors


def test_second_grad_call_raises_unless_retain_graph():
    x = _leaf([1.0, 2.0])
    out = (x * x).sum()
    autograd.grad(out, x)
    with pytest.raises(RuntimeError, match=_FREED):
        autograd.grad(out, x)


def test_retain_graph_allows_a_second_backward():
    x = _leaf([1.0, 2.0])
    out = (x * x).sum()
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_retain_graph_allows_repeated_grad_calls():
    x = _leaf([3.0])
    out = (x * x * x).sum()
    first = autograd.grad(out, x, retain_graph=True)[0]
    second = autograd.grad(out, x)[0]
    np.testing.assert_allclose(first.data, second.data)
    np.testing.assert_allclose(first.data, [27.0])


def test_graph_without_saved_tensors_can_be_walked_twice():
    x = _leaf([1.0, 2.0])
    out = (x + 1.0).sum()  # Add saves nothing, so nothing is freed (as in PyTorch)
    out.backward()
    out.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


# -- in-place changes ----------------------------------------------------------------------
_needs_inplace = pytest.mark.skipif(
    not hasattr(chainrule.ops, "mul_"), reason="in-place ops (ops/inplace.py) not written yet"
)


def test_saved_tensor_with_bumped_version_fails_backward_naming_the_node():
    x = _leaf([1.0, 2.0])
    m = x * 1.0
    out = SaveInput.apply(m).sum()
    m._bump_version()  # what every in-place op does to its tensor
    with pytest.raises(
        RuntimeError,
        match=r"modified by an inplace operation.*SaveInputBackward"
        r".*version 1, expected 0",
    ):
        out.backward()
    assert x.grad is None


def test_saved_output_with_bumped_version_fails_backward():
    class ExpLike(Function):
        @staticmethod
        def forward(ctx, x):
            out = np.exp(x.data)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out

    x = _leaf([0.0])
    y = ExpLike.apply(x)
    y._bump_version()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@_needs_inplace
def test_modifying_a_saved_tensor_in_place_fails_backward_with_version_message():
    x = _leaf([1.0, 2.0])
    m = x * 1.0
    out = (m * m).sum()  # Mul saves m
    with chainrule.no_grad():
        m.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


@_needs_inplace
def test_in_place_change_to_a_tensor_not_saved_is_fine():
    x = _leaf([1.0, 2.0])
    m = x * 1.0
    out = (m + 1.0).sum()  # Add saves nothing
    with chainrule.no_grad():
        m.add_(5.0)
    out.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


@_needs_inplace
def test_in_place_change_to_a_leaf_that_requires_grad_is_refused():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1.0)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


@_needs_inplace
def test_in_place_op_on_a_non_leaf_is_differentiated():
    x = _leaf([1.0, 2.0])
    m = x * 1.0
    m.mul_(3.0)
    m.add_(x)  # m = 3x + x
    (m * m).sum().backward()
    np.testing.assert_allclose(x.grad.data, [32.0, 64.0])  # d (4x)² = 32 x


@_needs_inplace
def test_in_place_ops_bump_the_version_counter():
    x = chainrule.tensor([1.0, 2.0])
    v0 = x._version
    x.add_(1.0)
    x.mul_(2.0)
    assert x._version == v0 + 2
