"""Creating tensors: tensor, as_tensor, from_numpy, zeros, ones, full, arange, eye, ...

Dtypes are inferred as PyTorch does: Python floats give float32 (the default float dtype),
ints int64 and bools bool; NumPy arrays keep their dtype. Size arguments are varargs or one
sequence, so ``zeros(2, 3)`` and ``zeros((2, 3))`` are the same. Random factories (rand,
randn, ...) live in :mod:`chainrule.random`.
"""

from __future__ import annotations

import math

import numpy as np

from .dtype import DType, as_numpy_dtype, default_float, from_numpy_dtype
from .errors import DTypeError, ShapeError
from .tensor import Tensor, _wrap

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
]

DTypeLike = DType | np.dtype | type | str | None


def _infer_dtype(array: np.ndarray, data) -> np.dtype:
    """PyTorch's inference: Python floats give float32, ints int64; NumPy arrays keep theirs."""
    if isinstance(data, (np.ndarray, np.generic)):
        return array.dtype
    if array.dtype.kind == "f":
        return default_float()
    if array.dtype.kind in "iu":
        return np.dtype(np.int64)
    return array.dtype


def _scalar_dtype(op: str, value) -> np.dtype:
    """The dtype PyTorch gives a fill value: bool -> bool, int -> int64, float -> float32."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return default_float()
    raise DTypeError(
        f"{op}: expected a Python number (bool, int or float), got {type(value).__name__}"
    )


def check_device(op: str, device) -> None:
    """chainrule computes on the CPU: a device other than "cpu" (or "cpu:N") is an error."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(
            f"{op}: chainrule runs on the CPU only, got device {device!r}; "
            f"use device='cpu' or leave it out"
        )


def size_args(op: str, size: tuple) -> tuple[int, ...]:
    """PyTorch's size arguments: ``f(2, 3)`` or ``f((2, 3))``; every entry a non-negative int."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = size[0].tolist() if isinstance(size[0], Tensor) else size[0]
    try:
        shape = tuple(size)
    except TypeError:
        shape = (size,)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{op}: size must be ints or one sequence of ints, got {size!r}")
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ShapeError(f"{op}: negative dimension in size {shape}; sizes must be >= 0")
    return shape


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _wrap(data)
    if requires_grad:
        t.requires_grad = True  # raises for non-floating dtypes, as PyTorch does
    return t


def tensor(data, dtype: DTypeLike = None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or a Tensor).

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1, 2], [3, 4]]).dtype
        chainrule.int64
    """
    check_device("tensor", device)
    if isinstance(data, Tensor):
        data = data.data
    array = np.array(data)
    target = as_numpy_dtype(dtype) if dtype is not None else _infer_dtype(array, data)
    return Tensor(array.astype(target, copy=False), requires_grad=requires_grad)


