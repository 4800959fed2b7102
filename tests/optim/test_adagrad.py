import numpy as np
import pytest

import chainrule
from chainrule.optim import Adagrad
from tests.optim.trajectory import (
    assert_same_trajectory,
    chainrule_trajectory,
    problem,
    torch_trajectory,
)

OPTIONS = [
    {"lr": 0.1},
    {"lr": 0.1, "lr_decay": 0.05},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
    {"lr": 0.01, "maximize": True},
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_adagrad_trajectory_matches_torch(kwargs, rng):
    pytest.importorskip("torch")
    data = problem(rng)
    got = chainrule_trajectory(Adagrad, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("Adagrad", kwargs, data))


def test_adagrad_float32_matches_torch(rng):
    pytest.importorskip("torch")
    data = problem(rng, np.float32)
    kwargs = {"lr": 0.1, "lr_decay": 0.01}
    got = chainrule_trajectory(Adagrad, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("Adagrad", kwargs, data), rtol=1e-5, atol=1e-6)


def test_adagrad_makes_state_up_front_like_torch():
    w = chainrule.zeros(3, requires_grad=True)
    opt = Adagrad([w], initial_accumulator_value=0.25)
    np.testing.assert_array_equal(opt.state[w]["sum"].data, [0.25, 0.25, 0.25])
    assert opt.state[w]["step"].item() == 0.0


def test_adagrad_initialises_state_of_a_group_added_later():
    w, v = chainrule.zeros(2, requires_grad=True), chainrule.ones(2, requires_grad=True)
    opt = Adagrad([w], lr=0.5)
    opt.add_param_group({"params": [v]})
    (v * v).sum().backward()
    opt.step()
    np.testing.assert_allclose(v.data, [0.5, 0.5], rtol=1e-6)
