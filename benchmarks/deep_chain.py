"""A chain of 1,000,000 ops, forward and backward: wall time, CPU time and peak memory.

Each measurement runs in a fresh child process, so its peak resident memory (ru_maxrss) counts
that graph alone: the growth over the child's peak after imports and warm-up.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

from _common import load_torch, median, row, timed

OPS = 1_000_000  # half `y * 1.0` (saves an input), half `y + 0.5`
SIZE = 10
PHASES = ("forward", "backward", "free")


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


def _child(name: str) -> dict:
    """Build, back-propagate and drop the chain once with `name`; report times and memory."""
    if name == "torch":
        lib = load_torch()
    else:
        import chainrule as lib
    x = lib.ones(SIZE, dtype=lib.float32, requires_grad=True)
    (x * 1.0 + 0.5).sum().backward()  # warm-up: first-call costs out of the figure
    base = _peak_mib()
    graph = {}

    def forward() -> None:
        y = x
        for _ in range(OPS // 2):
            y = y * 1.0
            y = y + 0.5
        graph["y"] = y

    times = [timed(forward), timed(lambda: graph["y"].sum().backward()), timed(graph.clear)]
    result = {"memory": _peak_mib() - base}
    for phase, (wall, cpu) in zip(PHASES, times, strict=True):
        result[phase], result[f"{phase} cpu"] = wall, cpu
    return result


def _spawn(name: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(repeat: int = 3) -> dict:
    names = ["chainrule"] + (["torch"] if load_torch() is not None else [])
    results: dict = {name: [] for name in names}
    for _ in range(repeat):
        for name in names:  # alternate
            results[name].append(_spawn(name))

    def med(name: str, key: str) -> float | None:
        return median([r[key] for r in results[name]]) if name in results else None

    metrics = [(p, "s") for p in PHASES] + [(f"{p} cpu", "s") for p in PHASES]
    rows = [
        row(f"{key} (1M ops)", unit, med("chainrule", key), med("torch", key))
        for key, unit in [*metrics, ("memory", "MiB")]
    ]
    return {
        "workload": "deep_chain",
        "rows": rows,
        "notes": f"{OPS:,} ops on {SIZE} float32, one child process per measurement, "
        f"median of {repeat}; memory = peak RSS growth",
    }


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    sys.setrecursionlimit(1000)  # the default: the engine must not need more
    print(json.dumps(_child(sys.argv[2])))
