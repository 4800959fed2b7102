"""Random numbers: Generator and manual_seed; rand, randn, randint, randperm, normal, bernoulli;
and the in-place fills that nn.init and dropout use (uniform_, normal_, bernoulli_).

A :class:`Generator` wraps NumPy's PCG64 bit generator. The same seed gives the same numbers,
and generators are independent of one another, but the streams are not PyTorch's: the same seed
does not give torch's numbers. Floating results are float32 unless ``dtype`` says otherwise.

A draw is not differentiable in its parameters: the gradient of ``normal(mean, std)`` with
respect to ``mean`` and ``std`` is zero, as in PyTorch (write ``mean + std * randn_like(std)``
for the reparameterised one).
"""

from __future__ import annotations

import operator
import secrets

import numpy as np

from .autograd.forward_ad import zero_jvp
from .autograd.function import Function
from .autograd.grad_mode import is_grad_enabled
from .dtype import DType, as_numpy_dtype, default_float, from_numpy_dtype
from .errors import DTypeError, ShapeError
from .factories import check_device, like_dtype, size_args, zeros_like
from .tensor import Tensor, _wrap

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "rand_like",
    "randn_like",
    "randint_like",
    "bernoulli",
    "uniform_",
    "normal_",
    "bernoulli_",
]

DTypeLike = DType | np.dtype | type | str | None

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, so initial_seed() reads the same
_STATE_BYTES = 45  # seed (8) + PCG64 state (16) + increment (16) + has_uint32 (1) + uinteger (4)


