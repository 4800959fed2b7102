"""A tiny transformer encoder that learns to reverse sequences of tokens.

    python -m chainrule.examples.attention [--steps 300] [--batch-size 64] [--length 8]
        [--vocab-size 10] [--d-model 32] [--nhead 4] [--num-layers 2] [--lr 0.003]
        [--positions learned|sinusoidal] [--seed 0] [--figure attention.png] [--quick]
        [--no-progress]

Each input is ``length`` random tokens from ``vocab-size`` symbols; the target at position i is
the input's token at position length - 1 - i. The model: ``nn.Embedding`` for the tokens plus
a position code (a learnt (length, d_model) Parameter, or the fixed sinusoids of Vaswani et al.
2017), an ``nn.TransformerEncoder`` of ``nn.TransformerEncoderLayer`` (batch first, no dropout:
the data never repeat, so there is nothing to overfit) and one ``nn.Linear`` scoring the
vocabulary at every position; cross-entropy and Adam.

No position can be answered from its own token: the model has to learn *where to look*, and
attention is what looks. After training it prints the per-token and whole-sequence accuracy on
fresh sequences, a few inputs with their outputs, and, for one sequence, which input position
each output position attends to most in each layer (a reversal shows up as 7 6 5 ... 0).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence

import numpy as np

import chainrule
from chainrule import nn
from chainrule.errors import ShapeError
from chainrule.examples._plot import save_loss_curve
from chainrule.examples._progress import progress_bar
from chainrule.nn import functional as F
from chainrule.optim import Adam

__all__ = ["reversal_batch", "sinusoidal_positions", "Reverser", "train", "evaluate",
           "attention_maps", "run", "main"]


def reversal_batch(rng: np.random.Generator, batch_size: int, length: int,
                   vocab_size: int) -> tuple[chainrule.Tensor, chainrule.Tensor]:
    """Random token sequences (batch_size, length) and their reversals, int64."""
    tokens = rng.integers(0, vocab_size, (batch_size, length))
    return chainrule.tensor(tokens), chainrule.tensor(tokens[:, ::-1].copy())


def sinusoidal_positions(length: int, d_model: int) -> chainrule.Tensor:
    """PE[p, 2i] = sin(p / 10000^(2i / d_model)), PE[p, 2i + 1] = cos(same), float32."""
    position = np.arange(length)[:, None]
    frequency = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)
    table = np.zeros((length, d_model))
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency)[:, : d_model // 2]
    return chainrule.tensor(table, dtype=chainrule.float32)


class Reverser(nn.Module):
    """Scores (batch, length, vocab) of each output token: Linear(Encoder(embed + positions))."""

    def __init__(self, vocab_size: int, length: int, d_model: int = 32, nhead: int = 4,
                 num_layers: int = 2, dim_feedforward: int = 64,
                 positions: str = "learned") -> None:
        super().__init__()
        if positions not in ("learned", "sinusoidal"):
            raise ValueError(f"attention: positions must be 'learned' or 'sinusoidal', "
                             f"got {positions!r}")
        self.embedding = nn.Embedding(vocab_size, d_model)
        if positions == "learned":  # N(0, 1) like the token embedding, so neither drowns
            self.positions = nn.Parameter(chainrule.empty(length, d_model).normal_())
        else:
            self.register_buffer("positions", sinusoidal_positions(length, d_model))
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.head = nn.Linear(d_model, vocab_size)

    def embed(self, tokens: chainrule.Tensor) -> chainrule.Tensor:
        """Token embeddings plus position codes, (batch, length) -> (batch, length, d_model)."""
        if tokens.ndim != 2 or tokens.shape[1] != self.positions.shape[0]:
            raise ShapeError(f"attention: tokens of shape {tuple(tokens.shape)}, expected "
                             f"(batch, {self.positions.shape[0]}): the model was built for "
                             f"sequences of {self.positions.shape[0]} tokens")
        return self.embedding(tokens) + self.positions

    def forward(self, tokens: chainrule.Tensor) -> chainrule.Tensor:
        return self.head(self.encoder(self.embed(tokens)))


def train(model: Reverser, rng: np.random.Generator, steps: int, batch_size: int, lr: float,
          bar=None) -> list[float]:
    """``steps`` Adam steps, each on a fresh batch; returns each step's loss."""
    optimizer = Adam(model.parameters(), lr=lr)
    length, vocab_size = model.positions.shape[0], model.head.out_features
    losses = []
    for _ in range(steps):
        tokens, targets = reversal_batch(rng, batch_size, length, vocab_size)
        loss = F.cross_entropy(model(tokens).reshape(-1, vocab_size), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if bar is not None:
            if len(losses) % 10 == 1:
                bar.set_postfix(loss=losses[-1])
            bar.update(1)
    return losses


def evaluate(model: Reverser, tokens: chainrule.Tensor,
             targets: chainrule.Tensor) -> tuple[float, float, np.ndarray]:
    """(token accuracy, whole-sequence accuracy, predicted tokens) of the argmax outputs."""
    with chainrule.no_grad():
        predicted = model(tokens).argmax(dim=-1).data
    correct = predicted == targets.data
    return float(correct.mean()), float(correct.all(axis=1).mean()), predicted


def attention_maps(model: Reverser, tokens: chainrule.Tensor) -> list[np.ndarray]:
    """Each layer's attention weights (batch, length, length), averaged over heads.

    The layers run one by one so that each self-attention can be asked for its weights.
    """
    maps, x = [], model.embed(tokens)
    with chainrule.no_grad():
        for layer in model.encoder.layers:
            maps.append(layer.self_attn(x, x, x, need_weights=True)[1].data)
            x = layer(x)
    return maps


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chainrule.examples.attention",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--length", type=int, default=8, help="tokens per sequence")
    parser.add_argument("--vocab-size", type=int, default=10)
    parser.add_argument("--d-model", type=int, default=32)
    parser.add_argument("--nhead", type=int, default=4)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    parser.add_argument("--positions", choices=("learned", "sinusoidal"), default="learned")
    parser.add_argument("--eval-size", type=int, default=1000, help="fresh test sequences")
    parser.add_argument("--seed", type=int, default=0, help="fixes weights and data")
    parser.add_argument("--figure", default="attention.png",
                        help="where to save the loss curve (needs matplotlib); '' for none")
    parser.add_argument("--quick", action="store_true",
                        help="a short run for tests: 60 steps, 200 test sequences")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _show(tokens: np.ndarray, predicted: np.ndarray, maps: list[np.ndarray]) -> None:
    for seq, out in zip(tokens, predicted, strict=True):
        marks = "" if (out == seq[::-1]).all() else "   <- wrong"
        print(f"  {' '.join(map(str, seq))}  ->  {' '.join(map(str, out))}{marks}")
    print("input position each output position attends to most (first example):")
    for i, weights in enumerate(maps):
        print(f"  layer {i}: {' '.join(map(str, weights[0].argmax(axis=-1)))}")


