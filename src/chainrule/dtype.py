"""dtypes and PyTorch's type-promotion rules.

A :class:`DType` wraps a NumPy dtype and prints as PyTorch does (``chainrule.float32``).
Promotion follows PyTorch, not NumPy: a Python scalar or a 0-d tensor only changes the result
dtype when it is of a higher category (bool < integer < floating), so ``float32 tensor * 2.0``
stays float32 and ``int64 tensor * 2.5`` becomes float32 (the default float dtype).
"""

from __future__ import annotations

import builtins

import numpy as np

from .errors import DTypeError


class DType:
    """A tensor element type: ``chainrule.float32``, ``chainrule.int64``, ..."""

    __slots__ = ("name", "numpy", "is_floating_point", "itemsize", "category")

    def __init__(self, name: str, numpy_dtype: type, category: int) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = category == _FLOAT
        self.itemsize = self.numpy.itemsize
        self.category = category

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self is other
        try:
            return self.numpy == np.dtype(other)  # lets users compare with np.float32
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.numpy)

    def __reduce__(self) -> str:
        return self.name


_BOOL, _INT, _FLOAT = 0, 1, 2

float16 = DType("float16", np.float16, _FLOAT)
float32 = DType("float32", np.float32, _FLOAT)
float64 = DType("float64", np.float64, _FLOAT)
uint8 = DType("uint8", np.uint8, _INT)
int32 = DType("int32", np.int32, _INT)
int64 = DType("int64", np.int64, _INT)
bool_ = DType("bool", np.bool_, _BOOL)

_BY_NUMPY = {d.numpy: d for d in (float16, float32, float64, uint8, int32, int64, bool_)}
_BY_NAME = {d.name: d for d in _BY_NUMPY.values()}
_BY_NAME.update(half=float16, float=float32, double=float64, int=int32, long=int64)
_DEFAULT_FOR_CATEGORY = (np.dtype(np.bool_), np.dtype(np.int64), np.dtype(np.float32))

def from_numpy_dtype(dtype: np.dtype) -> DType:
    """The DType of a NumPy dtype, or a DTypeError naming the supported ones."""
    try:
        return _BY_NUMPY[dtype]
    except KeyError:
        raise DTypeError(
            f"dtype {dtype} is not supported; chainrule has "
            f"{', '.join(sorted(_BY_NAME))}") from None


def as_numpy_dtype(dtype) -> np.dtype:
    """Accepts a DType, a NumPy dtype, Python's float/int/bool or a name; returns a NumPy dtype."""
    if isinstance(dtype, DType):
        return dtype.numpy
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype].numpy
    if dtype in _PYTHON_SCALAR_DTYPES:  # float means float32 here, as in PyTorch
        return _PYTHON_SCALAR_DTYPES[dtype]
    try:
        return from_numpy_dtype(np.dtype(dtype)).numpy
    except TypeError:
        raise DTypeError(f"{dtype!r} is not a dtype") from None


_PYTHON_SCALAR_DTYPES = {builtins.bool: np.dtype(np.bool_), builtins.int: np.dtype(np.int64),
                         builtins.float: np.dtype(np.float32)}


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    return _BY_NUMPY[dtype].category


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promote_types: the higher category wins outright (int64 + float16 -> float16)."""
    if a is b or a == b:
        return a
    ca, cb = _BY_NUMPY[a].category, _BY_NUMPY[b].category
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _group_result(current: np.dtype | None, dtype: np.dtype) -> np.dtype:
    return dtype if current is None else promote_types(current, dtype)


def result_type(*operands) -> np.dtype:
    """The dtype PyTorch would give an op over `operands` (Tensors and Python scalars).

    Tensors with dimensions decide; a 0-d tensor or a Python scalar counts only when its
    category is higher than theirs, and a Python scalar then gives the default dtype.
    """
    dims = zeros = scalars = None
    for x in operands:
        data = getattr(x, "data", None)
        if isinstance(data, np.ndarray):
            if data.ndim:
                dims = _group_result(dims, data.dtype)
            else:
                zeros = _group_result(zeros, data.dtype)
        elif isinstance(x, np.ndarray):
            dims = _group_result(dims, x.dtype) if x.ndim else _group_result(zeros, x.dtype)
        else:
            scalars = _group_result(scalars, _python_scalar_dtype(x))
    result = dims
    for lower in (zeros, scalars):
        if lower is None:
            continue
        if result is None or category(lower) > category(result):
            result = lower if lower is zeros else _DEFAULT_FOR_CATEGORY[category(lower)]
    return result


def _python_scalar_dtype(x) -> np.dtype:
    try:
        return _PYTHON_SCALAR_DTYPES[type(x)]
    except KeyError:
        if isinstance(x, np.generic):
            return _DEFAULT_FOR_CATEGORY[category(np.dtype(x.dtype))]
        raise DTypeError(
            f"expected a Tensor or a Python number, got {type(x).__name__}") from None


def default_float() -> np.dtype:
    return float32.numpy
