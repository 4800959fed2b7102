"""func.functional_call: swapped-in tensors, restored originals, gradients to the passed dict,
ties, strictness, and a MAML meta-gradient checked by finite differences (NumPy) and torch."""

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.func import functional_call, grad


def _t(a, requires_grad=False):
    return chainrule.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _mlp():
    chainrule.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()


def _params_np(model):
    return {k: v.data.copy() for k, v in model.named_parameters()}


class Scaled(nn.Module):
    """out = x * weight + offset (a buffer) + extra (a plain attribute, if any)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(_t([1.0, 1.0]))
        self.register_buffer("offset", _t([0.0, 0.0]))

    def forward(self, x, *, shift=0.0):
        return x * self.weight + self.offset + shift


def test_functional_call_uses_the_tensors_given_and_restores_the_originals(rng):
    model = _mlp()
    originals = dict(model.named_parameters())
    new = {k: _t(rng.standard_normal(v.shape)) for k, v in originals.items()}
    x = rng.standard_normal((4, 2))
    out = functional_call(model, new, (_t(x),))
    w1, b1, w2, b2 = (new[k].data for k in ["0.weight", "0.bias", "2.weight", "2.bias"])
    np.testing.assert_allclose(out.data, np.tanh(x @ w1.T + b1) @ w2.T + b2, rtol=1e-12)
    assert all(p is originals[k] for k, p in model.named_parameters())
    assert isinstance(model[0].weight, nn.Parameter)


def test_functional_call_restores_even_when_forward_raises():
    model = Scaled()
    weight = model.weight
    with pytest.raises(chainrule.ShapeError):
        functional_call(model, {"weight": _t([1.0, 2.0])}, _t([[1.0, 2.0, 3.0]]))
    assert model.weight is weight


def test_gradients_flow_to_the_passed_tensors_not_the_parameters():
    model = Scaled()
    w = _t([2.0, 3.0], requires_grad=True)
    off = _t([1.0, 1.0], requires_grad=True)
    out = functional_call(model, ({"weight": w}, {"offset": off}), _t([5.0, 7.0]))
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [11.0, 22.0])
    np.testing.assert_array_equal(w.grad.data, [5.0, 7.0])
    np.testing.assert_array_equal(off.grad.data, [1.0, 1.0])
    assert model.weight.grad is None


def test_args_kwargs_partial_dicts_and_plain_attributes():
    model = Scaled()
    x = _t([1.0, 2.0])
    out = functional_call(model, {"offset": _t([10.0, 20.0])}, (x,), {"shift": 100.0})
    np.testing.assert_array_equal(out.data, [111.0, 122.0])  # weight: the module's own
    model.forward = lambda x: x * model.scale  # an attribute that does not exist yet
    np.testing.assert_array_equal(functional_call(model, {"scale": _t(3.0)}, x).data, [3.0, 6.0])
    assert "scale" not in model.__dict__


def test_tied_weights_are_replaced_together_unless_tie_weights_is_false():
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)).double()
    model[1].weight = model[0].weight
    x = _t([1.0, 1.0])
    eye = _t(np.eye(2))
    np.testing.assert_allclose(functional_call(model, {"0.weight": eye}, x).data, [1.0, 1.0])
    w = model[0].weight.data
    np.testing.assert_allclose(functional_call(model, {"0.weight": eye}, x,
                                               tie_weights=False).data, w @ np.ones(2))
    with pytest.raises(ValueError, match="which are tied"):
        functional_call(model, {"0.weight": eye, "1.weight": eye * 2}, x)


def test_strict_and_bad_inputs_raise_before_any_swap():
    model = Scaled()
    weight = model.weight
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): \\['offset'\\]"):
        functional_call(model, {"weight": _t([1.0, 1.0])}, _t([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key\\(s\\): \\['other'\\]"):
        functional_call(model, {"weight": _t([1.0, 1.0]), "offset": _t([0.0, 0.0]),
                                "other": _t(1.0)}, _t([1.0, 1.0]), strict=True)
    with pytest.raises(ValueError, match="\\['weight'\\] appeared in multiple dictionaries"):
        functional_call(model, ({"weight": _t([1.0, 1.0])}, {"weight": _t([2.0, 2.0])}),
                        _t([1.0, 1.0]))
    with pytest.raises(TypeError, match="expected a Tensor for 'weight', got list"):
        functional_call(model, {"weight": [1.0, 1.0]}, _t([1.0, 1.0]))
    with pytest.raises(AttributeError, match="has no submodule 'sub'"):
        functional_call(model, {"sub.weight": _t([1.0, 1.0])}, _t([1.0, 1.0]))
    assert model.weight is weight


# -- MAML: the meta-gradient through one inner SGD step ---------------------------------------
LR = 0.1


def _loss(model, params, x, y):
    return ((functional_call(model, params, (x,)) - y) ** 2).mean()


def _maml_loss(model, params, support, query):
    inner = grad(lambda p: _loss(model, p, *support))(params)
    adapted = {k: params[k] - LR * inner[k] for k in params}
    return _loss(model, adapted, *query)


def _np_forward_and_grads(p, x, y):
    """The MLP's MSE loss and its first-order gradients, by hand in NumPy."""
    h = np.tanh(x @ p["0.weight"].T + p["0.bias"])
    out = h @ p["2.weight"].T + p["2.bias"]
    d_out = 2 * (out - y) / out.size
    dz = (d_out @ p["2.weight"]) * (1 - h ** 2)
    grads = {"0.weight": dz.T @ x, "0.bias": dz.sum(0),
             "2.weight": d_out.T @ h, "2.bias": d_out.sum(0)}
    return np.mean((out - y) ** 2), grads


