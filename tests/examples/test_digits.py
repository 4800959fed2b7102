import importlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule.examples import digits

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """Two quick runs with the same seed, one with another seed: (results, checkpoints)."""
    folder = tmp_path_factory.mktemp("digits")
    runs = []
    for i, seed in enumerate([3, 3, 4]):
        path = str(folder / f"run{i}.safetensors")
        runs.append(digits.run(["--quick", "--seed", str(seed), "--checkpoint", path,
                                "--no-progress"]))
    return runs


def test_quick_run_trains_both_models_well_above_chance(quick_runs):
    for name in ("mlp", "cnn"):
        assert quick_runs[0][name]["accuracy"] > 0.6, name  # chance is 0.1


def test_reloaded_models_score_as_the_trained_ones(quick_runs):
    for name in ("mlp", "cnn"):
        assert quick_runs[0][name]["reloaded"] == quick_runs[0][name]["accuracy"]


def test_checkpoint_holds_both_float32_state_dicts(quick_runs):
    checkpoint = chainrule.load(quick_runs[0]["checkpoint"])
    assert set(checkpoint) == {"mlp", "cnn"}
    assert set(checkpoint["mlp"]) == set(digits.mlp().state_dict())
    assert set(checkpoint["cnn"]) == set(digits.cnn().state_dict())
    for name, value in checkpoint["cnn"].items():
        if value.is_floating_point():
            assert value.dtype == chainrule.float32, name


def test_same_seed_gives_identical_weights(quick_runs):
    first, second, other = (chainrule.load(r["checkpoint"]) for r in quick_runs)
    for model in ("mlp", "cnn"):
        for name, value in first[model].items():
            np.testing.assert_array_equal(value.numpy(), second[model][name].numpy())
        assert quick_runs[0][model]["loss"] == quick_runs[1][model]["loss"]
    assert not np.array_equal(first["mlp"]["1.weight"].numpy(), other["mlp"]["1.weight"].numpy())


def test_main_prints_accuracies_and_returns_zero(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(digits, "QUICK_EPOCHS", 1)
    path = tmp_path / "ckpt.safetensors"
    assert digits.main(["--quick", "--checkpoint", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "mlp: test accuracy" in out and "cnn: reloaded from" in out and path.exists()


def test_rejects_epochs_below_one():
    with pytest.raises(ValueError, match="--epochs must be at least 1, got 0"):
        digits.run(["--epochs", "0", "--no-progress"])


def test_module_runs_with_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "chainrule.examples.digits", "--help"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert "--quick" in out.stdout and "--checkpoint" in out.stdout


def test_console_script_points_at_main():
    table = (ROOT / "pyproject.toml").read_text().split("[project.scripts]")[1].split("\n[")[0]
    target = re.search(r'^chainrule-digits = "([\w.]+:\w+)"$', table, re.M).group(1)
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr) is digits.main
