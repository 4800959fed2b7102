"""Adagrad: per-coordinate learning rates from the sum of squared gradients (Duchi et al.)."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonnegative, _new_step

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as PyTorch computes it. At step ``t``, for each parameter ``p`` with ``grad``::

        g = grad (or -grad when maximize) + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                                  (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    Example:
        >>> import chainrule
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = chainrule.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        _check_nonnegative(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch makes Adagrad's state up front
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict) -> dict:
        init = np.full_like(p.data, group["initial_accumulator_value"])
        self.state[p] = {"step": _new_step(), "sum": Tensor(init)}
        return self.state[p]

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad.data if group["maximize"] else p.grad.data
                state = self.state[p] or self._init_state(p, group)
                state["step"].data += 1
                t = float(state["step"].data)
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p.data
                clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
                s = state["sum"].data
                np.add(s, g * g, out=s)
                np.subtract(p.data, clr * g / (np.sqrt(s) + group["eps"]), out=p.data)
                p._bump_version()
        return loss
