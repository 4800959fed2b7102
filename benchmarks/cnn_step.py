"""One SGD training step of a small CNN on 1x28x28 images, batch 64, cross-entropy.

conv 3x3 (1->16, padding 1), ReLU, max-pool 2, conv 3x3 (16->32, padding 1), ReLU, max-pool 2,
flatten, linear 1568->10. chainrule, the same network in NumPy with a hand-written im2col
convolution and backward (the floor: no autograd), and torch when installed take turns in one
process, torch on as many threads as NumPy's BLAS.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import cross_entropy, softmax_cross_entropy, training_workload
from numpy.lib.stride_tricks import sliding_window_view

BATCH = 64
CHANNELS = (1, 16, 32)
SIDE = 28
CLASSES = 10
LR = 0.01
CALLS = 5  # steps timed per repeat


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float32 weights in the nn.Sequential state_dict layout of :func:`model`."""
    def uniform(fan_in: int, shape: tuple) -> np.ndarray:
        bound = 1 / np.sqrt(fan_in)  # the default scale of nn.Conv2d and nn.Linear
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    (c0, c1, c2), flat = CHANNELS, CHANNELS[2] * (SIDE // 4) ** 2
    return {"0.weight": uniform(c0 * 9, (c1, c0, 3, 3)), "0.bias": uniform(c0 * 9, c1),
            "3.weight": uniform(c1 * 9, (c2, c1, 3, 3)), "3.bias": uniform(c1 * 9, c2),
            "7.weight": uniform(flat, (CLASSES, flat)), "7.bias": uniform(flat, CLASSES)}


def inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((BATCH, 1, SIDE, SIDE)).astype(np.float32)
    return x, rng.integers(0, CLASSES, BATCH)


def _im2col(x: np.ndarray) -> np.ndarray:
    """(C, N, H, W) -> (C*9, N*H*W): each output pixel's 3x3 patch (padding 1), one copy."""
    c, n, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (C, N, H, W, 3, 3)
    return windows.transpose(0, 4, 5, 1, 2, 3).reshape(c * 9, n * h * w)


def conv_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> tuple:
    """3x3 convolution, stride 1, padding 1, as one matrix product; returns (out, cols).

    The floor keeps activations channel-first, (C, N, H, W), so that the product's (O, N*H*W)
    result is the next layer's input without a transpose.
    """
    c, n, h, w = x.shape
    cols = _im2col(x)
    out = weight.reshape(len(weight), -1) @ cols + bias[:, None]
    return out.reshape(-1, n, h, w), cols


def conv_backward(grad: np.ndarray, cols: np.ndarray, weight: np.ndarray, x_shape: tuple,
                  need_input: bool) -> tuple:
    """Gradients of weight, bias and (if asked) the input, from the saved im2col matrix."""
    c, n, h, w = x_shape
    g = grad.reshape(len(weight), -1)  # (O, N*H*W)
    grad_weight = (g @ cols.T).reshape(weight.shape)
    grad_bias = g.sum(axis=1)
    if not need_input:
        return grad_weight, grad_bias, None
    gcols = (weight.reshape(len(weight), -1).T @ g).reshape(c, 3, 3, n, h, w)
    padded = np.zeros((c, n, h + 2, w + 2), np.float32)
    for i in range(3):  # col2im: each patch position adds back where it was read from
        for j in range(3):
            padded[:, :, i:i + h, j:j + w] += gcols[:, i, j]
    return grad_weight, grad_bias, padded[:, :, 1:-1, 1:-1]


OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))  # a 2x2 window's entries, as strided views


def pool_forward(x: np.ndarray) -> np.ndarray:
    out = x[:, :, ::2, ::2].copy()
    for i, j in OFFSETS[1:]:
        np.maximum(out, x[:, :, i::2, j::2], out=out)
    return out


def pool_backward(grad: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The gradient goes to the window's maximum. A tie (only all-zero windows after the ReLU
    here) sends it to every tied entry, where the ReLU's backward then zeroes it."""
    grad_x = np.empty_like(x)
    for i, j in OFFSETS:
        np.multiply(grad, x[:, :, i::2, j::2] == out, out=grad_x[:, :, i::2, j::2])
    return grad_x


def numpy_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Forward, then the backward derived by hand, layer by layer."""
    h1, cols1 = conv_forward(x.transpose(1, 0, 2, 3), params["0.weight"], params["0.bias"])
    a1 = np.maximum(h1, 0)
    p1 = pool_forward(a1)
    h2, cols2 = conv_forward(p1, params["3.weight"], params["3.bias"])
    a2 = np.maximum(h2, 0)
    p2 = pool_forward(a2)
    flat = p2.transpose(1, 0, 2, 3).reshape(len(x), -1)  # flatten as (N, C*H*W)
    loss, grad = softmax_cross_entropy(flat @ params["7.weight"].T + params["7.bias"], y)
    grads = {"7.weight": grad.T @ flat, "7.bias": grad.sum(axis=0)}
    grad = (grad @ params["7.weight"]).reshape(len(x), *p2.shape[:1], *p2.shape[2:])
    grad = pool_backward(grad.transpose(1, 0, 2, 3), a2, p2) * (h2 > 0)  # relu'(0) = 0
    grads["3.weight"], grads["3.bias"], grad = conv_backward(grad, cols2, params["3.weight"],
                                                            p1.shape, need_input=True)
    grad = pool_backward(grad, a1, p1) * (h1 > 0)
    grads["0.weight"], grads["0.bias"], _ = conv_backward(grad, cols1, params["0.weight"],
                                                         (1, *x.shape[:1], *x.shape[2:]),
                                                         need_input=False)
    return loss, grads


def model(nn):
    """The CNN with ``nn`` being chainrule.nn or torch.nn."""
    c0, c1, c2 = CHANNELS
    return nn.Sequential(
        nn.Conv2d(c0, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * (SIDE // 4) ** 2, CLASSES))


def run(repeat: int = 5) -> dict:
    return training_workload("cnn_step", f"two 3x3 convs + pooling on 1x28x28, batch {BATCH}",
                             sys.modules[__name__], repeat, cross_entropy)
