"""One SGD training step of a transformer encoder layer: d_model 128, 4 heads, feed-forward 512.

nn.TransformerEncoderLayer (post-norm, ReLU, dropout 0, batch_first) on a batch of 32 sequences
of 64 tokens; the loss is the mean squared error of the output against a fixed target.
chainrule, the same layer in NumPy with a hand-derived backward (the floor: the same float32
matrix products, no autograd) and torch when installed take turns in one process, torch on as
many threads as NumPy's BLAS.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import training_workload

D_MODEL, HEADS, FEEDFORWARD = 128, 4, 512
SEQ, BATCH = 64, 32
EPS = 1e-5  # nn.LayerNorm's default
LR = 0.01
CALLS = 5  # steps timed per repeat


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float32 weights in nn.TransformerEncoderLayer's state_dict layout."""
    def uniform(fan_in: int, shape: tuple) -> np.ndarray:
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    d, f = D_MODEL, FEEDFORWARD
    return {
        "self_attn.in_proj_weight": uniform(d, (3 * d, d)),
        "self_attn.in_proj_bias": uniform(d, 3 * d),
        "self_attn.out_proj.weight": uniform(d, (d, d)),
        "self_attn.out_proj.bias": uniform(d, d),
        "linear1.weight": uniform(d, (f, d)), "linear1.bias": uniform(d, f),
        "linear2.weight": uniform(f, (d, f)), "linear2.bias": uniform(f, d),
        # not all ones and zeros, so that the floor test sees the affine terms' gradients
        "norm1.weight": 1 + 0.1 * uniform(1, d), "norm1.bias": 0.1 * uniform(1, d),
        "norm2.weight": 1 + 0.1 * uniform(1, d), "norm2.bias": 0.1 * uniform(1, d),
    }


def inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    return x, rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> tuple:
    """LayerNorm over the last dim; returns (out, x_hat, 1/std) for the backward."""
    centred = x - x.mean(axis=-1, keepdims=True)
    inv_std = 1 / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + np.float32(EPS))
    x_hat = centred * inv_std
    return x_hat * weight + bias, x_hat, inv_std


def _layer_norm_backward(grad: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                         weight: np.ndarray) -> tuple:
    """(grad_x, grad_weight, grad_bias) of y = x_hat * weight + bias, x_hat = (x - mean) / std:
    grad_x = (g - mean(g) - x_hat mean(g x_hat)) / std with g = grad * weight."""
    g = grad * weight
    grad_x = inv_std * (g - g.mean(axis=-1, keepdims=True)
                        - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))
    rows = grad.reshape(-1, grad.shape[-1])
    return grad_x, (rows * x_hat.reshape(rows.shape)).sum(axis=0), rows.sum(axis=0)


def _heads(x: np.ndarray) -> np.ndarray:
    """(B*T, D) -> (B, H, T, D/H)."""
    return x.reshape(BATCH, SEQ, HEADS, -1).transpose(0, 2, 1, 3)


def _merge(x: np.ndarray) -> np.ndarray:
    """(B, H, T, D/H) -> (B*T, D)."""
    return x.transpose(0, 2, 1, 3).reshape(BATCH * SEQ, D_MODEL)


def _attention(p: dict, x: np.ndarray) -> tuple:
    """Multi-head self-attention of x (B*T, D): the output and what the backward needs."""
    qkv = x @ p["self_attn.in_proj_weight"].T + p["self_attn.in_proj_bias"]
    q, k, v = (_heads(qkv[:, i * D_MODEL:(i + 1) * D_MODEL]) for i in range(3))
    scale = np.float32(1 / np.sqrt(D_MODEL // HEADS))
    scores = (q * scale) @ k.transpose(0, 1, 3, 2)  # (B, H, T, T)
    probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    mixed = _merge(probs @ v)
    out = mixed @ p["self_attn.out_proj.weight"].T + p["self_attn.out_proj.bias"]
    return out, (q, k, v, scale, probs, mixed)


def _attention_backward(p: dict, x: np.ndarray, grad: np.ndarray, saved: tuple,
                        grads: dict) -> None:
    """Weight gradients of the attention into ``grads`` (the input x needs none here)."""
    q, k, v, scale, probs, mixed = saved
    grads["self_attn.out_proj.weight"] = grad.T @ mixed
    grads["self_attn.out_proj.bias"] = grad.sum(axis=0)
    grad_mixed = _heads(grad @ p["self_attn.out_proj.weight"])
    grad_v = probs.transpose(0, 1, 3, 2) @ grad_mixed
    grad_probs = grad_mixed @ v.transpose(0, 1, 3, 2)
    # softmax: d scores = probs * (d probs - sum(d probs * probs)) along the keys
    grad_scores = probs * (grad_probs - (grad_probs * probs).sum(axis=-1, keepdims=True))
    grad_scores *= scale
    grad_q = grad_scores @ k
    grad_k = grad_scores.transpose(0, 1, 3, 2) @ q
    grad_qkv = np.concatenate([_merge(g) for g in (grad_q, grad_k, grad_v)], axis=1)
    grads["self_attn.in_proj_weight"] = grad_qkv.T @ x
    grads["self_attn.in_proj_bias"] = grad_qkv.sum(axis=0)


def numpy_loss_and_grads(params: dict, x: np.ndarray, target: np.ndarray) -> tuple[float, dict]:
    """Forward (s = x + attn(x), h = norm1(s), out = norm2(h + ff(h))), then the backward
    derived by hand, block by block."""
    p = params
    x2 = x.reshape(BATCH * SEQ, D_MODEL)
    attn, saved = _attention(p, x2)
    h, h_hat, h_inv = _layer_norm(x2 + attn, p["norm1.weight"], p["norm1.bias"])
    pre = h @ p["linear1.weight"].T + p["linear1.bias"]
    relu = np.maximum(pre, 0)
    ff = relu @ p["linear2.weight"].T + p["linear2.bias"]
    out, o_hat, o_inv = _layer_norm(h + ff, p["norm2.weight"], p["norm2.bias"])
    diff = out - target.reshape(out.shape)
    loss = float(np.mean(diff * diff))
    grads = {}
    grad = diff * np.float32(2 / diff.size)  # d mean((out - t)^2)
    grad, grads["norm2.weight"], grads["norm2.bias"] = _layer_norm_backward(
        grad, o_hat, o_inv, p["norm2.weight"])
    grads["linear2.weight"] = grad.T @ relu
    grads["linear2.bias"] = grad.sum(axis=0)
    grad_pre = (grad @ p["linear2.weight"]) * (pre > 0)  # relu'(0) = 0
    grads["linear1.weight"] = grad_pre.T @ h
    grads["linear1.bias"] = grad_pre.sum(axis=0)
    grad = grad + grad_pre @ p["linear1.weight"]  # the residual and the feed-forward
    grad, grads["norm1.weight"], grads["norm1.bias"] = _layer_norm_backward(
        grad, h_hat, h_inv, p["norm1.weight"])
    _attention_backward(p, x2, grad, saved, grads)
    return loss, grads


def model(nn):
    """The encoder layer with ``nn`` being chainrule.nn or torch.nn."""
    return nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.0,
                                      batch_first=True)


def mse(lib, out, target):
    return lib.nn.functional.mse_loss(out, target)


def run(repeat: int = 5) -> dict:
    return training_workload(
        "attention_step", f"TransformerEncoderLayer d_model {D_MODEL}, {HEADS} heads, "
        f"feed-forward {FEEDFORWARD}, batch {BATCH} x {SEQ} tokens", sys.modules[__name__],
        repeat, mse)
