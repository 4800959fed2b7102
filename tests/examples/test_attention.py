"""The attention example: data, positions, the model against torch, and a short run."""

import subprocess
import sys

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.examples import attention as att

TINY = ["--steps", "2", "--eval-size", "4", "--no-progress", "--figure", ""]


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_reversal_batch_targets_are_the_inputs_backwards(rng):
    tokens, targets = att.reversal_batch(rng, 5, 7, 4)
    assert tokens.shape == targets.shape == (5, 7) and tokens.dtype == chainrule.int64
    assert tokens.data.min() >= 0 and tokens.data.max() < 4
    for seq, rev in zip(tokens.data, targets.data, strict=True):
        assert list(rev) == list(reversed(list(seq)))


@pytest.mark.parametrize("d_model", [6, 5])
def test_sinusoidal_positions_follow_the_formula(d_model):
    table = att.sinusoidal_positions(4, d_model)
    assert table.dtype == chainrule.float32 and table.shape == (4, d_model)
    for p in range(4):
        for j in range(d_model):
            angle = p / 10000 ** ((j - j % 2) / d_model)
            want = np.sin(angle) if j % 2 == 0 else np.cos(angle)
            np.testing.assert_allclose(table.data[p, j], want, rtol=1e-6, atol=1e-7)


def test_positions_are_a_parameter_or_a_buffer():
    learned = att.Reverser(5, 4, d_model=8, nhead=2, num_layers=1, dim_feedforward=8)
    fixed = att.Reverser(5, 4, d_model=8, nhead=2, num_layers=1, dim_feedforward=8,
                         positions="sinusoidal")
    assert "positions" in dict(learned.named_parameters())
    assert "positions" not in dict(fixed.named_parameters())
    assert "positions" in dict(fixed.named_buffers())
    with pytest.raises(ValueError, match="positions must be 'learned' or 'sinusoidal', got 'x'"):
        att.Reverser(5, 4, positions="x")


def test_model_rejects_sequences_of_another_length():
    model = att.Reverser(5, 4, d_model=8, nhead=2, num_layers=1, dim_feedforward=8)
    with pytest.raises(chainrule.ShapeError, match=r"tokens of shape \(2, 3\), expected "
                       r"\(batch, 4\)"):
        model(chainrule.tensor([[1, 2, 3], [0, 1, 2]]))


def test_model_outputs_and_gradients_match_torch(rng):
    torch = pytest.importorskip("torch")
    chainrule.manual_seed(0)
    ours = att.Reverser(6, 5, d_model=8, nhead=2, num_layers=2, dim_feedforward=16)
    tokens, targets = att.reversal_batch(rng, 3, 5, 6)

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(6, 8)
            self.positions = torch.nn.Parameter(torch.zeros(5, 8))
            layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
            self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = torch.nn.Linear(8, 6)

        def forward(self, x):
            return self.head(self.encoder(self.embedding(x) + self.positions))

    theirs = Theirs()
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in
                            ours.state_dict().items()})
    scores = ours(tokens)
    loss = nn.functional.cross_entropy(scores.reshape(-1, 6), targets.reshape(-1))
    loss.backward()
    want = theirs(torch.from_numpy(tokens.data))
    torch.nn.functional.cross_entropy(want.reshape(-1, 6),
                                      torch.from_numpy(targets.data).reshape(-1)).backward()
    assert scores.dtype == chainrule.float32
    np.testing.assert_allclose(scores.data, want.detach().numpy(), rtol=1e-4, atol=1e-5)
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, grads[name].grad.numpy(), rtol=1e-3,
                                   atol=1e-5, err_msg=name)


def test_evaluate_counts_tokens_and_whole_sequences():
    class Fixed(nn.Module):
        def forward(self, tokens):
            guess = np.array([[0, 1, 2], [2, 1, 1]])
            return chainrule.tensor(np.eye(3, dtype=np.float32)[guess])

    targets = chainrule.tensor([[0, 1, 2], [2, 1, 0]])
    token_acc, seq_acc, predicted = att.evaluate(Fixed(), targets, targets)
    assert token_acc == pytest.approx(5 / 6) and seq_acc == 0.5
    np.testing.assert_array_equal(predicted, [[0, 1, 2], [2, 1, 1]])


def test_first_attention_map_is_softmax_of_scaled_query_key_products(rng):
    chainrule.manual_seed(1)
    model = att.Reverser(6, 5, d_model=8, nhead=2, num_layers=2, dim_feedforward=16)
    tokens, _ = att.reversal_batch(rng, 2, 5, 6)
    maps = att.attention_maps(model, tokens)
    assert len(maps) == 2 and all(m.shape == (2, 5, 5) for m in maps)
    np.testing.assert_allclose(maps[1].sum(axis=-1), 1, rtol=1e-5)
    x = model.embed(tokens).data.astype(np.float64)
    attn = model.encoder.layers[0].self_attn
    w, b = attn.in_proj_weight.data, attn.in_proj_bias.data
    q, k = x @ w[:8].T + b[:8], x @ w[8:16].T + b[8:16]
    heads = [_softmax(q[..., h:h + 4] @ k[..., h:h + 4].swapaxes(1, 2) / 2) for h in (0, 4)]
    np.testing.assert_allclose(maps[0], (heads[0] + heads[1]) / 2, rtol=1e-4, atol=1e-6)


def test_quick_run_reaches_token_accuracy_well_above_chance(capsys):
    results = att.run(["--quick", "--no-progress", "--figure", "", "--seed", "4"])
    out = capsys.readouterr().out
    assert results["token_accuracy"] > 0.5  # chance is 0.1
    assert 0 <= results["sequence_accuracy"] <= results["token_accuracy"]
    assert results["losses"][-1] < results["losses"][0] / 2 and len(results["losses"]) == 60
    assert "token accuracy" in out and "layer 1:" in out


def test_same_seed_gives_the_same_run():
    first, second = att.run(TINY), att.run(TINY)
    assert first["losses"] == second["losses"]
    assert first["losses"] != att.run(TINY + ["--seed", "1"])["losses"]


def test_without_matplotlib_no_figure_and_an_install_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    path = tmp_path / "loss.png"
    att.run(TINY + ["--figure", str(path)])
    assert not path.exists() and "pip install matplotlib" in capsys.readouterr().err


def test_figure_is_a_png_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    att.run(TINY + ["--figure", str(path), "--positions", "sinusoidal"])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_module_runs_with_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "chainrule.examples.attention", "--help"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert "--positions" in out.stdout and "--quick" in out.stdout
