"""A character-level LSTM trained on eleven of Shakespeare's sonnets, then sampled.

    python -m chainrule.examples.char_lstm [--steps 400] [--batch-size 32] [--seq-len 64]
        [--hidden-size 128] [--lr 0.005] [--clip 1.0] [--temperature 0.8] [--length 400]
        [--prompt "Shall I "] [--seed 0] [--figure char_lstm.png] [--quick] [--no-progress]

The text (about 7 KB, public domain) ships with the package in ``examples/data/sonnets.txt``.
Each character is a token. The model reads one character at a time and scores the next:
``nn.Embedding -> nn.LSTM -> nn.Linear``, trained on the cross-entropy of those scores by Adam,
with the gradients' total norm clipped by ``nn.utils.clip_grad_norm_``.

Truncated backpropagation through time: the text is cut into ``batch-size`` parallel streams
and read ``seq-len`` characters at a time. The LSTM's state is carried from one chunk to the
next (the model keeps its memory of the stream) but detached (gradients stop at the chunk's
start, so each backward pass covers ``seq-len`` steps only).

A model that knew nothing would score log(vocabulary size) = log 58 = 4.06 nats per character.
The default run (20-30 s) ends near 0.5: on so small a text the model largely learns it by
heart, and the sample reads like a sonnet with invented words.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from importlib import resources

import numpy as np

import chainrule
from chainrule import nn
from chainrule.examples._plot import save_loss_curve
from chainrule.examples._progress import progress_bar
from chainrule.nn import functional as F
from chainrule.optim import Adam

__all__ = ["load_text", "Vocabulary", "CharLSTM", "batchify", "train", "sample", "run", "main"]


def load_text() -> str:
    """The bundled sonnets, without their header line (which says what they are)."""
    text = resources.files("chainrule.examples").joinpath("data/sonnets.txt")
    header, body = text.read_text(encoding="utf-8").split("\n", 1)
    return body


class Vocabulary:
    """The characters of a text, each numbered by its rank in sorted order."""

    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The characters' numbers as an int64 array; a character outside raises ValueError."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"char_lstm: characters {unknown} are not in the vocabulary "
                             f"({len(self)} characters of the training text)")
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[i] for i in ids)


class CharLSTM(nn.Module):
    """Scores of the next character: ``Linear(LSTM(Embedding(ids)))``, batch first."""

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: chainrule.Tensor, state=None):
        """``(scores, state)``: ids (batch, seq) -> scores (batch, seq, vocab); state is the
        LSTM's ``(h, c)``, None for zeros."""
        output, state = self.lstm(self.embedding(ids), state)
        return self.head(output), state


def batchify(ids: np.ndarray, batch_size: int) -> chainrule.Tensor:
    """The text as ``batch_size`` consecutive streams, shape (batch_size, len // batch_size).

    Row b holds the b-th slice of the text; the leftover characters at the end are dropped.
    """
    length = len(ids) // batch_size
    if length < 2:
        raise ValueError(f"char_lstm: a text of {len(ids)} characters cannot fill "
                         f"{batch_size} streams of at least 2 characters")
    return chainrule.tensor(ids[: length * batch_size].reshape(batch_size, length))


