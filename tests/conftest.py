import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator per test: reproducible, and independent of test order."""
    return np.random.default_rng(1234)


# The op tables are data for tests/ops/test_opinfo.py, not test modules; --doctest-modules
# would otherwise import them on their own, out of order.
collect_ignore_glob = ["opinfo.py", "ops/table_*.py"]
