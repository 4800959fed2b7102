"""Fit a line two ways: gradient descent written out by hand, then nn.Linear with optim.SGD.

    python -m chainrule.examples.regression [--steps 200] [--lr 0.1] [--points 100]
        [--noise 0.1] [--seed 0] [--figure regression.png] [--quick] [--no-progress]

The data are ``y = 3 x + 2 + noise`` with x uniform in [-1, 1] and Gaussian noise. The first fit
keeps two tensors ``w`` and ``b`` with ``requires_grad=True`` and runs the loop every library
hides behind ``optimizer.step()``::

    loss = ((x * w + b - y) ** 2).mean()
    loss.backward()                  # fills w.grad and b.grad
    with chainrule.no_grad():        # the update itself is not part of the model
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad = None                    # gradients accumulate, so clear them for the next step
    b.grad = None

The second fit is the same thing in the library's words: ``nn.Linear(1, 1)`` holds the
parameters, ``nn.MSELoss`` the loss and ``optim.SGD`` the update. Both print the learnt slope and
intercept (close to 3 and 2) and the final mean squared error (close to noise² = 0.01).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import chainrule
from chainrule import nn, optim
from chainrule.examples._plot import save_loss_curve
from chainrule.examples._progress import progress_bar

__all__ = ["make_data", "fit_by_hand", "fit_with_nn", "run", "main"]

TRUE_WEIGHT, TRUE_BIAS = 3.0, 2.0


def make_data(points: int, noise: float) -> tuple[chainrule.Tensor, chainrule.Tensor]:
    """``points`` pairs (x, y) with y = 3x + 2 + noise, each of shape (points, 1), float32.

    Drawn from chainrule's generator, so ``chainrule.manual_seed`` fixes them.
    """
    x = chainrule.rand(points, 1) * 2 - 1
    y = TRUE_WEIGHT * x + TRUE_BIAS + noise * chainrule.randn(points, 1)
    return x, y


def fit_by_hand(x: chainrule.Tensor, y: chainrule.Tensor, steps: int, lr: float,
                bar=None) -> tuple[float, float, list[float]]:
    """Plain gradient descent on the mean squared error; returns (w, b, loss at each step)."""
    w = chainrule.zeros(1, requires_grad=True)
    b = chainrule.zeros(1, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((x * w + b - y) ** 2).mean()
        loss.backward()
        with chainrule.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        losses.append(loss.item())
        _tick(bar, losses)
    return w.item(), b.item(), losses


def fit_with_nn(x: chainrule.Tensor, y: chainrule.Tensor, steps: int, lr: float,
                bar=None) -> tuple[float, float, list[float]]:
    """The same fit with nn.Linear, nn.MSELoss and optim.SGD; returns (w, b, losses)."""
    model = nn.Linear(1, 1)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        _tick(bar, losses)
    return model.weight.item(), model.bias.item(), losses


def _tick(bar, losses: list[float]) -> None:
    """Advance the progress bar, showing the loss every 10 steps."""
    if bar is not None:
        if len(losses) % 10 == 1:
            bar.set_postfix(loss=losses[-1])
        bar.update(1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chainrule.examples.regression",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="gradient steps of each fit")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--points", type=int, default=100, help="number of (x, y) pairs")
    parser.add_argument("--noise", type=float, default=0.1, help="standard deviation of noise")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--figure", default="regression.png",
                        help="where to save the loss curves (needs matplotlib); '' for none")
    parser.add_argument("--quick", action="store_true", help="a short run for tests: 150 steps")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(argv: Sequence[str] | None = None) -> dict:
    """Both fits on the same data; returns {"by_hand": {...}, "nn": {...}} with each fit's
    ``weight``, ``bias`` and final ``loss``, and ``losses`` (the curve)."""
    args = _parser().parse_args(argv)
    if args.quick:
        args.steps = 150
    chainrule.manual_seed(args.seed)
    x, y = make_data(args.points, args.noise)
    print(f"fitting y = {TRUE_WEIGHT:g} x + {TRUE_BIAS:g} + noise (std {args.noise:g}) "
          f"on {args.points} points, {args.steps} steps of lr {args.lr:g}")
    results = {}
    for name, fit in (("by_hand", fit_by_hand), ("nn", fit_with_nn)):
        bar = progress_bar(args.steps, name, not args.no_progress)
        weight, bias, losses = fit(x, y, args.steps, args.lr, bar)
        bar.close()
        results[name] = {"weight": weight, "bias": bias, "loss": losses[-1], "losses": losses}
        print(f"{name:>8}: w = {weight:.4f}, b = {bias:.4f}, mean squared error {losses[-1]:.5f}")
    curves = {"by hand": results["by_hand"]["losses"], "nn.Linear + SGD": results["nn"]["losses"]}
    if args.figure and save_loss_curve(args.figure, curves, title="y = 3x + 2: training loss",
                                       log_y=True):
        print(f"loss curves saved to {args.figure}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
