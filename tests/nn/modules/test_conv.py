"""Convolution layers: parameters, PyTorch's initialisation and repr, forward vs torch."""

import math

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.autograd import gradcheck, gradgradcheck


def _seed(rng):
    chainrule.manual_seed(int(rng.integers(2**31)))


@pytest.mark.parametrize("layer, weight_shape", [
    (lambda: nn.Conv1d(4, 6, 3, groups=2), (6, 2, 3)),
    (lambda: nn.Conv2d(3, 8, (3, 5)), (8, 3, 3, 5)),
    (lambda: nn.Conv2d(4, 8, 3, groups=4), (8, 1, 3, 3)),
    (lambda: nn.ConvTranspose1d(4, 6, 2, groups=2), (4, 3, 2)),
    (lambda: nn.ConvTranspose2d(3, 8, (2, 3)), (3, 8, 2, 3)),
])
def test_weight_and_bias_shapes_follow_pytorch(layer, weight_shape):
    m = layer()
    assert m.weight.shape == weight_shape
    assert m.bias.shape == (m.out_channels,)
    assert [name for name, _ in m.named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("layer, fan_in", [
    (lambda: nn.Conv2d(16, 32, 3), 16 * 9),
    (lambda: nn.Conv1d(8, 64, 5, groups=4), 2 * 5),
    (lambda: nn.ConvTranspose2d(32, 12, 3, groups=2), 6 * 9),
])
def test_default_init_is_uniform_within_one_over_root_fan_in(layer, fan_in, rng):
    _seed(rng)
    m = layer()
    bound = 1 / math.sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.1 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(b).max() <= bound and np.unique(b).size == b.size


def test_init_follows_the_global_seed():
    chainrule.manual_seed(3)
    a = nn.Conv2d(2, 3, 3).weight.detach().numpy().copy()
    chainrule.manual_seed(3)
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3).weight.detach().numpy(), a)


def test_dtype_argument_and_no_bias():
    m = nn.Conv2d(2, 3, 3, bias=False, dtype=chainrule.float64)
    assert m.weight.dtype == chainrule.float64 and m.bias is None
    assert list(m.state_dict()) == ["weight"]


@pytest.mark.parametrize("layer, text", [
    (lambda: nn.Conv2d(3, 8, 3), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda: nn.Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=2,
                       bias=False, padding_mode="reflect"),
     "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(2, 2), "
     "groups=2, bias=False, padding_mode=reflect)"),
    (lambda: nn.Conv2d(2, 2, 3, padding="same"),
     "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)"),
    (lambda: nn.Conv1d(2, 4, 3, padding=1), "Conv1d(2, 4, kernel_size=(3,), stride=(1,), "
                                            "padding=(1,))"),
    (lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
     "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"),
    (lambda: nn.ConvTranspose1d(4, 2, 3), "ConvTranspose1d(4, 2, kernel_size=(3,), "
                                          "stride=(1,))"),
])
def test_repr_matches_pytorch(layer, text):
    assert repr(layer()) == text


def test_repr_matches_torch_itself():
    torch = pytest.importorskip("torch")
    args = (4, 8, (3, 5))
    kwargs = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2, padding_mode="circular")
    assert repr(nn.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))
    kwargs = dict(stride=2, padding=1, output_padding=1, groups=2, bias=False)
    assert (repr(nn.ConvTranspose2d(*args, **kwargs))
            == repr(torch.nn.ConvTranspose2d(*args, **kwargs)))


def _copy_to_torch(torch, ours, theirs):
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
        if ours.bias is not None:
            theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))


LAYERS = [
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv1d", (4, 4, 4), dict(padding="same", groups=2, padding_mode="circular"), (2, 4, 7)),
    ("Conv2d", (3, 6, 3), dict(padding=1), (2, 3, 6, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), dilation=(1, 2), groups=2, bias=False),
     (2, 4, 7, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=(1, 2), padding_mode="reflect"), (1, 3, 5, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="replicate"), (1, 3, 5, 5)),
    ("Conv2d", (3, 4, 4), dict(padding="same", padding_mode="reflect"), (1, 3, 6, 6)),
    ("Conv2d", (3, 4, 3), dict(padding="valid"), (3, 6, 6)),  # unbatched
    ("ConvTranspose1d", (4, 2, 3), dict(stride=2, output_padding=1), (2, 4, 5)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 4, 5)),
    ("ConvTranspose2d", (3, 2, 3), dict(dilation=2), (1, 3, 4, 4)),
]
LAYER_IDS = [f"{name}-{i}" for i, (name, *_) in enumerate(LAYERS)]


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS, ids=LAYER_IDS)
def test_layers_match_torch_with_copied_weights(name, args, kwargs, shape, rng):
    torch = pytest.importorskip("torch")
    _seed(rng)
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    _copy_to_torch(torch, ours, theirs)
    x = rng.standard_normal(shape).astype(np.float32)
    xs, xt = chainrule.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xs), theirs(xt)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-5)
    g = rng.standard_normal(ref.shape).astype(np.float32)
    out.backward(chainrule.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), atol=1e-5)
    for (pname, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-4, err_msg=pname)
        assert p.grad.dtype == chainrule.float32


