"""Dropout: zero each element with probability p and scale the survivors by 1 / (1 - p).

The mask is drawn from chainrule's default generator, so ``chainrule.manual_seed`` makes it
reproducible; multiplying by it is an ordinary ``mul``, so gradients of every order follow.
"""

from __future__ import annotations

import numpy as np

from ...errors import DTypeError
from ...random import rand
from ...tensor import Tensor, _wrap

__all__ = ["dropout"]


def _check_p(op: str, p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _scaled_mask(input: Tensor, p: float) -> Tensor:
    """1 / (1 - p) where an element survives (probability 1 - p), 0 where it is dropped."""
    dtype = input.data.dtype
    if p == 1:
        return _wrap(np.zeros(input.shape, dtype))  # 1 / (1 - p) would be inf, and inf * 0 nan
    keep = rand(*input.shape, dtype=dtype).data >= p
    return _wrap(keep.astype(dtype) * dtype.type(1 / (1 - p)))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """out = input * mask / (1 - p), mask ~ Bernoulli(1 - p) elementwise; ``input`` when not
    training.

    Args:
        p: the probability of zeroing an element, in [0, 1]; p = 1 gives zeros.
        training: apply dropout only if True.
        inplace: write the result into ``input``.

    Example:
        >>> import chainrule
        >>> import chainrule.nn.functional as F
        >>> F.dropout(chainrule.ones(4), p=0.0)
        tensor([1., 1., 1., 1.])
        >>> F.dropout(chainrule.ones(2, 3), p=1.0)
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """
    _check_p("dropout", p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise DTypeError(f"dropout: expected a floating point input, got {input.dtype}")
    if not training or p == 0:
        return input
    mask = _scaled_mask(input, p)
    return input.mul_(mask) if inplace else input * mask
