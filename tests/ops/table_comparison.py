"""Op table entries for ops/comparison.py (see tests/opinfo.py)."""

OPS: list = []