def test_layer_equals_its_functional_form(rng):
    _seed(rng)
    m = nn.Conv2d(2, 3, 3, stride=2, padding=1)
    x = chainrule.tensor(rng.standard_normal((1, 2, 5, 5)).astype(np.float32))
    expected = nn.functional.conv2d(x, m.weight, m.bias, 2, 1)
    np.testing.assert_array_equal(m(x).detach().numpy(), expected.detach().numpy())


def test_padding_mode_layer_gradgradchecks(rng):
    _seed(rng)
    m = nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect", dtype=chainrule.float64)
    x = chainrule.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: nn.functional.conv2d(
        chainrule.pad(x, (1, 1, 1, 1), mode="reflect"), w, b), (x, m.weight, m.bias))
    assert gradgradcheck(lambda x: m(x), (x,))


def test_conv_transpose2d_output_size_picks_output_padding(rng):
    torch = pytest.importorskip("torch")
    _seed(rng)
    ours, theirs = nn.ConvTranspose2d(2, 3, 3, stride=3), torch.nn.ConvTranspose2d(2, 3, 3, 3)
    _copy_to_torch(torch, ours, theirs)
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    out = ours(chainrule.tensor(x), output_size=(1, 3, 10, 11))
    ref = theirs(torch.tensor(x), output_size=(1, 3, 10, 11))
    assert out.shape == (1, 3, 10, 11)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested an output size of "
                                         r"\(12, 12\), but valid sizes range from 9 to 11"):
        ours(chainrule.tensor(x), output_size=(12, 12))


@pytest.mark.parametrize("call, match", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"Conv2d: in_channels \(3\) must be divisible by "
                                           r"groups \(2\)"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), r"Conv2d: out_channels \(3\) must be divisible by "
                                           r"groups \(2\)"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), r"Conv2d: groups must be a positive integer, got 0"),
    (lambda: nn.Conv2d(2, 2, 3, padding_mode="mirror"),
     r"Conv2d: padding_mode must be one of .*, but got padding_mode='mirror'"),
    (lambda: nn.Conv2d(2, 2, 3, stride=2, padding="same"),
     r"Conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv1d(2, 2, 3, padding="full"), r"Conv1d: invalid padding string 'full'"),
    (lambda: nn.Conv2d(2, 2, (3, 3, 3)),
     r"Conv2d: kernel_size must be an int or a tuple of 2 ints, got \(3, 3, 3\)"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
     r'ConvTranspose2d: only "zeros" padding mode is supported'),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding="same"),
     r"ConvTranspose2d: padding must be an int or a tuple of ints, got 'same'"),
])
def test_constructor_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_forward_error_names_the_channels():
    with pytest.raises(chainrule.errors.ShapeError,
                       match=r"conv2d: input has 2 channels but weight expects 3"):
        nn.Conv2d(3, 4, 3)(chainrule.zeros(1, 2, 5, 5))


def test_a_small_cnn_trains_like_torch(rng):
    """Five SGD steps of conv-relu-pool-conv-pool from the same weights end at the same
    weights as torch's."""
    torch = pytest.importorskip("torch")
    _seed(rng)

    def net(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(2, 4, 3, padding=1), lib.nn.ReLU(),
                                 lib.nn.MaxPool2d(2), lib.nn.Conv2d(4, 3, 3, stride=2),
                                 lib.nn.AdaptiveAvgPool2d(1))

    ours, theirs = net(chainrule), net(torch)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        with torch.no_grad():
            b.copy_(torch.tensor(a.detach().numpy()))
    x = rng.standard_normal((4, 2, 10, 10)).astype(np.float32)
    target = rng.standard_normal((4, 3, 1, 1)).astype(np.float32)
    losses = {}
    for lib, model in ((chainrule, ours), (torch, theirs)):
        losses[lib] = []
        for _ in range(5):
            loss = ((model(lib.tensor(x)) - lib.tensor(target)) ** 2).mean()
            losses[lib].append(loss.item())
            for p in model.parameters():
                p.grad = None
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.2 * p.grad
    assert losses[chainrule][-1] < 0.9 * losses[chainrule][0]
    np.testing.assert_allclose(losses[chainrule], losses[torch], rtol=1e-5)
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5,
                                   err_msg=name)
