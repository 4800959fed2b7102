"""chainrule.func.vmap: vmap(f)(xs) equals stacking f over the examples.

Each op of the table has a NumPy reference for ONE example, written here; the expected batch
result is those references stacked. Gradients are checked against per-example loops of
autograd.grad, finite differences (gradcheck) and torch.func when installed.
"""

import warnings

import numpy as np
import pytest

import chainrule
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import ShapeError
from chainrule.func import vmap
from chainrule.func.vmap import _batched_grad

B = 3  # batch size of the table
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # no hidden fallback


def _t(a, requires_grad=False):
    return chainrule.tensor(np.asarray(a), requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


W = np.linspace(-1.0, 1.0, 20).reshape(5, 4)  # an unbatched operand, captured by closure
IDX = np.array([2, 0, 1])
SCATTER_ROWS = np.array([1, 0, 1, 0, 2])


def _scatter_add_rows(x):
    out = x.copy()
    for j, i in enumerate(SCATTER_ROWS):
        out[i, j] += x[0, j]
    return out


# (id, f on one example, NumPy reference on one example, shape of one example)
TABLE = [
    ("exp", lambda x: x.exp(), np.exp, (4, 5)),
    ("tanh_sigmoid", lambda x: x.tanh() + x.sigmoid(), lambda x: np.tanh(x) + 1 / (1 + np.exp(-x)),
     (4, 5)),
    ("relu_abs_neg", lambda x: x.relu() - abs(x) + (-x),
     lambda x: np.maximum(x, 0) - np.abs(x) - x, (4, 5)),
    ("square_sqrt", lambda x: x.square() + (x * x + 1).sqrt(), lambda x: x**2 + np.sqrt(x**2 + 1),
     (4, 5)),
    ("scalar_ops", lambda x: (2 - x) / 3 + 2 ** x * 0.5 + x ** 2, lambda x: (2 - x) / 3
     + 2.0**x * 0.5 + x**2, (4, 5)),
    ("add_unbatched", lambda x: x + _t(W[:, 0]), lambda x: x + W[:, 0], (4, 5)),
    ("unbatched_wider", lambda x: x[0] * _t(W.T), lambda x: x[0] * W.T, (4, 5)),
    ("compare_where", lambda x: x.where(x > 0, 0.5 * x), lambda x: np.where(x > 0, x, 0.5 * x),
     (4, 5)),
    ("masked_fill", lambda x: x.masked_fill(x < 0, 1.0), lambda x: np.where(x < 0, 1.0, x),
     (4, 5)),
    ("clamp_min_max", lambda x: x.clamp(-0.5, 0.5).maximum(x * 0.1),
     lambda x: np.maximum(np.clip(x, -0.5, 0.5), x * 0.1), (4, 5)),
    ("sum_all", lambda x: x.sum(), np.sum, (4, 5)),
    ("sum_dim_keepdim", lambda x: x.sum(0, keepdim=True), lambda x: x.sum(0, keepdims=True),
     (4, 5)),
    ("sum_dims", lambda x: x.sum((0, 1)), lambda x: x.sum((0, 1)), (2, 3, 4)),
    ("mean_neg_dim", lambda x: x.mean(-1), lambda x: x.mean(-1), (4, 5)),
    ("var_std", lambda x: x.var(1) + x.std(), lambda x: x.var(1, ddof=1) + x.std(ddof=1),
     (4, 5)),
    ("amax_amin", lambda x: x.amax(0) - x.amin(), lambda x: x.max(0) - x.min(), (4, 5)),
    ("max_dim_values", lambda x: x.max(1).values, lambda x: x.max(1), (4, 5)),
    ("max_dim_indices", lambda x: x.min(0)[1], lambda x: x.argmin(0), (4, 5)),
    ("argmax_flat", lambda x: x.argmax(), lambda x: np.argmax(x), (4, 5)),
    ("prod", lambda x: x.prod(1), lambda x: x.prod(1), (4, 5)),
    ("norm", lambda x: x.norm(), lambda x: np.sqrt((x**2).sum()), (4, 5)),
    ("logsumexp", lambda x: x.logsumexp(1), lambda x: np.log(np.exp(x).sum(1)), (4, 5)),
    ("softmax", lambda x: x.softmax(-1), lambda x: _softmax(x, -1), (4, 5)),
    ("log_softmax_dim0", lambda x: x.log_softmax(0), lambda x: np.log(_softmax(x, 0)), (4, 5)),
    ("cumsum", lambda x: x.cumsum(1), lambda x: x.cumsum(1), (4, 5)),
    ("scalar_example_sum", lambda x: x.sum() + x.mean(0), lambda x: 2 * x, ()),
    ("reshape_view", lambda x: x.reshape(5, 4) + x.view(-1, 2).reshape(5, 4),
     lambda x: 2 * x.reshape(5, 4), (4, 5)),
    ("flatten_unflatten", lambda x: x.flatten().unflatten(0, (2, 10)),
     lambda x: x.reshape(2, 10), (4, 5)),
    ("squeeze_unsqueeze", lambda x: x.unsqueeze(1).unsqueeze(-1).squeeze(-1),
     lambda x: x[:, None], (4, 5)),
    ("squeeze_all", lambda x: x[:1].squeeze(), lambda x: x[0], (4, 5)),
    ("transpose_t_T", lambda x: x.t() + x.transpose(0, 1) + x.T, lambda x: 3 * x.T, (4, 5)),
    ("permute_movedim", lambda x: x.permute(2, 0, 1) + x.movedim(-1, 0), lambda x: 2
     * x.transpose(2, 0, 1), (2, 3, 4)),
    ("expand_repeat", lambda x: x[0].expand(2, 5) + x[:1].repeat(2, 1),
     lambda x: 2 * np.broadcast_to(x[0], (2, 5)), (4, 5)),
    ("tile_flip_roll", lambda x: x.tile((2,)) + x.flip(1).roll(1, 0).tile((1, 2)),
     lambda x: np.tile(x, (2,)) + np.tile(np.roll(x[:, ::-1], 1, 0), (1, 2)), (4, 5)),
    ("roll_flat", lambda x: x.roll(3), lambda x: np.roll(x, 3), (4, 5)),
    ("split_chunk_unbind", lambda x: x.split(2, 1)[1] + x.chunk(3, 1)[1] + x.unbind(1)[2:4][0]
     .unsqueeze(1).expand(4, 2), lambda x: x[:, 2:4] + x[:, 2:4] + x[:, 2:3], (4, 5)),
    ("narrow_diagonal", lambda x: x.narrow(1, 1, 4).diagonal(), lambda x: np.diagonal(x[:, 1:]),
     (4, 5)),
    ("tril_triu_trace", lambda x: x.tril() - x.triu(1) + x[:, :4].trace(),
     lambda x: np.tril(x) - np.triu(x, 1) + np.trace(x[:, :4]), (4, 5)),
    ("basic_index", lambda x: x[1:, ::2] + x[-1, None, 1:4].sum(), lambda x: x[1:, ::2]
     + x[-1, 1:4].sum(), (4, 5)),
    ("ellipsis_index", lambda x: x[..., 0], lambda x: x[..., 0], (2, 3, 4)),
    ("array_index", lambda x: x[_t(IDX)], lambda x: x[IDX], (4, 5)),
    ("adjacent_arrays", lambda x: x[:, _t(IDX), _t(IDX)], lambda x: x[:, IDX, IDX], (2, 3, 4)),
    ("separated_arrays", lambda x: x[_t(IDX[:2]), :, _t(IDX[:2])], lambda x: x[IDX[:2], :,
     IDX[:2]], (3, 3, 4)),
    ("bool_mask_index", lambda x: x[_t(np.array([True, False, True, False]))],
     lambda x: x[[0, 2]], (4, 5)),
    ("gather", lambda x: x.gather(1, _t(np.array([[0, 1], [2, 2], [4, 0], [1, 1]]))),
     lambda x: np.take_along_axis(x, np.array([[0, 1], [2, 2], [4, 0], [1, 1]]), 1), (4, 5)),
    ("take_along_dim", lambda x: x.take_along_dim(_t(np.array([[3], [0], [1], [4]])), 1),
     lambda x: np.take_along_axis(x, np.array([[3], [0], [1], [4]]), 1), (4, 5)),
    ("index_select", lambda x: x.index_select(1, _t(IDX)), lambda x: x[:, IDX], (4, 5)),
    ("scatter_add", lambda x: x.scatter_add(0, _t(SCATTER_ROWS[None]), x[:1]),
     lambda x: _scatter_add_rows(x), (4, 5)),
    ("matmul_unbatched_weight", lambda x: x @ _t(W), lambda x: x @ W, (3, 5)),
    ("matvec_unbatched", lambda x: _t(W).t() @ x, lambda x: W.T @ x, (5,)),
    ("vec_mat_unbatched", lambda x: _t(W[:, 0]) @ x, lambda x: W[:, 0] @ x, (5, 3)),
    ("matmul_batched_both", lambda x: x @ x.t() + x.t().matmul(x).sum(), lambda x: x @ x.T
     + (x.T @ x).sum(), (3, 5)),
    ("matvec_batched", lambda x: x @ x[0] + x[0] @ x.t(), lambda x: 2 * (x @ x[0]), (3, 5)),
    ("batched_matmul_3d", lambda x: x @ x.transpose(1, 2), lambda x: x @ x.transpose(0, 2, 1),
     (2, 3, 4)),
    ("mm_dot_outer", lambda x: x.mm(x.t()).sum() + x[0].dot(x[1]) + x[0].outer(x[1]),
     lambda x: (x @ x.T).sum() + x[0] @ x[1] + np.outer(x[0], x[1]), (3, 3)),
    ("bmm", lambda x: x.bmm(x), lambda x: x @ x, (2, 3, 3)),
    ("dtype_cast", lambda x: (x > 0).float() + x.long().double(), lambda x: (x > 0) + np.trunc(x),
     (4, 5)),
    ("sum_to_size", lambda x: x.sum_to_size(1, 5), lambda x: x.sum(0, keepdims=True), (4, 5)),
    ("view_expand_as", lambda x: x[0].expand_as(x) + x.view_as(x) + x.reshape_as(x),
     lambda x: x[0] + 2 * x, (4, 5)),
    ("iterate_rows", lambda x: sum(list(x)), lambda x: x.sum(0), (4, 5)),
]


@pytest.mark.parametrize("case", TABLE, ids=[c[0] for c in TABLE])
def test_vmap_equals_stacked_numpy_reference(case, rng):
    _, f, ref, shape = case
    xs = rng.standard_normal((B, *shape)) + 0.1
    out = vmap(f)(_t(xs))
    expected = np.stack([np.asarray(ref(x)) for x in xs])
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(_np(out), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", [c for c in TABLE if c[0] in (
    "tanh_sigmoid", "var_std", "softmax", "logsumexp", "matmul_batched_both", "basic_index",
    "separated_arrays", "gather", "permute_movedim", "norm", "max_dim_values")],
    ids=lambda c: c[0])
