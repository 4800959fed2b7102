"""F.rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell and the one-layer sequence functions."""

import numpy as np
import pytest

import chainrule
from chainrule import DTypeError, ShapeError
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn import functional as F
from chainrule.nn.functional.rnn import gru_sequence, lstm_sequence, rnn_sequence


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _ref_rnn(x, h, w_ih, w_hh, b_ih, b_hh, act):
    return act(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def _ref_lstm(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=-1)
    c_next = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c_next), c_next


def _ref_gru(x, h, w_ih, w_hh, b_ih, b_hh):
    x_r, x_z, x_n = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
    r, z = _sigmoid(x_r + h_r), _sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


CELLS = {
    "rnn_tanh": (F.rnn_tanh_cell, 1, lambda *a: _ref_rnn(*a, np.tanh)),
    "rnn_relu": (F.rnn_relu_cell, 1, lambda *a: _ref_rnn(*a, lambda v: np.maximum(v, 0))),
    "lstm": (F.lstm_cell, 4, _ref_lstm),
    "gru": (F.gru_cell, 3, _ref_gru),
}


def _arrays(rng, gates, batch=3, inp=4, hidden=5, dtype=np.float64):
    shapes = [(batch, inp), (batch, hidden), (gates * hidden, inp), (gates * hidden, hidden),
              (gates * hidden,), (gates * hidden,)]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _state(name, arrays, rng, requires_grad=False):
    """The cell's hx argument: h, or (h, c) for the LSTM."""
    h = chainrule.tensor(arrays[1], requires_grad=requires_grad)
    if name != "lstm":
        return h, arrays[1]
    c = rng.standard_normal(arrays[1].shape).astype(arrays[1].dtype)
    return (h, chainrule.tensor(c, requires_grad=requires_grad)), (arrays[1], c)


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_matches_numpy(name, bias, rng):
    fn, gates, ref = CELLS[name]
    arrays = _arrays(rng, gates, dtype=np.float32)
    hx, hx_np = _state(name, arrays, rng)
    weights = [chainrule.tensor(a) for a in arrays[2:4]]
    biases = [chainrule.tensor(a) for a in arrays[4:]] if bias else [None, None]
    out = fn(chainrule.tensor(arrays[0]), hx, *weights, *biases)
    zero = np.zeros_like(arrays[4])
    expected = ref(arrays[0], hx_np, *arrays[2:4], *(arrays[4:] if bias else (zero, zero)))
    for got, want in zip(out if name == "lstm" else (out,), expected if name == "lstm"
                         else (expected,), strict=True):
        assert got.dtype == chainrule.float32
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CELLS)
def test_cell_gradcheck(name, rng):
    fn, gates, _ = CELLS[name]
    arrays = _arrays(rng, gates, batch=2, inp=3, hidden=2)
    x, w_ih, w_hh, b_ih, b_hh = (chainrule.tensor(a, requires_grad=True)
                                 for a in (arrays[0], *arrays[2:]))
    if name == "lstm":
        (h, c), _ = _state(name, arrays, rng, requires_grad=True)
        assert gradcheck(lambda x, h, c, *w: fn(x, (h, c), *w), (x, h, c, w_ih, w_hh, b_ih, b_hh))
    else:
        h, _ = _state(name, arrays, rng, requires_grad=True)
        assert gradcheck(fn, (x, h, w_ih, w_hh, b_ih, b_hh))


@pytest.mark.parametrize("name", CELLS)
def test_cell_gradgradcheck(name, rng):
    fn, gates, _ = CELLS[name]
    arrays = _arrays(rng, gates, batch=2, inp=2, hidden=2)
    x, w_ih, w_hh, b_ih, b_hh = (chainrule.tensor(a, requires_grad=True)
                                 for a in (arrays[0], *arrays[2:]))
    if name == "lstm":
        (h, c), _ = _state(name, arrays, rng, requires_grad=True)
        assert gradgradcheck(lambda x, h, c, *w: fn(x, (h, c), *w),
                             (x, h, c, w_ih, w_hh, b_ih, b_hh))
    else:
        h, _ = _state(name, arrays, rng, requires_grad=True)
        assert gradgradcheck(fn, (x, h, w_ih, w_hh, b_ih, b_hh))


@pytest.mark.parametrize("name", CELLS)
def test_cell_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    fn, gates, _ = CELLS[name]
    torch_fn = {"rnn_tanh": torch.rnn_tanh_cell, "rnn_relu": torch.rnn_relu_cell,
                "lstm": torch.lstm_cell, "gru": torch.gru_cell}[name]
    arrays = _arrays(rng, gates, dtype=np.float32)
    if name == "lstm":
        arrays.append(rng.standard_normal(arrays[1].shape).astype(np.float32))
    ours = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(f, t):
        hx = (t[1], t[6]) if name == "lstm" else t[1]
        out = f(t[0], hx, *t[2:6])
        return out if name == "lstm" else (out,)

    out, ref = call(fn, ours), call(torch_fn, theirs)
    sum(((o * (k + 1)).sum() for k, o in enumerate(out)), chainrule.zeros(())).backward()
    sum((o * (k + 1)).sum() for k, o in enumerate(ref)).backward()
    for got, want in zip(out, ref, strict=True):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    for got, want in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-4, atol=1e-5)


