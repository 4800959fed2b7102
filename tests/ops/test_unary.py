"""Unary ops beyond the op table: erf's accuracy, dtypes, clamp's boundaries and errors."""

import math
import warnings

import numpy as np
import pytest

import chainrule
from chainrule import DTypeError, ShapeError

FLOAT_ONLY = [
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "tanh",
    "erf",
    "reciprocal",
]


def _leaf(values, dtype=np.float64):
    return chainrule.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# -- erf -------------------------------------------------------------------------------------
def test_erf_matches_math_erf_on_a_dense_float64_grid():
    x = np.concatenate(
        [
            np.linspace(-7.0, 7.0, 400_001),
            np.linspace(-0.6, 0.6, 100_001),
            np.geomspace(1e-300, 30.0, 10_001),
            -np.geomspace(1e-300, 1e3, 1001),
        ]
    )
    want = np.array([math.erf(v) for v in x])
    got = chainrule.erf(chainrule.tensor(x)).data
    assert np.max(np.abs(got - want)) < 1e-15  # far below float32's epsilon (1.2e-7)


def test_erf_is_accurate_relative_to_tiny_inputs():
    x = np.array([1e-300, 1e-20, 1e-8, -3e-5])
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(chainrule.erf(chainrule.tensor(x)).data, want, rtol=1e-15)


def test_erf_of_special_values():
    x = chainrule.tensor([np.inf, -np.inf, np.nan, -0.0, 100.0], dtype=chainrule.float64)
    out = chainrule.erf(x).data
    np.testing.assert_array_equal(out[[0, 1, 4]], [1.0, -1.0, 1.0])
    assert np.isnan(out[2]) and out[3] == 0.0 and np.signbit(out[3])


def test_erf_float32_is_correctly_rounded_and_stays_float32(rng):
    x = rng.uniform(-4, 4, size=1000).astype(np.float32)
    out = chainrule.erf(chainrule.tensor(x))
    want = np.array([math.erf(v) for v in x.astype(np.float64)]).astype(np.float32)
    assert out.dtype == chainrule.float32
    np.testing.assert_array_equal(out.data, want)


def test_erf_gradient_is_the_gaussian_density():
    x = _leaf([-1.0, 0.0, 0.5, 2.0])
    chainrule.erf(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 / np.sqrt(np.pi) * np.exp(-(x.data**2)), rtol=1e-15)


# -- dtypes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FLOAT_ONLY)
@pytest.mark.parametrize("dtype", [chainrule.int64, chainrule.int32, chainrule.bool])
def test_float_only_functions_turn_integers_into_float32(name, dtype):
    x = chainrule.tensor([1, 2, 1], dtype=dtype)
    out = getattr(chainrule, name)(x)
    assert out.dtype == chainrule.float32
    want = getattr(chainrule, name)(chainrule.tensor(x.data.astype(np.float32)))
    np.testing.assert_array_equal(out.data, want.data)


@pytest.mark.parametrize("name", ["abs", "sign", "floor", "ceil", "round", "square"])
def test_integer_preserving_functions_keep_int64(name):
    x = chainrule.tensor([-3, 0, 2])
    out = getattr(chainrule, name)(x)
    assert out.dtype == chainrule.int64
    want = {"abs": [3, 0, 2], "sign": [-1, 0, 1], "square": [9, 0, 4]}.get(name, [-3, 0, 2])
    np.testing.assert_array_equal(out.data, want)


@pytest.mark.parametrize("name", FLOAT_ONLY)
def test_float_only_functions_reject_non_tensors_naming_the_op(name):
    with pytest.raises(DTypeError, match=f"{name}: expected a Tensor, got list"):
        getattr(chainrule, name)([1.0, 2.0])


def test_float32_inputs_give_float32_results_and_gradients(rng):
    x = chainrule.tensor(rng.uniform(0.5, 2, size=(3,)).astype(np.float32), requires_grad=True)
    out = chainrule.erf(chainrule.sqrt(x).exp().log1p().tanh())
    out.sum().backward()
    assert out.dtype == chainrule.float32 and x.grad.dtype == chainrule.float32


# -- accuracy near 0 -------------------------------------------------------------------------
def test_log1p_and_expm1_are_exact_where_one_plus_x_rounds_to_one():
    x = chainrule.tensor([1e-20, -1e-18], dtype=chainrule.float64)
    np.testing.assert_allclose(chainrule.log1p(x).data, [1e-20, -1e-18], rtol=1e-15)
    np.testing.assert_allclose(chainrule.expm1(x).data, [1e-20, -1e-18], rtol=1e-15)


# -- subgradients ----------------------------------------------------------------------------
def test_abs_gradient_at_zero_is_zero():
    x = _leaf([-2.0, 0.0, 3.0])
    chainrule.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round"])
def test_piecewise_constant_functions_have_zero_gradient(name):
    x = _leaf([-1.5, 0.3, 2.7])
    out = getattr(chainrule, name)(x)
    assert out.requires_grad  # as in PyTorch: the gradient exists and is zero
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


