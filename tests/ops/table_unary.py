"""Op table entries for ops/unary.py (see tests/opinfo.py)."""

OPS: list = []
