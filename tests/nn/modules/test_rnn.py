"""nn.RNN, LSTM, GRU and RNNCell, LSTMCell, GRUCell: shapes, names, init, vs torch, errors."""

import math

import numpy as np
import pytest

import chainrule
from chainrule import DTypeError, ShapeError, nn
from chainrule.autograd import gradcheck

LAYERS = {"rnn_tanh": (nn.RNN, {}), "rnn_relu": (nn.RNN, {"nonlinearity": "relu"}),
          "lstm": (nn.LSTM, {}), "gru": (nn.GRU, {})}
CELLS = {"rnn_tanh": (nn.RNNCell, {}), "rnn_relu": (nn.RNNCell, {"nonlinearity": "relu"}),
         "lstm": (nn.LSTMCell, {}), "gru": (nn.GRUCell, {})}


def _copy_into_torch(ours, theirs):
    """Give the torch module our parameters (same names), so both compute the same function."""
    torch = pytest.importorskip("torch")
    ours_params = dict(ours.named_parameters())
    assert list(ours_params) == [n for n, _ in theirs.named_parameters()]
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(ours_params[name].detach().numpy().copy()))


def _compare(ours, theirs, out, ref, inputs, torch_inputs):
    """Outputs, then gradients of inputs and parameters after backward of a weighted sum."""
    flat = [o for item in out for o in (item if isinstance(item, tuple) else (item,))]
    flat_ref = [o for item in ref for o in (item if isinstance(item, tuple) else (item,))]
    assert len(flat) == len(flat_ref)
    loss = chainrule.zeros(())
    for k, o in enumerate(flat):
        loss = loss + (o * o).sum() * (k + 1)
    loss.backward()
    sum((o * o).sum() * (k + 1) for k, o in enumerate(flat_ref)).backward()
    for got, want in zip(flat, flat_ref):
        assert got.shape == tuple(want.shape)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                                   atol=1e-5)
    for got, want in zip(inputs, torch_inputs):
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-4, atol=1e-4)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad.dtype == chainrule.float32
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-4, err_msg=name)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("options", [
    {},
    {"num_layers": 2, "bidirectional": True},
    {"num_layers": 2, "batch_first": True},
    {"bidirectional": True, "batch_first": True, "bias": False},
], ids=["plain", "2layers-bidir", "2layers-batch_first", "bidir-batch_first-nobias"])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_matches_torch(name, options, with_state, rng):
    torch = pytest.importorskip("torch")
    cls, extra = LAYERS[name]
    ours = cls(3, 4, **extra, **options)
    theirs = getattr(torch.nn, cls.__name__)(3, 4, **extra, **options)
    _copy_into_torch(ours, theirs)
    x_np = rng.standard_normal((2, 5, 3) if options.get("batch_first") else (5, 2, 3))
    inputs_np = [x_np.astype(np.float32)]
    if with_state:
        layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
        states = 2 if name == "lstm" else 1
        inputs_np += [rng.standard_normal((layers, 2, 4)).astype(np.float32)
                      for _ in range(states)]
    inputs = [chainrule.tensor(a, requires_grad=True) for a in inputs_np]
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in inputs_np]

    def call(module, args):
        if not with_state:
            return module(args[0])
        return module(args[0], tuple(args[1:]) if name == "lstm" else args[1])

    _compare(ours, theirs, call(ours, inputs), call(theirs, torch_inputs), inputs, torch_inputs)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_unbatched_input_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    cls, extra = LAYERS[name]
    ours = cls(3, 4, num_layers=2, bidirectional=True, **extra)
    theirs = getattr(torch.nn, cls.__name__)(3, 4, num_layers=2, bidirectional=True, **extra)
    _copy_into_torch(ours, theirs)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((5, 3), (4, 4), (4, 4))]
    arrays = arrays if name == "lstm" else arrays[:2]
    inputs = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(module, args):
        return module(args[0], tuple(args[1:]) if name == "lstm" else args[1])

    _compare(ours, theirs, call(ours, inputs), call(theirs, torch_inputs), inputs, torch_inputs)


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(name, batched, rng):
    torch = pytest.importorskip("torch")
    cls, extra = CELLS[name]
    ours, theirs = cls(3, 4, **extra), getattr(torch.nn, cls.__name__)(3, 4, **extra)
    _copy_into_torch(ours, theirs)
    lead = (2,) if batched else ()
    arrays = [rng.standard_normal(lead + (n,)).astype(np.float32) for n in (3, 4, 4)]
    arrays = arrays if name == "lstm" else arrays[:2]
    inputs = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(module, args):
        out = module(args[0], tuple(args[1:]) if name == "lstm" else args[1])
        return out if name == "lstm" else (out,)

    _compare(ours, theirs, call(ours, inputs), call(theirs, torch_inputs), inputs, torch_inputs)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradcheck_two_layers_bidirectional(name, rng):
    cls, extra = LAYERS[name]
    layer = cls(2, 2, num_layers=2, bidirectional=True, **extra).double()
    x = chainrule.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)

    def run(x):
        out, final = layer(x)
        return (out, *final) if name == "lstm" else (out, final)

    assert gradcheck(run, (x,))


