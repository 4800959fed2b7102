"""Activation layers: each is its F function with the stored options, has PyTorch's repr and
no parameters, and matches the torch layer built with the same arguments."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.nn as nn
import chainrule.nn.functional as F

# (layer name, constructor args, the F call it must equal, PyTorch's repr)
LAYERS = [
    ("ReLU", (), lambda x: F.relu(x), "ReLU()"),
    ("ReLU", (True,), lambda x: F.relu(x), "ReLU(inplace=True)"),
    ("LeakyReLU", (), lambda x: F.leaky_relu(x), "LeakyReLU(negative_slope=0.01)"),
    ("LeakyReLU", (0.2, True), lambda x: F.leaky_relu(x, 0.2),
     "LeakyReLU(negative_slope=0.2, inplace=True)"),
    ("ELU", (), lambda x: F.elu(x), "ELU(alpha=1.0)"),
    ("ELU", (0.5,), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5)"),
    ("GELU", (), lambda x: F.gelu(x), "GELU(approximate='none')"),
    ("GELU", ("tanh",), lambda x: F.gelu(x, "tanh"), "GELU(approximate='tanh')"),
    ("SiLU", (), lambda x: F.silu(x), "SiLU()"),
    ("Tanh", (), lambda x: F.tanh(x), "Tanh()"),
    ("Sigmoid", (), lambda x: F.sigmoid(x), "Sigmoid()"),
    ("Softplus", (), lambda x: F.softplus(x), "Softplus(beta=1.0, threshold=20.0)"),
    ("Softplus", (2.0, 3.0), lambda x: F.softplus(x, 2.0, 3.0),
     "Softplus(beta=2.0, threshold=3.0)"),
    ("Hardtanh", (), lambda x: F.hardtanh(x), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    ("Hardtanh", (-2.0, 0.5, True), lambda x: F.hardtanh(x, -2.0, 0.5),
     "Hardtanh(min_val=-2.0, max_val=0.5, inplace=True)"),
    ("ReLU6", (), lambda x: F.relu6(x), "ReLU6()"),
    ("LogSigmoid", (), lambda x: F.logsigmoid(x), "LogSigmoid()"),
    ("Softmax", (1,), lambda x: F.softmax(x, 1), "Softmax(dim=1)"),
    ("LogSoftmax", (-1,), lambda x: F.log_softmax(x, -1), "LogSoftmax(dim=-1)"),
    ("Softmin", (0,), lambda x: F.softmin(x, 0), "Softmin(dim=0)"),
    ("SELU", (), lambda x: F.selu(x), "SELU()"),
    ("CELU", (2.0,), lambda x: F.celu(x, 2.0), "CELU(alpha=2.0)"),
    ("Mish", (True,), lambda x: F.mish(x), "Mish(inplace=True)"),
    ("Hardsigmoid", (), lambda x: F.hardsigmoid(x), "Hardsigmoid()"),
    ("Hardswish", (), lambda x: F.hardswish(x), "Hardswish()"),
    ("Softsign", (), lambda x: F.softsign(x), "Softsign()"),
    ("Threshold", (0.5, -2.0), lambda x: F.threshold(x, 0.5, -2.0),
     "Threshold(threshold=0.5, value=-2.0)"),
    ("GLU", (), lambda x: F.glu(x), "GLU(dim=-1)"),
]
IDS = [f"{name}{args}" for name, args, _, _ in LAYERS]


@pytest.mark.parametrize(("name", "args", "call", "text"), LAYERS, ids=IDS)
def test_layer_equals_its_functional_form(name, args, call, text, rng):
    data = rng.uniform(-3, 3, (3, 4))
    out = getattr(nn, name)(*args)(chainrule.tensor(data.copy()))
    np.testing.assert_allclose(out.data, call(chainrule.tensor(data)).data)


@pytest.mark.parametrize(("name", "args", "call", "text"), LAYERS, ids=IDS)
def test_layer_repr_and_no_parameters(name, args, call, text):
    layer = getattr(nn, name)(*args)
    assert repr(layer) == text
    assert list(layer.parameters()) == [] and layer.state_dict() == {}


@pytest.mark.parametrize(("name", "args", "call", "text"), LAYERS, ids=IDS)
def test_layer_matches_torch(name, args, call, text, rng):
    torch = pytest.importorskip("torch")
    data = rng.uniform(-3, 3, (2, 3, 4))
    x = chainrule.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = getattr(nn, name)(*args)(x * 1.0)
    expected = getattr(torch.nn, name)(*args)(tx * 1.0)
    assert repr(getattr(torch.nn, name)(*args)) == text
    seed = rng.standard_normal(out.shape)
    out.backward(chainrule.tensor(seed))
    expected.backward(torch.tensor(seed))
    rtol = 1e-7 if name == "Hardsigmoid" else 1e-10  # torch rounds its 1/6 to float32
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=rtol, atol=1e-12)


def test_inplace_layer_overwrites_its_input():
    x = chainrule.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x
    np.testing.assert_array_equal(x.data, [0.0, 2.0])


def test_softmax_layer_without_dim_warns():
    layer = nn.Softmax()
    assert repr(layer) == "Softmax(dim=None)"
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = layer(chainrule.zeros(2, 4))
    np.testing.assert_allclose(out.data, 0.25)


def test_activation_layers_work_inside_sequential(rng):
    model = nn.Sequential(nn.Tanh(), nn.LeakyReLU(0.1), nn.Softmax(dim=-1))
    data = rng.standard_normal((2, 3))
    expected = F.softmax(F.leaky_relu(F.tanh(chainrule.tensor(data)), 0.1), dim=-1)
    np.testing.assert_allclose(model(chainrule.tensor(data)).data, expected.data)


def test_hardtanh_rejects_min_above_max():
    with pytest.raises(ValueError, match=r"Hardtanh: min_val \(1.0\) cannot be greater"):
        nn.Hardtanh(1.0, 0.0)


def test_prelu_has_one_learnt_slope_per_channel():
    layer = nn.PReLU(3, init=0.1)
    assert repr(layer) == "PReLU(num_parameters=3)"
    (name, weight), = layer.named_parameters()
    assert name == "weight" and weight.shape == (3,) and weight.dtype == chainrule.float32
    np.testing.assert_allclose(weight.data, 0.1)


def test_prelu_matches_torch_with_copied_weights(rng):
    torch = pytest.importorskip("torch")
    data, w = rng.uniform(-3, 3, (2, 3, 4)), rng.uniform(0.1, 0.5, 3)
    layer, torch_layer = nn.PReLU(3).double(), torch.nn.PReLU(3).double()
    layer.weight.data[...] = w
    with torch.no_grad():
        torch_layer.weight.copy_(torch.tensor(w))
    x, tx = chainrule.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = layer(x), torch_layer(tx)
    seed = rng.standard_normal(out.shape)
    out.backward(chainrule.tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, torch_layer.weight.grad.numpy(),
                               rtol=1e-10)
    assert repr(torch_layer) == repr(layer)
