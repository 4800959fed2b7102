"""Tensor: attributes, conversions, Python protocols and the repr, checked against PyTorch."""

import numpy as np
import pytest

import chainrule
from chainrule.errors import DTypeError, ShapeError


# -- attributes -----------------------------------------------------------------------------------
def test_shape_ndim_dim_numel_and_size(rng):
    a = rng.standard_normal((2, 3, 4))
    t = chainrule.tensor(a)
    assert t.shape == (2, 3, 4)
    assert t.ndim == t.dim() == 3
    assert t.numel() == 24
    assert t.size() == (2, 3, 4)
    assert (t.size(0), t.size(1), t.size(-1)) == (2, 3, 4)


def test_zero_dim_tensor_attributes():
    t = chainrule.tensor(3.5)
    assert t.shape == () and t.ndim == 0 and t.numel() == 1


def test_device_is_cpu():
    assert chainrule.tensor([1.0]).device == "cpu"


def test_attributes_match_torch(rng):
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((3, 1, 2)).astype(np.float32)
    ours, theirs = chainrule.tensor(a), torch.tensor(a)
    assert ours.shape == tuple(theirs.shape)
    assert ours.size() == tuple(theirs.size())
    assert (ours.ndim, ours.dim(), ours.numel()) == (theirs.ndim, theirs.dim(), theirs.numel())
    assert ours.element_size() == theirs.element_size()


# -- requires_grad on floating tensors only -------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floating_tensors_can_require_grad(dtype):
    t = chainrule.tensor([1.0], dtype=getattr(chainrule, dtype), requires_grad=True)
    assert t.requires_grad and t.is_leaf


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_only_floating_tensors_may_require_grad(dtype):
    with pytest.raises(DTypeError, match="only Tensors of floating point dtype can require"):
        chainrule.tensor([1], dtype=getattr(chainrule, dtype), requires_grad=True)
    t = chainrule.tensor([1], dtype=getattr(chainrule, dtype))
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad_()
    assert not t.requires_grad


# -- conversions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, expected, kind",
    [([2.5], 2.5, float), ([7], 7, int), ([True], True, bool), (4.0, 4.0, float)],
)
def test_item_returns_a_python_number(data, expected, kind):
    value = chainrule.tensor(data).item()
    assert value == expected and type(value) is kind


def test_item_refuses_more_than_one_element():
    with pytest.raises(ShapeError, match=r"item: a Tensor with 2 elements \(shape \(2,\)\)"):
        chainrule.tensor([1.0, 2.0]).item()


def test_tolist_gives_nested_python_lists():
    assert chainrule.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert chainrule.tensor(2.5).tolist() == 2.5
    assert type(chainrule.tensor([1.0]).tolist()[0]) is float


def test_numpy_shares_memory():
    t = chainrule.tensor([1.0, 2.0])
    a = t.numpy()
    a[0] = 9.0
    assert t.tolist() == [9.0, 2.0]


def test_numpy_refuses_tensor_that_requires_grad():
    t = chainrule.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        t.numpy()
    np.testing.assert_array_equal(t.detach().numpy(), [1.0])


@pytest.mark.parametrize(
    "method, dtype",
    [
        ("float", np.float32),
        ("double", np.float64),
        ("half", np.float16),
        ("long", np.int64),
        ("int", np.int32),
        ("bool", np.bool_),
    ],
)
def test_dtype_conversion_methods(method, dtype):
    data = [-1.7, 0.0, 2.5]
    out = getattr(chainrule.tensor(data, dtype=chainrule.float64), method)()
    assert out.data.dtype == dtype
    np.testing.assert_array_equal(out.data, np.array(data).astype(dtype))


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "bool"])
def test_dtype_conversion_values_match_torch(method):
    torch = pytest.importorskip("torch")
    data = [-1.7, -0.5, 0.0, 0.4, 2.5, 3.0]
    ours = getattr(chainrule.tensor(data), method)()
    theirs = getattr(torch.tensor(data), method)()
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("spec", [chainrule.float64, np.float64, "float64", "double"])
def test_to_dtype_accepts_every_dtype_spelling(spec):
    assert chainrule.tensor([1.0]).to(spec).dtype is chainrule.float64


def test_to_returns_self_when_nothing_changes():
    t = chainrule.tensor([1.0])
    assert t.to(chainrule.float32) is t
    assert t.to("cpu") is t
    assert t.float() is t


def test_to_another_tensors_dtype():
    t = chainrule.tensor([1.5]).to(chainrule.tensor([1], dtype=chainrule.int32))
    assert t.dtype is chainrule.int32


def test_to_refuses_a_device_other_than_cpu():
    with pytest.raises(RuntimeError, match="CPU only"):
        chainrule.tensor([1.0]).to(device="cuda")


def test_to_is_differentiable_and_casts_the_gradient_back():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype is chainrule.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_float_and_int_of_one_element():
    assert float(chainrule.tensor([2.5])) == 2.5
    assert int(chainrule.tensor(7)) == 7


