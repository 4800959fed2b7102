"""Forward-mode AD: dual levels, make_dual/unpack_dual, tangents through ops, composition.

Every op's tangent rule is checked against reverse mode in tests/ops/test_opinfo.py; this file
covers the machinery and how forward and reverse mode compose.
"""

import gc

import numpy as np
import pytest

import chainrule
from chainrule import autograd
from chainrule.autograd import Function
from chainrule.autograd import forward_ad as fwAD


def _t(values):
    return chainrule.tensor(values, dtype=chainrule.float64)


def _jvp(fn, x, v):
    with fwAD.dual_level():
        out, tangent = fwAD.unpack_dual(fn(fwAD.make_dual(x, v)))
    return out, tangent


def _mlp(x):
    w = _t([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    return chainrule.softmax(chainrule.tanh(x @ w.T) * 2.0, dim=-1).log().sum()


def test_tangent_of_a_composite_matches_the_derivative():
    x, v = _t([0.5, 1.0, 2.0]), _t([1.0, -1.0, 0.5])
    out, tangent = _jvp(lambda d: (d.sin() * d).sum(), x, v)
    want = np.sum((np.cos(x.data) * x.data + np.sin(x.data)) * v.data)
    np.testing.assert_allclose(out.item(), np.sum(np.sin(x.data) * x.data))
    np.testing.assert_allclose(tangent.item(), want, rtol=1e-12)


def test_tangent_equals_reverse_mode_directional_derivative():
    x, v = _t([[0.1, -0.2, 0.3], [1.0, 0.5, -1.5]]), _t([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]])
    _, tangent = _jvp(_mlp, x, v)
    x.requires_grad_()
    (g,) = autograd.grad(_mlp(x), x)
    np.testing.assert_allclose(tangent.item(), np.sum(g.data * v.data), rtol=1e-10)


def test_tangent_matches_torch_forward_ad():
    torch = pytest.importorskip("torch")
    x, v = np.array([[0.1, -0.2, 0.3], [1.0, 0.5, -1.5]]), np.array([[1.0, 2.0, 0.0],
                                                                       [-1.0, 0.5, 3.0]])
    _, ours = _jvp(_mlp, _t(x), _t(v))
    w = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=torch.float64)

    def theirs(a):
        return torch.softmax(torch.tanh(a @ w.T) * 2.0, dim=-1).log().sum()

    _, want = torch.func.jvp(theirs, (torch.tensor(x),), (torch.tensor(v),))
    np.testing.assert_allclose(ours.item(), want.item(), rtol=1e-10)


