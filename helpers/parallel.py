"""Where the notebooks' independent tasks run, and with how many BLAS threads.

The long notebooks are made of independent, seeded tasks (one network per activation,
one grid-search fit per candidate and fold). They run in joblib worker processes, and
every worker's BLAS runs with :data:`TASK_BLAS_THREADS` threads, whatever the caller's
environment says: with ``OPENBLAS_NUM_THREADS=4`` on a 2-core machine, joblib would hand
4 threads to each of 2 workers, and OpenBLAS's busy-waiting threads then slow the grid
search by an order of magnitude (measured: `make verify-matrix`, variant threads-4, hit
nbval's 2000-s cell timeout). Pinning the count also pins the result: a fit's numbers
depend on its BLAS thread count, so a grader with another core count or another
``OPENBLAS_NUM_THREADS`` gets the committed fits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from joblib import parallel_config

#: BLAS threads inside each worker. One is also joblib's default on a machine with as
#: many cores as workers, so the committed runs used it too.
TASK_BLAS_THREADS = 1


@contextlib.contextmanager
def task_backend(blas_threads: int = TASK_BLAS_THREADS) -> Iterator[None]:
    """Run the ``Parallel`` calls inside (scikit-learn's too) on local processes.

    Each worker process limits OpenBLAS, MKL and OpenMP to ``blas_threads`` threads.
    """
    if not isinstance(blas_threads, int) or isinstance(blas_threads, bool) or blas_threads < 1:
        raise ValueError(f"blas_threads must be a positive int, got {blas_threads!r}")
    with parallel_config(backend="loky", inner_max_num_threads=blas_threads):
        yield
