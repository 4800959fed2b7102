"""Per-example gradients: vmap(grad(loss)) against a Python loop of grad, batch of 128.

The loss is a two-layer tanh MLP's cross-entropy (one-hot targets) for ONE example, with the
parameters shared by the batch (``in_dims=(None, 0, 0)``): the per-example gradient that
DP-SGD and influence functions need. The loop calls ``grad(loss)`` once per example; vmap runs
the loss and its backward once on the whole batch. torch.func.vmap(torch.func.grad(...)) is
the reference. float32, one thread for torch.
"""

from __future__ import annotations

import numpy as np
from _common import load_torch, median, row, timed

BATCH, IN, HIDDEN, OUT = 128, 32, 64, 10


def _loss(params, x, target):
    w1, b1, w2, b2 = params
    logits = (x @ w1 + b1).tanh() @ w2 + b2
    return -(logits.log_softmax(-1) * target).sum()


def _chainrule_fns(data: dict) -> tuple:
    import chainrule
    from chainrule.func import grad, vmap

    params = tuple(chainrule.tensor(p) for p in data["params"])
    xs, targets = chainrule.tensor(data["x"]), chainrule.tensor(data["target"])
    per_example = grad(_loss)
    note = "chainrule.func.grad"
    try:
        vmap(per_example, in_dims=(None, 0, 0))(params, xs[:2], targets[:2])
    except RuntimeError:  # func.grad does not see through vmap's batches yet
        per_example, note = _bridge_grad(), "func.vmap._batched_grad (func.grad cannot see " \
                                             "through vmap yet)"

    def vectorised():
        return vmap(per_example, in_dims=(None, 0, 0))(params, xs, targets)

    def loop():
        return [grad(_loss)(params, xs[i], targets[i]) for i in range(BATCH)]

    return vectorised, loop, note


def _bridge_grad():
    """grad(_loss) w.r.t. the parameters through the bridge func.grad uses inside vmap."""
    from chainrule.autograd import enable_grad
    from chainrule.func.vmap import _batched_grad

    def per_example(params, x, target):
        fresh = tuple(p.detach().requires_grad_() for p in params)
        with enable_grad():
            return _batched_grad(_loss(fresh, x, target), fresh)

    return per_example


def _torch_fns(torch, data: dict) -> tuple:
    params = tuple(torch.tensor(p) for p in data["params"])
    xs, targets = torch.tensor(data["x"]), torch.tensor(data["target"])
    per_example = torch.func.grad(_loss)

    def vectorised():
        return torch.func.vmap(per_example, in_dims=(None, 0, 0))(params, xs, targets)

    def loop():
        return [per_example(params, xs[i], targets[i]) for i in range(BATCH)]

    return vectorised, loop


def _check(vectorised, loop) -> None:
    """The vmapped gradients equal the loop's (so the timing compares equal work)."""
    stacked, looped = vectorised(), loop()
    for j, g in enumerate(stacked):
        expected = np.stack([np.asarray(example[j].detach()) for example in looped])
        np.testing.assert_allclose(np.asarray(g.detach()), expected, rtol=1e-4, atol=1e-6)


def run(repeat: int = 5) -> dict:
    rng = np.random.default_rng(0)
    f32 = np.float32
    data = {
        "params": [(rng.standard_normal((IN, HIDDEN)) / IN**0.5).astype(f32),
                   np.zeros(HIDDEN, f32),
                   (rng.standard_normal((HIDDEN, OUT)) / HIDDEN**0.5).astype(f32),
                   np.zeros(OUT, f32)],
        "x": rng.standard_normal((BATCH, IN)).astype(f32),
        "target": np.eye(OUT, dtype=f32)[rng.integers(0, OUT, BATCH)],
    }
    vectorised, loop, note = _chainrule_fns(data)
    _check(vectorised, loop)
    fns = {("chainrule", "vmap"): vectorised, ("chainrule", "loop"): loop}
    torch = load_torch()
    if torch is not None:
        fns[("torch", "vmap")], fns[("torch", "loop")] = _torch_fns(torch, data)
    for fn in fns.values():  # warm-up
        fn()
    samples: dict = {key: [] for key in fns}
    for _ in range(repeat):
        for key, fn in fns.items():  # alternate: every variant sees the same machine state
            samples[key].append(1e3 * timed(fn)[0])
    med = {key: median(s) for key, s in samples.items()}
    theirs = {kind: med.get(("torch", kind)) for kind in ("vmap", "loop")}
    ours_speedup = med[("chainrule", "loop")] / med[("chainrule", "vmap")]
    torch_speedup = theirs["loop"] / theirs["vmap"] if torch is not None else None
    rows = [
        row("vmap(grad) per batch", "ms", med[("chainrule", "vmap")], theirs["vmap"]),
        row("loop of grad per batch", "ms", med[("chainrule", "loop")], theirs["loop"]),
        row("loop / vmap speedup", "x", ours_speedup, torch_speedup),
    ]
    return {
        "workload": "vmap_grad",
        "rows": rows,
        "notes": f"per-example gradients of a {IN}-{HIDDEN}-{OUT} tanh MLP, batch {BATCH}, "
        f"float32, median of {repeat}; vmap is {ours_speedup:.1f}x faster than the loop "
        f"(torch.func: {torch_speedup:.1f}x); grad through {note}"
        if torch_speedup else f"vmap {ours_speedup:.1f}x faster than the loop; grad: {note}",
    }


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    result = run()
    for r in result["rows"]:
        print(r)
    print(result["notes"])
