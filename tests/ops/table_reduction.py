"""Op table entries for ops/reduction.py (see tests/opinfo.py)."""

OPS: list = []
