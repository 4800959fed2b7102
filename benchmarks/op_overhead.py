"""Per-op overhead: a chain of 100 small elementwise ops (10 float32s), forward and backward.

With tensors this small the arithmetic is free, so the figure is the cost of one recorded op:
the Python wrapper, graph bookkeeping and, in backward, one node of the engine. chainrule and
torch run alternately in the same process; each repeat times ``CALLS`` chains after a warm-up.
"""

from __future__ import annotations

import numpy as np
from _common import load_torch, median, row, timed

OPS = 100  # per chain: 20 rounds of add, mul, sub, div, neg
CALLS = 50  # chains timed per repeat
SIZE = 10
METRICS = ("forward", "backward", "forward cpu", "backward cpu")


def _chain(x, w):
    y = x
    for _ in range(OPS // 5):
        y = y + w
        y = y * w
        y = y - w
        y = y / w
        y = -y
    return y


def _measure(x, w, seed) -> dict:
    """Microseconds per op, wall and CPU, for the forward and the backward of CALLS chains."""
    outs = []
    fwd_wall, fwd_cpu = timed(lambda: outs.extend(_chain(x, w) for _ in range(CALLS)))
    bwd_wall, bwd_cpu = timed(lambda: [y.backward(seed) for y in outs])
    x.grad = w.grad = None
    scale = 1e6 / (CALLS * OPS)
    values = (fwd_wall, bwd_wall, fwd_cpu, bwd_cpu)
    return {metric: t * scale for metric, t in zip(METRICS, values, strict=True)}


def _inputs(lib, x, w) -> tuple:
    return (lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.ones(SIZE))


def run(repeat: int = 5) -> dict:
    import chainrule

    torch = load_torch()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SIZE).astype(np.float32)
    w = (1 + 0.1 * rng.random(SIZE)).astype(np.float32)  # near 1: values stay bounded
    libs = {"chainrule": _inputs(chainrule, x, w)}
    if torch is not None:
        libs["torch"] = _inputs(torch, x, w)
    for args in libs.values():  # warm-up
        _measure(*args)
    samples: dict = {name: [] for name in libs}
    for _ in range(repeat):
        for name, args in libs.items():  # alternate: both see the same machine state
            samples[name].append(_measure(*args))

    def med(name: str, metric: str) -> float | None:
        return median([s[metric] for s in samples[name]]) if name in samples else None

    rows = [row(f"{m} per op", "us", med("chainrule", m), med("torch", m)) for m in METRICS]
    return {
        "workload": "op_overhead",
        "rows": rows,
        "notes": f"chain of {OPS} ops on {SIZE} float32, {CALLS} chains per repeat, "
        f"median of {repeat}",
    }
