"""vmap of module-level functions, nn layers and forward AD: every op batched by its Function.

Expected values are NumPy references for one example (written here) stacked, loops over the
examples, finite differences (gradcheck) and torch.func when installed.
"""

import warnings

import numpy as np
import pytest

import chainrule
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import func
from chainrule.autograd import Function, gradcheck, gradgradcheck
from chainrule.func import vmap

B = 3
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # no hidden fallback


def _t(a, requires_grad=False):
    return chainrule.tensor(np.asarray(a), requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


W = np.linspace(-1.0, 1.0, 12).reshape(3, 4)  # an unbatched operand, captured by closure

# (id, f of the examples, NumPy reference of one example, shapes of one example's inputs)
FUNCTIONS = [
    ("exp_log1p", lambda x: chainrule.exp(x) + chainrule.log1p(x * x), lambda x: np.exp(x)
     + np.log1p(x * x), [(4,)]),
    ("cat", lambda x, y: chainrule.cat([x, y * 2, _t(W[0])], 0),
     lambda x, y: np.concatenate([x, 2 * y, W[0]]), [(4,), (4,)]),
    ("stack_dim1", lambda x, y: chainrule.stack([x, y], 1), lambda x, y: np.stack([x, y], 1),
     [(2, 3), (2, 3)]),
    ("where", lambda x, y: chainrule.where(x > y, x, y * 0.5), lambda x, y: np.where(x > y, x,
     0.5 * y), [(3, 4), (3, 4)]),
    ("where_shared_mask", lambda x: chainrule.where(_t(W > 0), x, 0.0),
     lambda x: np.where(W > 0, x, 0.0), [(3, 4)]),
    ("einsum_both", lambda x, y: chainrule.einsum("ij,jk->ik", x, y), lambda x, y: x @ y,
     [(2, 3), (3, 4)]),
    ("einsum_shared", lambda x: chainrule.einsum("ij,kj->ik", x, _t(W)), lambda x: x @ W.T,
     [(2, 4)]),
    ("einsum_ellipsis_trace", lambda x: chainrule.einsum("...ii->...", x),
     lambda x: np.trace(x, axis1=-2, axis2=-1), [(2, 3, 3)]),
    ("softmax", lambda x: F.softmax(x, dim=-1), lambda x: _softmax(x, -1), [(3, 4)]),
    ("log_softmax_dim0", lambda x: F.log_softmax(x, dim=0), lambda x: np.log(_softmax(x, 0)),
     [(3, 4)]),
    ("relu_tanh_sigmoid", lambda x: F.relu(x) + chainrule.tanh(x) + F.sigmoid(x),
     lambda x: np.maximum(x, 0) + np.tanh(x) + 1 / (1 + np.exp(-x)), [(3, 4)]),
    ("sum_mean_amax", lambda x: chainrule.sum(x, 1) + chainrule.mean(x) + chainrule.amax(x, 1),
     lambda x: x.sum(1) + x.mean() + x.max(1), [(3, 4)]),
    ("matmul_matvec", lambda x, y: chainrule.matmul(x, y), lambda x, y: x @ y, [(2, 3), (3,)]),
    ("linear_shared", lambda x: F.linear(x, _t(W), _t(W[:, 0])), lambda x: x @ W.T + W[:, 0],
     [(2, 4)]),
    ("linear_weight_per_example", lambda x, w, b: F.linear(x, w, b),
     lambda x, w, b: x @ w.T + b, [(2, 4), (3, 4), (3,)]),
    ("reshape_permute_flip", lambda x: chainrule.flip(chainrule.permute(
        chainrule.reshape(x, (3, 2, 2)), (2, 0, 1)), (0,)),
     lambda x: x.reshape(3, 2, 2).transpose(2, 0, 1)[::-1], [(3, 4)]),
    ("split_index_movedim", lambda x: chainrule.split(x, 2, 1)[1][:, 0] + chainrule.movedim(
        x, 0, 1)[-1], lambda x: x[:, 2] + x[:, -1], [(3, 4)]),
    ("layer_norm", lambda x: F.layer_norm(x, (4,)),
     lambda x: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5),
     [(3, 4)]),
]


def _inputs(rng, shapes, requires_grad=False):
    return [_t(rng.standard_normal((B, *s)), requires_grad) for s in shapes]


