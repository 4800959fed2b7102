"""In-place ops: the NumPy fast path, recording on non-leaves, versions, views and errors."""

import numpy as np
import pytest

import chainrule
from chainrule import DTypeError, ShapeError


def _leaf(data, dtype=np.float64):
    return chainrule.tensor(np.asarray(data, dtype=dtype), requires_grad=True)


# Each case: (in-place call, the same maths out of place). Both get (lib, y, other) where y is
# a (3, 4) non-leaf and other a (4,) tensor requiring grad; `lib` is chainrule or torch.
CASES = {
    "add_": (lambda lib, y, o: y.add_(o, alpha=2), lambda lib, y, o: y + 2 * o),
    "add_scalar": (lambda lib, y, o: y.add_(0.5), lambda lib, y, o: y + 0.5),
    "sub_": (lambda lib, y, o: y.sub_(o), lambda lib, y, o: y - o),
    "mul_": (lambda lib, y, o: y.mul_(o), lambda lib, y, o: y * o),
    "mul_self": (lambda lib, y, o: y.mul_(y), lambda lib, y, o: y * y),
    "div_": (lambda lib, y, o: y.div_(o), lambda lib, y, o: y / o),
    "pow_": (lambda lib, y, o: y.pow_(o), lambda lib, y, o: y ** o),
    "pow_scalar": (lambda lib, y, o: y.pow_(3), lambda lib, y, o: y ** 3),
    "iadd": (lambda lib, y, o: _iadd(y, o), lambda lib, y, o: y + o),
    "imul": (lambda lib, y, o: _imul(y, o), lambda lib, y, o: y * o),
    "neg_": (lambda lib, y, o: y.neg_(), lambda lib, y, o: -y),
    "exp_": (lambda lib, y, o: y.exp_(), lambda lib, y, o: y.exp()),
    "sqrt_": (lambda lib, y, o: y.sqrt_(), lambda lib, y, o: y.sqrt()),
    "abs_": (lambda lib, y, o: y.sub_(1.4).abs_(), lambda lib, y, o: (y - 1.4).abs()),
    "sigmoid_": (lambda lib, y, o: y.sigmoid_(), lambda lib, y, o: y.sigmoid()),
    "tanh_": (lambda lib, y, o: y.tanh_(), lambda lib, y, o: y.tanh()),
    "relu_": (lambda lib, y, o: y.sub_(1.4).relu_(), lambda lib, y, o: (y - 1.4).relu()),
    "clamp_": (lambda lib, y, o: y.clamp_(1.0, 2.0), lambda lib, y, o: y.clamp(1.0, 2.0)),
    "clamp_min_": (lambda lib, y, o: y.clamp_(min=1.2), lambda lib, y, o: y.clamp(min=1.2)),
    "zero_": (lambda lib, y, o: y.zero_(), lambda lib, y, o: y * 0),
    "fill_": (lambda lib, y, o: y.fill_(o[1]), lambda lib, y, o: y * 0 + o[1]),
    "copy_": (lambda lib, y, o: y.copy_(o * 3), lambda lib, y, o: y * 0 + o * 3),
    "masked_fill_": (lambda lib, y, o: y.masked_fill_(y > 1.3, o[0]),
                     lambda lib, y, o: y.masked_fill(y > 1.3, o[0])),
    "index_put_": (lambda lib, y, o: y.index_put_((lib.tensor([2, 0, 2]),), o, accumulate=True),
                   lambda lib, y, o: y.index_put((lib.tensor([2, 0, 2]),), o, accumulate=True)),
    "scatter_": (lambda lib, y, o: y.scatter_(1, lib.tensor([[3, 0]] * 3), o[:2].expand(3, 2)),
                 lambda lib, y, o: y.scatter(1, lib.tensor([[3, 0]] * 3), o[:2].expand(3, 2))),
    "scatter_add_": (lambda lib, y, o: y.scatter_add_(0, lib.tensor([[1, 1, 0, 1]]), o[None]),
                     lambda lib, y, o: y.scatter_add(0, lib.tensor([[1, 1, 0, 1]]), o[None])),
    "setitem": (lambda lib, y, o: _setitem(y, (1, slice(1, 3)), o[:2] * 2),
                lambda lib, y, o: y.index_put((lib.tensor(1), lib.tensor([1, 2])), o[:2] * 2)),
}


def _iadd(y, o):
    y += o
    return y


def _imul(y, o):
    y *= o
    return y


def _setitem(y, index, value):
    y[index] = value
    return y


