"""Recurrent cells: one time step of an Elman RNN, an LSTM and a GRU, in PyTorch's gate order.

Each cell is composed from chainrule ops, so its gradients (and their gradients) need no rule of
their own. The ``*_sequence`` functions run one layer in one direction over a whole sequence, the
way ``nn.RNN``/``nn.LSTM``/``nn.GRU`` use them: the input projection for *all* time steps is one
matrix product before the loop, each step adds one product with the hidden state, and the gates
are cut out of it as views. The LSTM's and the GRU's loops over time are one primitive each,
``LSTMRecurrence`` and ``GRURecurrence`` (see their docstrings for the figures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ...autograd.forward_ad import double_vjp_jvp
from ...autograd.function import Function
from ...errors import DTypeError, ShapeError
from ...ops.activation import relu, sigmoid
from ...ops.buffers import scratch
from ...ops.linalg import linear, matmul
from ...ops.shape import cat, split, stack, unbind
from ...ops.unary import tanh
from ...tensor import Tensor, _wrap
from .dropout import dropout

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
    # One primitive: the bias is added in place and the weight gradient comes out as (out, in)
    # (a matmul of w.mT, then + b, makes a second full-size array and a transposed gradient).
    return linear(x, w, b)


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


def _lstm_gates(gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    """(h', c') from the pre-activations (batch, 4*hidden) in the order i, f, g, o."""
    i, f, g, o = split(gates, gates.shape[-1] // 4, -1)  # views: no copies
    c_next = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c_next), c_next


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
    return _lstm_gates(_affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh), c)


def _gru_gates(x_proj: Tensor, h_proj: Tensor, h: Tensor) -> Tensor:
    """h' from the projections of x (with b_ih) and h (with b_hh), each (batch, 3*hidden)."""
    size = h.shape[-1]
    x_rz, x_n = split(x_proj, [2 * size, size], -1)
    h_rz, h_n = split(h_proj, [2 * size, size], -1)
    r, z = split(sigmoid(x_rz + h_rz), size, -1)  # r and z in one sigmoid
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


def _both(b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
    return b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)


def rnn_sequence(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor | None, reverse: bool = False,
                 nonlinearity: Callable[[Tensor], Tensor] = tanh) -> tuple[Tensor, Tensor]:
    """An Elman RNN layer over input (seq, batch, input_size); returns (outputs, h_n)."""
    x_proj = _affine(input, w_ih, _both(b_ih, b_hh))  # both biases folded in once
    w_t = w_hh.mT
    h, hs = hx, []
    for x_t in _steps(x_proj, reverse):
        h = nonlinearity(x_t + matmul(h, w_t))
        hs.append(h)
    return _outputs(hs, reverse), h


def lstm_sequence(input: Tensor, hx: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None, b_hh: Tensor | None,
                  reverse: bool = False) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """An LSTM layer over input (seq, batch, input_size); returns (outputs, (h_n, c_n))."""
    h, c = hx
    out, h_n, c_n = LSTMRecurrence.apply(input, h, c, w_ih, w_hh, _both(b_ih, b_hh), reverse)
    return out, (h_n, c_n)


def gru_sequence(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor | None, reverse: bool = False) -> tuple[Tensor, Tensor]:
    """A GRU layer over input (seq, batch, input_size); returns (outputs, h_n)."""
    x_proj = _affine(input, w_ih, b_ih)  # b_hn must stay inside r * (W_hn h + b_hn)
    return GRURecurrence.apply(x_proj, hx, w_hh, b_hh, reverse)


def _sequence_fn(mode: str) -> Callable:
    if mode == "LSTM":
        return lstm_sequence
    if mode == "GRU":
        return gru_sequence
    act = {"RNN_TANH": tanh, "RNN_RELU": relu}[mode]
    return lambda *args: rnn_sequence(*args, nonlinearity=act)


