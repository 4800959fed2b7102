"""chainrule.random: generators and seeds, random factories, in-place fills."""

import numpy as np
import pytest

import chainrule
from chainrule.errors import DTypeError, ShapeError


@pytest.fixture
def default_state():
    """Tests that seed the default generator leave it as they found it."""
    state = chainrule.get_rng_state()
    seed = chainrule.initial_seed()
    yield
    chainrule.set_rng_state(state)
    assert chainrule.initial_seed() == seed


@pytest.fixture
def gen():
    return chainrule.Generator().manual_seed(1234)


# -- seeds and generators -------------------------------------------------------------------------
@pytest.mark.usefixtures("default_state")
def test_manual_seed_reproduces_every_kind_of_draw():
    def draw():
        return [
            chainrule.rand(3).tolist(),
            chainrule.randn(2, 2).tolist(),
            chainrule.randint(0, 100, (4,)).tolist(),
            chainrule.randperm(5).tolist(),
            chainrule.normal(1.0, 2.0, (3,)).tolist(),
            chainrule.bernoulli(chainrule.full((6,), 0.5)).tolist(),
            chainrule.empty(3).uniform_().tolist(),
            chainrule.empty(3).normal_().tolist(),
        ]

    chainrule.manual_seed(42)
    first = draw()
    chainrule.manual_seed(42)
    assert draw() == first
    chainrule.manual_seed(43)
    assert draw() != first


@pytest.mark.usefixtures("default_state")
def test_manual_seed_returns_the_default_generator():
    assert chainrule.manual_seed(3) is chainrule.default_generator
    assert chainrule.initial_seed() == 3


def test_generator_manual_seed_returns_itself():
    g = chainrule.Generator()
    assert g.manual_seed(5) is g
    assert g.initial_seed() == 5
    assert g.device == "cpu"


def test_new_generator_starts_from_pytorchs_default_seed():
    torch = pytest.importorskip("torch")
    assert chainrule.Generator().initial_seed() == torch.Generator().initial_seed()


def test_generators_with_the_same_seed_give_the_same_numbers():
    a = chainrule.Generator().manual_seed(7)
    b = chainrule.Generator().manual_seed(7)
    assert chainrule.randn(10, generator=a).tolist() == chainrule.randn(10, generator=b).tolist()


def test_generators_are_independent_of_each_other(gen):
    other = chainrule.Generator().manual_seed(1234)
    expected = chainrule.rand(5, generator=other).tolist()
    other.manual_seed(1234)
    chainrule.rand(100, generator=gen)  # drawing from one does not move the other
    assert chainrule.rand(5, generator=other).tolist() == expected


@pytest.mark.usefixtures("default_state")
def test_an_explicit_generator_does_not_move_the_default_one(gen):
    chainrule.manual_seed(11)
    expected = chainrule.rand(5).tolist()
    chainrule.manual_seed(11)
    chainrule.randn(50, generator=gen)
    chainrule.empty(50).normal_(generator=gen)
    assert chainrule.rand(5).tolist() == expected


def test_negative_seed_wraps_around_as_pytorch():
    torch = pytest.importorskip("torch")
    g = chainrule.Generator().manual_seed(-1)
    assert g.initial_seed() == torch.Generator().manual_seed(-1).initial_seed() == 2**64 - 1


@pytest.mark.parametrize(
    "bad, error",
    [(2**64, ValueError), (-(2**63) - 1, ValueError), (1.5, TypeError), ("1", TypeError)],
)
def test_manual_seed_rejects_bad_seeds(bad, error):
    with pytest.raises(error, match="manual_seed: seed must be"):
        chainrule.Generator().manual_seed(bad)


def test_seed_picks_a_fresh_seed_and_reports_it():
    g = chainrule.Generator()
    first, second = g.seed(), g.seed()
    assert first != second  # 64 random bits: equal with probability 2**-64
    assert g.initial_seed() == second
    again = chainrule.rand(4, generator=chainrule.Generator().manual_seed(second))
    assert chainrule.rand(4, generator=g).tolist() == again.tolist()