def _run(lib, fn, x_data, o_data):
    """fn on a non-leaf made from x; returns the result and the gradients of x and other."""
    x = lib.tensor(x_data, requires_grad=True)
    o = lib.tensor(o_data, requires_grad=True)
    y = x * 1.5
    out = fn(lib, y, o)
    weights = lib.tensor(np.arange(12.0).reshape(3, 4) / 7 + 0.5)
    (out * out * weights).sum().backward()
    grad_o = None if o.grad is None else o.grad.numpy()
    return out.detach().numpy(), x.grad.numpy(), grad_o


def _data(rng):
    return rng.uniform(0.5, 1.5, (3, 4)), rng.uniform(0.5, 1.5, 4)


@pytest.mark.parametrize("name", CASES)
def test_inplace_on_a_non_leaf_differentiates_like_the_out_of_place_op(name, rng):
    inplace, out_of_place = CASES[name]
    x_data, o_data = _data(rng)
    got = _run(chainrule, inplace, x_data, o_data)
    want = _run(chainrule, out_of_place, x_data, o_data)
    for g, w in zip(got, want):
        if w is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


# Not mul_self: torch refuses y.mul_(y) (mul saved y), while chainrule saves a copy of the old
# y; the test above checks that case against the out-of-place form instead.
@pytest.mark.parametrize("name", [name for name in CASES if name != "mul_self"])
def test_inplace_on_a_non_leaf_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    inplace, _ = CASES[name]
    x_data, o_data = _data(rng)
    got = _run(chainrule, inplace, x_data, o_data)
    want = _run(torch, inplace, x_data, o_data)
    for g, w in zip(got, want):
        if w is None:
            assert g is None or not g.any()  # torch leaves None where chainrule sends zeros
        else:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_inplace_result_is_the_same_tensor_and_adopts_the_new_node():
    y = _leaf([1.0, 2.0]) * 2
    data = y.data
    out = y.mul_(3)
    assert out is y and y.data is data and y.grad_fn.name() == "MulBackward0"


def test_inplace_into_a_plain_tensor_with_an_operand_that_requires_grad():
    w = _leaf([1.0, 2.0])
    acc = chainrule.zeros(2, dtype=chainrule.float64)
    acc.add_(w * w)
    assert acc.requires_grad and not acc.is_leaf
    acc.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


def test_chained_inplace_ops_match_torch():
    torch = pytest.importorskip("torch")
    data = np.array([0.3, -1.2, 2.0])

    def run(lib):
        x = lib.tensor(data, requires_grad=True)
        w = lib.tensor(data[::-1].copy(), requires_grad=True)
        y = x * 1
        y.mul_(2).add_(w).mul_(w).sub_(x, alpha=0.5)
        y[1:] = y[1:] * 3
        y.tanh_()
        (y * y).sum().backward()
        return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()

    for g, w in zip(run(chainrule), run(torch)):
        np.testing.assert_allclose(g, w, rtol=1e-12)


# -- versions and saved tensors --------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda t: t.add_(1), lambda t: t.sub_(1), lambda t: t.mul_(2), lambda t: t.div_(2),
    lambda t: t.pow_(2), lambda t: t.neg_(), lambda t: t.exp_(), lambda t: t.sqrt_(),
    lambda t: t.abs_(), lambda t: t.sigmoid_(), lambda t: t.tanh_(), lambda t: t.relu_(),
    lambda t: t.clamp_(0, 1), lambda t: t.clip_(max=1), lambda t: t.zero_(),
    lambda t: t.fill_(3), lambda t: t.copy_(chainrule.ones(3)),
    lambda t: t.masked_fill_(t > 0, 1.0), lambda t: t.index_put_((chainrule.tensor([0]),),
                                                                 chainrule.tensor(1.0)),
    lambda t: t.scatter_(0, chainrule.tensor([1]), 2.0),
    lambda t: t.scatter_add_(0, chainrule.tensor([1]), chainrule.ones(1)),
    lambda t: t.__setitem__(0, 1.0),
])
def test_every_inplace_op_bumps_the_version_counter(call):
    t = chainrule.tensor([0.5, 1.0, 2.0])
    call(t)
    assert t._version == 1


def test_modifying_a_saved_tensor_makes_backward_name_the_node():
    x = _leaf([1.0, 2.0])
    w = _leaf([3.0, 4.0])
    a = x * 1
    b = a * w  # MulBackward0 saves a, to differentiate with respect to w
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward0"):
        b.sum().backward()


def test_modifying_a_saved_output_makes_backward_fail_as_in_torch():
    y = _leaf([1.0, 2.0]).exp()  # exp saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*ExpBackward0"):
        y.sum().backward()


