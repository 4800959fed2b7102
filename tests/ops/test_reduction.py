"""Reductions beyond the op table: named results, ties, zeros, dims, dtypes and errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradgradcheck


def _leaf(values, dtype=np.float64):
    return chainrule.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _grad(fn, values):
    """d sum(fn(x)) / dx at ``values``, in chainrule."""
    x = _leaf(values)
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    return x.grad.data


def _torch_grad(fn, values):
    """d sum(fn(x)) / dx at ``values``, in PyTorch."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    return x.grad.numpy()


# -- max / min with dim: named tuples and int64 indices ----------------------------------------
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_return_named_values_and_indices(name):
    x = chainrule.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    result = getattr(chainrule, name)(x, dim=1)
    values, indices = result  # unpackable like torch.return_types.max
    assert isinstance(result, tuple) and type(result).__name__ == name
    assert result.values is values and result.indices is indices
    want = [[5.0, 7.0], [1, 0]] if name == "max" else [[1.0, 0.0], [0, 1]]
    np.testing.assert_array_equal(values.data, want[0])
    np.testing.assert_array_equal(indices.data, want[1])
    assert indices.dtype == chainrule.int64


def test_max_with_dim_keepdim_keeps_the_dimension_in_both_results():
    values, indices = chainrule.max(chainrule.tensor(np.zeros((2, 3, 4))), dim=-2, keepdim=True)
    assert values.shape == (2, 1, 4) and indices.shape == (2, 1, 4)


def test_max_with_dim_on_a_0d_tensor_returns_it_with_index_0():
    values, indices = chainrule.tensor(5.0).max(dim=0, keepdim=True)
    assert values.shape == () and values.item() == 5.0
    assert indices.shape == () and indices.item() == 0


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_give_int64_and_flattened_index_without_dim(name):
    x = chainrule.tensor([[1.0, 5.0], [-7.0, 2.0]])
    fn = getattr(chainrule, name)
    flat = fn(x)
    assert flat.dtype == chainrule.int64 and flat.shape == ()
    assert flat.item() == (1 if name == "argmax" else 2)
    assert fn(x, keepdim=True).shape == (1, 1)
    assert fn(x, dim=0).dtype == chainrule.int64


def test_indices_and_argmax_carry_no_gradient():
    x = _leaf([[1.0, 5.0], [7.0, 2.0]])
    assert not chainrule.max(x, dim=1).indices.requires_grad
    assert not chainrule.argmax(x).requires_grad
    assert chainrule.max(x, dim=1).values.requires_grad


def test_max_with_a_tensor_argument_is_the_elementwise_maximum():
    x, y = chainrule.tensor([1.0, 5.0]), chainrule.tensor([3.0, 2.0])
    np.testing.assert_array_equal(chainrule.max(x, y).data, [3.0, 5.0])
    np.testing.assert_array_equal(chainrule.min(x, y).data, [1.0, 2.0])


# -- ties, against PyTorch ---------------------------------------------------------------------
TIES = [[3.0, 1.0, 3.0, 3.0], [2.0, 2.0, -1.0, -1.0], [0.0, 0.0, 0.0, 0.0]]


