"""Comparisons, logic, where, minimum/maximum and lerp beyond the op table: bool results with no
gradient, promotion, ties, NaN, broadcasting and errors."""

import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule
from chainrule import DTypeError, ShapeError

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]


def _leaf(values, dtype=np.float64):
    return chainrule.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# -- comparisons and logic: bool, no gradient ------------------------------------------------
@pytest.mark.parametrize("name", COMPARISONS + LOGICAL)
def test_comparisons_return_bool_tensors_that_carry_no_gradient(name):
    x = _leaf([1.0, 2.0, 3.0])
    out = getattr(chainrule, name)(x, chainrule.tensor([2.0, 2.0, 2.0], dtype=chainrule.float64))
    assert out.dtype == chainrule.bool
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("name", ["isnan", "isfinite", "logical_not"])
def test_unary_predicates_return_bool_tensors_that_carry_no_gradient(name):
    out = getattr(chainrule, name)(_leaf([1.0, np.nan, np.inf, 0.0]))
    assert out.dtype == chainrule.bool and not out.requires_grad
    want = {
        "isnan": [False, True, False, False],
        "isfinite": [True, False, False, True],
        "logical_not": [False, False, False, True],
    }[name]
    np.testing.assert_array_equal(out.data, want)


def test_a_comparison_cannot_be_backpropagated():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError):
        (x > 1.5).sum().backward()


def test_comparisons_promote_integer_tensors_against_float_scalars():
    x = chainrule.tensor([1, 2, 3])
    np.testing.assert_array_equal(chainrule.lt(x, 1.5).data, [True, False, False])
    np.testing.assert_array_equal(chainrule.eq(x, 2.0).data, [False, True, False])
    np.testing.assert_array_equal((x >= 2.5).data, [False, False, True])


def test_comparisons_promote_mixed_tensor_dtypes():
    x = chainrule.tensor([1, 2], dtype=chainrule.int32)
    y = chainrule.tensor([1.5, 2.0], dtype=chainrule.float64)
    np.testing.assert_array_equal(chainrule.le(x, y).data, [True, True])
    np.testing.assert_array_equal(chainrule.ne(y, x).data, [True, False])


def test_integer_tensors_are_never_nan_and_always_finite():
    x = chainrule.tensor([0, -3, 7])
    assert not chainrule.isnan(x).data.any() and chainrule.isfinite(x).data.all()


@pytest.mark.parametrize(
    ("dunder", "name"),
    [
        (operator.eq, "eq"),
        (operator.ne, "ne"),
        (operator.lt, "lt"),
        (operator.le, "le"),
        (operator.gt, "gt"),
        (operator.ge, "ge"),
        (operator.and_, "logical_and"),
        (operator.or_, "logical_or"),
        (operator.xor, "logical_xor"),
    ],
)
def test_operators_and_methods_match_the_functions(dunder, name):
    x = chainrule.tensor([0.0, 1.0, 2.0, 2.0])
    y = chainrule.tensor([1.0, 1.0, 0.0, 3.0])
    want = getattr(chainrule, name)(x, y).data
    np.testing.assert_array_equal(dunder(x, y).data, want)
    np.testing.assert_array_equal(getattr(x, name)(y).data, want)


def test_reflected_comparisons_with_a_scalar_on_the_left():
    x = chainrule.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((2 < x).data, [False, False, True])
    np.testing.assert_array_equal((2 == x).data, [False, True, False])


def test_invert_is_logical_not():
    np.testing.assert_array_equal((~chainrule.tensor([True, False])).data, [False, True])


@pytest.mark.parametrize("name", COMPARISONS + LOGICAL)
def test_comparisons_reject_shapes_that_do_not_broadcast(name):
    x, y = chainrule.tensor(np.zeros(3)), chainrule.tensor(np.zeros(4))
    with pytest.raises(ShapeError, match=rf"{name}: shapes \(3,\) and \(4,\) cannot be broadcast"):
        getattr(chainrule, name)(x, y)


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_reject_non_numbers_naming_the_op(name):
    with pytest.raises(DTypeError, match=name):
        getattr(chainrule, name)(chainrule.tensor([1.0]), "a")


# -- where -----------------------------------------------------------------------------------
def test_where_routes_the_gradient_by_the_condition():
    x, y = _leaf([1.0, 2.0, 3.0]), _leaf([10.0, 20.0, 30.0])
    cond = chainrule.tensor([True, False, True])
    out = chainrule.where(cond, x, y)
    out.backward(chainrule.tensor([1.0, 2.0, 3.0], dtype=chainrule.float64))
    np.testing.assert_array_equal(out.data, [1.0, 20.0, 3.0])
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(y.grad.data, [0.0, 2.0, 0.0])


def test_where_accepts_scalars_and_promotes_like_arithmetic():
    cond = chainrule.tensor([True, False])
    both = chainrule.where(cond, 1.0, 2.0)
    assert both.dtype == chainrule.float32
    np.testing.assert_array_equal(both.data, [1.0, 2.0])
    ints = chainrule.where(cond, chainrule.tensor([1, 2]), 0.5)
    assert ints.dtype == chainrule.float32
    np.testing.assert_array_equal(ints.data, [1.0, 0.5])


def test_tensor_where_method_takes_the_condition_first():
    x = chainrule.tensor([1.0, -1.0])
    np.testing.assert_array_equal(x.where(x > 0, 0.0).data, [1.0, 0.0])


