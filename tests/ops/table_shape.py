"""Op table entries for ops/shape.py (see tests/opinfo.py)."""

OPS: list = []
