"""Run benchmark workloads and print medians beside PyTorch's, with the ratio.

    python benchmarks/run.py --workload op_overhead --repeat 5 --json results.json

ratio = chainrule / torch: below 1 means chainrule is faster (or smaller). torch runs on one
thread (``torch.set_num_threads(1)``), as chainrule does.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys

WORKLOADS = ["op_overhead", "deep_chain", "mlp_step", "cnn_step", "conv_large", "lstm_step",
             "attention_step", "checkpoint_memory", "train_memory", "maml_step", "vmap_grad"]


def _environment() -> dict:
    import numpy

    env = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": None,
    }
    from _common import load_torch

    torch = load_torch()
    if torch is not None:
        env["torch"] = torch.__version__
        env["torch_threads"] = torch.get_num_threads()
    return env


def _print(result: dict) -> None:
    print(f"\n{result['workload']}: {result['notes']}")
    print(f"  {'metric':<28}{'chainrule':>12}{'torch':>12}{'ratio':>9}")
    for r in result["rows"]:
        theirs = f"{r['torch']:.3f}" if r["torch"] is not None else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        metric = f"{r['metric']} [{r['unit']}]"
        print(f"  {metric:<28}{r['chainrule']:>12.3f}{theirs:>12}{ratio:>9}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=5, help="measurements per median")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    env = _environment()
    print("environment: " + ", ".join(f"{k}={v}" for k, v in env.items()))
    results = []
    for name in WORKLOADS if args.workload == "all" else [args.workload]:
        result = importlib.import_module(name).run(args.repeat)
        _print(result)
        results.append(result)
    report = {"environment": env, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
