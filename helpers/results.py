"""Each notebook's key numbers as JSON files (never pickle): the one module that reads
and writes them, and the tolerance file that says how a re-run is compared with them.

* ``results/<notebook>.json``: the committed run of the default profile, the reference
  that ``make verify`` checks a re-run against. Only the pipeline (``make run-all``)
  writes it, by :func:`promote`-ing a run's file once its whole notebook succeeded.
* ``build/<profile>/results/<notebook>.json``: what a run writes (:func:`save_results`),
  unless its run context names another folder (the tolerance measurement does).
* ``results/tolerances.json``: how far each trained number may move
  (:func:`load_tolerances`; written by ``make tolerances``).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR, REPO_ROOT, RESULTS_DIR, relative
from helpers.profiles import get_profile

SCHEMA_VERSION = 1
TOLERANCES_FILE = RESULTS_DIR / "tolerances.json"


class MissingResultsError(FileNotFoundError):
    """A committed results file that a run needs is not there (the message says how to
    create it)."""


def run_dir(profile: str, output_dir: str | Path | None = None) -> Path:
    """Where a run of ``profile`` writes its results: ``output_dir`` (relative paths from
    the repository root) or ``build/<profile>/results``."""
    get_profile(profile)  # validates the name
    if output_dir is not None and str(output_dir).strip():
        return REPO_ROOT / output_dir  # an absolute path stays absolute
    return BUILD_DIR / profile / "results"


def committed_path(notebook: str) -> Path:
    """``results/<notebook>.json``, the committed run."""
    return RESULTS_DIR / f"{notebook}.json"


def to_builtin(value: Any) -> Any:
    """Turn NumPy scalars/arrays and tuples into plain JSON types; reject NaN/inf."""
    if isinstance(value, dict):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_builtin(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_builtin(value.tolist())
    if isinstance(value, np.generic):
        return to_builtin(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"results must be finite numbers, got {value!r}")
    return value


def save_results(
    notebook: str, profile: str, payload: dict[str, Any], folder: str | Path | None = None
) -> Path:
    """Write ``payload`` for ``notebook`` (e.g. ``"03_scratch_nn"``) atomically into
    ``folder`` (default: :func:`run_dir`) and return the file's path.

    The file holds ``{"notebook", "profile", "schema_version", "results": payload}``
    with sorted keys, so identical numbers give identical bytes.
    """
    out_dir = run_dir(profile, folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "notebook": notebook,
        "profile": profile,
        "schema_version": SCHEMA_VERSION,
        "results": to_builtin(payload),
    }
    text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
    return atomic_write(out_dir / f"{notebook}.json", text)


def read_document(path: Path) -> dict[str, Any]:
    """A results file's whole document (``notebook``, ``profile``, ``results``, ...)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_committed(notebook: str, *, missing_ok: bool = False) -> dict[str, Any] | None:
    """The committed run's results payload (``results/<notebook>.json``).

    A missing file is :class:`MissingResultsError`, or ``None`` with ``missing_ok`` (a new
    notebook whose first run is being accepted). A file that holds another profile's run
    is a ``ValueError``.
    """
    path = committed_path(notebook)
    try:
        document = read_document(path)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise MissingResultsError(
            f"no committed run to verify against: {relative(path)} is missing "
            f"(make run-all ACCEPT=1 creates it)"
        ) from None
    if document.get("profile") != "default":
        raise ValueError(
            f"{relative(path)} holds profile {document.get('profile')!r}, "
            f"not the default profile's run"
        )
    return document["results"]


def promote(notebook: str, run_file: Path) -> Path:
    """Copy a successful default-profile run's results file into ``results/`` (the
    pipeline's step after the whole notebook ran)."""
    document = read_document(run_file)
    if document.get("notebook") != notebook or document.get("profile") != "default":
        raise ValueError(
            f"{relative(run_file)} is not a default-profile run of {notebook} "
            f"(it says {document.get('notebook')!r}, profile {document.get('profile')!r})"
        )
    target = committed_path(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(run_file, tmp)
    tmp.replace(target)
    return target


def load_tolerances_document(path: Path = TOLERANCES_FILE) -> dict[str, Any]:
    """``results/tolerances.json`` as a document (``{}`` if absent); its ``notebooks``
    entry maps each notebook to ``{leaf path: rule}`` (:mod:`helpers.verify`)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{relative(path)} is not valid JSON: {exc}") from None
