"""Tests generated from the op table (tests/opinfo.py) for every differentiable op."""

import numpy as np
import pytest

import chainrule
from chainrule import autograd
from chainrule.autograd import gradcheck, gradgradcheck
from tests.opinfo import OPS


def _tensors(sample, requires_grad=True):
    wanted = set(sample.differentiable()) if requires_grad else set()
    return [chainrule.Tensor(a.copy() if isinstance(a, np.ndarray) else a,
                             requires_grad=i in wanted) if isinstance(a, np.ndarray) else a
            for i, a in enumerate(sample.args)]


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("op", [op for op in OPS if op.ref is not None], ids=str)
def test_forward_matches_numpy(op, rng):
    for sample in op.samples(rng, np.float64):
        got = op.fn(*_tensors(sample, requires_grad=False), **sample.kwargs)
        want = op.ref(*sample.args, **sample.kwargs)
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(g.data, w, rtol=1e-7, atol=1e-10, err_msg=op.name)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_float32_stays_float32(op, rng):
    for sample in op.samples(rng, np.float32):
        out = _first(op.fn(*_tensors(sample, requires_grad=False), **sample.kwargs))
        if out.data.dtype.kind == "f":
            assert out.data.dtype == np.float32, (op.name, sample)


@pytest.mark.parametrize("op", [op for op in OPS if op.supports_grad], ids=str)
def test_gradcheck(op, rng):
    for sample in op.samples(rng, np.float64):
        if not sample.differentiable():
            continue
        args = _tensors(sample)
        assert gradcheck(lambda *a: op.fn(*a, **sample.kwargs), args, atol=op.atol,
                         rtol=op.rtol)


@pytest.mark.parametrize("op", [op for op in OPS if op.supports_grad], ids=str)
def test_gradgradcheck(op, rng):
    for sample in op.samples(rng, np.float64):
        if not sample.differentiable() or any(
                isinstance(a, np.ndarray) and a.size == 0 for a in sample.args):
            continue
        args = _tensors(sample)
        fn = lambda *a: op.fn(*a, **sample.kwargs)  # noqa: E731
        if op.supports_gradgrad:
            assert gradgradcheck(fn, args, atol=op.atol, rtol=op.rtol)
        else:
            with pytest.raises(RuntimeError):
                gradgradcheck(fn, args)


@pytest.mark.parametrize("op", [op for op in OPS if op.torch_fn is not None], ids=str)
def test_matches_torch(op, rng):
    torch = pytest.importorskip("torch")
    for sample in op.samples(rng, np.float64):
        ours = _tensors(sample, requires_grad=op.supports_grad)
        wanted = set(sample.differentiable()) if op.supports_grad else set()
        theirs = [torch.tensor(a, requires_grad=i in wanted) if isinstance(a, np.ndarray) else a
                  for i, a in enumerate(sample.args)]
        out = _first(op.fn(*ours, **sample.kwargs))
        ref = _first(op.torch_fn(*theirs, **sample.kwargs))
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-6, atol=1e-8,
                                   err_msg=op.name)
        if not wanted or out.data.dtype.kind != "f" or out.data.size == 0:
            continue
        seed = rng.standard_normal(out.data.shape)
        out.backward(chainrule.Tensor(seed))
        ref.backward(torch.tensor(seed))
        for i in wanted:
            np.testing.assert_allclose(ours[i].grad.data, theirs[i].grad.numpy(), rtol=1e-6,
                                       atol=1e-8, err_msg=f"{op.name}: grad of input {i}")


