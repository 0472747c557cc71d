"""``make cluster-demo``: the smoke notebooks on a Dask cluster made of this machine.

Starts ``dask scheduler`` on 127.0.0.1 (a free port, read back from its scheduler file)
and two ``dask worker`` processes with one thread each, then runs
``make run-all PROFILE=smoke`` with ``DASK_SCHEDULER_ADDRESS`` pointing at the scheduler,
so every independent task that :mod:`helpers.parallel` runs goes to the workers
(notebook 04's activation study, notebook 05's grid search; notebook 03 trains serially
unless told otherwise). At the end it prints how many tasks each worker finished, from
the scheduler's task stream. The scheduler and the workers are always stopped, on an
error or Ctrl-C too. Their logs go to ``build/cluster-demo/``.

The smoke profile writes only ``build/smoke/`` (notebooks and results), never the
committed ones. Its run stamps (``build/smoke/run-stamps.json``, a cache) are removed
first, so that every smoke notebook runs again.

``python -m tools.cluster_demo [--workers N] [-- COMMAND ...]`` runs another command
instead (an argument list, never a shell string).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from helpers.paths import BUILD_DIR, REPO_ROOT, relative

DEMO_DIR = BUILD_DIR / "cluster-demo"
SMOKE_STAMPS = BUILD_DIR / "smoke" / "run-stamps.json"
DEFAULT_COMMAND = ("make", "run-all", "PROFILE=smoke")
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class DemoError(RuntimeError):
    """The cluster did not come up (the message says which process and where its log is)."""


def _environment(address: str | None = None) -> dict[str, str]:
    """This process's environment, with the repository first on ``PYTHONPATH`` (workers
    must import the same ``helpers`` as the notebooks) and, given, the scheduler."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    )
    if address is not None:
        env[SCHEDULER_VARIABLE] = address
    return env


def _start(command: list[str], log: Path) -> subprocess.Popen:
    """Start ``command`` in its own session (Ctrl-C reaches only this script, which then
    stops the cluster in order), output to ``log``."""
    with open(log, "w") as handle:
        return subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            env=_environment(),
            start_new_session=True,
        )


def _wait_for_address(scheduler_file: Path, scheduler: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise DemoError(
                f"the scheduler exited with code {scheduler.returncode}; see {relative(log)}"
            )
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.2)
    raise DemoError(
        f"the scheduler wrote no address within {START_TIMEOUT_S:g} s; see {relative(log)}"
    )


def _stop(processes: list[tuple[str, subprocess.Popen]]) -> None:
    """SIGTERM (Dask closes cleanly), then SIGKILL after :data:`STOP_TIMEOUT_S`."""
    for _, process in processes:
        if process.poll() is None:
            process.terminate()
    for name, process in processes:
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(
                f"cluster-demo: {name} did not stop in {STOP_TIMEOUT_S:g} s; killing it", flush=True
            )
            process.kill()
            process.wait()


def _run_command(command: Sequence[str], env: dict[str, str]) -> int:
    """Run ``command`` in its own process group; on Ctrl-C (or SIGTERM) the group gets
    SIGINT, and SIGKILL if it is still there after :data:`STOP_TIMEOUT_S`."""
    process = subprocess.Popen(list(command), cwd=REPO_ROOT, env=env, start_new_session=True)
    try:
        return process.wait()
    except BaseException:
        for sig in (signal.SIGINT, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
                break
            except subprocess.TimeoutExpired:
                continue
        raise


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def task_kind(key: str) -> str:
    """``"_train_one_activation"`` for a run_tasks key ``<function>-<task>-<token>``,
    ``"joblib batch of <function>"`` for joblib's dask backend (``batch_of_<f>_<n>_calls-...``)."""
    if key.startswith(("batch_of_", "mixed_batch_of_")):
        name = key.split("batch_of_", 1)[1].rsplit("-", 1)[0]
        return f"joblib batch of {name.rsplit('_', 2)[0]}"
    return key.split("-", 1)[0]


def summarise(records: Sequence[dict], names: dict[str, object]) -> list[str]:
    """Lines: tasks finished per worker (address and name) and per kind of task."""
    per_worker: dict[str, Counter] = defaultdict(Counter)
    failed = 0
    for record in records:
        if record.get("status", "OK") != "OK":
            failed += 1
            continue
        per_worker[str(record.get("worker"))][task_kind(str(record.get("key")))] += 1
    lines = [
        f"{sum(sum(c.values()) for c in per_worker.values())} tasks finished on "
        f"{len(per_worker)} workers ({failed} failed attempts):"
    ]
    for address in sorted(per_worker):
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(per_worker[address].items()))
        name = names.get(address, "gone (restarted)")
        lines.append(f"  {address} ({name}): {sum(per_worker[address].values())} ({kinds})")
    return lines


