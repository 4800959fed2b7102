"""One SGD training step of a ResNet basic block on (32, 64, 32, 32) inputs.

out = relu(bn2(conv2(relu(bn1(conv1(x))))) + x), both convs 3x3 (64->64, padding 1, no bias, as
in ResNet), BatchNorm2d in training mode (batch statistics); the loss is the mean of the output.
chainrule, the same block in NumPy with im2col convolutions (cnn_step's helpers) and a
hand-derived backward (the floor: no autograd), and torch when installed take turns in one
process, torch on as many threads as NumPy's BLAS.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import training_workload
from cnn_step import _im2col, conv_backward

BATCH, CHANNELS, SIDE = 32, 64, 32
EPS = 1e-5  # nn.BatchNorm2d's default
LR = 0.01
CALLS = 2  # steps timed per repeat (one step is a few hundred ms)


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float32 weights (and BatchNorm's buffers) in the state_dict layout of :func:`model`."""
    c = CHANNELS
    bound = 1 / np.sqrt(c * 9)  # nn.Conv2d's default scale
    params = {}
    for i in (1, 2):
        params[f"conv{i}.weight"] = rng.uniform(-bound, bound, (c, c, 3, 3)).astype(np.float32)
        # not ones and zeros, so that the floor test sees the affine terms' gradients
        params[f"bn{i}.weight"] = (1 + 0.1 * rng.standard_normal(c)).astype(np.float32)
        params[f"bn{i}.bias"] = (0.1 * rng.standard_normal(c)).astype(np.float32)
        params[f"bn{i}.running_mean"] = np.zeros(c, np.float32)
        params[f"bn{i}.running_var"] = np.ones(c, np.float32)
        params[f"bn{i}.num_batches_tracked"] = np.array(0)
    return params


def inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The image batch, and no target (an empty array): the loss is the output's mean."""
    x = rng.standard_normal((BATCH, CHANNELS, SIDE, SIDE)).astype(np.float32)
    return x, np.zeros(0, np.float32)


def _conv(x: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """3x3 convolution without bias of x (C, N, H, W), channel-first as in cnn_step."""
    c, n, h, w = x.shape
    cols = _im2col(x)
    return (weight.reshape(len(weight), -1) @ cols).reshape(-1, n, h, w), cols


def _batch_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> tuple:
    """Training-mode BatchNorm of x (C, N, H, W) over (N, H, W): (out, x_hat, 1/std)."""
    centred = x - x.mean(axis=(1, 2, 3), keepdims=True)
    inv_std = 1 / np.sqrt((centred * centred).mean(axis=(1, 2, 3), keepdims=True)
                          + np.float32(EPS))
    x_hat = centred * inv_std
    return x_hat * weight[:, None, None, None] + bias[:, None, None, None], x_hat, inv_std


def _batch_norm_backward(grad: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                         weight: np.ndarray) -> tuple:
    """(grad_x, grad_weight, grad_bias): grad_x = (g - mean(g) - x_hat mean(g x_hat)) / std,
    g = grad * weight, means over each channel's (N, H, W)."""
    grad_bias = grad.sum(axis=(1, 2, 3))
    grad_weight = (grad * x_hat).sum(axis=(1, 2, 3))
    count = np.float32(x_hat[0].size)
    scale = (weight * inv_std[:, 0, 0, 0])[:, None, None, None]
    grad_x = scale * (grad - (grad_bias / count)[:, None, None, None]
                      - x_hat * (grad_weight / count)[:, None, None, None])
    return grad_x, grad_weight, grad_bias


def numpy_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Forward, then the backward derived by hand, layer by layer (y is unused)."""
    p = params
    xc = x.transpose(1, 0, 2, 3)  # channel-first (C, N, H, W), as cnn_step's floor
    h1, cols1 = _conv(xc, p["conv1.weight"])
    b1, hat1, inv1 = _batch_norm(h1, p["bn1.weight"], p["bn1.bias"])
    a1 = np.maximum(b1, 0)
    h2, cols2 = _conv(a1, p["conv2.weight"])
    b2, hat2, inv2 = _batch_norm(h2, p["bn2.weight"], p["bn2.bias"])
    s = b2 + xc
    out = np.maximum(s, 0)
    loss = float(out.mean())
    grads = {}
    grad = (s > 0) * np.float32(1 / out.size)  # d mean(relu(s)); relu'(0) = 0
    grad, grads["bn2.weight"], grads["bn2.bias"] = _batch_norm_backward(
        grad, hat2, inv2, p["bn2.weight"])
    # conv_backward also sums a bias gradient the block does not have: <1% of the step
    grads["conv2.weight"], _, grad = conv_backward(grad, cols2, p["conv2.weight"], a1.shape,
                                                   need_input=True)
    grad = grad * (b1 > 0)
    grad, grads["bn1.weight"], grads["bn1.bias"] = _batch_norm_backward(
        grad, hat1, inv1, p["bn1.weight"])
    grads["conv1.weight"], _, _ = conv_backward(grad, cols1, p["conv1.weight"], xc.shape,
                                                need_input=False)
    return loss, grads


def model(nn):
    """The block with ``nn`` being chainrule.nn or torch.nn."""
    class BasicBlock(nn.Module):
        def __init__(self):
            super().__init__()
            c = CHANNELS
            self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)
            self.relu = nn.ReLU()

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + x)

    return BasicBlock()


def output_mean(lib, out, target):
    return out.mean()


def run(repeat: int = 5) -> dict:
    return training_workload("conv_large", f"ResNet basic block, {CHANNELS} channels, input "
                             f"({BATCH}, {CHANNELS}, {SIDE}, {SIDE})", sys.modules[__name__],
                             repeat, output_mean)
