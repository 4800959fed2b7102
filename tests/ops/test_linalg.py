"""Behaviour of ops/linalg.py beyond the op table: errors, dtypes, 1-D cases, einsum vs torch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.errors import DTypeError, ShapeError


def _leaf(rng, *shape, dtype=np.float64):
    return chainrule.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)


def _sum_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    """NumPy reference for un-broadcasting: sum `a` down to `shape`."""
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead)))
    return a.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


# -- matmul errors -----------------------------------------------------------------------------


def test_matmul_names_both_shapes_when_inner_dims_differ():
    with pytest.raises(ShapeError) as info:
        chainrule.matmul(chainrule.zeros(3, 4), chainrule.zeros(5, 2))
    assert str(info.value) == "matmul: shapes (3, 4) and (5, 2) cannot be multiplied (4 != 5)"


def test_matmul_operator_raises_the_same_error_for_vectors():
    with pytest.raises(ShapeError, match=r"matmul: shapes \(3,\) and \(4,\) .*\(3 != 4\)"):
        chainrule.zeros(3) @ chainrule.zeros(4)


def test_matmul_names_both_shapes_when_batch_dims_do_not_broadcast():
    with pytest.raises(ShapeError) as info:
        chainrule.matmul(chainrule.zeros(2, 3, 4), chainrule.zeros(5, 4, 2))
    message = str(info.value)
    assert "(2, 3, 4)" in message and "(5, 4, 2)" in message and "broadcast" in message


def test_matmul_rejects_0d_operands():
    with pytest.raises(ShapeError, match="at least 1 dimension"):
        chainrule.matmul(chainrule.tensor(2.0), chainrule.zeros(3))


def test_matmul_error_is_caught_as_runtime_error_and_records_nothing():
    x = chainrule.zeros(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError):
        x @ chainrule.zeros(5, 2)
    assert x.grad_fn is None and x.grad is None


def test_mm_rejects_non_matrices():
    with pytest.raises(ShapeError, match=r"mm: expected two 2-D tensors, got shapes \(2, 3, 4\)"):
        chainrule.mm(chainrule.zeros(2, 3, 4), chainrule.zeros(4, 2))
    with pytest.raises(ShapeError, match=r"mm: shapes \(2, 3\) and \(4, 2\) cannot be multiplied"):
        chainrule.mm(chainrule.zeros(2, 3), chainrule.zeros(4, 2))


def test_bmm_rejects_other_ranks_and_unequal_batches():
    with pytest.raises(ShapeError, match="bmm: expected two 3-D tensors"):
        chainrule.bmm(chainrule.zeros(2, 3), chainrule.zeros(3, 2))
    with pytest.raises(ShapeError, match=r"bmm: batch sizes .*\(2 != 1\); bmm does not broadcast"):
        chainrule.bmm(chainrule.zeros(2, 3, 4), chainrule.zeros(1, 4, 2))


def test_dot_rejects_matrices_and_unequal_lengths():
    with pytest.raises(ShapeError, match="dot: expected two 1-D tensors"):
        chainrule.dot(chainrule.zeros(2, 2), chainrule.zeros(2, 2))
    with pytest.raises(ShapeError, match=r"dot: .*\(3,\) and \(4,\) differ in length"):
        chainrule.dot(chainrule.zeros(3), chainrule.zeros(4))


def test_outer_rejects_matrices():
    with pytest.raises(ShapeError, match=r"outer: expected two 1-D tensors, got shapes \(2, 2\)"):
        chainrule.outer(chainrule.zeros(2, 2), chainrule.zeros(3))


# -- matmul dtypes and 1-D cases -----------------------------------------------------------------


def test_matmul_of_int_and_float_gives_float32():
    a = chainrule.tensor([[1, 2], [3, 4]])
    b = chainrule.tensor([[0.5], [1.0]])
    out = a @ b
    assert out.dtype == chainrule.float32
    np.testing.assert_allclose(out.data, [[2.5], [5.5]])


def test_matmul_of_integers_stays_int64():
    out = chainrule.tensor([[1, 2]]) @ chainrule.tensor([[3], [4]])
    assert out.dtype == chainrule.int64 and out.tolist() == [[11]]


def test_matmul_float32_forward_and_gradients_stay_float32(rng):
    x = _leaf(rng, 4, 3, dtype=np.float32)
    w = _leaf(rng, 3, 2, dtype=np.float32)
    out = x @ w
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == chainrule.float32


def test_matmul_int_operand_gets_no_gradient_but_float_one_does(rng):
    a = chainrule.tensor([[1, 2], [3, 4]])
    w = _leaf(rng, 2, 3)
    (a @ w).sum().backward()
    np.testing.assert_allclose(w.grad.data, np.array([[4.0] * 3, [6.0] * 3]))


def test_matmul_of_two_vectors_is_a_0d_dot_product(rng):
    x, y = _leaf(rng, 5), _leaf(rng, 5)
    out = x @ y
    assert out.shape == ()
    out.backward()
    np.testing.assert_allclose(x.grad.data, y.data)
    np.testing.assert_allclose(y.grad.data, x.data)


def test_matmul_vector_operands_lose_their_added_dimension(rng):
    v, m, b = _leaf(rng, 3), _leaf(rng, 3, 4), _leaf(rng, 2, 4, 3)
    assert (v @ m).shape == (4,)
    assert (m.mT @ v).shape == (4,)
    assert (b @ v).shape == (2, 4)
    assert (v @ b.mT).shape == (2, 4)


@pytest.mark.parametrize(
    "shapes", [((3,), (2, 3, 4)), ((2, 4, 3), (3,)), ((3,), (3,)), ((2, 3, 4), (4, 5))]
)
def test_matmul_vector_and_folded_gradients_have_input_shapes_and_values(rng, shapes):
    x, y = _leaf(rng, *shapes[0]), _leaf(rng, *shapes[1])
    out = x @ y
    g = rng.standard_normal(out.shape)
    out.backward(chainrule.Tensor(g))
    # NumPy reference: promote 1-D operands by hand, then un-broadcast.
    xa = x.data[None, :] if x.ndim == 1 else x.data
    ya = y.data[:, None] if y.ndim == 1 else y.data
    ga = g[..., None] if y.ndim == 1 else g
    ga = ga[..., None, :] if x.ndim == 1 else ga
    gx = ga @ np.swapaxes(ya, -1, -2)
    gy = np.swapaxes(xa, -1, -2) @ ga
    gx = gx[..., 0, :] if x.ndim == 1 else gx
    gy = gy[..., 0] if y.ndim == 1 else gy
    np.testing.assert_allclose(x.grad.data, _sum_to(gx, x.shape), rtol=1e-10)
    np.testing.assert_allclose(y.grad.data, _sum_to(gy, y.shape), rtol=1e-10)


def test_matmul_computes_only_the_requested_gradient(rng):
    x = _leaf(rng, 3, 4)
    w = chainrule.Tensor(rng.standard_normal((4, 2)))
    out = x @ w
    assert out.grad_fn.name() == "MatMulBackward0"
    (grad_x,) = chainrule.autograd.grad(out.sum(), [x])
    np.testing.assert_allclose(grad_x.data, np.ones((3, 2)) @ w.data.T)
    assert w.grad is None


def test_rmatmul_accepts_a_tensor_on_the_right(rng):
    x, y = _leaf(rng, 2, 3), _leaf(rng, 3)
    np.testing.assert_allclose(y.__rmatmul__(x).data, x.data @ y.data)


def test_matmul_second_derivative_matches_torch(rng):
    torch = pytest.importorskip("torch")
    xa, ya = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2))
    x, y = chainrule.Tensor(xa, requires_grad=True), chainrule.Tensor(ya, requires_grad=True)
    (gx,) = chainrule.autograd.grad((x @ y).sin().sum(), [x], create_graph=True)
    (gxy,) = chainrule.autograd.grad((gx * gx).sum(), [y])
    tx, ty = torch.tensor(xa, requires_grad=True), torch.tensor(ya, requires_grad=True)
    (tgx,) = torch.autograd.grad((tx @ ty).sin().sum(), [tx], create_graph=True)
    (tgxy,) = torch.autograd.grad((tgx * tgx).sum(), [ty])
    np.testing.assert_allclose(gx.data, tgx.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(gxy.data, tgxy.numpy(), rtol=1e-10)


_dims = st.lists(st.integers(1, 3), min_size=0, max_size=3)


@st.composite
def _broadcast_batches(draw):
    """Two batch shapes that broadcast: each dim of the shorter is equal or 1 on one side."""
    out = draw(_dims)
    a = [n if draw(st.booleans()) else 1 for n in out]
    b = [n if draw(st.booleans()) else 1 for n in out]
    return tuple(a[draw(st.integers(0, len(a))) :]), tuple(b[draw(st.integers(0, len(b))) :])


@settings(deadline=None, max_examples=25)
@given(_broadcast_batches(), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
def test_matmul_batch_broadcasting_matches_numpy(batches, n, k, m):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    xa = rng.standard_normal((*batches[0], n, k))
    ya = rng.standard_normal((*batches[1], k, m))
    x, y = chainrule.Tensor(xa, requires_grad=True), chainrule.Tensor(ya, requires_grad=True)
    out = x @ y
    want = np.matmul(xa, ya)
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    g = rng.standard_normal(want.shape)
    out.backward(chainrule.Tensor(g))
    np.testing.assert_allclose(x.grad.data, _sum_to(g @ np.swapaxes(ya, -1, -2), xa.shape))
    np.testing.assert_allclose(y.grad.data, _sum_to(np.swapaxes(xa, -1, -2) @ g, ya.shape))


@settings(deadline=None, max_examples=10)
@given(_broadcast_batches(), st.integers(1, 2), st.integers(1, 2))
def test_matmul_batch_broadcasting_passes_gradgradcheck(batches, n, m):
    rng = np.random.default_rng(n * 10 + m)
    x = chainrule.Tensor(rng.standard_normal((*batches[0], n, 2)), requires_grad=True)
    y = chainrule.Tensor(rng.standard_normal((*batches[1], 2, m)), requires_grad=True)
    assert gradcheck(chainrule.matmul, [x, y])
    assert gradgradcheck(chainrule.matmul, [x, y])


# -- einsum ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "equation, shapes, message",
    [
        ("ij,jk->ik", [(2, 3)], "2 terms but 1 operands"),
        ("ij,jk->ik", [(2, 3), (4, 5)], "subscript 'j' has size 3 in one operand and 4"),
        ("ij->ik", [(2, 3)], "output subscript 'k'"),
        ("ij->ii", [(2, 2)], "output subscript 'i'"),
        ("ijk->i", [(2, 3)], "operand 0 has 2 dimensions but subscripts 'ijk' name 3"),
        ("ij->i", [(2, 3, 4)], "operand 0 has 3 dimensions but subscripts 'ij' name 2"),
        ("ii->i", [(2, 3)], "repeated in operand 0 with sizes 2 and 3"),
        ("i1->i", [(2, 3)], "subscripts must be letters"),
        ("i..j->i", [(2, 3)], "one '...' per term"),
    ],
)
def test_einsum_rejects_bad_equations_naming_equation_and_shapes(equation, shapes, message):
    operands = [chainrule.zeros(*s) for s in shapes]
    with pytest.raises(ShapeError) as info:
        chainrule.einsum(equation, *operands)
    assert message in str(info.value)
    assert repr(equation) in str(info.value) and str(shapes[0]) in str(info.value)


def test_einsum_accepts_a_list_of_operands(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    out = chainrule.einsum("ij,jk->ik", [chainrule.Tensor(a), chainrule.Tensor(b)])
    np.testing.assert_allclose(out.data, a @ b)


def test_einsum_promotes_int_and_float_operands_to_float32():
    out = chainrule.einsum("i,i->", chainrule.tensor([1, 2]), chainrule.tensor([0.5, 0.25]))
    assert out.dtype == chainrule.float32 and out.item() == 1.0


def test_einsum_result_does_not_share_memory_with_its_operand(rng):
    x = chainrule.Tensor(rng.standard_normal((3, 3)))
    for equation in ("ii->i", "ij->ji", "ij"):
        assert not np.shares_memory(chainrule.einsum(equation, x).data, x.data)


def test_einsum_repeated_index_gradient_lands_on_the_diagonal(rng):
    x = _leaf(rng, 3, 3)
    chainrule.einsum("ii->i", x).backward(
        chainrule.tensor([1.0, 2.0, 3.0], dtype=chainrule.float64)
    )
    np.testing.assert_allclose(x.grad.data, np.diag([1.0, 2.0, 3.0]))


def test_einsum_summed_index_gradient_is_broadcast_back(rng):
    x = _leaf(rng, 2, 3)
    chainrule.einsum("ij->i", x).backward(chainrule.tensor([1.0, 2.0], dtype=chainrule.float64))
    np.testing.assert_allclose(x.grad.data, [[1.0] * 3, [2.0] * 3])


TORCH_EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("ij->", [(2, 3)]),
    ("i...->i", [(3, 2, 2)]),  # torch sums broadcast dims the output leaves out
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),  # bilinear, three operands
    ("ij,ij,ij->", [(2, 3), (1, 3), (2, 1)]),  # size-1 broadcasting
    ("ijk,ikj->k", [(2, 3, 3), (2, 3, 3)]),
]


@pytest.mark.parametrize("equation, shapes", TORCH_EINSUMS, ids=[e for e, _ in TORCH_EINSUMS])
def test_einsum_first_and_second_derivatives_match_torch(rng, equation, shapes):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [chainrule.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = chainrule.einsum(equation, *ours), torch.einsum(equation, *theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = rng.standard_normal(out.shape)
    grads = chainrule.autograd.grad(out, ours, chainrule.Tensor(seed), create_graph=True)
    tgrads = torch.autograd.grad(ref, theirs, torch.tensor(seed), create_graph=True)
    for g, tg in zip(grads, tgrads, strict=True):
        np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    if len(shapes) == 1:
        return  # a linear map of one operand: its gradient is constant
    # Second order: d/d(operands) of sum(grad ** 2).
    second = chainrule.autograd.grad(sum((g * g).sum() for g in grads), ours, allow_unused=True)
    tsecond = torch.autograd.grad(sum((g * g).sum() for g in tgrads), theirs, allow_unused=True)
    for g, tg in zip(second, tsecond, strict=True):
        if tg is None:
            assert g is None or not np.any(g.data)
        else:
            np.testing.assert_allclose(g.data, tg.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("equation, shapes", TORCH_EINSUMS, ids=[e for e, _ in TORCH_EINSUMS])
def test_einsum_passes_gradgradcheck(rng, equation, shapes):
    operands = [_leaf(rng, *s) for s in shapes]
    fn = lambda *ops: chainrule.einsum(equation, *ops)  # noqa: E731
    assert gradgradcheck(fn, operands)


def test_einsum_large_contraction_uses_blas_path_and_matches_matmul(rng):
    a, b = rng.standard_normal((70, 80)), rng.standard_normal((80, 60))
    out = chainrule.einsum("ij,jk->ik", chainrule.Tensor(a), chainrule.Tensor(b))
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-10)


# -- diagonal, trace, triangles ----------------------------------------------------------------


def test_diagonal_rejects_vectors_and_identical_dims():
    with pytest.raises(ShapeError, match=r"diagonal: expected a tensor of at least 2 .*\(3,\)"):
        chainrule.diagonal(chainrule.zeros(3))
    with pytest.raises(ShapeError, match="dim1 and dim2 must be different"):
        chainrule.diagonal(chainrule.zeros(3, 3), dim1=1, dim2=-1)
    with pytest.raises(ShapeError, match="diagonal: dim 2 is out of range"):
        chainrule.diagonal(chainrule.zeros(3, 3), dim1=2)


def test_diagonal_is_a_view_sharing_the_version_counter(rng):
    x = chainrule.Tensor(rng.standard_normal((3, 3)))
    d = x.diagonal()
    assert np.shares_memory(d.data, x.data)
    x._bump_version()
    assert d._vc is x._vc and d._vc[0] == 1


def test_diagonal_gradient_scatters_onto_the_offset_diagonal(rng):
    x = _leaf(rng, 3, 4)
    x.diagonal(offset=1).backward(chainrule.tensor([1.0, 2.0, 3.0], dtype=chainrule.float64))
    want = np.zeros((3, 4))
    want[[0, 1, 2], [1, 2, 3]] = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(x.grad.data, want)


def test_trace_rejects_non_matrices_and_sums_integers_as_int64():
    with pytest.raises(ShapeError, match=r"trace: expected a 2-D tensor, got shape \(2, 2, 2\)"):
        chainrule.trace(chainrule.zeros(2, 2, 2))
    out = chainrule.trace(chainrule.tensor([[1, 2], [3, 4]], dtype=chainrule.int32))
    assert out.dtype == chainrule.int64 and out.item() == 5


@pytest.mark.parametrize("fn", [chainrule.tril, chainrule.triu])
def test_triangles_reject_vectors(fn):
    with pytest.raises(ShapeError, match=r"(tril|triu): expected a tensor of at least 2"):
        fn(chainrule.zeros(3))


def test_triangles_zero_infinities_outside_instead_of_making_nan():
    x = chainrule.tensor([[1.0, float("inf")], [float("nan"), 2.0]])
    assert chainrule.tril(x).data[0, 1] == 0.0 and np.isnan(chainrule.tril(x).data[1, 0])
    assert chainrule.triu(x).data[1, 0] == 0.0 and np.isinf(chainrule.triu(x).data[0, 1])


def test_triangles_keep_integer_and_bool_dtypes():
    assert chainrule.tril(chainrule.ones(2, 2, dtype=chainrule.int32)).dtype == chainrule.int32
    assert chainrule.triu(chainrule.ones(2, 2, dtype=chainrule.bool)).dtype == chainrule.bool


def test_linalg_rejects_non_tensor_operands():
    with pytest.raises(DTypeError):
        chainrule.matmul(chainrule.zeros(2), [1.0, 2.0])


def test_matmul_gradient_for_the_right_operand_only_with_a_batched_left_operand():
    # Regression: with only y requiring grad, y is not saved, and the rule read y's ndim.
    x = chainrule.tensor(np.arange(24.0).reshape(2, 3, 4))
    w = chainrule.tensor(np.ones((4, 5)), requires_grad=True)
    (x @ w).sum().backward()
    np.testing.assert_allclose(w.grad.data, np.broadcast_to(
        x.data.reshape(-1, 4).sum(0)[:, None], (4, 5)))