def test_gradients_through_vmap_pass_gradcheck_and_gradgradcheck(case, rng):
    f = case[1]
    x = _t(rng.standard_normal((2, *case[3])) + 0.1, requires_grad=True)
    assert gradcheck(lambda a: vmap(f)(a), (x,))
    assert gradgradcheck(lambda a: vmap(f)(a), (x,))


def test_float32_stays_float32_forward_and_backward(rng):
    x = _t(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    w = _t(rng.standard_normal((3, 2)).astype(np.float32))
    out = vmap(lambda a: (a @ w).softmax(-1).log().sum())(x)
    out.sum().backward()
    assert out.dtype == chainrule.float32 and x.grad.dtype == chainrule.float32


# -- in_dims / out_dims ----------------------------------------------------------------------
def test_in_dims_int_negative_and_none(rng):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal(3)
    out = vmap(lambda a, b: a * b, in_dims=(1, None))(_t(x), _t(y))
    np.testing.assert_allclose(_np(out), (x * y[:, None]).T)
    out = vmap(lambda a: a.sum(), in_dims=-1)(_t(x))
    np.testing.assert_allclose(_np(out), x.sum(0))


def test_in_dims_pytrees_of_tuples_lists_and_dicts(rng):
    a, b, c = rng.standard_normal((2, 5)), rng.standard_normal((5, 2)), rng.standard_normal(5)

    def f(pair, d):
        return pair[0] + pair[1] * d["scale"] + d["shift"]

    out = vmap(f, in_dims=((0, 1), {"scale": None, "shift": 0}))(
        (_t(a), _t(b)), {"scale": _t(c), "shift": _t(a)})
    np.testing.assert_allclose(_np(out), a + b.T * c + a)
    out = vmap(f, in_dims=([0, 1], None))([_t(a), _t(b)], {"scale": _t(c), "shift": _t(c)})
    np.testing.assert_allclose(_np(out), a + b.T * c + c)


def test_non_tensor_inputs_and_kwargs_pass_through(rng):
    x = rng.standard_normal((3, 4))
    out = vmap(lambda a, k, *, scale: a * k * scale, in_dims=(0, None))(_t(x), 2.0, scale=3.0)
    np.testing.assert_allclose(_np(out), 6 * x)


def test_out_dims_move_the_batch_dim_per_output(rng):
    x = rng.standard_normal((3, 4))
    first, second = vmap(lambda a: (a.unsqueeze(0), a.sum()), out_dims=(1, 0))(_t(x))
    assert tuple(first.shape) == (1, 3, 4) and tuple(second.shape) == (3,)
    np.testing.assert_allclose(_np(first)[0], x)
    out = vmap(lambda a: {"y": a * 2}, out_dims=-1)(_t(x))
    np.testing.assert_allclose(_np(out["y"]), 2 * x.T)


def test_unbatched_outputs_are_expanded_or_kept_with_out_dims_none(rng):
    x, c = rng.standard_normal((3, 4)), _t([1.0, 2.0])
    kept, same = vmap(lambda a: (a, c), out_dims=(0, None))(_t(x))
    assert same is c
    expanded = vmap(lambda a: c)(_t(x))
    np.testing.assert_allclose(_np(expanded), np.tile([1.0, 2.0], (3, 1)))


def test_chunk_size_gives_the_same_result(rng):
    x = rng.standard_normal((7, 3))
    f = lambda a: (a.softmax(-1), a.sum())  # noqa: E731
    full = vmap(f, out_dims=(1, 0))(_t(x))
    chunked = vmap(f, out_dims=(1, 0), chunk_size=3)(_t(x))
    for u, v in zip(full, chunked, strict=True):
        np.testing.assert_allclose(_np(u), _np(v))


def test_batch_of_size_zero(rng):
    out = vmap(lambda a: a.sum())(_t(np.zeros((0, 3))))
    assert tuple(out.shape) == (0,)


# -- nesting ----------------------------------------------------------------------------------
def test_nested_vmap_equals_a_double_loop(rng):
    x = rng.standard_normal((2, 3, 4))
    out = vmap(vmap(lambda a: a.softmax(-1) * a.sum()))(_t(x))
    expected = _softmax(x, -1) * x.sum(-1, keepdims=True)
    np.testing.assert_allclose(_np(out), expected)


def test_nested_vmap_with_an_outer_example_captured_by_the_inner_function(rng):
    x, y = rng.standard_normal((2, 4)), rng.standard_normal((3, 4))

    def outer(a):
        return vmap(lambda b: (a * b).sum() + a @ b)(_t(y))  # a is batched at the outer level

    out = vmap(outer)(_t(x))
    np.testing.assert_allclose(_np(out), 2 * x @ y.T)


def test_nested_vmap_returning_only_the_outer_example_expands_it(rng):
    x, y = rng.standard_normal((2, 4)), rng.standard_normal((3, 4))
    out = vmap(lambda a: vmap(lambda b: a * 2)(_t(y)))(_t(x))
    np.testing.assert_allclose(_np(out), np.broadcast_to(2 * x[:, None], (2, 3, 4)))


def test_nested_vmap_in_dims_and_matmul(rng):
    x, w = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 3, 4))
    out = vmap(vmap(lambda a, b: a @ b, in_dims=(0, None)), in_dims=(1, 0))(_t(x), _t(w))
    expected = np.einsum("nbk,bkm->bnm", x, w)
    np.testing.assert_allclose(_np(out), expected)