SEQUENCES = {"rnn": (rnn_sequence, 1), "lstm": (lstm_sequence, 4), "gru": (gru_sequence, 3)}


@pytest.mark.parametrize("name", SEQUENCES)
@pytest.mark.parametrize("reverse", [False, True])
def test_sequence_gradcheck(name, reverse, rng):
    fn, gates = SEQUENCES[name]
    hidden = 2
    x = chainrule.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h = chainrule.tensor(rng.standard_normal((2, hidden)), requires_grad=True)
    c = chainrule.tensor(rng.standard_normal((2, hidden)), requires_grad=True)
    w = [chainrule.tensor(rng.standard_normal(s), requires_grad=True)
         for s in ((gates * hidden, 2), (gates * hidden, hidden), (gates * hidden,),
                   (gates * hidden,))]

    def run(x, h, c, *w):
        out, final = fn(x, (h, c) if name == "lstm" else h, *w, reverse)
        return (out, *final) if name == "lstm" else (out, final)

    assert gradcheck(run, (x, h, c, *w), check_forward_ad=True)


def _run_recurrence(name, reverse):
    """(x, h, c, w_ih, w_hh, b_ih, b_hh) -> the sequence's outputs, for LSTM or GRU."""
    def run(x, h, c, *w):
        if name == "lstm":
            out, (h_n, c_n) = lstm_sequence(x, (h, c), *w, reverse)
            return out, h_n, c_n
        return gru_sequence(x, h, *w, reverse)

    return run