def test_default_states_are_zeros(rng):
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = chainrule.tensor(rng.standard_normal((5, 2, 3)).astype(np.float32))
    zeros = chainrule.zeros(2, 2, 4)
    out, (h, c) = lstm(x)
    out0, (h0, c0) = lstm(x, (zeros, zeros))
    np.testing.assert_array_equal(out.detach().numpy(), out0.detach().numpy())
    np.testing.assert_array_equal(c.detach().numpy(), c0.detach().numpy())


def test_parameter_names_shapes_and_init():
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    shapes = {n: p.shape for n, p in gru.named_parameters()}
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert shapes["weight_ih_l0_reverse"] == (12, 3)
    assert shapes["weight_ih_l1"] == (12, 8)
    assert shapes["bias_hh_l1_reverse"] == (12,)
    assert len(shapes) == 16
    bound = 1 / math.sqrt(4)
    values = np.concatenate([p.detach().numpy().ravel() for p in gru.parameters()])
    assert values.dtype == np.float32
    assert np.all(np.abs(values) <= bound) and values.std() > bound / 3
    names = [n for n, _ in nn.LSTMCell(3, 4, bias=False).named_parameters()]
    assert names == ["weight_ih", "weight_hh"]


def test_all_weights_lists_each_layer_and_direction():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, bias=False)
    lstm.flatten_parameters()
    shapes = [[tuple(p.shape) for p in ws] for ws in lstm.all_weights]
    assert shapes == [[(16, 3), (16, 4)], [(16, 3), (16, 4)], [(16, 8), (16, 4)],
                      [(16, 8), (16, 4)]]
    assert lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse


def test_dtype_argument_makes_float64_parameters(rng):
    for module in (nn.GRU(3, 4, num_layers=2, dtype=chainrule.float64),
                   nn.LSTMCell(3, 4, dtype=chainrule.float64)):
        assert {p.dtype for p in module.parameters()} == {chainrule.float64}
    lstm = nn.LSTM(3, 4, dtype=chainrule.float64)
    out, (h, c) = lstm(chainrule.tensor(rng.standard_normal((5, 2, 3))))
    assert out.dtype == h.dtype == c.dtype == chainrule.float64


def test_init_follows_manual_seed():
    chainrule.manual_seed(3)
    first = nn.LSTM(3, 4).weight_hh_l0.detach().numpy().copy()
    chainrule.manual_seed(3)
    np.testing.assert_array_equal(nn.LSTM(3, 4).weight_hh_l0.detach().numpy(), first)


