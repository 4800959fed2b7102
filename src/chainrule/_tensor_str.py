"""How tensors print: PyTorch's format (torch/_tensor_str.py), on NumPy.

``format_tensor(t)`` gives ``tensor([1., 2.], requires_grad=True)`` exactly as torch prints the
same values (default print options: precision 4, linewidth 80, threshold 1000, edgeitems 3).
"""

from __future__ import annotations

import numpy as np

_PRECISION, _LINEWIDTH, _THRESHOLD, _EDGE = 4, 80, 1000, 3
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


class _Formatter:
    """One width and one style (integer-valued, fixed or scientific) for every element."""

    def __init__(self, data: np.ndarray) -> None:
        self.floating = data.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max((len(str(v)) for v in data.ravel().tolist()), default=1)
            return
        values = data.astype(np.float64).ravel()
        values = values[np.isfinite(values) & (values != 0)]
        if not values.size:
            return
        low, high = np.abs(values).min(), np.abs(values).max()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        self.sci_mode = high / low > 1000.0 or high > 1.0e8 or (not self.int_mode and low < 1.0e-4)
        if self.sci_mode:
            self.width = max(len(f"{v:.{_PRECISION}e}") for v in values.tolist())
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in values.tolist())
        else:
            self.width = max(len(f"{v:.{_PRECISION}f}") for v in values.tolist())

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if value != value or value in (np.inf, -np.inf) else ".")
        else:
            text = f"{value:.{_PRECISION}f}"
        return text.rjust(self.width)


def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements torch shows when it elides (the first and last ``_EDGE`` along each dim)."""
    if data.ndim == 0:
        return data
    if data.shape[0] > 2 * _EDGE:
        data = np.concatenate([data[:_EDGE], data[-_EDGE:]])
    return np.stack([_summarized(row) for row in data]) if data.ndim > 1 else data


def _body(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data.item())
    cut = summarize and data.shape[0] > 2 * _EDGE
    if data.ndim == 1:
        values = data.tolist()
        items = [fmt.format(v) for v in (values[:_EDGE] + values[-_EDGE:] if cut else values)]
        if cut:
            items.insert(_EDGE, " ...")
        per_line = max(1, (_LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = (
        list(range(_EDGE)) + [-1] + list(range(len(data) - _EDGE, len(data)))
        if cut
        else range(len(data))
    )
    parts = ["..." if i == -1 else _body(data[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_tensor(t) -> str:
    """``repr(t)`` in PyTorch's form."""
    data, prefix = t.data, "tensor("
    suffixes = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if data.dtype != np.float32:  # no element shows an empty tensor's dtype
            suffixes.append(f"dtype={t.dtype!r}")
        body = "[]"
    else:
        if data.dtype not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype={t.dtype!r}")
        summarize = data.size > _THRESHOLD
        shown = data.astype(np.float32) if data.dtype == np.float16 else data
        body = _body(
            shown, len(prefix), summarize, _Formatter(_summarized(shown) if summarize else shown)
        )
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last_line = len(out) - out.rfind("\n") + 1
    for suffix in suffixes:  # a suffix that would pass the line width goes on a new line
        if last_line + len(suffix) + 2 > _LINEWIDTH:
            out += ",\n" + " " * len(prefix) + suffix
            last_line = len(prefix) + len(suffix)
        else:
            out += ", " + suffix
            last_line += len(suffix) + 2
    return out + ")"
