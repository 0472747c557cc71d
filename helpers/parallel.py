"""Where the notebooks' independent tasks run, and with how many BLAS threads.

The long notebooks are made of independent, seeded tasks (one network per activation,
one grid-search fit per candidate and fold). Every one of them runs through this module,
on one of three engines:

local (the default)
    joblib worker processes (loky). Every worker's BLAS runs with
    :data:`TASK_BLAS_THREADS` threads, whatever the caller's environment says: with
    ``OPENBLAS_NUM_THREADS=4`` on a 2-core machine, joblib would hand 4 threads to each
    of 2 workers, and OpenBLAS's busy-waiting threads then slow the grid search by an
    order of magnitude (nbval's 2000-s cell timeout would stop it). Pinning the count
    also pins the result: a fit's numbers depend on its BLAS thread count, so a grader
    with another core count or another ``OPENBLAS_NUM_THREADS`` gets the committed fits.

a Dask cluster
    when the environment variable ``DASK_SCHEDULER_ADDRESS`` (Dask's own convention) is
    set, e.g. ``tcp://10.0.0.5:8786``: a ``distributed.Client`` connects to that
    scheduler (:data:`CONNECT_TIMEOUT_S`; :class:`SchedulerUnreachable` names the address
    if nothing answers) and the tasks run on its workers, with the same BLAS thread count
    set inside every task or worker, the large arrays sent to every worker once
    (broadcast) and referenced by the tasks, and every task retried when it fails or its
    worker dies (:data:`TASK_RETRIES`; Dask's ``distributed.scheduler.allowed-failures``,
    3 by default, counts the deaths). The workers need this repository's code and
    requirements; they need no data (the data travel with the tasks).

serial
    when the run's ``tasks`` setting is ``"serial"`` (:func:`use_engine`, called by
    :func:`helpers.run.start_run`): every task in the calling process (the notebook's
    kernel), one after the other, with the BLAS threads that process has. `make
    bench-run-all` times it against the default engine. It is also the one to debug a
    task with: ``print`` and breakpoints in the task run in the kernel, and the task's
    own traceback is chained under the :class:`TaskError`. With 2 BLAS threads instead
    of 1 a trained number may differ from the committed run (in a chaotic run beyond its
    last digits; within the verification tolerances).

Two entry points:

* :func:`task_backend`: a context manager around scikit-learn (or any joblib
  ``Parallel``) calls, e.g. ``GridSearchCV.fit``: joblib's loky backend, or joblib's
  ``dask`` backend (``scatter`` = the arrays to broadcast). On Dask it reports, at the
  end, how many tasks ran on which worker (joblib batches fits into tasks; one line per
  finished task is not available there).
* :func:`run_tasks`: ``function(*args, **shared)`` for every ``key -> args``, returning
  ``key -> result``; on Dask it reports one line per finished task (its key, the
  worker's address and name).

The reports go to the ``helpers.parallel`` logger at level INFO, which nothing
configures in a notebook: a notebook run on a cluster prints exactly what a local run
prints, so its outputs still verify (nbval compares stderr too). To see them:
``logging.basicConfig(level=logging.INFO)``, or pass ``progress=sys.stderr``.

Results never depend on the engine, the order of completion or the placement: each task
is seeded by its own arguments (the caller's seeds, never drawn from task order) and runs
with the same BLAS thread count everywhere, so a 1-thread run is bitwise the same on a
laptop and on a cluster.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TextIO

import numpy as np
from joblib import Parallel, delayed, parallel_config
from threadpoolctl import threadpool_limits

#: BLAS threads inside each task. One is also joblib's default on a machine with as
#: many cores as workers, so the committed runs used it too.
TASK_BLAS_THREADS = 1
#: The environment variable that selects the Dask engine (Dask's own name for it).
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
#: The engines a run may choose (:func:`use_engine`): ``processes`` is the default.
ENGINES = ("processes", "serial")
#: Seconds to wait for the scheduler to answer before :class:`SchedulerUnreachable`.
CONNECT_TIMEOUT_S = 5.0
#: Seconds joblib's dask backend waits for a first worker when the cluster has none.
WORKER_WAIT_S = 30.0
#: How often Dask re-runs a task that raised, before the error reaches the caller.
TASK_RETRIES = 2

_CLIENTS: dict[str, Any] = {}
_LOG = logging.getLogger(__name__)


class SchedulerUnreachable(ConnectionError):
    """``DASK_SCHEDULER_ADDRESS`` names a scheduler that did not answer (message: where)."""


class TaskError(RuntimeError):
    """A task of :func:`run_tasks` failed; ``key`` names it, the message says how."""

    def __init__(self, key: str, detail: str):
        super().__init__(f"task {key!r} failed: {detail}")
        self.key = key
        self.detail = detail

    def __reduce__(self):  # the exception travels back from worker processes
        return (TaskError, (self.key, self.detail))


# ---------------------------------------------------------------------------- checks


def _check_blas_threads(blas_threads) -> None:
    if not isinstance(blas_threads, int) or isinstance(blas_threads, bool) or blas_threads < 1:
        raise ValueError(f"blas_threads must be a positive int, got {blas_threads!r}")


def scheduler_address() -> str | None:
    """The Dask scheduler to use (``DASK_SCHEDULER_ADDRESS``), or None to run locally."""
    return os.environ.get(SCHEDULER_VARIABLE, "").strip() or None


_ENGINE = {"name": "processes"}


def use_engine(name: str) -> None:
    """Run this process's tasks on engine ``name`` from now on (:data:`ENGINES`).

    A notebook sets it once, from its run context (:func:`helpers.run.start_run`).
    """
    if name not in ENGINES:
        raise ValueError(f"tasks={name!r} is not an engine: use {' or '.join(ENGINES)}")
    _ENGINE["name"] = name


def task_engine() -> str:
    """``"dask"``, ``"processes"`` (the default) or ``"serial"``.

    ``DASK_SCHEDULER_ADDRESS`` selects Dask when the engine is ``processes`` (the default
    engine is "local processes, or the cluster if one is named"). Raises ``ValueError``
    when ``serial`` was chosen while ``DASK_SCHEDULER_ADDRESS`` names a cluster (one of
    them is a mistake).
    """
    engine = _ENGINE["name"]
    if scheduler_address() is None:
        return engine
    if engine == "serial":
        raise ValueError(
            f"tasks='serial' and {SCHEDULER_VARIABLE} are both set: drop one (serial runs "
            f"every task here, {SCHEDULER_VARIABLE} sends them to a cluster)"
        )
    return "dask"


# ------------------------------------------------------------------------ the client


def _probe(address: str, timeout: float) -> None:
    """Raise :class:`SchedulerUnreachable` unless a TCP connection to ``address`` opens.

    Checked before ``distributed.Client`` tries: a Client that fails to connect blocks
    again when it is garbage-collected, and its error names no variable.
    """
    from distributed.comm import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
    except (ValueError, TypeError) as exc:
        raise SchedulerUnreachable(
            f"{SCHEDULER_VARIABLE}={address!r} is not a scheduler address "
            f"(e.g. tcp://127.0.0.1:8786): {exc}"
        ) from None
    if scheme not in ("tcp", "tls"):
        return  # inproc:// and others: the Client itself will tell
    try:
        host, port = parse_host_port(location)
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {address} ({SCHEDULER_VARIABLE}) within "
            f"{timeout:g} s: {exc}. Start it (`dask scheduler`), fix the address, or unset "
            f"{SCHEDULER_VARIABLE} to run on local processes."
        ) from None


def dask_client(address: str | None = None, timeout: float | None = None):
    """A ``distributed.Client`` connected to ``address`` (default: the environment's).

    One client per address and process, kept for later calls; :func:`close_clients`
    closes them. Raises :class:`SchedulerUnreachable` (naming the address) when the
    scheduler does not answer within ``timeout`` seconds (:data:`CONNECT_TIMEOUT_S`).
    """
    from distributed import Client

    address = address or scheduler_address()
    if address is None:
        raise ValueError(f"no scheduler address: set {SCHEDULER_VARIABLE}")
    client = _CLIENTS.get(address)
    if client is not None and client.status == "running":
        return client
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    _probe(address, timeout)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachable(
            f"cannot connect a Dask client to {address} ({SCHEDULER_VARIABLE}) within "
            f"{timeout:g} s: {exc}"
        ) from None
    _CLIENTS[address] = client
    return client


def close_clients() -> None:
    """Close the clients :func:`dask_client` kept (tests; a notebook need not)."""
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        with contextlib.suppress(Exception):
            client.close()


def _worker_blas_plugin(blas_threads: int):
    from distributed.diagnostics.plugin import WorkerPlugin

    class BlasThreads(WorkerPlugin):
        """Limit BLAS/OpenMP threads in every worker process, those that join later too."""

        name = "nnsvm-blas-threads"

        def __init__(self, threads: int):
            self.threads = threads

        def setup(self, worker):
            import numpy  # noqa: F401  load the BLAS libraries first: threadpoolctl
            import scipy.linalg  # noqa: F401  limits the libraries loaded so far

            threadpool_limits(limits=self.threads)

    return BlasThreads(blas_threads)


# ----------------------------------------------------------------- scikit-learn calls


def _report(line: str, stream: TextIO | None) -> None:
    _LOG.info(line)
    if stream is not None:
        print(line, file=stream, flush=True)


def _report_task_stream(records: Sequence[dict], client, stream: TextIO | None) -> None:
    """One summary line: how many tasks finished on which worker (from the scheduler)."""
    names = {
        address: info.get("name")
        for address, info in client.scheduler_info(n_workers=-1)["workers"].items()
    }
    counts = Counter(
        record.get("worker") for record in records if record.get("status", "OK") == "OK"
    )
    where = ", ".join(
        f"{address} ({names.get(address, 'gone')}): {n}"
        for address, n in sorted(counts.items(), key=lambda item: str(item[0]))
    )
    _report(
        f"[dask] {sum(counts.values())} tasks finished on {len(counts)} workers"
        f"{': ' + where if where else ''}",
        stream,
    )


@contextlib.contextmanager
def task_backend(
    blas_threads: int = TASK_BLAS_THREADS,
    scatter: Sequence[np.ndarray] = (),
    progress: TextIO | None = None,
) -> Iterator[None]:
    """Run the ``Parallel`` calls inside (scikit-learn's too) on the task engine.

    Locally: loky processes, each limiting OpenBLAS, MKL and OpenMP to ``blas_threads``
    threads (``scatter`` is not needed: joblib memory-maps large arrays for its workers).
    Serial (``tasks="serial"``): joblib's sequential backend, so every fit runs in
    this process with its BLAS threads, whatever ``n_jobs`` says.
    On Dask (``DASK_SCHEDULER_ADDRESS``): joblib's ``dask`` backend; every worker process
    limits its BLAS to ``blas_threads`` (a worker plugin, so workers that join or restart
    later do too; scikit-learn's tasks cannot be wrapped one by one), the ``scatter``
    arrays (pass the ``X`` and ``y`` of a ``fit``) go to every worker once and the tasks
    reference them, a task that raised is re-run :data:`TASK_RETRIES` times, and at the
    end one line says how many tasks ran on which worker (to the log, and to ``progress``
    if given).
    """
    _check_blas_threads(blas_threads)
    engine = task_engine()
    if engine == "serial":  # in this process, with its own BLAS threads
        with parallel_config(backend="sequential"):
            yield
        return
    if engine == "processes":
        with parallel_config(backend="loky", inner_max_num_threads=blas_threads):
            yield
        return
    from distributed import get_task_stream

    client = dask_client()
    client.register_plugin(_worker_blas_plugin(blas_threads))
    with (
        get_task_stream(client=client) as stream,
        parallel_config(
            backend="dask",
            client=client,
            scatter=list(scatter) or None,
            retries=TASK_RETRIES,
            wait_for_workers_timeout=WORKER_WAIT_S,
        ),
    ):
        yield
    _report_task_stream(stream.data, client, progress)


# --------------------------------------------------------------------- generic tasks


def _caller_context() -> tuple[dict, list]:
    """scikit-learn's configuration and the warning filters, to re-create in a task."""
    from sklearn import get_config

    return get_config(), list(warnings.filters)


def _restore_filters(filters: list) -> None:
    warnings.resetwarnings()
    for action, message, category, module, lineno in filters:
        warnings.filterwarnings(
            action,
            getattr(message, "pattern", message) or "",
            category,
            getattr(module, "pattern", module) or "",
            lineno,
            append=True,
        )


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _call_task(
    key: str,
    function: Callable,
    args: tuple,
    shared: Mapping[str, Any],
    blas_threads: int | None,
    context: tuple[dict, list],
):
    """``function(*args, **shared)`` with the caller's scikit-learn configuration and
    warning filters and ``blas_threads`` BLAS threads (None: leave them as they are);
    errors become :class:`TaskError`."""
    from sklearn import config_context

    config, filters = context
    try:
        with (
            config_context(**config),
            warnings.catch_warnings(),
            threadpool_limits(limits=blas_threads),
        ):
            _restore_filters(filters)
            return function(*args, **shared)
    except TaskError:
        raise
    except Exception as exc:
        raise TaskError(key, _describe(exc)) from exc


def _call_task_on_worker(
    key: str,
    function: Callable,
    args: tuple,
    shared: Mapping[str, Any],
    blas_threads: int,
    context: tuple[dict, list],
):
    from distributed import get_worker

    result = _call_task(key, function, args, shared, blas_threads, context)
    worker = get_worker()
    return result, f"{worker.address} ({worker.name})"


def _function_name(function: Callable) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _check_tasks(keyed_args: Mapping[str, Sequence], shared: Mapping[str, np.ndarray]) -> None:
    for key, args in keyed_args.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"task keys must be non-empty strings, got {key!r}")
        if not isinstance(args, (tuple, list)):
            raise TypeError(f"task {key!r}: arguments must be a tuple, got {type(args).__name__}")
    for name in shared:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"shared names must be identifiers (keyword arguments), got {name!r}")


def run_tasks(
    function: Callable,
    keyed_args: Mapping[str, Sequence],
    shared: Mapping[str, np.ndarray] | None = None,
    blas_threads: int = TASK_BLAS_THREADS,
    *,
    n_jobs: int = -1,
    retries: int = TASK_RETRIES,
    progress: TextIO | None = None,
) -> dict[str, Any]:
    """``{key: function(*args, **shared)}`` for every ``key -> args``, as independent tasks.

    ``function`` must be importable (a module-level function) and must take all its
    randomness from its arguments: pass each task its own seed. Nothing here seeds,
    orders or numbers the tasks, so the results do not depend on the order the tasks
    finish in or on where they run. The result keeps ``keyed_args``'s order.

    ``shared``: large arrays every task needs, passed as keyword arguments.

    * Locally (``DASK_SCHEDULER_ADDRESS`` unset): joblib's loky processes (``n_jobs``
      of them). joblib sends an array above 1 MB to the workers once per call, as a
      memory-mapped file they all read (read-only), not once per task.
    * Serial (``tasks="serial"``): in this process, in ``keyed_args``'s order, with
      this process's BLAS threads (``blas_threads`` and ``n_jobs`` are not used).
    * On Dask: ``shared`` is scattered once to every worker (broadcast, keyed by its
      content) and each task references it; each task's Dask key is
      ``<function>-<key>-<token of its arguments>``. A task that raised runs again up to
      ``retries`` times; one whose worker died runs on another (Dask's allowed-failures).
      One line per finished task goes to the log (and to ``progress`` if given).

    Every task runs with ``blas_threads`` BLAS threads (threadpoolctl, inside the task).
    A failure raises :class:`TaskError` naming the task's key (on Dask the other tasks
    are cancelled); an unreachable scheduler raises :class:`SchedulerUnreachable`.
    """
    _check_blas_threads(blas_threads)
    shared = dict(shared or {})
    _check_tasks(keyed_args, shared)
    if not keyed_args:
        return {}
    context = _caller_context()
    engine = task_engine()
    if engine == "serial":
        return {
            key: _call_task(key, function, tuple(args), shared, None, context)
            for key, args in keyed_args.items()
        }
    if engine == "processes":
        with parallel_config(backend="loky", inner_max_num_threads=blas_threads):
            results = Parallel(n_jobs=n_jobs)(
                delayed(_call_task)(key, function, tuple(args), shared, blas_threads, context)
                for key, args in keyed_args.items()
            )
        return dict(zip(keyed_args, results, strict=True))
    return _run_on_dask(
        dask_client(), function, keyed_args, shared, blas_threads, context, retries, progress
    )


def _run_on_dask(
    client,
    function: Callable,
    keyed_args: Mapping[str, Sequence],
    shared: Mapping[str, np.ndarray],
    blas_threads: int,
    context,
    retries: int,
    stream: TextIO | None,
) -> dict[str, Any]:
    from dask.base import tokenize
    from distributed import as_completed

    names = list(shared)
    scattered = (
        client.scatter([shared[name] for name in names], broadcast=True, hash=True) if names else []
    )
    shared_futures = dict(zip(names, scattered, strict=True))
    common = tokenize(
        _function_name(function),
        getattr(function, "__module__", ""),
        blas_threads,
        sorted((n, f.key) for n, f in shared_futures.items()),
    )
    futures = {}
    for key, args in keyed_args.items():
        args = tuple(args)
        future = client.submit(
            _call_task_on_worker,
            key,
            function,
            args,
            shared_futures,
            blas_threads,
            context,
            key=f"{_function_name(function)}-{key}-{tokenize(common, key, args)}",
            retries=retries,
            pure=False,
        )
        futures[future] = key
    results: dict[str, Any] = {}
    try:
        for done, future in enumerate(as_completed(futures, loop=client.loop), 1):
            key = futures[future]
            try:
                results[key], where = future.result()
            except TaskError:
                raise
            except Exception as exc:  # KilledWorker, CancelledError, ...
                raise TaskError(key, _describe(exc)) from exc
            _report(f"[dask] {done}/{len(futures)} {key} done on {where}", stream)
    finally:
        if len(results) < len(futures):
            client.cancel(list(futures))
    return {key: results[key] for key in keyed_args}
