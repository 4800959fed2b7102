"""Resident memory over a long training run: 10,000 SGD steps of mlp_step's MLP.

    python benchmarks/train_memory.py --steps 10000

Each library trains in a child process of its own (a fresh interpreter, so one library's
allocations do not count against the other), which reads its resident set size from
/proc/self/statm after step 100 (the warm-up: NumPy's and the allocator's pools are filled by
then) and after the last step. A graph, a gradient or a saved tensor kept alive by mistake
shows up as growth between the two.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np

WARMUP = 100  # the step after which the first reading is taken
MIB = 2**20


def _rss_mib() -> float:
    """This process's resident set size now (not the peak, which could only grow)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def _train(library: str, steps: int) -> dict:
    """In the child: ``steps`` SGD steps with ``library``; resident MiB after WARMUP and at the
    end."""
    import mlp_step
    from _common import blas_threads, cross_entropy, load_torch, sgd_library_step

    if library == "torch":
        lib = load_torch()
        lib.set_num_threads(blas_threads())
    else:
        import chainrule as lib
    rng = np.random.default_rng(0)
    params, (x, y) = mlp_step.init_params(rng), mlp_step.inputs(rng)
    step = sgd_library_step(lib, mlp_step.model(lib.nn), params, x, y, mlp_step.LR,
                            cross_entropy)
    after_warmup = None
    for i in range(1, steps + 1):
        step()
        if i == min(WARMUP, steps):
            after_warmup = _rss_mib()
    return {"after_warmup": after_warmup, "end": _rss_mib()}


def _child(library: str, steps: int) -> dict | None:
    """Run :func:`_train` in a fresh interpreter; None if the library is not installed."""
    if library == "torch" and importlib.util.find_spec("torch") is None:
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", library,
                          "--steps", str(steps)], cwd=here, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.splitlines()[-1])


def run(repeat: int = 1, steps: int = 10_000) -> dict:
    """``repeat`` is accepted for run.py and ignored: one long run per library is the figure."""
    from _common import row

    ours, theirs = _child("chainrule", steps), _child("torch", steps)
    rows = []
    for metric, key in ((f"rss after step {min(WARMUP, steps)}", "after_warmup"),
                        (f"rss after step {steps}", "end")):
        rows.append(row(metric, "MiB", ours[key], theirs[key] if theirs else None))
    growth = ours["end"] - ours["after_warmup"]
    theirs_growth = theirs["end"] - theirs["after_warmup"] if theirs else None
    rows.append(row("growth", "MiB", growth, theirs_growth))
    rows[-1]["ratio"] = None  # a ratio of two differences near zero means nothing
    return {"workload": "train_memory", "rows": rows,
            "notes": f"mlp_step's MLP, {steps} SGD steps in a child process per library, "
            f"resident memory from /proc/self/statm; growth = end - after step "
            f"{min(WARMUP, steps)}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--child", choices=["chainrule", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_train(args.child, args.steps)))
        return
    result = run(steps=args.steps)
    print(result["notes"])
    print(f"  {'metric':<28}{'chainrule':>12}{'torch':>12}")
    for r in result["rows"]:
        theirs = f"{r['torch']:.1f}" if r["torch"] is not None else "-"
        print(f"  {r['metric'] + ' [' + r['unit'] + ']':<28}{r['chainrule']:>12.1f}{theirs:>12}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
