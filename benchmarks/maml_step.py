"""One second-order MAML meta-step on sinusoid regression, chainrule beside PyTorch.

The example's network (1-40-40-1, ReLU), a meta-batch of 25 tasks with K = 10 points each, one
inner SGD step (step size 0.01) taken with ``create_graph=True``, the meta-loss on 10 fresh
points per task, backward through the inner step and an Adam step. Both libraries adapt the 25
tasks at once with batched matrix products (chainrule.examples.maml_sinusoid's scheme) on the
same data. No NumPy floor: a hand-written second-order backward is not a fair "floor" to write.
"""

from __future__ import annotations

import numpy as np
from _common import load_torch, row, time_steps

TASKS, K, INNER_LR = 25, 10, 0.01


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    amplitude = rng.uniform(0.1, 5.0, (TASKS, 1, 1))
    phase = rng.uniform(0, np.pi, (TASKS, 1, 1))
    x = rng.uniform(-5, 5, (2, TASKS, K, 1))
    y = amplitude * np.sin(x - phase)
    return [a.astype(np.float32) for a in (x[0], y[0], x[1], y[1])]


def _chainrule_step(data):
    import chainrule
    from chainrule.examples import maml_sinusoid as maml

    chainrule.manual_seed(0)
    model = maml.make_model()
    optimizer = chainrule.optim.Adam(model.parameters(), lr=1e-3)
    x, y, x_test, y_test = (chainrule.tensor(a) for a in data)

    def step():
        per_task = [p.unsqueeze(0).expand(TASKS, *p.shape) for p in model.parameters()]
        adapted = maml.adapt(per_task, x, y, 1, INNER_LR, create_graph=True)
        loss = maml._task_losses(adapted, x_test, y_test).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def _torch_step(torch, data):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(1, 40), torch.nn.ReLU(), torch.nn.Linear(40, 40),
                                torch.nn.ReLU(), torch.nn.Linear(40, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y, x_test, y_test = (torch.tensor(a) for a in data)

    def net(params, h):
        for i in range(0, len(params), 2):
            h = h @ params[i].mT + params[i + 1].unsqueeze(1)
            if i < len(params) - 2:
                h = torch.relu(h)
        return h

    def losses(params, inp, target):
        return ((net(params, inp) - target) ** 2).mean(dim=(1, 2))

    def step():
        per_task = [p.unsqueeze(0).expand(TASKS, *p.shape) for p in model.parameters()]
        grads = torch.autograd.grad(losses(per_task, x, y).sum(), per_task, create_graph=True)
        adapted = [p - INNER_LR * g for p, g in zip(per_task, grads, strict=True)]
        loss = losses(adapted, x_test, y_test).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def run(repeat: int = 5) -> dict:
    torch = load_torch()
    data = _data()
    steps = {"chainrule": _chainrule_step(data)}
    if torch is not None:
        steps["torch"] = _torch_step(torch, data)
    medians = time_steps(steps, repeat, calls=20)

    def theirs(kind):
        return medians["torch"][kind] if "torch" in medians else None

    rows = [row("meta-step", "ms", medians["chainrule"]["wall"], theirs("wall")),
            row("meta-step cpu", "ms", medians["chainrule"]["cpu"], theirs("cpu"))]
    return {"workload": "maml_step", "rows": rows,
            "notes": f"1-40-40-1 ReLU, {TASKS} tasks, K={K}, one second-order inner step, "
                     f"Adam; median of {repeat} rounds of 20 steps"}
