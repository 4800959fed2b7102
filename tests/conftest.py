import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator per test: reproducible, and independent of test order."""
    return np.random.default_rng(1234)