def test_inplace_op_does_not_disturb_a_node_that_saved_nothing():
    x = _leaf([1.0, 2.0])
    y = x + 1  # AddBackward0 saves nothing
    y.mul_(3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_inplace_through_a_view_bumps_the_base_version_and_shares_memory():
    base = chainrule.zeros(2, 3)
    row = base[1]
    row.add_(5)
    assert base._version == 1 and base.tolist() == [[0.0] * 3, [5.0] * 3]
    base.mul_(2)
    assert row._version == 2 and row.tolist() == [10.0] * 3


def test_inplace_on_a_base_is_seen_by_views_and_breaks_their_saved_use():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 1
    v = y[1:]
    z = v * v  # saves v, which shares y's version counter
    y.add_(1)
    assert v.tolist() == [3.0, 4.0]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# -- leaves and views that refuse -----------------------------------------------------------
def test_leaf_that_requires_grad_refuses_inplace_outside_no_grad():
    w = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        w.add_(1)
    assert w.tolist() == [1.0, 2.0] and w._version == 0


def test_leaf_that_requires_grad_may_change_under_no_grad_like_an_optimizer_step():
    w = _leaf([1.0, 2.0])
    grad = chainrule.tensor([0.5, 0.5], dtype=chainrule.float64)
    with chainrule.no_grad():
        w.add_(grad, alpha=-0.1)
        w.mul_(2)
    np.testing.assert_allclose(w.data, [1.9, 3.9])
    assert w.is_leaf and w.requires_grad and w.grad_fn is None and w._version == 2


def test_view_of_a_leaf_that_requires_grad_refuses_inplace():
    w = _leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0].mul_(2)


def test_view_of_a_non_leaf_refuses_inplace_while_recording_and_suggests_clone():
    y = _leaf([[1.0, 2.0], [3.0, 4.0]]) * 1
    with pytest.raises(RuntimeError, match=r"view.*not supported.*clone\(\)"):
        y[0].mul_(2)
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with chainrule.no_grad():
        y[0].mul_(2)
    assert y.tolist() == [[2.0, 4.0], [3.0, 4.0]]


def test_read_only_expanded_view_refuses_inplace():
    e = chainrule.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match=r"read-only.*clone\(\)"):
        e.add_(1)


# -- the fast path: dtypes and shapes --------------------------------------------------------
def test_fast_path_works_on_integer_tensors():
    t = chainrule.tensor([-3, 1, 4])
    t.add_(2).mul_(3).sub_(chainrule.tensor([1, 1, 1]))
    assert t.tolist() == [-4, 8, 17] and t.dtype == chainrule.int64
    t.relu_()
    assert t.tolist() == [0, 8, 17]
    t.clamp_(max=10).neg_().abs_()
    assert t.tolist() == [0, 8, 10]
    t.pow_(2)
    assert t.tolist() == [0, 64, 100] and t.dtype == chainrule.int64


def test_fast_path_keeps_float32_with_float64_operands():
    t = chainrule.ones(2)
    t.add_(chainrule.tensor([0.5, 0.25], dtype=chainrule.float64))
    assert t.dtype == chainrule.float32 and t.tolist() == [1.5, 1.25]


def test_fast_path_writes_into_the_same_memory():
    t = chainrule.ones(3)
    data = t.data
    t.exp_()
    assert t.data is data
    np.testing.assert_allclose(data, np.e, rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda t: t.add_(1.5), "add_: result type Float can't be cast to the desired output type "
                            "Long"),
    (lambda t: t.mul_(chainrule.ones(3)), "mul_: result type Float can't be cast"),
    (lambda t: t.div_(2), "div_: result type Float can't be cast to the desired output type "
                          "Long"),
    (lambda t: t.exp_(), "exp_: result type Float can't be cast"),
    (lambda t: t.sigmoid_(), "sigmoid_: result type Float"),
    (lambda t: t.clamp_(min=0.5), "clamp_: result type Float"),
])
def test_float_result_cannot_be_written_into_an_integer_tensor(call, message):
    t = chainrule.tensor([1, 2, 3])
    with pytest.raises(DTypeError, match=message):
        call(t)
    assert t.tolist() == [1, 2, 3] and t._version == 0


def test_integer_result_cannot_be_written_into_a_bool_tensor():
    with pytest.raises(DTypeError, match="result type Long can't be cast to the desired output "
                                         "type Bool"):
        chainrule.tensor([True, False]).add_(1)


def test_integer_tensor_to_a_negative_power_is_refused():
    with pytest.raises(DTypeError, match="negative integer powers"):
        chainrule.tensor([1, 2]).pow_(-1)


