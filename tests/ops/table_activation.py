"""Op table entries for ops/activation.py (see tests/opinfo.py)."""

OPS: list = []
