"""Recurrent layers: RNN, LSTM and GRU over whole sequences, and their one-step cells.

The maths is in :mod:`chainrule.nn.functional.rnn`; these classes hold the parameters (with
PyTorch's names, ``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), arrange layers and directions,
and handle the layout options (``batch_first``, unbatched input, default initial states).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.grad_mode import no_grad
from ...errors import DTypeError, ShapeError
from ...factories import empty
from ...ops.shape import stack, unbind
from ...tensor import Tensor, _wrap
from ..functional import rnn as F_rnn
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_sizes(layer: str, **sizes) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")


def _check_input(layer: str, input: Tensor, input_size: int, ndims: tuple[int, int],
                 weight: Tensor) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{layer}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in ndims:
        raise ShapeError(f"{layer}: expected input with {ndims[0]} (unbatched) or {ndims[1]} "
                         f"(batched) dimensions, got shape {tuple(input.shape)}")
    if input.shape[-1] != input_size:
        raise ShapeError(f"{layer}: input.size(-1) must be equal to input_size; expected "
                         f"{input_size}, got {input.shape[-1]} (input shape "
                         f"{tuple(input.shape)})")
    if input.data.dtype != weight.data.dtype:
        raise DTypeError(f"{layer}: input is {input.dtype} but the parameters are "
                         f"{weight.dtype}; convert one of them (e.g. module.double())")


def _check_state(layer: str, name: str, state: Tensor, expected: tuple[int, ...]) -> None:
    if not isinstance(state, Tensor):
        raise TypeError(f"{layer}: {name} must be a Tensor, got {type(state).__name__}")
    if tuple(state.shape) != expected:
        raise ShapeError(f"{layer}: expected {name} of shape {expected}, got "
                         f"{tuple(state.shape)}")


def _initial_states(name: str, lstm: bool, hx, shape: tuple[int, int, int], x: Tensor,
                    unbatched: bool) -> list:
    """hx (zeros if None) as a list of states, one per layer and direction."""
    if hx is None:
        zeros = _wrap(np.zeros(shape, x.data.dtype))
        hx = (zeros, zeros) if lstm else zeros
    else:
        if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{name}: hx must be the pair (h_0, c_0)")
        for label, state in zip(("h_0", "c_0"), hx if lstm else (hx,)):
            _check_state(name, label, state, shape[::2] if unbatched else shape)
            if state.data.dtype != x.data.dtype:
                raise DTypeError(f"{name}: {label} has dtype {state.dtype} but input has "
                                 f"{x.dtype}")
        if unbatched:
            hx = tuple(s.unsqueeze(1) for s in hx) if lstm else hx.unsqueeze(1)
    if lstm:
        return list(zip(unbind(hx[0], 0), unbind(hx[1], 0)))
    return list(unbind(hx, 0))


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU: parameters per layer and direction, and the
    layout options; ``mode`` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'.

    Args:
        input_size, hidden_size: features of the input and of the hidden state.
        num_layers: layers stacked, each reading the previous one's output.
        bias: learn b_ih and b_hh.
        batch_first: input and output are (batch, seq, features); states are not affected.
        dropout: dropout on each layer's output but the last, in training.
        bidirectional: a second direction per layer, reading the sequence from the end; its
            outputs are concatenated to the first's.

    Every parameter starts uniform in (-1/√hidden_size, 1/√hidden_size), as in PyTorch.

    Example:
        >>> import chainrule
        >>> lstm = chainrule.nn.RNNBase("LSTM", 3, 4)
        >>> [name for name, _ in lstm.named_parameters()]
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"{name}: unknown mode {mode!r}; expected one of {list(_GATES)}")
        _check_sizes(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between layers, so with "
                          f"num_layers=1 it does nothing", stacklevel=2)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        gates = _GATES[mode] * hidden_size
        for layer in range(num_layers):
            for suffix in ("", "_reverse")[:2 if bidirectional else 1]:
                width = input_size if layer == 0 else hidden_size * (2 if bidirectional else 1)
                shapes = {"weight_ih": (gates, width), "weight_hh": (gates, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                for kind, shape in shapes.items():
                    self.register_parameter(f"{kind}_l{layer}{suffix}",
                                            Parameter(empty(*shape, dtype=dtype, device=device)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)
        with no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def _all_weights(self) -> list[tuple]:
        """(w_ih, w_hh, b_ih, b_hh) for each layer and direction, in that order."""
        p, d = self._parameters, 2 if self.bidirectional else 1
        return [tuple(p.get(f"{n}_l{layer}{suffix}")
                      for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
                for layer in range(self.num_layers) for suffix in ("", "_reverse")[:d]]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction: [w_ih, w_hh(, b_ih, b_hh)] each."""
        return [[w for w in ws if w is not None] for ws in self._all_weights()]

    def flatten_parameters(self) -> None:
        """Nothing to do: kept so code written for PyTorch's cuDNN path runs unchanged."""

    def forward(self, input: Tensor, hx=None):
        """``(output, h_n)``, or ``(output, (h_n, c_n))`` for LSTM.

        input is (seq, batch, input_size) (batch first if ``batch_first``) or (seq, input_size)
        unbatched; output has 2 * hidden_size features when bidirectional.
        """
        name, lstm = type(self).__name__, self.mode == "LSTM"
        _check_input(name, input, self.input_size, (2, 3), self.weight_ih_l0)
        unbatched = input.ndim == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first
                                                  else input)
        shape = (self.num_layers * (2 if self.bidirectional else 1), x.shape[1], self.hidden_size)
        states = _initial_states(name, lstm, hx, shape, x, unbatched)
        x, finals = F_rnn.stacked_rnn(self.mode, x, states, self._all_weights(), self.num_layers,
                                      self.bidirectional, self.dropout, self.training)
        output = x.squeeze(1) if unbatched else (x.transpose(0, 1) if self.batch_first else x)
        if lstm:
            h_n, c_n = stack([h for h, _ in finals], 0), stack([c for _, c in finals], 0)
            return output, ((h_n.squeeze(1), c_n.squeeze(1)) if unbatched else (h_n, c_n))
        h_n = stack(finals, 0)
        return output, (h_n.squeeze(1) if unbatched else h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = nonlinearity(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), per layer.

    Args:
        nonlinearity: 'tanh' or 'relu'. The others as :class:`RNNBase`.

    Example:
        >>> import chainrule
        >>> rnn = chainrule.nn.RNN(4, 3, num_layers=2)
        >>> out, h_n = rnn(chainrule.randn(5, 2, 4))
        >>> out.shape, h_n.shape
        ((5, 2, 3), (2, 2, 3))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device, dtype)