def run_demo(command: Sequence[str], n_workers: int = 2) -> int:
    from distributed import Client, get_task_stream

    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    scheduler_file = DEMO_DIR / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    python = sys.executable
    processes: list[tuple[str, subprocess.Popen]] = []
    client = None
    start = time.perf_counter()
    try:
        log = DEMO_DIR / "scheduler.log"
        scheduler = _start(
            [
                python,
                "-m",
                "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            log,
        )
        processes.append(("scheduler", scheduler))
        address = _wait_for_address(scheduler_file, scheduler, log)
        print(f"cluster-demo: scheduler at {address} (log {relative(log)})", flush=True)
        for i in range(1, n_workers + 1):
            name = f"demo-worker-{i}"
            worker_log = DEMO_DIR / f"{name}.log"
            processes.insert(
                0,
                (
                    name,
                    _start(
                        [
                            python,
                            "-m",
                            "dask",
                            "worker",
                            address,
                            "--name",
                            name,
                            "--nthreads",
                            "1",
                            "--nworkers",
                            "1",
                            "--host",
                            "127.0.0.1",
                            "--no-dashboard",
                            "--local-directory",
                            str(DEMO_DIR / name),
                        ],
                        worker_log,
                    ),
                ),
            )
        client = Client(address, timeout=START_TIMEOUT_S, set_as_default=False)
        client.wait_for_workers(n_workers, timeout=START_TIMEOUT_S)
        workers = client.scheduler_info(n_workers=-1)["workers"]
        for worker_address, info in sorted(workers.items()):
            print(
                f"cluster-demo: worker {info.get('name')} at {worker_address}, "
                f"{info.get('nthreads')} thread",
                flush=True,
            )
        SMOKE_STAMPS.unlink(missing_ok=True)  # a cache: every smoke notebook runs again
        print(f"cluster-demo: {SCHEDULER_VARIABLE}={address} {' '.join(command)}", flush=True)
        with get_task_stream(client=client) as stream:
            code = _run_command(command, _environment(address))
        names = {
            a: info.get("name")
            for a, info in client.scheduler_info(n_workers=-1)["workers"].items()
        }
        for line in summarise(stream.data, names):
            print(f"cluster-demo: {line}", flush=True)
        print(
            f"cluster-demo: command exited with {code}; wall time "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
        return code
    finally:
        if client is not None:
            client.close()
        _stop([p for p in processes if p[0] != "scheduler"])  # workers first
        _stop([p for p in processes if p[0] == "scheduler"])
        print("cluster-demo: scheduler and workers stopped", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = list(DEFAULT_COMMAND)
    if "--" in argv:
        cut = argv.index("--")
        argv, command = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m tools.cluster_demo",
        description="Run the smoke notebooks (or COMMAND after --) on a local Dask cluster.",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    if args.workers < 1 or not command:
        parser.error("need at least one worker and a command")
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    signal.signal(signal.SIGTERM, _interrupt)  # stop the cluster on SIGTERM too
    try:
        return run_demo(command, args.workers)
    except DemoError as exc:
        print(f"cluster-demo: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cluster-demo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
