"""Run the same small problem through a chainrule optimizer and its PyTorch twin.

The problem: least squares with a broadcast bias, ``loss = sum((x * w + b - y) ** 2)``, on fixed
data. Gradients come from each library's own autograd, so the comparison covers the whole step.
"""

import numpy as np

import chainrule


def problem(rng, dtype=np.float64):
    """Data and starting parameters: x (5, 4), y (5, 4), w (4,), b (1,)."""
    x, y = rng.normal(size=(5, 4)).astype(dtype), rng.normal(size=(5, 4)).astype(dtype)
    w, b = rng.normal(size=4).astype(dtype), rng.normal(size=1).astype(dtype)
    return x, y, w, b


def chainrule_trajectory(opt_cls, kwargs, data, steps=20, groups=None):
    """The parameters after each of `steps` steps, as NumPy arrays."""
    x, y, w0, b0 = data
    w = chainrule.Tensor(w0.copy(), requires_grad=True)
    b = chainrule.Tensor(b0.copy(), requires_grad=True)
    params = (
        [w, b] if groups is None else [{"params": [w], **groups[0]}, {"params": [b], **groups[1]}]
    )
    opt = opt_cls(params, **kwargs)
    xs, ys = chainrule.Tensor(x), chainrule.Tensor(y)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ((xs * w + b - ys) ** 2).sum().backward()
        opt.step()
        out.append((w.data.copy(), b.data.copy()))
    return out


def torch_trajectory(name, kwargs, data, steps=20, groups=None):
    """The same as :func:`chainrule_trajectory` with ``torch.optim.<name>``."""
    import torch

    x, y, w0, b0 = (torch.from_numpy(a.copy()) for a in data)
    w, b = w0.requires_grad_(), b0.requires_grad_()
    params = (
        [w, b] if groups is None else [{"params": [w], **groups[0]}, {"params": [b], **groups[1]}]
    )
    opt = getattr(torch.optim, name)(params, **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ((x * w + b - y) ** 2).sum().backward()
        opt.step()
        out.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return out


def assert_same_trajectory(got, want, rtol=1e-10, atol=1e-12):
    for step, ((gw, gb), (ww, wb)) in enumerate(zip(got, want, strict=True)):
        assert gw.dtype == ww.dtype and gb.dtype == wb.dtype
        np.testing.assert_allclose(gw, ww, rtol=rtol, atol=atol, err_msg=f"w after step {step + 1}")
        np.testing.assert_allclose(gb, wb, rtol=rtol, atol=atol, err_msg=f"b after step {step + 1}")
