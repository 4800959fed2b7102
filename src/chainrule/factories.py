"""Creating tensors: tensor, as_tensor, from_numpy, zeros, ones, full, arange, eye, ..."""

from __future__ import annotations

import numpy as np

from .dtype import as_numpy_dtype, default_float
from .tensor import Tensor

__all__ = ["tensor"]


def _infer_dtype(array: np.ndarray, data) -> np.dtype:
    """PyTorch's inference: Python floats give float32, ints int64; NumPy arrays keep theirs."""
    if isinstance(data, (np.ndarray, np.generic)):
        return array.dtype
    if array.dtype.kind == "f":
        return default_float()
    if array.dtype.kind in "iu":
        return np.dtype(np.int64)
    return array.dtype


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or a Tensor).

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1, 2], [3, 4]]).dtype
        chainrule.int64
    """
    if isinstance(data, Tensor):
        data = data.data
    array = np.array(data)
    target = as_numpy_dtype(dtype) if dtype is not None else _infer_dtype(array, data)
    return Tensor(array.astype(target, copy=False), requires_grad=requires_grad)
