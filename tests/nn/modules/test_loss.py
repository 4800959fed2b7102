"""Loss layers: each is its F function with the stored options, keeps weights as buffers,
maps the legacy size_average/reduce flags, and matches the torch layer (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.nn as nn
import chainrule.nn.functional as F


def _regression(rng):
    return rng.standard_normal((3, 4)), rng.standard_normal((3, 4))


def _classes(rng):
    return rng.standard_normal((5, 4)), np.array([0, 3, -100, 1, 2])


def _classes_ignoring_3(rng):
    return rng.standard_normal((5, 4)), np.array([0, 3, 3, 1, 2])


def _log_probs(rng):
    x, t = _classes(rng)
    return x - np.log(np.exp(x).sum(1, keepdims=True)), t


def _probabilities(rng):
    return rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))


def _log_dists(rng):
    x = rng.standard_normal((3, 4))
    return x - np.log(np.exp(x).sum(1, keepdims=True)), rng.dirichlet(np.ones(4), 3)


W4 = np.array([0.5, 1.0, 2.0, 1.5])

# (layer, constructor kwargs with arrays for tensors, inputs, F function and its kwargs)
LOSSES = [
    ("MSELoss", {}, _regression, F.mse_loss, {}),
    ("MSELoss", {"reduction": "sum"}, _regression, F.mse_loss, {"reduction": "sum"}),
    ("L1Loss", {"reduction": "none"}, _regression, F.l1_loss, {"reduction": "none"}),
    ("SmoothL1Loss", {"beta": 0.5}, _regression, F.smooth_l1_loss, {"beta": 0.5}),
    ("HuberLoss", {"delta": 0.5, "reduction": "sum"}, _regression, F.huber_loss,
     {"delta": 0.5, "reduction": "sum"}),
    ("CrossEntropyLoss", {}, _classes, F.cross_entropy, {}),
    ("CrossEntropyLoss", {"weight": W4, "label_smoothing": 0.1}, _classes, F.cross_entropy,
     {"weight": W4, "label_smoothing": 0.1}),
    ("CrossEntropyLoss", {"ignore_index": 3, "reduction": "none"}, _classes_ignoring_3,
     F.cross_entropy,
     {"ignore_index": 3, "reduction": "none"}),
    ("NLLLoss", {"weight": W4}, _log_probs, F.nll_loss, {"weight": W4}),
    ("NLLLoss", {"reduction": "sum"}, _log_probs, F.nll_loss, {"reduction": "sum"}),
    ("BCELoss", {"weight": W4}, _probabilities, F.binary_cross_entropy, {"weight": W4}),
    ("BCEWithLogitsLoss", {"pos_weight": W4}, _regression, F.binary_cross_entropy_with_logits,
     {"pos_weight": W4}),
    ("BCEWithLogitsLoss", {"weight": W4, "reduction": "none"}, _regression,
     F.binary_cross_entropy_with_logits, {"weight": W4, "reduction": "none"}),
    ("KLDivLoss", {"reduction": "batchmean"}, _log_dists, F.kl_div, {"reduction": "batchmean"}),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, _log_dists, F.kl_div,
     {"reduction": "sum", "log_target": True}),
]
IDS = [f"{name}{kwargs}" for name, kwargs, *_ in LOSSES]


def _tensors(kwargs, make):
    return {k: make(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


@pytest.mark.parametrize(("name", "kwargs", "inputs", "fn", "fn_kwargs"), LOSSES, ids=IDS)
def test_loss_layer_equals_its_functional_form(name, kwargs, inputs, fn, fn_kwargs, rng):
    x, t = (chainrule.tensor(a) for a in inputs(rng))
    layer = getattr(nn, name)(**_tensors(kwargs, chainrule.tensor))
    expected = fn(x, t, **_tensors(fn_kwargs, chainrule.tensor))
    np.testing.assert_allclose(layer(x, t).data, expected.data)
    assert repr(layer) == f"{name}()"


@pytest.mark.parametrize(("name", "kwargs", "inputs", "fn", "fn_kwargs"), LOSSES, ids=IDS)
def test_loss_layer_matches_torch(name, kwargs, inputs, fn, fn_kwargs, rng):
    torch = pytest.importorskip("torch")
    x_data, t_data = inputs(rng)
    x = chainrule.tensor(x_data, requires_grad=True)
    tx = torch.tensor(x_data, requires_grad=True)
    out = getattr(nn, name)(**_tensors(kwargs, chainrule.tensor))(x, chainrule.tensor(t_data))
    torch_layer = getattr(torch.nn, name)(**_tensors(kwargs, torch.tensor))
    expected = torch_layer(tx, torch.tensor(t_data))
    seed = rng.standard_normal(out.shape)
    out.backward(chainrule.tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    torch_buffers = {k: v.numpy() for k, v in torch_layer.state_dict().items()}
    ours = getattr(nn, name)(**_tensors(kwargs, chainrule.tensor)).state_dict()
    assert ours.keys() == torch_buffers.keys()


def test_cosine_embedding_loss_layer_matches_torch(rng):
    torch = pytest.importorskip("torch")
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    t = np.array([1, -1, -1, 1])
    x = chainrule.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    out = nn.CosineEmbeddingLoss(margin=0.2)(x, chainrule.tensor(b), chainrule.tensor(t))
    expected = torch.nn.CosineEmbeddingLoss(margin=0.2)(tx, torch.tensor(b), torch.tensor(t))
    out.backward()
    expected.backward()
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_class_weights_are_buffers_in_the_state_dict():
    weight = chainrule.tensor([1.0, 2.0, 3.0])
    loss = nn.CrossEntropyLoss(weight=weight)
    assert loss.weight is weight and list(loss.parameters()) == []
    assert [name for name, _ in loss.named_buffers()] == ["weight"]
    np.testing.assert_array_equal(loss.state_dict()["weight"].data, [1.0, 2.0, 3.0])
    assert nn.CrossEntropyLoss().weight is None and nn.CrossEntropyLoss().state_dict() == {}


def test_bce_with_logits_keeps_weight_and_pos_weight_as_buffers():
    loss = nn.BCEWithLogitsLoss(weight=chainrule.ones(2), pos_weight=chainrule.ones(2) * 3)
    assert sorted(loss.state_dict()) == ["pos_weight", "weight"]
    assert loss.double().pos_weight.dtype == chainrule.float64


def test_weight_buffer_round_trips_through_load_state_dict():
    source = nn.NLLLoss(weight=chainrule.tensor([0.5, 2.0]))
    target = nn.NLLLoss(weight=chainrule.zeros(2))
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target.weight.data, [0.5, 2.0])


@pytest.mark.parametrize(("size_average", "reduce", "expected"),
                         [(False, None, "sum"), (None, False, "none"), (True, None, "mean")])
def test_legacy_flags_set_the_reduction_with_a_warning(size_average, reduce, expected):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        loss = nn.MSELoss(size_average, reduce)
    assert loss.reduction == expected


def test_loss_layer_rejects_a_bad_reduction_when_called():
    loss = nn.L1Loss(reduction="average")
    with pytest.raises(ValueError, match="l1_loss: 'average' is not a valid value"):
        loss(chainrule.zeros(2), chainrule.zeros(2))


def test_cross_entropy_layer_trains_a_linear_classifier(rng):
    # A few SGD steps on separable data: the loss must fall, and gradients reach the weights.
    x = chainrule.tensor(rng.standard_normal((32, 2)).astype(np.float32))
    labels = chainrule.tensor((x.data[:, 0] > 0).astype(np.int64))
    w = chainrule.zeros(2, 2, requires_grad=True)
    loss_fn, losses = nn.CrossEntropyLoss(), []
    for _ in range(20):
        loss = loss_fn(x @ w, labels)
        losses.append(loss.item())
        w.grad = None
        loss.backward()
        with chainrule.no_grad():
            w -= 1.0 * w.grad
    assert losses[-1] < 0.5 * losses[0]
