"""Factories: tensor, as_tensor, from_numpy, zeros, ones, full, arange, linspace, eye, *_like."""

import numpy as np
import pytest

import chainrule
from chainrule.errors import DTypeError, ShapeError


def _torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


# -- tensor ---------------------------------------------------------------------------------------
def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0])
    t = chainrule.tensor(a)
    a[0] = 5.0
    assert t.tolist() == [1.0, 2.0]


def test_tensor_of_a_tensor_copies_and_drops_the_graph():
    x = chainrule.tensor([1.0], requires_grad=True)
    y = chainrule.tensor(x)
    assert not y.requires_grad and not np.shares_memory(x.data, y.data)


# -- as_tensor and from_numpy ---------------------------------------------------------------------
def test_as_tensor_shares_memory_with_an_ndarray_of_a_supported_dtype():
    a = np.arange(3.0)
    t = chainrule.as_tensor(a)
    assert np.shares_memory(t.data, a)
    assert t.dtype is chainrule.float64


def test_as_tensor_returns_a_tensor_of_the_same_dtype_as_is():
    x = chainrule.tensor([1.0])
    assert chainrule.as_tensor(x) is x
    assert chainrule.as_tensor(x, dtype=chainrule.float32) is x


def test_as_tensor_converts_to_another_dtype():
    out = chainrule.as_tensor(chainrule.tensor([1.5]), dtype=chainrule.float64)
    assert out.dtype is chainrule.float64 and out.tolist() == [1.5]
    out = chainrule.as_tensor(np.array([1.7, -1.7]), dtype=chainrule.int64)
    assert out.tolist() == [1, -1]


def test_as_tensor_infers_dtype_of_lists_as_tensor_does():
    assert chainrule.as_tensor([1.0, 2.0]).dtype is chainrule.float32
    assert chainrule.as_tensor([1, 2]).dtype is chainrule.int64


def test_as_tensor_matches_torch(rng):
    torch = pytest.importorskip("torch")
    for data in ([1.0, 2.0], [1, 2], rng.standard_normal(3), np.arange(3, dtype=np.int32)):
        ours, theirs = chainrule.as_tensor(data), torch.as_tensor(data)
        assert repr(ours.dtype) == repr(theirs.dtype).replace("torch", "chainrule")
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_from_numpy_shares_memory_both_ways():
    a = np.zeros(3, np.float32)
    t = chainrule.from_numpy(a)
    a[0] = 1.0
    t.data[1] = 2.0
    assert t.tolist() == [1.0, 2.0, 0.0]
    assert a.tolist() == [1.0, 2.0, 0.0]


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.uint8, np.int32, np.int64, np.bool_]
)
def test_from_numpy_keeps_every_supported_dtype(dtype):
    assert chainrule.from_numpy(np.zeros(2, dtype)).data.dtype == dtype


@pytest.mark.parametrize("dtype", [np.int16, np.int8, np.uint32, np.complex128])
def test_from_numpy_refuses_unsupported_dtypes_listing_the_supported(dtype):
    with pytest.raises(
        DTypeError,
        match="from_numpy: NumPy dtype .* not supported.*float64, "
        "float32, float16, int64, int32, uint8 and bool",
    ):
        chainrule.from_numpy(np.zeros(2, dtype))


def test_from_numpy_refuses_a_list():
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        chainrule.from_numpy([1.0])


