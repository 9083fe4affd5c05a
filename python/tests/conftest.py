import numpy as np
import pytest


@pytest.fixture
def rng():
    # Fresh random inputs per test, reproducible per test run.
    return np.random.default_rng(1234)
