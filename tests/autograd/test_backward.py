"""Tensor.backward, autograd.backward and autograd.grad: arguments, results and errors."""

import numpy as np
import pytest

import chainrule
from chainrule import autograd


def _leaf(values, dtype=chainrule.float64):
    return chainrule.tensor(values, dtype=dtype, requires_grad=True)


# -- Tensor.backward -----------------------------------------------------------------------
def test_backward_of_scalar_fills_leaf_grad():
    x = _leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0, 6.0])


def test_leaf_grad_has_leaf_dtype_and_shape():
    x = chainrule.tensor([[1.0, 2.0]], requires_grad=True)
    (x * 3).sum().backward()
    assert x.grad.dtype == chainrule.float32
    assert x.grad.shape == (1, 2)
    assert not x.grad.requires_grad


def test_backward_with_gradient_weights_a_non_scalar_output():
    x = _leaf([1.0, 2.0])
    (x * x).backward(chainrule.tensor([1.0, 10.0], dtype=chainrule.float64))
    np.testing.assert_allclose(x.grad.data, [2.0, 40.0])


def test_backward_on_non_scalar_without_gradient_is_refused():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()
    assert x.grad is None


def test_backward_with_gradient_of_wrong_shape_is_refused_naming_both_shapes():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"(?i)mismatch in shape.*\(3,\).*\(2,\)"):
        (x * 2).backward(chainrule.tensor([1.0, 1.0, 1.0], dtype=chainrule.float64))
    with pytest.raises(ValueError):  # ShapeError is both
        (x * 2).backward(chainrule.tensor([1.0], dtype=chainrule.float64))
    assert x.grad is None


def test_backward_on_tensor_that_does_not_require_grad_is_refused():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        chainrule.tensor([1.0]).sum().backward()


def test_backward_of_a_leaf_itself_sets_its_grad():
    x = _leaf([1.0, 2.0])
    g = chainrule.tensor([3.0, 4.0], dtype=chainrule.float64)
    x.backward(g)
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    assert not np.shares_memory(x.grad.data, g.data)


def test_backward_inputs_accumulates_only_into_the_given_leaves():
    x, y = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (x * y).sum().backward(inputs=[x])
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    assert y.grad is None


def test_backward_inputs_accepts_a_single_tensor():
    x, y = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (x * y).sum().backward(inputs=y)
    np.testing.assert_array_equal(y.grad.data, [1.0, 2.0])
    assert x.grad is None


def test_backward_inputs_may_be_a_non_leaf():
    x, y = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    m = x * 2
    (m * y).sum().backward(inputs=[m])
    np.testing.assert_array_equal(m.grad.data, [3.0, 4.0])
    assert x.grad is None and y.grad is None


def test_backward_with_empty_inputs_is_refused():
    x = _leaf([1.0])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])


# -- autograd.backward ---------------------------------------------------------------------
def test_autograd_backward_sums_over_several_outputs():
    x = _leaf([1.0, 2.0])
    autograd.backward([(x * 2).sum(), (x * x).sum()])
    np.testing.assert_allclose(x.grad.data, [2.0 + 2.0, 2.0 + 4.0])


def test_autograd_backward_takes_grad_tensors():
    x = _leaf([1.0, 2.0])
    g = chainrule.tensor([1.0, 10.0], dtype=chainrule.float64)
    autograd.backward([x * 3], [g])
    np.testing.assert_allclose(x.grad.data, [3.0, 30.0])


def test_autograd_backward_refuses_wrong_number_of_grad_tensors():
    x = _leaf([1.0, 2.0])
    g = chainrule.tensor([1.0, 1.0], dtype=chainrule.float64)
    with pytest.raises(ValueError, match="2 gradients for 1 outputs"):
        autograd.backward([x * 3], [g, g])


# -- autograd.grad -------------------------------------------------------------------------
def test_grad_returns_gradients_without_touching_dot_grad():
    x, y = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    gx, gy = autograd.grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gy.data, [1.0, 2.0])
    assert x.grad is None and y.grad is None


def test_grad_accepts_a_single_tensor_and_returns_a_tuple():
    x = _leaf([1.0, 2.0])
    result = autograd.grad((x * x).sum(), x)
    assert isinstance(result, tuple) and len(result) == 1
    np.testing.assert_array_equal(result[0].data, [2.0, 4.0])


def test_grad_outputs_weights_the_output():
    x = _leaf([1.0, 2.0])
    v = chainrule.tensor([1.0, 10.0], dtype=chainrule.float64)
    (gx,) = autograd.grad(x * x, x, grad_outputs=v)
    np.testing.assert_allclose(gx.data, [2.0, 40.0])


def test_grad_of_non_scalar_without_grad_outputs_is_refused():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        autograd.grad(x * x, x)