def stacked_rnn(mode: str, input: Tensor, states: Sequence, weights: Sequence[tuple],
                num_layers: int, bidirectional: bool, dropout_p: float,
                training: bool) -> tuple[Tensor, list]:
    """Layers in turn over input (seq, batch, features), each direction of a layer reading the
    previous layer's output (directions concatenated), dropout between layers in training.

    ``mode`` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'; ``states`` and ``weights`` hold one
    initial state and one (w_ih, w_hh, b_ih, b_hh) per layer and direction. Returns the last
    layer's output and the final states, in the same order.
    """
    run, d = _sequence_fn(mode), 2 if bidirectional else 1
    x, finals = input, []
    for layer in range(num_layers):
        if layer and dropout_p and training:
            x = dropout(x, dropout_p, True)
        outs = []
        for reverse in (False, True)[:d]:
            k = layer * d + reverse
            out, final = run(x, states[k], *weights[k], reverse)
            outs.append(out)
            finals.append(final)
        x = cat(outs, -1) if d == 2 else outs[0]
    return x, finals


# -- the LSTM recurrence as one primitive ---------------------------------------------------------
class LSTMRecurrence(Function):
    """An LSTM layer over time: from input (seq, batch, input_size), (h_0, c_0), w_ih, w_hh
    and ``bias`` (b_ih + b_hh, or None), x_proj = input @ w_ih.T + bias for all steps in one
    product, then each step computes gates = x_proj[t] + h @ w_hh.T and the cell
    (:func:`lstm_cell`); outputs (h for every step, h_n, c_n). ``reverse`` runs from the end.
    The projection is inside so that x_proj is a pooled array, not a fresh one every call
    (lstm_step, loaded machine, one process: 0.92 -> 0.86x the NumPy floor).

    A primitive for speed: composed, each step is 13 graph nodes, and an LSTM layer (input 64,
    hidden 128, batch 32, 50 steps, forward + backward, one BLAS thread, CPU time) took 31 ms
    against torch's 8.8 ms; as one node it takes 14 ms (1.6x torch). Forward is a NumPy loop
    with one product per step, writing each step's h and c into one array per sequence (the
    output is a view of it); ``backward_numpy`` (a backward that records nothing) runs back
    through time in NumPy, into preallocated buffers, and forms the gradient of w_hh as one
    product over all steps. The sequence-sized arrays are reused from a pool
    (``ops.buffers.scratch``): fresh, they cost lstm_step ~4,500 page faults a step (26 -> 16 ms
    with the pool, torch 12.9, loaded machine). ``backward`` is the same rule in chainrule ops
    (:func:`_lstm_recurrence_backward`), so it can be differentiated again.
    """

    jvp = double_vjp_jvp  # the tangent from the differentiable backward, no second rule

    @staticmethod
    def forward(ctx, input, h_0, c_0, w_ih, w_hh, bias, reverse):
        x, size = input.data, w_hh.shape[1]
        steps, batch = x.shape[0], x.shape[1]
        # σ(x) = (1 + tanh(x / 2)) / 2: with the i, f, o rows of the weights and bias halved
        # (scale), the products give x / 2 there, and one tanh serves all four gates.
        scale, offset = _gate_scales((batch, 4 * size), x.dtype)
        w_t = np.multiply(w_hh.data.T, scale[0], order="C")  # C order: a faster GEMM than .T
        # The sequence's arrays come from the scratch pool: fresh ones are page-faulted in as
        # they are first written, which made this loop ~1.5x slower in lstm_step (4.7 -> 7.1 ms).
        xp = scratch((steps, batch, 4 * size), x.dtype)  # the input projections, one product
        np.matmul(x.reshape(-1, x.shape[-1]), (w_ih.data * scale[0, :, None]).T,
                  out=xp.reshape(-1, 4 * size))
        if bias is not None:
            xp += bias.data * scale[0]
        act = scratch(xp.shape, xp.dtype)  # per step: σ(i), σ(f), tanh(g), σ(o)
        # h and c of every step, with the initial state one slot before the first step (slot 0,
        # or the last in reverse): a step reads its predecessor's slot, so nothing is copied.
        # One array for h, c and tanh(c), so that it is large enough for the pool.
        hs, cs, tanh_c = scratch((3, steps + 1, batch, size), xp.dtype)
        tanh_c, i_g = tanh_c[:steps], np.empty((batch, size), xp.dtype)
        hs[-1 if reverse else 0], cs[-1 if reverse else 0] = h_0.data, c_0.data
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            prev, cur = (t + 1, t) if reverse else (t, t + 1)
            a = np.matmul(hs[prev], w_t, out=act[t])
            a += xp[t]
            _activate_gates(a, scale, offset)
            c = np.multiply(a[:, size:2 * size], cs[prev], out=cs[cur])
            c += np.multiply(a[:, :size], a[:, 2 * size:3 * size], out=i_g)
            np.tanh(c, out=tanh_c[t])
            np.multiply(a[:, 3 * size:], tanh_c[t], out=hs[cur])
        out, end = (hs[:-1], 0) if reverse else (hs[1:], steps)
        # out is a view of the states backward reads: saving it makes an in-place change to the
        # output an error at backward, not a wrong gradient.
        ctx.save_for_backward(input, h_0, c_0, w_ih, w_hh, bias, out)
        ctx.arrays, ctx.reverse = (act, hs, cs, tanh_c), reverse
        return out, hs[end].copy(), cs[end].copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h_n, grad_c_n):
        input, h_0, c_0, w_ih, w_hh, bias, _ = ctx.saved_tensors
        grads = _lstm_recurrence_backward(input, h_0, c_0, w_ih, w_hh, bias, ctx.reverse,
                                          grad_out, grad_h_n, grad_c_n)
        return (*grads, None)

    @staticmethod
    def backward_numpy(ctx, grad_out, grad_h_n, grad_c_n):
        input, h_0, c_0, w_ih, w_hh, bias, _ = ctx.saved_tensors
        act, hs, cs, tanh_c = ctx.arrays
        steps, w, g_out = act.shape[0], w_hh.data, grad_out.data
        # Step t's h_{t-1}, c_{t-1} and h_t, as views of the forward's states.
        h_prev, c_prev, h = (hs[1:], cs[1:], hs[:-1]) if ctx.reverse else (hs[:-1], cs[:-1],
                                                                            hs[1:])
        grad_gates, slope = scratch(act.shape, act.dtype), np.empty_like(act[0])
        is_g = (_gate_scales(slope.shape, slope.dtype)[0] == 1).astype(slope.dtype)
        dh, dc = grad_h_n.data, grad_c_n.data
        # d h_t, then d h_{t-1} from the product, and two for d c taking turns: a step reads
        # one and writes the other.
        d_h, d_h_prev, d_c, d_c_spare = (np.empty_like(tanh_c[0]) for _ in range(4))
        need = ctx.needs_input_grad
        for n, t in enumerate(range(steps) if ctx.reverse else range(steps - 1, -1, -1)):
            dh = np.add(dh, g_out[t], out=d_h)
            dc = _gates_backward_numpy(act[t], tanh_c[t], c_prev[t], h[t], dh, dc,
                                       grad_gates[t], slope, is_g, d_c)
            d_c, d_c_spare = d_c_spare, d_c
            if n < steps - 1 or need[1]:  # the last product gives d h_0 only
                dh = np.matmul(grad_gates[t], w, out=d_h_prev)
        # The weights' gradients as one product over all steps each, not one per step.
        x, size = input.data, h_prev.shape[-1]
        rows = grad_gates.reshape(-1, 4 * size)
        grad_x = _wrap((rows @ w_ih.data).reshape(x.shape)) if need[0] else None
        grad_w_ih = _wrap(rows.T @ x.reshape(-1, x.shape[-1])) if need[3] else None
        grad_w_hh = _wrap(rows.T @ h_prev.reshape(-1, size)) if need[4] else None
        grad_b = _wrap(rows.sum(0)) if need[5] else None
        return (grad_x, _wrap(dh) if need[1] else None, _wrap(dc) if need[2] else None,
                grad_w_ih, grad_w_hh, grad_b, None)


