"""What every workload shares: optional torch with one thread, and timing by median."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable

import numpy as np


def load_torch():
    """torch limited to one thread (chainrule runs on one core), or None if not installed."""
    try:
        import torch
    except ImportError:
        return None
    # Importing torch leaves ~150,000 objects for Python's cyclic GC, which then walks them in
    # every full collection: chainrule's per-op cost in this process rose from 2.9 to 15 us.
    # Freezing what the imports made (as a long-running program's start-up state) measures
    # each library as it runs alone.
    gc.freeze()
    torch.set_num_threads(1)
    return torch


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Seconds one call of ``fn`` takes: wall clock, and this process's CPU time.

    CPU time is the steadier figure on a shared machine (it does not count waiting for a core).
    """
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def median(values: list[float]) -> float:
    return statistics.median(values)


def row(metric: str, unit: str, ours: float, theirs: float | None) -> dict:
    """One line of a workload's table: chainrule's median, torch's, and their ratio."""
    return {
        "metric": metric,
        "unit": unit,
        "chainrule": ours,
        "torch": theirs,
        "ratio": ours / theirs if theirs else None,
    }


def blas_threads() -> int:
    """Threads NumPy's BLAS uses: the usual environment variables, else every core.

    The training-step workloads give torch the same count, so both do the same BLAS work on the
    same cores. Set ``OPENBLAS_NUM_THREADS=1`` (before starting Python) for one-core figures.
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``logits`` (N, C) against int ``labels``, and its gradient.

    d loss / d logits = (softmax(logits) - onehot(labels)) / N, by hand: the NumPy floors'
    shared last layer.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    n = len(labels)
    loss = float(np.mean(np.log(total[:, 0]) - shifted[np.arange(n), labels]))
    grad = exp / total
    grad[np.arange(n), labels] -= 1
    return loss, grad / np.float32(n)


def time_steps(steps: dict[str, Callable[[], object]], repeat: int, calls: int) -> dict:
    """Median milliseconds per call of each step function, wall and CPU.

    One warm-up round, then ``repeat`` rounds in which the functions take turns (each timed over
    ``calls`` calls), so every library sees the same machine state.
    """
    def one_round(fn):
        return timed(lambda: [fn() for _ in range(calls)])

    for fn in steps.values():
        one_round(fn)
    samples: dict = {name: [] for name in steps}
    for _ in range(repeat):
        for name, fn in steps.items():
            samples[name].append(one_round(fn))
    return {
        name: {"wall": 1e3 * median([w for w, _ in s]) / calls,
               "cpu": 1e3 * median([c for _, c in s]) / calls}
        for name, s in samples.items()
    }


def step_result(workload: str, notes: str, medians: dict) -> dict:
    """The rows of a training-step workload: chainrule beside torch, with the NumPy floor.

    The floor (the same float32 BLAS work with a hand-written backward, no autograd) goes in
    each row as ``numpy`` and ``numpy_ratio`` (chainrule / floor) and into the printed notes.
    """
    rows = []
    for kind in ("wall", "cpu"):
        torch_ms = medians["torch"][kind] if "torch" in medians else None
        metric = "step" if kind == "wall" else "step cpu"
        r = row(metric, "ms", medians["chainrule"][kind], torch_ms)
        r["numpy"] = medians["numpy"][kind]
        r["numpy_ratio"] = r["chainrule"] / r["numpy"]
        rows.append(r)
    floor = ", ".join(f"{r['metric']} {r['numpy']:.3f} ms (chainrule/NumPy "
                      f"{r['numpy_ratio']:.2f})" for r in rows)
    return {"workload": workload, "rows": rows, "notes": f"{notes}; NumPy floor: {floor}"}


def sgd_library_step(lib, net, params: dict, x: np.ndarray, y: np.ndarray, lr: float,
                     loss: Callable) -> Callable[[], None]:
    """One SGD step of ``net`` (built with ``lib.nn``, loaded with ``params``) on
    ``loss(lib, net(x), y)``: the same closure for chainrule and torch."""
    net.load_state_dict({name: lib.tensor(value) for name, value in params.items()})
    opt = lib.optim.SGD(net.parameters(), lr=lr)
    x_t, y_t = lib.tensor(x), lib.tensor(y)

    def step():
        opt.zero_grad()
        loss(lib, net(x_t), y_t).backward()
        opt.step()

    return step


def sgd_numpy_step(loss_and_grads: Callable, params: dict, x: np.ndarray, y: np.ndarray,
                   lr: float) -> Callable[[], None]:
    """The floor's SGD step: the hand-derived gradients, applied in place."""
    def step():
        _, grads = loss_and_grads(params, x, y)
        for name, grad in grads.items():
            params[name] -= np.float32(lr) * grad

    return step


def training_workload(name: str, notes: str, bench, repeat: int, loss: Callable) -> dict:
    """Time chainrule, the NumPy floor and torch on one training step of ``bench`` (a workload
    module with init_params, inputs, numpy_loss_and_grads, model, LR and CALLS)."""
    import chainrule

    rng = np.random.default_rng(0)
    params, (x, y) = bench.init_params(rng), bench.inputs(rng)
    steps = {
        "chainrule": sgd_library_step(chainrule, bench.model(chainrule.nn), params, x, y,
                                      bench.LR, loss),
        "numpy": sgd_numpy_step(bench.numpy_loss_and_grads,
                                {k: v.copy() for k, v in params.items()}, x, y, bench.LR),
    }
    torch = load_torch()
    if torch is not None:
        torch.set_num_threads(blas_threads())
        steps["torch"] = sgd_library_step(torch, bench.model(torch.nn), params, x, y, bench.LR,
                                          loss)
    medians = time_steps(steps, repeat, bench.CALLS)
    if torch is not None:
        torch.set_num_threads(1)
    return step_result(name, f"{notes}, forward + backward + SGD step, {blas_threads()} BLAS "
                       f"threads, median of {repeat} x {bench.CALLS}", medians)


def cross_entropy(lib, logits, labels):
    return lib.nn.functional.cross_entropy(logits, labels)
