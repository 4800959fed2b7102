import numpy as np
import pytest

import chainrule
from chainrule.optim import AdamW
from tests.optim.trajectory import (
    assert_same_trajectory,
    chainrule_trajectory,
    problem,
    torch_trajectory,
)

OPTIONS = [
    {"lr": 0.05},
    {"lr": 0.05, "weight_decay": 0.3},
    {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True},
    {"lr": 0.01, "maximize": True},
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_adamw_trajectory_matches_torch(kwargs, rng):
    pytest.importorskip("torch")
    data = problem(rng)
    got = chainrule_trajectory(AdamW, kwargs, data)
    assert_same_trajectory(got, torch_trajectory("AdamW", kwargs, data))


def test_adamw_float32_matches_torch(rng):
    pytest.importorskip("torch")
    data = problem(rng, np.float32)
    got = chainrule_trajectory(AdamW, {"lr": 0.05}, data)
    assert_same_trajectory(got, torch_trajectory("AdamW", {"lr": 0.05}, data), rtol=1e-5, atol=1e-6)


def test_adamw_default_weight_decay_is_decoupled():
    w = chainrule.tensor([1.0, -2.0], requires_grad=True)
    opt = AdamW([w], lr=0.1)
    assert opt.defaults["weight_decay"] == 1e-2
    w.grad = chainrule.zeros(2)  # zero gradient: only the decay moves w
    opt.step()
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0], np.float32) * (1 - 0.1 * 1e-2))