@pytest.mark.parametrize("case", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_module_level_functions_equal_the_stacked_numpy_reference(case, rng):
    _, f, ref, shapes = case
    xs = _inputs(rng, shapes)
    out = vmap(f)(*xs)
    expected = np.stack([ref(*(_np(x)[i] for x in xs)) for i in range(B)])
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(_np(out), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", [c for c in FUNCTIONS if c[0] in (
    "cat", "where", "einsum_both", "softmax", "linear_weight_per_example", "layer_norm",
    "split_index_movedim")], ids=lambda c: c[0])
def test_module_level_functions_pass_gradcheck_and_gradgradcheck_through_vmap(case, rng):
    _, f, _, shapes = case
    xs = [_t(rng.standard_normal((2, *s)), True) for s in shapes]
    assert gradcheck(lambda *a: vmap(f)(*a), tuple(xs))
    assert gradgradcheck(lambda *a: vmap(f)(*a), tuple(xs))


def test_nested_vmap_and_shared_inputs_with_module_level_functions(rng):
    x, w = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    out = vmap(vmap(lambda a, b: F.softmax(chainrule.matmul(a, b), -1), in_dims=(0, None)),
               in_dims=(0, None))(_t(x), _t(w))
    np.testing.assert_allclose(_np(out), _softmax(x @ w, -1), rtol=1e-12)
    out = vmap(lambda a: vmap(lambda b: chainrule.cat([a, b]))(_t(x[0])))(_t(x[1]))
    expected = np.stack([np.stack([np.concatenate([x[1, i], x[0, j]]) for j in range(3)])
                         for i in range(3)])
    np.testing.assert_allclose(_np(out), expected)


def test_float32_stays_float32_through_layers(rng):
    layer = nn.Linear(4, 3)
    x = _t(rng.standard_normal((B, 2, 4)).astype(np.float32), requires_grad=True)
    out = vmap(lambda a: F.log_softmax(layer(a), -1))(x)
    out.sum().backward()
    assert out.dtype == chainrule.float32 and x.grad.dtype == chainrule.float32
    assert layer.weight.grad.dtype == chainrule.float32


# -- nn layers: the batch of results equals a loop, and so do parameter gradients -------------
def _layer_cases():
    chainrule.manual_seed(0)
    return [
        ("linear", nn.Linear(4, 3), (2, 4)),
        ("conv2d", nn.Conv2d(2, 3, 3, padding=1, stride=2), (2, 2, 5, 5)),
        ("conv2d_unbatched", nn.Conv2d(2, 3, 3), (2, 5, 5)),
        ("conv1d_groups", nn.Conv1d(4, 4, 2, groups=2), (1, 4, 6)),
        ("conv_transpose2d", nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
         (2, 2, 4, 4)),
        ("lstm", nn.LSTM(3, 4, num_layers=2), (5, 2, 3)),
        ("gru_batch_first", nn.GRU(3, 4, batch_first=True), (2, 5, 3)),
        ("layer_norm", nn.LayerNorm(4), (2, 3, 4)),
        ("mlp", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)), (4,)),
    ]


def _flat(out):
    if isinstance(out, chainrule.Tensor):
        return [out]
    return [t for o in out for t in _flat(o)]


@pytest.mark.parametrize("case", _layer_cases(), ids=lambda c: c[0])
def test_nn_layers_equal_a_loop_with_parameter_gradients(case, rng):
    _, layer, shape = case
    layer = layer.double()
    xs = _t(rng.standard_normal((B, *shape)))
    outs = _flat(vmap(layer)(xs))
    sum(o.sum() for o in outs).backward()
    batched_grads = [_np(p.grad) for p in layer.parameters()]
    layer.zero_grad()
    loop = [_flat(layer(xs[i])) for i in range(B)]
    sum(o.sum() for row in loop for o in row).backward()
    for j, o in enumerate(outs):
        np.testing.assert_allclose(_np(o), np.stack([_np(row[j]) for row in loop]),
                                   rtol=1e-10, atol=1e-12)
    for got, p in zip(batched_grads, layer.parameters(), strict=True):
        np.testing.assert_allclose(got, _np(p.grad), rtol=1e-10, atol=1e-12)


