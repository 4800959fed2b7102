"""The op table: every differentiable op declared once, with its NumPy reference and samples.

``tests/ops/test_opinfo.py`` turns each entry into tests: forward against the reference,
gradcheck and gradgradcheck in float64, no silent float32 -> float64 upcast, and forward and
gradients against PyTorch when it is installed. Each family lists its entries in
``tests/ops/table_<family>.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sample:
    """One call: positional args (ndarrays become Tensors) and keyword args (passed as is)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    grad: tuple[int, ...] | None = None  # indices of args to differentiate; None: float arrays

    def differentiable(self) -> tuple[int, ...]:
        if self.grad is not None:
            return self.grad
        return tuple(i for i, a in enumerate(self.args)
                     if isinstance(a, np.ndarray) and a.dtype.kind == "f")


@dataclass
class OpInfo:
    """An op under test.

    fn: the chainrule function, called with Tensors in place of the sample's arrays.
    ref: NumPy reference on the arrays (None when there is no independent one).
    torch_fn: the same op in PyTorch, called with torch tensors (None: no differential test).
    samples: (rng, dtype) -> list of Sample. Cover 0-d, broadcasting, empty, non-contiguous.
    supports_gradgrad: if False, the test asserts that a second derivative *raises*.
    """

    name: str
    fn: Callable
    ref: Callable | None
    samples: Callable[[np.random.Generator, np.dtype], list[Sample]]
    torch_fn: Callable | None = None
    supports_grad: bool = True
    supports_gradgrad: bool = True
    atol: float = 1e-5
    rtol: float = 1e-3

    def __str__(self) -> str:
        return self.name


def make(rng: np.random.Generator, shape, dtype=np.float64, low: float = -2.0,
         high: float = 2.0, noncontiguous: bool = False) -> np.ndarray:
    """Random values in [low, high); ``noncontiguous`` returns a strided view of the same shape."""
    shape = tuple(shape)
    if noncontiguous and len(shape) >= 1:
        big = rng.uniform(low, high, size=(*shape[:-1], shape[-1] * 2)).astype(dtype)
        return big[..., ::2]
    return np.asarray(rng.uniform(low, high, size=shape)).astype(dtype)


UNARY_SHAPES = [(), (5,), (3, 4), (2, 3, 2)]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((4,), ())]


def unary_samples(low: float = -2.0, high: float = 2.0, **kwargs):
    """Samples for a one-input op over UNARY_SHAPES, one non-contiguous and one empty."""

    def samples(rng, dtype):
        out = [Sample((make(rng, s, dtype, low, high),), dict(kwargs)) for s in UNARY_SHAPES]
        out.append(Sample((make(rng, (3, 4), dtype, low, high, noncontiguous=True),),
                          dict(kwargs)))
        out.append(Sample((make(rng, (0, 3), dtype, low, high),), dict(kwargs)))
        return out

    return samples


def binary_samples(low: float = -2.0, high: float = 2.0, low2: float | None = None,
                   high2: float | None = None):
    """Samples for a two-input broadcasting op over BINARY_SHAPES."""
    low2 = low if low2 is None else low2
    high2 = high if high2 is None else high2

    def samples(rng, dtype):
        return [Sample((make(rng, a, dtype, low, high), make(rng, b, dtype, low2, high2)))
                for a, b in BINARY_SHAPES]

    return samples


def all_ops() -> list[OpInfo]:
    """Every family's table, in one list."""
    from tests.ops import (table_activation, table_comparison, table_elementwise,
                           table_indexing, table_linalg, table_reduction, table_shape,
                           table_unary)

    tables = (table_elementwise, table_unary, table_activation, table_comparison,
              table_reduction, table_shape, table_indexing, table_linalg)
    return [op for table in tables for op in table.OPS]


OPS = all_ops()
