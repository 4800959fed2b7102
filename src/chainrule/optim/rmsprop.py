"""RMSprop: divide the gradient by a running root mean square of its recent values (Hinton)."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, ParamsT, _check_nonnegative, _lerp_, _new_step, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as PyTorch computes it. For each parameter ``p`` with gradient ``grad``::

        g = grad (or -grad when maximize) + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g                    running mean of squares
        g_avg = g_avg + (1 - alpha) * (g - g_avg)              (centered; then v - g_avg**2
                                                                replaces v below)
        avg = sqrt(v) + eps
        buf = momentum * buf + g / avg,  p = p - lr * buf      (momentum > 0)
        p = p - lr * g / avg                                   (momentum == 0)

    Example:
        >>> import chainrule
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = chainrule.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_nonnegative(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum
        )
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad.data if group["maximize"] else p.grad.data
                state = self.state[p]
                if not state:
                    state["step"], state["square_avg"] = _new_step(), _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = _zeros_like(p)
                state["step"].data += 1
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p.data
                v = state["square_avg"].data
                np.multiply(v, alpha, out=v)
                np.add(v, (1 - alpha) * g * g, out=v)
                if group["centered"]:
                    g_avg = _lerp_(state["grad_avg"].data, g, 1 - alpha)
                    v = v + -1 * g_avg * g_avg
                avg = np.sqrt(v) + group["eps"]
                if momentum > 0:
                    buf = state["momentum_buffer"].data
                    np.multiply(buf, momentum, out=buf)
                    np.add(buf, g / avg, out=buf)
                    np.subtract(p.data, lr * buf, out=p.data)
                else:
                    np.subtract(p.data, lr * g / avg, out=p.data)
                p._bump_version()
        return loss
