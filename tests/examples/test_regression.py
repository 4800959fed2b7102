"""The regression example: both fits recover y = 3x + 2, step by step as NumPy's descent."""

import sys

import numpy as np
import pytest

import chainrule
from chainrule.examples import _plot
from chainrule.examples import regression as reg

QUICK = ["--quick", "--no-progress", "--figure", ""]


def _numpy_descent(x, y, steps, lr, w=0.0, b=0.0):
    """Gradient descent on mean((w x + b - y)^2) in float64, derivatives by hand."""
    losses = []
    for _ in range(steps):
        residual = w * x + b - y
        losses.append(np.mean(residual**2))
        w, b = w - lr * np.mean(2 * residual * x), b - lr * np.mean(2 * residual)
    return w, b, losses


def test_quick_run_recovers_the_line_and_the_least_squares_fit(capsys):
    results = reg.run(QUICK + ["--seed", "3"])
    chainrule.manual_seed(3)
    x, y = (t.data.astype(np.float64).ravel() for t in reg.make_data(100, 0.1))
    slope, intercept = np.polyfit(x, y, 1)
    out = capsys.readouterr().out
    for name in ("by_hand", "nn"):
        fit = results[name]
        assert abs(fit["weight"] - 3.0) < 0.1 and abs(fit["bias"] - 2.0) < 0.1, name
        np.testing.assert_allclose([fit["weight"], fit["bias"]], [slope, intercept], atol=2e-3)
        residual = slope * x + intercept - y
        np.testing.assert_allclose(fit["loss"], np.mean(residual**2), rtol=1e-3)
        assert f"w = {fit['weight']:.4f}" in out


def test_fit_by_hand_follows_numpy_gradient_descent(rng):
    x = rng.uniform(-1, 1, (20, 1))
    y = 3 * x + 2 + 0.1 * rng.standard_normal((20, 1))
    as_t = lambda a: chainrule.tensor(a, dtype=chainrule.float32)  # noqa: E731
    w, b, losses = reg.fit_by_hand(as_t(x), as_t(y), steps=30, lr=0.1)
    want_w, want_b, want_losses = _numpy_descent(x, y, 30, 0.1)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-4)
    np.testing.assert_allclose([w, b], [want_w, want_b], rtol=1e-4)


def test_fit_with_nn_follows_numpy_descent_from_its_initial_parameters(rng):
    x = rng.uniform(-1, 1, (20, 1))
    y = 3 * x + 2 + 0.1 * rng.standard_normal((20, 1))
    as_t = lambda a: chainrule.tensor(a, dtype=chainrule.float32)  # noqa: E731
    chainrule.manual_seed(5)
    start = chainrule.nn.Linear(1, 1)  # the same draws as the fit's own layer
    w0, b0 = start.weight.item(), start.bias.item()
    chainrule.manual_seed(5)
    w, b, losses = reg.fit_with_nn(as_t(x), as_t(y), steps=30, lr=0.1)
    want_w, want_b, want_losses = _numpy_descent(x, y, 30, 0.1, w0, b0)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-4)
    np.testing.assert_allclose([w, b], [want_w, want_b], rtol=1e-4)


def test_data_are_float32_and_fixed_by_the_seed():
    chainrule.manual_seed(0)
    x, y = reg.make_data(10, 0.1)
    chainrule.manual_seed(0)
    x2, _ = reg.make_data(10, 0.1)
    assert x.dtype == chainrule.float32 and y.dtype == chainrule.float32
    assert x.shape == (10, 1) and np.array_equal(x.data, x2.data)
    assert x.data.min() >= -1 and x.data.max() <= 1


def test_same_seed_gives_the_same_run():
    first, second = reg.run(QUICK), reg.run(QUICK)
    other = reg.run(QUICK + ["--seed", "1"])
    assert first["nn"]["losses"] == second["nn"]["losses"]
    assert first["nn"]["losses"] != other["nn"]["losses"]


def test_without_matplotlib_no_figure_and_an_install_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    path = tmp_path / "loss.png"
    reg.run(["--quick", "--no-progress", "--figure", str(path)])
    err = capsys.readouterr().err
    assert not path.exists()
    assert err.count("pip install matplotlib") == 1


def test_figure_is_a_png_when_matplotlib_is_installed(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    reg.run(["--quick", "--no-progress", "--figure", str(path)])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"saved to {path}" in capsys.readouterr().out
    assert _plot.save_loss_curve(str(tmp_path / "two.png"), {"a": [2, 1], "b": [3, 1]}, "t")


def test_progress_bar_falls_back_to_text_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    reg.run(["--quick", "--figure", ""])
    err = capsys.readouterr().err
    assert "by_hand 150/150 [" in err and "nn 150/150 [" in err