@pytest.mark.parametrize("name", ["max", "min"])
def test_full_max_min_spread_the_gradient_evenly_among_ties_like_torch(name):
    torch = pytest.importorskip("torch")
    ours = _grad(getattr(chainrule, name), TIES)
    np.testing.assert_allclose(ours, _torch_grad(getattr(torch, name), TIES))
    assert np.isclose(ours.sum(), 1.0) and np.count_nonzero(ours) > 1


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_min_with_dim_send_the_gradient_to_the_chosen_index_like_torch(name, dim):
    torch = pytest.importorskip("torch")
    ours = _grad(lambda x: getattr(chainrule, name)(x, dim), TIES)
    np.testing.assert_allclose(ours, _torch_grad(lambda x: getattr(torch, name)(x, dim), TIES))
    assert set(np.unique(ours)) <= {0.0, 1.0}  # never split


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
@pytest.mark.parametrize("dim", [0, 1])
def test_tied_indices_are_the_first_occurrence_like_torch(name, dim):
    torch = pytest.importorskip("torch")
    x = np.array(TIES)
    ours = getattr(chainrule, name)(chainrule.tensor(x), dim)
    theirs = getattr(torch, name)(torch.tensor(x), dim)
    if name.startswith("arg"):
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    else:
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim", [0, 1, (0, 1), -1])
def test_amax_amin_split_the_gradient_evenly_among_ties_like_torch(name, dim):
    torch = pytest.importorskip("torch")
    ours = _grad(lambda x: getattr(chainrule, name)(x, dim), TIES)
    np.testing.assert_allclose(ours, _torch_grad(lambda x: getattr(torch, name)(x, dim), TIES))


def test_max_with_dim_propagates_nan_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, np.nan, 3.0], [4.0, 2.0, 0.0]])
    ours, theirs = chainrule.max(chainrule.tensor(x), 1), torch.max(torch.tensor(x), 1)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


# -- prod with zeros ---------------------------------------------------------------------------
@pytest.mark.parametrize("values, want", [
    ([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),   # one zero: only it has a non-zero gradient
    ([2.0, 0.0, 0.0], [0.0, 0.0, 0.0]),   # two zeros: every product of the others is 0
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    ([2.0, 5.0, 3.0], [15.0, 6.0, 10.0]),
])
def test_prod_gradient_is_the_product_of_the_others_even_with_zeros(values, want):
    np.testing.assert_array_equal(_grad(chainrule.prod, values), want)


@pytest.mark.parametrize("values", [[[2.0, 0.0, 3.0], [1.5, -2.0, 0.5]],
                                    [[0.0, 4.0, 0.0], [0.0, 0.0, 0.0]],
                                    [[0.0, 4.0, 0.5], [1.0, 0.0, 0.0]]])
@pytest.mark.parametrize("dim", [None, 1, 0])
def test_prod_second_derivative_with_zeros_matches_torch(values, dim):
    torch = pytest.importorskip("torch")
    v = np.asarray(values)
    seed = np.arange(1.0, 1.0 + v.size).reshape(v.shape)  # weights the gradient's entries

    def hessian_row_sums(lib, x):
        out = lib.prod(x) if dim is None else lib.prod(x, dim)
        grad_fn = chainrule.autograd.grad if lib is chainrule else torch.autograd.grad
        (g,) = grad_fn(out.sum(), x, create_graph=True)
        (gg,) = grad_fn((g * lib.tensor(seed)).sum(), x)
        return gg

    ours = hessian_row_sums(chainrule, _leaf(v))
    theirs = hessian_row_sums(torch, torch.tensor(v, requires_grad=True))
    np.testing.assert_allclose(ours.data, theirs.numpy(), atol=1e-12)


def test_prod_with_zeros_passes_gradgradcheck_with_a_zero_in_every_position():
    for position in range(3):
        values = np.array([1.5, -0.5, 2.0])
        values[position] = 0.0
        assert gradgradcheck(chainrule.prod, (_leaf(values),))


def test_prod_of_integers_is_int64():
    out = chainrule.prod(chainrule.tensor([2, 3, 4], dtype=chainrule.int32))
    assert out.dtype == chainrule.int64 and out.item() == 24


# -- norm and std at zero ------------------------------------------------------------------
@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 1.5, math.inf, -math.inf, 0])
def test_norm_gradient_at_zero_is_zero_not_nan(p):
    x = _leaf(np.zeros((2, 3)))
    chainrule.norm(x, p).backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, math.inf])