@pytest.mark.usefixtures("default_state")
def test_module_seed_reseeds_the_default_generator():
    value = chainrule.seed()
    assert chainrule.initial_seed() == value


def test_get_state_is_a_uint8_tensor_and_set_state_resumes_the_stream(gen):
    chainrule.randn(3, generator=gen)
    state = gen.get_state()
    assert state.dtype is chainrule.uint8 and state.ndim == 1
    expected = chainrule.randn(7, generator=gen).tolist()
    chainrule.rand(100, generator=gen)
    assert gen.set_state(state) is gen
    assert chainrule.randn(7, generator=gen).tolist() == expected


def test_set_state_restores_the_initial_seed(gen):
    state = gen.get_state()
    gen.manual_seed(99)
    gen.set_state(state)
    assert gen.initial_seed() == 1234


def test_state_moves_between_generators(gen):
    other = chainrule.Generator()
    other.set_state(gen.get_state())
    assert chainrule.rand(4, generator=other).tolist() == chainrule.rand(4, generator=gen).tolist()


@pytest.mark.usefixtures("default_state")
def test_get_and_set_rng_state_act_on_the_default_generator():
    state = chainrule.get_rng_state()
    expected = chainrule.rand(3).tolist()
    chainrule.set_rng_state(state)
    assert chainrule.rand(3).tolist() == expected


@pytest.mark.parametrize(
    "bad", [chainrule.zeros(45), chainrule.zeros(3, dtype=chainrule.uint8), [0] * 45]
)
def test_set_state_rejects_what_get_state_did_not_make(bad, gen):
    with pytest.raises(ValueError, match="set_state: expected the uint8 tensor of shape"):
        gen.set_state(bad)


def test_generator_refuses_another_device():
    with pytest.raises(RuntimeError, match="Generator: chainrule runs on the CPU only"):
        chainrule.Generator("cuda")


def test_generator_argument_must_be_a_generator():
    with pytest.raises(TypeError, match="rand: generator must be a chainrule.Generator"):
        chainrule.rand(2, generator=np.random.default_rng(0))


# -- rand, randn ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [None, "float16", "float32", "float64"])
def test_rand_is_in_the_unit_interval_with_a_uniform_mean(gen, dtype):
    t = chainrule.rand(100_000, generator=gen, dtype=dtype and getattr(chainrule, dtype))
    assert t.data.dtype == (np.float32 if dtype is None else np.dtype(dtype))
    assert t.data.min() >= 0 and t.data.max() < 1
    assert abs(t.data.astype(np.float64).mean() - 0.5) < 0.01
    assert abs(t.data.astype(np.float64).var() - 1 / 12) < 0.005


@pytest.mark.parametrize("dtype", [None, "float16", "float64"])
def test_randn_has_zero_mean_and_unit_variance(gen, dtype):
    t = chainrule.randn(100_000, generator=gen, dtype=dtype and getattr(chainrule, dtype))
    assert t.data.dtype == (np.float32 if dtype is None else np.dtype(dtype))
    data = t.data.astype(np.float64)
    assert abs(data.mean()) < 0.02 and abs(data.std() - 1) < 0.02


@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize("size", [(), (3,), (2, 3), (0, 2)])
def test_rand_and_randn_take_varargs_or_a_tuple(name, size, gen):
    fn = getattr(chainrule, name)
    assert fn(*size, generator=gen).shape == size
    assert fn(size, generator=gen).shape == size


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_rand_and_randn_refuse_integer_dtypes(name):
    with pytest.raises(
        DTypeError, match=f"{name}: expected a floating point dtype, got chainrule.int64"
    ):
        getattr(chainrule, name)(2, dtype=chainrule.int64)


def test_rand_and_randn_match_torch_dtype_and_shape():
    torch = pytest.importorskip("torch")
    for name in ("rand", "randn"):
        ours, theirs = getattr(chainrule, name)(2, 3), getattr(torch, name)(2, 3)
        assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]


