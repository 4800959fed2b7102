"""The examples' progress bar: tqdm when it is installed, a plain text bar otherwise."""

from __future__ import annotations

import sys
import time

__all__ = ["TextBar", "progress_bar"]


class TextBar:
    """A minimal stand-in for tqdm: ``desc n/total [####....] postfix`` on one line.

    On a terminal the line is redrawn in place (at most every 0.1 s); elsewhere (a log, a pipe)
    a line is written at every tenth of the way, so logs stay short.
    """

    def __init__(self, total: int, desc: str, file=None, width: int = 30,
                 disable: bool = False) -> None:
        self.total, self.desc, self.width, self.disable = max(total, 1), desc, width, disable
        self.file = file if file is not None else sys.stderr
        self.n, self.postfix, self._last = 0, "", 0.0
        self._tty = hasattr(self.file, "isatty") and self.file.isatty()

    def set_postfix(self, **values: float) -> None:
        self.postfix = " ".join(f"{k}={v:.4g}" for k, v in values.items())

    def update(self, n: int = 1) -> None:
        before, self.n = self.n, self.n + n
        if self.disable:
            return
        if self._tty:
            if time.monotonic() - self._last >= 0.1 or self.n == self.total:
                self._last = time.monotonic()
                self.file.write("\r" + self._line())
        elif self.n * 10 // self.total > before * 10 // self.total:
            self.file.write(self._line() + "\n")
        self.file.flush()

    def _line(self) -> str:
        filled = self.width * self.n // self.total
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self.desc} {self.n}/{self.total} [{bar}] {self.postfix}"

    def close(self) -> None:
        if self._tty and not self.disable:
            self.file.write("\r" + self._line() + "\n")
            self.file.flush()


def progress_bar(total: int, desc: str, enabled: bool):
    if not enabled:
        return TextBar(total, desc, disable=True)
    try:
        from tqdm import tqdm
    except ImportError:
        return TextBar(total, desc)
    return tqdm(total=total, desc=desc, leave=True)