def _gate_scales(shape: tuple[int, int], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(scale, offset), full (batch, 4*hidden) arrays: 1/2 and 1/2 on the i, f, o columns, 1 and
    0 on g. With them σ(x) = (1 + tanh(x / 2)) / 2 and tanh(g) are one pass each for all four
    gates (whole-array ufuncs are faster than the same work on column slices)."""
    size = shape[1] // 4
    scale = np.full(shape, 0.5, dtype)
    scale[:, 2 * size:3 * size] = 1
    return scale, 1 - scale


def _activate_gates(a: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> None:
    """In place: σ on the i, f, o columns of the pre-activations, given halved, and tanh on g."""
    np.tanh(a, out=a)
    np.multiply(a, scale, out=a)
    np.add(a, offset, out=a)


def _gates_backward_numpy(act: np.ndarray, tanh_c: np.ndarray, c: np.ndarray, h: np.ndarray,
                          dh: np.ndarray, dc: np.ndarray, grad_gates: np.ndarray,
                          slope: np.ndarray, is_g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """One step back from d h_t (dh) and d c_t (dc): writes d(loss)/d(gates) into grad_gates
    and returns d(loss)/d(c_{t-1}) in ``out`` (which must not be dc).

    ``slope`` is scratch space for the activations' derivatives, σ' = (1 - σ) σ and
    tanh' = (1 - tanh)(1 + tanh), that is (1 - a)(a + is_g) for all four gates at once.
    """
    size = act.shape[-1] // 4
    i, f, g, o = (act[:, k * size:(k + 1) * size] for k in range(4))
    np.add(act, is_g, out=slope)
    np.subtract(1, act, out=grad_gates)  # grad_gates as scratch until the gates' lines
    slope *= grad_gates
    dc_total = np.multiply(h, tanh_c, out=out)  # h = o tanh c, so o tanh² c in one product
    np.subtract(o, dc_total, out=dc_total)
    dc_total *= dh
    dc_total += dc  # d c = dc + dh o (1 - tanh² c)
    np.multiply(dc_total, g, out=grad_gates[:, :size])
    np.multiply(dc_total, c, out=grad_gates[:, size:2 * size])
    np.multiply(dc_total, i, out=grad_gates[:, 2 * size:3 * size])
    np.multiply(dh, tanh_c, out=grad_gates[:, 3 * size:])
    grad_gates *= slope
    return np.multiply(dc_total, f, out=dc_total)


def _lstm_recurrence_backward(input: Tensor, h_0: Tensor, c_0: Tensor, w_ih: Tensor,
                              w_hh: Tensor, bias: Tensor | None, reverse: bool, grad_out: Tensor,
                              grad_h_n: Tensor, grad_c_n: Tensor) -> tuple:
    """LSTMRecurrence's rule in chainrule ops: recompute the states, then back through time;
    returns the gradients of (input, h_0, c_0, w_ih, w_hh, bias)."""
    x_proj = _affine(input, w_ih, bias)
    order = list(range(x_proj.shape[0]))[::-1 if reverse else 1]
    x_steps, g_steps = unbind(x_proj, 0), unbind(grad_out, 0)
    gates, c_prev, h_prev = {}, {}, {}
    h, c = h_0, c_0
    for t in order:
        h_prev[t], c_prev[t] = h, c
        gates[t] = x_steps[t] + matmul(h, w_hh.mT)
        h, c = _lstm_gates(gates[t], c)
    dh, dc, grad_gates = grad_h_n, grad_c_n, {}
    for t in order[::-1]:
        grad_gates[t], dc = _gates_backward(gates[t], c_prev[t], dh + g_steps[t], dc)
        dh = matmul(grad_gates[t], w_hh)
    size = h_0.shape[-1]
    stacked = stack([grad_gates[t] for t in sorted(grad_gates)], 0)
    h_stacked = stack([h_prev[t] for t in sorted(h_prev)], 0)
    rows = stacked.reshape(-1, 4 * size)
    grad_w_hh = matmul(rows.mT, h_stacked.reshape(-1, size))
    grad_w_ih = matmul(rows.mT, input.reshape(-1, input.shape[-1]))
    grad_b = None if bias is None else rows.sum(0)
    return matmul(stacked, w_ih), dh, dc, grad_w_ih, grad_w_hh, grad_b


def _gates_backward(gates: Tensor, c: Tensor, dh: Tensor, dc: Tensor) -> tuple[Tensor, Tensor]:
    """(d gates, d c_prev) of one step, in chainrule ops, from the pre-activations."""
    i, f, g, o = split(gates, gates.shape[-1] // 4, -1)
    i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
    tanh_c = tanh(f * c + i * g)
    dc_total = dc + dh * o * (1 - tanh_c * tanh_c)
    grad_gates = cat([dc_total * g * i * (1 - i), dc_total * c * f * (1 - f),
                      dc_total * i * (1 - g * g), dh * tanh_c * o * (1 - o)], -1)
    return grad_gates, dc_total * f


# -- the GRU recurrence as one primitive ----------------------------------------------------------
class GRURecurrence(Function):
    """The GRU loop over time: from x_proj (seq, batch, 3*hidden), the input projections with
    b_ih, and h_0, each step computes h_proj = h @ w_hh.T + b_hh and the cell (:func:`gru_cell`);
    outputs (h for every step, h_n). ``reverse`` runs from the end; b_hh may be None.

    A primitive for speed, as :class:`LSTMRecurrence`: composed, a GRU layer (input 64, hidden
    128, batch 32, 50 steps, forward + backward, one BLAS thread, CPU time) took 34 ms against
    torch's 15.5 ms, nearly all of it per-node overhead; as one node it takes 18.5 ms.
    ``backward_numpy`` (a backward that records nothing) is NumPy; ``backward`` is the rule in
    chainrule ops (:func:`_gru_recurrence_backward`), so it can be differentiated again.
    """

    jvp = double_vjp_jvp  # the tangent from the differentiable backward, no second rule

    @staticmethod
    def forward(ctx, x_proj, h_0, w_hh, b_hh, reverse):
        xp, w_t = x_proj.data, np.ascontiguousarray(w_hh.data.T)
        steps, batch, size = xp.shape[0], xp.shape[1], xp.shape[2] // 3
        act, h_proj = scratch((2, *xp.shape), xp.dtype)  # act: r, z, n per step
        # Every step's h, with h_0 in the slot before the first step, as in LSTMRecurrence.
        hs = np.empty((steps + 1, batch, size), xp.dtype)
        hs[-1 if reverse else 0] = h_0.data
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            prev, cur = (t + 1, t) if reverse else (t, t + 1)
            h = hs[prev]
            gh = np.matmul(h, w_t, out=h_proj[t])
            if b_hh is not None:
                gh += b_hh.data
            rz, n = act[t, :, :2 * size], act[t, :, 2 * size:]
            np.add(xp[t, :, :2 * size], gh[:, :2 * size], out=rz)
            rz *= 0.5  # σ(x) = (1 + tanh(x / 2)) / 2
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            np.multiply(rz[:, :size], gh[:, 2 * size:], out=n)
            n += xp[t, :, 2 * size:]
            np.tanh(n, out=n)
            h = np.subtract(h, n, out=hs[cur])
            h *= rz[:, size:]
            h += n  # h' = n + z (h - n)
        out, end = (hs[:-1], 0) if reverse else (hs[1:], steps)
        ctx.save_for_backward(x_proj, h_0, w_hh, b_hh, out)  # out: views of what backward reads
        ctx.arrays, ctx.reverse = (act, h_proj, hs[1:] if reverse else hs[:-1]), reverse
        return out, hs[end].copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h_n):
        x_proj, h_0, w_hh, b_hh, _ = ctx.saved_tensors
        grads = _gru_recurrence_backward(x_proj, h_0, w_hh, b_hh, ctx.reverse, grad_out,
                                         grad_h_n)
        return (*grads, None)

    @staticmethod
    def backward_numpy(ctx, grad_out, grad_h_n):
        x_proj, h_0, w_hh, b_hh, _ = ctx.saved_tensors
        act, h_proj, h_prev = ctx.arrays
        size, w, g_out = h_prev.shape[-1], w_hh.data, grad_out.data
        # d x_proj is d h_proj but for n, whose pre-activation gets d n_pre (r scales d h_proj's)
        grad_h_proj, grad_x = scratch((2, *act.shape), act.dtype)
        grad_n_pre = grad_x[..., 2 * size:]
        dh = grad_h_n.data
        for t in (range(act.shape[0]) if ctx.reverse else range(act.shape[0] - 1, -1, -1)):
            dh = _gru_step_backward_numpy(act[t], h_proj[t, :, 2 * size:], h_prev[t],
                                          dh + g_out[t], grad_h_proj[t], grad_n_pre[t], w)
        grad_x[..., :2 * size] = grad_h_proj[..., :2 * size]
        need = ctx.needs_input_grad
        grad_w = _wrap(grad_h_proj.reshape(-1, 3 * size).T @ h_prev.reshape(-1, size)) \
            if need[2] else None
        grad_b = _wrap(grad_h_proj.sum((0, 1))) if need[3] else None
        return _wrap(grad_x), _wrap(dh), grad_w, grad_b, None


def _gru_step_backward_numpy(act: np.ndarray, h_n: np.ndarray, h: np.ndarray, dh: np.ndarray,
                             grad_h_proj: np.ndarray, grad_n_pre: np.ndarray,
                             w: np.ndarray) -> np.ndarray:
    """One step back from d h' (dh): fills d h_proj and d(n's pre-activation), returns d h."""
    size = h.shape[-1]
    r, z, n = act[:, :size], act[:, size:2 * size], act[:, 2 * size:]
    dn = dh * (1 - z)
    np.multiply(dn, 1 - n * n, out=grad_n_pre)  # d tanh = 1 - tanh²
    np.multiply(grad_n_pre * h_n, r * (1 - r), out=grad_h_proj[:, :size])  # d σ = σ (1 - σ)
    np.multiply(dh * (h - n), z * (1 - z), out=grad_h_proj[:, size:2 * size])
    np.multiply(grad_n_pre, r, out=grad_h_proj[:, 2 * size:])
    out = grad_h_proj @ w
    out += dh * z
    return out


def _gru_recurrence_backward(x_proj: Tensor, h_0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                             reverse: bool, grad_out: Tensor,
                             grad_h_n: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """GRURecurrence's rule in chainrule ops: recompute the states, then back through time."""
    size, order = h_0.shape[-1], list(range(x_proj.shape[0]))[::-1 if reverse else 1]
    x_steps, g_steps = unbind(x_proj, 0), unbind(grad_out, 0)
    h_prev, h_proj, h = {}, {}, h_0
    for t in order:
        h_prev[t], h_proj[t] = h, _affine(h, w_hh, b_hh)
        h = _gru_gates(x_steps[t], h_proj[t], h)
    dh, grad_x, grad_h_proj = grad_h_n, {}, {}
    for t in order[::-1]:
        x_rz, x_n = split(x_steps[t], [2 * size, size], -1)
        h_rz, h_n = split(h_proj[t], [2 * size, size], -1)
        r, z = split(sigmoid(x_rz + h_rz), size, -1)
        n = tanh(x_n + r * h_n)
        d = dh + g_steps[t]
        grad_n_pre = d * (1 - z) * (1 - n * n)
        grad_r, grad_z = grad_n_pre * h_n * r * (1 - r), d * (h_prev[t] - n) * z * (1 - z)
        grad_h_proj[t] = cat([grad_r, grad_z, grad_n_pre * r], -1)
        grad_x[t] = cat([grad_r, grad_z, grad_n_pre], -1)
        dh = matmul(grad_h_proj[t], w_hh) + d * z
    steps = sorted(grad_x)
    grad_h_proj_all = stack([grad_h_proj[t] for t in steps], 0).reshape(-1, 3 * size)
    grad_w = matmul(grad_h_proj_all.mT, stack([h_prev[t] for t in steps], 0).reshape(-1, size))
    grad_b = None if b_hh is None else grad_h_proj_all.sum(0)
    return stack([grad_x[t] for t in steps], 0), dh, grad_w, grad_b