@pytest.mark.parametrize("name", ["rand_like", "randn_like"])
@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_rand_like_and_randn_like_keep_shape_and_dtype(name, dtype, gen):
    x = chainrule.zeros(3, 2, dtype=getattr(chainrule, dtype))
    t = getattr(chainrule, name)(x, generator=gen)
    assert t.shape == (3, 2) and t.dtype is x.dtype
    assert getattr(chainrule, name)(x, dtype=chainrule.float32).dtype is chainrule.float32


def test_rand_like_of_an_integer_tensor_needs_a_float_dtype():
    x = chainrule.zeros(2, dtype=chainrule.int64)
    with pytest.raises(DTypeError, match="floating point"):
        chainrule.rand_like(x)
    assert chainrule.rand_like(x, dtype=chainrule.float32).dtype is chainrule.float32


# -- randint, randperm ----------------------------------------------------------------------------
def test_randint_high_size_form(gen):
    t = chainrule.randint(5, (1000,), generator=gen)
    assert t.dtype is chainrule.int64 and t.shape == (1000,)
    assert set(t.tolist()) == {0, 1, 2, 3, 4}


def test_randint_low_high_size_form(gen):
    t = chainrule.randint(-3, 3, (2, 500), generator=gen)
    assert t.shape == (2, 500)
    assert set(np.unique(t.data).tolist()) == {-3, -2, -1, 0, 1, 2}


def test_randint_keyword_forms(gen):
    assert chainrule.randint(high=4, size=(3,), generator=gen).shape == (3,)
    assert chainrule.randint(4, size=(3,), generator=gen).data.max() < 4
    assert chainrule.randint(low=2, high=4, size=(50,), generator=gen).data.min() >= 2


@pytest.mark.parametrize("dtype", ["int32", "uint8", "float32", "float64"])
def test_randint_takes_a_dtype(dtype, gen):
    t = chainrule.randint(0, 10, (100,), generator=gen, dtype=getattr(chainrule, dtype))
    assert t.dtype is getattr(chainrule, dtype)
    assert np.all(t.data == np.round(t.data)) and t.data.min() >= 0 and t.data.max() < 10


def test_randint_matches_torch_signature_forms():
    torch = pytest.importorskip("torch")
    for args in [(5, (3,)), (2, 5, (3, 2))]:
        ours, theirs = chainrule.randint(*args), torch.randint(*args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]


def test_randint_rejects_an_empty_range():
    with pytest.raises(ValueError, match="randint: expects low < high, got low=5, high=5"):
        chainrule.randint(5, 5, (2,))


def test_randint_rejects_a_range_outside_the_dtype():
    with pytest.raises(
        ValueError, match="randint: the range \\[0, 300\\) does not fit chainrule.uint8"
    ):
        chainrule.randint(0, 300, (2,), dtype=chainrule.uint8)


def test_randint_needs_a_size():
    with pytest.raises(TypeError, match="randint: expected randint\\(high, size\\)"):
        chainrule.randint(5)


def test_randint_like(gen):
    x = chainrule.zeros(4, 3, dtype=chainrule.int32)
    t = chainrule.randint_like(x, 10, generator=gen)
    assert t.shape == (4, 3) and t.dtype is chainrule.int32 and t.data.max() < 10
    assert chainrule.randint_like(x, 5, 7, generator=gen).data.min() >= 5


@pytest.mark.parametrize("n", [0, 1, 10, 1000])
def test_randperm_is_a_permutation(n, gen):
    t = chainrule.randperm(n, generator=gen)
    assert t.dtype is chainrule.int64
    np.testing.assert_array_equal(np.sort(t.data), np.arange(n))


def test_randperm_shuffles_and_takes_a_dtype(gen):
    assert chainrule.randperm(50, generator=gen).tolist() != list(range(50))
    assert chainrule.randperm(4, dtype=chainrule.float32, generator=gen).dtype is chainrule.float32


def test_randperm_rejects_negative_n():
    with pytest.raises(ValueError, match="randperm: n must be non-negative, got -1"):
        chainrule.randperm(-1)


# -- normal ---------------------------------------------------------------------------------------
def test_normal_with_numbers_and_a_size(gen):
    t = chainrule.normal(3.0, 0.5, (200, 500), generator=gen)
    assert t.shape == (200, 500) and t.dtype is chainrule.float32
    assert abs(t.data.mean() - 3.0) < 0.01 and abs(t.data.std() - 0.5) < 0.01


