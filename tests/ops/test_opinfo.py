"""Tests generated from the op table (tests/opinfo.py) for every differentiable op."""

import numpy as np
import pytest

import chainrule
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
