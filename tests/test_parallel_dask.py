"""helpers.parallel on a Dask cluster: same numbers as locally, survives a dead worker,
sends the data once.

One ``LocalCluster`` (2 worker processes, 1 thread each, on 127.0.0.1) serves the module;
``DASK_SCHEDULER_ADDRESS`` points at it, as it would at a real cluster. A scheduler plugin
records every task the scheduler hands to a worker: its key, the pickled size of what it
runs (function and arguments), and the keys of the data it depends on with the number of
workers holding each.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import re
import uuid

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin
from sklearn.datasets import make_classification
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from helpers import mlp_study, parallel
from helpers import scratch_study as study
from helpers.parallel import (
    SCHEDULER_VARIABLE,
    TASK_RETRIES,
    TaskError,
    run_tasks,
    task_backend,
)


class TaskRecorder(SchedulerPlugin):
    """Per task sent to a worker: (pickled size of its spec, {dependency: workers with it})."""

    name = "test-task-recorder"

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.tasks: dict[str, tuple[int, dict[str, int]]] = {}

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "processing":
            state = self.scheduler.tasks[key]
            self.tasks[str(key)] = (
                len(pickle.dumps(state.run_spec)),
                {str(dep.key): len(dep.who_has or ()) for dep in state.dependencies},
            )


@pytest.fixture(scope="module")
def cluster():
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    cluster.recorder = TaskRecorder(cluster.scheduler)
    cluster.scheduler.add_plugin(cluster.recorder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SCHEDULER_VARIABLE, cluster.scheduler_address)
        try:
            yield cluster
        finally:
            parallel.close_clients()
            cluster.close()


def _locally(monkeypatch, function, *args, **kwargs):
    """``function(...)`` on local processes (the module's cluster address unset)."""
    with monkeypatch.context() as local:
        local.delenv(SCHEDULER_VARIABLE)
        return function(*args, **kwargs)


# ------------------------------------------------------- (a) the same numbers as locally


def _tiny_mnist_like(n=300, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 784), dtype=np.uint8)
    return study.split_80_10_10(images, np.arange(n) % 10, seed=1)


def test_scratch_study_on_dask_equals_local_and_serial(cluster, monkeypatch):
    splits = _tiny_mnist_like()
    configs = ("relu/normal", "tanh/random")
    kwargs = dict(epochs=1, configs=configs, log_every=1)
    logs = {name: io.StringIO() for name in ("serial", "local", "dask")}
    with threadpool_limits(limits=1):
        serial = study.run_study(splits, stream=logs["serial"], **kwargs)
    local = _locally(monkeypatch, study.run_study, splits, stream=logs["local"], n_jobs=2, **kwargs)
    on_dask = study.run_study(splits, stream=logs["dask"], n_jobs=2, **kwargs)
    assert logs["serial"].getvalue() == logs["local"].getvalue() == logs["dask"].getvalue()
    assert list(on_dask) == list(configs)
    for runs in (local, on_dask):
        assert study.summarise_runs(runs) == study.summarise_runs(serial)  # bitwise
        for key in configs:
            ours, theirs = runs[key].model, serial[key].model
            assert ours.history_ == theirs.history_
            for a, b in zip(
                ours.weights + ours.biases, theirs.weights + theirs.biases, strict=True
            ):
                np.testing.assert_array_equal(a, b)
    # the rebuilt models go on exactly as the serial ones (same generator state)
    for key in configs:
        with threadpool_limits(limits=1):
            for runs in (serial, local, on_dask):
                runs[key].model.fit(splits.X_train, splits.y_train)
        for runs in (local, on_dask):
            np.testing.assert_array_equal(runs[key].model.weights[0], serial[key].model.weights[0])
    dask_keys = [key for key in cluster.recorder.tasks if key.startswith("_train_config_task-")]
    assert {key.split("-")[1] for key in dask_keys} == set(configs)


def test_activation_study_on_dask_equals_local(cluster, monkeypatch, small_data, capfd):
    local = _locally(
        monkeypatch,
        mlp_study.run_activation_study,
        small_data,
        2,
        ("relu", "tanh"),
        seed=0,
        n_jobs=2,
    )
    capfd.readouterr()
    on_dask = mlp_study.run_activation_study(small_data, 2, ("relu", "tanh"), seed=0)
    # nothing printed: a notebook's outputs are the same on a cluster (nbval compares them)
    assert "[dask]" not in "".join(capfd.readouterr())
    assert list(on_dask) == ["relu", "tanh"]
    for name in local:
        pd.testing.assert_frame_equal(on_dask[name], local[name], check_exact=True)


