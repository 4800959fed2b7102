"""One SGD training step of an LSTM: input 64, hidden 128, 50 steps, batch 32.

The loss is the mean squared error of the output sequence (50, 32, 128) against a fixed target.
chainrule (nn.LSTM), the same recurrence in NumPy with a hand-written backward through time
(the floor: the same float32 matrix products, no autograd) and torch when installed take turns
in one process, torch on as many threads as NumPy's BLAS.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import training_workload

INPUT, HIDDEN, STEPS, BATCH = 64, 128, 50, 32
LR = 0.01
CALLS = 3  # steps timed per repeat
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float32 weights in nn.LSTM's layout: gates stacked as (input, forget, cell, output)."""
    bound = 1 / np.sqrt(HIDDEN)  # nn.LSTM's default scale
    shapes = [(4 * HIDDEN, INPUT), (4 * HIDDEN, HIDDEN), (4 * HIDDEN,), (4 * HIDDEN,)]
    return {n: rng.uniform(-bound, bound, s).astype(np.float32)
            for n, s in zip(NAMES, shapes, strict=True)}


def inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    return x, (0.1 * rng.standard_normal((STEPS, BATCH, HIDDEN))).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))  # no overflow for large |x|


def _forward(p: dict, x: np.ndarray) -> tuple[np.ndarray, list]:
    """Outputs h_t (T, B, H), zero initial state, and what the backward needs at each step."""
    pre = (x.reshape(STEPS * BATCH, INPUT) @ p["weight_ih_l0"].T).reshape(STEPS, BATCH, -1)
    pre += p["bias_ih_l0"] + p["bias_hh_l0"]
    h = np.zeros((BATCH, HIDDEN), np.float32)
    c = np.zeros((BATCH, HIDDEN), np.float32)
    out, saved = np.empty((STEPS, BATCH, HIDDEN), np.float32), []
    for t in range(STEPS):
        gates = pre[t] + h @ p["weight_hh_l0"].T
        i, f, o = (_sigmoid(gates[:, k * HIDDEN:(k + 1) * HIDDEN]) for k in (0, 1, 3))
        g = np.tanh(gates[:, 2 * HIDDEN:3 * HIDDEN])
        c_prev, h_prev = c, h
        c = f * c_prev + i * g
        tanh_c = np.tanh(c)
        h = o * tanh_c
        out[t] = h
        saved.append((i, f, g, o, c_prev, h_prev, tanh_c))
    return out, saved


def _backward(p: dict, x: np.ndarray, grad_out: np.ndarray, saved: list) -> dict:
    """Backward through time, derived by hand from c = f c' + i g and h = o tanh(c)."""
    grad_gates = np.empty((STEPS, BATCH, 4 * HIDDEN), np.float32)
    grad_hh = np.zeros_like(p["weight_hh_l0"])
    dh = np.zeros((BATCH, HIDDEN), np.float32)
    dc = np.zeros((BATCH, HIDDEN), np.float32)
    for t in reversed(range(STEPS)):
        i, f, g, o, c_prev, h_prev, tanh_c = saved[t]
        dh = dh + grad_out[t]
        dc = dc + dh * o * (1 - tanh_c * tanh_c)  # d tanh = 1 - tanh^2
        d = grad_gates[t]
        d[:, :HIDDEN] = dc * g * i * (1 - i)  # d sigmoid = s (1 - s)
        d[:, HIDDEN:2 * HIDDEN] = dc * c_prev * f * (1 - f)
        d[:, 2 * HIDDEN:3 * HIDDEN] = dc * i * (1 - g * g)
        d[:, 3 * HIDDEN:] = dh * tanh_c * o * (1 - o)
        grad_hh += d.T @ h_prev
        dh = d @ p["weight_hh_l0"]
        dc = dc * f
    flat = grad_gates.reshape(STEPS * BATCH, -1)
    grad_bias = flat.sum(axis=0)
    return {"weight_ih_l0": flat.T @ x.reshape(STEPS * BATCH, INPUT), "weight_hh_l0": grad_hh,
            "bias_ih_l0": grad_bias, "bias_hh_l0": grad_bias.copy()}


def numpy_loss_and_grads(params: dict, x: np.ndarray, target: np.ndarray) -> tuple[float, dict]:
    out, saved = _forward(params, x)
    diff = out - target
    loss = float(np.mean(diff * diff))
    return loss, _backward(params, x, diff * np.float32(2 / diff.size), saved)


def model(nn):
    """The layer with ``nn`` being chainrule.nn or torch.nn; the loss reads its outputs."""
    return nn.LSTM(INPUT, HIDDEN)


def _mse_on_outputs(lib, result, target):
    out, _ = result
    return lib.nn.functional.mse_loss(out, target)


def run(repeat: int = 5) -> dict:
    return training_workload("lstm_step", f"LSTM {INPUT}->{HIDDEN}, {STEPS} steps, batch "
                             f"{BATCH}, MSE on the outputs", sys.modules[__name__], repeat,
                             _mse_on_outputs)
