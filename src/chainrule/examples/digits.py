"""Train an MLP and a small CNN on the bundled handwritten digits, save them, reload them.

    python -m chainrule.examples.digits [--epochs 10] [--seed 0] [--checkpoint PATH] [--quick]

(or the ``chainrule-digits`` command). Both models train with Adam and a cosine learning-rate
schedule on the fixed 1,437-image training split of :class:`chainrule.datasets.Digits`, and are
scored on its 360 test images. Both are saved to one checkpoint with :func:`chainrule.save`
(``--checkpoint``, by default ``digits.safetensors`` in a new temporary folder, printed at the
end), loaded into freshly built models with :func:`chainrule.load` and scored again.

The run is deterministic for a given ``--seed``: the seed fixes the initial weights (through
:func:`chainrule.manual_seed`) and the order of the mini-batches (through a Generator).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence

import chainrule
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.datasets import Digits
from chainrule.examples._plot import save_loss_curve
from chainrule.examples._progress import progress_bar
from chainrule.optim import Adam
from chainrule.optim.lr_scheduler import CosineAnnealingLR
from chainrule.utils.data import DataLoader

__all__ = ["mlp", "cnn", "train", "accuracy", "run", "main"]

BATCH_SIZE = 32
LR = 5e-3
QUICK_EPOCHS = 2


def mlp() -> nn.Module:
    """64 pixels -> 128 ReLU units -> 10 logits."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn() -> nn.Module:
    """Two 3x3 convolutions (16 and 32 channels) with batch norm, ReLU and 2x2 max-pooling,
    then a linear layer from the 32 x 2 x 2 features to 10 logits."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


MODELS = {"mlp": mlp, "cnn": cnn}


def train(model: nn.Module, loader: Iterable, epochs: int, desc: str = "train",
          progress: bool = True, history: list[float] | None = None) -> float:
    """Adam (lr 5e-3) on cross-entropy, the lr annealed by a cosine over ``epochs``.

    Returns the mean loss of the last epoch; ``history``, if given, gets every step's loss.
    """
    optimizer = Adam(model.parameters(), lr=LR)
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs)
    bar = progress_bar(epochs * len(loader), desc, progress)
    model.train()
    for epoch in range(epochs):
        total, batches = 0.0, 0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
            if history is not None:
                history.append(loss.item())
            bar.set_postfix(epoch=epoch + 1, loss=total / batches)
            bar.update(1)
        scheduler.step()
    bar.close()
    return total / batches


def accuracy(model: nn.Module, dataset: Digits) -> float:
    """Fraction of ``dataset`` classified correctly, in eval mode, in one batch."""
    model.eval()
    with chainrule.no_grad():
        predicted = model(dataset.data).argmax(dim=1)
    return (predicted == dataset.targets).float().mean().item()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule-digits", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training set")
    parser.add_argument("--seed", type=int, default=0, help="fixes weights and batch order")
    parser.add_argument("--checkpoint", metavar="PATH",
                        help="where to save both models (default: digits.safetensors in a new "
                        "temporary folder)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a short run ({QUICK_EPOCHS} epochs) for smoke tests")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--figure", metavar="PATH",
                        help="where to save the loss curves (needs matplotlib; default: "
                        "digits_loss.png beside the checkpoint; '' for none)")
    return parser


def run(argv: Sequence[str] | None = None) -> dict:
    """The demo; returns ``{"mlp": {"accuracy", "reloaded", "loss"}, "cnn": {...},
    "checkpoint": path, "seconds": s}``."""
    args = _parser().parse_args(argv)
    epochs = QUICK_EPOCHS if args.quick else args.epochs
    if epochs < 1:
        raise ValueError(f"chainrule-digits: --epochs must be at least 1, got {epochs}")
    path = args.checkpoint or os.path.join(tempfile.mkdtemp(), "digits.safetensors")
    start = time.perf_counter()
    chainrule.manual_seed(args.seed)
    train_set, test_set = Digits(train=True), Digits(train=False)
    order = chainrule.Generator().manual_seed(args.seed)
    loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, generator=order)
    results: dict = {}
    trained, curves = {}, {}
    for name, build in MODELS.items():
        model = build()
        curves[name] = []
        loss = train(model, loader, epochs, desc=name, progress=not args.no_progress,
                     history=curves[name])
        trained[name] = model
        results[name] = {"loss": loss, "accuracy": accuracy(model, test_set)}
        print(f"{name}: test accuracy {_percent(results[name]['accuracy'], test_set)} "
              f"after {epochs} epochs (last epoch's mean loss {loss:.4f})")
    chainrule.save({name: model.state_dict() for name, model in trained.items()}, path)
    checkpoint = chainrule.load(path)
    for name, build in MODELS.items():
        fresh = build()
        fresh.load_state_dict(checkpoint[name])
        results[name]["reloaded"] = accuracy(fresh, test_set)
        print(f"{name}: reloaded from {path}: test accuracy "
              f"{_percent(results[name]['reloaded'], test_set)}")
    figure = os.path.join(os.path.dirname(path), "digits_loss.png") if args.figure is None \
        else args.figure
    if figure and save_loss_curve(figure, curves, title="digits: training loss per step",
                                  log_y=True):
        print(f"loss curves saved to {figure}")
    results["checkpoint"], results["seconds"] = path, time.perf_counter() - start
    print(f"done in {results['seconds']:.1f} s")
    return results


def _percent(fraction: float, dataset: Digits) -> str:
    right = round(fraction * len(dataset))
    return f"{100 * fraction:.2f} % ({right}/{len(dataset)})"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``chainrule-digits``: 0 if the reloaded models score as the trained ones."""
    results = run(argv)
    same = all(math.isclose(results[n]["accuracy"], results[n]["reloaded"]) for n in MODELS)
    if not same:
        print("error: the reloaded models do not score as the trained ones", file=sys.stderr)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