def test_grid_search_on_dask_equals_local_and_ships_no_data(cluster, monkeypatch, caplog):
    X, y = make_classification(
        n_samples=400, n_features=784, n_informative=20, n_classes=3, random_state=0
    )
    cluster.recorder.tasks.clear()
    local = _locally(
        monkeypatch,
        mlp_study.score_candidates,
        [4, 14],
        X,
        y,
        n_folds=2,
        n_epochs=2,
        seed=0,
        cv_seed=0,
    )
    with caplog.at_level(logging.INFO, logger="helpers.parallel"):
        on_dask = mlp_study.score_candidates(
            [4, 14], X, y, n_folds=2, n_epochs=2, seed=0, cv_seed=0
        )
    pd.testing.assert_frame_equal(on_dask, local, check_exact=True)
    # scikit-learn's fits ran on the cluster, referencing the scattered X ...
    fits = {
        key: spec for key, spec in cluster.recorder.tasks.items() if key.startswith("batch_of_")
    }
    assert fits, cluster.recorder.tasks
    assert all(size < X.nbytes / 20 for size, _ in fits.values()), fits
    assert all(deps for _, deps in fits.values()), fits
    # ... and the count of tasks per worker was reported at the end (to the log only)
    assert re.search(
        r"\[dask\] [1-9]\d* tasks finished on [12] workers: tcp://127\.0\.0\.1:", caplog.text
    ), caplog.text


def _blas_threads(_):
    from threadpoolctl import threadpool_info

    return sorted({info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"})


def test_blas_threads_are_set_in_every_task_on_dask(cluster):
    # Dask's nanny starts workers with 1 thread; asking for 2 shows the setting reaches them.
    with task_backend(blas_threads=2):
        seen = Parallel(n_jobs=2)(delayed(_blas_threads)(i) for i in range(4))
    assert all(threads == [2] for threads in seen), seen
    seen = run_tasks(_blas_threads, {str(i): (i,) for i in range(4)}, blas_threads=2)
    assert all(threads == [2] for threads in seen.values()), seen
    with task_backend(blas_threads=1):  # the plugin stays on the workers: back to 1
        seen = Parallel(n_jobs=2)(delayed(_blas_threads)(i) for i in range(2))
    assert all(threads == [1] for threads in seen), seen


# --------------------------------------------------------------- (b) failures and retries


def _die_once(key, marker_dir):
    """Task ``victim`` kills its worker process on its first attempt."""
    marker = os.path.join(marker_dir, "victim-died")
    if key == "victim" and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return f"{key} ran in process {os.getpid()}"


def test_a_killed_worker_loses_no_task(cluster, tmp_path):
    tasks = {key: (key, str(tmp_path)) for key in ("before", "victim", "after", "last")}
    progress = io.StringIO()
    results = run_tasks(_die_once, tasks, progress=progress)
    assert (tmp_path / "victim-died").exists()  # the worker really died once
    assert list(results) == list(tasks)
    assert all(results[key].startswith(f"{key} ran") for key in tasks)
    lines = progress.getvalue().splitlines()
    assert len(lines) == len(tasks) and all(line.startswith("[dask] ") for line in lines)
    assert any(" victim done on tcp://127.0.0.1:" in line for line in lines), lines


def _always_fail(key, attempts_dir):
    open(os.path.join(attempts_dir, uuid.uuid4().hex), "w").close()
    if key == "bad":
        raise ZeroDivisionError(f"{key} divides by zero")
    return key


def test_a_failing_task_is_retried_then_named(cluster, tmp_path):
    with pytest.raises(TaskError, match=r"task 'bad' failed: .*ZeroDivisionError: bad divides"):
        run_tasks(_always_fail, {"bad": ("bad", str(tmp_path))})
    assert len(list(tmp_path.iterdir())) == 1 + TASK_RETRIES


# ------------------------------------------------------------ (c) the data travel once


def _column_sum(key, column, X, y):
    return float(X[:, column].sum() + y.sum())


def test_shared_arrays_are_scattered_once_and_referenced(cluster):
    rng = np.random.default_rng(0)
    X, y = rng.random((1250, 800)), rng.integers(0, 10, 1250)  # X: 8 MB
    parallel.dask_client().wait_for_workers(2, timeout=30)  # after the killed one's restart
    cluster.recorder.tasks.clear()
    tasks = {f"column-{c}": (f"column-{c}", c) for c in range(6)}
    results = run_tasks(_column_sum, tasks, shared={"X": X, "y": y})
    assert results == {key: float(X[:, c].sum() + y.sum()) for key, (_, c) in tasks.items()}
    specs = {
        key: spec for key, spec in cluster.recorder.tasks.items() if key.startswith("_column_sum-")
    }
    assert {key.split("-")[2] for key in specs} == {str(c) for c in range(6)}
    assert all(size < 20_000 for size, _ in specs.values()), specs  # X is 8,000,000 bytes
    # X and y by reference, both already on both workers (broadcast) when any task started
    assert all(len(deps) == 2 and set(deps.values()) == {2} for _, deps in specs.values()), specs
