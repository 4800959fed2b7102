"""MAML on sinusoid regression (Finn, Abbeel and Levine, ICML 2017, section 5.1).

    python -m chainrule.examples.maml_sinusoid [--iterations 10000] [--k 10] [--inner-steps 1]
        [--first-order] [--seed 0] [--figure maml.png] [--quick]

Each task is ``y = A sin(x - phase)`` with A uniform in [0.1, 5.0], phase uniform in [0, pi] and
x uniform in [-5, 5]. The network has two hidden layers of 40 ReLU units. Meta-training takes,
for each of 25 tasks, one SGD step (step size 0.01) on K points, then scores the adapted
network on K fresh points of the same task; Adam (learning rate 0.001) minimises that score
with gradients taken *through* the inner step (second order, unless ``--first-order``). With
matplotlib installed it saves a figure: the training losses, and the adapted curves for a new
task beside the true sine and its K points.

The 25 tasks of a meta-batch are adapted at once: the parameters are expanded to one copy per
task, the per-task gradients are one ``autograd.grad`` of the summed loss with respect to those
copies (``create_graph=True``), and every layer is one batched matrix product. The inner step
is a pure function of the parameters, so the meta-gradient reaches them through it.

Evaluation: 600 fresh tasks, each fine-tuned on K points with the same step size, scored by the
MSE on 100 points spread over [-5, 5] after 1 and 10 steps: the mean with a 95 % confidence
interval, for MAML and for a baseline pretrained on all tasks jointly (the same network, trained
for as many iterations to predict y from x over random tasks).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence

import numpy as np

import chainrule
from chainrule import autograd, nn
from chainrule.examples._progress import progress_bar
from chainrule.optim import Adam

__all__ = ["SineTasks", "make_model", "forward", "adapt", "meta_step", "evaluate", "run", "main"]

META_BATCH, INNER_LR, META_LR = 25, 0.01, 1e-3
EVAL_TASKS, EVAL_POINTS = 600, 100


class SineTasks:
    """Draws sinusoid tasks and points from them with its own NumPy generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def sample(self, tasks: int) -> tuple[np.ndarray, np.ndarray]:
        """Amplitudes and phases, each of shape (tasks, 1, 1)."""
        amplitude = self.rng.uniform(0.1, 5.0, (tasks, 1, 1))
        phase = self.rng.uniform(0.0, math.pi, (tasks, 1, 1))
        return amplitude, phase

    def points(self, amplitude: np.ndarray, phase: np.ndarray, k: int):
        """K random (x, y) pairs per task, as float32 tensors of shape (tasks, k, 1)."""
        x = self.rng.uniform(-5.0, 5.0, (amplitude.shape[0], k, 1))
        return _pair(x, amplitude, phase)


def _pair(x: np.ndarray, amplitude: np.ndarray, phase: np.ndarray):
    y = amplitude * np.sin(x - phase)
    return chainrule.tensor(x, dtype=chainrule.float32), chainrule.tensor(y,
                                                                          dtype=chainrule.float32)


def make_model() -> nn.Sequential:
    """1 -> 40 -> 40 -> 1 with ReLU; PyTorch's default initialisation of Linear layers."""
    return nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(),
                         nn.Linear(40, 1))


def forward(params: Sequence[chainrule.Tensor], x: chainrule.Tensor) -> chainrule.Tensor:
    """The network as a pure function of per-task parameters.

    ``params`` alternates weights (tasks, out, in) and biases (tasks, out); ``x`` is
    (tasks, points, 1). Each layer is ``x @ W^T + b`` batched over tasks.
    """
    h = x
    layers = len(params) // 2
    for i in range(layers):
        weight, bias = params[2 * i], params[2 * i + 1]
        h = h @ weight.mT + bias.unsqueeze(1)
        if i < layers - 1:
            h = chainrule.relu(h)
    return h


def _per_task(model: nn.Module, tasks: int) -> list[chainrule.Tensor]:
    """The parameters expanded to one (shared-memory) copy per task."""
    return [p.unsqueeze(0).expand(tasks, *p.shape) for p in model.parameters()]


def _task_losses(params, x, y) -> chainrule.Tensor:
    """Mean squared error of each task, shape (tasks,)."""
    return ((forward(params, x) - y) ** 2).mean(dim=(1, 2))


def adapt(params, x, y, steps: int, lr: float = INNER_LR, create_graph: bool = True):
    """``steps`` SGD steps on each task's loss; the result is a function of ``params``.

    With ``create_graph=False`` (first-order MAML, or evaluation) the step's gradient is a
    constant, so nothing is differentiated through it.
    """
    for _ in range(steps):
        grads = autograd.grad(_task_losses(params, x, y).sum(), params, create_graph=create_graph)
        params = [p - lr * g for p, g in zip(params, grads, strict=True)]
    return params


def meta_step(model: nn.Module, optimizer, tasks: SineTasks, k: int, inner_steps: int,
              first_order: bool) -> float:
    """One meta-update on a fresh meta-batch; returns the mean post-adaptation loss."""
    amplitude, phase = tasks.sample(META_BATCH)
    x_train, y_train = tasks.points(amplitude, phase, k)
    x_test, y_test = tasks.points(amplitude, phase, k)
    adapted = adapt(_per_task(model, META_BATCH), x_train, y_train, inner_steps,
                    create_graph=not first_order)
    meta_loss = _task_losses(adapted, x_test, y_test).mean()
    optimizer.zero_grad()
    meta_loss.backward()
    optimizer.step()
    return meta_loss.item()


