"""Serial against parallel: the notebooks' independent tasks, timed side by side.

``make bench-parallel`` runs ``python -m tools.bench_parallel``. Each workload runs both
ways in the same session, alternating, and the best of ``--rounds`` rounds counts (other
processes only ever slow a run down):

* ``scratch study`` (notebook 03): the twelve configurations for ``--epochs`` epochs on
  the default profile's 8,000 MNIST training images. *Serial*: one process, the BLAS
  threads the machine gives it (how notebook 03 trained before). *Parallel*:
  ``run_study(n_jobs=-1)``, one task per configuration, one BLAS thread per task.
* ``activation study`` (notebook 04): four ``MLPClassifier`` runs, ``--epochs`` epochs
  each. *Serial*: ``n_jobs=1``; *parallel*: ``n_jobs=-1``.
* ``grid search`` (notebook 05): 6 of the 18 candidates x 3 folds at ``--epochs`` epochs.
  *Serial*: ``n_jobs=1``; *parallel*: ``n_jobs=-1``.

Then the ceiling of the scratch study's speed-up (:func:`scratch_ceiling`): the study
trained in one process with 1 BLAS thread (``t_1``) and with one per core (``t_P``, as the
serial run). ``P`` one-thread processes can at best share ``t_1`` evenly, so no split of
the study over them beats about ``P * t_P / t_1``: the network spends most of its time in
matrix products, which BLAS already spreads over the cores.

Writes ``build/bench-parallel.json`` (``--json``) and prints a table with the speed-ups.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from helpers.parallel import ENGINE_VARIABLE, task_engine
from helpers.paths import BUILD_DIR, relative


def _time(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _workloads(epochs: int) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """``name -> (serial run, parallel run)``, each a no-argument callable."""
    from sklearn.model_selection import ParameterGrid

    from helpers import scratch_study, seeds
    from helpers.data import load_mnist_pool
    from helpers.fashion import load_fashion_splits
    from helpers.mlp_study import PARAM_GRID, run_activation_study, score_candidates

    images, labels = load_mnist_pool("default")
    mnist = scratch_study.split_80_10_10(images, labels, seed=seeds.MNIST_SPLIT_SEED)
    fashion = load_fashion_splits("default")
    X_cv = np.concatenate([fashion.X_train, fashion.X_val])
    y_cv = np.concatenate([fashion.y_train, fashion.y_val])
    candidates = list(range(0, len(ParameterGrid(PARAM_GRID)), 3))  # 6 of the 18

    def scratch(n_jobs):
        return lambda: scratch_study.run_study(
            mnist, epochs, log_every=0, n_jobs=n_jobs, stream=io.StringIO()
        )

    def activations(n_jobs):
        return lambda: run_activation_study(fashion.eval_sets(), epochs, n_jobs=n_jobs)

    def grid(n_jobs):
        return lambda: score_candidates(candidates, X_cv, y_cv, 3, epochs, n_jobs=n_jobs)

    return {
        "scratch study (12 configurations)": (scratch(None), scratch(-1)),
        "activation study (4 networks)": (activations(1), activations(-1)),
        "grid search (6 candidates x 3 folds)": (grid(1), grid(-1)),
    }


def run(epochs: int, rounds: int, names: Sequence[str] | None = None) -> list[dict]:
    """Time every workload ``rounds`` times each way, alternating; best round counts."""
    workloads = _workloads(epochs)
    rows = []
    for name, (serial, parallel) in workloads.items():
        if names and not any(part in name for part in names):
            continue
        times = {"serial": [], "parallel": []}
        for round_number in range(1, rounds + 1):
            for mode, function in (("serial", serial), ("parallel", parallel)):
                seconds = _time(function)
                times[mode].append(seconds)
                print(
                    f"  {name}: round {round_number}/{rounds}, {mode} {seconds:.1f} s", flush=True
                )
        best = {mode: min(values) for mode, values in times.items()}
        rows.append(
            {
                "workload": name,
                "serial_s": best["serial"],
                "parallel_s": best["parallel"],
                "speedup": best["serial"] / best["parallel"],
                "rounds": times,
            }
        )
    return rows


def scratch_ceiling(
    epochs: int, rounds: int, cores: int | None = None, configs: Sequence[str] | None = None
) -> dict:
    """The twelve-configuration study (or ``configs``) in this process, ``epochs`` epochs,
    timed with 1 BLAS thread and with ``cores`` (default: every core), alternating; the
    best of ``rounds`` counts.

    Returns the seconds and ``ceiling = cores * t_cores / t_1``: about the largest speed-up
    any split of the study into one-thread processes on ``cores`` cores can reach.
    """
    from threadpoolctl import threadpool_limits

    from helpers import scratch_study, seeds
    from helpers.data import load_mnist_pool

    cores = cores or os.cpu_count() or 1
    images, labels = load_mnist_pool("default")
    mnist = scratch_study.split_80_10_10(images, labels, seed=seeds.MNIST_SPLIT_SEED)

    def study():
        scratch_study.run_study(
            mnist,
            epochs,
            configs=configs or scratch_study.CONFIG_KEYS,
            log_every=0,
            stream=io.StringIO(),
        )

    times = {1: [], cores: []}
    for round_number in range(1, rounds + 1):
        for threads in times:
            with threadpool_limits(threads, user_api="blas"):
                seconds = _time(study)
            times[threads].append(seconds)
            print(
                f"  scratch study in one process: round {round_number}/{rounds}, {threads} "
                f"BLAS thread{'s' if threads > 1 else ''} {seconds:.1f} s",
                flush=True,
            )
    one, many = min(times[1]), min(times[cores])
    return {
        "cores": cores,
        "one_thread_s": one,
        "all_threads_s": many,
        "ceiling": cores * many / one,
        "rounds": {str(k): v for k, v in times.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_parallel", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds each way (default 2)")
    parser.add_argument("--only", nargs="*", help="workloads whose name contains one of these")
    parser.add_argument(
        "--json",
        default=str(BUILD_DIR / "bench-parallel.json"),
        help="where to write the results ('' for nowhere)",
    )
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.rounds < 1:
        parser.error("--epochs and --rounds must be at least 1")
    try:
        engine = task_engine()
    except ValueError as exc:
        parser.error(str(exc))
    if engine != "processes":  # the parallel runs would not be local processes
        parser.error(
            f"unset DASK_SCHEDULER_ADDRESS and {ENGINE_VARIABLE}: this compares local "
            f"serial and parallel runs (engine now: {engine})"
        )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{args.epochs} epochs, best of {args.rounds} rounds",
        flush=True,
    )
    rows = run(args.epochs, args.rounds, args.only)
    ran_scratch = any(row["workload"].startswith("scratch study") for row in rows)
    ceiling = scratch_ceiling(args.epochs, args.rounds) if ran_scratch else None
    print(f"\n{'workload':<40} {'serial':>9} {'parallel':>9} {'speed-up':>9}")
    for row in rows:
        print(
            f"{row['workload']:<40} {row['serial_s']:>8.1f}s {row['parallel_s']:>8.1f}s "
            f"{row['speedup']:>8.2f}x"
        )
    if ceiling:
        print(
            f"\nscratch study in one process: {ceiling['one_thread_s']:.1f} s with 1 BLAS "
            f"thread, {ceiling['all_threads_s']:.1f} s with {ceiling['cores']}; on "
            f"{ceiling['cores']} one-thread processes it can be at most about "
            f"{ceiling['cores']} x {ceiling['all_threads_s']:.1f} / "
            f"{ceiling['one_thread_s']:.1f} = {ceiling['ceiling']:.2f}x faster than serial"
        )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "epochs": args.epochs,
                    "rounds": args.rounds,
                    "cores": os.cpu_count(),
                    "rows": rows,
                    "scratch_ceiling": ceiling,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {relative(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
