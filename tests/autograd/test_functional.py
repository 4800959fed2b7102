"""autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp against NumPy formulas, finite
differences and torch.autograd.functional; nesting of tuples, create_graph, strict, errors."""

import numpy as np
import pytest

import chainrule
from chainrule.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp


def _t(a, requires_grad=False):
    return chainrule.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def f_vec(x):  # sin(x) * sum(x^2)
    return x.sin() * (x * x).sum()


def f_vec_jac_np(x):
    return np.diag(np.cos(x) * np.sum(x * x)) + np.outer(np.sin(x), 2 * x)


def s_scalar(x):  # sum(exp(x) x) + sum(x)^2
    return (x.exp() * x).sum() + x.sum() ** 2


def s_grad_np(x):
    return np.exp(x) * (1 + x) + 2 * np.sum(x)


def s_hess_np(x):
    return np.diag(np.exp(x) * (2 + x)) + 2


def _fd_jacobian(f_np, x, eps=1e-6):
    out = np.asarray(f_np(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        jac[(...,) + idx] = (f_np(x + step) - f_np(x - step)) / (2 * eps)
    return jac


def test_jacobian_matches_the_formula_and_finite_differences(rng):
    x = rng.standard_normal(4)
    jac = jacobian(f_vec, _t(x))
    np.testing.assert_allclose(jac.data, f_vec_jac_np(x), rtol=1e-10)
    np.testing.assert_allclose(jac.data, _fd_jacobian(lambda a: np.sin(a) * np.sum(a * a), x),
                               rtol=1e-6, atol=1e-8)
    assert not jac.requires_grad


def test_jacobian_nesting_follows_inputs_and_outputs(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    both = jacobian(lambda x, y: (x @ y, x.sum()), (_t(a), _t(b)))
    assert isinstance(both, tuple) and len(both) == 2 and len(both[0]) == 2
    assert [j.shape for j in both[0]] == [(2, 2, 3), (2, 3)]
    assert [j.shape for j in both[1]] == [(2, 3), (3,)]
    np.testing.assert_allclose(both[0][1].data, a)
    np.testing.assert_array_equal(both[1][1].data, np.zeros(3))  # x.sum() ignores y
    outs = jacobian(lambda x: (x * 2, x.exp()), _t(b))
    assert isinstance(outs, tuple) and [j.shape for j in outs] == [(3, 3), (3, 3)]
    ins = jacobian(lambda x, y: x * y, (_t(b), _t(b)), vectorize=True)
    assert isinstance(ins, tuple) and np.allclose(ins[0].data, np.diag(b))


def test_jacobian_with_create_graph_is_differentiable(rng):
    x = _t(rng.standard_normal(3), requires_grad=True)
    jac = jacobian(lambda t: t ** 3, x, create_graph=True)
    jac.sum().backward()  # d/dx sum(diag(3x^2)) = 6x
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_forward_mode_strategy_gives_the_same_jacobians_and_hessians(rng):
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    jac = jacobian(f_vec, _t(x), strategy="forward-mode")
    np.testing.assert_allclose(jac.data, f_vec_jac_np(x), rtol=1e-10)
    pair = jacobian(lambda a, b: (a * b, a.sum()), (_t(x), _t(y)), strategy="forward-mode",
                    vectorize=True)
    np.testing.assert_allclose(pair[0][1].data, np.diag(x))
    np.testing.assert_array_equal(pair[1][1].data, np.zeros(4))
    h = hessian(s_scalar, _t(x), outer_jacobian_strategy="forward-mode")
    np.testing.assert_allclose(h.data, s_hess_np(x), rtol=1e-10)
    assert not h.requires_grad
    x32 = chainrule.tensor([1.0, 2.0])
    assert jacobian(lambda t: t.exp(), x32, strategy="forward-mode").dtype == chainrule.float32


def test_hessian_matches_the_formula_and_finite_differences_of_the_gradient(rng):
    x = rng.standard_normal(3)
    h = hessian(s_scalar, _t(x))
    np.testing.assert_allclose(h.data, s_hess_np(x), rtol=1e-10)
    np.testing.assert_allclose(h.data, _fd_jacobian(s_grad_np, x), rtol=1e-6, atol=1e-8)
    a, b = rng.standard_normal(2), rng.standard_normal(3)
    blocks = hessian(lambda u, v: (u.sum() * v ** 2).sum(), (_t(a), _t(b)))
    assert [[h.shape for h in row] for row in blocks] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(blocks[0][1].data, np.tile(2 * b, (2, 1)))
    np.testing.assert_allclose(blocks[1][1].data, 2 * a.sum() * np.eye(3))


def test_vjp_and_jvp_are_the_two_jacobian_products(rng):
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    out, g = vjp(f_vec, _t(x), _t(v))
    np.testing.assert_allclose(out.data, np.sin(x) * np.sum(x * x))
    np.testing.assert_allclose(g.data, v @ f_vec_jac_np(x), rtol=1e-10)
    out, jv = jvp(f_vec, _t(x), _t(v))
    np.testing.assert_allclose(jv.data, f_vec_jac_np(x) @ v, rtol=1e-10)
    assert not jv.requires_grad and not out.requires_grad


def test_jvp_with_tuples_and_default_v(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    va, vb = rng.standard_normal(3), rng.standard_normal(3)
    outs, jv = jvp(lambda x, y: (x * y, x.sum()), (_t(a), _t(b)), (_t(va), _t(vb)))
    np.testing.assert_allclose(jv[0].data, va * b + a * vb)
    np.testing.assert_allclose(jv[1].data, va.sum())
    _, jv = jvp(lambda x: x.exp(), _t([0.5]))  # v may be omitted for a one-element input
    np.testing.assert_allclose(jv.data, np.exp([0.5]))
    _, g = vjp(lambda x: (x ** 2).sum(), _t(a))  # and for a one-element output
    np.testing.assert_allclose(g.data, 2 * a)


def test_hvp_and_vhp_are_hessian_vector_products(rng):
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    value, hv = hvp(s_scalar, _t(x), _t(v))
    np.testing.assert_allclose(value.item(), np.sum(np.exp(x) * x) + np.sum(x) ** 2)
    np.testing.assert_allclose(hv.data, s_hess_np(x) @ v, rtol=1e-10)
    _, vh = vhp(s_scalar, _t(x), _t(v))
    np.testing.assert_allclose(vh.data, v @ s_hess_np(x), rtol=1e-10)
    _, (ha, hb) = hvp(lambda a, b: (a * b * b).sum(), (_t(x), _t(x)), (_t(v), _t(v)))
    np.testing.assert_allclose(ha.data, 2 * x * v)
    np.testing.assert_allclose(hb.data, 2 * x * v + 2 * x * v)


def test_create_graph_keeps_products_differentiable(rng):
    x = _t(rng.standard_normal(3), requires_grad=True)
    v = _t(rng.standard_normal(3))
    _, hv = hvp(lambda t: (t ** 4).sum(), x, v, create_graph=True)
    hv.sum().backward()  # d/dx sum(12 x^2 v) = 24 x v
    np.testing.assert_allclose(x.grad.data, 24 * x.data * v.data)


def test_float32_stays_float32():
    x = chainrule.tensor([1.0, 2.0])
    assert jacobian(lambda t: t.exp(), x).dtype == chainrule.float32
    assert hessian(lambda t: (t ** 3).sum(), x).dtype == chainrule.float32
    assert jvp(lambda t: t.exp(), x, chainrule.ones(2))[1].dtype == chainrule.float32
    assert hvp(lambda t: (t ** 3).sum(), x, chainrule.ones(2))[1].dtype == chainrule.float32


def test_strict_mode_refuses_independent_outputs():
    x = _t([1.0, 2.0])
    np.testing.assert_array_equal(jacobian(lambda t: _t([3.0]), x).data, [[0.0, 0.0]])
    with pytest.raises(RuntimeError, match="independent of input 0. This is not allowed"):
        jacobian(lambda t: _t([3.0]), x, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        vjp(lambda a, b: a * 2, (x, x), _t([1.0, 1.0]), strict=True)


def test_errors_name_the_function_and_the_problem():
    x = _t([1.0, 2.0])
    with pytest.raises(TypeError, match="inputs given to jacobian must be either a Tensor"):
        jacobian(lambda t: t, [1.0])
    with pytest.raises(TypeError, match="outputs of the user-provided function given to vjp"):
        vjp(lambda t: 3.0, x, x)
    with pytest.raises(RuntimeError, match="v can only be None if the output"):
        vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="v can only be None if the input"):
        hvp(lambda t: t.sum(), x)
    with pytest.raises(RuntimeError, match="entry 0 in v has invalid size: should be \\(2,\\)"):
        jvp(lambda t: t * 2, x, _t([1.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="hessian should contain a single element"):
        hessian(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="vhp should return a single Tensor"):
        vhp(lambda t: (t, t), x, x)
    with pytest.raises(ValueError, match='expected strategy to be either "forward-mode" or'):
        jacobian(lambda t: t, x, strategy="sideways")
    with pytest.raises(RuntimeError, match='strict=True and strategy="forward-mode" are not'):
        jacobian(lambda t: t, x, strict=True, strategy="forward-mode")


def test_all_six_match_torch_autograd_functional(rng):
    torch = pytest.importorskip("torch")
    taf = torch.autograd.functional
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    tx, tv = torch.tensor(x), torch.tensor(v)

    def f_torch(t):
        return t.sin() * (t * t).sum()

    def s_torch(t):
        return (t.exp() * t).sum() + t.sum() ** 2

    np.testing.assert_allclose(jacobian(f_vec, _t(x)).data, taf.jacobian(f_torch, tx).numpy())
    np.testing.assert_allclose(hessian(s_scalar, _t(x)).data, taf.hessian(s_torch, tx).numpy())
    np.testing.assert_allclose(
        jacobian(f_vec, _t(x), strategy="forward-mode").data,
        taf.jacobian(f_torch, tx, strategy="forward-mode", vectorize=True).numpy())
    for ours, theirs, f, tf in [(vjp, taf.vjp, f_vec, f_torch), (jvp, taf.jvp, f_vec, f_torch),
                                (hvp, taf.hvp, s_scalar, s_torch),
                                (vhp, taf.vhp, s_scalar, s_torch)]:
        out, prod = ours(f, _t(x), _t(v))
        t_out, t_prod = theirs(tf, tx, tv)
        np.testing.assert_allclose(out.data, t_out.numpy(), rtol=1e-12)
        np.testing.assert_allclose(prod.data, t_prod.numpy(), rtol=1e-10)