@pytest.mark.parametrize("name", ["lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_gradgradcheck(name, reverse, rng):
    """The LSTM and GRU recurrences are primitives: their create_graph rules must
    differentiate again."""
    gates = 4 if name == "lstm" else 3
    x = chainrule.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    h, c = (chainrule.tensor(rng.standard_normal((1, 2)), requires_grad=True) for _ in range(2))
    w = [chainrule.tensor(rng.standard_normal(s), requires_grad=True)
         for s in ((2 * gates, 2), (2 * gates, 2), (2 * gates,))]
    run = _run_recurrence(name, reverse)
    assert gradgradcheck(lambda x, h, c, w_ih, w_hh, b_hh: run(x, h, c, w_ih, w_hh, None, b_hh),
                         (x, h, c, *w))


@pytest.mark.parametrize("name", ["lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_fast_and_differentiable_backward_agree(name, reverse, rng):
    """The NumPy rule (plain backward) and the chainrule-ops rule (create_graph) are one rule,
    and both stay float32."""
    g = 24 if name == "lstm" else 18
    arrays = [rng.standard_normal(s).astype(np.float32) for s in
              ((4, 3, 5), (3, 6), (3, 6), (g, 5), (g, 6), (g,), (g,))]
    grads = []
    for create_graph in (False, True):
        tensors = [chainrule.tensor(a, requires_grad=True) for a in arrays]
        outputs = _run_recurrence(name, reverse)(*tensors)
        loss = sum(((o * o).sum() * (k + 1) for k, o in enumerate(outputs)), chainrule.zeros(()))
        wrt = tensors if name == "lstm" else tensors[:2] + tensors[3:]  # the GRU has no c
        found = chainrule.autograd.grad(loss, wrt, create_graph=create_graph)
        assert all(grad.dtype == chainrule.float32 for grad in found)
        grads.append([grad.detach().numpy() for grad in found])
    for fast, composed in zip(*grads, strict=True):
        np.testing.assert_allclose(fast, composed, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_numpy_rule_equals_the_differentiable_one(name, reverse, rng):
    """On one graph in float64: a plain backward runs the recurrence's backward_numpy,
    create_graph its backward in chainrule ops, and the two give the same gradients."""
    from chainrule.nn.functional.rnn import GRURecurrence, LSTMRecurrence

    assert (LSTMRecurrence if name == "lstm" else GRURecurrence).backward_numpy is not None
    g = 24 if name == "lstm" else 18
    tensors = [chainrule.tensor(rng.standard_normal(s), requires_grad=True) for s in
               ((4, 3, 5), (3, 6), (3, 6), (g, 5), (g, 6), (g,), (g,))]
    outputs = _run_recurrence(name, reverse)(*tensors)
    loss = sum(((o * o).sum() * (k + 1) for k, o in enumerate(outputs)), chainrule.zeros(()))
    wrt = tensors if name == "lstm" else tensors[:2] + tensors[3:]  # the GRU has no c
    plain = chainrule.autograd.grad(loss, wrt, retain_graph=True)
    graphed = chainrule.autograd.grad(loss, wrt, create_graph=True)
    for p, d in zip(plain, graphed, strict=True):
        assert p.grad_fn is None
        np.testing.assert_allclose(p.data, d.data, rtol=1e-10, atol=1e-12)


def test_sequence_runs_steps_in_order_and_reversed(rng):
    """Step by step with the cell gives the sequence's outputs; reverse runs from the end."""
    arrays = _arrays(rng, 4, batch=2, inp=3, hidden=2)
    x = chainrule.tensor(rng.standard_normal((4, 2, 3)))
    h0, c0 = chainrule.tensor(arrays[1]), chainrule.zeros(2, 2, dtype=chainrule.float64)
    w = [chainrule.tensor(a) for a in arrays[2:]]
    for reverse in (False, True):
        out, (h_n, c_n) = lstm_sequence(x, (h0, c0), *w, reverse)
        state, steps = (h0, c0), []
        for t in (range(3, -1, -1) if reverse else range(4)):
            state = F.lstm_cell(x[t], state, *w)
            steps.append((t, state[0].detach().numpy()))
        for t, h in steps:
            np.testing.assert_allclose(out[t].detach().numpy(), h, rtol=1e-12)
        np.testing.assert_allclose(h_n.detach().numpy(), state[0].detach().numpy(), rtol=1e-12)


def test_cell_rejects_wrong_input_size(rng):
    arrays = _arrays(rng, 4, dtype=np.float32)
    h = chainrule.tensor(arrays[1])
    with pytest.raises(ShapeError, match=r"lstm_cell: got input \(3, 7\).*w_ih \(20, 4\)"):
        F.lstm_cell(chainrule.zeros(3, 7), (h, h), *(chainrule.tensor(a) for a in arrays[2:]))
    with pytest.raises(ShapeError, match=r"gru_cell: got input \(3, 4\), hx \(3, 5\)"):
        F.gru_cell(chainrule.tensor(arrays[0]), h, *(chainrule.tensor(a) for a in arrays[2:]))


def test_cell_rejects_mixed_dtypes(rng):
    arrays = _arrays(rng, 1, dtype=np.float32)
    tensors = [chainrule.tensor(a) for a in arrays]
    tensors[2] = tensors[2].double()
    message = "rnn_tanh_cell: w_ih has dtype chainrule.float64 but input has chainrule.float32"
    with pytest.raises(DTypeError, match=message):
        F.rnn_tanh_cell(*tensors)


def test_lstm_cell_rejects_a_single_state(rng):
    arrays = _arrays(rng, 4, dtype=np.float32)
    tensors = [chainrule.tensor(a) for a in arrays]
    with pytest.raises(TypeError, match=r"lstm_cell: hx must be the pair \(h, c\)"):
        F.lstm_cell(*tensors)


@pytest.mark.parametrize("name", ["lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_output_changed_in_place_is_an_error_at_backward(name, reverse, rng):
    """The output shares memory with the states backward reads, so a change is caught."""
    gates = 4 if name == "lstm" else 3
    x = chainrule.tensor(rng.standard_normal((3, 2, 2)).astype(np.float32))
    h = chainrule.zeros(2, 2)
    w = [chainrule.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
         for s in ((2 * gates, 2), (2 * gates, 2), (2 * gates,), (2 * gates,))]
    out, _ = (lstm_sequence(x, (h, h), *w, reverse) if name == "lstm"
              else gru_sequence(x, h, *w, reverse))
    loss = out.sum()  # sum saves nothing: only the recurrence can notice
    with chainrule.no_grad():
        out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("needs", [(True, False), (False, True)])
def test_lstm_sequence_initial_state_gradients_only_where_required(needs, rng):
    """The plain backward skips the product for d h_0 (or d c_0) no one asked for; the one
    asked for still equals the create_graph rule's."""
    x = chainrule.tensor(rng.standard_normal((4, 3, 2)))
    w = [chainrule.tensor(rng.standard_normal(s), requires_grad=True)
         for s in ((8, 2), (8, 2), (8,), (8,))]
    states, found = [rng.standard_normal((3, 2)) for _ in range(2)], []
    for create_graph in (False, True):
        h, c = (chainrule.tensor(a, requires_grad=need)
                for a, need in zip(states, needs, strict=True))
        out, (h_n, c_n) = lstm_sequence(x, (h, c), *w, False)
        loss = (out * out).sum() + (c_n * h_n).sum()
        wanted = [t for t, need in zip((h, c), needs, strict=True) if need] + w
        found.append(chainrule.autograd.grad(loss, wanted, create_graph=create_graph))
    for fast, composed in zip(*found, strict=True):
        np.testing.assert_allclose(fast.detach().numpy(), composed.detach().numpy(), rtol=1e-10)
