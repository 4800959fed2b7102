"""Op table entries for ops/linalg.py (see tests/opinfo.py)."""

OPS: list = []
