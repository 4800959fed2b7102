"""Pooling layers: stored arguments, PyTorch's repr, forward and gradients vs torch."""

import numpy as np
import pytest

import chainrule
from chainrule import nn


@pytest.mark.parametrize("layer, text", [
    (lambda: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                              "ceil_mode=False)"),
    (lambda: nn.MaxPool1d(3, 2, 1, ceil_mode=True),
     "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)"),
    (lambda: nn.AvgPool2d((2, 3), padding=1), "AvgPool2d(kernel_size=(2, 3), stride=(2, 3), "
                                              "padding=1)"),
    (lambda: nn.AvgPool1d(3), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"),
    (lambda: nn.AdaptiveAvgPool2d((None, 7)), "AdaptiveAvgPool2d(output_size=(None, 7))"),
    (lambda: nn.AdaptiveMaxPool2d(1), "AdaptiveMaxPool2d(output_size=1)"),
])
def test_repr_matches_pytorch(layer, text):
    assert repr(layer()) == text


def test_reprs_match_torch_itself():
    torch = pytest.importorskip("torch")
    for name, args in [("MaxPool2d", (3, 1, 1, 2)), ("AvgPool2d", (3, None, 1, True, False)),
                       ("AvgPool1d", (2,)), ("MaxPool1d", (2,)),
                       ("AdaptiveAvgPool2d", ((2, None),)), ("AdaptiveMaxPool2d", (3,)),
                       ("AdaptiveAvgPool1d", (3,)), ("AdaptiveMaxPool1d", (2,))]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_pooling_layers_have_no_parameters():
    assert list(nn.MaxPool2d(2).parameters()) == [] and nn.MaxPool2d(2).state_dict() == {}


LAYERS = [
    ("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=(1, 2)), (1, 2, 7, 9)),
    ("MaxPool2d", (2,), dict(ceil_mode=True), (3, 5, 5)),  # unbatched
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 8)),
    ("AvgPool2d", (2,), {}, (2, 3, 6, 6)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (1, 2, 8, 7)),
    ("AvgPool2d", ((2, 3),), dict(divisor_override=5), (1, 2, 6, 6)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 4, 4)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 3, 5, 7)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool1d", (4,), {}, (3, 9)),
]
IDS = [f"{name}-{i}" for i, (name, *_) in enumerate(LAYERS)]


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS, ids=IDS)
def test_layers_match_torch(name, args, kwargs, shape, rng):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    x = rng.standard_normal(shape).astype(np.float32)
    xs, xt = chainrule.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xs), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(ref.shape).astype(np.float32)
    out.backward(chainrule.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["MaxPool2d", "AdaptiveMaxPool2d"])
def test_return_indices_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    out, index = getattr(nn, name)(3, return_indices=True)(chainrule.tensor(x))
    ref, ref_index = getattr(torch.nn, name)(3, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(index.numpy(), ref_index.numpy())


def test_max_pool2d_values_against_numpy(rng):
    x = rng.standard_normal((2, 3, 4, 6))
    out = nn.MaxPool2d((2, 3))(chainrule.tensor(x))
    np.testing.assert_array_equal(out.numpy(), x.reshape(2, 3, 2, 2, 2, 3).max((3, 5)))


def test_avg_pool2d_values_against_numpy(rng):
    x = rng.standard_normal((2, 3, 4, 6))
    out = nn.AvgPool2d(2)(chainrule.tensor(x))
    np.testing.assert_allclose(out.numpy(), x.reshape(2, 3, 2, 2, 3, 2).mean((3, 5)))