def as_tensor(data, dtype: DTypeLike = None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory when it can (a Tensor or ndarray of that dtype).

    A Tensor of the requested dtype is returned as it is; one of another dtype is converted
    (a differentiable cast, as in PyTorch). Lists and numbers are copied.

    Example:
        >>> import numpy as np, chainrule
        >>> a = np.array([1.0, 2.0])
        >>> t = chainrule.as_tensor(a)
        >>> a[0] = 5.0
        >>> t
        tensor([5., 2.], dtype=chainrule.float64)
    """
    check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        target = data.dtype if dtype is None else as_numpy_dtype(dtype)
        return Tensor(data.astype(target, copy=False))
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: writes to either are seen by the other.

    Example:
        >>> import numpy as np, chainrule
        >>> chainrule.from_numpy(np.arange(3))
        tensor([0, 1, 2])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    try:
        from_numpy_dtype(array.dtype)
    except DTypeError:
        raise DTypeError(
            f"from_numpy: NumPy dtype {array.dtype} is not supported; supported dtypes are "
            f"float64, float32, float16, int64, int32, uint8 and bool (convert with "
            f"array.astype(...) first)"
        ) from None
    return _wrap(array)


def zeros(*size, dtype: DTypeLike = None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of shape ``size`` (float32 unless ``dtype`` says otherwise).

    Example:
        >>> import chainrule
        >>> chainrule.zeros(2, 3).shape
        (2, 3)
    """
    check_device("zeros", device)
    dtype = default_float() if dtype is None else as_numpy_dtype(dtype)
    return _make(np.zeros(size_args("zeros", size), dtype), requires_grad)


def ones(*size, dtype: DTypeLike = None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of shape ``size`` (float32 unless ``dtype`` says otherwise).

    Example:
        >>> import chainrule
        >>> chainrule.ones(2, dtype=chainrule.int64)
        tensor([1, 1])
    """
    check_device("ones", device)
    dtype = default_float() if dtype is None else as_numpy_dtype(dtype)
    return _make(np.ones(size_args("ones", size), dtype), requires_grad)


def full(
    size, fill_value, *, dtype: DTypeLike = None, device=None, requires_grad: bool = False
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``.

    The dtype follows the value when not given: bool -> bool, int -> int64, float -> float32.

    Example:
        >>> import chainrule
        >>> chainrule.full((2,), 7)
        tensor([7, 7])
    """
    check_device("full", device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = _scalar_dtype("full", fill_value) if dtype is None else as_numpy_dtype(dtype)
    shape = size_args("full", (size,))
    return _make(np.full(shape, fill_value, dtype), requires_grad)


def empty(*size, dtype: DTypeLike = None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of shape ``size``: its values are whatever memory held.

    Example:
        >>> import chainrule
        >>> chainrule.empty(2, 3).shape
        (2, 3)
    """
    check_device("empty", device)
    dtype = default_float() if dtype is None else as_numpy_dtype(dtype)
    return _make(np.empty(size_args("empty", size), dtype), requires_grad)


def _number(op: str, name: str, value):
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(
        value, (bool, np.bool_)
    ):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__}")
    return value


def arange(
    start, end=None, step=1, *, dtype: DTypeLike = None, device=None, requires_grad: bool = False
) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``.

    ``arange(n)`` is ``arange(0, n)``. Integer arguments give int64, any float gives float32.

    Example:
        >>> import chainrule
        >>> chainrule.arange(1, 2, 0.25)
        tensor([1.0000, 1.2500, 1.5000, 1.7500])
    """
    check_device("arange", device)
    if end is None:
        start, end = 0, start
    start, end, step = (
        _number("arange", n, v) for n, v in (("start", start), ("end", end), ("step", step))
    )
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.dtype(np.int64) if ints else default_float()
    else:
        dtype = as_numpy_dtype(dtype)
    if dtype.kind != "f":  # PyTorch truncates the bounds and step to the integer dtype first
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError(f"arange: start and end must be finite, got start={start}, end={end}")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: upper bound and lower bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    # Computed in int64 or float64, then converted, so a float32 value is start + i * step
    # rounded once; the length is ceil((end - start) / step) either way, as in PyTorch.
    wide = np.int64 if dtype.kind != "f" else np.float64
    return _make(np.arange(start, end, step, dtype=wide).astype(dtype, copy=False), requires_grad)


def linspace(
    start, end, steps: int, *, dtype: DTypeLike = None, device=None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Example:
        >>> import chainrule
        >>> chainrule.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    check_device("linspace", device)
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"linspace: steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    dtype = default_float() if dtype is None else as_numpy_dtype(dtype)
    values = np.linspace(start, end, steps, dtype=np.float64)
    return _make(values.astype(dtype, copy=False), requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The ``n`` x ``m`` identity matrix (ones on the diagonal); ``m`` defaults to ``n``.

    Example:
        >>> import chainrule
        >>> chainrule.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
    """
    check_device("eye", device)
    n, m = size_args("eye", (n, n if m is None else m))
    dtype = default_float() if dtype is None else as_numpy_dtype(dtype)
    return _make(np.eye(n, m, dtype=dtype), requires_grad)


def like_dtype(op: str, input: Tensor, dtype: DTypeLike) -> np.dtype:
    """The dtype of a ``*_like`` result: ``dtype`` if given, else ``input``'s."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(input).__name__}")
    return input.data.dtype if dtype is None else as_numpy_dtype(dtype)


def zeros_like(
    input: Tensor, *, dtype: DTypeLike = None, device=None, requires_grad: bool = False
) -> Tensor:
    """Zeros with the shape (and, unless ``dtype`` is given, the dtype) of ``input``.

    Example:
        >>> import chainrule
        >>> chainrule.zeros_like(chainrule.tensor([1, 2]))
        tensor([0, 0])
    """
    check_device("zeros_like", device)
    dtype = like_dtype("zeros_like", input, dtype)
    return _make(np.zeros(input.data.shape, dtype), requires_grad)


def ones_like(
    input: Tensor, *, dtype: DTypeLike = None, device=None, requires_grad: bool = False
) -> Tensor:
    """Ones with the shape (and, unless ``dtype`` is given, the dtype) of ``input``.

    Example:
        >>> import chainrule
        >>> chainrule.ones_like(chainrule.zeros(2))
        tensor([1., 1.])
    """
    check_device("ones_like", device)
    dtype = like_dtype("ones_like", input, dtype)
    return _make(np.ones(input.data.shape, dtype), requires_grad)


def full_like(
    input: Tensor, fill_value, *, dtype: DTypeLike = None, device=None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` in the shape of ``input``, in ``input``'s dtype unless ``dtype`` is given.

    Example:
        >>> import chainrule
        >>> chainrule.full_like(chainrule.tensor([1, 2]), 2.7)
        tensor([2, 2])
    """
    check_device("full_like", device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = like_dtype("full_like", input, dtype)
    return _make(np.full(input.data.shape, fill_value).astype(dtype), requires_grad)


def empty_like(
    input: Tensor, *, dtype: DTypeLike = None, device=None, requires_grad: bool = False
) -> Tensor:
    """An uninitialised tensor with the shape (and dtype unless given) of ``input``.

    Example:
        >>> import chainrule
        >>> chainrule.empty_like(chainrule.zeros(2, 3)).shape
        (2, 3)
    """
    check_device("empty_like", device)
    dtype = like_dtype("empty_like", input, dtype)
    return _make(np.empty(input.data.shape, dtype), requires_grad)
