"""utils.checkpoint: gradients identical to the plain run (dropout, captured parameters), both
variants, checkpoint_sequential, what the graph keeps, RNG handling, errors, torch."""

import warnings

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.utils.checkpoint import checkpoint, checkpoint_sequential

VARIANTS = [True, False]


def _net():
    chainrule.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 8),
                         nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))


def _grads(net, x, run):
    """Gradients of the parameters and the input after backward of run(x).sum()."""
    net.zero_grad()
    x.grad = None
    chainrule.manual_seed(7)
    out = run(x)
    out.sum().backward()
    return out.data.copy(), [p.grad.data.copy() for p in net.parameters()], x.grad.data.copy()


def _assert_identical(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    for ga, gb in zip(a[1], b[1]):
        np.testing.assert_array_equal(ga, gb)
    np.testing.assert_array_equal(a[2], b[2])


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_checkpoint_gradients_equal_the_plain_run_with_dropout(rng, use_reentrant):
    net = _net()
    x = chainrule.tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    plain = _grads(net, x, net)
    ours = _grads(net, x, lambda t: checkpoint(net, t, use_reentrant=use_reentrant))
    _assert_identical(plain, ours)
    assert ours[1][0].dtype == np.float32


@pytest.mark.parametrize("use_reentrant", VARIANTS)
@pytest.mark.parametrize("segments", [1, 2, 3, 7])
def test_checkpoint_sequential_gradients_equal_the_plain_run(rng, use_reentrant, segments):
    net = _net()
    x = chainrule.tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    plain = _grads(net, x, net)
    ours = _grads(net, x, lambda t: checkpoint_sequential(net, segments, t,
                                                          use_reentrant=use_reentrant))
    _assert_identical(plain, ours)
    as_list = _grads(net, x, lambda t: checkpoint_sequential(list(net), segments, t,
                                                             use_reentrant=use_reentrant))
    _assert_identical(plain, as_list)


def test_a_random_op_draws_the_same_numbers_when_recomputed(rng):
    w = chainrule.tensor(rng.standard_normal(6), requires_grad=True)

    def noisy(x):  # a dropout-like mask from chainrule.rand, and the weight by closure
        return (x * w * (chainrule.rand(6) > 0.5)).exp()

    x = chainrule.tensor(rng.standard_normal(6), requires_grad=True)
    chainrule.manual_seed(3)
    noisy(x).sum().backward()
    plain = x.grad.data.copy(), w.grad.data.copy()
    x.grad = w.grad = None
    chainrule.manual_seed(3)
    checkpoint(noisy, x, use_reentrant=True).sum().backward()
    np.testing.assert_array_equal(x.grad.data, plain[0])
    np.testing.assert_array_equal(w.grad.data, plain[1])


def test_recomputing_does_not_move_the_global_random_stream():
    x = chainrule.ones(4, requires_grad=True)
    chainrule.manual_seed(5)
    y = checkpoint(lambda t: t * chainrule.rand(4), x, use_reentrant=False)
    after_forward = chainrule.rand(3).data.copy()
    chainrule.manual_seed(5)
    chainrule.rand(4)
    assert np.array_equal(chainrule.rand(3).data, after_forward)
    state = chainrule.get_rng_state()
    y.sum().backward()
    assert np.array_equal(chainrule.get_rng_state().data, state.data)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_the_graph_keeps_only_the_inputs(use_reentrant):
    lin = nn.Linear(3, 3)
    x = chainrule.ones(2, 3, requires_grad=True)
    out = checkpoint(lambda t: lin(t).tanh().exp(), x, use_reentrant=use_reentrant)
    assert out.grad_fn.name() == "CheckpointBackward0"
    edges = [fn for fn, _ in out.grad_fn.next_functions if fn is not None]
    assert all(type(fn).__name__ == "AccumulateGrad" for fn in edges)
    leaves = {id(fn.variable) for fn in edges}
    expected = {id(x)} | (set() if use_reentrant else {id(lin.weight), id(lin.bias)})
    assert leaves == expected


def test_non_reentrant_gives_captured_parameters_gradients_without_input_grad(rng):
    lin = nn.Linear(3, 2)
    x = chainrule.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    checkpoint(lin, x, use_reentrant=False).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.data, np.tile(x.data.sum(0), (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(lin.bias.grad.data, [4.0, 4.0])


def test_reentrant_warns_when_no_input_requires_grad():
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(lambda t: t * 2, chainrule.ones(2), use_reentrant=True)
    assert not out.requires_grad


def test_non_reentrant_supports_autograd_grad_kwargs_and_double_backward(rng):
    w = chainrule.tensor(rng.standard_normal(3), requires_grad=True)

    def f(x, *, power):
        return (w * x ** power).sum()

    x = chainrule.tensor(rng.standard_normal(3), requires_grad=True)
    y = checkpoint(f, x, power=3, use_reentrant=False)
    gx, gw = chainrule.autograd.grad(y, (x, w), create_graph=True)
    np.testing.assert_allclose(gx.data, 3 * w.data * x.data ** 2)
    np.testing.assert_allclose(gw.data, x.data ** 3)
    (gxx,) = chainrule.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(gxx.data, 6 * w.data * x.data)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_gradcheck_through_checkpoint(rng, use_reentrant):
    x = chainrule.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = chainrule.tensor(rng.standard_normal(3), requires_grad=True)

    def f(a, b):
        return checkpoint(lambda p, q: ((p * q).sin(), p.exp().sum(0)), a, b,
                          use_reentrant=use_reentrant)

    assert gradcheck(f, (x, y))
    if use_reentrant:
        with pytest.raises(RuntimeError, match="use_reentrant=True does not support double"):
            gradgradcheck(f, (x, y))
    else:
        assert gradgradcheck(f, (x, y))


def test_tuple_outputs_and_non_tensor_arguments(rng):
    x = chainrule.tensor(rng.standard_normal(3), requires_grad=True)
    a, b = checkpoint(lambda t, k: (t * k, t.exp()), x, 2.0, use_reentrant=True)
    (a.sum() + b.sum()).backward()
    np.testing.assert_allclose(x.grad.data, 2.0 + np.exp(x.data))
    x.grad = None
    a, _ = checkpoint(lambda t, k: (t * k, t.exp()), x, 2.0, use_reentrant=False)
    a.sum().backward()  # the unused output gets zeros
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 2.0])


def test_under_no_grad_it_just_calls_the_function():
    with chainrule.no_grad():
        out = checkpoint(lambda t: t * 2, chainrule.ones(2, requires_grad=True))
    assert out.grad_fn is None and not out.requires_grad


def test_errors():
    x = chainrule.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t * scale, x, scale=2.0)
    with pytest.raises(TypeError, match="must return a Tensor or a tuple of Tensors, got a"):
        checkpoint(lambda t: 3.0, x, use_reentrant=True)
    with pytest.raises(ValueError, match="segments must be an int from 1 to the number"):
        checkpoint_sequential([chainrule.exp, chainrule.neg], 3, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: bad"):
        checkpoint_sequential([chainrule.exp], 1, x, bad=True)
    y = checkpoint(lambda t: t.exp(), x.clone(), use_reentrant=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.sum().backward()  # a clean run raises nothing


def test_matches_torch_utils_checkpoint(rng):
    torch = pytest.importorskip("torch")
    import torch.utils.checkpoint as tcp

    net = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    with torch.no_grad():
        for (_, p), (_, tp) in zip(net.named_parameters(), tnet.named_parameters()):
            tp.copy_(torch.tensor(p.data))
    xs = rng.standard_normal((3, 4)).astype(np.float32)
    x = chainrule.tensor(xs, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    checkpoint_sequential(net, 2, x, use_reentrant=False).pow(2).sum().backward()
    tcp.checkpoint_sequential(tnet, 2, tx, use_reentrant=False).pow(2).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    for p, tp in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_inside_func_transforms(rng):
    from chainrule.func import grad

    x = chainrule.tensor(rng.standard_normal(()), dtype=chainrule.float64)

    def f(t):
        return checkpoint(lambda u: u.sin() * 2, t, use_reentrant=False)

    np.testing.assert_allclose(grad(f)(x).item(), 2 * np.cos(x.item()))
    np.testing.assert_allclose(grad(grad(f))(x).item(), -2 * np.sin(x.item()))


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_forward_mode_passes_through_checkpoint(rng, use_reentrant):
    from chainrule.func import jacfwd, jvp

    x, v = rng.standard_normal(3), rng.standard_normal(3)
    w = chainrule.tensor(rng.standard_normal(3))

    def f(t):  # t is also captured by the inner closure
        return checkpoint(lambda u: (u * t * w).sin(), t, use_reentrant=use_reentrant)

    _, jv = jvp(f, (chainrule.tensor(x),), (chainrule.tensor(v),))
    np.testing.assert_allclose(jv.data, np.cos(x * x * w.data) * 2 * x * w.data * v, rtol=1e-5)
    jac = jacfwd(f)(chainrule.tensor(x))
    np.testing.assert_allclose(jac.data, np.diag(np.cos(x * x * w.data) * 2 * x * w.data),
                               rtol=1e-5, atol=1e-7)