# -- per-example gradients --------------------------------------------------------------------
def _grad(f, argnum=0):
    """grad(f) built on _batched_grad (what func.grad calls inside vmap)."""
    def g(*args):
        args = list(args)
        x = args[argnum]
        args[argnum] = x.clone() if x.requires_grad else x.detach().requires_grad_()
        with chainrule.autograd.enable_grad():
            out = f(*args)
        return _batched_grad(out, args[argnum], create_graph=True)[0]

    return g


def _loss(w, x, y):
    return ((x @ w).tanh() - y).square().mean()


def _loop_grads(w, xs, ys):
    grads = []
    for x, y in zip(xs, ys, strict=True):
        wi = _t(w, requires_grad=True)
        (g,) = chainrule.autograd.grad(_loss(wi, _t(x), _t(y)), wi)
        grads.append(_np(g))
    return np.stack(grads)


def test_per_example_gradients_of_shared_weights_equal_a_loop(rng):
    w, xs, ys = rng.standard_normal((4, 2)), rng.standard_normal((6, 4)), rng.standard_normal(
        (6, 2))
    out = vmap(_grad(_loss), in_dims=(None, 0, 0))(_t(w), _t(xs), _t(ys))
    np.testing.assert_allclose(_np(out), _loop_grads(w, xs, ys), rtol=1e-10)


