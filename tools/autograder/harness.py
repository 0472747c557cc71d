"""The sandboxed child: run one test's cases on the submission, print results, nothing else.

Started by :mod:`tools.autograder.sandbox` as ``python -I _harness.py`` in a scratch
folder that holds only this file, ``_calls.py`` and ``helpers/`` (the hand-out's
helpers with the submission's files laid over them). It reads one JSON request from
stdin: ``{"nonce", "module", "tests": [{"name", "seconds", "cases": [{"call", "args"}]}],
"read_roots": [...]}`` and writes one line per case, ``<nonce> {"test", "case", "ok"}``
or ``... "error"}``, to the stdout it started with, as soon as the case is done; anything
the submission prints goes to stderr. Each test has ``seconds`` of wall-clock time
(SIGALRM raises ``TestTimeout`` in the submission's code); code that swallows it, or
hangs inside C, is stopped by the parent's limits instead.

Before the submission is imported, an audit hook (PEP 578) refuses: opening a file
outside the scratch folder and the Python installation (so not the hidden tests),
writing outside the scratch folder, any socket, starting processes (subprocess,
os.system, exec, spawn, fork), signals, and ctypes. It is a tripwire against honest
mistakes and casual snooping, not a security boundary: code in the same interpreter can
defeat it (see README, Grading, "What the isolation does not stop").
"""

# What the helpers import, loaded before the hook: their files and shared libraries are
# read here, so the hook can refuse ctypes and every path outside the installation.
import fractions  # noqa: F401
import itertools  # noqa: F401
import json
import math  # noqa: F401
import os
import pathlib  # noqa: F401
import sys
import typing  # noqa: F401

import numpy  # noqa: F401
import scipy.linalg.blas  # noqa: F401

SCRATCH = os.path.dirname(os.path.abspath(__file__))


def _install_guard(read_roots):
    scratch = os.path.realpath(SCRATCH) + os.sep
    roots = tuple(os.path.realpath(r) + os.sep for r in read_roots) + (scratch,)
    devices = frozenset({"/dev/null", "/dev/urandom"})
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    refused_prefixes = (
        "socket.",
        "subprocess.",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "pty.",
        "ctypes.",
        "signal.",
        "os.putenv",
        "os.unsetenv",
        "os.chmod",
        "os.chown",
        "os.symlink",
        "os.link",
        "os.truncate",
    )

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return
            real = os.path.realpath(os.fsdecode(path))
            writing = any(c in str(mode or "") for c in "wax+") or bool((flags or 0) & write_flags)
            if real in devices:
                return
            if writing and not (real + os.sep).startswith(scratch) and real != scratch[:-1]:
                raise PermissionError(f"the autograder refuses writing {path!r}")
            if not writing and not any((real + os.sep).startswith(r) for r in roots):
                raise PermissionError(f"the autograder refuses opening {path!r}")
        elif event.startswith(refused_prefixes):
            raise PermissionError(f"the autograder refuses {event}")

    sys.addaudithook(hook)


class TestTimeout(Exception):
    """Raised in the submission's code when a test's time is up."""


def _alarm(signum, frame):
    raise TestTimeout("the test's time limit was reached (an endless loop?)")


def main():
    request = json.loads(sys.stdin.read())
    nonce = request["nonce"]
    result_fd = os.dup(1)
    os.dup2(2, 1)  # the submission's prints go to stderr
    results = os.fdopen(result_fd, "w", buffering=1)
    # only the scratch folder and the installation's own paths: never the repository
    prefixes = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix})
    sys.path[:] = [SCRATCH] + [
        p for p in sys.path if p and os.path.realpath(p).startswith(prefixes)
    ]
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    for name in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        del sys.modules[name]
    import importlib
    import signal

    import _calls

    signal.signal(signal.SIGALRM, _alarm)
    _install_guard(request["read_roots"])
    modules = {}
    module = request["module"]
    for test in request["tests"]:
        signal.setitimer(signal.ITIMER_REAL, float(test["seconds"]))
        for index, case in enumerate(test["cases"]):
            try:
                if module not in modules:
                    modules[module] = importlib.import_module(f"helpers.{module}")
                value = _calls.call(modules, case["call"], case["args"])
                line = {"test": test["name"], "case": index, "ok": value}
            except BaseException as exc:  # noqa: BLE001 - every failure is reported
                if isinstance(exc, KeyboardInterrupt):
                    raise
                error = f"{type(exc).__name__}: {exc}"[:500]
                line = {"test": test["name"], "case": index, "error": error}
            try:
                text = json.dumps(line, allow_nan=True)
            except (TypeError, ValueError) as exc:
                line = {"test": test["name"], "case": index, "error": f"unreadable result: {exc}"}
                text = json.dumps(line)[:1000]
            results.write(f"{nonce} {text}\n")
        signal.setitimer(signal.ITIMER_REAL, 0)
    results.close()


if __name__ == "__main__":
    main()