def train(model: CharLSTM, streams: chainrule.Tensor, steps: int, seq_len: int, lr: float,
          clip: float, bar=None) -> list[float]:
    """``steps`` Adam steps over consecutive chunks of the streams; returns each step's loss.

    When a full chunk no longer fits, a new pass starts with a fresh state at a random offset
    below ``seq_len``, so that the chunks' boundaries move from one pass to the next.
    """
    optimizer = Adam(model.parameters(), lr=lr)
    vocab_size, length = model.head.out_features, streams.shape[1] - 1  # targets per stream
    chunk = min(seq_len, length)
    losses, position, state = [], 0, None
    for _ in range(steps):
        if position + chunk > length:
            offsets = min(seq_len, length - chunk + 1)
            position, state = int(chainrule.randint(0, offsets, (1,)).item()), None
        inputs = streams[:, position:position + chunk]
        targets = streams[:, position + 1:position + 1 + chunk]
        scores, state = model(inputs, state)
        state = tuple(s.detach() for s in state)  # truncate: no gradient into the last chunk
        loss = F.cross_entropy(scores.reshape(-1, vocab_size), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
        position += chunk
        if bar is not None:
            if len(losses) % 10 == 1:
                bar.set_postfix(loss=losses[-1])
            bar.update(1)
    return losses


def sample(model: CharLSTM, vocab: Vocabulary, length: int, prompt: str = "Shall I ",
           temperature: float = 0.8, seed: int = 0) -> str:
    """``length`` characters drawn one by one after ``prompt`` (which is not included).

    Each is drawn from softmax(scores / temperature): below 1 the likely characters gain, above
    1 the distribution flattens. A NumPy generator seeded by ``seed`` makes the draws.
    """
    if temperature <= 0:
        raise ValueError(f"char_lstm: temperature must be positive, got {temperature}")
    if not prompt:
        raise ValueError("char_lstm: the prompt must hold at least one character")
    rng = np.random.default_rng(seed)
    ids = chainrule.tensor(vocab.encode(prompt)[None, :])
    drawn, state = [], None
    was_training = model.training
    model.eval()
    with chainrule.no_grad():
        for _ in range(length):
            scores, state = model(ids, state)
            probs = chainrule.softmax(scores[0, -1] / temperature, dim=-1).data.astype(np.float64)
            drawn.append(int(rng.choice(len(vocab), p=probs / probs.sum())))
            ids = chainrule.tensor([[drawn[-1]]])
    model.train(was_training)
    return vocab.decode(drawn)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chainrule.examples.char_lstm",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="training steps (chunks)")
    parser.add_argument("--batch-size", type=int, default=32, help="parallel streams")
    parser.add_argument("--seq-len", type=int, default=64, help="characters per chunk")
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-3, help="Adam's learning rate")
    parser.add_argument("--clip", type=float, default=1.0, help="largest gradient norm")
    parser.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    parser.add_argument("--length", type=int, default=400, help="characters to sample")
    parser.add_argument("--prompt", default="Shall I ", help="text the sample continues")
    parser.add_argument("--seed", type=int, default=0, help="fixes weights and the sample")
    parser.add_argument("--figure", default="char_lstm.png",
                        help="where to save the loss curve (needs matplotlib); '' for none")
    parser.add_argument("--quick", action="store_true",
                        help="a short run for tests: 60 steps, 100 characters sampled")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(argv: Sequence[str] | None = None) -> dict:
    """Train, print the losses and a sample; returns them with the vocabulary's size."""
    args = _parser().parse_args(argv)
    if args.quick:
        args.steps, args.length = 60, 100
    chainrule.manual_seed(args.seed)
    text = load_text()
    vocab = Vocabulary(text)
    streams = batchify(vocab.encode(text), args.batch_size)
    model = CharLSTM(len(vocab), args.embedding_dim, args.hidden_size)
    print(f"{len(text)} characters, {len(vocab)} distinct: a blind guess scores "
          f"log {len(vocab)} = {math.log(len(vocab)):.2f} nats per character")
    start = time.perf_counter()
    bar = progress_bar(args.steps, "char_lstm", not args.no_progress)
    losses = train(model, streams, args.steps, args.seq_len, args.lr, args.clip, bar)
    bar.close()
    last = losses[-10:]
    results = {"vocab_size": len(vocab), "initial_loss": losses[0], "losses": losses,
               "final_loss": sum(last) / len(last), "seconds": time.perf_counter() - start}
    print(f"{args.steps} steps of {args.batch_size} x {args.seq_len} characters in "
          f"{results['seconds']:.1f} s: loss {results['initial_loss']:.3f} -> "
          f"{results['final_loss']:.3f} (mean of the last {len(last)} steps)")
    results["sample"] = sample(model, vocab, args.length, args.prompt, args.temperature,
                               args.seed)
    print(f"sample (temperature {args.temperature:g}):\n{args.prompt}{results['sample']}")
    if args.figure and save_loss_curve(args.figure, {"train": losses},
                                       title="char_lstm: cross-entropy per character"):
        print(f"loss curve saved to {args.figure}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