def test_round_goes_half_to_even_and_to_decimals():
    x = chainrule.tensor([0.5, 1.5, 2.5, -0.5, -1.5], dtype=chainrule.float64)
    np.testing.assert_array_equal(chainrule.round(x).data, [0.0, 2.0, 2.0, -0.0, -2.0])
    y = chainrule.tensor([1.2345, -2.5678], dtype=chainrule.float64)
    np.testing.assert_allclose(y.round(decimals=2).data, [1.23, -2.57])


# -- clamp -----------------------------------------------------------------------------------
def test_clamp_passes_the_gradient_at_both_boundaries():
    x = _leaf([-1.0, 0.0, 0.5, 1.0, 2.0])
    chainrule.clamp(x, 0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clamp_with_tensor_bounds_routes_gradients_like_torch():
    # Expected values printed by torch 2.13 for the same call (min > max in the last three).
    x = _leaf([-2.0, 0.0, 1.0, 2.0, 3.0, 5.0])
    lo = _leaf([0.0, 0.0, 1.0, 3.0, 4.0, 0.0])
    hi = _leaf([1.0, 1.0, 1.0, 2.0, 3.0, 4.0])
    out = chainrule.clamp(x, lo, hi)
    out.backward(chainrule.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=chainrule.float64))
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0, 3.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(lo.grad.data, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(hi.grad.data, [0.0, 0.0, 0.0, 4.0, 5.0, 6.0])


def test_clamp_with_only_a_tensor_bound_sums_its_gradient_to_its_shape():
    x = _leaf([[-1.0, 2.0], [-0.5, -3.0]])
    lo = _leaf([0.0, 0.0])
    chainrule.clamp(x, min=lo).sum().backward()
    np.testing.assert_array_equal(lo.grad.data, [2.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0], [0.0, 0.0]])


def test_clamp_promotes_an_integer_tensor_with_a_float_bound():
    out = chainrule.clamp(chainrule.tensor([1, 2, 3]), min=1.5)
    assert out.dtype == chainrule.float32
    np.testing.assert_array_equal(out.data, [1.5, 2.0, 3.0])


def test_clamp_keeps_integers_with_integer_bounds():
    out = chainrule.tensor([-5, 0, 5]).clamp(-1, 1)
    assert out.dtype == chainrule.int64
    np.testing.assert_array_equal(out.data, [-1, 0, 1])


def test_clamp_propagates_nan_with_zero_gradient():
    x = _leaf([np.nan, 0.5])
    out = chainrule.clamp(x, 0.0, 1.0)
    out.sum().backward()
    assert np.isnan(out.data[0]) and out.data[1] == 0.5
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0])


def test_clip_and_the_tensor_methods_are_clamp():
    x = chainrule.tensor([-2.0, 0.5, 3.0])
    for out in (chainrule.clip(x, 0.0, 1.0), x.clip(0.0, 1.0), x.clamp(max=1.0, min=0.0)):
        np.testing.assert_array_equal(out.data, [0.0, 0.5, 1.0])


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp: at least one of 'min' or 'max'"):
        chainrule.clamp(chainrule.tensor([1.0]))


def test_clamp_rejects_bounds_that_do_not_broadcast():
    x = chainrule.tensor(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match=r"clamp: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        chainrule.clamp(x, chainrule.tensor(np.zeros(4)))


# -- derivative rules reuse the forward's result ---------------------------------------------
@pytest.mark.parametrize("name", ["exp", "expm1", "sqrt", "tan", "tanh"])
def test_rules_written_with_the_output_survive_a_0d_input_and_second_derivatives(name):
    x = _leaf(0.7)
    (g,) = chainrule.autograd.grad(getattr(chainrule, name)(x), [x], create_graph=True)
    (gg,) = chainrule.autograd.grad(g, [x])
    d = {
        "exp": (math.exp(0.7), math.exp(0.7)),
        "expm1": (math.exp(0.7), math.exp(0.7)),
        "sqrt": (0.5 / math.sqrt(0.7), -0.25 * 0.7**-1.5),
        "tan": (1 / math.cos(0.7) ** 2, 2 * math.tan(0.7) / math.cos(0.7) ** 2),
        "tanh": (1 - math.tanh(0.7) ** 2, -2 * math.tanh(0.7) * (1 - math.tanh(0.7) ** 2)),
    }
    np.testing.assert_allclose([g.item(), gg.item()], d[name], rtol=1e-12)


def test_log_of_zero_is_minus_infinity_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = chainrule.log(chainrule.tensor([0.0, 1.0]))
    np.testing.assert_array_equal(out.data, [-np.inf, 0.0])


def test_unary_ops_match_torch_on_float32(rng):
    torch = pytest.importorskip("torch")
    x = rng.uniform(0.1, 1.2, size=(4, 5)).astype(np.float32)
    for name in FLOAT_ONLY:
        ours = getattr(chainrule, name)(chainrule.tensor(x)).data
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7, err_msg=name)
