import numpy as np
import pytest

import chainrule
from chainrule.optim import SGD
from tests.optim.trajectory import (
    assert_same_trajectory,
    chainrule_trajectory,
    problem,
    torch_trajectory,
)

OPTIONS = [
    {"lr": 0.01},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.01, "momentum": 0.9, "nesterov": True},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True},
    {"lr": 0.001, "momentum": 0.9, "maximize": True},
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_sgd_trajectory_matches_torch(kwargs, rng):
    pytest.importorskip("torch")
    data = problem(rng)
    assert_same_trajectory(
        chainrule_trajectory(SGD, kwargs, data), torch_trajectory("SGD", kwargs, data)
    )


def test_sgd_float32_stays_float32_and_matches_torch(rng):
    pytest.importorskip("torch")
    data = problem(rng, np.float32)
    kwargs = {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}
    got = chainrule_trajectory(SGD, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("SGD", kwargs, data), rtol=1e-5, atol=1e-6)


def test_sgd_param_groups_use_their_own_options(rng):
    pytest.importorskip("torch")
    data = problem(rng)
    groups = [{"lr": 0.02, "momentum": 0.9}, {"lr": 0.005}]
    got = chainrule_trajectory(SGD, {"lr": 0.01}, data, groups=groups)
    assert_same_trajectory(got, torch_trajectory("SGD", {"lr": 0.01}, data, groups=groups))


def test_sgd_default_lr_is_pytorchs():
    w = chainrule.zeros(2, requires_grad=True)
    assert SGD([w]).defaults["lr"] == 1e-3


def test_sgd_step_is_in_place_and_bumps_version_once():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    array, version = w.data, w._version
    opt = SGD([w], lr=0.5, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    assert w.data is array
    assert w._version == version + 1
    np.testing.assert_allclose(w.data, [0.0, 0.0])


def test_sgd_skips_parameters_without_grad():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.5, momentum=0.9)
    opt.step()
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert not opt.state


def test_sgd_step_records_no_graph():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.grad_fn is None and w.is_leaf


def test_sgd_nesterov_requires_momentum_and_zero_dampening():
    w = chainrule.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([w], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)


def test_sgd_rejects_negative_lr():
    with pytest.raises(ValueError, match="lr"):
        SGD([chainrule.zeros(2, requires_grad=True)], lr=-0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_update_in_blocks_has_the_bits_of_param_minus_lr_times_grad(dtype, rng):
    # 300,001 elements: several 256 KiB blocks and a ragged last one
    start = rng.standard_normal((3, 100_000 + 1)).astype(dtype)
    grad = rng.standard_normal(start.shape).astype(dtype)
    w = chainrule.tensor(start.copy(), requires_grad=True)
    w.grad = chainrule.tensor(grad)
    SGD([w], lr=0.0123).step()
    np.testing.assert_array_equal(w.data, start - 0.0123 * grad)


def test_sgd_updates_a_non_contiguous_parameter_in_place(rng):
    start = rng.standard_normal((4, 6))
    w = chainrule.Tensor(start.copy().T, requires_grad=True)  # an F-ordered view
    grad = rng.standard_normal((6, 4))
    w.grad = chainrule.tensor(grad)
    array = w.data
    SGD([w], lr=0.5).step()
    assert w.data is array
    np.testing.assert_array_equal(w.data, start.T - 0.5 * grad)


def test_sgd_keeps_its_scratch_block_between_steps(rng):
    w = chainrule.tensor(rng.standard_normal(1000), requires_grad=True)
    opt = SGD([w], lr=0.1)
    w.grad = chainrule.tensor(rng.standard_normal(1000))
    opt.step()
    scratch = opt._scratch
    opt.step()
    assert opt._scratch is scratch and "_scratch" not in opt.state_dict()["state"]