def test_bool_subtraction_and_negation_are_refused():
    with pytest.raises(DTypeError, match="sub_"):
        chainrule.tensor([True]).sub_(chainrule.tensor([True]))
    with pytest.raises(DTypeError, match="neg_"):
        chainrule.tensor([True]).neg_()


@pytest.mark.parametrize("grad", [False, True])
def test_other_may_broadcast_into_input_but_input_may_not_grow(grad):
    x = chainrule.ones(3, dtype=chainrule.float64)
    if grad:
        x = _leaf([1.0, 1.0, 1.0]) * 1
    x.add_(chainrule.tensor(2.0, dtype=chainrule.float64))
    with pytest.raises(ShapeError, match=r"add_: other of shape \(2, 3\) cannot be broadcast to "
                                         r"the input's shape \(3,\)"):
        x.add_(chainrule.ones(2, 3, dtype=chainrule.float64))
    assert x.tolist() == [3.0, 3.0, 3.0] and x._version == 1


def test_copy_broadcasts_and_casts_any_dtype():
    t = chainrule.zeros(2, 2, dtype=chainrule.int64)
    t.copy_(chainrule.tensor([1.7, -2.2]))
    assert t.tolist() == [[1, -2], [1, -2]]
    f = chainrule.zeros(2)
    f.copy_(chainrule.tensor([True, False]))
    assert f.tolist() == [1.0, 0.0] and f.dtype == chainrule.float32


def test_copy_rejects_a_src_that_does_not_broadcast():
    with pytest.raises(ShapeError, match=r"copy_: other of shape \(3,\).*\(2,\)"):
        chainrule.zeros(2).copy_(chainrule.ones(3))


def test_copy_into_a_tensor_sends_the_gradient_to_src():
    src = _leaf([1.0, 2.0])
    dst = chainrule.zeros(3, 2, dtype=chainrule.float64)
    dst.copy_(src)
    (dst * dst).sum().backward()
    np.testing.assert_array_equal(src.grad.data, [6.0, 12.0])


def test_fill_accepts_a_0d_tensor_and_casts_into_integers():
    t = chainrule.zeros(3, dtype=chainrule.int64)
    t.fill_(2.9)
    assert t.tolist() == [2, 2, 2]
    t.fill_(chainrule.tensor(5))
    assert t.tolist() == [5, 5, 5]
    with pytest.raises(ShapeError, match="0-dimensional value"):
        t.fill_(chainrule.tensor([1, 2]))


def test_clamp_needs_a_bound_and_takes_tensor_bounds():
    t = chainrule.tensor([-2.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="at least one of 'min' or 'max'"):
        t.clamp_()
    t.clamp_(min=chainrule.tensor([-1.0, 0.5, 0.0]), max=chainrule.tensor(1.5))
    assert t.tolist() == [-1.0, 0.5, 1.5]


def test_sigmoid_fast_path_is_stable_at_extremes():
    data = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    t = chainrule.tensor(data.copy())
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        t.sigmoid_()
    want = np.array([0.0, np.exp(-40.0) / (1 + np.exp(-40.0)), 0.5, 1.0, 1.0])
    np.testing.assert_allclose(t.data, want, rtol=1e-12, atol=0)


def test_masked_fill_fast_path_broadcasts_the_mask():
    t = chainrule.zeros(2, 3)
    t.masked_fill_(chainrule.tensor([True, False, True]), 4.0)
    assert t.tolist() == [[4.0, 0.0, 4.0]] * 2
    with pytest.raises(ShapeError, match=r"masked_fill_: mask of shape \(2, 2\)"):
        t.masked_fill_(chainrule.ones(2, 2).bool(), 1.0)


def test_index_put_fast_path_accumulates_repeated_indices():
    t = chainrule.zeros(3)
    t.index_put_((chainrule.tensor([0, 0, 2]),), chainrule.tensor([1.0, 2.0, 3.0]),
                 accumulate=True)
    assert t.tolist() == [3.0, 0.0, 3.0]


def test_scatter_fast_path_on_a_0d_tensor():
    t = chainrule.tensor(1.0)
    t.scatter_(0, chainrule.tensor(0), 5.0)
    assert t.item() == 5.0 and t._version == 1
    t.scatter_add_(-1, chainrule.tensor(0), chainrule.tensor(2.0))
    assert t.item() == 7.0 and t._version == 2


def test_torch_agrees_on_which_casts_are_refused():
    torch = pytest.importorskip("torch")
    for call in (lambda t: t.add_(1.5), lambda t: t.div_(2), lambda t: t.exp_()):
        with pytest.raises(RuntimeError):
            call(torch.tensor([1, 2]))
        with pytest.raises(RuntimeError):
            call(chainrule.tensor([1, 2]))