def run(argv: Sequence[str] | None = None) -> dict:
    """Train on fresh batches, evaluate on fresh sequences; returns the figures it printed."""
    args = _parser().parse_args(argv)
    if args.quick:
        args.steps, args.eval_size = 60, 200
    chainrule.manual_seed(args.seed)
    train_rng, test_rng = np.random.default_rng(args.seed), np.random.default_rng(args.seed + 1)
    model = Reverser(args.vocab_size, args.length, args.d_model, args.nhead, args.num_layers,
                     2 * args.d_model, args.positions)
    start = time.perf_counter()
    bar = progress_bar(args.steps, "attention", not args.no_progress)
    losses = train(model, train_rng, args.steps, args.batch_size, args.lr, bar)
    bar.close()
    model.eval()
    tokens, targets = reversal_batch(test_rng, args.eval_size, args.length, args.vocab_size)
    token_acc, seq_acc, predicted = evaluate(model, tokens, targets)
    results = {"losses": losses, "token_accuracy": token_acc, "sequence_accuracy": seq_acc,
               "seconds": time.perf_counter() - start}
    print(f"{args.steps} steps of {args.batch_size} sequences in {results['seconds']:.1f} s, "
          f"loss {losses[0]:.3f} -> {losses[-1]:.4f}")
    print(f"on {args.eval_size} fresh sequences: token accuracy {100 * token_acc:.1f} % "
          f"(chance {100 / args.vocab_size:.0f} %), whole sequences {100 * seq_acc:.1f} %")
    _show(tokens.data[:4], predicted[:4], attention_maps(model, tokens[:1]))
    if args.figure and save_loss_curve(args.figure, {"train": losses}, log_y=True,
                                       title="attention: reversing sequences, cross-entropy"):
        print(f"loss curve saved to {args.figure}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