def test_forward_over_reverse_gives_hessian_vector_products():
    """jacfwd(jacrev(f)): the backward pass run on duals carries the tangent H v."""
    def f(x):
        return (x.exp() * x.sin()).sum() + (x ** 3).prod()

    x, v = _t([0.3, -0.5, 0.8]), _t([1.0, 0.5, -2.0])
    with fwAD.dual_level():
        dual = fwAD.make_dual(x.clone().requires_grad_(), v)
        (g,) = autograd.grad(f(dual), dual, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent
    x2 = x.clone().requires_grad_()
    (g2,) = autograd.grad(f(x2), x2, create_graph=True)
    (want,) = autograd.grad(g2, x2, v)
    np.testing.assert_allclose(hv.data, want.data, rtol=1e-10)


def test_reverse_over_forward_differentiates_the_tangent():
    x = _t([0.3, -0.5, 0.8]).requires_grad_()
    v = _t([1.0, 0.5, -2.0])
    _, tangent = _jvp(lambda d: (d * d * d).sum(), x, v)  # tangent = sum(3 x^2 v)
    (g,) = autograd.grad(tangent, x)
    np.testing.assert_allclose(g.data, 6 * x.data * v.data, rtol=1e-12)


def test_tangents_flow_under_no_grad():
    x, v = _t([1.0, 2.0]), _t([1.0, 1.0])
    with chainrule.no_grad():
        _, tangent = _jvp(lambda d: d * d, x, v)
    np.testing.assert_allclose(tangent.data, [2.0, 4.0])


def test_in_place_ops_update_the_tangent():
    x, v = _t([1.0, 2.0]), _t([1.0, 1.0])
    with fwAD.dual_level():
        y = fwAD.make_dual(x, v) * 3
        y.mul_(y)  # 9 x^2
        y[0] = 5.0  # a constant: zero tangent there
        tangent = fwAD.unpack_dual(y).tangent
    np.testing.assert_allclose(tangent.data, [0.0, 36.0])


def test_unpack_dual_of_a_plain_tensor_has_no_tangent():
    x = _t([1.0])
    with fwAD.dual_level():
        assert fwAD.unpack_dual(x).tangent is None
        assert fwAD.unpack_dual(x * 2).tangent is None


def test_unpacked_primal_carries_no_tangent():
    with fwAD.dual_level():
        dual = fwAD.make_dual(_t([1.0, 2.0]), _t([1.0, 1.0]))
        primal = fwAD.unpack_dual(dual).primal
        assert fwAD.unpack_dual(primal * 2).tangent is None
        np.testing.assert_array_equal(primal.data, [1.0, 2.0])


def test_make_dual_leaves_its_primal_without_a_tangent():
    x = _t([1.0, 2.0])
    with fwAD.dual_level():
        fwAD.make_dual(x, _t([1.0, 1.0]))
        assert fwAD.unpack_dual(x).tangent is None


def test_tangents_are_gone_after_the_level_exits():
    with fwAD.dual_level():
        dual = fwAD.make_dual(_t([1.0]), _t([1.0]))
    assert fwAD.unpack_dual(dual).tangent is None
    with fwAD.dual_level():
        assert fwAD.unpack_dual(dual * 2).tangent is None


def test_tangents_of_dead_intermediates_are_released():
    with fwAD.dual_level():
        y = fwAD.make_dual(_t([1.0]), _t([1.0]))
        for _ in range(200):
            y = y * 1.0001
        gc.collect()
        level = chainrule.autograd.grad_mode._state.fw
        assert len(level.tangents) < 10


def test_reverse_mode_gradients_reach_the_primal_through_make_dual():
    x = _t([1.0, 2.0]).requires_grad_()
    with fwAD.dual_level():
        (fwAD.make_dual(x, _t([1.0, 1.0])) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_user_function_with_a_jvp_rule():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

        @staticmethod
        def jvp(ctx, tangent):
            (x,) = ctx.primals
            return tangent * 3 * x ** 2

    _, tangent = _jvp(Cube.apply, _t([2.0]), _t([1.0]))
    np.testing.assert_allclose(tangent.data, [12.0])


def test_user_function_without_a_jvp_rule_is_refused_by_name():
    class NoRule(Function):
        @staticmethod
        def forward(ctx, x):
            return x.data * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    with pytest.raises(RuntimeError, match="NoRule: .*no forward-mode AD rule"):
        _jvp(NoRule.apply, _t([1.0]), _t([1.0]))


def test_make_dual_outside_a_level_is_refused():
    with pytest.raises(RuntimeError, match="no forward AD level is active"):
        fwAD.make_dual(_t([1.0]), _t([1.0]))


def test_nested_levels_are_refused():
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD"):
            fwAD.enter_dual_level()


def test_make_dual_rejects_a_tangent_of_another_shape():
    with fwAD.dual_level():
        with pytest.raises(chainrule.ShapeError, match=r"tangent of shape \(3,\).*\(2,\)"):
            fwAD.make_dual(_t([1.0, 2.0]), _t([1.0, 2.0, 3.0]))


def test_make_dual_rejects_a_tangent_of_another_dtype():
    with fwAD.dual_level():
        with pytest.raises(chainrule.DTypeError, match="float32"):
            fwAD.make_dual(_t([1.0]), chainrule.tensor([1.0]))


def test_double_vjp_rule_gives_the_tangent_of_any_differentiable_backward(rng):
    class Fused(Function):
        """out = (sin(x) * y, x * y): two outputs, two inputs, a rule only for backward."""

        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return np.sin(x.data) * y.data, x.data * y.data

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            x, y = ctx.saved_tensors
            return grad_a * x.cos() * y + grad_b * y, grad_a * x.sin() + grad_b * x

        jvp = staticmethod(fwAD.double_vjp_jvp)

    x, y = _t(rng.standard_normal(3)), _t(rng.standard_normal(3))
    tx, ty = _t(rng.standard_normal(3)), _t(rng.standard_normal(3))
    with fwAD.dual_level():
        a, b = Fused.apply(fwAD.make_dual(x, tx), fwAD.make_dual(y, ty))
        ta, tb = fwAD.unpack_dual(a).tangent, fwAD.unpack_dual(b).tangent
    np.testing.assert_allclose(ta.data, np.cos(x.data) * y.data * tx.data
                               + np.sin(x.data) * ty.data, rtol=1e-12)
    np.testing.assert_allclose(tb.data, y.data * tx.data + x.data * ty.data, rtol=1e-12)
