"""nn.BatchNorm1d and nn.BatchNorm2d: buffers and state_dict keys, running statistics over
several training steps (momentum and cumulative), eval mode, options, errors, all against
torch with copied weights."""

import numpy as np
import pytest

import chainrule
from chainrule import nn


def test_buffers_parameters_and_state_dict_keys():
    bn = nn.BatchNorm1d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    assert bn.num_batches_tracked.dtype == chainrule.int64 and bn.num_batches_tracked.item() == 0
    assert bn.running_mean.dtype == chainrule.float32 and not bn.running_mean.requires_grad
    np.testing.assert_array_equal(bn.weight.data, 1)
    np.testing.assert_array_equal(bn.bias.data, 0)
    plain = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(plain.state_dict()) == [] and plain.running_mean is None


def test_training_updates_running_stats_and_counts_batches(rng):
    bn = nn.BatchNorm1d(2, momentum=0.5)
    x = rng.standard_normal((6, 2)).astype(np.float32) * 2 + 3
    bn(chainrule.tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, 0.5 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.data, 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1


def test_momentum_none_is_a_cumulative_average(rng):
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [rng.standard_normal((5, 2)) + i for i in range(3)]
    for b in batches:
        bn(chainrule.tensor(b.astype(np.float32)))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([b.mean(0) for b in batches], 0),
                               rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data,
                               np.mean([b.var(0, ddof=1) for b in batches], 0), rtol=1e-5)


def test_eval_uses_running_stats_and_freezes_them(rng):
    bn = nn.BatchNorm1d(2)
    bn.running_mean.data[...] = [1.0, -1.0]
    bn.running_var.data[...] = [4.0, 0.25]
    bn.eval()
    x = rng.standard_normal((3, 2)).astype(np.float32)
    out = bn(chainrule.tensor(x))
    expected = (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.data, [1.0, -1.0])
    assert bn.num_batches_tracked.item() == 0


def test_rejects_wrong_rank_and_single_values_without_counting():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D input"):
        nn.BatchNorm2d(3)(chainrule.ones(2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D"):
        nn.BatchNorm1d(3)(chainrule.ones(2, 3, 4, 4))
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="expected more than 1 value per channel"):
        bn(chainrule.ones(1, 3))
    assert bn.num_batches_tracked.item() == 0


def test_reset_running_stats():
    bn = nn.BatchNorm1d(2)
    bn(chainrule.randn(4, 2))
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    assert bn.num_batches_tracked.item() == 0


def _copy(torch, ours, theirs, rng):
    with torch.no_grad():
        for name, p in ours.named_parameters():
            p.data[...] = rng.standard_normal(p.shape)
            getattr(theirs, name).copy_(torch.tensor(p.data))


def _step(torch, ours, theirs, x):
    cx, tx = chainrule.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = ours(cx), theirs(tx)
    (out * out * out).sum().backward()
    (t_out * t_out * t_out).sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(cx.grad.data, tx.grad.numpy(), rtol=1e-3, atol=1e-3)


CASES = [
    ("BatchNorm1d", (4, 3), {}),
    ("BatchNorm1d", (4, 3, 5), {"momentum": None}),
    ("BatchNorm2d", (3, 3, 2, 4), {"momentum": 0.3, "eps": 1e-3}),
    ("BatchNorm2d", (3, 3, 2, 2), {"affine": False}),
    ("BatchNorm1d", (5, 3), {"track_running_stats": False}),
    ("BatchNorm1d", (5, 3), {"bias": False}),
]


@pytest.mark.parametrize("name,shape,kwargs", CASES)
def test_matches_torch_over_training_steps_then_eval(rng, name, shape, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(3, **kwargs), getattr(torch.nn, name)(3, **kwargs)
    _copy(torch, ours, theirs, rng)
    assert repr(ours) == repr(theirs)
    for _ in range(3):
        _step(torch, ours, theirs, (rng.standard_normal(shape) * 2 + 1).astype(np.float32))
    for (key, value), (t_key, t_value) in zip(ours.state_dict().items(),
                                              theirs.state_dict().items(), strict=True):
        assert key == t_key
        np.testing.assert_allclose(value.data, t_value.numpy(), rtol=1e-5, atol=1e-6)
    for name_, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, getattr(theirs, name_).grad.numpy(), rtol=1e-3,
                                   atol=1e-3)
    ours.eval()
    theirs.eval()
    _step(torch, ours, theirs, rng.standard_normal(shape).astype(np.float32))


def test_state_dict_loads_into_torch_and_back(rng):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(2)
    ours(chainrule.tensor(rng.standard_normal((3, 2, 2, 2)).astype(np.float32)))
    theirs = torch.nn.BatchNorm2d(2)
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    again = nn.BatchNorm2d(2)
    again.load_state_dict({k: chainrule.tensor(v.numpy()) for k, v in
                           theirs.state_dict().items()})
    assert again.num_batches_tracked.item() == 1
    np.testing.assert_array_equal(again.running_var.data, ours.running_var.data)