def test_convolutions_with_a_weight_per_example_are_one_grouped_convolution(rng):
    x, w, b = (rng.standard_normal(s) for s in ((B, 2, 4, 5, 5), (B, 6, 2, 3, 3), (B, 6)))
    conv = lambda a, k, c: F.conv2d(a, k, c, padding=1, groups=2)  # noqa: E731
    out = vmap(conv)(_t(x), _t(w), _t(b))
    loop = np.stack([_np(conv(_t(x[i]), _t(w[i]), _t(b[i]))) for i in range(B)])
    np.testing.assert_allclose(_np(out), loop, rtol=1e-10, atol=1e-12)
    args = (_t(x[:2, :1], True), _t(w[:2], True), _t(b[:2], True))
    assert gradcheck(lambda *a: vmap(conv)(*a), args)
    convt = lambda a, k: F.conv_transpose2d(a, k, stride=2, groups=2)  # noqa: E731
    wt = rng.standard_normal((B, 4, 3, 2, 2))
    out_t = vmap(convt)(_t(x), _t(wt))
    loop = np.stack([_np(convt(_t(x[i]), _t(wt[i]))) for i in range(B)])
    np.testing.assert_allclose(_np(out_t), loop, rtol=1e-10, atol=1e-12)
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    theirs = torch.func.vmap(lambda a, k, c: tf.conv2d(a, k, c, padding=1, groups=2))(
        *(torch.tensor(a) for a in (x, w, b)))
    np.testing.assert_allclose(_np(out), theirs.numpy(), rtol=1e-10, atol=1e-12)
    theirs = torch.func.vmap(lambda a, k: tf.conv_transpose2d(a, k, stride=2, groups=2))(
        torch.tensor(x), torch.tensor(wt))
    np.testing.assert_allclose(_np(out_t), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_cross_entropy_with_probabilities_and_class_indices_equals_a_loop(rng):
    logits = rng.standard_normal((B, 4, 5))
    probs = _softmax(rng.standard_normal((B, 4, 5)), -1)
    labels = rng.integers(0, 5, (B, 4))
    out = vmap(F.cross_entropy)(_t(logits), _t(probs))
    loop = [_np(F.cross_entropy(_t(logits[i]), _t(probs[i]))) for i in range(B)]
    np.testing.assert_allclose(_np(out), loop, rtol=1e-12)
    with warnings.catch_warnings():  # class indices are read in NumPy: a loop over examples
        warnings.simplefilter("ignore", RuntimeWarning)
        out = vmap(lambda a, t: F.cross_entropy(a, t, label_smoothing=0.1))(_t(logits),
                                                                            _t(labels))
    loop = [_np(F.cross_entropy(_t(logits[i]), _t(labels[i]), label_smoothing=0.1))
            for i in range(B)]
    np.testing.assert_allclose(_np(out), loop, rtol=1e-12)


# -- per-example gradients of a model: functional_call + grad under vmap ----------------------
def _mlp_loss(model, loss):
    def f(params, x, y):
        return loss(func.functional_call(model, params, (x.unsqueeze(0),)), y.unsqueeze(0))

    return f


def _mlp_data(rng, n=6):
    chainrule.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    xs = rng.standard_normal((n, 4))
    return model, params, xs, rng.integers(0, 3, n), _softmax(rng.standard_normal((n, 3)), -1)


@pytest.mark.parametrize("targets", ["probabilities", "class_indices"])
def test_per_example_gradients_of_an_mlp_equal_a_loop(targets, rng):
    model, params, xs, labels, probs = _mlp_data(rng)
    ys = probs if targets == "probabilities" else labels
    f = _mlp_loss(model, F.cross_entropy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        grads = vmap(func.grad(f), in_dims=(None, 0, 0))(params, _t(xs), _t(ys))
    for i in range(len(xs)):
        model.zero_grad()
        F.cross_entropy(model(_t(xs[i : i + 1])), _t(ys[i : i + 1])).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(_np(grads[name][i]), _np(p.grad), rtol=1e-10,
                                       atol=1e-12)


def test_per_example_gradients_of_an_mlp_match_torch_func(rng):
    torch = pytest.importorskip("torch")
    model, params, xs, labels, probs = _mlp_data(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = [vmap(func.grad(_mlp_loss(model, F.cross_entropy)), in_dims=(None, 0, 0))(
            params, _t(xs), _t(ys)) for ys in (probs, labels)]
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3)).double()
    tparams = {k: torch.tensor(_np(v)) for k, v in params.items()}

    def tloss(p, x, y):
        out = torch.func.functional_call(tmodel, p, (x.unsqueeze(0),))
        return torch.nn.functional.cross_entropy(out, y.unsqueeze(0))

    for mine, ys in zip(ours, (probs, labels), strict=True):
        theirs = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))(
            tparams, torch.tensor(xs), torch.tensor(ys))
        for name in params:
            np.testing.assert_allclose(_np(mine[name]), theirs[name].numpy(), rtol=1e-10,
                                       atol=1e-12)


