"""Activations beyond the op table: subgradients at 0, extreme inputs, softmax's stability,
its exact second derivative, dtypes and errors."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import ShapeError


def _leaf(values, dtype=np.float64):
    return chainrule.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _grad(fn, values):
    x = _leaf(values)
    fn(x).sum().backward()
    return x.grad.data


# -- subgradients at 0, as PyTorch -----------------------------------------------------------
def test_relu_gradient_at_zero_is_zero():
    np.testing.assert_array_equal(_grad(chainrule.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("create_graph", [False, True])
def test_relu_backward_drops_inf_and_nan_where_the_output_is_not_positive(dtype, create_graph):
    # As torch's threshold_backward (a where, not a product with the mask: inf * 0 = NaN).
    x = _leaf([-1.0, 0.0, 2.0, -3.0, 4.0], dtype)
    seed = chainrule.tensor(np.array([np.inf, np.nan, 5.0, -2.0, np.nan], dtype=dtype))
    (grad,) = chainrule.autograd.grad(chainrule.relu(x), [x], seed, create_graph=create_graph)
    assert grad.dtype == x.dtype
    np.testing.assert_array_equal(grad.data, np.array([0.0, 0.0, 5.0, 0.0, np.nan], dtype))
    assert not np.signbit(grad.data[[0, 1, 3]]).any()  # +0.0, as np.where(mask, grad, 0)


def test_relu_backward_of_a_broadcast_gradient_matches_the_mask(rng):
    x = _leaf(rng.standard_normal((3, 4)))
    chainrule.relu(x).sum().backward()  # sum's backward hands relu a broadcast view
    np.testing.assert_array_equal(x.grad.data, (x.data > 0).astype(np.float64))


def test_relu_second_derivative_flows_through_the_incoming_gradient(rng):
    x = _leaf(rng.standard_normal(6))
    seed = _leaf(rng.standard_normal(6))
    (grad,) = chainrule.autograd.grad(chainrule.relu(x), [x], seed, create_graph=True)
    grad.sum().backward()
    np.testing.assert_array_equal(seed.grad.data, (x.data > 0).astype(np.float64))


def test_leaky_relu_gradient_at_zero_is_the_negative_slope():
    got = _grad(lambda x: chainrule.leaky_relu(x, 0.1), [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(got, [0.1, 0.1, 1.0])


def test_elu_gradient_at_zero_is_alpha():
    got = _grad(lambda x: chainrule.elu(x, alpha=2.0), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(got, [2 * np.exp(-1.0), 2.0, 1.0])


def test_relu_keeps_integer_dtype():
    out = chainrule.relu(chainrule.tensor([-2, 0, 3]))
    assert out.dtype == chainrule.int64
    np.testing.assert_array_equal(out.data, [0, 0, 3])


@pytest.mark.parametrize("name", ["sigmoid", "silu", "gelu", "softplus", "elu"])
def test_float_activations_turn_integers_into_float32(name):
    out = getattr(chainrule, name)(chainrule.tensor([-1, 0, 2]))
    assert out.dtype == chainrule.float32


# -- extreme inputs: no overflow, no NaN gradients -------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_without_overflow(dtype):
    x = _leaf([-1000.0, -40.0, 0.0, 40.0, 1000.0], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        out = chainrule.sigmoid(x)
        out.sum().backward()
    assert out.data[0] == 0.0 and out.data[2] == 0.5 and out.data[4] == 1.0
    np.testing.assert_allclose(out.data[1], np.exp(-40.0), rtol=1e-6)  # not rounded to 0
    assert np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize(
    "fn",
    [chainrule.elu, chainrule.softplus, lambda x: chainrule.softplus(x, beta=0.5, threshold=50.0)],
)
def test_branchy_activations_have_finite_gradients_at_large_inputs(fn):
    x = _leaf([-1000.0, 200.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(x)
        out.sum().backward()
    np.testing.assert_allclose(out.data[1:], [200.0, 1000.0])
    np.testing.assert_allclose(x.grad.data[1:], [1.0, 1.0])
    assert np.isfinite(x.grad.data[0])


def test_softplus_switches_to_identity_above_the_threshold():
    x = chainrule.tensor([1.0, 1.5], dtype=chainrule.float64)
    out = chainrule.softplus(x, beta=2.0, threshold=2.5)
    np.testing.assert_allclose(out.data, [np.log1p(np.exp(2.0)) / 2, 1.5])


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'fast'"):
        chainrule.gelu(chainrule.tensor([1.0]), approximate="fast")


# -- softmax / log_softmax -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_at_logits_of_1e4(dtype):
    x = _leaf([[1e4, 1e4, 0.0], [-1e4, 0.0, -1e4]], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = chainrule.softmax(x, dim=1)
        (out * chainrule.tensor(np.array([1.0, 2.0, 3.0], dtype))).sum().backward()
    np.testing.assert_allclose(out.data, [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], atol=1e-30)
    assert np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_is_stable_at_logits_of_1e4(dtype):
    x = _leaf([[0.0, 1e4], [-1e4, 1e4]], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = chainrule.log_softmax(x, dim=-1)
        out.sum().backward()
    np.testing.assert_allclose(out.data, [[-1e4, 0.0], [-2e4, 0.0]], rtol=1e-7)
    np.testing.assert_allclose(x.grad.data, [[1.0, -1.0], [1.0, -1.0]], atol=1e-7)


@settings(deadline=None, max_examples=25)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_softmax_slices_sum_to_one_and_match_exp_of_log_softmax(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    seed = data.draw(st.integers(0, 2**32 - 1))
    x = chainrule.tensor(np.random.default_rng(seed).normal(0, 5, size=shape))
    out = chainrule.softmax(x, dim)
    np.testing.assert_allclose(out.data.sum(axis=dim), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(chainrule.log_softmax(x, dim).data), out.data, rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_hessian_vector_products_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    x0, v, w = (rng.normal(size=(3, 5)) for _ in range(3))
    x = _leaf(x0)
    (g,) = chainrule.autograd.grad(
        getattr(chainrule, name)(x, 1), [x], chainrule.tensor(v), create_graph=True
    )
    (gg,) = chainrule.autograd.grad(g, [x], chainrule.tensor(w))
    tx = torch.tensor(x0, requires_grad=True)
    (tg,) = torch.autograd.grad(
        getattr(torch, name)(tx, 1), [tx], torch.tensor(v), create_graph=True
    )
    (tgg,) = torch.autograd.grad(tg, [tx], torch.tensor(w))
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gg.data, tgg.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_argument_casts_the_input_first(name):
    x = _leaf([1.0, 2.0, 3.0], np.float32)
    out = getattr(chainrule, name)(x, 0, dtype=chainrule.float64)
    assert out.dtype == chainrule.float64
    out.sum().backward()
    assert x.grad.dtype == chainrule.float32


def test_softmax_of_integers_is_float32():
    out = chainrule.softmax(chainrule.tensor([1, 2, 3]), dim=0)
    assert out.dtype == chainrule.float32
    np.testing.assert_allclose(out.data, np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-6)


def test_softmax_over_an_empty_dimension_is_empty():
    out = chainrule.softmax(chainrule.tensor(np.zeros((3, 0))), dim=1)
    assert out.shape == (3, 0)


def test_tensor_methods_call_softmax():
    x = chainrule.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_array_equal(x.softmax(0).data, chainrule.softmax(x, 0).data)
    np.testing.assert_array_equal(x.log_softmax(-1).data, chainrule.log_softmax(x, -1).data)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_rejects_a_dim_out_of_range(name):
    with pytest.raises(ShapeError, match=rf"{name}: dim 2 is out of range for a tensor of 2"):
        getattr(chainrule, name)(chainrule.tensor(np.zeros((2, 3))), 2)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_rejects_a_dim_that_is_not_an_int(name):
    with pytest.raises(TypeError, match=rf"{name}: dim must be an int, got \(0, 1\)"):
        getattr(chainrule, name)(chainrule.tensor(np.zeros((2, 3))), (0, 1))
