import numpy as np
import pytest


@pytest.fixture
def rng():
    # Fresh random inputs per test, reproducible per test run.
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True, scope="session")
def _private_kernel_cache(tmp_path_factory):
    # The tests' kernels go to a cache of their own, not the user's.
    import os
    os.environ["ATTN_CACHE_DIR"] = str(tmp_path_factory.mktemp("attn-cache"))