def test_norm_gradient_with_a_zero_slice_matches_torch(p):
    torch = pytest.importorskip("torch")
    values = [[0.0, 0.0, 0.0], [3.0, -4.0, 1.0]]
    ours = _grad(lambda x: chainrule.norm(x, p, dim=1), values)
    np.testing.assert_allclose(ours, _torch_grad(lambda x: torch.norm(x, p, dim=1), values))
    assert np.isfinite(ours).all()


def test_norm_second_derivative_at_zero_is_finite():
    x = _leaf(np.zeros(3))
    (g,) = chainrule.autograd.grad(chainrule.norm(x), x, create_graph=True)
    (gg,) = chainrule.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(gg.data, np.zeros(3))


def test_std_of_a_constant_slice_has_zero_gradient_like_torch():
    torch = pytest.importorskip("torch")
    values = [[2.0, 2.0, 2.0], [1.0, 4.0, 0.5]]
    ours = _grad(lambda x: chainrule.std(x, dim=1), values)
    np.testing.assert_allclose(ours, _torch_grad(lambda x: torch.std(x, dim=1), values))
    np.testing.assert_array_equal(ours[0], [0.0, 0.0, 0.0])


def test_norm_rejects_nuclear_norm_and_integer_input():
    with pytest.raises(ValueError, match="norm: p='nuc'"):
        chainrule.norm(chainrule.ones(2, 3), "nuc")
    with pytest.raises(DTypeError, match="norm: .*int64"):
        chainrule.norm(chainrule.tensor([1, 2]))
    with pytest.raises(ShapeError, match="norm: p='fro' takes at most 2 dims"):
        chainrule.norm(chainrule.ones(2, 3, 4), "fro", dim=(0, 1, 2))


# -- var and std: correction -----------------------------------------------------------------
VAR_FORMS = [
    ((), {}),
    ((1,), {}),
    ((1, True), {}),
    ((1, False), {}),
    ((), {"dim": 0, "correction": 0}),
    ((), {"dim": (0, 1), "correction": 2}),
    ((False,), {}),  # PyTorch's legacy var(input, unbiased)
    ((), {"dim": -1, "unbiased": False, "keepdim": True}),
]


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("args, kwargs", VAR_FORMS)
def test_var_std_correction_forms_match_torch(name, args, kwargs, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4))
    ours = getattr(chainrule, name)(chainrule.tensor(x), *args, **kwargs)
    theirs = getattr(torch, name)(torch.tensor(x), *args, **kwargs)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


def test_var_default_correction_is_1_and_unbiased_false_is_0():
    x = chainrule.tensor([1.0, 2.0, 4.0])
    assert np.isclose(x.var().item(), 14 / 3 / 2)
    assert np.isclose(x.var(unbiased=False).item(), 14 / 3 / 3)
    assert np.isclose(x.var(correction=0).item(), 14 / 3 / 3)


def test_var_rejects_unbiased_and_correction_together():
    with pytest.raises(ValueError, match="var: give either unbiased or correction"):
        chainrule.var(chainrule.ones(3), unbiased=True, correction=1)


def test_var_with_too_few_elements_warns_and_gives_nan_like_torch():
    with pytest.warns(UserWarning, match="var: degrees of freedom is <= 0"):
        out = chainrule.var(chainrule.tensor([3.0]))
    assert math.isnan(out.item())


@pytest.mark.parametrize("name", ["var", "std", "mean"])
def test_var_std_mean_reject_integer_input(name):
    with pytest.raises(DTypeError, match=f"{name}: .*int64"):
        getattr(chainrule, name)(chainrule.tensor([1, 2, 3]))


def test_mean_with_dtype_converts_integer_input():
    out = chainrule.mean(chainrule.tensor([1, 2]), dtype=chainrule.float64)
    assert out.dtype == chainrule.float64 and out.item() == 1.5


def test_mean_of_no_elements_is_nan_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(chainrule.mean(chainrule.zeros(0)).item())


