"""SGD: stochastic gradient descent with optional momentum, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonnegative

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent, as PyTorch computes it. For each parameter ``p`` with gradient ``grad``::

        g = grad (or -grad when maximize) + weight_decay * p
        buf = g                                       on the first step
        buf = momentum * buf + (1 - dampening) * g    afterwards         (when momentum != 0)
        d = g + momentum * buf if nesterov else buf                      (d = g when momentum == 0)
        p = p - lr * d

    Example:
        >>> import chainrule
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = chainrule.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_nonnegative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad.data if group["maximize"] else p.grad.data
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p.data
                if momentum != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = state["momentum_buffer"] = Tensor(np.array(g, copy=True))
                        buf = buf.data
                    else:
                        buf = state["momentum_buffer"].data
                        np.multiply(buf, momentum, out=buf)
                        np.add(buf, (1 - dampening) * g, out=buf)
                    g = g + momentum * buf if group["nesterov"] else buf
                np.subtract(p.data, lr * g, out=p.data)
                p._bump_version()
        return loss