class Generator:
    """A source of random numbers with its own state (NumPy's PCG64).

    Example:
        >>> import chainrule
        >>> g = chainrule.Generator().manual_seed(0)
        >>> a = chainrule.rand(3, generator=g)
        >>> b = chainrule.rand(3, generator=g.manual_seed(0))
        >>> bool((a == b).all())
        True
    """

    def __init__(self, device="cpu") -> None:
        check_device("Generator", device)
        self.device = "cpu"
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (an int in [-2**63, 2**64)); returns self."""
        try:
            seed = operator.index(seed)
        except TypeError:
            raise TypeError(
                f"manual_seed: seed must be an int, got {type(seed).__name__}"
            ) from None
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64), got {seed}")
        self._seed = seed % 2**64  # a negative seed wraps around, as in PyTorch
        self._numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        new = secrets.randbits(64)
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        """The seed the stream was last started from."""
        return self._seed

    def get_state(self) -> Tensor:
        """The full state as a uint8 tensor (45 bytes: the seed, then PCG64's state)."""
        state = self._numpy.bit_generator.state
        parts = (
            self._seed.to_bytes(8, "little"),
            state["state"]["state"].to_bytes(16, "little"),
            state["state"]["inc"].to_bytes(16, "little"),
            int(state["has_uint32"]).to_bytes(1, "little"),
            int(state["uinteger"]).to_bytes(4, "little"),
        )
        return _wrap(np.frombuffer(b"".join(parts), dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state from :meth:`get_state`; returns self."""
        data = getattr(new_state, "data", None)
        if (
            not isinstance(data, np.ndarray)
            or data.dtype != np.uint8
            or data.shape != (_STATE_BYTES,)
        ):
            got = (
                f"{new_state.dtype} tensor of shape {new_state.shape}"
                if isinstance(new_state, Tensor)
                else type(new_state).__name__
            )
            raise ValueError(
                f"set_state: expected the uint8 tensor of shape ({_STATE_BYTES},) "
                f"that get_state() returns, got a {got}"
            )
        raw = data.tobytes()
        self.manual_seed(int.from_bytes(raw[:8], "little"))
        self._numpy.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[8:24], "little"),
                "inc": int.from_bytes(raw[24:40], "little"),
            },
            "has_uint32": raw[40],
            "uinteger": int.from_bytes(raw[41:45], "little"),
        }
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used when no ``generator`` is passed); returns it.

    Example:
        >>> import chainrule
        >>> g = chainrule.manual_seed(7)
        >>> a = chainrule.randn(2)
        >>> g = chainrule.manual_seed(7)
        >>> chainrule.randn(2).tolist() == a.tolist()
        True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last started from."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state, a uint8 tensor. See :meth:`Generator.get_state`."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


# -- drawing ndarrays ------------------------------------------------------------------------
def _numpy_generator(op: str, generator: Generator | None) -> np.random.Generator:
    if generator is None:
        return default_generator._numpy
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{op}: generator must be a chainrule.Generator, got {type(generator).__name__}"
        )
    return generator._numpy


def _float_dtype(op: str, dtype: DTypeLike) -> np.dtype:
    dtype = default_float() if dtype is None else as_numpy_dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating point dtype, got {from_numpy_dtype(dtype)}")
    return dtype


def _uniform(g: np.random.Generator, shape, dtype: np.dtype) -> np.ndarray:
    """U[0, 1) in ``dtype``, never 1 (float16 draws multiples of 2**-11, all below 1)."""
    if dtype == np.float16:
        return g.integers(0, 2048, shape).astype(np.float16) * np.float16(2**-11)
    return g.random(shape, dtype=dtype)


def _standard_normal(g: np.random.Generator, shape, dtype: np.dtype) -> np.ndarray:
    if dtype == np.float16:
        return g.standard_normal(shape, dtype=np.float32).astype(np.float16)
    return g.standard_normal(shape, dtype=dtype)


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _wrap(data)
    if requires_grad:
        t.requires_grad = True  # raises for non-floating dtypes, as PyTorch does
    return t


class _Draw(Function):
    """out = a random draw given the inputs; its gradient with respect to each is zero."""

    @staticmethod
    def forward(ctx, *args):
        return args[-1]  # the drawn ndarray comes last, after the tensors it depends on

    @staticmethod
    def backward(ctx, grad):
        zero = zeros_like(grad)  # the engine sums it back to each input's shape
        return (*(zero if need else None for need in ctx.needs_input_grad[:-1]), None)

    jvp = zero_jvp


class Uniform(_Draw):
    """A ``uniform_`` fill recorded on a non-leaf: no gradient flows to the old values."""


class Normal(_Draw):
    """``normal`` (or a ``normal_`` fill): zero gradient for mean and std, as in PyTorch."""


class Bernoulli(_Draw):
    """``bernoulli`` (or a ``bernoulli_`` fill): zero gradient for the probabilities."""


# -- factories ---------------------------------------------------------------------------------
def rand(
    *size,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of U[0, 1) in a tensor of shape ``size``.

    Example:
        >>> import chainrule
        >>> x = chainrule.rand(2, 3)
        >>> x.shape, x.dtype, bool(((x >= 0) & (x < 1)).all())
        ((2, 3), chainrule.float32, True)
    """
    check_device("rand", device)
    g = _numpy_generator("rand", generator)
    dtype = _float_dtype("rand", dtype)
    return _make(_uniform(g, size_args("rand", size), dtype), requires_grad)


def randn(
    *size,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the standard normal distribution N(0, 1) in a tensor of shape ``size``.

    Example:
        >>> import chainrule
        >>> chainrule.randn(4, 5, dtype=chainrule.float64).dtype
        chainrule.float64
    """
    check_device("randn", device)
    g = _numpy_generator("randn", generator)
    dtype = _float_dtype("randn", dtype)
    return _make(_standard_normal(g, size_args("randn", size), dtype), requires_grad)


def _randint_array(op: str, g, low, high, shape, dtype: np.dtype) -> np.ndarray:
    low, high = operator.index(low), operator.index(high)
    if low >= high:
        raise ValueError(f"{op}: expects low < high, got low={low}, high={high}")
    if dtype.kind in "iub":
        info = np.iinfo(dtype) if dtype.kind != "b" else np.iinfo(np.uint8)
        top = 1 if dtype.kind == "b" else info.max
        if low < info.min or high - 1 > top:
            raise ValueError(
                f"{op}: the range [{low}, {high}) does not fit "
                f"{from_numpy_dtype(dtype)} (values {info.min} to {top})"
            )
    return g.integers(low, high, shape, dtype=np.int64).astype(dtype, copy=False)


def randint(
    low: int = 0,
    high: int | None = None,
    size=None,
    *,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``. int64 unless ``dtype`` says otherwise.

    Example:
        >>> import chainrule
        >>> x = chainrule.randint(3, 10, (100,))
        >>> x.dtype, int(x.min()) >= 3, int(x.max()) < 10
        (chainrule.int64, True, True)
    """
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if high is None or size is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    check_device("randint", device)
    g = _numpy_generator("randint", generator)
    dtype = np.dtype(np.int64) if dtype is None else as_numpy_dtype(dtype)
    shape = size_args("randint", (size,))
    return _make(_randint_array("randint", g, low, high, shape, dtype), requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of 0, ..., n - 1 (int64 unless ``dtype`` says otherwise).

    Example:
        >>> import chainrule
        >>> sorted(chainrule.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    check_device("randperm", device)
    g = _numpy_generator("randperm", generator)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    dtype = np.dtype(np.int64) if dtype is None else as_numpy_dtype(dtype)
    return _make(g.permutation(n).astype(dtype, copy=False), requires_grad)


def normal(
    mean,
    std=1.0,
    size=None,
    *,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of N(mean, std²), in PyTorch's four forms.

    ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)`` and
    ``normal(mean, std_tensor)`` draw one sample per element of the broadcast shape, in the
    tensor's dtype; ``normal(mean, std, size)`` with two numbers draws a tensor of ``size``.
    The samples carry a zero gradient to ``mean`` and ``std`` (see the module docstring).

    Example:
        >>> import chainrule
        >>> chainrule.normal(2.0, 0.5, (3,)).shape
        (3,)
    """
    check_device("normal", device)
    g = _numpy_generator("normal", generator)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError(
                "normal: with a number for both mean and std, give size too, "
                "e.g. normal(0.0, 1.0, (3,))"
            )
        _check_std("normal", std)
        dtype = _float_dtype("normal", dtype)
        values = mean + std * _standard_normal(g, size_args("normal", (size,)), dtype)
        return _make(values.astype(dtype, copy=False), requires_grad)
    if size is not None:
        raise TypeError(
            "normal: size is only accepted with numbers for mean and std; with a "
            "tensor the shape comes from it"
        )
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    for t in tensors:
        if t.data.dtype.kind != "f":
            raise DTypeError(
                f"normal: mean and std must be floating point, got a {t.dtype} "
                f"tensor; convert with .float()"
            )
    dtype = (
        tensors[0].data.dtype
        if len(tensors) == 1
        else np.promote_types(mean.data.dtype, std.data.dtype)
    )
    mean_data, std_data = (
        np.asarray(x.data if isinstance(x, Tensor) else x, dtype) for x in (mean, std)
    )
    _check_std("normal", std_data)
    try:
        shape = np.broadcast_shapes(mean_data.shape, std_data.shape)
    except ValueError:
        raise ShapeError(
            f"normal: mean of shape {mean_data.shape} and std of shape "
            f"{std_data.shape} cannot be broadcast together"
        ) from None
    values = (mean_data + std_data * _standard_normal(g, shape, dtype)).astype(dtype, copy=False)
    return Normal.apply(*tensors, values)


def _check_std(op: str, std) -> None:
    if np.any(np.asarray(std) < 0):
        raise ValueError(f"{op}: expects all elements of std >= 0.0, got {std}")


def rand_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """:func:`rand` with the shape (and, unless ``dtype`` is given, the dtype) of ``input``.

    Example:
        >>> import chainrule
        >>> chainrule.rand_like(chainrule.zeros(2, dtype=chainrule.float64)).dtype
        chainrule.float64
    """
    check_device("rand_like", device)
    dtype = like_dtype("rand_like", input, dtype)
    return rand(
        input.data.shape,
        generator=generator,
        dtype=dtype,
        requires_grad=requires_grad,
    )


def randn_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """:func:`randn` with the shape (and, unless ``dtype`` is given, the dtype) of ``input``.

    Example:
        >>> import chainrule
        >>> chainrule.randn_like(chainrule.zeros(2, 3)).shape
        (2, 3)
    """
    check_device("randn_like", device)
    dtype = like_dtype("randn_like", input, dtype)
    return randn(
        input.data.shape,
        generator=generator,
        dtype=dtype,
        requires_grad=requires_grad,
    )


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    generator: Generator | None = None,
    dtype: DTypeLike = None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """:func:`randint` in the shape (and dtype unless given) of ``input``:
    ``randint_like(input, high)`` or ``randint_like(input, low, high)``.

    Example:
        >>> import chainrule
        >>> chainrule.randint_like(chainrule.zeros(3, dtype=chainrule.int64), 5).shape
        (3,)
    """
    if high is None:
        low, high = 0, low
    check_device("randint_like", device)
    dtype = like_dtype("randint_like", input, dtype)
    return randint(
        low,
        high,
        input.data.shape,
        generator=generator,
        dtype=dtype,
        requires_grad=requires_grad,
    )


def bernoulli(
    input: Tensor, p: float | None = None, *, generator: Generator | None = None
) -> Tensor:
    """0 or 1 per element: 1 with probability ``input[i]`` (or ``p`` for every element).

    The result has ``input``'s shape and dtype.

    Example:
        >>> import chainrule
        >>> chainrule.bernoulli(chainrule.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    g = _numpy_generator("bernoulli", generator)
    if p is None:
        if input.data.dtype.kind != "f":
            raise DTypeError(
                f"bernoulli: the probabilities must be floating point, got "
                f"{input.dtype}; convert with .float()"
            )
        probs = input.data
    else:
        probs = p
    _check_probabilities("bernoulli", probs)
    values = _uniform(g, input.data.shape, np.dtype(np.float32)) < probs
    values = values.astype(input.data.dtype)
    return Bernoulli.apply(input, values) if p is None else _wrap(values)


def _check_probabilities(op: str, p) -> None:
    p = np.asarray(p)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError(
            f"{op}: probabilities must be in [0, 1], got values from {np.min(p)} to {np.max(p)}"
        )


# -- in-place fills ---------------------------------------------------------------------------
def _check_inplace(op: str, tensor: Tensor, floating: bool) -> None:
    """Refuse what PyTorch refuses, before anything is drawn or written."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")
    if floating and tensor.data.dtype.kind != "f":
        raise DTypeError(f"{op}: expects a floating point tensor, got {tensor.dtype}")
    if tensor._requires_grad and is_grad_enabled():
        if tensor.grad_fn is None:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an "
                f"in-place operation; wrap it in `with chainrule.no_grad():`"
            )
        base = tensor._base
        if base is not None and base._requires_grad and base.grad_fn is None:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad is being "
                f"used in an in-place operation; wrap it in "
                f"`with chainrule.no_grad():`"
            )
    if not tensor.data.flags.writeable:
        raise RuntimeError(
            f"{op}: the tensor (shape {tensor.shape}) is a read-only view, e.g. "
            f"from expand; call .clone() first"
        )


def _write(tensor: Tensor, values: np.ndarray, node: type[_Draw]) -> Tensor:
    """Write ``values`` into ``tensor`` in place and bump its version.

    On a non-leaf that records history, the new values no longer depend on the old ones: the
    tensor is moved onto a ``node`` that sends a zero gradient back, as PyTorch does.
    """
    if tensor._requires_grad and tensor.grad_fn is not None and is_grad_enabled():
        out = node.apply(tensor, values)
        tensor.grad_fn, tensor._output_nr = out.grad_fn, 0
    tensor.data[...] = values
    tensor._bump_version()
    return tensor


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` in place with samples of U[a, b); returns it.

    Example:
        >>> import chainrule
        >>> x = chainrule.uniform_(chainrule.empty(3), -1.0, 1.0)
        >>> bool(((x >= -1) & (x < 1)).all())
        True
    """
    _check_inplace("uniform_", tensor, floating=True)
    if not a <= b:
        raise ValueError(f"uniform_: expects a <= b (a [from, to) range), got a={a}, b={b}")
    g = _numpy_generator("uniform_", generator)
    dtype = tensor.data.dtype
    values = _uniform(g, tensor.data.shape, dtype) * dtype.type(b - a) + dtype.type(a)
    return _write(tensor, values, Uniform)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` in place with samples of N(mean, std²); returns it.

    Example:
        >>> import chainrule
        >>> chainrule.normal_(chainrule.empty(2, 2), 0.0, 0.1).shape
        (2, 2)
    """
    _check_inplace("normal_", tensor, floating=True)
    _check_std("normal_", std)
    g = _numpy_generator("normal_", generator)
    dtype = tensor.data.dtype
    values = _standard_normal(g, tensor.data.shape, dtype) * dtype.type(std) + dtype.type(mean)
    return _write(tensor, values, Normal)


def bernoulli_(
    tensor: Tensor, p: float | Tensor = 0.5, *, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` in place with 1 (probability ``p``) or 0; keeps its dtype; returns it.

    ``p`` is a number or a tensor of probabilities that broadcasts to ``tensor``'s shape.

    Example:
        >>> import chainrule
        >>> chainrule.bernoulli_(chainrule.empty(4), 1.0)
        tensor([1., 1., 1., 1.])
    """
    _check_inplace("bernoulli_", tensor, floating=False)
    probs = p.data if isinstance(p, Tensor) else p
    _check_probabilities("bernoulli_", probs)
    shape = tensor.data.shape
    if isinstance(probs, np.ndarray) and probs.shape != shape:
        try:
            np.broadcast_to(probs, shape)
        except ValueError:
            raise ShapeError(
                f"bernoulli_: p of shape {probs.shape} cannot be broadcast to "
                f"the tensor's shape {shape}"
            ) from None
    g = _numpy_generator("bernoulli_", generator)
    values = (_uniform(g, shape, np.dtype(np.float32)) < probs).astype(tensor.data.dtype)
    return _write(tensor, values, Bernoulli)