def test_per_example_gradients_wrt_batched_inputs_and_second_order(rng):
    xs = rng.standard_normal((5, 3))
    f = lambda x: (x.sin() * x.sum()).sum()  # noqa: E731
    g = vmap(_grad(f))(_t(xs))
    np.testing.assert_allclose(_np(g), np.cos(xs) * xs.sum(1, keepdims=True)
                               + np.sin(xs).sum(1, keepdims=True))
    # the gradient is itself differentiable: d/dx_j sum_i df/dx_i = sum_i H_ij
    hess_rows = vmap(_grad(lambda x: _grad(f)(x).sum()))(_t(xs))
    s, c = xs.sum(1, keepdims=True), np.cos(xs)
    expected = c.sum(1, keepdims=True) - np.sin(xs) * s + xs.shape[1] * c
    np.testing.assert_allclose(_np(hess_rows), expected, rtol=1e-10)


def test_per_example_gradients_in_chunks_and_nested_vmaps(rng):
    w, xs, ys = rng.standard_normal((4, 2)), rng.standard_normal((6, 4)), rng.standard_normal(
        (6, 2))
    chunked = vmap(_grad(_loss), in_dims=(None, 0, 0), chunk_size=4)(_t(w), _t(xs), _t(ys))
    np.testing.assert_allclose(_np(chunked), _loop_grads(w, xs, ys), rtol=1e-10)
    nested = vmap(vmap(_grad(_loss), in_dims=(None, 0, 0)), in_dims=(None, 0, 0))(
        _t(w), _t(xs.reshape(2, 3, 4)), _t(ys.reshape(2, 3, 2)))
    np.testing.assert_allclose(_np(nested).reshape(6, 4, 2), _loop_grads(w, xs, ys), rtol=1e-10)