# -- forward AD inside and outside vmap --------------------------------------------------------
def _f(x):
    return F.softmax(chainrule.tanh(x) * chainrule.sum(x), -1)


def test_vmap_of_jvp_and_jacfwd_and_jvp_of_vmap_equal_loops(rng):
    xs, ts = rng.standard_normal((B, 4)), rng.standard_normal((B, 4))
    outs = vmap(lambda x, t: func.jvp(_f, (x,), (t,)))(_t(xs), _t(ts))
    loop = [func.jvp(_f, (_t(xs[i]),), (_t(ts[i]),)) for i in range(B)]
    for j in range(2):
        np.testing.assert_allclose(_np(outs[j]), np.stack([_np(r[j]) for r in loop]),
                                   rtol=1e-12)
    jac = vmap(func.jacfwd(_f))(_t(xs))
    np.testing.assert_allclose(_np(jac), np.stack([_np(func.jacrev(_f)(_t(x))) for x in xs]),
                               rtol=1e-10, atol=1e-12)
    primal, tangent = func.jvp(vmap(_f), (_t(xs),), (_t(ts),))
    np.testing.assert_allclose(_np(tangent), np.stack([_np(r[1]) for r in loop]), rtol=1e-12)
    hess = vmap(func.hessian(lambda x: chainrule.sum(_f(x) * x)))(_t(xs))
    for i in range(B):
        np.testing.assert_allclose(_np(hess[i]), _np(func.hessian(
            lambda x: chainrule.sum(_f(x) * x))(_t(xs[i]))), rtol=1e-9, atol=1e-12)


def test_vmap_over_tangents_gives_the_jacobian_and_jacfwd_of_vmap_equals_jacrev(rng):
    x, xs = _t(rng.standard_normal(4)), _t(rng.standard_normal((B, 4)))
    expected = _np(func.jacrev(_f)(x))
    eye = _t(np.eye(4))
    columns = vmap(lambda t: func.jvp(_f, (x,), (t,))[1])(eye)  # x captured, unbatched
    np.testing.assert_allclose(_np(columns).T, expected, rtol=1e-10, atol=1e-12)
    columns = vmap(lambda a, t: func.jvp(_f, (a,), (t,))[1], in_dims=(None, 0))(x, eye)
    np.testing.assert_allclose(_np(columns).T, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(func.jacfwd(vmap(_f))(xs)), _np(func.jacrev(vmap(_f))(xs)),
                               rtol=1e-10, atol=1e-12)


def test_vmap_of_jvp_and_jacfwd_match_torch_func(rng):
    torch = pytest.importorskip("torch")
    xs, ts = rng.standard_normal((B, 4)), rng.standard_normal((B, 4))

    def tf(x):
        return torch.softmax(torch.tanh(x) * torch.sum(x), -1)

    ours = vmap(lambda x, t: func.jvp(_f, (x,), (t,))[1])(_t(xs), _t(ts))
    theirs = torch.func.vmap(lambda x, t: torch.func.jvp(tf, (x,), (t,))[1])(
        torch.tensor(xs), torch.tensor(ts))
    np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-10, atol=1e-12)
    ours = vmap(func.jacfwd(_f))(_t(xs))
    theirs = torch.func.vmap(torch.func.jacfwd(tf))(torch.tensor(xs))
    np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-10, atol=1e-12)


