"""Run a submission's functions in a separate, limited process (the parent side).

:func:`prepare_scratch` copies the child harness, the call adapters and the helpers
(the hand-out's, with the submission's files laid over them) into a fresh scratch
folder; :func:`run_tests` starts ``python -I _harness.py`` there, one child per module,
and sends it the tests' inputs on stdin. The child gets:

* a wall-clock limit per test (SIGALRM inside the child) and for the whole child (its
  process group is killed when it expires; a fresh child takes the tests after it);
* ``resource.setrlimit`` limits: CPU seconds, address space, size of any file written,
  no core dumps, a bounded number of open files;
* no network: ``unshare -n`` (an empty network namespace) when this process may create
  one (root, or a kernel that allows unprivileged user namespaces; checked once by
  running ``unshare -n true``); always, the harness's audit hook refuses sockets;
* a scratch working directory and HOME, a minimal environment (no PYTHONPATH, one BLAS
  thread), ``-I`` (no user site, no PYTHON* variables);
* the audit hook of :mod:`tools.autograder.harness` (no reads outside the scratch
  folder and the Python installation, no processes, no ctypes).

Expected values are never sent to the child; it returns what the submission computed
and the parent compares.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBMISSION_FILES = ("backprop.py", "svm.py", "scratch_nn.py")


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0  # per test
    startup_seconds: float = 20.0  # per child: Python, NumPy and SciPy start
    cpu_seconds: int = 0  # RLIMIT_CPU of a child: set from its tests' wall time
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 16 * 1024**2
    open_files: int = 256


@dataclass(frozen=True)
class ChildResult:
    """One case's outcome: ``value`` (JSON) when ``error`` is None."""

    value: object = None
    error: str | None = None


@functools.cache
def network_namespace_available() -> bool:
    """Whether ``unshare -n`` works here (root or unprivileged user namespaces)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        done = subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def isolation_summary() -> str:
    """One line for the staff output: which isolation this run had."""
    net = (
        "no network (unshare -n: an empty network namespace)"
        if network_namespace_available()
        else "no network namespace here (unshare -n not permitted): only the audit hook "
        "refuses sockets"
    )
    return (
        "each submitted file's tests in their own process (a fresh one after a crash or "
        f"overrun) with time, CPU, memory and file-size limits; {net}"
    )


def child_read_roots(hidden: Path = HERE) -> list[str]:
    """The folders the child may read besides its scratch folder: the Python installation.

    Refuses to run when the hidden tests lie inside one of them (a grader installed
    inside its own venv's prefix, say): the child could then read them.
    """
    roots = sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)})
    for root in roots:
        if Path(os.path.realpath(hidden)).is_relative_to(root):
            raise RuntimeError(
                f"the hidden tests ({hidden}) lie inside the Python installation ({root}), "
                "which the sandboxed child may read: install the grader elsewhere"
            )
    return roots


def _limit(limits: Limits) -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))


def prepare_scratch(base_helpers: Path, submission: dict[str, Path]) -> Path:
    """A scratch folder: harness, adapters, ``helpers/`` with the submission laid over."""
    scratch = Path(tempfile.mkdtemp(prefix="autograder-"))
    shutil.copyfile(HERE / "harness.py", scratch / "_harness.py")
    shutil.copyfile(HERE / "calls.py", scratch / "_calls.py")
    shutil.copytree(base_helpers, scratch / "helpers", symlinks=False)
    for name, path in submission.items():
        if name not in SUBMISSION_FILES:
            raise ValueError(f"not a submission file: {name}")
        shutil.copyfile(path, scratch / "helpers" / name)
    return scratch


def run_tests(
    scratch: Path, module: str, tests: list[dict], limits: Limits = Limits()
) -> dict[str, tuple[list[ChildResult], str]]:
    """Run ``tests`` (``{"name", "cases"}``, one module) in sandboxed children.

    Returns ``{name: (results per answered case, problem)}``; ``problem`` is "" when the
    test ran to its end. One child runs the tests in order, each with
    ``limits.wall_seconds``; when a child dies or overruns, the test it was in gets the
    reason and a fresh child carries on with the tests after it.
    """
    outcome: dict[str, tuple[list[ChildResult], str]] = {}
    pending = list(tests)
    while pending:
        answered, problem = _one_child(scratch, module, pending, limits)
        for test in list(pending):  # every pass removes at least the first test
            got = answered.get(test["name"], [])
            pending.remove(test)
            if len(got) == len(test["cases"]):
                outcome[test["name"]] = (got, "")
            else:
                outcome[test["name"]] = (got, problem or "the test process ended early")
                break  # the child died in this test; the rest get a fresh child
    return outcome


def _one_child(
    scratch: Path, module: str, tests: list[dict], limits: Limits
) -> tuple[dict[str, list[ChildResult]], str]:
    nonce = secrets.token_hex(16)
    read_roots = child_read_roots()
    request = json.dumps(
        {
            "nonce": nonce,
            "module": module,
            "tests": [{**t, "seconds": limits.wall_seconds} for t in tests],
            "read_roots": read_roots,
        }
    )
    command = [sys.executable, "-I", str(scratch / "_harness.py")]
    if network_namespace_available():
        command = [shutil.which("unshare") or "unshare", "-n", *command]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    # the whole child: every test's time plus start-up; its CPU limit likewise
    wall = limits.wall_seconds * len(tests) + limits.startup_seconds
    child_limits = replace(limits, cpu_seconds=int(wall) + 1)
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell; the child is limited
        command,
        cwd=scratch,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=functools.partial(_limit, child_limits),  # noqa: PLW1509 - rlimits need it
    )
    problem = ""
    try:
        stdout, stderr = process.communicate(request, timeout=wall)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        problem = (
            f"stopped: over {limits.wall_seconds:g} s of wall-clock time (an endless loop "
            "that ignores the time limit?)"
        )
    answered: dict[str, list[ChildResult]] = {}
    for line in stdout.splitlines():
        if line.startswith(nonce + " "):
            payload = json.loads(line[len(nonce) + 1 :])
            answered.setdefault(payload["test"], []).append(
                ChildResult(payload.get("ok"), payload.get("error"))
            )
    code = process.returncode
    if not problem and code is not None and code < 0:
        name = signal.Signals(-code).name
        reason = {
            "SIGXCPU": "used more than its CPU time",
            "SIGKILL": "was killed (CPU time or memory limit)",
            "SIGSEGV": "crashed (segmentation fault)",
        }.get(name, f"was stopped by {name}")
        problem = f"the test process {reason}"
    elif not problem and code:
        tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
        problem = "the test process ended early" + (f": {tail[0][:300]}" if tail else "")
    return answered, problem


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