def test_batched_and_shared_cotangents(rng):
    xs, vs = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def vjp_exp(x, v):
        x = x.detach().requires_grad_()
        return _batched_grad(x.exp(), x, v)[0]

    np.testing.assert_allclose(_np(vmap(vjp_exp)(_t(xs), _t(vs))), vs * np.exp(xs))
    shared = vmap(vjp_exp, in_dims=(0, None))(_t(xs), _t(vs[0]))
    np.testing.assert_allclose(_np(shared), vs[0] * np.exp(xs))


def test_gradients_flow_back_through_vmap_to_the_inputs(rng):
    w = _t(rng.standard_normal((4, 2)), requires_grad=True)
    xs = _t(rng.standard_normal((6, 4)), requires_grad=True)
    vmap(lambda x, w: (x @ w).tanh().sum(), in_dims=(0, None))(xs, w).sum().backward()
    expected_w = _np(xs).T @ (1 - np.tanh(_np(xs) @ _np(w)) ** 2)
    np.testing.assert_allclose(_np(w.grad), expected_w)
    assert tuple(xs.grad.shape) == (6, 4)


def test_hooks_on_batched_tensors_see_one_example_and_may_replace_the_gradient():
    x, seen = _t(np.arange(6.0).reshape(3, 2), requires_grad=True), []

    def f(a):
        b = a * 2
        b.register_hook(lambda g: (seen.append(tuple(g.shape)), g * 10)[1])
        return b.sum()

    vmap(f)(x).sum().backward()
    assert seen == [(2,)]
    np.testing.assert_array_equal(_np(x.grad), np.full((3, 2), 20.0))