@settings(deadline=None, max_examples=25)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), data=st.data()
)
def test_where_broadcasts_and_sums_gradients_back_to_each_shape(shapes, data):
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    c_shape, x_shape, y_shape = shapes.input_shapes
    cond = rng.random(c_shape) < 0.5
    x, y = _leaf(rng.normal(size=x_shape)), _leaf(rng.normal(size=y_shape))
    out = chainrule.where(chainrule.tensor(cond), x, y)
    np.testing.assert_array_equal(out.data, np.where(cond, x.data, y.data))
    out.sum().backward()
    full = np.broadcast_to(cond, shapes.result_shape)
    np.testing.assert_array_equal(x.grad.data, _sum_to(full.astype(float), x_shape))
    np.testing.assert_array_equal(y.grad.data, _sum_to((~full).astype(float), y_shape))


def _sum_to(a, shape):
    a = a.sum(axis=tuple(range(a.ndim - len(shape)))) if a.ndim > len(shape) else a
    return a.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True).reshape(shape)


@pytest.mark.parametrize("condition", [chainrule.tensor([1, 0]), [True, False]])
def test_where_rejects_a_condition_that_is_not_a_bool_tensor(condition):
    with pytest.raises(DTypeError, match="where: condition must be a bool tensor, got"):
        chainrule.where(condition, chainrule.tensor([1.0, 2.0]), 0.0)


def test_where_rejects_shapes_that_do_not_broadcast():
    cond = chainrule.tensor([True, False, True])
    with pytest.raises(ShapeError, match=r"where: shapes \(3,\) and \(2,\) and \(\) cannot"):
        chainrule.where(cond, chainrule.tensor([1.0, 2.0]), 0.0)


# -- minimum / maximum -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_minimum_maximum_split_the_gradient_at_ties_like_torch(name):
    torch = pytest.importorskip("torch")
    a, b = [1.0, 2.0, np.nan, 3.0, 5.0], [1.0, 3.0, 1.0, np.nan, 4.0]
    x, y = _leaf(a), _leaf(b)
    out = getattr(chainrule, name)(x, y)
    out.backward(chainrule.tensor(np.full(5, 2.0)))
    tx = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    tout = getattr(torch, name)(tx, ty)
    tout.backward(torch.full((5,), 2.0, dtype=torch.float64))
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    np.testing.assert_array_equal(y.grad.data, ty.grad.numpy())
    assert x.grad.data[0] == y.grad.data[0] == 1.0  # half of 2 each at the tie


def test_maximum_with_a_scalar_passes_the_gradient_where_the_tensor_wins():
    x = _leaf([-1.0, 0.5, 2.0])
    chainrule.maximum(x, 0.5).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 1.0])


def test_maximum_promotes_dtypes():
    out = chainrule.maximum(chainrule.tensor([1, 2]), chainrule.tensor([1.5]))
    assert out.dtype == chainrule.float32
    np.testing.assert_array_equal(out.data, [1.5, 2.0])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_minimum_maximum_reject_shapes_that_do_not_broadcast(name):
    with pytest.raises(ShapeError, match=rf"{name}: shapes \(2, 3\) and \(2,\) cannot"):
        getattr(chainrule, name)(chainrule.tensor(np.zeros((2, 3))), chainrule.tensor([1.0, 2.0]))


# -- lerp ------------------------------------------------------------------------------------
def test_lerp_gradients_are_one_minus_weight_weight_and_the_difference():
    x, end, w = _leaf([1.0, 2.0]), _leaf([3.0, 6.0]), _leaf([0.25, 0.5])
    out = chainrule.lerp(x, end, w)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [1.5, 4.0])
    np.testing.assert_array_equal(x.grad.data, [0.75, 0.5])
    np.testing.assert_array_equal(end.grad.data, [0.25, 0.5])
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


def test_tensor_lerp_method_with_a_scalar_weight():
    x = chainrule.tensor([0.0, 10.0])
    np.testing.assert_array_equal(x.lerp(chainrule.tensor([10.0, 20.0]), 0.5).data, [5.0, 15.0])


# -- pow's derivative uses where -------------------------------------------------------------
def test_pow_exponent_gradient_at_zero_base_is_zero():
    base, exponent = _leaf([0.0, 2.0]), _leaf([2.0, 3.0])
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad.data, [0.0, 8.0 * np.log(2.0)])


def test_where_with_zero_keeps_exact_zeros_and_masks_non_finite_values():
    # The fast path (x * mask) must agree with np.where: no -0.0, and nan/inf masked to 0.
    x = chainrule.tensor([-1.5, 2.0, -0.0, 3.0])
    out = chainrule.where(x > 0, x, 0.0)
    np.testing.assert_array_equal(out.data, [0.0, 2.0, 0.0, 3.0])
    assert not np.signbit(out.data).any()
    y = chainrule.tensor([np.nan, 1.0, np.inf, -np.inf])
    mask = chainrule.tensor([False, True, False, True])
    np.testing.assert_array_equal(chainrule.where(mask, y, 0.0).data, [0.0, 1.0, 0.0, -np.inf])


def test_relu_gradient_is_zero_where_inactive_even_for_a_nan_incoming_gradient():
    x = chainrule.tensor([-1.0, 2.0], requires_grad=True)
    chainrule.relu(x).backward(chainrule.tensor([np.nan, 1.0]))
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0])
