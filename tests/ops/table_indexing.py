"""Op table entries for ops/indexing.py (see tests/opinfo.py)."""

OPS: list = []