def test_per_example_gradient_wrt_a_shared_tensor_used_as_is_is_refused(rng):
    w = _t(rng.standard_normal(3))

    def g(x):
        w.requires_grad_()
        return _batched_grad((x * w).sum(), w)[0]

    with pytest.raises(ShapeError, match="per-example gradients with respect to a tensor of "
                                         "shape \\(3,\\) that is shared"):
        vmap(g)(_t(rng.standard_normal((2, 3))))


# -- in place, randomness, fallback -----------------------------------------------------------
def test_in_place_ops_on_batched_tensors(rng):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def f(a):
        b = a.clone()
        b.mul_(2).add_(_t(y))
        b[0] = a.sum()
        b += 1
        b[b > 2] = 2.0  # a mask per example
        return b

    out = vmap(f)(_t(x))
    expected = 2 * x + y + 1
    expected[:, 0] = x.sum(1) + 1
    expected[expected > 2] = 2.0
    np.testing.assert_allclose(_np(out), expected)


def test_in_place_write_of_a_batch_into_an_unbatched_tensor_is_refused(rng):
    buffer, xs = _t(np.zeros(4)), _t(rng.standard_normal((2, 4)))
    with pytest.raises(ShapeError, match="add_: the tensor modified in place \\(shape \\(4,\\)\\) "
                                         "is not batched but an operand is"):
        vmap(lambda buf, a: buf.add_(a), in_dims=(None, 0))(buffer, xs)
    np.testing.assert_array_equal(_np(buffer), np.zeros(4))


def test_randomness_modes(rng):
    x = _t(np.zeros((4, 1000)))
    with pytest.raises(RuntimeError, match="random operation uniform_ while in randomness "
                                           "error mode"):
        vmap(lambda a: a.clone().uniform_())(x)
    chainrule.manual_seed(0)
    different = _np(vmap(lambda a: a.clone().normal_(), randomness="different")(x))
    same = _np(vmap(lambda a: a.clone().normal_(), randomness="same")(x))
    assert not np.allclose(different[0], different[1])
    np.testing.assert_array_equal(same, np.broadcast_to(same[0], same.shape))
    assert abs(different.std() - 1) < 0.05 and abs(same.std() - 1) < 0.1