# -- zeros, ones, empty, full ---------------------------------------------------------------------
@pytest.mark.parametrize("name, reference", [("zeros", np.zeros), ("ones", np.ones)])
@pytest.mark.parametrize("size", [(), (3,), (2, 3), (0, 4), (2, 1, 3)])
def test_zeros_and_ones_take_varargs_or_a_tuple(name, reference, size):
    fn = getattr(chainrule, name)
    for t in (fn(*size), fn(size), fn(list(size))):
        assert t.dtype is chainrule.float32
        np.testing.assert_array_equal(t.data, reference(size, np.float32))
        assert t.shape == size


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("dtype", ["float16", "float64", "int32", "int64", "uint8", "bool"])
def test_size_factories_take_a_dtype(name, dtype):
    t = getattr(chainrule, name)(2, 3, dtype=getattr(chainrule, dtype))
    assert t.dtype is getattr(chainrule, dtype) and t.shape == (2, 3)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_size_factories_match_torch_dtype_and_shape(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(chainrule, name)(2, 3), getattr(torch, name)(2, 3)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == _torch_dtype_name(theirs)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_factories_reject_negative_sizes(name):
    with pytest.raises(ShapeError, match=f"{name}: negative dimension"):
        getattr(chainrule, name)(2, -1)


@pytest.mark.parametrize("size", [(2.0,), ((2, 1.5),), ("3",)])
def test_size_factories_reject_non_integer_sizes(size):
    with pytest.raises(TypeError, match="zeros: size must be ints"):
        chainrule.zeros(*size)


@pytest.mark.parametrize(
    "value, dtype",
    [(1.5, np.float32), (7, np.int64), (True, np.bool_), (np.float64(2.0), np.float32)],
)
def test_full_infers_dtype_from_the_fill_value(value, dtype):
    t = chainrule.full((2, 3), value)
    assert t.data.dtype == dtype
    np.testing.assert_array_equal(t.data, np.full((2, 3), value, dtype))


@pytest.mark.parametrize("value", [1.5, 7, True, -3])
def test_full_matches_torch(value):
    torch = pytest.importorskip("torch")
    ours, theirs = chainrule.full((2, 2), value), torch.full((2, 2), value)
    assert ours.dtype.name == _torch_dtype_name(theirs)
    assert ours.tolist() == theirs.tolist()


def test_full_with_dtype_converts_the_value():
    assert chainrule.full((2,), 1.5, dtype=chainrule.int64).tolist() == [1, 1]
    assert chainrule.full([3], 2, dtype=chainrule.float64).dtype is chainrule.float64


def test_full_refuses_a_non_number():
    with pytest.raises(DTypeError, match="full: expected a Python number"):
        chainrule.full((2,), "a")


# -- arange ---------------------------------------------------------------------------------------
ARANGE_CASES = [
    (5,),
    (2, 7),
    (0, 10, 3),
    (1, 2, 0.25),
    (0.5, 3.7),
    (5, 0, -1),
    (5, 0, -1.5),
    (0, 1, 0.1),
    (-3, 3, 2),
    (0,),
    (3, 3),
    (0, 2.5),
]


@pytest.mark.parametrize("args", ARANGE_CASES, ids=str)
def test_arange_matches_numpy(args):
    t = chainrule.arange(*args)
    ints = all(isinstance(a, int) for a in args)
    assert t.data.dtype == (np.int64 if ints else np.float32)
    np.testing.assert_allclose(t.data, np.arange(*args), rtol=1e-6)


@pytest.mark.parametrize("args", ARANGE_CASES, ids=str)
def test_arange_matches_torch(args):
    torch = pytest.importorskip("torch")
    ours, theirs = chainrule.arange(*args), torch.arange(*args)
    assert ours.dtype.name == _torch_dtype_name(theirs)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("args", [(0.5, 3.7, 1.2), (-1.5, 3), (0, 5, 1.9)], ids=str)
def test_arange_with_an_integer_dtype_truncates_its_arguments_as_torch(args):
    torch = pytest.importorskip("torch")
    ours = chainrule.arange(*args, dtype=chainrule.int64)
    assert ours.tolist() == torch.arange(*args, dtype=torch.int64).tolist()


def test_arange_with_float64_dtype():
    t = chainrule.arange(3, dtype=chainrule.float64)
    assert t.dtype is chainrule.float64 and t.tolist() == [0.0, 1.0, 2.0]


def test_arange_rejects_a_zero_step():
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        chainrule.arange(0, 5, 0)


def test_arange_rejects_a_step_of_the_wrong_sign():
    with pytest.raises(ValueError, match="arange: upper bound and lower bound inconsistent"):
        chainrule.arange(0, 5, -1)


def test_arange_rejects_infinite_bounds():
    with pytest.raises(ValueError, match="arange: start and end must be finite"):
        chainrule.arange(0, float("inf"))


def test_arange_rejects_non_numbers():
    with pytest.raises(TypeError, match="arange: end must be a real number"):
        chainrule.arange(0, "5")


# -- linspace, eye --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args", [(0, 1, 5), (-2.5, 7.0, 11), (3, 3, 4), (0, 1, 1), (0, 1, 0), (10, 0, 6)], ids=str
)
def test_linspace_matches_numpy_and_torch(args):
    t = chainrule.linspace(*args)
    assert t.dtype is chainrule.float32
    np.testing.assert_allclose(t.data, np.linspace(*args), rtol=1e-6, atol=1e-6)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(t.data, torch.linspace(*args).numpy(), rtol=1e-6, atol=1e-6)


def test_linspace_with_an_integer_dtype_matches_torch():
    torch = pytest.importorskip("torch")
    ours = chainrule.linspace(-1.7, 10, 4, dtype=chainrule.int64)
    assert ours.tolist() == torch.linspace(-1.7, 10, 4, dtype=torch.int64).tolist()


def test_linspace_rejects_negative_steps():
    with pytest.raises(ValueError, match="linspace: number of steps must be non-negative"):
        chainrule.linspace(0, 1, -1)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (3, 0)], ids=str)
