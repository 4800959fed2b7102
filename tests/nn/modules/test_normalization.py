"""nn.LayerNorm and nn.GroupNorm: initial parameters, options, repr, errors, and outputs and
gradients against torch with copied weights."""

import numpy as np
import pytest

import chainrule
from chainrule import ShapeError, nn


def test_layer_norm_starts_at_identity_affine_and_names_its_parameters():
    norm = nn.LayerNorm((3, 4))
    np.testing.assert_array_equal(norm.weight.data, np.ones((3, 4)))
    np.testing.assert_array_equal(norm.bias.data, np.zeros((3, 4)))
    assert list(norm.state_dict()) == ["weight", "bias"]
    assert repr(norm) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"


def test_layer_norm_options_drop_parameters():
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    plain = nn.LayerNorm(4, elementwise_affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.parameters()) == []
    out = plain(chainrule.tensor([[1.0, 2.0, 3.0, 4.0]]))
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(out.data[0], (x - 2.5) / np.sqrt(x.var() + 1e-5), rtol=1e-6)


def test_layer_norm_rejects_wrong_trailing_shape():
    with pytest.raises(ShapeError, match="does not end in normalized_shape"):
        nn.LayerNorm(4)(chainrule.ones(2, 3))


def test_group_norm_parameters_repr_and_errors():
    norm = nn.GroupNorm(2, 4)
    np.testing.assert_array_equal(norm.weight.data, np.ones(4))
    np.testing.assert_array_equal(norm.bias.data, np.zeros(4))
    assert repr(norm) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert list(nn.GroupNorm(2, 4, affine=False).parameters()) == []
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(5\) must be divisible by "
                                         r"num_groups \(2\)"):
        nn.GroupNorm(2, 5)


def _check_against_torch(torch, ours, theirs, x):
    with torch.no_grad():
        for name, p in ours.named_parameters():
            p.data[...] = np.random.default_rng(7).standard_normal(p.shape)
            getattr(theirs, name).copy_(torch.tensor(p.data))
    cx, tx = chainrule.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = ours(cx), theirs(tx)
    (out * out).sum().backward()
    (t_out * t_out).sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(cx.grad.data, tx.grad.numpy(), rtol=1e-3, atol=1e-4)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, getattr(theirs, name).grad.numpy(), rtol=1e-4,
                                   atol=1e-4)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kwargs", [{}, {"bias": False}, {"elementwise_affine": False}])
def test_layer_norm_matches_torch(rng, kwargs):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    _check_against_torch(torch, nn.LayerNorm(4, **kwargs), torch.nn.LayerNorm(4, **kwargs), x)


@pytest.mark.parametrize("kwargs", [{}, {"bias": False}, {"affine": False}])
def test_group_norm_matches_torch(rng, kwargs):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 6, 3, 2)).astype(np.float32)
    _check_against_torch(torch, nn.GroupNorm(3, 6, **kwargs), torch.nn.GroupNorm(3, 6, **kwargs),
                         x)
