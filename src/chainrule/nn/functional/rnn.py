"""Recurrent cells: one time step of an Elman RNN, an LSTM and a GRU, in PyTorch's gate order.

Each cell is composed from chainrule ops, so its gradients (and their gradients) need no rule of
their own. The ``*_sequence`` functions run one layer in one direction over a whole sequence, the
way ``nn.RNN``/``nn.LSTM``/``nn.GRU`` use them: the input projection for *all* time steps is one
matrix product before the loop, each step adds one product with the hidden state, and the gates
are cut out of it as views.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...errors import DTypeError, ShapeError
from ...ops.activation import relu, sigmoid
from ...ops.linalg import matmul
from ...ops.shape import cat, split, stack, unbind
from ...ops.unary import tanh
from ...tensor import Tensor, _wrap

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]


def _check_cell(op: str, input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, gates: int,
                b_ih: Tensor | None, b_hh: Tensor | None) -> None:
    """Raise, naming the shapes, unless input, hx, w_ih, w_hh (G gates) and the biases fit."""
    for name, t in (("input", input), ("hx", hx), ("w_ih", w_ih), ("w_hh", w_hh),
                    ("b_ih", b_ih), ("b_hh", b_hh)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t is not None and (t.data.dtype.kind != "f" or t.data.dtype != input.data.dtype):
            raise DTypeError(f"{op}: {name} has dtype {t.dtype} but input has {input.dtype}; "
                             f"all tensors must share one floating dtype")
    hidden = w_hh.shape[-1] if w_hh.ndim == 2 else -1
    expected_b = (gates * hidden,)
    if (input.ndim != 2 or w_ih.ndim != 2 or w_ih.shape != (gates * hidden, input.shape[1])
            or w_hh.shape != (gates * hidden, hidden) or hx.shape != (input.shape[0], hidden)
            or any(b is not None and b.shape != expected_b for b in (b_ih, b_hh))):
        raise ShapeError(
            f"{op}: got input {tuple(input.shape)}, hx {tuple(hx.shape)}, w_ih "
            f"{tuple(w_ih.shape)}, w_hh {tuple(w_hh.shape)}; expected input (batch, "
            f"input_size), hx (batch, hidden_size), w_ih ({gates}*hidden_size, input_size), "
            f"w_hh ({gates}*hidden_size, hidden_size) and biases ({gates}*hidden_size,)")


def _affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    out = matmul(x, w.mT)
    return out if b is None else out + b


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """h' = tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh).

    Args:
        input: (batch, input_size).
        hx: the hidden state, (batch, hidden_size).
        w_ih, w_hh: (hidden_size, input_size) and (hidden_size, hidden_size).
        b_ih, b_hh: optional biases of shape (hidden_size,).

    Example:
        >>> import chainrule
        >>> from chainrule.nn.functional import rnn_tanh_cell
        >>> x, h = chainrule.ones(1, 2), chainrule.zeros(1, 1)
        >>> rnn_tanh_cell(x, h, chainrule.ones(1, 2), chainrule.ones(1, 1))
        tensor([[0.9640]])
    """
    _check_cell("rnn_tanh_cell", input, hx, w_ih, w_hh, 1, b_ih, b_hh)
    return tanh(_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh))


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """h' = relu(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh); arguments as :func:`rnn_tanh_cell`.

    Example:
        >>> import chainrule
        >>> from chainrule.nn.functional import rnn_relu_cell
        >>> x, h = chainrule.ones(1, 2), chainrule.ones(1, 1)
        >>> rnn_relu_cell(x, h, -chainrule.ones(1, 2), chainrule.ones(1, 1))
        tensor([[0.]])
    """
    _check_cell("rnn_relu_cell", input, hx, w_ih, w_hh, 1, b_ih, b_hh)
    return relu(_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh))


class FusedLSTMCell(Function):
    """One LSTM step from the input's share of the gates x_gates (batch, 4*hidden), the state
    (h, c) and w_hh: with (i, f, g, o) = x_gates + h @ w_hh.T cut in four,
    (h', c') = (σ(o) tanh(c'), σ(f) c + σ(i) tanh(g)).

    A primitive for speed: composed, a step is 13 graph nodes and the LSTM benchmark (input 64,
    hidden 128, batch 32, 50 steps, forward + backward) spent most of its time in per-node
    overhead. The plain backward computes in NumPy from the activations forward saved; under
    ``create_graph`` the same rule runs in chainrule ops, so it can be differentiated again.
    """

    @staticmethod
    def forward(ctx, x_gates, h, w_hh, c):
        a = x_gates.data + h.data @ w_hh.data.T
        size = a.shape[-1] // 4
        act = np.multiply(a, 0.5, out=a)  # σ(x) = (1 + tanh(x / 2)) / 2: one tanh for all gates
        act[..., 2 * size:3 * size] *= 2
        np.tanh(act, out=act)
        for sig in (act[..., :2 * size], act[..., 3 * size:]):
            sig *= 0.5
            sig += 0.5
        i, f, g, o = (act[..., k * size:(k + 1) * size] for k in range(4))
        c_next = f * c.data
        c_next += i * g
        tanh_c = np.tanh(c_next)
        ctx.save_for_backward(x_gates, h, w_hh, c)
        ctx.act, ctx.tanh_c = act, tanh_c
        return o * tanh_c, c_next

    @staticmethod
    def backward(ctx, grad_h, grad_c):
        x_gates, h, w_hh, c = ctx.saved_tensors
        need = ctx.needs_input_grad
        if is_grad_enabled():
            grad_gates, grad_c = _lstm_gates_backward(x_gates + matmul(h, w_hh.mT), c, grad_h,
                                                      grad_c)
            return (grad_gates, matmul(grad_gates, w_hh) if need[1] else None,
                    matmul(grad_gates.mT, h) if need[2] else None, grad_c)
        grad_gates, grad_c = _lstm_gates_backward_numpy(ctx.act, ctx.tanh_c, c.data,
                                                        grad_h.data, grad_c.data)
        return (_wrap(grad_gates), _wrap(grad_gates @ w_hh.data) if need[1] else None,
                _wrap(grad_gates.T @ h.data) if need[2] else None,
                _wrap(grad_c) if need[3] else None)


def _lstm_gates_backward_numpy(act: np.ndarray, tanh_c: np.ndarray, c: np.ndarray,
                               grad_h: np.ndarray, grad_c: np.ndarray):
    size = act.shape[-1] // 4
    i, f, g, o = (act[..., k * size:(k + 1) * size] for k in range(4))
    dc = grad_h * o
    dc *= 1 - tanh_c * tanh_c  # d tanh = 1 - tanh²
    dc += grad_c
    grad_gates = np.empty_like(act)
    np.multiply(dc * g, i * (1 - i), out=grad_gates[..., :size])  # d σ = σ (1 - σ)
    np.multiply(dc * c, f * (1 - f), out=grad_gates[..., size:2 * size])
    np.multiply(dc * i, 1 - g * g, out=grad_gates[..., 2 * size:3 * size])
    np.multiply(grad_h * tanh_c, o * (1 - o), out=grad_gates[..., 3 * size:])
    return grad_gates, dc * f


def _lstm_gates_backward(gates: Tensor, c: Tensor, grad_h: Tensor,
                         grad_c: Tensor) -> tuple[Tensor, Tensor]:
    """The gradients of the pre-activations and of c, in chainrule ops (differentiable)."""
    i, f, g, o = split(gates, gates.shape[-1] // 4, -1)
    i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
    tanh_c = tanh(f * c + i * g)
    dc = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
    grad_gates = cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                      grad_h * tanh_c * o * (1 - o)], -1)
    return grad_gates, dc * f


def lstm_cell(input: Tensor, hx: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step: with (i, f, g, o) = input @ w_ih.T + b_ih + h @ w_hh.T + b_hh cut in four,
    c' = σ(f) c + σ(i) tanh(g) and h' = σ(o) tanh(c').

    Args:
        input: (batch, input_size).
        hx: the pair (h, c), each (batch, hidden_size).
        w_ih, w_hh: (4*hidden_size, input_size) and (4*hidden_size, hidden_size).
        b_ih, b_hh: optional biases of shape (4*hidden_size,).

    Returns:
        The pair (h', c').

    Example:
        >>> import chainrule
        >>> from chainrule.nn.functional import lstm_cell
        >>> x, h, c = chainrule.zeros(1, 2), chainrule.zeros(1, 1), chainrule.ones(1, 1)
        >>> lstm_cell(x, (h, c), chainrule.zeros(4, 2), chainrule.zeros(4, 1))
        (tensor([[0.2311]]), tensor([[0.5000]]))
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError("lstm_cell: hx must be the pair (h, c)")
    h, c = hx
    _check_cell("lstm_cell", input, h, w_ih, w_hh, 4, b_ih, b_hh)
    if c.shape != h.shape:
        raise ShapeError(f"lstm_cell: c has shape {tuple(c.shape)} but h has {tuple(h.shape)}; "
                         f"both must be (batch, hidden_size)")
    x_gates = _affine(input, w_ih, b_ih)
    return FusedLSTMCell.apply(x_gates if b_hh is None else x_gates + b_hh, h, w_hh, c)


def _gru_gates(x_proj: Tensor, h_proj: Tensor, h: Tensor) -> Tensor:
    """h' from the projections of x (with b_ih) and h (with b_hh), each (batch, 3*hidden)."""
    size = h.shape[-1]
    x_r, x_z, x_n = split(x_proj, size, -1)
    h_r, h_z, h_n = split(h_proj, size, -1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    return n + z * (h - n)  # (1 - z) n + z h


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step: with (r, z, n) cut from both projections, r = σ(W_ir x + b_ir + W_hr h +
    b_hr), z likewise, n = tanh(W_in x + b_in + r (W_hn h + b_hn)) and h' = (1 - z) n + z h.

    Args:
        input: (batch, input_size).
        hx: the hidden state, (batch, hidden_size).
        w_ih, w_hh: (3*hidden_size, input_size) and (3*hidden_size, hidden_size).
        b_ih, b_hh: optional biases of shape (3*hidden_size,).

    Example:
        >>> import chainrule
        >>> from chainrule.nn.functional import gru_cell
        >>> x, h = chainrule.zeros(1, 2), chainrule.ones(1, 1)
        >>> gru_cell(x, h, chainrule.zeros(3, 2), chainrule.zeros(3, 1))
        tensor([[0.5000]])
    """
    _check_cell("gru_cell", input, hx, w_ih, w_hh, 3, b_ih, b_hh)
    return _gru_gates(_affine(input, w_ih, b_ih), _affine(hx, w_hh, b_hh), hx)


# -- one layer, one direction, a whole sequence --------------------------------------------------
def _steps(x_proj: Tensor, reverse: bool) -> list[Tensor]:
    # unbind is one node whose backward stacks the step gradients: indexing each step instead
    # would scatter every one of them into a zero array of the whole sequence.
    steps = list(unbind(x_proj, 0))
    return steps[::-1] if reverse else steps


def _outputs(hs: list[Tensor], reverse: bool) -> Tensor:
    return stack(hs[::-1] if reverse else hs, 0)


def rnn_sequence(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor | None, reverse: bool = False,
                 nonlinearity: Callable[[Tensor], Tensor] = tanh) -> tuple[Tensor, Tensor]:
    """An Elman RNN layer over input (seq, batch, input_size); returns (outputs, h_n)."""
    x_proj = _affine(input, w_ih, b_ih)
    w_t = w_hh.mT
    h, hs = hx, []
    for x_t in _steps(x_proj, reverse):
        h_proj = matmul(h, w_t)
        h = nonlinearity(x_t + (h_proj if b_hh is None else h_proj + b_hh))
        hs.append(h)
    return _outputs(hs, reverse), h


def lstm_sequence(input: Tensor, hx: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None, b_hh: Tensor | None,
                  reverse: bool = False) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """An LSTM layer over input (seq, batch, input_size); returns (outputs, (h_n, c_n))."""
    bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
    x_proj = _affine(input, w_ih, bias)  # both biases folded in once, not once a step
    (h, c), hs = hx, []
    for x_t in _steps(x_proj, reverse):
        h, c = FusedLSTMCell.apply(x_t, h, w_hh, c)
        hs.append(h)
    return _outputs(hs, reverse), (h, c)


def gru_sequence(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor | None, reverse: bool = False) -> tuple[Tensor, Tensor]:
    """A GRU layer over input (seq, batch, input_size); returns (outputs, h_n)."""
    x_proj = _affine(input, w_ih, b_ih)  # b_hn must stay inside r * (W_hn h + b_hn)
    w_t = w_hh.mT
    h, hs = hx, []
    for x_t in _steps(x_proj, reverse):
        h_proj = matmul(h, w_t)
        h = _gru_gates(x_t, h_proj if b_hh is None else h_proj + b_hh, h)
        hs.append(h)
    return _outputs(hs, reverse), h