def test_eye_matches_numpy_and_torch(args):
    t = chainrule.eye(*args)
    assert t.dtype is chainrule.float32
    np.testing.assert_array_equal(t.data, np.eye(*args))
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(t.data, torch.eye(*args).numpy())


def test_eye_takes_a_dtype():
    assert chainrule.eye(2, dtype=chainrule.int64).tolist() == [[1, 0], [0, 1]]


# -- *_like ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, value", [("zeros_like", 0), ("ones_like", 1)])
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_like_factories_keep_shape_and_dtype(name, value, dtype):
    x = chainrule.zeros(2, 3, dtype=getattr(chainrule, dtype))
    t = getattr(chainrule, name)(x)
    assert t.shape == (2, 3) and t.dtype is x.dtype
    np.testing.assert_array_equal(t.data, np.full((2, 3), value, x.data.dtype))


def test_like_factories_take_a_dtype():
    x = chainrule.zeros(2)
    for fn in (chainrule.zeros_like, chainrule.ones_like, chainrule.empty_like):
        assert fn(x, dtype=chainrule.int64).dtype is chainrule.int64
    assert chainrule.full_like(x, 3, dtype=chainrule.int64).tolist() == [3, 3]


def test_full_like_keeps_the_input_dtype_not_the_value_dtype():
    torch = pytest.importorskip("torch")
    ours = chainrule.full_like(chainrule.tensor([1, 2]), 2.7)
    theirs = torch.full_like(torch.tensor([1, 2]), 2.7)
    assert ours.dtype is chainrule.int64 and ours.tolist() == theirs.tolist()


def test_empty_like_has_the_input_shape_and_dtype():
    t = chainrule.empty_like(chainrule.zeros(4, 1, dtype=chainrule.float16))
    assert t.shape == (4, 1) and t.dtype is chainrule.float16


def test_like_factories_do_not_inherit_requires_grad():
    x = chainrule.zeros(2, requires_grad=True)
    assert not chainrule.zeros_like(x).requires_grad
    assert chainrule.ones_like(x, requires_grad=True).requires_grad


def test_like_factories_reject_a_non_tensor():
    with pytest.raises(TypeError, match="expected a Tensor"):
        chainrule.zeros_like([1.0])


# -- requires_grad and device on every factory ----------------------------------------------------
FACTORIES = {
    "tensor": lambda **kw: chainrule.tensor([1.0, 2.0], **kw),
    "zeros": lambda **kw: chainrule.zeros(2, **kw),
    "ones": lambda **kw: chainrule.ones(2, **kw),
    "empty": lambda **kw: chainrule.empty(2, **kw),
    "full": lambda **kw: chainrule.full((2,), 1.0, **kw),
    "arange": lambda **kw: chainrule.arange(0.0, 2.0, **kw),
    "linspace": lambda **kw: chainrule.linspace(0, 1, 3, **kw),
    "eye": lambda **kw: chainrule.eye(2, **kw),
    "zeros_like": lambda **kw: chainrule.zeros_like(chainrule.zeros(2), **kw),
    "ones_like": lambda **kw: chainrule.ones_like(chainrule.zeros(2), **kw),
    "full_like": lambda **kw: chainrule.full_like(chainrule.zeros(2), 1.0, **kw),
    "empty_like": lambda **kw: chainrule.empty_like(chainrule.zeros(2), **kw),
    "rand": lambda **kw: chainrule.rand(2, **kw),
    "randn": lambda **kw: chainrule.randn(2, **kw),
    "rand_like": lambda **kw: chainrule.rand_like(chainrule.zeros(2), **kw),
    "randn_like": lambda **kw: chainrule.randn_like(chainrule.zeros(2), **kw),
    "normal": lambda **kw: chainrule.normal(0.0, 1.0, (2,), **kw),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_make_leaves_that_require_grad(name):
    t = FACTORIES[name](requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert not FACTORIES[name]().requires_grad


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_accept_cpu_and_refuse_other_devices(name):
    assert FACTORIES[name](device="cpu").device == "cpu"
    with pytest.raises(RuntimeError, match=f"{name}: chainrule runs on the CPU only"):
        FACTORIES[name](device="cuda")


@pytest.mark.parametrize(
    "make",
    [
        lambda: chainrule.zeros(2, dtype=chainrule.int64, requires_grad=True),
        lambda: chainrule.arange(3, requires_grad=True),
        lambda: chainrule.full((2,), 1, requires_grad=True),
    ],
)
def test_integer_factories_refuse_requires_grad(make):
    with pytest.raises(DTypeError, match="floating point"):
        make()
