import numpy as np
import pytest

from chainrule.optim import RMSprop
from tests.optim.trajectory import (
    assert_same_trajectory,
    chainrule_trajectory,
    problem,
    torch_trajectory,
)

OPTIONS = [
    {"lr": 0.01},
    {"lr": 0.01, "centered": True},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "momentum": 0.9, "centered": True},
    {"lr": 0.01, "weight_decay": 0.1, "alpha": 0.9},
    {"lr": 0.001, "maximize": True, "eps": 1e-4},
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_rmsprop_trajectory_matches_torch(kwargs, rng):
    pytest.importorskip("torch")
    data = problem(rng)
    got = chainrule_trajectory(RMSprop, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("RMSprop", kwargs, data))


def test_rmsprop_float32_matches_torch(rng):
    pytest.importorskip("torch")
    data = problem(rng, np.float32)
    kwargs = {"lr": 0.01, "momentum": 0.5, "centered": True}
    got = chainrule_trajectory(RMSprop, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("RMSprop", kwargs, data), rtol=1e-5, atol=1e-6)


def test_rmsprop_state_has_buffers_for_its_options(rng):
    data = problem(rng)
    import chainrule

    w = chainrule.Tensor(data[2].copy(), requires_grad=True)
    opt = RMSprop([w], momentum=0.9, centered=True)
    (w * w).sum().backward()
    opt.step()
    assert sorted(opt.state[w]) == ["grad_avg", "momentum_buffer", "square_avg", "step"]
