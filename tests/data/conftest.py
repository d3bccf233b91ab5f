"""One BLAS/OpenMP thread per data test: scikit-learn's t-SNE and PCA spin-wait badly when the
machine is shared (other test processes), and one thread gives the same numbers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield
