"""chainrule._tensor_str: tensors print exactly as PyTorch prints them."""

import itertools

import numpy as np
import pytest

import chainrule
from chainrule._tensor_str import format_tensor


@pytest.mark.parametrize(
    "data, expected",
    [
        ([1.0, float("nan")], "tensor([1., nan])"),
        ([1.0, float("inf"), 0.0], "tensor([1., inf, 0.])"),
        ([1e10, 1.0], "tensor([1.0000e+10, 1.0000e+00])"),
        ([1e-5, 0.5], "tensor([1.0000e-05, 5.0000e-01])"),
        ([0.5, -2.25], "tensor([ 0.5000, -2.2500])"),
        ([True], "tensor([True])"),
        ([True, False], "tensor([ True, False])"),
        ([-3, 10], "tensor([-3, 10])"),
        (2.5, "tensor(2.5000)"),
        ([], "tensor([])"),
    ],
)
def test_format_of_special_values(data, expected):
    assert format_tensor(chainrule.tensor(data)) == expected


def test_format_of_empty_tensors_shows_size_and_non_float32_dtype():
    assert format_tensor(chainrule.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert (
        format_tensor(chainrule.zeros(0, dtype=chainrule.int64))
        == "tensor([], dtype=chainrule.int64)"
    )


def test_format_wraps_long_rows_at_80_columns():
    assert format_tensor(chainrule.arange(30.0)) == (
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])"
    )


def test_format_elides_the_middle_of_large_tensors():
    assert (
        format_tensor(chainrule.arange(2000))
        == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    )


def test_format_suffixes_for_autograd():
    x = chainrule.tensor([1.0], requires_grad=True)
    assert format_tensor(x) == "tensor([1.], requires_grad=True)"
    assert format_tensor(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert (
        format_tensor(chainrule.tensor([1.0, 2.0], dtype=chainrule.float64))
        == "tensor([1., 2.], dtype=chainrule.float64)"
    )


def _values(rng):
    shapes = [(), (1,), (5,), (3, 4), (2, 3, 2), (0, 3), (30,), (7, 200), (1200,), (12, 12, 12)]
    kinds = {
        "normal": lambda s: rng.standard_normal(s),
        "ints": lambda s: rng.integers(-50, 50, s).astype(float),
        "big": lambda s: rng.standard_normal(s) * 1e9,
        "tiny": lambda s: rng.standard_normal(s) * 1e-6,
        "special": lambda s: rng.choice([0.0, 1.0, np.nan, np.inf, -np.inf, 2.5], s),
        "special_ints": lambda s: rng.choice([0.0, 1.0, np.nan, -np.inf, 3.0], s),
    }
    for shape, make in itertools.product(shapes, kinds.values()):
        for dtype in (np.float32, np.float64, np.float16):
            with np.errstate(over="ignore"):  # 1e9 is inf in float16, as in torch
                values = make(shape).astype(dtype)
            yield values
    for shape, dtype in itertools.product(shapes, (np.int64, np.int32, np.uint8, np.bool_)):
        yield rng.integers(0, 2 if dtype is np.bool_ else 200, shape).astype(dtype)


def _unwrap(text):
    """chainrule's dtype names are longer than torch's and may push a suffix onto a new line."""
    for suffix in ("dtype", "grad_fn", "requires_grad"):
        text = text.replace(f",\n       {suffix}", f", {suffix}")
    return text


def test_format_matches_torch_over_a_grid_of_shapes_dtypes_and_values(rng):
    torch = pytest.importorskip("torch")
    for a in _values(rng):
        ours, theirs = chainrule.tensor(a), torch.tensor(a)
        if a.dtype.kind == "f":
            ours, theirs = ours.requires_grad_() * 1, theirs.requires_grad_() * 1
        expected = repr(theirs).replace("torch.", "chainrule.")
        assert _unwrap(format_tensor(ours)) == _unwrap(expected), a.shape
