"""Adam: adaptive moment estimation (Kingma & Ba, 2015), with the AMSGrad variant."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, ParamsT, _check_nonnegative, _lerp_, _new_step, _zeros_like

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as PyTorch computes it. At step ``t``, for each parameter ``p`` with ``grad``::

        g = grad (or -grad when maximize) + weight_decay * p
            (with decoupled_weight_decay, instead p = p * (1 - lr * weight_decay) and g = grad)
        m = m + (1 - beta1) * (g - m)                       first moment
        v = beta2 * v + (1 - beta2) * g * g                 second moment
        v_max = max(v_max, v)                               (amsgrad; then v_max replaces v)
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        p = p - lr / (1 - beta1**t) * m / denom

    Example:
        >>> import chainrule
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = chainrule.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_nonnegative(lr=lr, eps=eps, weight_decay=weight_decay)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad.data if group["maximize"] else p.grad.data
                state = self.state[p]
                if not state:
                    state["step"], state["exp_avg"] = _new_step(), _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                state["step"].data += 1
                t = float(state["step"].data)
                if weight_decay != 0 and group["decoupled_weight_decay"]:
                    np.multiply(p.data, 1 - lr * weight_decay, out=p.data)
                elif weight_decay != 0:
                    g = g + weight_decay * p.data
                m, v = state["exp_avg"].data, state["exp_avg_sq"].data
                _lerp_(m, g, 1 - beta1)
                np.multiply(v, beta2, out=v)
                np.add(v, (1 - beta2) * g * g, out=v)
                if group["amsgrad"]:
                    v = np.maximum(
                        state["max_exp_avg_sq"].data, v, out=state["max_exp_avg_sq"].data
                    )
                denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
                np.subtract(p.data, lr / (1 - beta1**t) * m / denom, out=p.data)
                p._bump_version()
        return loss
