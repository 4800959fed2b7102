"""One SGD training step of an MLP: 784-512-256-10 with ReLU, batch 128, cross-entropy.

Three implementations take turns in one process: chainrule (nn.Sequential, F.cross_entropy,
optim.SGD), the same network in NumPy with a hand-derived backward (the floor: the same float32
matrix products and no autograd), and torch when installed, on as many threads as NumPy's BLAS.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import cross_entropy, softmax_cross_entropy, training_workload

SIZES = (784, 512, 256, 10)
BATCH = 128
LR = 0.01
CALLS = 10  # steps timed per repeat


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float32 weights in nn.Sequential's state_dict layout: "0.weight" is (512, 784), ..."""
    params = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        bound = 1 / np.sqrt(n_in)  # nn.Linear's default scale
        params[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        params[f"{2 * i}.bias"] = rng.uniform(-bound, bound, n_out).astype(np.float32)
    return params


def inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    return x, rng.integers(0, SIZES[-1], BATCH)


def numpy_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Forward, then the backward derived by hand, layer by layer."""
    names = [f"{2 * i}" for i in range(len(SIZES) - 1)]
    acts = [x]
    for i, name in enumerate(names):
        h = acts[-1] @ params[f"{name}.weight"].T + params[f"{name}.bias"]
        acts.append(np.maximum(h, 0) if i < len(names) - 1 else h)
    loss, grad = softmax_cross_entropy(acts[-1], y)
    grads = {}
    for i in reversed(range(len(names))):
        grads[f"{names[i]}.weight"] = grad.T @ acts[i]  # d(a W^T)/dW = grad^T a
        grads[f"{names[i]}.bias"] = grad.sum(axis=0)
        if i:
            grad = (grad @ params[f"{names[i]}.weight"]) * (acts[i] > 0)  # relu'(0) = 0
    return loss, grads


def model(nn):
    """The MLP with ``nn`` being chainrule.nn or torch.nn."""
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def run(repeat: int = 5) -> dict:
    return training_workload("mlp_step", f"784-512-256-10 MLP, batch {BATCH}",
                             sys.modules[__name__], repeat, cross_entropy)