# -- dims: lists, negatives, empty tuples, and errors ----------------------------------------------
def test_sum_accepts_a_list_of_negative_dims():
    x = chainrule.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.sum([-1, 0]).data, np.arange(24.0).reshape(2, 3, 4)
                                  .sum(axis=(0, 2)))


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std", "norm"])
def test_an_empty_dim_tuple_reduces_every_dimension_like_torch(name):
    torch = pytest.importorskip("torch")
    x = np.arange(6.0).reshape(2, 3)
    ours = getattr(chainrule, name)(chainrule.tensor(x), dim=())
    theirs = getattr(torch, name)(torch.tensor(x), dim=())
    assert ours.shape == () and np.isclose(ours.item(), theirs.item())


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_with_an_empty_dim_tuple_reduce_nothing_like_torch(name):
    x = chainrule.tensor([[0.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(getattr(chainrule, name)(x, dim=()).data, x.data != 0)


REDUCTIONS = {
    "sum": lambda x, d: chainrule.sum(x, d),
    "mean": lambda x, d: chainrule.mean(x, d),
    "prod": lambda x, d: chainrule.prod(x, d),
    "amax": lambda x, d: chainrule.amax(x, d),
    "amin": lambda x, d: chainrule.amin(x, d),
    "max": lambda x, d: chainrule.max(x, d),
    "min": lambda x, d: chainrule.min(x, d),
    "argmax": lambda x, d: chainrule.argmax(x, d),
    "argmin": lambda x, d: chainrule.argmin(x, d),
    "var": lambda x, d: chainrule.var(x, d),
    "std": lambda x, d: chainrule.std(x, d),
    "logsumexp": lambda x, d: chainrule.logsumexp(x, d),
    "norm": lambda x, d: chainrule.norm(x, 2, d),
    "cumsum": lambda x, d: chainrule.cumsum(x, d),
    "all": lambda x, d: chainrule.all(x, d),
    "any": lambda x, d: chainrule.any(x, d),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("dim", [2, -3])
def test_reductions_reject_an_out_of_range_dim_naming_op_dim_and_ndim(name, dim):
    x = chainrule.ones(2, 3)
    with pytest.raises(ShapeError, match=rf"{name}: dim {dim} is out of range for a tensor of 2 "
                                         rf"dimensions \(expected in \[-2, 1\]\)"):
        REDUCTIONS[name](x, dim)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "var", "logsumexp", "all"])
def test_reductions_reject_a_repeated_dim(name):
    with pytest.raises(ShapeError, match=f"{name}: dim 1 appears more than once"):
        REDUCTIONS[name](chainrule.ones(2, 3), (1, -1))


@pytest.mark.parametrize("name", ["max", "argmax", "cumsum"])
def test_single_dim_ops_reject_a_tuple_of_dims(name):
    with pytest.raises(TypeError, match=f"{name}: dim must be a single int"):
        REDUCTIONS[name](chainrule.ones(2, 3), (0, 1))


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_max_of_an_empty_tensor_without_dim_raises(name):
    with pytest.raises(ShapeError, match=f"{name}: .*(0, 3)"):
        getattr(chainrule, name)(chainrule.zeros(0, 3))


@pytest.mark.parametrize("name", ["max", "amax", "argmin"])
def test_reducing_a_dim_of_size_0_without_identity_raises(name):
    with pytest.raises(ShapeError, match=rf"{name}: cannot reduce dim 0 of size 0 \(input "
                                         rf"shape \(0, 3\)\)"):
        REDUCTIONS[name](chainrule.zeros(0, 3), 0)
    out = REDUCTIONS[name](chainrule.zeros(0, 3), 1)  # reducing another dim is fine
    assert (out[0] if isinstance(out, tuple) else out).shape == (0,)


# -- dtypes, all/any, cumsum, logsumexp, sum_to_size ----------------------------------------
def test_sum_and_cumsum_of_bool_and_small_integers_are_int64():
    flags = chainrule.tensor([True, True, False])
    assert flags.sum().dtype == chainrule.int64 and flags.sum().item() == 2
    small = chainrule.tensor([200, 100], dtype=chainrule.uint8)
    np.testing.assert_array_equal(small.cumsum(0).data, [200, 300])
    assert small.cumsum(0).dtype == chainrule.int64


def test_all_any_return_bool_and_uint8_for_uint8_like_torch():
    x = chainrule.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert x.all().dtype == chainrule.bool_ and not x.all().item()
    np.testing.assert_array_equal(x.any(dim=1, keepdim=True).data, [[True], [True]])
    assert chainrule.tensor([1, 2], dtype=chainrule.uint8).all().dtype == chainrule.uint8
    assert not x.requires_grad_().all().requires_grad


def test_cumsum_backward_is_a_reversed_cumsum():
    np.testing.assert_array_equal(_grad(lambda x: x.cumsum(0), [5.0, -1.0, 2.0, 0.5]),
                                  [4.0, 3.0, 2.0, 1.0])
    weights = chainrule.tensor([1.0, 10.0, 100.0])
    x = _leaf([[1.0, 2.0, 3.0]])
    (x.cumsum(1) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[111.0, 110.0, 100.0]])


def test_logsumexp_is_stable_at_large_and_infinite_inputs():
    big = chainrule.logsumexp(chainrule.tensor([1e4, 1e4]), 0)
    assert np.isclose(big.item(), 1e4 + math.log(2))
    assert chainrule.logsumexp(chainrule.tensor([-math.inf, -math.inf]), 0).item() == -math.inf
    assert chainrule.logsumexp(chainrule.tensor([math.inf, 1.0]), 0).item() == math.inf
    x = _leaf([1e4, 1e4 + math.log(3)])
    chainrule.logsumexp(x, 0).backward()
    np.testing.assert_allclose(x.grad.data, [0.25, 0.75])  # the softmax


def test_logsumexp_of_integers_is_float32_and_of_nothing_is_minus_inf():
    assert chainrule.logsumexp(chainrule.tensor([1, 2]), 0).dtype == chainrule.float32
    assert chainrule.logsumexp(chainrule.zeros(0, 2), 0).data.tolist() == [-math.inf] * 2


def test_sum_to_size_sums_broadcast_dimensions_back():
    x = chainrule.tensor(np.ones((2, 3, 4)))
    np.testing.assert_array_equal(x.sum_to_size(3, 1).data, np.full((3, 1), 8.0))
    with pytest.raises(ShapeError, match="sum_to_size"):
        x.sum_to_size(5, 4)


# -- hypothesis: sum and mean over random shapes and dims ----------------------------------
@st.composite
def _shape_and_dims(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    ndim = len(shape)
    dims = draw(st.one_of(
        st.none(),
        st.integers(-max(ndim, 1), max(ndim, 1) - 1),
        st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim).map(
            lambda ds: tuple(d - ndim if i % 2 else d for i, d in enumerate(ds)))))
    return tuple(shape), dims, draw(st.booleans())


def _numpy_axis(dims, ndim):
    if dims is None or ndim == 0 or dims == ():
        return None
    return dims


@settings(deadline=None, max_examples=25)
@given(case=_shape_and_dims())
def test_sum_and_mean_match_numpy_and_spread_gradient_evenly(case):
    shape, dims, keepdim = case
    values = np.arange(1.0, 1.0 + math.prod(shape)).reshape(shape)
    axis = _numpy_axis(dims, len(shape))
    count = values.size // np.sum(values, axis=axis, keepdims=True).size
    for name, ref, share in [("sum", np.sum, 1.0), ("mean", np.mean, 1.0 / count)]:
        x = _leaf(values)
        out = getattr(chainrule, name)(x, dims, keepdim)
        np.testing.assert_allclose(out.data, ref(values, axis=axis, keepdims=keepdim))
        out.sum().backward()
        np.testing.assert_allclose(x.grad.data, np.full(shape, share))