def test_methods_without_a_rule_run_per_example_with_a_warning(rng):
    x = rng.standard_normal((3, 4))
    idx = (_t(np.array([0, 2])),)

    def f(a):
        return a.index_put(idx, _t(np.array([9.0, 8.0])))

    with pytest.warns(RuntimeWarning, match="IndexPut has no batching rule"):
        out = vmap(f)(_t(x))
    expected = x.copy()
    expected[:, [0, 2]] = [9.0, 8.0]
    np.testing.assert_allclose(_np(out), expected)


def test_batched_index_tensors_use_the_per_example_fallback(rng):
    x, idx = rng.standard_normal((3, 5)), np.array([[0, 4], [1, 1], [3, 2]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = vmap(lambda a, i: a[i])(_t(x), _t(idx))
    np.testing.assert_allclose(_np(out), np.take_along_axis(x, idx, 1))


# -- errors -----------------------------------------------------------------------------------
def test_mismatched_batch_sizes_name_the_sizes():
    with pytest.raises(ValueError, match="same size in the mapped dim, got sizes \\[3, 4\\]"):
        vmap(lambda a, b: a + b)(_t(np.zeros((3, 2))), _t(np.zeros((4, 2))))


def test_non_tensor_output_is_refused():
    def f(a):
        return 3

    with pytest.raises(ValueError, match="f must only return Tensors, got a int as output 0"):
        vmap(f)(_t(np.zeros((3, 2))))


@pytest.mark.parametrize("in_dims, args, message", [
    ((0, 0), (np.zeros((2, 3)), 1.0), "in_dim=0 for an input of type float"),
    (2, (np.zeros((2, 3)),), "in_dim=2 for an input of shape \\(2, 3\\): expected -2 <= in_dim"),
    (None, (np.zeros((2, 3)),), "at least one input must be mapped over"),
    ((0, 0, 0), (np.zeros(2), np.zeros(2)), "in_dims=\\(0, 0, 0\\) is not compatible with the "
                                            "structure of the inputs"),
    ("0", (np.zeros(2),), "in_dims must be an int, None, or a \\(nested\\) tuple"),
])
def test_bad_in_dims_are_refused(in_dims, args, message):
    args = tuple(_t(a) if isinstance(a, np.ndarray) else a for a in args)
    with pytest.raises(ValueError, match=message):
        vmap(lambda *a: a[0], in_dims=in_dims)(*args)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="randomness must be 'error', 'different' or 'same'"):
        vmap(lambda a: a, randomness="sometimes")
    with pytest.raises(ValueError, match="chunk_size must be None or a positive int, got 0"):
        vmap(lambda a: a, chunk_size=0)
    with pytest.raises(TypeError, match="func must be callable"):
        vmap(3)
    with pytest.raises(ValueError, match="out_dim=2 for output 0 of example shape \\(\\)"):
        vmap(lambda a: a.sum(), out_dims=2)(_t(np.zeros((2, 3))))


def test_data_dependent_control_flow_is_refused():
    with pytest.raises(RuntimeError, match="bool\\(\\) of a batched tensor .* data-dependent"):
        vmap(lambda a: a if a.sum() > 0 else -a)(_t(np.ones((2, 3))))
    with pytest.raises(RuntimeError, match="\\.item\\(\\) of a batched tensor"):
        vmap(lambda a: a * a.sum().item())(_t(np.ones((2, 3))))


def test_ops_computing_on_values_outside_functions_fall_back_to_a_loop_once(rng):
    from chainrule.func.vmap import _looped

    _looped.discard("eq")  # the warning is once per op and process
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x[0, 1] = y[0, 1]
    with pytest.warns(RuntimeWarning, match="vmap: eq computes on the values of a batched "
                                            "tensor .* runs once per example"):
        out = vmap(lambda a, b: chainrule.eq(a, b).float() * a)(_t(x), _t(y))
    np.testing.assert_array_equal(_np(out), np.where(x == y, x, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per op
        vmap(lambda a, b: chainrule.eq(a, b))(_t(x), _t(y))


def test_shape_errors_use_the_example_shape():
    with pytest.raises(ShapeError, match="dim 2 is out of range for a tensor of 2 dimensions"):
        vmap(lambda a: a.sum(2))(_t(np.ones((4, 2, 3))))
    with pytest.raises(ShapeError, match="mm: expected two 2-D tensors, got shapes \\(3,\\) "
                                         "and \\(3,\\)"):
        vmap(lambda a: a.mm(a))(_t(np.ones((4, 3))))


# -- against torch.func -----------------------------------------------------------------------
def test_matches_torch_func_vmap_with_dims_and_nesting(rng):
    torch = pytest.importorskip("torch")
    x, w = rng.standard_normal((4, 3, 5)), rng.standard_normal((5, 2))

    def f(lib_w):
        return lambda a: ((a @ lib_w).softmax(-1) * a.sum()).transpose(0, 1)

    ours = vmap(f(_t(w)), in_dims=1, out_dims=2)(_t(x))
    theirs = torch.func.vmap(f(torch.tensor(w)), in_dims=1, out_dims=2)(torch.tensor(x))
    np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-10)
    ours = vmap(vmap(lambda a: a.logsumexp(-1)))(_t(x))
    theirs = torch.func.vmap(torch.func.vmap(lambda a: a.logsumexp(-1)))(torch.tensor(x))
    np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-10)


def test_per_example_gradients_match_torch_func(rng):
    torch = pytest.importorskip("torch")
    w, xs, ys = rng.standard_normal((4, 2)), rng.standard_normal((8, 4)), rng.standard_normal(
        (8, 2))
    ours = vmap(_grad(_loss), in_dims=(None, 0, 0))(_t(w), _t(xs), _t(ys))
    theirs = torch.func.vmap(torch.func.grad(_loss), in_dims=(None, 0, 0))(
        torch.tensor(w), torch.tensor(xs), torch.tensor(ys))
    np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-10)


