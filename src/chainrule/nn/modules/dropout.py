"""Dropout: randomly zero elements while training; the identity in eval mode."""

from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..functional.dropout import _check_p
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """y = x * mask / (1 - p), mask ~ Bernoulli(1 - p), in training mode; y = x in eval mode.

    Args:
        p: the probability of zeroing an element.
        inplace: overwrite the input.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> drop = nn.Dropout(0.5)
        >>> drop
        Dropout(p=0.5, inplace=False)
        >>> drop.eval()(chainrule.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p("Dropout", p)
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
