"""The examples' progress bar: the text fallback, and the choice between it and tqdm."""

import io
import sys

from chainrule.examples import _progress


def test_text_progress_bar_writes_ten_lines_to_a_log():
    log = io.StringIO()
    bar = _progress.TextBar(40, "mlp", file=log, width=10)
    for _ in range(40):
        bar.set_postfix(loss=0.5)
        bar.update(1)
    bar.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1] == "mlp 40/40 [##########] loss=0.5"


def test_falls_back_to_the_text_bar_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    assert isinstance(_progress.progress_bar(5, "x", enabled=True), _progress.TextBar)


def test_disabled_bar_writes_nothing(capsys):
    bar = _progress.progress_bar(3, "x", enabled=False)
    for _ in range(3):
        bar.update(1)
    bar.close()
    assert capsys.readouterr().err == ""


def test_uses_tqdm_when_installed(monkeypatch):
    calls = []

    class FakeTqdm:
        def __init__(self, total, desc, leave):
            calls.append((total, desc))

    module = type(sys)("tqdm")
    module.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", module)
    assert isinstance(_progress.progress_bar(7, "mlp", enabled=True), FakeTqdm)
    assert calls == [(7, "mlp")]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_text_progress_bar_redraws_one_line_on_a_terminal():
    screen = _Terminal()
    bar = _progress.TextBar(3, "cnn", file=screen, width=3)
    for _ in range(3):
        bar.update(1)
    bar.close()
    text = screen.getvalue()
    assert text.startswith("\rcnn 1/3 [#..] ") and text.endswith("\rcnn 3/3 [###] \n")
    assert text.count("\n") == 1