class LSTM(RNNBase):
    """LSTM: per step (i, f, g, o) = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh,
    c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c'). Returns ``(output, (h_n, c_n))``.

    Example:
        >>> import chainrule
        >>> lstm = chainrule.nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        >>> out, (h_n, c_n) = lstm(chainrule.randn(2, 5, 4))
        >>> out.shape, h_n.shape, c_n.shape
        ((2, 5, 6), (2, 2, 3), (2, 2, 3))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class GRU(RNNBase):
    """GRU: r, z = σ(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.

    Example:
        >>> import chainrule
        >>> gru = chainrule.nn.GRU(4, 3)
        >>> out, h_n = gru(chainrule.randn(5, 4))  # unbatched
        >>> out.shape, h_n.shape
        ((5, 3), (1, 3))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class RNNCellBase(Module):
    """Parameters weight_ih (chunks*hidden, input), weight_hh (chunks*hidden, hidden) and the
    biases of one recurrent step, uniform in (-1/√hidden_size, 1/√hidden_size)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        _check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows, kw = num_chunks * hidden_size, {"dtype": dtype, "device": device}
        self.weight_ih = Parameter(empty(rows, input_size, **kw))
        self.weight_hh = Parameter(empty(rows, hidden_size, **kw))
        for name in ("bias_ih", "bias_hh"):
            self.register_parameter(name, Parameter(empty(rows, **kw)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)
        with no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def _step_args(self, input: Tensor, hx, lstm: bool = False):
        """(batched input, batched states, unbatched?) with zero states when hx is None."""
        name = type(self).__name__
        _check_input(name, input, self.input_size, (1, 2), self.weight_ih)
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            zeros = _wrap(np.zeros(shape, x.data.dtype))
            return x, ((zeros, zeros) if lstm else zeros), unbatched
        states = hx if lstm else (hx,)
        if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{name}: hx must be the pair (h_0, c_0)")
        for label, s in zip(("h_0", "c_0") if lstm else ("hx",), states):
            _check_state(name, label, s, shape[1:] if unbatched else shape)
        states = tuple(s.unsqueeze(0) for s in states) if unbatched else tuple(states)
        return x, (states if lstm else states[0]), unbatched

    def _weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        s += "" if self.bias else ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity='{self.nonlinearity}'"
        return s


class RNNCell(RNNCellBase):
    """h' = nonlinearity(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (``nonlinearity`` 'tanh' or 'relu').

    Example:
        >>> import chainrule
        >>> cell = chainrule.nn.RNNCell(4, 3)
        >>> cell(chainrule.randn(2, 4)).shape
        (2, 3)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; use 'tanh' or "
                             f"'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, unbatched = self._step_args(input, hx)
        cell = F_rnn.rnn_tanh_cell if self.nonlinearity == "tanh" else F_rnn.rnn_relu_cell
        out = cell(x, h, *self._weights())
        return out.squeeze(0) if unbatched else out


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c'); see :func:`chainrule.nn.functional.lstm_cell`.

    Example:
        >>> import chainrule
        >>> cell = chainrule.nn.LSTMCell(4, 3)
        >>> h, c = cell(chainrule.randn(4))  # unbatched
        >>> h.shape, c.shape
        ((3,), (3,))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        x, state, unbatched = self._step_args(input, hx, lstm=True)
        h, c = F_rnn.lstm_cell(x, state, *self._weights())
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step; see :func:`chainrule.nn.functional.gru_cell`.

    Example:
        >>> import chainrule
        >>> cell = chainrule.nn.GRUCell(4, 3)
        >>> cell(chainrule.randn(2, 4), chainrule.zeros(2, 3)).shape
        (2, 3)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, unbatched = self._step_args(input, hx)
        out = F_rnn.gru_cell(x, h, *self._weights())
        return out.squeeze(0) if unbatched else out
