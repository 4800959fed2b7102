"""no_grad, enable_grad, set_grad_enabled, inference_mode: context managers, decorators, threads."""

import threading

import pytest

import chainrule


@pytest.fixture
def x():
    return chainrule.tensor([1.0, 2.0], requires_grad=True)


def test_grad_is_enabled_by_default():
    assert chainrule.is_grad_enabled()


def test_no_grad_context_stops_recording_and_restores(x):
    with chainrule.no_grad():
        assert not chainrule.is_grad_enabled()
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert chainrule.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ValueError), chainrule.no_grad():
        raise ValueError("inside")
    assert chainrule.is_grad_enabled()


def test_no_grad_decorator(x):
    @chainrule.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert chainrule.is_grad_enabled()
    assert double.__name__ == "double"


def test_no_grad_decorator_without_parentheses(x):
    @chainrule.no_grad
    def double(t):
        return t * 2

    assert not double(x).requires_grad


def test_enable_grad_inside_no_grad_records(x):
    with chainrule.no_grad():
        with chainrule.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_enable_grad_decorator_records_when_called_under_no_grad(x):
    @chainrule.enable_grad()
    def double(t):
        return t * 2

    with chainrule.no_grad():
        y = double(x)
        assert not chainrule.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_as_context_manager(x):
    with chainrule.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert chainrule.is_grad_enabled()
    with chainrule.no_grad(), chainrule.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_set_grad_enabled_as_plain_call():
    try:
        chainrule.set_grad_enabled(False)
        assert not chainrule.is_grad_enabled()
    finally:
        chainrule.set_grad_enabled(True)
    assert chainrule.is_grad_enabled()


def test_set_grad_enabled_as_decorator_does_not_change_mode_at_definition(x):
    @chainrule.set_grad_enabled(False)
    def double(t):
        assert not chainrule.is_grad_enabled()
        return t * 2

    assert chainrule.is_grad_enabled()
    assert not double(x).requires_grad
    assert chainrule.is_grad_enabled()


def test_inference_mode_context_and_decorator(x):
    with chainrule.inference_mode():
        assert not (x * 2).requires_grad
    assert chainrule.is_grad_enabled()

    @chainrule.inference_mode()
    def double(t):
        return t * 2

    assert not double(x).requires_grad


def test_inference_mode_false_leaves_recording_on(x):
    with chainrule.inference_mode(False):
        assert (x * 2).requires_grad


def test_grad_mode_is_per_thread(x):
    inside, outside = threading.Event(), threading.Event()
    result = {}

    def worker():
        with chainrule.no_grad():
            inside.set()
            outside.wait(timeout=10)
            result["worker"] = (x * 2).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(timeout=10)
    result["main"] = (x * 2).requires_grad  # while the worker is inside no_grad
    outside.set()
    thread.join()
    assert result == {"main": True, "worker": False}


def test_new_thread_starts_with_grad_enabled(x):
    result = {}

    def worker():
        result["enabled"] = chainrule.is_grad_enabled()

    with chainrule.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert result == {"enabled": True}


def test_backward_works_on_a_graph_recorded_before_no_grad(x):
    y = (x * x).sum()
    with chainrule.no_grad():
        y.backward()
        assert not chainrule.is_grad_enabled()  # the engine restores the mode it found
    assert x.grad.tolist() == [2.0, 4.0]


# -- every op reads one combined mode (grad_mode._GradState.mode); each way of setting it -----


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
                                lambda a, b: a / b, lambda a, b: (a * b).exp()])
def test_ops_record_exactly_when_grad_mode_is_on(x, op):
    y = chainrule.tensor([0.5, -2.0])
    assert op(x, y).grad_fn is not None
    with chainrule.no_grad():
        out = op(x, y)
        assert out.grad_fn is None and not out.requires_grad
        with chainrule.enable_grad():
            assert op(x, y).grad_fn is not None
    assert op(y, y).grad_fn is None  # nothing requires grad: nothing to record


def test_anomaly_mode_is_seen_by_a_backward_that_does_not_record():
    # backward without create_graph runs with grad mode off; anomaly mode must still check it
    x = chainrule.tensor([0.0, 1.0], requires_grad=True)
    with chainrule.autograd.detect_anomaly():
        y = (x.sqrt() * 0.0).sum()  # d sqrt(x)/dx at 0 is inf, times 0: nan
        with pytest.raises(RuntimeError, match="returned nan values"):
            y.backward()


def test_grad_mode_is_restored_after_a_forward_ad_level_and_a_vmap(x):
    import chainrule.autograd.forward_ad as fwAD
    from chainrule.func import vmap

    with fwAD.dual_level():
        dual = fwAD.make_dual(chainrule.tensor([1.0, 2.0]), chainrule.ones(2))
        assert fwAD.unpack_dual(dual * dual).tangent is not None
    assert vmap(lambda row: row * 2.0)(chainrule.ones(3, 2)).shape == (3, 2)
    with chainrule.no_grad():
        assert vmap(lambda row: row * x)(chainrule.ones(3, 2)).grad_fn is None
    assert (x * x).grad_fn is not None
    with chainrule.no_grad():
        assert (x * x).grad_fn is None