# -- the per-example fallback for a Function without a rule ------------------------------------
class _Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_a_function_without_a_rule_runs_per_example_and_warns_once(rng):
    xs = _t(rng.standard_normal((B, 2, 3)), requires_grad=True)
    with pytest.warns(RuntimeWarning, match="vmap: _Cube has no batching rule; it runs once "
                                            "per example"):
        out = vmap(lambda x: _Cube.apply(x) * 2)(xs)
    np.testing.assert_allclose(_np(out), 2 * _np(xs) ** 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per Function class
        out = vmap(lambda x: _Cube.apply(x).sum())(xs)
    (g,) = chainrule.autograd.grad(out.sum(), xs)
    np.testing.assert_allclose(_np(g), 3 * _np(xs) ** 2)
    grads = vmap(func.grad(lambda x: _Cube.apply(x).sum()))(xs)
    np.testing.assert_allclose(_np(grads), 3 * _np(xs) ** 2)


def test_shape_errors_inside_module_functions_name_the_example_shape():
    from chainrule.errors import ShapeError

    with pytest.raises(ShapeError, match="\\(2, 3\\)"):
        vmap(lambda a: chainrule.matmul(a, a))(_t(np.ones((4, 2, 3))))
    with pytest.raises((ShapeError, ValueError), match="\\(3,\\)"):
        vmap(lambda a: F.linear(a, _t(np.ones((2, 4)))))(_t(np.ones((4, 3))))


def test_data_of_a_batched_tensor_is_a_value_free_stand_in_of_the_example():
    seen = {}

    def f(a):
        seen["shape"], seen["dtype"], seen["strides"] = a.data.shape, a.data.dtype, a.data.strides
        with pytest.raises(RuntimeError, match="computes on the values of a batched tensor "
                                               "\\(example shape \\(2, 3\\)\\) with numpy.add"):
            a.data + 1
        return a

    vmap(f)(_t(np.ones((4, 2, 3), np.float32)))
    assert seen == {"shape": (2, 3), "dtype": np.float32, "strides": (0, 0)}


@pytest.mark.parametrize("name", ["conv2d", "lstm", "layer_norm", "mlp"])
def test_nn_layers_under_vmap_match_torch_func_with_copied_weights(name, rng):
    torch = pytest.importorskip("torch")
    _, layer, shape = next(c for c in _layer_cases() if c[0] == name)
    layer = layer.double()
    make = {"conv2d": lambda: torch.nn.Conv2d(2, 3, 3, padding=1, stride=2),
            "lstm": lambda: torch.nn.LSTM(3, 4, num_layers=2),
            "layer_norm": lambda: torch.nn.LayerNorm(4),
            "mlp": lambda: torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                               torch.nn.Linear(8, 2))}
    theirs = make[name]().double()
    theirs.load_state_dict({k: torch.tensor(_np(v)) for k, v in layer.state_dict().items()})
    xs = rng.standard_normal((B, *shape))
    x, tx = _t(xs, True), torch.tensor(xs, requires_grad=True)
    if name == "lstm":  # torch.func.vmap has no rule for aten::lstm: a loop of torch instead
        rows = [_flat_torch(theirs(tx[i])) for i in range(B)]
        theirs_out = [torch.stack([r[j] for r in rows]) for j in range(len(rows[0]))]
    else:
        theirs_out = _flat_torch(torch.func.vmap(theirs)(tx))
    ours_out = _flat(vmap(layer)(x))
    for o, t in zip(ours_out, theirs_out, strict=True):
        np.testing.assert_allclose(_np(o), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((o * o).sum() for o in ours_out).backward()
    sum((t * t).sum() for t in theirs_out).backward()
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (k, p), tp in zip(layer.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(_np(p.grad), tp.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=k)


def _flat_torch(out):
    return [out] if hasattr(out, "detach") else [t for o in out for t in _flat_torch(o)]


class _ScaledCube(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x.data ** 3 * y.data

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * 3 * x ** 2 * y, grad * x ** 3


def test_fallbacks_under_nested_vmaps_chunks_grad_and_out_dims(rng):
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        inner = vmap(lambda a, b: _ScaledCube.apply(a, b), in_dims=(0, None))
        out = vmap(inner, in_dims=(0, None))(_t(x), _t(y))
        chunked = vmap(lambda a: _ScaledCube.apply(a, _t(y)), chunk_size=1)(_t(x))
        g = vmap(func.grad(lambda a, b: _ScaledCube.apply(a, b).sum(), argnums=1),
                 in_dims=(0, None))(_t(x), _t(y))
        looped = vmap(lambda a: (chainrule.eq(a, a.abs()).double(), a.sum()),
                      out_dims=(1, 0))(_t(x))
    np.testing.assert_allclose(_np(out), x ** 3 * y)
    np.testing.assert_allclose(_np(chunked), x ** 3 * y)
    np.testing.assert_allclose(_np(g), (x ** 3).sum(1))
    np.testing.assert_array_equal(_np(looped[0]), np.moveaxis(x >= 0, 0, 1))
    np.testing.assert_allclose(_np(looped[1]), x.sum((1, 2)))