def pretrain_step(model: nn.Module, optimizer, tasks: SineTasks, k: int) -> float:
    """The baseline: one Adam step on the joint loss over a meta-batch of random tasks."""
    amplitude, phase = tasks.sample(META_BATCH)
    x, y = tasks.points(amplitude, phase, k)
    loss = _task_losses(_per_task(model, META_BATCH), x, y).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluate(model: nn.Module, k: int, steps: Sequence[int] = (1, 10), seed: int = 1,
             tasks: int = EVAL_TASKS) -> dict[int, tuple[float, float]]:
    """Mean MSE and the half-width of its 95 % interval after each number of ``steps``.

    Every model sees the same tasks and points for a given ``seed``.
    """
    sampler = SineTasks(seed)
    amplitude, phase = sampler.sample(tasks)
    x_train, y_train = sampler.points(amplitude, phase, k)
    grid = np.broadcast_to(np.linspace(-5, 5, EVAL_POINTS)[None, :, None], (tasks, EVAL_POINTS, 1))
    x_eval, y_eval = _pair(grid, amplitude, phase)
    results, params, done = {}, _per_task(model, tasks), 0
    for n in sorted(steps):
        params = adapt(params, x_train, y_train, n - done, create_graph=False)
        done = n
        with chainrule.no_grad():
            mse = _task_losses(params, x_eval, y_eval).data.astype(np.float64)
        results[n] = (float(mse.mean()), 1.96 * float(mse.std(ddof=1)) / math.sqrt(tasks))
    return results


def _train(model: nn.Module, step, iterations: int, desc: str, progress: bool) -> list[float]:
    """Adam on ``step``'s loss for ``iterations`` steps; returns the loss at every step."""
    optimizer = Adam(model.parameters(), lr=META_LR)
    bar = progress_bar(iterations, desc, progress)
    losses = []
    for i in range(iterations):
        losses.append(step(optimizer))
        if i % 50 == 0 or i == iterations - 1:
            bar.set_postfix(loss=losses[-1])
        bar.update(1)
    bar.close()
    return losses


def _figure(path: str, maml: nn.Module, baseline: nn.Module, k: int, seed: int,
            losses: dict[str, list[float]]) -> bool:
    """Left, the training losses; right, the adapted curves for one new task against the true
    sine and its K points."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install matplotlib)", file=sys.stderr)
        return False
    sampler = SineTasks(seed + 7)
    amplitude, phase = sampler.sample(1)
    x_k, y_k = sampler.points(amplitude, phase, k)
    grid = np.linspace(-5, 5, 200)[None, :, None]
    x_grid, y_grid = _pair(grid, amplitude, phase)
    fig, (curve, ax) = plt.subplots(1, 2, figsize=(12, 4))
    for name, values in losses.items():
        smooth = np.convolve(values, np.ones(50) / 50, mode="valid") if len(values) > 50 \
            else values
        curve.plot(smooth, label=name, linewidth=1)
    curve.set_yscale("log")
    curve.set_xlabel("iteration")
    curve.set_ylabel("loss (mean over the last 50)")
    curve.legend()
    ax.plot(grid.ravel(), y_grid.data.ravel(), "k-", label="true function")
    ax.plot(x_k.data.ravel(), y_k.data.ravel(), "k^", label=f"{k} points used for the step")
    for name, model, style in (("MAML", maml, "r-"), ("pretrained", baseline, "b--")):
        adapted = adapt(_per_task(model, 1), x_k, y_k, 1, create_graph=False)
        with chainrule.no_grad():
            ax.plot(grid.ravel(), forward(adapted, x_grid).data.ravel(), style,
                    label=f"{name}, after 1 step")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chainrule.examples.maml_sinusoid",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10000, help="meta-iterations")
    parser.add_argument("--k", type=int, default=10, help="shots per task")
    parser.add_argument("--inner-steps", type=int, default=1, help="SGD steps in adaptation")
    parser.add_argument("--first-order", action="store_true", help="first-order MAML")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-tasks", type=int, default=EVAL_TASKS)
    parser.add_argument("--figure", default="maml_sinusoid.png",
                        help="where to save the figure (needs matplotlib); '' for none")
    parser.add_argument("--quick", action="store_true",
                        help="a short run for tests: 200 iterations, 100 evaluation tasks")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(argv: Sequence[str] | None = None) -> dict:
    """Meta-train, pretrain the baseline, evaluate both; returns the figures it printed."""
    args = _parser().parse_args(argv)
    if args.quick:
        args.iterations, args.eval_tasks = 200, 100
    chainrule.manual_seed(args.seed)
    maml, baseline = make_model(), make_model()
    tasks = SineTasks(args.seed)
    start = time.perf_counter()
    progress = not args.no_progress
    losses = {
        "MAML (after adaptation)": _train(
            maml, lambda opt: meta_step(maml, opt, tasks, args.k, args.inner_steps,
                                        args.first_order), args.iterations, "MAML", progress),
        "pretrained": _train(baseline, lambda opt: pretrain_step(baseline, opt, tasks, args.k),
                             args.iterations, "pretrained", progress),
    }
    seconds = time.perf_counter() - start
    kind = "first-order" if args.first_order else "second-order"
    print(f"{args.iterations} meta-iterations ({kind}, K={args.k}, "
          f"{args.inner_steps} inner step(s)) in {seconds:.1f} s")
    results = {}
    for name, model in (("MAML", maml), ("pretrained", baseline)):
        results[name] = evaluate(model, args.k, tasks=args.eval_tasks, seed=args.seed + 1)
        cells = ", ".join(f"after {n} step{'s' if n > 1 else ''}: {m:.3f} +- {ci:.3f}"
                          for n, (m, ci) in results[name].items())
        print(f"{name:>10}  MSE on {args.eval_tasks} new tasks, {cells}")
    if args.figure and _figure(args.figure, maml, baseline, args.k, args.seed, losses):
        print(f"figure saved to {args.figure}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
