"""Shape ops beyond the op table: views, argument forms, pad modes, type promotion, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import ShapeError


def _leaf(rng, *shape, requires_grad=False):
    return chainrule.tensor(rng.standard_normal(shape), requires_grad=requires_grad)


# -- views ----------------------------------------------------------------------------------
VIEWS = {
    "reshape": lambda x: x.reshape(4, 6),
    "view": lambda x: x.view(-1),
    "flatten": lambda x: x.flatten(1),
    "unflatten": lambda x: x.unflatten(2, (2, 2)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "transpose": lambda x: x.transpose(0, 2),
    "swapaxes": lambda x: x.swapaxes(1, 2),
    "t": lambda x: chainrule.t(x.reshape(6, 4)),
    "permute": lambda x: x.permute(2, 0, 1),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "movedim": lambda x: x.movedim(0, -1),
    "expand": lambda x: x.unsqueeze(0).expand(3, 2, 3, 4),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "split": lambda x: x.split(1, dim=1)[2],
    "chunk": lambda x: x.chunk(2, dim=2)[1],
    "unbind": lambda x: x.unbind(2)[3],
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_view_ops_share_memory_and_version_counter(name, rng):
    x = _leaf(rng, 2, 3, 4)
    out = VIEWS[name](x)
    assert np.shares_memory(out.data, x.data)
    x._bump_version()  # what every in-place op does
    assert out._version == x._version == 1
    out._bump_version()
    assert x._version == 2


COPIES = {
    "reshape_strided": lambda x: x.permute(2, 0, 1).reshape(-1),
    "flatten_strided": lambda x: x.transpose(0, 2).flatten(),
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 2),
    "roll_zero": lambda x: x.roll(0, 1),
    "repeat": lambda x: x.repeat(2, 1, 1),
    "repeat_ones": lambda x: x.repeat(1, 1, 1),
    "tile": lambda x: x.tile((2,)),
    "cat": lambda x: chainrule.cat([x], 0),
    "stack": lambda x: chainrule.stack([x]),
    "pad": lambda x: chainrule.pad(x, (1, 1)),
    "pad_zero": lambda x: chainrule.pad(x, (0, 0)),
    "clone": lambda x: x.clone(),
    "contiguous_strided": lambda x: x.transpose(0, 1).contiguous(),
}


@pytest.mark.parametrize("name", list(COPIES))
def test_copying_ops_own_their_memory(name, rng):
    x = _leaf(rng, 2, 3, 4)
    out = COPIES[name](x)
    assert not np.shares_memory(out.data, x.data)
    x._bump_version()
    assert out._version == 0


def test_in_place_change_of_base_is_caught_through_a_view(rng):
    x = _leaf(rng, 2, 3, requires_grad=True)
    base = x * 1
    y = base.transpose(0, 1)
    z = y * y  # saves y
    base._bump_version()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_view_of_view_records_the_original_base(rng):
    x = _leaf(rng, 2, 3, 4)
    v = x.transpose(0, 1).narrow(0, 1, 1).squeeze(0)
    assert v._base is x


def test_writing_through_a_view_changes_the_base(rng):
    x = _leaf(rng, 2, 3)
    x.t().data[0, 1] = 7.0
    x.split(1)[1].data[0, 2] = 8.0
    assert x.data[1, 0] == 7.0 and x.data[1, 2] == 8.0


def test_view_refuses_strides_that_need_a_copy(rng):
    x = _leaf(rng, 3, 4).t()
    with pytest.raises(ShapeError, match=r"view: .*use \.reshape"):
        x.view(12)
    assert x.reshape(12).data.tolist() == x.data.reshape(12).tolist()
    assert x.view(4, 1, 3).shape == (4, 1, 3)  # adding a unit dim needs no copy


def test_contiguous_returns_input_when_already_contiguous(rng):
    x = _leaf(rng, 2, 3, requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.data.flags.c_contiguous and y.grad_fn.name() == "CloneBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_clone_is_a_differentiable_copy(rng):
    x = _leaf(rng, 3, requires_grad=True)
    y = x.clone()
    assert y.grad_fn.name() == "CloneBackward0"
    assert not np.shares_memory(y.data, x.data)
    (y * chainrule.tensor([1.0, 2.0, 3.0], dtype=chainrule.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 3.0])


# -- argument forms --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "varargs, packed",
    [
        (lambda x: x.reshape(3, 8), lambda x: x.reshape((3, 8))),
        (lambda x: x.reshape(-1, 4), lambda x: x.reshape([-1, 4])),
        (lambda x: x.view(6, 4), lambda x: x.view((6, 4))),
        (lambda x: x.permute(1, 2, 0), lambda x: x.permute((1, 2, 0))),
        (lambda x: x.permute(1, 2, 0), lambda x: chainrule.permute(x, [1, 2, 0])),
        (lambda x: x.expand(2, 2, 3, 4), lambda x: x.expand((2, 2, 3, 4))),
        (lambda x: x.repeat(1, 2, 1), lambda x: x.repeat((1, 2, 1))),
        (lambda x: x.tile((2, 1)), lambda x: x.repeat(1, 2, 1)),
        (lambda x: x.squeeze(), lambda x: x.squeeze(None)),
        (lambda x: x.flip(1), lambda x: x.flip((1,))),
        (lambda x: chainrule.swapaxes(x, 0, 1), lambda x: chainrule.transpose(x, 0, 1)),
        (lambda x: chainrule.concat([x, x]), lambda x: chainrule.concatenate((x, x))),
        (lambda x: chainrule.cat(iter([x, x]), 1), lambda x: chainrule.cat([x, x], dim=1)),
    ],
)
def test_argument_forms_agree(varargs, packed, rng):
    x = _leaf(rng, 2, 3, 4)
    a, b = varargs(x), packed(x)
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.data, b.data)


def test_iteration_unbinds_dim_zero(rng):
    x = _leaf(rng, 3, 2, requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    np.testing.assert_array_equal(rows[1].data, x.data[1])
    (rows[0] * 2 + rows[2]).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2, 2], [0, 0], [1, 1]])


def test_split_outputs_share_one_node_and_unused_pieces_get_zero_grad(rng):
    x = _leaf(rng, 5, requires_grad=True)
    a, b, c = chainrule.split(x, [2, 1, 2])
    assert a.grad_fn is b.grad_fn is c.grad_fn
    assert (a.output_nr, b.output_nr, c.output_nr) == (0, 1, 2)
    (b * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 3, 0, 0])


def test_chunk_may_return_fewer_pieces_as_torch_does():
    assert [c.shape for c in chainrule.zeros(5).chunk(4)] == [(2,), (2,), (1,)]
    assert [c.shape for c in chainrule.zeros(6).chunk(4)] == [(2,), (2,), (2,)]
    assert [c.shape for c in chainrule.zeros(0).chunk(3)] == [(0,), (0,), (0,)]


def test_split_by_size_leaves_a_shorter_last_piece():
    pieces = chainrule.arange(7).split(3)
    assert [p.tolist() for p in pieces] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.shape for p in chainrule.zeros(0).split(2)] == [(0,)]


def test_narrow_accepts_a_negative_start():
    assert chainrule.arange(5).narrow(0, -2, 2).tolist() == [3, 4]


def test_squeeze_keeps_dims_that_are_not_of_size_one():
    x = chainrule.zeros(1, 3, 1)
    assert x.squeeze((0, 1)).shape == (3, 1)
    assert x.squeeze(1).shape == (1, 3, 1)
    assert chainrule.zeros(()).squeeze(0).shape == ()


def test_flatten_of_a_scalar_is_one_dimensional():
    assert chainrule.tensor(3.0).flatten().shape == (1,)


def test_movedim_with_several_dims_matches_numpy():
    x = chainrule.zeros(2, 3, 4, 5)
    assert x.movedim((0, 3), (2, 0)).shape == np.moveaxis(x.data, (0, 3), (2, 0)).shape


def test_roll_over_the_flattened_tensor_when_dims_is_none():
    x = chainrule.arange(6).reshape(2, 3)
    assert x.roll(1).tolist() == [[5, 0, 1], [2, 3, 4]]
    assert x.roll(-4).tolist() == np.roll(np.arange(6).reshape(2, 3), -4).tolist()


# -- cat and stack ---------------------------------------------------------------------------
def test_cat_promotes_dtypes_and_differentiates_the_float_input():
    ints = chainrule.tensor([1, 2])
    floats = chainrule.tensor([0.5], requires_grad=True)
    out = chainrule.cat([ints, floats])
    assert out.dtype == chainrule.float32
    assert out.tolist() == [1.0, 2.0, 0.5]
    (out * chainrule.tensor([1.0, 1.0, 4.0])).sum().backward()
    assert floats.grad.tolist() == [4.0]
    assert chainrule.cat([chainrule.tensor([True]), chainrule.tensor([3])]).dtype == chainrule.int64
    mixed = [
        chainrule.zeros(1, dtype=chainrule.float32),
        chainrule.zeros(1, dtype=chainrule.float64),
    ]
    assert chainrule.stack(mixed).dtype == chainrule.float64


def test_cat_skips_one_dimensional_empty_tensors_but_gives_them_a_gradient(rng):
    empty = chainrule.zeros(0, requires_grad=True)
    x = _leaf(rng, 2, 3, requires_grad=True)
    out = chainrule.cat([empty, x, empty], dim=1)
    np.testing.assert_array_equal(out.data, x.data)
    out.sum().backward()
    assert empty.grad.shape == (0,)
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


@pytest.mark.parametrize("fn, sizes", [("cat", (1, 3, 2)), ("stack", (3, 3, 3))])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack_values_and_gradients_match_torch(fn, sizes, dim, rng):
    torch = pytest.importorskip("torch")
    shapes = [[2, 3, 2] for _ in sizes]
    for shape, n in zip(shapes, sizes, strict=True):
        shape[dim] = n
    arrays = [rng.standard_normal(shape) for shape in shapes]
    ours = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = getattr(chainrule, fn)(ours, dim=dim)
    ref = getattr(torch, fn)(theirs, dim=dim)
    np.testing.assert_allclose(out.data, ref.detach().numpy())
    weights = rng.standard_normal(out.shape)
    (out * chainrule.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy())


# -- pad -------------------------------------------------------------------------------------
_NUMPY_MODE = {
    "constant": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}


@settings(deadline=None, max_examples=25)
@given(
    shape=st.lists(st.integers(2, 4), min_size=1, max_size=4),
    mode=st.sampled_from(list(_NUMPY_MODE)),
    data=st.data(),
)
def test_pad_matches_numpy_pad(shape, mode, data):
    padded = data.draw(st.integers(1, len(shape)))
    widest = {"reflect": min(shape) - 1, "circular": min(shape)}.get(mode, 3)
    widths = data.draw(st.lists(st.integers(0, widest), min_size=2 * padded, max_size=2 * padded))
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    numpy_widths = [(0, 0)] * len(shape)
    for i in range(padded):  # pad lists the last dim first
        numpy_widths[-1 - i] = (widths[2 * i], widths[2 * i + 1])
    out = chainrule.pad(chainrule.tensor(x), tuple(widths), mode=mode)
    np.testing.assert_array_equal(out.data, np.pad(x, numpy_widths, mode=_NUMPY_MODE[mode]))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pads", [(1, 2), (2, 0, 1, 1), (0, 1, 2, 2, 1, 0)])
def test_pad_values_and_gradients_match_torch(mode, pads, rng):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal((1, 2, 3, 4, 5)[5 - (len(pads) // 2 + 2) :])
    x = chainrule.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = chainrule.pad(x, pads, mode=mode, value=0.5)
    ref = torch.nn.functional.pad(tx, pads, mode=mode, value=0.5 if mode == "constant" else None)
    np.testing.assert_allclose(out.data, ref.detach().numpy())
    weights = rng.standard_normal(out.shape)
    (out * chainrule.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_pad_constant_uses_value_and_keeps_integer_dtype():
    out = chainrule.pad(chainrule.tensor([[1, 2]]), (1, 0, 0, 1), value=9)
    assert out.dtype == chainrule.int64
    assert out.tolist() == [[9, 1, 2], [9, 9, 9]]


def test_pad_with_negative_widths_crops():
    x = chainrule.arange(6).reshape(2, 3)
    assert chainrule.pad(x, (-1, 1)).tolist() == [[1, 2, 0], [4, 5, 0]]


# -- errors ----------------------------------------------------------------------------------
def test_cat_rejects_mismatched_shapes_naming_every_shape_and_the_dim():
    a, b, c = chainrule.zeros(2, 3), chainrule.zeros(2, 3), chainrule.zeros(3, 4)
    with pytest.raises(ShapeError, match=r"cat: .*dim 1.*\(2, 3\), \(2, 3\), \(3, 4\)"):
        chainrule.cat([a, b, c], dim=1)
    with pytest.raises(ShapeError, match=r"cat: .*\(2, 3\), \(3,\)"):
        chainrule.cat([a, chainrule.zeros(3)])


def test_cat_rejects_scalars_non_tensors_and_empty_lists():
    with pytest.raises(ShapeError, match="cat: zero-dimensional tensor .*position 1"):
        chainrule.cat([chainrule.zeros(1), chainrule.tensor(1.0)])
    with pytest.raises(TypeError, match="cat: .*got list at position 0"):
        chainrule.cat([[1.0]])
    with pytest.raises(ValueError, match="cat: expected a non-empty"):
        chainrule.cat([])


def test_stack_rejects_unequal_shapes():
    with pytest.raises(ShapeError, match=r"stack: .*\(2,\), \(3,\)"):
        chainrule.stack([chainrule.zeros(2), chainrule.zeros(3)])


@pytest.mark.parametrize(
    "op, call, dim",
    [
        ("transpose", lambda x: x.transpose(0, 3), 3),
        ("permute", lambda x: x.permute(0, 1, 5), 5),
        ("squeeze", lambda x: x.squeeze(-4), -4),
        ("unsqueeze", lambda x: x.unsqueeze(4), 4),
        ("flatten", lambda x: x.flatten(3), 3),
        ("unflatten", lambda x: x.unflatten(-4, (1, 2)), -4),
        ("movedim", lambda x: x.movedim(3, 0), 3),
        ("flip", lambda x: x.flip(7), 7),
        ("roll", lambda x: x.roll(1, 3), 3),
        ("cat", lambda x: chainrule.cat([x, x], 3), 3),
        ("stack", lambda x: chainrule.stack([x, x], 4), 4),
        ("split", lambda x: x.split(1, 3), 3),
        ("chunk", lambda x: x.chunk(2, -5), -5),
        ("unbind", lambda x: x.unbind(3), 3),
        ("narrow", lambda x: x.narrow(3, 0, 1), 3),
    ],
)
def test_bad_dims_name_the_op_the_dim_and_ndim(op, call, dim):
    x = chainrule.zeros(2, 3, 4)
    with pytest.raises(ShapeError, match=rf"^{op}: dim {dim} is out of range for a tensor of 3 "):
        call(x)


def test_pad_rejects_a_pad_tuple_of_the_wrong_length():
    x = chainrule.zeros(2, 3)
    with pytest.raises(ShapeError, match=r"pad: the pad tuple \(1, 1, 1\) .*ndim = 4"):
        chainrule.pad(x, (1, 1, 1))
    with pytest.raises(ShapeError, match=r"pad: the pad tuple \(1, 1, 1, 1, 1, 1\).*ndim = 4"):
        chainrule.pad(x, (1, 1, 1, 1, 1, 1))


def test_pad_rejects_reflection_wider_than_the_dim():
    with pytest.raises(ShapeError, match=r"pad: padding \(3, 0\) of dim 1 of size 3.*smaller"):
        chainrule.pad(chainrule.zeros(2, 3), (3, 0), mode="reflect")
    with pytest.raises(ShapeError, match="circular padding must not exceed"):
        chainrule.pad(chainrule.zeros(2, 3), (0, 4), mode="circular")


def test_pad_rejects_unknown_modes_and_negative_non_constant_pads():
    with pytest.raises(ValueError, match="pad: mode must be one of"):
        chainrule.pad(chainrule.zeros(3), (1, 1), mode="wrap")
    with pytest.raises(ShapeError, match="negative padding needs mode='constant'"):
        chainrule.pad(chainrule.zeros(2, 3), (-1, 0), mode="replicate")
    with pytest.raises(ShapeError, match="would make the dim negative"):
        chainrule.pad(chainrule.zeros(2, 3), (-2, -2))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: x.split([1, 2]), r"split: sections \[1, 2\] must .* sum to the size 2 of dim 0"),
        (lambda x: x.split(0), "split: split_size must be positive"),
        (lambda x: x.chunk(0), "chunk: chunks must be positive"),
        (lambda x: x.narrow(1, 2, 2), "narrow: start 2 and length 2 do not fit in dim 1 of size 3"),
        (lambda x: x.narrow(1, -4, 1), "narrow: start -4 and length 1"),
        (lambda x: x.permute(1, 1), r"permute: dims \(1, 1\) name a dimension more than once"),
        (lambda x: x.permute(1, 0, 2), r"permute: got 3 dims \(1, 0, 2\) for a tensor of 2"),
        (lambda x: x.flatten(1, 0), "flatten: start_dim 1 cannot come after end_dim 0"),
        (
            lambda x: x.unflatten(1, (2, 2)),
            r"unflatten: sizes \(2, 2\) do not multiply to the size 3",
        ),
        (lambda x: x.unflatten(1, (-1, -1)), r"unflatten: sizes \(-1, -1\)"),
        (lambda x: x.reshape(4, 2), r"reshape: shape \(4, 2\) is invalid for input of size 6"),
        (lambda x: x.movedim((0, 1), 0), r"movedim: source \(0, 1\) and destination 0"),
        (lambda x: x.repeat(2), r"repeat: sizes \(2,\) must be .* at least as many as the 2"),
        (lambda x: x.expand(3, 3), r"expand: shape \(2, 3\) cannot be expanded to \(3, 3\)"),
        (lambda x: x.roll((1, 2), 0), "roll: shifts .* and dims .* must have the same length"),
        (lambda x: x.roll((1, 2)), "roll: shifts .* must be a single int when dims is None"),
        (lambda x: chainrule.t(x.unsqueeze(0)), r"t: expects a tensor with <= 2 dimensions, got 3"),
        (lambda x: x.flip((0, -2)), r"flip: dims \(0, -2\) name a dimension more than once"),
        (lambda x: chainrule.tensor(1.0).split(1), r"split: expects .* at least 1 dimension"),
        (lambda x: chainrule.tensor(1.0).unbind(), r"unbind: expects .* at least 1 dimension"),
    ],
)
def test_shape_errors_name_the_op_and_what_was_expected(call, message):
    x = chainrule.zeros(2, 3)
    with pytest.raises((ShapeError, ValueError), match=message):
        call(x)


def test_errors_are_raised_before_anything_is_recorded(rng):
    x = _leaf(rng, 2, 3, requires_grad=True)
    with pytest.raises(ShapeError):
        chainrule.cat([x, x.reshape(3, 2)], dim=1)
    assert x._version == 0 and x.grad is None


# -- round trips (hypothesis) ---------------------------------------------------------------
@settings(deadline=None, max_examples=25)
@given(
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    data=st.data(),
)
def test_split_then_cat_is_the_identity(shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    cuts = sorted(data.draw(st.lists(st.integers(0, shape[dim]), max_size=3)))
    sections = [b - a for a, b in zip([0, *cuts], [*cuts, shape[dim]], strict=True)]
    x = chainrule.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    pieces = x.split(sections, dim)
    assert [p.shape[dim] for p in pieces] == sections
    np.testing.assert_array_equal(chainrule.cat(pieces, dim).data, x.data)


@settings(deadline=None, max_examples=25)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=4), data=st.data())
def test_permute_matches_numpy_transpose_and_round_trips(shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    x = chainrule.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    out = x.permute(*perm)
    np.testing.assert_array_equal(out.data, np.transpose(x.data, perm))
    inverse = np.argsort(perm).tolist()
    np.testing.assert_array_equal(out.permute(inverse).data, x.data)
