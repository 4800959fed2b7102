import numpy as np
import pytest

import chainrule
from chainrule.optim import Adam
from tests.optim.trajectory import (
    assert_same_trajectory,
    chainrule_trajectory,
    problem,
    torch_trajectory,
)

OPTIONS = [
    {"lr": 0.05},
    {"lr": 0.05, "amsgrad": True},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True},
    {"lr": 0.01, "maximize": True},
    {"lr": 0.05, "betas": (0.3, 0.5), "eps": 1e-3},  # beta1 < 0.5: lerp's other rounding branch
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_adam_trajectory_matches_torch(kwargs, rng):
    pytest.importorskip("torch")
    data = problem(rng)
    got = chainrule_trajectory(Adam, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("Adam", kwargs, data))


def test_adam_float32_stays_float32_and_matches_torch(rng):
    pytest.importorskip("torch")
    data = problem(rng, np.float32)
    kwargs = {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}
    got = chainrule_trajectory(Adam, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("Adam", kwargs, data), rtol=1e-5, atol=1e-6)


def test_adam_state_holds_step_and_moments():
    w = chainrule.tensor([1.0, -2.0], requires_grad=True)
    opt = Adam([w], lr=0.1, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    state = opt.state[w]
    assert sorted(state) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert state["step"].item() == 3.0 and state["step"].dtype == chainrule.float32
    assert state["exp_avg"].shape == (2,)


def test_adam_rejects_beta_out_of_range():
    w = chainrule.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        Adam([w], betas=(0.9, 1.0))
