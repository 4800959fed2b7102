"""Gradient clipping: rescale all gradients to a maximum total norm, or clamp each entry.

Both work in place on ``p.grad`` under ``no_grad``, so they belong between ``backward()`` and
``optimizer.step()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ...autograd.grad_mode import no_grad
from ...factories import tensor
from ...ops.reduction import norm
from ...ops.shape import stack
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the
    ``norm_type``-norm of all gradients concatenated; returns total_norm (before clipping).

    Args:
        parameters: a Tensor or an iterable of Tensors (those without ``grad`` are skipped).
        max_norm: the largest total norm allowed.
        norm_type: p of the p-norm; ``float("inf")`` for the largest absolute entry.
        error_if_nonfinite: raise if the total norm is nan or inf (else they scale by it).

    Example:
        >>> import chainrule
        >>> from chainrule.nn.utils import clip_grad_norm_
        >>> p = chainrule.zeros(2, requires_grad=True)
        >>> p.grad = chainrule.tensor([3.0, 4.0])
        >>> clip_grad_norm_([p], max_norm=1.0)
        tensor(5.)
        >>> p.grad
        tensor([0.6000, 0.8000])
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return tensor(0.0)
    with no_grad():
        norms = stack([norm(g.detach(), norm_type) for g in grads])
        total = norm(norms, norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} for gradients from "
                f"`parameters` is non-finite ({total.item()}), so it cannot be clipped. To "
                f"disable this error and scale the gradients by the non-finite norm anyway, "
                f"set `error_if_nonfinite=False`")
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value], in place.

    Example:
        >>> import chainrule
        >>> from chainrule.nn.utils import clip_grad_value_
        >>> p = chainrule.zeros(3, requires_grad=True)
        >>> p.grad = chainrule.tensor([-2.0, 0.5, 3.0])
        >>> clip_grad_value_(p, 1.0)
        >>> p.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
