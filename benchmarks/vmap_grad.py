"""Per-example gradients: vmap(grad(loss)) against a Python loop of grad, batch of 128.

Two losses for ONE example, with the parameters shared by the batch (``in_dims=(None, 0, 0)``):
the per-example gradient that DP-SGD and influence functions need.

- ``methods``: a two-layer tanh MLP written with Tensor methods, cross-entropy on one-hot
  targets.
- ``nn``: an ``nn.Sequential`` of Linear/ReLU/Linear called through
  ``func.functional_call(model, params, x)``, with ``F.cross_entropy`` on one-hot targets
  (probabilities; class-index targets are read in NumPy by F.cross_entropy, so vmap runs those
  once per example).

The loop calls ``grad(loss)`` once per example; vmap runs the loss and its backward once on
the whole batch. torch.func.vmap(torch.func.grad(...)) is the reference. float32, one thread
for torch.
"""

from __future__ import annotations

import numpy as np
from _common import load_torch, median, row, timed

BATCH, IN, HIDDEN, OUT = 128, 32, 64, 10


def _loss(params, x, target):
    w1, b1, w2, b2 = params
    logits = (x @ w1 + b1).tanh() @ w2 + b2
    return -(logits.log_softmax(-1) * target).sum()


def _nn_loss(lib, F, model):
    def loss(params, x, target):
        logits = lib.func.functional_call(model, params, (x.unsqueeze(0),))
        return F.cross_entropy(logits, target.unsqueeze(0))

    return loss


def _sequential(nn, data: dict):
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    names = ("0.weight", "0.bias", "2.weight", "2.bias")
    arrays = (data["params"][0].T, data["params"][1], data["params"][2].T, data["params"][3])
    return model, names, arrays


def _fns(lib, F, nn, data: dict, vmap, grad) -> dict:
    """(variant, kind) -> a function computing the per-example gradients."""
    params = tuple(lib.tensor(p) for p in data["params"])
    xs, targets = lib.tensor(data["x"]), lib.tensor(data["target"])
    model, names, arrays = _sequential(nn, data)
    nn_params = {k: lib.tensor(np.ascontiguousarray(a)) for k, a in zip(names, arrays,
                                                                          strict=True)}
    out = {}
    for variant, loss, p in (("methods", _loss, params),
                             ("nn", _nn_loss(lib, F, model), nn_params)):
        per_example = grad(loss)
        out[(variant, "vmap")] = (lambda pe=per_example, p=p:
                                  vmap(pe, in_dims=(None, 0, 0))(p, xs, targets))
        out[(variant, "loop")] = (lambda pe=per_example, p=p:
                                  [pe(p, xs[i], targets[i]) for i in range(BATCH)])
    return out


def _chainrule_fns(data: dict) -> dict:
    import chainrule
    import chainrule.nn as nn
    import chainrule.nn.functional as F
    from chainrule.func import grad, vmap

    return _fns(chainrule, F, nn, data, vmap, grad)


def _torch_fns(torch, data: dict) -> dict:
    import torch.func  # noqa: F401

    return _fns(torch, torch.nn.functional, torch.nn, data, torch.func.vmap, torch.func.grad)


def _check(vectorised, loop) -> None:
    """The vmapped gradients equal the loop's (so the timing compares equal work)."""
    stacked, looped = vectorised(), loop()
    keys = list(stacked) if isinstance(stacked, dict) else range(len(stacked))
    for j in keys:
        expected = np.stack([np.asarray(example[j].detach()) for example in looped])
        np.testing.assert_allclose(np.asarray(stacked[j].detach()), expected, rtol=1e-4,
                                   atol=1e-6)


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
    fns = {("chainrule", *k): fn for k, fn in _chainrule_fns(data).items()}
    for variant in ("methods", "nn"):
        _check(fns[("chainrule", variant, "vmap")], fns[("chainrule", variant, "loop")])
    torch = load_torch()
    if torch is not None:
        fns.update({("torch", *k): fn for k, fn in _torch_fns(torch, data).items()})
    for fn in fns.values():  # warm-up
        fn()
    samples: dict = {key: [] for key in fns}
    for _ in range(repeat):
        for key, fn in fns.items():  # alternate: every variant sees the same machine state
            samples[key].append(1e3 * timed(fn)[0])
    med = {key: median(s) for key, s in samples.items()}
    rows, notes = [], []
    for variant in ("methods", "nn"):
        ours = {k: med[("chainrule", variant, k)] for k in ("vmap", "loop")}
        theirs = {k: med.get(("torch", variant, k)) for k in ("vmap", "loop")}
        speedup = ours["loop"] / ours["vmap"]
        torch_speedup = theirs["loop"] / theirs["vmap"] if torch is not None else None
        rows += [row(f"{variant}: vmap(grad) per batch", "ms", ours["vmap"], theirs["vmap"]),
                 row(f"{variant}: loop of grad per batch", "ms", ours["loop"], theirs["loop"]),
                 row(f"{variant}: loop / vmap speedup", "x", speedup, torch_speedup)]
        notes.append(f"{variant}: vmap {speedup:.1f}x faster than the loop"
                     + (f" (torch.func: {torch_speedup:.1f}x)" if torch_speedup else ""))
    return {
        "workload": "vmap_grad",
        "rows": rows,
        "notes": f"per-example gradients of a {IN}-{HIDDEN}-{OUT} MLP, batch {BATCH}, float32, "
        f"median of {repeat}; " + "; ".join(notes),
    }


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    result = run()
    for r in result["rows"]:
        print(r)
    print(result["notes"])