def _np_maml_loss(p, support, query):
    _, g = _np_forward_and_grads(p, *support)
    return _np_forward_and_grads({k: p[k] - LR * g[k] for k in p}, *query)[0]


def _tasks(rng):
    xs, xq = rng.standard_normal((5, 2)), rng.standard_normal((6, 2))
    return (xs, np.sin(xs[:, :1])), (xq, np.sin(xq[:, :1]))


def test_maml_meta_gradient_equals_finite_differences(rng):
    model = _mlp()
    support, query = _tasks(rng)
    params = {k: v.detach() for k, v in model.named_parameters()}
    meta = grad(lambda p: _maml_loss(model, p, tuple(map(_t, support)),
                                     tuple(map(_t, query))))(params)
    p_np, eps = _params_np(model), 1e-6
    for name, value in p_np.items():
        fd = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in p_np.items()}
            minus = {k: v.copy() for k, v in p_np.items()}
            plus[name][idx] += eps
            minus[name][idx] -= eps
            fd[idx] = (_np_maml_loss(plus, support, query)
                       - _np_maml_loss(minus, support, query)) / (2 * eps)
        np.testing.assert_allclose(meta[name].data, fd, rtol=1e-5, atol=1e-9)
    assert all(p.grad is None for p in model.parameters())


def test_maml_with_the_module_parameters_and_backward(rng):
    model = _mlp()
    support, query = _tasks(rng)
    loss = _maml_loss(model, dict(model.named_parameters()), tuple(map(_t, support)),
                      tuple(map(_t, query)))
    loss.backward()  # meta-gradients accumulate into the parameters themselves
    np.testing.assert_allclose(loss.item(), _np_maml_loss(_params_np(model), support, query))
    meta = grad(lambda p: _maml_loss(model, p, tuple(map(_t, support)),
                                     tuple(map(_t, query))))(
        {k: v.detach() for k, v in model.named_parameters()})
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.data, meta[name].data, rtol=1e-12)


def test_maml_matches_torch_func(rng):
    torch = pytest.importorskip("torch")
    model = _mlp()
    support, query = _tasks(rng)
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(),
                                 torch.nn.Linear(3, 1)).double()
    tparams = {k: torch.tensor(v) for k, v in _params_np(model).items()}

    def tloss(p, x, y):
        return ((torch.func.functional_call(tmodel, p, (x,)) - y) ** 2).mean()

    def tmaml(p):
        inner = torch.func.grad(tloss)(p, *map(torch.tensor, support))
        return tloss({k: p[k] - LR * inner[k] for k in p}, *map(torch.tensor, query))

    expected = torch.func.grad(tmaml)(tparams)
    meta = grad(lambda p: _maml_loss(model, p, tuple(map(_t, support)), tuple(map(_t, query))))(
        {k: v.detach() for k, v in model.named_parameters()})
    for name in tparams:
        np.testing.assert_allclose(meta[name].data, expected[name].numpy(), rtol=1e-10)
