"""chainrule.func transforms: grad, grad_and_value, vjp, jacrev, jacfwd, jvp, hessian.

References are NumPy formulas and central finite differences of NumPy functions, written here;
torch.func is the last check when installed.
"""

import numpy as np
import pytest

import chainrule
from chainrule.func import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp


def _t(a, requires_grad=False):
    return chainrule.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _fd_jacobian(f_np, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of a NumPy function: shape f(x).shape + x.shape."""
    out = np.asarray(f_np(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        jac[(...,) + idx] = (np.asarray(f_np(x + step)) - np.asarray(f_np(x - step))) / (2 * eps)
    return jac


# f(x) = sin(x) * sum(x^2): a vector function with a dense Jacobian
def f_vec(x):
    return x.sin() * (x * x).sum()


def f_vec_np(x):
    return np.sin(x) * np.sum(x * x)


def f_vec_jac_np(x):
    return np.diag(np.cos(x) * np.sum(x * x)) + np.outer(np.sin(x), 2 * x)


# s(x) = sum(exp(x) * x) + sum(x)^2: a scalar with a known gradient and Hessian
def s_scalar(x):
    return (x.exp() * x).sum() + x.sum() ** 2


def s_scalar_np(x):
    return np.sum(np.exp(x) * x) + np.sum(x) ** 2


def s_grad_np(x):
    return np.exp(x) * (1 + x) + 2 * np.sum(x)


def s_hess_np(x):
    return np.diag(np.exp(x) * (2 + x)) + 2


# -- grad ---------------------------------------------------------------------------------------
def test_grad_equals_autograd_grad_and_the_formula(rng):
    x = rng.standard_normal(5)
    g = grad(s_scalar)(_t(x))
    leaf = _t(x, requires_grad=True)
    (expected,) = chainrule.autograd.grad(s_scalar(leaf), leaf)
    np.testing.assert_allclose(g.data, expected.data, rtol=1e-12)
    np.testing.assert_allclose(g.data, s_grad_np(x), rtol=1e-10)
    assert not g.requires_grad  # nothing outside asked for a graph


def test_grad_of_grad_is_the_second_derivative(rng):
    x = rng.standard_normal(())
    d1 = grad(lambda t: t.sin())
    d2 = grad(d1)
    d3 = grad(d2)
    np.testing.assert_allclose(d1(_t(x)).data, np.cos(x), rtol=1e-12)
    np.testing.assert_allclose(d2(_t(x)).data, -np.sin(x), rtol=1e-12)
    np.testing.assert_allclose(d3(_t(x)).data, -np.cos(x), rtol=1e-12)


def test_grad_of_a_function_that_calls_grad_on_a_closure(rng):
    # inner: d/dx sum(w * x^3) = 3 w x^2; outer: d/dw sum(3 w x^2) = 3 sum(x^2)
    x = _t(rng.standard_normal(4))

    def outer(w):
        return grad(lambda t: (w * t ** 3).sum())(x).sum()

    np.testing.assert_allclose(grad(outer)(_t(2.0)).data, 3 * np.sum(x.data ** 2), rtol=1e-12)


def test_grad_result_is_differentiable_when_the_input_requires_grad(rng):
    x = _t(rng.standard_normal(3), requires_grad=True)
    g = grad(s_scalar)(x)
    assert g.requires_grad
    g.sum().backward()  # d/dx sum(grad s) = sum over rows of the Hessian
    np.testing.assert_allclose(x.grad.data, s_hess_np(x.data).sum(0), rtol=1e-10)


def test_grad_argnums_tuple_negative_and_pytree_inputs(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(3)

    def f(x, y):
        return (x * y.exp()).sum()

    ga, gb = grad(f, argnums=(0, 1))(_t(a), _t(b))
    np.testing.assert_allclose(ga.data, np.exp(b), rtol=1e-12)
    np.testing.assert_allclose(gb.data, a * np.exp(b), rtol=1e-12)
    np.testing.assert_allclose(grad(f, argnums=-1)(_t(a), _t(b)).data, a * np.exp(b))
    tree = grad(lambda p: (p["w"] * p["v"][0]).sum())({"w": _t(a), "v": [_t(b)]})
    assert list(tree) == ["w", "v"] and isinstance(tree["v"], list)
    np.testing.assert_allclose(tree["w"].data, b)
    np.testing.assert_allclose(tree["v"][0].data, a)


def test_grad_and_value_and_has_aux(rng):
    x = rng.standard_normal(4)
    g, value = grad_and_value(s_scalar)(_t(x))
    np.testing.assert_allclose(value.data, s_scalar_np(x), rtol=1e-12)
    np.testing.assert_allclose(g.data, s_grad_np(x), rtol=1e-10)
    g, (value, aux) = grad_and_value(lambda t: (s_scalar(t), {"x2": t * 2}), has_aux=True)(_t(x))
    np.testing.assert_allclose(aux["x2"].data, 2 * x)
    g2, aux2 = grad(lambda t: (s_scalar(t), t.sum()), has_aux=True)(_t(x))
    np.testing.assert_allclose(g2.data, g.data)
    assert not aux2.requires_grad and np.isclose(aux2.item(), x.sum())


def test_grad_keeps_float32():
    g = grad(lambda t: (t.exp() * t).sum())(chainrule.tensor([0.5, 1.5]))
    assert g.dtype == chainrule.float32
    np.testing.assert_allclose(g.data, np.exp([0.5, 1.5]) * (1 + np.array([0.5, 1.5])),
                               rtol=1e-6)


def test_grad_of_an_unused_input_is_zero():
    ga, gb = grad(lambda a, b: (a * 2).sum(), argnums=(0, 1))(_t([1.0, 2.0]), _t([3.0]))
    np.testing.assert_array_equal(gb.data, [0.0])
    np.testing.assert_array_equal(grad(lambda a: _t(1.0))(_t([1.0])).data, [0.0])


def test_grad_rejects_non_scalar_outputs_and_bad_arguments():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="to return a scalar Tensor, got tensor with 1 dims"):
        grad(lambda t: t * 2)(x)
    with pytest.raises(RuntimeError, match="to return a Tensor, got float"):
        grad(lambda t: 1.0)(x)
    with pytest.raises(RuntimeError, match="argnums=2, but only 1 positional inputs"):
        grad(lambda t: t.sum(), argnums=2)(x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        grad(lambda t: t.sum(), argnums=[0])(x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        grad(lambda t: t.sum(), argnums=())(x)
    with pytest.raises(TypeError, match="expected the inputs at argnums \\(0\\) to be Tensors"):
        grad(lambda t: t, argnums=0)(3.0)
    with pytest.raises(TypeError, match="only floating point Tensors can be differentiated"):
        grad(lambda t: t.sum())(chainrule.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
        grad(lambda t: t.sum(), has_aux=True)(x)
    with pytest.raises(ValueError, match="`chunk_size` should be greater than 0"):
        jacrev(lambda t: t, chunk_size=0)
    with pytest.raises(RuntimeError, match="allowed values for randomness are 'error'"):
        jacfwd(lambda t: t, randomness="sometimes")


# -- vjp ----------------------------------------------------------------------------------------
def test_vjp_is_v_transpose_jacobian_and_reusable(rng):
    x, v, u = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(4)
    out, vjp_fn = vjp(f_vec, _t(x))
    np.testing.assert_allclose(out.data, f_vec_np(x), rtol=1e-12)
    (g,) = vjp_fn(_t(v))
    np.testing.assert_allclose(g.data, v @ f_vec_jac_np(x), rtol=1e-10)
    (g,) = vjp_fn(_t(u))  # a second call: the graph is kept
    np.testing.assert_allclose(g.data, u @ f_vec_jac_np(x), rtol=1e-10)


def test_vjp_with_pytrees_several_primals_and_aux(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(3)

    def f(x, y):
        return {"sum": x + y, "prod": (x * y,)}, x.sum()

    out, vjp_fn, aux = vjp(f, _t(a), _t(b), has_aux=True)
    np.testing.assert_allclose(aux.item(), a.sum())
    ga, gb = vjp_fn({"sum": _t(np.ones(3)), "prod": (_t(np.full(3, 2.0)),)})
    np.testing.assert_allclose(ga.data, 1 + 2 * b)
    np.testing.assert_allclose(gb.data, 1 + 2 * a)


def test_vjp_rejects_mismatched_cotangents():
    _, vjp_fn = vjp(lambda t: (t * 2, t * 3), _t([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="pytree structure of cotangents"):
        vjp_fn(_t([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="cotangent 1 has shape \\(3,\\) but the output has"):
        vjp_fn((_t([1.0, 1.0]), _t([1.0, 1.0, 1.0])))


# -- jacrev -------------------------------------------------------------------------------------
def test_jacrev_equals_the_formula_and_finite_differences(rng):
    x = rng.standard_normal(4)
    jac = jacrev(f_vec)(_t(x))
    assert jac.shape == (4, 4)
    np.testing.assert_allclose(jac.data, f_vec_jac_np(x), rtol=1e-10)
    np.testing.assert_allclose(jac.data, _fd_jacobian(f_vec_np, x), rtol=1e-6, atol=1e-8)


def test_jacrev_shapes_for_matrices_argnums_and_pytree_outputs(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)

    def f(x, y):
        return {"mv": x @ y, "x": x.exp()}

    ja, jb = jacrev(f, argnums=(0, 1))(_t(a), _t(b))["mv"]
    assert ja.shape == (2, 2, 3) and jb.shape == (2, 3)
    np.testing.assert_allclose(jb.data, a)
    np.testing.assert_allclose(ja.data, np.einsum("ij,k->ijk", np.eye(2), b))
    jx = jacrev(f)(_t(a), _t(b))["x"]
    assert jx.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(jx.data.reshape(6, 6), np.diag(np.exp(a).reshape(-1)))


def test_jacrev_of_jacrev_is_the_hessian(rng):
    x = rng.standard_normal(3)
    h = jacrev(jacrev(s_scalar))(_t(x))
    np.testing.assert_allclose(h.data, s_hess_np(x), rtol=1e-10)
    np.testing.assert_allclose(h.data, _fd_jacobian(s_grad_np, x), rtol=1e-6, atol=1e-8)


def test_jacrev_has_aux_and_keeps_float32():
    jac, aux = jacrev(lambda t: (t * t, t.sum()), has_aux=True)(chainrule.tensor([1.0, 2.0]))
    assert jac.dtype == chainrule.float32 and aux.item() == 3.0
    np.testing.assert_array_equal(jac.data, [[2.0, 0.0], [0.0, 4.0]])


# -- against torch.func -------------------------------------------------------------------------
def test_reverse_transforms_match_torch_func(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(4)
    tx = torch.tensor(x)

    def s_torch(t):
        return (t.exp() * t).sum() + t.sum() ** 2

    def f_torch(t):
        return t.sin() * (t * t).sum()

    np.testing.assert_allclose(grad(s_scalar)(_t(x)).data, torch.func.grad(s_torch)(tx).numpy())
    np.testing.assert_allclose(grad(lambda t: grad(s_scalar)(t).sum())(_t(x)).data,
                               torch.func.grad(lambda t: torch.func.grad(s_torch)(t).sum())(tx))
    np.testing.assert_allclose(jacrev(f_vec)(_t(x)).data, torch.func.jacrev(f_torch)(tx).numpy())
    v = rng.standard_normal(4)
    _, fn = vjp(f_vec, _t(x))
    _, tfn = torch.func.vjp(f_torch, tx)
    np.testing.assert_allclose(fn(_t(v))[0].data, tfn(torch.tensor(v))[0].numpy())


# -- forward mode: jvp, jacfwd, hessian ---------------------------------------------------------
def test_jvp_equals_the_jacobian_from_vjp_times_the_tangent(rng):
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    calls = []

    def f(t):
        calls.append(1)
        return f_vec(t)

    out, jv = jvp(f, (_t(x),), (_t(v),))
    assert len(calls) == 1  # one forward-mode evaluation, no reverse pass
    _, vjp_fn = vjp(f_vec, _t(x))
    jac_from_vjp = np.stack([vjp_fn(_t(row))[0].data for row in np.eye(4)])
    np.testing.assert_allclose(jv.data, jac_from_vjp @ v, rtol=1e-10)
    np.testing.assert_allclose(jv.data, f_vec_jac_np(x) @ v, rtol=1e-10)
    np.testing.assert_allclose(out.data, f_vec_np(x), rtol=1e-12)
    assert not jv.requires_grad and not out.requires_grad


def test_jvp_with_pytrees_aux_and_float32(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(3)

    def f(p):
        return {"prod": p["x"] * p["y"], "x": (p["x"].exp(),)}, p["x"].sum()

    out, jv, aux = jvp(f, ({"x": _t(a), "y": _t(b)},), ({"x": _t(np.ones(3)),
                                                          "y": _t(np.zeros(3))},), has_aux=True)
    np.testing.assert_allclose(jv["prod"].data, b)
    np.testing.assert_allclose(jv["x"][0].data, np.exp(a))
    np.testing.assert_allclose(aux.item(), a.sum())
    _, jv = jvp(lambda t: t.sin(), (chainrule.tensor([0.5]),), (chainrule.tensor([2.0]),))
    assert jv.dtype == chainrule.float32
    np.testing.assert_allclose(jv.data, 2 * np.cos([0.5]), rtol=1e-6)
    _, jv = jvp(lambda t: _t([1.0]), (_t([1.0]),), (_t([1.0]),))  # independent: zero tangent
    np.testing.assert_array_equal(jv.data, [0.0])


def test_jvp_rejects_bad_primals_and_tangents():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        jvp(lambda t: t, x, (x,))
    with pytest.raises(RuntimeError, match="same python structure"):
        jvp(lambda t: t, (x,), ([x],))
    with pytest.raises(RuntimeError, match="primal 0 of shape \\(2,\\) and tangent of shape"):
        jvp(lambda t: t, (x,), (_t([1.0]),))


def test_jacfwd_equals_jacrev_and_finite_differences(rng):
    x = rng.standard_normal(4)
    fwd = jacfwd(f_vec)(_t(x))
    np.testing.assert_allclose(fwd.data, jacrev(f_vec)(_t(x)).data, rtol=1e-12)
    np.testing.assert_allclose(fwd.data, _fd_jacobian(f_vec_np, x), rtol=1e-6, atol=1e-8)
    assert not fwd.requires_grad


def test_jacfwd_has_the_structure_of_jacrev(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)

    def f(x, y):
        return {"mv": x @ y, "x": (x.exp(),)}, y.sum()

    fwd, aux = jacfwd(f, argnums=(0, 1), has_aux=True)(_t(a), _t(b))
    rev, _ = jacrev(f, argnums=(0, 1), has_aux=True)(_t(a), _t(b))
    np.testing.assert_allclose(aux.item(), b.sum())
    for got, expected in [(fwd["mv"][0], rev["mv"][0]), (fwd["mv"][1], rev["mv"][1]),
                          (fwd["x"][0][0], rev["x"][0][0]), (fwd["x"][0][1], rev["x"][0][1])]:
        assert got.shape == expected.shape
        np.testing.assert_allclose(got.data, expected.data, rtol=1e-12)


def test_hessian_equals_the_formula_and_finite_differences(rng):
    x = rng.standard_normal(3)
    h = hessian(s_scalar)(_t(x))
    np.testing.assert_allclose(h.data, s_hess_np(x), rtol=1e-10)
    np.testing.assert_allclose(h.data, _fd_jacobian(s_grad_np, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jacrev(jacfwd(s_scalar))(_t(x)).data, h.data, rtol=1e-12)
    assert not h.requires_grad


def test_hessian_over_several_arguments_has_nested_blocks(rng):
    a, b = rng.standard_normal(2), rng.standard_normal(3)
    blocks = hessian(lambda u, v: (u.sum() * v ** 2).sum(), argnums=(0, 1))(_t(a), _t(b))
    assert [[h.shape for h in row] for row in blocks] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(blocks[0][0].data, np.zeros((2, 2)))
    np.testing.assert_allclose(blocks[0][1].data, np.tile(2 * b, (2, 1)))
    np.testing.assert_allclose(blocks[1][1].data, 2 * a.sum() * np.eye(3))


def test_reverse_over_forward_grad_of_a_jvp(rng):
    # d/dx sum(J(x) v) for f = sin(x) * sum(x^2), checked by finite differences of NumPy's J v
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    g = grad(lambda t: jvp(f_vec, (t,), (_t(v),))[1].sum())(_t(x))
    fd = _fd_jacobian(lambda a: np.sum(f_vec_jac_np(a) @ v), x)
    np.testing.assert_allclose(g.data, fd, rtol=1e-6, atol=1e-8)


def test_forward_transforms_match_torch_func(rng):
    torch = pytest.importorskip("torch")
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    tx, tv = torch.tensor(x), torch.tensor(v)

    def f_torch(t):
        return t.sin() * (t * t).sum()

    def s_torch(t):
        return (t.exp() * t).sum() + t.sum() ** 2

    out, jv = jvp(f_vec, (_t(x),), (_t(v),))
    t_out, t_jv = torch.func.jvp(f_torch, (tx,), (tv,))
    np.testing.assert_allclose(out.data, t_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(jv.data, t_jv.numpy(), rtol=1e-10)
    np.testing.assert_allclose(jacfwd(f_vec)(_t(x)).data, torch.func.jacfwd(f_torch)(tx).numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(hessian(s_scalar)(_t(x)).data,
                               torch.func.hessian(s_torch)(tx).numpy(), rtol=1e-10)


def test_tensors_captured_by_closure_get_gradients_through_the_transforms(rng):
    # at top level, outside any transform: g = 2 w x, so d sum(g) / dw = 2 sum(x)
    x = _t(rng.standard_normal(3))
    for make in [lambda w: grad(lambda t: (w * t ** 2).sum())(x),
                 lambda w: jacrev(lambda t: w * t ** 2)(x).sum(0),
                 lambda w: vjp(lambda t: w * t ** 2, x)[1](_t(np.ones(3)))[0]]:
        w = _t([1.5], requires_grad=True)
        make(w).sum().backward()
        np.testing.assert_allclose(w.grad.data, [2 * x.data.sum()], rtol=1e-12)


def test_grad_works_under_no_grad_and_respects_no_grad_inside(rng):
    x = rng.standard_normal(3)
    with chainrule.no_grad():
        g = grad(s_scalar)(_t(x))
    np.testing.assert_allclose(g.data, s_grad_np(x), rtol=1e-10)

    def f(t):
        with chainrule.no_grad():
            c = t * 2  # a constant for the transform
        return (c * t).sum()

    np.testing.assert_allclose(grad(f)(_t(x)).data, 2 * x)
