"""dtypes, their names and aliases, and PyTorch's type promotion."""

import itertools

import numpy as np
import pytest

import chainrule
from chainrule.errors import DTypeError

DTYPES = {  # chainrule name -> NumPy dtype
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "uint8": np.uint8,
    "int32": np.int32,
    "int64": np.int64,
    "bool": np.bool_,
}
ALIASES = {
    "half": "float16",
    "float": "float32",
    "double": "float64",
    "int": "int32",
    "long": "int64",
}


@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_is_a_named_attribute_that_prints_as_pytorch(name):
    dtype = getattr(chainrule, name)
    assert isinstance(dtype, chainrule.DType)
    assert repr(dtype) == f"chainrule.{name}"
    assert dtype == DTYPES[name]
    assert dtype.itemsize == np.dtype(DTYPES[name]).itemsize


@pytest.mark.parametrize("alias, name", ALIASES.items())
def test_aliases_are_the_same_objects_as_pytorch(alias, name):
    assert getattr(chainrule, alias) is getattr(chainrule, name)


def test_bool_dtype_is_named_bool():
    assert repr(chainrule.bool) == "chainrule.bool"
    assert chainrule.bool_ is chainrule.bool


@pytest.mark.parametrize("name", DTYPES)
def test_tensor_of_every_dtype_keeps_it(name):
    t = chainrule.tensor([0, 1], dtype=getattr(chainrule, name))
    assert t.dtype is getattr(chainrule, name)
    assert t.data.dtype == DTYPES[name]


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_matches_torch_name_and_properties(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(chainrule, name), getattr(torch, name)
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.itemsize == theirs.itemsize
    assert repr(ours).replace("chainrule", "torch") == repr(theirs)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("float32", np.float32),
        ("double", np.float64),
        (float, np.float32),
        (int, np.int64),
        (bool, np.bool_),
        (np.float64, np.float64),
        (np.dtype("int32"), np.int32),
        (chainrule.uint8, np.uint8),
    ],
)
def test_dtype_arguments_accept_names_python_types_and_numpy_dtypes(spec, expected):
    assert chainrule.zeros(1, dtype=spec).data.dtype == expected


@pytest.mark.parametrize("numpy_dtype", [np.int16, np.int8, np.uint16, np.complex64])
def test_unsupported_numpy_dtype_is_refused_with_the_supported_list(numpy_dtype):
    with pytest.raises(DTypeError, match="not supported.*float32"):
        chainrule.Tensor(np.zeros(2, numpy_dtype))


def test_a_non_dtype_is_refused():
    with pytest.raises(DTypeError, match="is not a dtype"):
        chainrule.zeros(2, dtype="not-a-dtype")


@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1.0, 2.0], np.float32),
        ([1, 2], np.int64),
        ([True, False], np.bool_),
        (2.5, np.float32),
        (3, np.int64),
        ([1, 2.5], np.float32),
        (np.array([1.0]), np.float64),
        (np.array([1], np.int32), np.int32),
        (np.float64(1.0), np.float64),
    ],
)
def test_tensor_infers_dtype_as_pytorch(data, dtype):
    assert chainrule.tensor(data).data.dtype == dtype


# -- promotion: hand-checked cases from PyTorch's documentation -------------------------------
def test_python_float_does_not_upcast_float32_tensor():
    x = chainrule.tensor([1.0, 2.0])
    assert (x * 2.5).dtype is chainrule.float32
    assert (2.5 + x).dtype is chainrule.float32


def test_int_tensor_times_python_float_gives_float32():
    out = chainrule.tensor([1, 2]) * 2.5
    assert out.dtype is chainrule.float32
    np.testing.assert_array_equal(out.data, [2.5, 5.0])


def test_int_tensor_times_python_int_stays_int():
    assert (chainrule.tensor([1, 2], dtype=chainrule.int32) * 3).dtype is chainrule.int32


def test_int_true_division_gives_float32():
    out = chainrule.tensor([1, 3]) / chainrule.tensor([2, 2])
    assert out.dtype is chainrule.float32
    np.testing.assert_array_equal(out.data, [0.5, 1.5])
    assert (chainrule.tensor([1, 3]) / 2).dtype is chainrule.float32


def test_zero_dim_tensor_of_same_category_does_not_upcast():
    x = chainrule.tensor([1.0, 2.0])
    assert (x * chainrule.tensor(2.0, dtype=chainrule.float64)).dtype is chainrule.float32


def test_zero_dim_tensor_of_higher_category_keeps_its_dtype():
    x = chainrule.tensor([1, 2], dtype=chainrule.int32)
    assert (x * chainrule.tensor(2.0, dtype=chainrule.float64)).dtype is chainrule.float64


def test_dimensioned_tensors_promote_by_width():
    x = chainrule.tensor([1.0], dtype=chainrule.float16)
    assert (x + chainrule.tensor([1.0])).dtype is chainrule.float32
    assert (
        chainrule.tensor([1.0]) + chainrule.tensor([1.0], dtype=chainrule.float64)
    ).dtype is chainrule.float64


def test_bool_plus_int_gives_int64():
    assert (chainrule.tensor([True]) + chainrule.tensor([1])).dtype is chainrule.int64
    assert (chainrule.tensor([True]) + 1).dtype is chainrule.int64


def test_int64_plus_float16_gives_float16():
    out = chainrule.tensor([1]) + chainrule.tensor([1.0], dtype=chainrule.float16)
    assert out.dtype is chainrule.float16


# -- promotion: a grid of cases against torch -----------------------------------------------------
_NAMES = list(DTYPES)


def _make_pair(module, a, b, zero_dim_b):
    x = module.tensor([1, 0], dtype=getattr(module, a))
    y = module.tensor(1 if zero_dim_b else [1, 1], dtype=getattr(module, b))
    return x, y


@pytest.mark.parametrize("a, b", list(itertools.product(_NAMES, _NAMES)))
@pytest.mark.parametrize("zero_dim_b", [False, True], ids=["dims", "zerodim"])
def test_tensor_tensor_promotion_matches_torch(a, b, zero_dim_b):
    torch = pytest.importorskip("torch")
    x, y = _make_pair(chainrule, a, b, zero_dim_b)
    tx, ty = _make_pair(torch, a, b, zero_dim_b)
    assert repr((x * y).dtype) == repr((tx * ty).dtype).replace("torch", "chainrule")


@pytest.mark.parametrize("a", _NAMES)
@pytest.mark.parametrize("scalar", [True, 2, 2.5], ids=["bool", "int", "float"])
def test_tensor_scalar_promotion_matches_torch(a, scalar):
    torch = pytest.importorskip("torch")
    x = chainrule.tensor([1, 0], dtype=getattr(chainrule, a))
    tx = torch.tensor([1, 0], dtype=getattr(torch, a))
    for ours, theirs in [(x * scalar, tx * scalar), (scalar * x, scalar * tx)]:
        assert repr(ours.dtype) == repr(theirs.dtype).replace("torch", "chainrule")


@pytest.mark.parametrize("a, b", list(itertools.product(_NAMES, _NAMES)))
def test_true_division_dtype_matches_torch(a, b):
    torch = pytest.importorskip("torch")
    x, y = _make_pair(chainrule, a, b, False)
    tx, ty = _make_pair(torch, a, b, False)
    assert repr((x / y).dtype) == repr((tx / ty).dtype).replace("torch", "chainrule")
