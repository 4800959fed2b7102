"""nn.Identity, nn.Linear, nn.Bilinear: shapes, PyTorch's initialisation bounds, repr, and
outputs and gradients against torch with copied weights."""

import math

import numpy as np
import pytest

import chainrule
from chainrule import ShapeError, nn


def test_identity_returns_its_input_and_ignores_arguments():
    x = chainrule.ones(3)
    assert nn.Identity(1, 2, key="v")(x) is x


def test_linear_parameters_shapes_dtype_and_repr():
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer.weight.dtype == chainrule.float32
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=True)"
    no_bias = nn.Linear(4, 3, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight"]
    assert repr(no_bias) == "Linear(in_features=4, out_features=3, bias=False)"
    assert nn.Linear(2, 2, dtype=chainrule.float64).weight.dtype == chainrule.float64


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    chainrule.manual_seed(0)
    layer = nn.Linear(64, 200)
    bound = 1 / math.sqrt(64)
    w, b = layer.weight.data, layer.bias.data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-k, k) has std k/sqrt(3); 12800 draws pin it to about 1%
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.03)
    assert np.abs(w).max() > 0.97 * bound  # the bound is reached, not a narrower one


def test_linear_init_respects_manual_seed():
    chainrule.manual_seed(4)
    a = nn.Linear(3, 2).weight.data.copy()
    chainrule.manual_seed(4)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.data, a)


def test_linear_rejects_wrong_input_and_bad_sizes():
    with pytest.raises(ShapeError, match="check the layer's in_features"):
        nn.Linear(3, 2)(chainrule.ones(5, 4))
    with pytest.raises(ValueError, match="Linear: in_features must be a non-negative int"):
        nn.Linear(-1, 2)


def _copy_to_torch(torch, ours, theirs):
    with torch.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(torch.tensor(p.data))


def _check_against_torch(torch, ours, theirs, arrays):
    _copy_to_torch(torch, ours, theirs)
    xs = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = ours(*xs), theirs(*txs)
    (out * out).sum().backward()
    (t_out * t_out).sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-5, atol=1e-5)
    for x, tx in zip(xs, txs, strict=True):
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in ours.named_parameters():
        tp = getattr(theirs, name)
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(rng, bias):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 4, bias=bias), torch.nn.Linear(3, 4, bias=bias)
    _check_against_torch(torch, ours, theirs, [rng.standard_normal((2, 5, 3)).astype("f4")])
    assert repr(ours) == repr(theirs)


def test_bilinear_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Bilinear(3, 2, 4), torch.nn.Bilinear(3, 2, 4)
    arrays = [rng.standard_normal((5, 3)).astype("f4"), rng.standard_normal((5, 2)).astype("f4")]
    _check_against_torch(torch, ours, theirs, arrays)
    assert repr(ours) == repr(theirs)


def test_bilinear_init_bound_is_one_over_sqrt_in1_features():
    chainrule.manual_seed(0)
    layer = nn.Bilinear(16, 3, 50)
    bound = 1 / math.sqrt(16)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound
    assert np.abs(layer.bias.data).max() <= bound


class _Net(nn.Module):
    """Linear -> BatchNorm1d -> relu -> LayerNorm -> Linear, in either library."""

    def __init__(self, lib, relu):
        super().__init__()
        self.fc1, self.bn = lib.Linear(4, 8), lib.BatchNorm1d(8)
        self.ln, self.fc2 = lib.LayerNorm(8), lib.Linear(8, 1)
        self.relu = relu

    def forward(self, x):
        return self.fc2(self.ln(self.relu(self.bn(self.fc1(x)))))


def test_small_network_trains_like_torch_over_sgd_steps(rng):
    torch = pytest.importorskip("torch")
    ours = _Net(nn, chainrule.relu)
    theirs = torch.nn.Module()
    theirs.fc1, theirs.bn = torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8)
    theirs.ln, theirs.fc2 = torch.nn.LayerNorm(8), torch.nn.Linear(8, 1)
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    forward = lambda x: theirs.fc2(theirs.ln(torch.relu(theirs.bn(theirs.fc1(x)))))  # noqa: E731
    opt = chainrule.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], np.float32))[:, None]
    losses = []
    for _ in range(5):
        loss = ((ours(chainrule.tensor(x)) - chainrule.tensor(y)) ** 2).mean()
        t_loss = ((forward(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        opt.zero_grad()
        t_opt.zero_grad()
        loss.backward()
        t_loss.backward()
        opt.step()
        t_opt.step()
        np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-4)
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    for (key, value), t_value in zip(ours.state_dict().items(), theirs.state_dict().values(),
                                     strict=True):
        np.testing.assert_allclose(value.data, t_value.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=key)