def test_grad_rejects_unused_input_unless_allowed():
    x, unused = _leaf([1.0]), _leaf([2.0])
    with pytest.raises(RuntimeError, match="appears not to have been used in the graph"):
        autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    np.testing.assert_array_equal(gx.data, [2.0])
    assert gu is None


def test_grad_materialize_grads_gives_zeros_for_unused_input():
    x, unused = _leaf([1.0]), _leaf([2.0, 3.0])
    _, gu = autograd.grad((x * 2).sum(), [x, unused], allow_unused=True, materialize_grads=True)
    np.testing.assert_array_equal(gu.data, [0.0, 0.0])


def test_grad_with_respect_to_a_non_leaf():
    x = _leaf([1.0, 2.0])
    m = x * 3
    (gm,) = autograd.grad((m * m).sum(), m)
    np.testing.assert_allclose(gm.data, [6.0, 12.0])  # d(m²)/dm = 2m
    assert x.grad is None


def test_grad_with_respect_to_a_non_leaf_and_its_leaf():
    x = _leaf([1.0, 2.0])
    m = x * 3
    gm, gx = autograd.grad((m * m).sum(), [m, x])
    np.testing.assert_allclose(gm.data, [6.0, 12.0])
    np.testing.assert_allclose(gx.data, [18.0, 36.0])  # d(9x²)/dx


def test_grad_input_that_does_not_require_grad_is_refused():
    x = _leaf([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2).sum(), chainrule.tensor([1.0]))


def test_grad_output_that_does_not_require_grad_is_refused():
    x = _leaf([1.0])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        autograd.grad(chainrule.tensor([1.0]).sum(), x)


def test_grad_of_several_outputs_sums_them():
    x = _leaf([2.0])
    (gx,) = autograd.grad([(x * x).sum(), (x * 5).sum()], x)
    np.testing.assert_allclose(gx.data, [4.0 + 5.0])


def test_grad_without_create_graph_returns_constants():
    x = _leaf([2.0])
    (gx,) = autograd.grad((x * x * x).sum(), x)
    assert not gx.requires_grad
    assert gx.grad_fn is None


# -- higher order --------------------------------------------------------------------------
def test_create_graph_gives_third_derivative_of_cube():
    x = _leaf(2.0)
    (d1,) = autograd.grad(x**3, x, create_graph=True)
    (d2,) = autograd.grad(d1, x, create_graph=True)
    (d3,) = autograd.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == (12.0, 12.0, 6.0)  # 3x², 6x, 6


def test_backward_create_graph_makes_leaf_grad_differentiable():
    x = _leaf([1.0, 3.0])
    (x**3).sum().backward(create_graph=True)
    grad = x.grad
    assert grad.requires_grad and grad.grad_fn is not None
    np.testing.assert_allclose(grad.data, [3.0, 27.0])
    x.grad = None
    grad.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 18.0])


def test_higher_order_derivatives_match_torch():
    torch = pytest.importorskip("torch")
    values = [0.5, -1.5, 2.0]

    def f(lib, x, y):
        return ((x * y - x / y) ** 3 + x * x * y).sum()

    ours_x, ours_y = _leaf(values), _leaf([1.5, 2.5, -0.5])
    ref_x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    ref_y = torch.tensor([1.5, 2.5, -0.5], dtype=torch.float64, requires_grad=True)
    ours, ref = [f(chainrule, ours_x, ours_y)], [f(torch, ref_x, ref_y)]
    for _ in range(3):  # first, second and third derivatives, each summed to a scalar
        gx, gy = autograd.grad(ours[-1], [ours_x, ours_y], create_graph=True)
        tx, ty = torch.autograd.grad(ref[-1], [ref_x, ref_y], create_graph=True)
        np.testing.assert_allclose(gx.data, tx.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(gy.data, ty.detach().numpy(), rtol=1e-12)
        ours.append((gx * gy).sum())
        ref.append((tx * ty).sum())


def test_hessian_vector_product_matches_torch():
    torch = pytest.importorskip("torch")
    x = _leaf([0.3, -0.7, 1.1])
    v = chainrule.tensor([1.0, 2.0, -1.0], dtype=chainrule.float64)
    (g,) = autograd.grad((x**4 / (x * x + 1)).sum(), x, create_graph=True)
    (hv,) = autograd.grad(g, x, grad_outputs=v)
    tx = torch.tensor([0.3, -0.7, 1.1], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad((tx**4 / (tx * tx + 1)).sum(), tx, create_graph=True)
    (thv,) = torch.autograd.grad(
        tg, tx, grad_outputs=torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
    )
    np.testing.assert_allclose(hv.data, thv.numpy(), rtol=1e-12)
