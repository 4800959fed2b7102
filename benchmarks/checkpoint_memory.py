"""Peak memory of a deep MLP's forward + backward, with and without checkpoint_sequential.

    python benchmarks/checkpoint_memory.py --layers 32 --width 1024 --batch 256 --segments 8

Peak memory is what tracemalloc sees (NumPy reports its buffers to it) from the forward to the
end of the backward; the parameters exist before and are not counted, their gradients are.
Checkpointing keeps only each segment's input, and recomputes the segment in backward, so the
time goes up by about one forward. torch's CPU allocations are invisible to tracemalloc, so
there is no torch column.

"held after forward" is what checkpointing saves. Whether the peak drops too depends on what
dominates it: with the default shapes the 128 MiB of weight gradients do (the plain run frees
activations as fast as it allocates gradients); with activations larger than the weights
(``--width 512 --batch 2048``) the peak drops with them.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

from _common import median, row

MIB = 2**20


def _model(layers: int, width: int):
    import chainrule
    from chainrule import nn

    chainrule.manual_seed(0)
    blocks = []
    for _ in range(layers):
        blocks += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*blocks)


def _measure(model, x, segments: int | None) -> tuple[float, float, float]:
    """(MiB held when the forward returns, peak MiB, seconds) of one forward + backward;
    segments None: no checkpointing."""
    from chainrule.utils.checkpoint import checkpoint_sequential

    model.zero_grad()
    tracemalloc.start()
    start = time.perf_counter()
    if segments is None:
        out = model(x)
    else:
        out = checkpoint_sequential(model, segments, x, use_reentrant=False)
    held = tracemalloc.get_traced_memory()[0] / MIB
    out.sum().backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    return held, peak, seconds


def run(repeat: int = 1, layers: int = 32, width: int = 1024, batch: int = 256,
        segments: int = 8) -> dict:
    import chainrule

    model = _model(layers, width)
    x = chainrule.randn(batch, width)
    plain = [_measure(model, x, None) for _ in range(repeat)]
    ckpt = [_measure(model, x, segments) for _ in range(repeat)]
    rows = []
    for k, (metric, unit) in enumerate([("held after forward", "MiB"), ("peak", "MiB"),
                                        ("time", "s")]):
        ours, base = median([m[k] for m in ckpt]), median([m[k] for m in plain])
        rows += [row(f"{metric} plain", unit, base, None),
                 row(f"{metric} checkpointed", unit, ours, None),
                 row(f"{metric} ratio ckpt/plain", "x", ours / base, None)]
    params = sum(p.data.nbytes for p in model.parameters()) / MIB
    return {
        "workload": "checkpoint_memory",
        "rows": rows,
        "notes": f"MLP {layers} x Linear({width}, {width}) + ReLU, batch {batch} float32, "
        f"{segments} segments, median of {repeat}; tracemalloc: memory the graph holds after "
        f"the forward, and the peak of forward + backward (parameter gradients, "
        f"{params:.0f} MiB, included)",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=32)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    result = run(args.repeat, args.layers, args.width, args.batch, args.segments)
    print(result["notes"])
    for r in result["rows"]:
        print(f"  {r['metric'] + ' [' + r['unit'] + ']':<36}{r['chainrule']:>10.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
