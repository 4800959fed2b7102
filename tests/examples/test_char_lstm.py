"""The char_lstm example: the bundled text, the model against NumPy and torch, training and
sampling."""

import math
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest

import chainrule
from chainrule.examples import char_lstm as cl

TINY = ["--steps", "2", "--length", "5", "--no-progress", "--batch-size", "4", "--seq-len", "8",
        "--figure", ""]


@pytest.fixture(scope="module")
def quick():
    return cl.run(["--quick", "--no-progress", "--figure", "", "--seed", "2"])


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _numpy_char_lstm(model, ids):
    """Embedding lookup, the LSTM recurrence (gates i, f, g, o) and the linear head."""
    p = {name: t.data.astype(np.float64) for name, t in model.named_parameters()}
    x = p["embedding.weight"][ids]
    batch, hidden = ids.shape[0], p["lstm.weight_hh_l0"].shape[1]
    h, c, outputs = np.zeros((batch, hidden)), np.zeros((batch, hidden)), []
    for t in range(ids.shape[1]):
        z = (x[:, t] @ p["lstm.weight_ih_l0"].T + p["lstm.bias_ih_l0"]
             + h @ p["lstm.weight_hh_l0"].T + p["lstm.bias_hh_l0"])
        i, f, g, o = np.split(z, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1) @ p["head.weight"].T + p["head.bias"], h, c


def test_bundled_text_is_the_sonnets_without_the_header():
    raw = resources.files("chainrule.examples").joinpath("data/sonnets.txt").read_text()
    assert "public domain" in raw.splitlines()[0] and "Shakespeare" in raw.splitlines()[0]
    text = cl.load_text()
    assert text == raw.split("\n", 1)[1]
    assert text.startswith("I\n\nFrom fairest creatures")
    assert "Shall I compare thee to a summer's day?" in text
    assert 4000 < len(text) < 8000


def test_vocabulary_round_trip_and_unknown_characters():
    vocab = cl.Vocabulary("hello, world")
    assert vocab.chars == sorted(set("hello, world")) and len(vocab) == 9
    ids = vocab.encode("low")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "low"
    with pytest.raises(ValueError, match=r"characters \['z'\] are not in the vocabulary"):
        vocab.encode("wz")


def test_batchify_cuts_the_text_into_consecutive_streams():
    streams = cl.batchify(np.arange(23), 4)
    np.testing.assert_array_equal(streams.data, np.arange(20).reshape(4, 5))
    with pytest.raises(ValueError, match="a text of 5 characters cannot fill 4 streams"):
        cl.batchify(np.arange(5), 4)


def test_model_matches_a_numpy_lstm(rng):
    chainrule.manual_seed(0)
    model = cl.CharLSTM(7, embedding_dim=3, hidden_size=5)
    ids = rng.integers(0, 7, (2, 6))
    scores, (h, c) = model(chainrule.tensor(ids))
    want, want_h, want_c = _numpy_char_lstm(model, ids)
    assert scores.dtype == chainrule.float32 and scores.shape == (2, 6, 7)
    np.testing.assert_allclose(scores.data, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h.data[0], want_h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c.data[0], want_c, rtol=1e-4, atol=1e-5)


def test_model_loss_and_gradients_match_torch(rng):
    torch = pytest.importorskip("torch")
    chainrule.manual_seed(0)
    model = cl.CharLSTM(7, embedding_dim=3, hidden_size=5)
    ids, targets = rng.integers(0, 7, (2, 6)), rng.integers(0, 7, (2, 6))
    scores, _ = model(chainrule.tensor(ids))
    loss = chainrule.nn.functional.cross_entropy(scores.reshape(-1, 7),
                                                 chainrule.tensor(targets).reshape(-1))
    loss.backward()
    emb, lstm, head = (torch.nn.Embedding(7, 3), torch.nn.LSTM(3, 5, batch_first=True),
                       torch.nn.Linear(5, 7))
    theirs = dict(emb.named_parameters(prefix="embedding"))
    theirs |= dict(lstm.named_parameters(prefix="lstm")) | dict(head.named_parameters("head"))
    with torch.no_grad():
        for name, p in model.named_parameters():
            theirs[name].copy_(torch.from_numpy(p.data))
    out, _ = lstm(emb(torch.from_numpy(ids)))
    want = torch.nn.functional.cross_entropy(head(out).reshape(-1, 7),
                                             torch.from_numpy(targets).reshape(-1))
    want.backward()
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=name)


def test_quick_run_starts_at_chance_and_learns(quick, capsys):
    chance = math.log(quick["vocab_size"])
    assert abs(quick["initial_loss"] - chance) < 0.3
    assert quick["final_loss"] < quick["initial_loss"] - 1.0
    assert len(quick["losses"]) == 60


def test_train_wraps_around_the_streams_with_a_fresh_state():
    chainrule.manual_seed(0)
    model = cl.CharLSTM(5, embedding_dim=2, hidden_size=3)
    streams = cl.batchify(np.arange(40) % 5, 4)  # 10 characters a stream: 9 targets
    losses = cl.train(model, streams, steps=5, seq_len=4, lr=1e-2, clip=1.0)
    assert len(losses) == 5 and all(math.isfinite(v) for v in losses)


def test_sample_has_the_asked_length_over_the_vocabulary_and_is_seeded(quick):
    chainrule.manual_seed(0)
    text = cl.load_text()
    vocab = cl.Vocabulary(text)
    model = cl.CharLSTM(len(vocab))
    first = cl.sample(model, vocab, 50, seed=1)
    assert len(first) == 50 and set(first) <= set(vocab.chars)
    assert cl.sample(model, vocab, 50, seed=1) == first
    assert cl.sample(model, vocab, 50, seed=2) != first
    assert model.training
    assert len(quick["sample"]) == 100 and set(quick["sample"]) <= set(vocab.chars)


def test_cold_sampling_is_greedy_decoding():
    chainrule.manual_seed(0)
    vocab = cl.Vocabulary("abcdefgh")
    model = cl.CharLSTM(len(vocab), embedding_dim=4, hidden_size=8)
    ids, greedy = list(vocab.encode("ab")), []
    with chainrule.no_grad():
        for _ in range(6):  # the whole prefix again each time: no state carried by the test
            scores, _ = model(chainrule.tensor([ids]))
            greedy.append(int(np.argmax(scores.data[0, -1])))
            ids.append(greedy[-1])
    assert cl.sample(model, vocab, 6, prompt="ab", temperature=1e-4) == vocab.decode(greedy)


def test_sample_rejects_bad_temperature_and_empty_prompt():
    vocab = cl.Vocabulary("abc")
    model = cl.CharLSTM(3, embedding_dim=2, hidden_size=2)
    with pytest.raises(ValueError, match="temperature must be positive, got 0"):
        cl.sample(model, vocab, 3, prompt="a", temperature=0)
    with pytest.raises(ValueError, match="prompt must hold at least one character"):
        cl.sample(model, vocab, 3, prompt="")


def test_without_matplotlib_no_figure_and_an_install_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    path = tmp_path / "loss.png"
    cl.run(TINY + ["--figure", str(path)])
    assert not path.exists() and "pip install matplotlib" in capsys.readouterr().err


def test_figure_is_a_png_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    cl.run(TINY + ["--figure", str(path)])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_module_runs_with_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "chainrule.examples.char_lstm", "--help"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert "--temperature" in out.stdout and "--quick" in out.stdout
