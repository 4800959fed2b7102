"""One SGD training step of an MLP: 784-512-256-10 with ReLU, batch 128, cross-entropy.

Three implementations take turns in one process: chainrule (nn.Sequential, F.cross_entropy,
optim.SGD), the same network in NumPy with a hand-derived backward (the floor: the same float32
matrix products and no autograd), and torch when installed, on as many threads as NumPy's BLAS.
"""

from __future__ import annotations

import numpy as np
from _common import blas_threads, load_torch, softmax_cross_entropy, step_result, time_steps

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


def _numpy_step(params: dict, x: np.ndarray, y: np.ndarray):
    def step():
        _, grads = numpy_loss_and_grads(params, x, y)
        for name, grad in grads.items():
            params[name] -= np.float32(LR) * grad

    return step


def model(nn):
    """The MLP with ``nn`` being chainrule.nn or torch.nn."""
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _library_step(lib, params: dict, x: np.ndarray, y: np.ndarray):
    net = model(lib.nn)
    net.load_state_dict({name: lib.tensor(value) for name, value in params.items()})
    opt = lib.optim.SGD(net.parameters(), lr=LR)
    x_t, y_t = lib.tensor(x), lib.tensor(y)

    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(net(x_t), y_t).backward()
        opt.step()

    return step


def run(repeat: int = 5) -> dict:
    import chainrule

    rng = np.random.default_rng(0)
    params, (x, y) = init_params(rng), inputs(rng)
    steps = {
        "chainrule": _library_step(chainrule, params, x, y),
        "numpy": _numpy_step({k: v.copy() for k, v in params.items()}, x, y),
    }
    torch = load_torch()
    if torch is not None:
        torch.set_num_threads(blas_threads())
        steps["torch"] = _library_step(torch, params, x, y)
    medians = time_steps(steps, repeat, CALLS)
    if torch is not None:
        torch.set_num_threads(1)
    return step_result("mlp_step", f"784-512-256-10 MLP, batch {BATCH}, forward + backward + "
                       f"SGD step, {blas_threads()} BLAS threads, median of {repeat} x {CALLS}",
                       medians)