def test_dropout_acts_between_layers_only_in_training(rng):
    x = chainrule.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32))
    rnn = nn.RNN(3, 5, num_layers=2, dropout=0.5)
    chainrule.manual_seed(0)
    a = rnn(x)[0].detach().numpy()
    chainrule.manual_seed(1)
    b = rnn(x)[0].detach().numpy()
    assert not np.allclose(a, b)
    rnn.eval()
    np.testing.assert_array_equal(rnn(x)[0].detach().numpy(), rnn(x)[0].detach().numpy())
    plain = nn.RNN(3, 5, num_layers=2)
    plain.load_state_dict(rnn.state_dict())
    np.testing.assert_allclose(rnn(x)[0].detach().numpy(), plain(x)[0].detach().numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_repr():
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)) == \
        "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


def test_layer_rejects_wrong_input_size():
    with pytest.raises(ShapeError, match=r"LSTM: input.size\(-1\) must be equal to input_size; "
                                         r"expected 3, got 5 \(input shape \(7, 2, 5\)\)"):
        nn.LSTM(3, 4)(chainrule.zeros(7, 2, 5))
    with pytest.raises(ShapeError, match=r"GRU: expected input with 2 \(unbatched\) or 3"):
        nn.GRU(3, 4)(chainrule.zeros(3))


def test_layer_rejects_wrong_state_shape():
    lstm = nn.LSTM(3, 4, num_layers=2)
    h = chainrule.zeros(1, 2, 4)
    with pytest.raises(ShapeError, match=r"LSTM: expected h_0 of shape \(2, 2, 4\), got "
                                         r"\(1, 2, 4\)"):
        lstm(chainrule.zeros(5, 2, 3), (h, h))
    with pytest.raises(TypeError, match=r"LSTM: hx must be the pair \(h_0, c_0\)"):
        lstm(chainrule.zeros(5, 2, 3), chainrule.zeros(2, 2, 4))
    with pytest.raises(DTypeError, match="RNN: h_0 has dtype chainrule.float64"):
        nn.RNN(3, 4)(chainrule.zeros(5, 2, 3), chainrule.zeros(1, 2, 4, dtype=chainrule.float64))


def test_layer_and_cell_reject_input_of_another_dtype():
    with pytest.raises(DTypeError, match="LSTM: input is chainrule.float64 but the parameters "
                                         "are chainrule.float32"):
        nn.LSTM(3, 4)(chainrule.zeros(5, 2, 3, dtype=chainrule.float64))
    with pytest.raises(DTypeError, match="GRUCell: input is chainrule.int64"):
        nn.GRUCell(3, 4)(chainrule.zeros(2, 3, dtype=chainrule.int64))


def test_cell_rejects_wrong_shapes():
    with pytest.raises(ShapeError, match=r"GRUCell: input.size\(-1\) must be equal to "
                                         r"input_size; expected 3, got 2"):
        nn.GRUCell(3, 4)(chainrule.zeros(2, 2))
    with pytest.raises(ShapeError, match=r"RNNCell: expected hx of shape \(2, 4\), got \(2, 5\)"):
        nn.RNNCell(3, 4)(chainrule.zeros(2, 3), chainrule.zeros(2, 5))


def test_constructor_rejects_bad_configuration():
    with pytest.raises(ValueError, match="RNN: unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTM: hidden_size must be a positive integer, got 0"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match=r"GRU: dropout should be a number in \[0, 1\]"):
        nn.GRU(3, 4, num_layers=2, dropout=1.5)


def test_lstm_learns_the_running_sum_of_a_sequence(rng):
    """End to end: LSTM + Linear trained with Adam fits a small sequence task."""
    chainrule.manual_seed(0)
    lstm, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    optimizer = chainrule.optim.Adam(params, lr=0.03)
    x = rng.uniform(-1, 1, (32, 5, 1)).astype(np.float32)
    inputs, targets = chainrule.tensor(x), chainrule.tensor(np.cumsum(x, axis=1))
    losses = []
    for _ in range(80):
        optimizer.zero_grad()
        loss = ((head(lstm(inputs)[0]) - targets) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 10
