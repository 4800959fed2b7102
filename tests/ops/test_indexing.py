"""Indexing behaviour beyond the op table: views, scatter-add gradients, setitem, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradcheck, gradgradcheck


def _leaf(data, dtype=np.float64):
    return chainrule.tensor(np.asarray(data, dtype=dtype), requires_grad=True)


def _long(values):
    return chainrule.tensor(np.asarray(values, dtype=np.int64))


# -- getitem: views and copies --------------------------------------------------------------
def test_basic_index_returns_a_view_sharing_memory_and_version():
    x = chainrule.zeros(3, 4)
    v = x[1, ::2]
    x.data[1, 0] = 7.0
    assert v.tolist() == [7.0, 0.0]
    assert v._base is x and v._version == x._version
    v.add_(1)
    assert x._version == 1 and x.data[1, 2] == 1.0


def test_integer_index_of_a_vector_is_a_0d_view():
    x = chainrule.tensor([1.0, 2.0, 3.0])
    v = x[1]
    assert v.shape == () and np.shares_memory(v.data, x.data)


def test_view_of_a_view_records_the_original_base():
    x = chainrule.zeros(3, 4)
    assert x[1][2:]._base is x


def test_advanced_index_returns_a_copy():
    x = chainrule.zeros(3)
    y = x[[0, 1]]
    assert not np.shares_memory(x.data, y.data) and y._base is None


def test_negative_step_matches_numpy_and_sends_gradient_back():
    data = np.arange(12.0).reshape(3, 4)
    x = _leaf(data)
    y = x[::-1, 3:0:-2]
    np.testing.assert_array_equal(y.data, data[::-1, 3:0:-2])
    y.sum().backward()
    want = np.zeros((3, 4))
    want[:, [3, 1]] = 1
    np.testing.assert_array_equal(x.grad.data, want)


def test_repeated_indices_accumulate_in_backward():
    x = _leaf([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


def test_repeated_tensor_indices_accumulate_like_torch():
    torch = pytest.importorskip("torch")
    data = np.arange(6.0).reshape(3, 2)
    rows, cols = [2, 0, 2, 2], [1, 1, 1, 0]
    x = _leaf(data)
    (x[_long(rows), _long(cols)] * chainrule.tensor([1.0, 2.0, 3.0, 4.0],
                                                      dtype=chainrule.float64)).sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    (tx[torch.tensor(rows), torch.tensor(cols)] * torch.tensor([1.0, 2.0, 3.0, 4.0],
                                                                dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_bool_mask_selects_and_scatters_gradient_back():
    x = _leaf([[1.0, -2.0], [-3.0, 4.0]])
    y = x[x > 0]
    assert y.tolist() == [1.0, 4.0]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0], [0.0, 1.0]])


def test_uint8_tensor_index_is_a_mask_as_in_torch():
    x = chainrule.tensor([5.0, 6.0, 7.0])
    assert x[chainrule.tensor([1, 0, 1], dtype=chainrule.uint8)].tolist() == [5.0, 7.0]


def test_0d_integer_tensor_index_acts_like_an_int():
    x = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x[_long(1)].tolist() == [3.0, 4.0]


def test_getitem_gradgradcheck_with_repeats_and_mask(rng):
    x = _leaf(rng.standard_normal((4, 3)))
    mask = chainrule.tensor(rng.standard_normal(4) > 0)
    assert gradgradcheck(lambda t: (t[[3, 3, 0], 1:] ** 2), (x,))
    assert gradgradcheck(lambda t: (t[mask] ** 2), (x,))


@settings(deadline=None, max_examples=25)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       picks=st.lists(st.integers(0, 100), min_size=0, max_size=6),
       seed=st.integers(0, 2**16))
def test_integer_index_gradient_is_np_add_at(shape, picks, seed):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    index = np.array([p % shape[0] for p in picks], dtype=np.int64)
    x = _leaf(data)
    out = x[_long(index)]
    np.testing.assert_array_equal(out.data, data[index])
    seed_grad = rng.standard_normal(out.shape)
    out.backward(chainrule.tensor(seed_grad))
    want = np.zeros(shape)
    np.add.at(want, index, seed_grad)
    np.testing.assert_allclose(x.grad.data, want)


def test_getitem_rejects_a_float_index_tensor():
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        chainrule.zeros(3)[chainrule.tensor([0.0, 1.0])]


def test_getitem_rejects_an_out_of_range_index_naming_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds.*\(3, 2\)"):
        chainrule.zeros(3, 2)[[0, 5]]


def test_getitem_rejects_a_mask_of_the_wrong_shape():
    with pytest.raises(IndexError, match="getitem"):
        chainrule.zeros(3)[chainrule.tensor([True, False])]


def test_getitem_rejects_an_unsupported_index_type():
    with pytest.raises(IndexError, match="got str"):
        chainrule.zeros(3)["a"]


# -- setitem ---------------------------------------------------------------------------------
def test_setitem_on_a_non_leaf_sends_gradient_only_to_kept_entries():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 1
    y[0] = 5
    assert y.tolist() == [5.0, 2.0, 3.0] and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 1.0])


def test_setitem_matches_torch_with_values_that_require_grad():
    torch = pytest.importorskip("torch")
    data, vals = np.arange(12.0).reshape(3, 4), np.array([10.0, 20.0])

    def run(lib, x, v):
        y = x * 2
        y[lib.tensor([2, 0]), 1:3] = v.unsqueeze(1) * 3  # broadcast (2, 1) into (2, 2)
        y[y > 15] = 0.5 * v.sum()
        (y ** 2).sum().backward()
        return y

    x, v = _leaf(data), _leaf(vals)
    tx, tv = (torch.tensor(a, requires_grad=True) for a in (data, vals))
    np.testing.assert_allclose(run(chainrule, x, v).data, run(torch, tx, tv).detach().numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    np.testing.assert_allclose(v.grad.data, tv.grad.numpy())


def test_setitem_into_a_buffer_makes_it_require_grad():
    v = _leaf([2.0, 3.0])
    buf = chainrule.zeros(2, 2, dtype=chainrule.float64)
    buf[0] = v
    assert buf.requires_grad and not buf.is_leaf
    (buf * buf).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [4.0, 6.0])


def test_setitem_bumps_the_version_and_keeps_identity():
    x = chainrule.zeros(3)
    data = x.data
    x[1:] = chainrule.tensor([1.0, 2.0])
    assert x.data is data and x._version == 1 and x.tolist() == [0.0, 1.0, 2.0]


def test_setitem_casts_the_value_to_the_tensor_dtype():
    x = chainrule.zeros(3, dtype=chainrule.int64)
    x[0] = 2.7
    x[1:] = chainrule.tensor([1.5, -1.5])
    assert x.tolist() == [2, 1, -1] and x.dtype == chainrule.int64


def test_setitem_refuses_a_leaf_that_requires_grad_but_not_under_no_grad():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        x[0] = 3.0
    assert x.tolist() == [1.0, 2.0] and x._version == 0
    with chainrule.no_grad():
        x[0] = 3.0
    assert x.tolist() == [3.0, 2.0] and x.is_leaf


def test_setitem_on_a_view_of_a_non_leaf_suggests_clone():
    y = _leaf([[1.0, 2.0], [3.0, 4.0]]) * 1
    with pytest.raises(RuntimeError, match=r"view.*clone\(\)"):
        y[0][1] = 5.0
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_setitem_rejects_values_of_the_wrong_shape_naming_both():
    x = chainrule.zeros(3, 4)
    with pytest.raises(ShapeError, match=r"\(3,\).*\(2, 4\)"):
        x[:2] = chainrule.ones(3)
    assert x._version == 0 and not x.data.any()


def test_setitem_with_repeated_indices_writes_one_of_the_values():
    x = chainrule.zeros(3)
    x[[0, 0]] = chainrule.tensor([1.0, 2.0])
    assert x.tolist()[0] in (1.0, 2.0)


# -- gather, scatter, index_select, ... ------------------------------------------------------
def test_gather_backward_adds_repeated_positions():
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    x.gather(1, _long([[0, 0], [1, 0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 0.0], [1.0, 1.0]])


def test_gather_on_0d_tensors():
    x = _leaf(3.0)
    y = chainrule.gather(x, 0, _long(0))
    y.backward()
    assert y.item() == 3.0 and x.grad.item() == 1.0


def test_gather_rejects_int32_index():
    with pytest.raises(DTypeError, match="gather: expected dtype int64 for index, got "
                                         "chainrule.int32"):
        chainrule.zeros(2, 2).gather(0, chainrule.tensor([[0, 1]], dtype=chainrule.int32))


def test_gather_rejects_an_index_with_other_dimensions():
    with pytest.raises(ShapeError, match=r"gather: .*index shape \(2,\).*input shape \(2, 2\)"):
        chainrule.zeros(2, 2).gather(0, _long([0, 1]))


def test_gather_rejects_an_index_larger_than_input_outside_dim():
    with pytest.raises(ShapeError, match=r"larger than input shape \(2, 2\) in dimension 1"):
        chainrule.zeros(2, 2).gather(0, _long([[0, 1, 1]]))


def test_gather_rejects_out_of_range_and_negative_indices():
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 1 with size 2"):
        chainrule.zeros(2, 2).gather(1, _long([[0, 2]]))
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        chainrule.zeros(2, 2).gather(1, _long([[0, -1]]))


def test_gather_rejects_a_dim_out_of_range():
    with pytest.raises(IndexError, match=r"dim 2 is out of range.*\[-2, 1\]"):
        chainrule.zeros(2, 2).gather(2, _long([[0]]))


def test_scatter_takes_a_number_as_src_or_value():
    index = _long([[1], [0]])
    a = chainrule.zeros(2, 2).scatter(1, index, 7.0)
    b = chainrule.scatter(chainrule.zeros(2, 2), 1, index, value=7.0)
    assert a.tolist() == b.tolist() == [[0.0, 7.0], [7.0, 0.0]]


def test_scatter_without_src_or_value_is_refused():
    with pytest.raises(TypeError, match="src"):
        chainrule.zeros(2).scatter(0, _long([0]))


def test_scatter_gradient_skips_overwritten_entries():
    x, src = _leaf([1.0, 2.0, 3.0]), _leaf([5.0])
    out = x.scatter(0, _long([1]), src)
    (out * chainrule.tensor([1.0, 2.0, 3.0], dtype=chainrule.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(src.grad.data, [2.0])


def test_scatter_rejects_src_of_another_dtype():
    with pytest.raises(DTypeError, match="scatter: src has dtype chainrule.float64 but input "
                                         "has dtype chainrule.float32"):
        chainrule.zeros(2).scatter(0, _long([0]), chainrule.ones(1, dtype=chainrule.float64))


def test_scatter_rejects_an_index_larger_than_src():
    with pytest.raises(ShapeError, match=r"larger than src shape \(1,\)"):
        chainrule.zeros(3).scatter(0, _long([0, 1]), chainrule.ones(1))


def test_scatter_add_sums_repeated_positions_and_gradgradchecks(rng):
    x = _leaf(rng.standard_normal((2, 3)))
    src = _leaf(rng.standard_normal((2, 4)))
    index = _long([[0, 0, 2, 0], [1, 1, 1, 2]])
    want = x.data.copy()
    np.add.at(want, (np.array([[0], [1]]), index.data), src.data)
    np.testing.assert_allclose(x.scatter_add(1, index, src).data, want)
    assert gradgradcheck(lambda a, b: x.scatter_add(1, index, b) * a, (x, src))


def test_index_select_accepts_0d_index_and_rejects_2d():
    x = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.index_select(0, _long(1)).tolist() == [[3.0, 4.0]]
    with pytest.raises(ShapeError, match=r"index_select: index must be 0-d or 1-D, got shape "
                                         r"\(1, 1\)"):
        x.index_select(0, _long([[1]]))


def test_index_select_accepts_int32_but_not_float_index():
    x = chainrule.tensor([1.0, 2.0])
    assert x.index_select(0, chainrule.tensor([1], dtype=chainrule.int32)).tolist() == [2.0]
    with pytest.raises(DTypeError, match="index_select: expected dtype int64 or int32"):
        x.index_select(0, chainrule.tensor([1.0]))


def test_index_put_rejects_values_of_another_dtype():
    with pytest.raises(DTypeError, match="index_put: values have dtype chainrule.float64 but "
                                         "the tensor has dtype chainrule.float32"):
        chainrule.zeros(3).index_put((_long([0]),), chainrule.ones(1, dtype=chainrule.float64))


def test_index_put_rejects_float_indices_and_non_tuples():
    with pytest.raises(DTypeError, match="index 0 has dtype float32"):
        chainrule.zeros(3).index_put((chainrule.tensor([0.0]),), chainrule.ones(1))
    with pytest.raises(TypeError, match="indices must be a tuple of tensors"):
        chainrule.zeros(3).index_put(_long([0]), chainrule.ones(1))


def test_index_put_rejects_values_that_do_not_broadcast():
    with pytest.raises(ShapeError, match=r"index_put: values of shape \(3,\) cannot be broadcast "
                                         r"to the indexed shape \(2,\)"):
        chainrule.zeros(4).index_put((_long([0, 1]),), chainrule.ones(3))


def test_index_put_does_not_modify_its_input():
    x = chainrule.zeros(3)
    x.index_put((_long([0]),), chainrule.ones(1))
    assert x.tolist() == [0.0, 0.0, 0.0] and x._version == 0


def test_masked_fill_rejects_non_bool_masks_and_1d_values():
    x = chainrule.zeros(3)
    with pytest.raises(DTypeError, match="masked_fill: only bool masks are supported, got a "
                                         "mask with dtype chainrule.float32"):
        x.masked_fill(chainrule.ones(3), 1.0)
    with pytest.raises(ShapeError, match=r"only a 0-dimensional value tensor.*\(2,\)"):
        x.masked_fill(x > 0, chainrule.ones(2))


def test_masked_fill_with_a_larger_mask_broadcasts_the_input_as_torch():
    torch = pytest.importorskip("torch")
    mask = np.array([[True, False], [False, False]])
    ours = chainrule.masked_fill(chainrule.tensor([1.0, 2.0]), chainrule.tensor(mask), 0.0)
    theirs = torch.masked_fill(torch.tensor([1.0, 2.0]), torch.tensor(mask), 0.0)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_take_along_dim_rejects_indices_with_other_dimensions():
    with pytest.raises(ShapeError, match=r"same number of dimensions.*\(2, 2\) and \(2,\)"):
        chainrule.take_along_dim(chainrule.zeros(2, 2), _long([0, 1]), dim=0)


def test_take_along_dim_follows_argsort_like_numpy(rng):
    data = rng.standard_normal((3, 5))
    x = _leaf(data)
    order = chainrule.tensor(np.argsort(data, axis=1))
    out = chainrule.take_along_dim(x, order, dim=1)
    np.testing.assert_array_equal(out.data, np.sort(data, axis=1))
    assert gradcheck(lambda t: chainrule.take_along_dim(t, order, dim=1), (x,))


def test_nonzero_returns_int64_positions_without_grad():
    x = _leaf([[0.0, 1.5], [2.0, 0.0]])
    out = chainrule.nonzero(x)
    assert out.dtype == chainrule.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.data, np.argwhere(x.data))
    rows, cols = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]


def test_nonzero_of_0d_and_empty_tensors_has_the_torch_shapes():
    torch = pytest.importorskip("torch")
    for data in (np.array(3.0), np.array(0.0), np.zeros((0, 2))):
        assert chainrule.tensor(data).nonzero().shape == tuple(torch.tensor(data).nonzero().shape)
    assert len(chainrule.tensor(3.0).nonzero(as_tuple=True)) == 1


def test_masked_select_is_a_1d_copy():
    x = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = chainrule.masked_select(x, x > 2)
    assert out.tolist() == [3.0, 4.0] and not np.shares_memory(out.data, x.data)
