"""The benchmarks' NumPy floors (hand-written backward passes) against torch's gradients.

A floor that computed the wrong thing would make every ratio meaningless; this checks each one
once, in float32, on the benchmark's own shapes.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def workload(name: str):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def torch_loss_and_grads(torch, net, loss_fn, params, x, y):
    net.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    loss = loss_fn(net(torch.tensor(x)), torch.tensor(y))
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in net.named_parameters()}


def check(ours, theirs, atol):
    loss, grads = ours
    torch_loss, torch_grads = theirs
    np.testing.assert_allclose(loss, torch_loss, rtol=1e-5)
    assert grads.keys() == torch_grads.keys()
    for name, grad in grads.items():
        assert grad.dtype == np.float32, name
        np.testing.assert_allclose(grad, torch_grads[name], rtol=1e-4, atol=atol, err_msg=name)


@pytest.mark.parametrize("name", ["mlp_step", "cnn_step"])
def test_classifier_floor_matches_torch_gradients(name, rng):
    torch = pytest.importorskip("torch")
    bench = workload(name)
    params, (x, y) = bench.init_params(rng), bench.inputs(rng)
    theirs = torch_loss_and_grads(torch, bench.model(torch.nn), torch.nn.functional.cross_entropy,
                                  params, x, y)
    check(bench.numpy_loss_and_grads(params, x, y), theirs, atol=1e-6)


def test_lstm_floor_matches_torch_gradients(rng):
    torch = pytest.importorskip("torch")
    bench = workload("lstm_step")
    params, (x, target) = bench.init_params(rng), bench.inputs(rng)
    lstm = torch.nn.LSTM(bench.INPUT, bench.HIDDEN)

    def loss_fn(out, target):
        return torch.nn.functional.mse_loss(out[0], target)

    theirs = torch_loss_and_grads(torch, lstm, loss_fn, params, x, target)
    check(bench.numpy_loss_and_grads(params, x, target), theirs, atol=1e-6)


def test_softmax_cross_entropy_matches_torch(rng):
    torch = pytest.importorskip("torch")
    common = workload("_common")
    logits = rng.standard_normal((5, 4)).astype(np.float32) * 10
    labels = rng.integers(0, 4, 5)
    t = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    expected.backward()
    loss, grad = common.softmax_cross_entropy(logits, labels)
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-5)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert grad.dtype == np.float32


def test_attention_floor_matches_torch_gradients(rng):
    torch = pytest.importorskip("torch")
    bench = workload("attention_step")
    params, (x, target) = bench.init_params(rng), bench.inputs(rng)
    theirs = torch_loss_and_grads(torch, bench.model(torch.nn), torch.nn.functional.mse_loss,
                                  params, x, target)
    check(bench.numpy_loss_and_grads(params, x, target), theirs, atol=1e-7)


def test_conv_large_floor_matches_torch_gradients(rng):
    torch = pytest.importorskip("torch")
    bench = workload("conv_large")
    params, (x, target) = bench.init_params(rng), bench.inputs(rng)

    def loss_fn(out, target):
        return out.mean()

    theirs = torch_loss_and_grads(torch, bench.model(torch.nn), loss_fn, params, x, target)
    check(bench.numpy_loss_and_grads(params, x, target), theirs, atol=1e-7)