def test_vmap_of_func_grad_equals_a_loop_of_grad(rng):
    from chainrule import func

    def loss(w, x):
        return ((x @ w).tanh() ** 2).sum()

    w = chainrule.tensor(rng.standard_normal((3, 2)))
    xs = chainrule.tensor(rng.standard_normal((5, 4, 3)))
    batched = func.vmap(func.grad(loss), in_dims=(None, 0))(w, xs)
    loop = np.stack([func.grad(loss)(w, xs[i]).data for i in range(5)])
    np.testing.assert_allclose(batched.data, loop, rtol=1e-6, atol=1e-7)
    second = func.vmap(func.grad(lambda x: func.grad(loss, argnums=1)(w, x).sum()))(xs)
    loop2 = np.stack([func.grad(lambda x: func.grad(loss, argnums=1)(w, x).sum())(xs[i]).data
                      for i in range(5)])
    np.testing.assert_allclose(second.data, loop2, rtol=1e-5, atol=1e-6)


def test_vmap_of_func_grad_matches_torch_func(rng):
    torch = pytest.importorskip("torch")
    from chainrule import func

    w_np, xs_np = rng.standard_normal((3, 2)), rng.standard_normal((5, 4, 3))
    ours = func.vmap(func.grad(lambda w, x: ((x @ w).tanh() ** 2).sum()), in_dims=(None, 0))(
        chainrule.tensor(w_np), chainrule.tensor(xs_np))
    theirs = torch.func.vmap(torch.func.grad(lambda w, x: ((x @ w).tanh() ** 2).sum()),
                             in_dims=(None, 0))(torch.tensor(w_np), torch.tensor(xs_np))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10)