# -- clone, contiguous, T, mT ---------------------------------------------------------------------
def test_clone_copies_memory_and_keeps_the_graph():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.data is not x.data and not np.shares_memory(y.data, x.data)
    assert y.grad_fn is not None
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_contiguous_returns_c_contiguous_data(rng):
    t = chainrule.tensor(rng.standard_normal((3, 4))).T
    c = t.contiguous()
    assert c.data.flags.c_contiguous
    np.testing.assert_array_equal(c.data, t.data)


def test_T_reverses_all_dimensions(rng):
    a = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(chainrule.tensor(a).T.data, a.transpose(2, 1, 0))


def test_mT_swaps_the_last_two_dimensions(rng):
    a = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(chainrule.tensor(a).mT.data, np.swapaxes(a, -1, -2))


def test_T_and_mT_match_torch(rng):
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(chainrule.tensor(a).T.data, torch.tensor(a).T.numpy())
    np.testing.assert_array_equal(chainrule.tensor(a).mT.data, torch.tensor(a).mT.numpy())


# -- Python protocols -----------------------------------------------------------------------------
def test_len_is_the_first_dimension():
    assert len(chainrule.zeros(4, 2)) == 4


def test_len_of_zero_dim_tensor_raises():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(chainrule.tensor(1.0))


def test_iteration_yields_the_rows(rng):
    a = rng.standard_normal((3, 2))
    rows = list(chainrule.tensor(a))
    assert len(rows) == 3
    for row, expected in zip(rows, a, strict=True):
        assert isinstance(row, chainrule.Tensor)
        np.testing.assert_array_equal(row.data, expected)


def test_iteration_over_zero_dim_tensor_raises():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(chainrule.tensor(1.0))


def test_iteration_is_differentiable():
    x = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    first, second = x
    (first * 2 + second).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 2.0], [1.0, 1.0]])


@pytest.mark.parametrize("data, expected", [([0.0], False), ([3], True), (True, True), (0, False)])
def test_bool_of_one_element(data, expected):
    assert bool(chainrule.tensor(data)) is expected


@pytest.mark.parametrize("data", [[1, 2], []])
def test_bool_of_other_sizes_is_ambiguous(data):
    with pytest.raises(RuntimeError, match="Boolean value of Tensor .* is ambiguous"):
        bool(chainrule.tensor(data))


# -- repr -----------------------------------------------------------------------------------------
def _repr_pairs(torch):
    """(chainrule tensor, torch tensor) built the same way."""
    x, tx = chainrule.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    return [
        (x * 2, tx * 2),
        (
            chainrule.tensor([1.0, 2.0], requires_grad=True),
            torch.tensor([1.0, 2.0], requires_grad=True),
        ),
        (chainrule.tensor([1, 2]), torch.tensor([1, 2])),
        (
            chainrule.tensor([1.0, 2.0], dtype=chainrule.float64),
            torch.tensor([1.0, 2.0], dtype=torch.float64),
        ),
        (chainrule.tensor(2.5), torch.tensor(2.5)),
        (chainrule.tensor(3), torch.tensor(3)),
        (chainrule.tensor([1.5, 2.25]), torch.tensor([1.5, 2.25])),
        (chainrule.tensor([0.1, -0.2]), torch.tensor([0.1, -0.2])),
        (chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])),
        (chainrule.tensor([True, False]), torch.tensor([True, False])),
        (chainrule.tensor([1, 2], dtype=chainrule.int32), torch.tensor([1, 2], dtype=torch.int32)),
        (chainrule.tensor([1, 2], dtype=chainrule.uint8), torch.tensor([1, 2], dtype=torch.uint8)),
        (
            chainrule.tensor([1.0, 2.0], dtype=chainrule.float16),
            torch.tensor([1.0, 2.0], dtype=torch.float16),
        ),
        (chainrule.tensor([1e-5, 1.0]), torch.tensor([1e-5, 1.0])),
        (chainrule.tensor(2.5, requires_grad=True), torch.tensor(2.5, requires_grad=True)),
    ]


def _same_repr(ours, theirs):
    assert repr(ours) == repr(theirs).replace("torch.", "chainrule.")


def test_repr_matches_torch_for_simple_tensors():
    torch = pytest.importorskip("torch")
    for ours, theirs in _repr_pairs(torch):
        _same_repr(ours, theirs)


def test_repr_literal_forms():
    x = chainrule.tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert repr(chainrule.tensor([1, 2])) == "tensor([1, 2])"
    assert (
        repr(chainrule.tensor([1.0, 2.0], dtype=chainrule.float64))
        == "tensor([1., 2.], dtype=chainrule.float64)"
    )


@pytest.mark.parametrize(
    "data, shape",
    [
        ([1.0, float("nan")], None),
        ([1.0, float("inf")], None),
        ([1e10, 1.0], None),
        ([], None),
        ([], (0, 3)),
        ([True], None),
    ],
    ids=["nan", "inf", "sci", "empty", "empty2d", "bool1"],
)
def test_repr_matches_torch_for_special_values(data, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = chainrule.tensor(data), torch.tensor(data)
    if shape is not None:
        ours, theirs = chainrule.zeros(shape), torch.zeros(shape)
    _same_repr(ours, theirs)