def test_normal_with_tensor_mean_and_std_broadcasts(gen):
    mean = chainrule.tensor([[0.0], [10.0]])
    std = chainrule.tensor([1.0, 2.0, 3.0], dtype=chainrule.float32)
    t = chainrule.normal(mean, std, generator=gen)
    assert t.shape == (2, 3) and t.dtype is chainrule.float32


def test_normal_per_element_mean_and_std(gen):
    mean = chainrule.tensor([-5.0, 5.0]).expand(100_000, 2)
    std = chainrule.tensor([0.1, 2.0])
    t = chainrule.normal(mean, std, generator=gen).data
    np.testing.assert_allclose(t.mean(axis=0), [-5.0, 5.0], atol=0.03)
    np.testing.assert_allclose(t.std(axis=0), [0.1, 2.0], rtol=0.02)


def test_normal_with_a_tensor_mean_and_default_std(gen):
    mean = chainrule.zeros(3, dtype=chainrule.float64)
    t = chainrule.normal(mean, generator=gen)
    assert t.shape == (3,) and t.dtype is chainrule.float64


def test_normal_with_a_number_mean_and_a_tensor_std(gen):
    t = chainrule.normal(1.0, chainrule.zeros(4), generator=gen)
    assert t.tolist() == [1.0] * 4  # std 0: exactly the mean


def test_normal_forms_match_torch_shapes_and_dtypes():
    torch = pytest.importorskip("torch")
    cases = [
        ((chainrule.zeros(2, 1), chainrule.ones(3)), (torch.zeros(2, 1), torch.ones(3))),
        ((chainrule.zeros(2, dtype=chainrule.float64),), (torch.zeros(2, dtype=torch.float64),)),
        ((0.0, chainrule.ones(4)), (0.0, torch.ones(4))),
        ((0.0, 1.0, (2, 2)), (0.0, 1.0, (2, 2))),
    ]
    for ours_args, their_args in cases:
        ours, theirs = chainrule.normal(*ours_args), torch.normal(*their_args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]


def test_normal_gives_zero_gradient_to_mean_and_std_as_torch():
    torch = pytest.importorskip("torch")
    mean = chainrule.tensor([1.0, 2.0], requires_grad=True)
    std = chainrule.tensor([1.0, 1.0], requires_grad=True)
    out = chainrule.normal(mean, std)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    tmean = torch.tensor([1.0, 2.0], requires_grad=True)
    tstd = torch.tensor([1.0, 1.0], requires_grad=True)
    torch.normal(tmean, tstd).sum().backward()
    np.testing.assert_array_equal(mean.grad.data, tmean.grad.numpy())
    np.testing.assert_array_equal(std.grad.data, tstd.grad.numpy())


def test_normal_with_numbers_needs_a_size():
    with pytest.raises(TypeError, match="normal: with a number for both mean and std, give size"):
        chainrule.normal(0.0, 1.0)


def test_normal_refuses_size_with_a_tensor():
    with pytest.raises(TypeError, match="normal: size is only accepted with numbers"):
        chainrule.normal(chainrule.zeros(2), 1.0, (2,))


def test_normal_rejects_negative_std():
    with pytest.raises(ValueError, match="normal: expects all elements of std >= 0.0"):
        chainrule.normal(chainrule.zeros(2), chainrule.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="normal: expects all elements of std >= 0.0"):
        chainrule.normal(0.0, -1.0, (2,))


def test_normal_rejects_integer_tensors():
    with pytest.raises(DTypeError, match="normal: mean and std must be floating point"):
        chainrule.normal(chainrule.tensor([1, 2]))


def test_normal_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ShapeError, match=r"normal: mean of shape \(2,\) and std of shape \(3,\)"):
        chainrule.normal(chainrule.zeros(2), chainrule.ones(3))


