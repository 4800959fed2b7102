import math

import numpy as np
import pytest

import chainrule
from chainrule.optim import SGD, Adam
from chainrule.optim import lr_scheduler as S

STEPS = 35


def _optimizer(lib, kind="sgd"):
    """An optimizer of `lib` (chainrule or torch) with two groups, lr 0.1 and 0.05."""
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


SCHEDULES = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[5, 12, 12, 20], gamma=0.3),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR-per-group": lambda s, o: s.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=8),
    "LinearLR-down": lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=30),
    "OneCycleLR-cos": lambda s, o: s.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS + 1),
    "OneCycleLR-linear": lambda s, o: s.OneCycleLR(
        o, max_lr=1.0, epochs=6, steps_per_epoch=6, anneal_strategy="linear", pct_start=0.25
    ),
    "OneCycleLR-three-phase": lambda s, o: s.OneCycleLR(
        o, max_lr=1.0, total_steps=STEPS + 1, three_phase=True, div_factor=10.0
    ),
    "SequentialLR": lambda s, o: s.SequentialLR(
        o,
        [s.LinearLR(o, start_factor=0.1, total_iters=5), s.CosineAnnealingLR(o, T_max=12)],
        milestones=[5],
    ),
    "SequentialLR-three": lambda s, o: s.SequentialLR(
        o,
        [s.ExponentialLR(o, gamma=0.8), s.StepLR(o, 4, 0.5), s.MultiStepLR(o, [3, 6])],
        milestones=[6, 15],
    ),
}


def _lr_sequence(lib, make, kind="sgd"):
    opt = _optimizer(lib, kind)
    sched = make(lib.optim.lr_scheduler, opt)
    lrs, momenta = [sched.get_last_lr()], []
    for _ in range(STEPS):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        group = opt.param_groups[0]
        momenta.append(group["betas"][0] if kind == "adam" else group["momentum"])
    return [[float(x) for x in lr] for lr in lrs], momenta


@pytest.mark.parametrize("name", SCHEDULES)
def test_lr_sequence_matches_torch(name):
    torch = pytest.importorskip("torch")
    got, got_m = _lr_sequence(chainrule, SCHEDULES[name])
    want, want_m = _lr_sequence(torch, SCHEDULES[name])
    assert got == want  # the same formulas in the same order: equal to the last bit
    assert got_m == want_m


def test_one_cycle_cycles_adam_beta1_like_torch():
    torch = pytest.importorskip("torch")
    make = SCHEDULES["OneCycleLR-cos"]
    assert _lr_sequence(chainrule, make, "adam") == _lr_sequence(torch, make, "adam")


def test_cosine_annealing_follows_closed_form_within_a_half_period():
    opt = _optimizer(chainrule)
    sched = S.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    for epoch in range(1, 11):
        opt.step()
        sched.step()
        want = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(want, rel=1e-12)


PLATEAU = [
    {},
    {"mode": "max", "patience": 2},
    {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "cooldown": 2},
    {"patience": 0, "factor": 0.5, "min_lr": [0.02, 0.04]},
    {"patience": 0, "factor": 0.5, "min_lr": 0.049, "eps": 0.01},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=str)
def test_reduce_lr_on_plateau_matches_torch(kwargs, rng):
    torch = pytest.importorskip("torch")
    metrics = np.concatenate([np.linspace(1.0, 0.5, 6), 0.5 + rng.uniform(0, 0.01, 30)])
    sequences = []
    for lib in (chainrule, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for metric in metrics:
            opt.step()
            sched.step(float(metric))
            lrs.append([float(x) for x in sched.get_last_lr()])
        sequences.append(lrs)
    assert sequences[0] == sequences[1]
    assert sequences[0][-1] != sequences[0][0]  # the schedule did reduce


def test_reduce_lr_on_plateau_accepts_a_tensor_metric():
    opt = _optimizer(chainrule)
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(chainrule.tensor(1.0))
    sched.step(chainrule.tensor(2.0))
    assert sched.get_last_lr() == [pytest.approx(0.01), pytest.approx(0.005)]


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR-cos", "SequentialLR"])
def test_scheduler_state_dict_round_trip_resumes_identically(name, tmp_path):
    make = SCHEDULES[name]
    straight, _ = _lr_sequence(chainrule, make)

    opt = _optimizer(chainrule)
    sched = make(S, opt)
    lrs = [sched.get_last_lr()]
    for _ in range(12):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    path = tmp_path / "sched.safetensors"
    chainrule.save({"optim": opt.state_dict(), "sched": sched.state_dict()}, path)
    ckpt = chainrule.load(path)
    opt = _optimizer(chainrule)
    sched = make(S, opt)
    opt.load_state_dict(ckpt["optim"])
    sched.load_state_dict(ckpt["sched"])
    for _ in range(STEPS - 12):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    assert lrs == straight


def test_reduce_lr_on_plateau_state_dict_round_trip(tmp_path):
    opt = _optimizer(chainrule)
    sched = S.ReduceLROnPlateau(opt, patience=1, mode="max")
    for metric in (1.0, 0.5, 0.4):
        sched.step(metric)
    path = tmp_path / "plateau.safetensors"
    chainrule.save(sched.state_dict(), path)
    again = S.ReduceLROnPlateau(_optimizer(chainrule))
    again.load_state_dict(chainrule.load(path))
    assert again.mode == "max" and again.best == 1.0 and again.num_bad_epochs == 0
    assert again.is_better(1.1, again.best)


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    opt = _optimizer(chainrule)
    sched = S.LambdaLR(opt, [Decay(0.5), lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    other = S.LambdaLR(_optimizer(chainrule), [Decay(0.9), lambda e: 1.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.5


def test_scheduler_sets_initial_lr_and_requires_it_when_resuming():
    opt = _optimizer(chainrule)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(opt, step_size=2, last_epoch=3)
    S.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]


def test_scheduler_errors_are_clear():
    opt = _optimizer(chainrule)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="total_steps OR"):
        S.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        S.OneCycleLR(opt, max_lr=[1.0], total_steps=10)
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="one milestone fewer"):
        S.SequentialLR(opt, [S.ExponentialLR(opt, 0.9)], milestones=[3])
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        S.SequentialLR(opt, [S.ReduceLROnPlateau(opt), S.ExponentialLR(opt, 0.9)], [2])


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _optimizer(chainrule)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


def test_one_cycle_needs_momentum_to_cycle():
    opt = chainrule.optim.Adagrad([chainrule.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(opt, max_lr=1.0, total_steps=10)


def test_sgd_and_adam_work_under_schedulers():
    for make in (SGD, Adam):
        opt = make([chainrule.zeros(2, requires_grad=True)], lr=1.0)
        S.ExponentialLR(opt, gamma=0.5).step()
        assert opt.param_groups[0]["lr"] == 0.5
