"""The MAML example: its meta-gradient, its first-order variant, and a short run."""

import numpy as np
import pytest

import chainrule
from chainrule import autograd
from chainrule.examples import maml_sinusoid as maml


def _tiny(rng):
    """Per-task parameters of a 1-3-1 network for 2 tasks, float64, and 2 tasks' points."""
    shapes = [(3, 1), (3,), (1, 3), (1,)]
    params = [chainrule.tensor(rng.standard_normal(s), dtype=chainrule.float64,
                               requires_grad=True) for s in shapes]
    x = rng.uniform(-2, 2, (2, 4, 1))
    y = np.sin(x)
    as_t = lambda a: chainrule.tensor(a, dtype=chainrule.float64)  # noqa: E731
    return params, as_t(x), as_t(y), as_t(x + 0.5), as_t(np.sin(x + 0.5))


def _meta_loss(params, x, y, x_test, y_test, lr=0.3, first_order=False):
    per_task = [p.unsqueeze(0).expand(2, *p.shape) for p in params]
    adapted = maml.adapt(per_task, x, y, steps=1, lr=lr, create_graph=not first_order)
    return maml._task_losses(adapted, x_test, y_test).mean()


def _numeric_meta_grad(params, data, eps=1e-6):
    """Central differences of the post-adaptation loss, each parameter entry in turn."""
    grads = []
    for p in params:
        g = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            old = p.data[i]
            p.data[i] = old + eps  # the array itself: the adaptation needs autograd on
            up = _meta_loss(params, *data).item()
            p.data[i] = old - eps
            down = _meta_loss(params, *data).item()
            p.data[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def test_meta_gradient_equals_finite_differences_of_the_adapted_loss(rng):
    params, *data = _tiny(rng)
    grads = autograd.grad(_meta_loss(params, *data), params)
    for got, want in zip(grads, _numeric_meta_grad(params, data), strict=True):
        np.testing.assert_allclose(got.data, want, rtol=1e-5, atol=1e-7)


def test_first_order_meta_gradient_ignores_the_inner_hessian(rng):
    params, *data = _tiny(rng)
    first = autograd.grad(_meta_loss(params, *data, first_order=True), params)
    second = autograd.grad(_meta_loss(params, *data), params)
    # First order: the gradient of the test loss at the adapted parameters, summed over tasks
    # (the copies are expanded from the same parameters).
    per_task = [p.unsqueeze(0).expand(2, *p.shape) for p in params]
    grads = autograd.grad(maml._task_losses(per_task, *data[:2]).sum(), per_task)
    adapted = [(p - 0.3 * g).detach().requires_grad_() for p, g in zip(per_task, grads)]
    direct = autograd.grad(maml._task_losses(adapted, *data[2:]).mean(), adapted)
    for f, d in zip(first, direct, strict=True):
        np.testing.assert_allclose(f.data, d.data.sum(axis=0), rtol=1e-10)
    assert any(not np.allclose(f.data, s.data) for f, s in zip(first, second, strict=True))


def test_forward_is_one_network_per_task(rng):
    params, x, *_ = _tiny(rng)
    per_task = [p.unsqueeze(0).expand(2, *p.shape) for p in params]
    out = maml.forward(per_task, x)
    w1, b1, w2, b2 = (p.data for p in params)
    want = np.maximum(x.data @ w1.T + b1, 0) @ w2.T + b2
    np.testing.assert_allclose(out.data, want, rtol=1e-12)


def test_maml_matches_torch_on_one_meta_step(rng):
    torch = pytest.importorskip("torch")
    params, *data = _tiny(rng)
    ours = autograd.grad(_meta_loss(params, *data), params)
    theirs_params = [torch.tensor(p.data, requires_grad=True) for p in params]
    x, y, x_test, y_test = (torch.tensor(d.data) for d in data)

    def net(ps, inp):
        h = torch.relu(inp @ ps[0].mT + ps[1].unsqueeze(1))
        return h @ ps[2].mT + ps[3].unsqueeze(1)

    per_task = [p.unsqueeze(0).expand(2, *p.shape) for p in theirs_params]
    loss = ((net(per_task, x) - y) ** 2).mean(dim=(1, 2)).sum()
    grads = torch.autograd.grad(loss, per_task, create_graph=True)
    adapted = [p - 0.3 * g for p, g in zip(per_task, grads)]
    meta = ((net(adapted, x_test) - y_test) ** 2).mean(dim=(1, 2)).mean()
    want = torch.autograd.grad(meta, theirs_params)
    for got, w in zip(ours, want, strict=True):
        np.testing.assert_allclose(got.data, w.numpy(), rtol=1e-9, atol=1e-12)


def test_quick_run_learns_and_beats_chance(capsys):
    results = maml.run(["--quick", "--no-progress", "--figure", "", "--seed", "3"])
    out = capsys.readouterr().out
    assert "MAML" in out and "pretrained" in out
    # The variance of A sin(x - phase) over tasks is E[A^2]/2 ~ 4.2: a network that learnt
    # nothing scores about that; 200 meta-iterations already do clearly better.
    mean_after_10, ci = results["MAML"][10]
    assert mean_after_10 < 3.5 and ci > 0
    assert results["MAML"][10][0] <= results["MAML"][1][0] + 0.1
