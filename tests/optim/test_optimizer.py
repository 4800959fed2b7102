import warnings

import numpy as np
import pytest

import chainrule
from chainrule.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop


class Parameter(chainrule.Tensor):
    """A stand-in for nn.Parameter: a Tensor subclass that requires grad."""

    def __init__(self, data):
        super().__init__(np.asarray(data, dtype=np.float32), requires_grad=True)


def _params(rng, n=2, dtype=np.float64):
    return [
        chainrule.Tensor(rng.normal(size=(3,)).astype(dtype), requires_grad=True) for _ in range(n)
    ]


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        sum(((p - 1.0) ** 2).sum() * (i + 1) for i, p in enumerate(params)).backward()
        opt.step()


def test_optimizer_rejects_a_single_tensor():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        SGD(chainrule.zeros(2, requires_grad=True))


def test_optimizer_rejects_empty_parameter_list():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([])


def test_optimizer_rejects_non_tensor_and_non_leaf_and_set():
    w = chainrule.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        SGD([w, 3.0])
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([w * 2])
    with pytest.raises(TypeError, match="ordered collections"):
        SGD({w})


def test_param_groups_take_defaults_and_their_own_options():
    a, b = chainrule.zeros(2, requires_grad=True), chainrule.zeros(3, requires_grad=True)
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["params"][0] is b


def test_parameters_may_be_any_iterable_including_tensor_subclasses():
    params = (Parameter([1.0, 2.0]) for _ in range(2))
    opt = SGD(params, lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2
    p = opt.param_groups[0]["params"][0]
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.data, [0.8, 1.6], rtol=1e-6)
    assert p.data.dtype == np.float32


def test_add_param_group_rejects_parameters_already_optimized():
    w = chainrule.zeros(2, requires_grad=True)
    opt = SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    assert len(opt.param_groups) == 1


def test_add_param_group_warns_on_duplicates_within_a_group():
    w = chainrule.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([w, w], lr=0.1)


def test_zero_grad_sets_to_none_by_default_or_zeros_in_place():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad
    np.testing.assert_array_equal(w.grad.data, [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_step_runs_closure_with_grad_enabled_and_returns_its_loss():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with chainrule.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.data, [0.8, 1.6], rtol=1e-6)


def test_state_dict_matches_torch_layout(rng):
    torch = pytest.importorskip("torch")
    params = _params(rng)
    opt = SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.2}], lr=0.1, momentum=0.9)
    _train(opt, params, 3)
    tparams = [torch.tensor(p.data, requires_grad=True) for p in _params(rng)]
    topt = torch.optim.SGD(
        [{"params": tparams[:1]}, {"params": tparams[1:], "lr": 0.2}], lr=0.1, momentum=0.9
    )
    for _ in range(3):
        topt.zero_grad()
        sum(((p - 1.0) ** 2).sum() * (i + 1) for i, p in enumerate(tparams)).backward()
        topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["state"].keys() == tsd["state"].keys() == {0, 1}
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]
    for ours, theirs in zip(sd["param_groups"], tsd["param_groups"], strict=True):
        assert all(ours[k] == theirs[k] for k in ours)
    assert sd["state"][0].keys() == tsd["state"][0].keys() == {"momentum_buffer"}


def test_load_state_dict_checks_group_count_and_sizes(rng):
    params = _params(rng, 3)
    sd = SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="2 parameter groups, but the optimizer has 1"):
        SGD(params, lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="group 0 has 1 parameters in the state dict and 2"):
        SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        SGD(params, lr=0.1).load_state_dict({"state": {}})


def test_load_state_dict_casts_buffers_to_param_dtype_but_keeps_step(rng):
    params64 = _params(rng, dtype=np.float64)
    opt64 = Adam(params64, lr=0.1)
    _train(opt64, params64, 2)
    params32 = [chainrule.Tensor(p.data.astype(np.float32), requires_grad=True) for p in params64]
    opt32 = Adam(params32, lr=0.5)
    opt32.load_state_dict(opt64.state_dict())
    state = opt32.state[params32[0]]
    assert state["exp_avg"].data.dtype == np.float32
    assert state["step"].data.dtype == np.float32
    assert opt32.param_groups[0]["lr"] == 0.1
    assert opt32.param_groups[0]["params"][0] is params32[0]


def test_load_state_dict_copies_state(rng):
    params = _params(rng)
    opt = SGD(params, lr=0.1, momentum=0.9)
    _train(opt, params, 1)
    sd = opt.state_dict()
    before = sd["state"][0]["momentum_buffer"].data.copy()
    fresh = SGD(params, lr=0.1, momentum=0.9)
    fresh.load_state_dict(sd)
    _train(fresh, params, 1)
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].data, before)


RESUMABLE = [
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (AdamW, {"lr": 0.05}),
    (RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
]


@pytest.mark.parametrize(("opt_cls", "kwargs"), RESUMABLE, ids=lambda x: getattr(x, "__name__", ""))
def test_resuming_from_state_dict_gives_identical_trajectory(opt_cls, kwargs, rng, tmp_path):
    start = _params(rng)
    straight = [chainrule.Tensor(p.data.copy(), requires_grad=True) for p in start]
    opt = opt_cls(straight, **kwargs)
    _train(opt, straight, 20)

    first = [chainrule.Tensor(p.data.copy(), requires_grad=True) for p in start]
    opt = opt_cls(first, **kwargs)
    _train(opt, first, 10)
    chainrule.save({"params": first, "optim": opt.state_dict()}, tmp_path / "ckpt.safetensors")
    ckpt = chainrule.load(tmp_path / "ckpt.safetensors")
    resumed = [chainrule.Tensor(p.data, requires_grad=True) for p in ckpt["params"]]
    opt = opt_cls(resumed, lr=123.0)
    opt.load_state_dict(ckpt["optim"])
    _train(opt, resumed, 10)
    for a, b in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_repr_lists_group_options():
    opt = SGD([chainrule.zeros(2, requires_grad=True)], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.1" in text


def test_base_step_is_abstract():
    opt = Optimizer([chainrule.zeros(2, requires_grad=True)], {"lr": 0.1})
    with pytest.raises(NotImplementedError):
        opt.step()


def test_no_warning_for_distinct_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SGD([chainrule.zeros(2, requires_grad=True), chainrule.zeros(2, requires_grad=True)])