def _jvp(op, sample, args, tangents):
    """Outputs and their tangents from one forward-mode pass (tangents: index -> Tensor)."""
    from chainrule.autograd import forward_ad as fwAD

    with fwAD.dual_level():
        duals = [fwAD.make_dual(a, tangents[i]) if i in tangents else a
                 for i, a in enumerate(args)]
        out = op.fn(*duals, **sample.kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [fwAD.unpack_dual(o) for o in outs]
    return [p.primal for p in pairs], [p.tangent for p in pairs]


def _random_tangents(sample, args, rng):
    return {i: chainrule.Tensor(rng.standard_normal(args[i].shape))
            for i in sample.differentiable()}


@pytest.mark.parametrize("op", [op for op in OPS if op.supports_grad], ids=str)
def test_jvp_agrees_with_vjp(op, rng):
    """Forward mode against reverse mode: <u, J t> == <J^T u, t> for random u and t."""
    for sample in op.samples(rng, np.float64):
        if not sample.differentiable():
            continue
        args = _tensors(sample)
        tangents = _random_tangents(sample, args, rng)
        outs, out_tangents = _jvp(op, sample, args, tangents)
        plain = op.fn(*args, **sample.kwargs)
        plain = plain if isinstance(plain, tuple) else (plain,)
        forward, roots, seeds = 0.0, [], []
        for o, primal, t in zip(plain, outs, out_tangents, strict=True):
            np.testing.assert_allclose(primal.data, o.data, err_msg=op.name)
            if o.data.dtype.kind != "f" or not o.requires_grad:
                continue
            assert t is not None and t.shape == o.shape, (op.name, sample)
            u = rng.standard_normal(o.shape)
            forward += float(np.sum(u * t.data))
            roots.append(o)
            seeds.append(chainrule.Tensor(u))
        if not roots:
            continue
        grads = chainrule.autograd.grad(roots, [args[i] for i in tangents], seeds,
                                        allow_unused=True, materialize_grads=True)
        reverse = sum(float(np.sum(g.data * tangents[i].data))
                      for g, i in zip(grads, tangents, strict=True))
        rtol = 1e-7 if all(o.data.dtype == np.float64 for o in roots) else 1e-5
        np.testing.assert_allclose(forward, reverse, rtol=rtol, atol=1e-9, err_msg=op.name)


@pytest.mark.parametrize("op", [op for op in OPS if op.supports_grad and op.supports_gradgrad],
                         ids=str)
def test_jvp_is_differentiable(op, rng):
    """The tangent is a differentiable function of the primals and tangents (reverse over
    forward): gradcheck of (x, t) -> J(x) t."""
    for sample in op.samples(rng, np.float64):
        if not sample.differentiable() or any(
                isinstance(a, np.ndarray) and a.size == 0 for a in sample.args):
            continue
        args = _tensors(sample)
        index = list(_random_tangents(sample, args, rng).items())
        tangent_args = [t.requires_grad_() for _, t in index]

        def tangent_of_output(*flat):
            primals, ts = list(flat[:len(args)]), flat[len(args):]
            _, out_tangents = _jvp(op, sample, primals, {i: t for (i, _), t in zip(index, ts)})
            return tuple(t for t in out_tangents if t is not None)

        if not any(t.requires_grad for t in tangent_of_output(*args, *tangent_args)):
            # piecewise constant (floor, sign, ...): the tangent is a constant zero
            assert all(not t.data.any() for t in tangent_of_output(*args, *tangent_args))
            continue
        assert gradcheck(tangent_of_output, [*args, *tangent_args], atol=op.atol, rtol=op.rtol)


@pytest.mark.parametrize("op", [op for op in OPS if op.supports_grad and op.supports_gradgrad],
                         ids=str)
def test_forward_over_reverse_matches_reverse_over_reverse(op, rng):
    """jacfwd(jacrev(f)) needs the backward rules to carry tangents: the tangent of
    g = d<u, f>/dx along t must equal H t from differentiating g again in reverse mode."""
    from chainrule.autograd import forward_ad as fwAD

    for sample in op.samples(rng, np.float64):
        if not sample.differentiable() or any(
                isinstance(a, np.ndarray) and a.size == 0 for a in sample.args):
            continue
        args = _tensors(sample)
        tangents = _random_tangents(sample, args, rng)
        out = _first(op.fn(*args, **sample.kwargs))
        if not out.requires_grad:
            continue
        u = chainrule.Tensor(rng.standard_normal(out.shape))
        wrt = [args[i] for i in tangents]
        grads = autograd.grad((out * u).sum(), wrt, create_graph=True, allow_unused=True,
                              materialize_grads=True)
        if not any(g.requires_grad for g in grads):
            continue  # linear in x: the Hessian is zero and reverse mode has no graph for it
        hessian_t = autograd.grad([g for g in grads if g.requires_grad],
                                  wrt, [tangents[i] for i, g in zip(tangents, grads)
                                        if g.requires_grad],
                                  allow_unused=True, materialize_grads=True)
        with fwAD.dual_level():
            duals = [fwAD.make_dual(a, tangents[i]) if i in tangents else a
                     for i, a in enumerate(args)]
            dual_out = _first(op.fn(*duals, **sample.kwargs))
            dual_wrt = [duals[i] for i in tangents]
            dual_grads = autograd.grad((dual_out * u).sum(), dual_wrt, allow_unused=True,
                                       materialize_grads=True)
            forward = [fwAD.unpack_dual(g).tangent for g in dual_grads]
        for f, h in zip(forward, hessian_t, strict=True):
            f = np.zeros_like(h.data) if f is None else f.data
            np.testing.assert_allclose(f, h.data, rtol=1e-7, atol=1e-9, err_msg=op.name)


@pytest.mark.parametrize("op", [op for op in OPS if op.supports_grad and op.supports_gradgrad],
                         ids=str)
def test_plain_backward_equals_the_differentiable_rule(op, rng):
    # a plain backward takes each rule's NumPy form (backward_numpy) where it has one;
    # create_graph takes the rule written in ops: the two must agree
    for sample in op.samples(rng, np.float64):
        if not sample.differentiable():
            continue
        args = _tensors(sample)
        out = _first(op.fn(*args, **sample.kwargs))
        if out.data.dtype.kind != "f" or out.data.size == 0:
            continue
        inputs = [args[i] for i in sample.differentiable()]
        seed = chainrule.tensor(rng.standard_normal(out.data.shape))
        plain = autograd.grad(out, inputs, seed, retain_graph=True, allow_unused=True)
        graphed = autograd.grad(out, inputs, seed, create_graph=True, allow_unused=True)
        for p, g in zip(plain, graphed, strict=True):
            assert (p is None) == (g is None), op.name
            if p is not None:
                assert p.grad_fn is None
                np.testing.assert_allclose(p.data, g.data, rtol=1e-12, atol=1e-14,
                                           err_msg=op.name)
