"""The examples' loss-curve figure: a PNG with matplotlib when it is installed, else a hint.

matplotlib is imported only when a figure is asked for, with the Agg backend (no display needed),
so the examples run with NumPy alone.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

__all__ = ["save_loss_curve"]


def save_loss_curve(path: str, curves: Mapping[str, Sequence[float]], title: str = "",
                    xlabel: str = "step", ylabel: str = "loss", log_y: bool = False) -> bool:
    """Plot each named curve (its values against 0, 1, 2, ...) and save the figure to ``path``.

    Args:
        path: where to write the PNG.
        curves: label -> the loss at each step.
        title, xlabel, ylabel: the figure's texts.
        log_y: a logarithmic loss axis.

    Returns:
        True if the file was written; False (after one line on stderr saying how to install
        matplotlib) if matplotlib is missing.

    Example:
        >>> import os, tempfile
        >>> from chainrule.examples._plot import save_loss_curve
        >>> path = os.path.join(tempfile.mkdtemp(), "loss.png")
        >>> saved = save_loss_curve(path, {"train": [1.0, 0.5, 0.2]})  # False: no matplotlib
        >>> saved == os.path.exists(path)
        True
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no figure saved to {path} (pip install matplotlib)",
              file=sys.stderr)
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, values in curves.items():
        ax.plot(range(len(values)), list(values), label=label, linewidth=1)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