# -- bernoulli ------------------------------------------------------------------------------------
def test_bernoulli_draws_zeros_and_ones_with_the_given_probabilities(gen):
    probs = chainrule.tensor([0.0, 0.2, 0.9, 1.0]).expand(50_000, 4).contiguous()
    t = chainrule.bernoulli(probs, generator=gen)
    assert t.dtype is chainrule.float32 and t.shape == (50_000, 4)
    assert set(np.unique(t.data).tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(t.data.mean(axis=0), [0.0, 0.2, 0.9, 1.0], atol=0.01)


def test_bernoulli_with_a_scalar_p_uses_the_input_shape_and_dtype(gen):
    t = chainrule.bernoulli(chainrule.zeros(10_000, dtype=chainrule.float64), 0.3, generator=gen)
    assert t.dtype is chainrule.float64 and abs(t.data.mean() - 0.3) < 0.02


def test_bernoulli_gives_zero_gradient_as_torch():
    torch = pytest.importorskip("torch")
    p = chainrule.tensor([0.5, 0.5], requires_grad=True)
    chainrule.bernoulli(p).sum().backward()
    tp = torch.tensor([0.5, 0.5], requires_grad=True)
    torch.bernoulli(tp).sum().backward()
    np.testing.assert_array_equal(p.grad.data, tp.grad.numpy())


def test_bernoulli_rejects_probabilities_outside_the_unit_interval():
    with pytest.raises(ValueError, match="bernoulli: probabilities must be in \\[0, 1\\]"):
        chainrule.bernoulli(chainrule.tensor([0.5, 1.5]))


def test_bernoulli_rejects_integer_probabilities():
    with pytest.raises(DTypeError, match="bernoulli: the probabilities must be floating point"):
        chainrule.bernoulli(chainrule.tensor([0, 1]))


# -- in-place fills ----------
FILLS = {
    "uniform_": lambda t, **kw: chainrule.uniform_(t, -2.0, 3.0, **kw),
    "normal_": lambda t, **kw: chainrule.normal_(t, 1.0, 0.5, **kw),
    "bernoulli_": lambda t, **kw: chainrule.bernoulli_(t, 0.3, **kw),
}


@pytest.mark.parametrize("name", FILLS)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_fills_write_in_place_keep_dtype_and_bump_the_version(name, dtype, gen):
    t = chainrule.zeros(1000, dtype=getattr(chainrule, dtype))
    data, version = t.data, t._version
    out = FILLS[name](t, generator=gen)
    assert out is t and t.data is data and t.dtype is getattr(chainrule, dtype)
    assert t._version == version + 1
    assert np.unique(t.data).size > 1


def test_uniform_fill_range_and_mean(gen):
    t = chainrule.uniform_(chainrule.empty(100_000), -2.0, 3.0, generator=gen)
    assert t.data.min() >= -2.0 and t.data.max() < 3.0
    assert abs(t.data.mean() - 0.5) < 0.03


def test_float16_uniform_fill_never_reaches_the_upper_bound(gen):
    t = chainrule.uniform_(chainrule.empty(200_000, dtype=chainrule.float16), generator=gen)
    assert t.data.max() < 1.0 and t.data.min() >= 0.0


def test_normal_fill_mean_and_std(gen):
    t = chainrule.normal_(chainrule.empty(100_000), 1.0, 0.5, generator=gen)
    assert abs(t.data.mean() - 1.0) < 0.01 and abs(t.data.std() - 0.5) < 0.01


@pytest.mark.parametrize("dtype", ["float32", "int64", "uint8", "bool"])
def test_bernoulli_fill_works_on_every_dtype(dtype, gen):
    t = chainrule.zeros(20_000, dtype=getattr(chainrule, dtype))
    chainrule.bernoulli_(t, 0.25, generator=gen)
    assert t.dtype is getattr(chainrule, dtype)
    assert set(np.unique(t.data.astype(np.float64)).tolist()) == {0.0, 1.0}
    assert abs(t.data.astype(np.float64).mean() - 0.25) < 0.015


def test_bernoulli_fill_with_a_probability_tensor(gen):
    t = chainrule.empty(10_000, 2)
    chainrule.bernoulli_(t, chainrule.tensor([0.0, 1.0]), generator=gen)
    np.testing.assert_array_equal(t.data.mean(axis=0), [0.0, 1.0])


def test_bernoulli_fill_rejects_a_probability_tensor_that_does_not_broadcast():
    with pytest.raises(ShapeError, match="bernoulli_: p of shape \\(3,\\) cannot be broadcast"):
        chainrule.bernoulli_(chainrule.empty(2), chainrule.tensor([0.5, 0.5, 0.5]))


def test_fill_on_a_view_writes_through_to_the_base(gen):
    base = chainrule.zeros(4, 4)
    chainrule.normal_(base[1], generator=gen)
    assert np.all(base.data[1] != 0) and np.all(base.data[[0, 2, 3]] == 0)
    assert base._version == 1


@pytest.mark.parametrize("name", FILLS)
def test_fills_refuse_a_leaf_that_requires_grad(name):
    t = chainrule.zeros(3, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=f"{name}: a leaf Variable that requires grad is being used in an in-place operation",
    ):
        FILLS[name](t)
    assert t.tolist() == [0.0, 0.0, 0.0] and t._version == 0


@pytest.mark.parametrize("name", FILLS)
def test_fills_refuse_a_view_of_a_leaf_that_requires_grad(name):
    t = chainrule.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        FILLS[name](t[0])


@pytest.mark.parametrize("name", FILLS)
def test_fills_are_allowed_on_a_leaf_that_requires_grad_under_no_grad(name, gen):
    t = chainrule.zeros(100, requires_grad=True)
    with chainrule.no_grad():
        FILLS[name](t, generator=gen)
    assert t.requires_grad and t.is_leaf and t._version == 1
    assert np.unique(t.data).size > 1


@pytest.mark.parametrize(
    "name, torch_call",
    [
        ("uniform_", lambda t: t.uniform_(-2.0, 3.0)),
        ("normal_", lambda t: t.normal_(1.0, 0.5)),
        ("bernoulli_", lambda t: t.bernoulli_(0.3)),
    ],
)
def test_fill_on_a_non_leaf_sends_zero_gradient_back_as_torch(name, torch_call):
    torch = pytest.importorskip("torch")
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    FILLS[name](y)
    assert y.requires_grad and y.grad_fn is not None
    (y * 2).sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx * 3
    torch_call(ty)
    (ty * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("name", ["uniform_", "normal_"])
def test_uniform_and_normal_fills_refuse_integer_tensors(name):
    with pytest.raises(
        DTypeError, match=f"{name}: expects a floating point tensor, got chainrule.int64"
    ):
        FILLS[name](chainrule.zeros(2, dtype=chainrule.int64))


def test_uniform_fill_rejects_a_reversed_range():
    with pytest.raises(ValueError, match="uniform_: expects a <= b"):
        chainrule.uniform_(chainrule.empty(2), 1.0, 0.0)


def test_normal_fill_rejects_negative_std():
    with pytest.raises(ValueError, match="normal_: expects all elements of std >= 0.0"):
        chainrule.normal_(chainrule.empty(2), 0.0, -1.0)


def test_bernoulli_fill_rejects_a_probability_outside_the_unit_interval():
    with pytest.raises(ValueError, match="bernoulli_: probabilities must be in \\[0, 1\\]"):
        chainrule.bernoulli_(chainrule.empty(2), 1.5)


def test_fills_refuse_a_read_only_expanded_view():
    t = chainrule.zeros(1, 3).expand(4, 3)
    with pytest.raises(RuntimeError, match="uniform_: the tensor .* is a read-only view"):
        chainrule.uniform_(t)


def test_tensor_methods_delegate_to_the_fills(gen):
    t = chainrule.empty(1000)
    assert t.uniform_(5.0, 6.0, generator=gen) is t and t.data.min() >= 5.0
    assert t.normal_(generator=gen) is t and t.data.min() < 0
    assert t.bernoulli_(1.0, generator=gen) is t and t.tolist() == [1.0] * 1000


def test_fills_with_the_same_generator_seed_repeat(gen):
    a = chainrule.empty(5).normal_(generator=chainrule.Generator().manual_seed(3))
    b = chainrule.empty(5).normal_(generator=chainrule.Generator().manual_seed(3))
    assert a.tolist() == b.tolist()
