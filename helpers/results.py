"""Each notebook's key numbers as ``results/<notebook>.json`` (JSON, never pickle).

Committed results come from the default profile and live in ``results/``. They are the
reference that ``make verify`` checks a re-run against, so only ``make run-all`` (the
pipeline, which sets ``NNSVM_COMMIT_RESULTS=1``) writes there. Every other run of a
notebook (Jupyter, nbval, another profile) writes ``build/<profile>/results/``, and
``NNSVM_RESULTS_DIR`` sends a run's results anywhere else (the tolerance measurement).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR, REPO_ROOT, RESULTS_DIR
from helpers.profiles import get_profile

SCHEMA_VERSION = 1


#: Set to "1" by the pipeline (``make run-all``): default-profile results go to results/.
COMMIT_VARIABLE = "NNSVM_COMMIT_RESULTS"
#: A folder that receives every results file of this run instead (relative to the repo).
RESULTS_DIR_VARIABLE = "NNSVM_RESULTS_DIR"


def results_dir(profile: str) -> Path:
    """Folder that holds the kept results of ``profile``: results/ for the default one."""
    get_profile(profile)  # validates the name
    return RESULTS_DIR if profile == "default" else BUILD_DIR / profile / "results"


def output_dir(profile: str) -> Path:
    """Folder this run writes its results to (see the module docstring)."""
    get_profile(profile)
    override = os.environ.get(RESULTS_DIR_VARIABLE, "").strip()
    if override:
        return REPO_ROOT / override  # an absolute path stays absolute
    if profile == "default" and os.environ.get(COMMIT_VARIABLE) == "1":
        return RESULTS_DIR
    return BUILD_DIR / profile / "results"


def _to_builtin(value: Any) -> Any:
    """Turn NumPy scalars/arrays and tuples into plain JSON types; reject NaN/inf."""
    if isinstance(value, dict):
        return {str(k): _to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_builtin(v) for v in value]
    if isinstance(value, np.ndarray):
        return _to_builtin(value.tolist())
    if isinstance(value, np.generic):
        return _to_builtin(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"results must be finite numbers, got {value!r}")
    return value


def save_results(notebook: str, profile: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` for ``notebook`` (e.g. ``"03_scratch_nn"``) atomically.

    The file holds ``{"notebook", "profile", "schema_version", "results": payload}``
    with sorted keys, so identical numbers give identical bytes. Where it goes:
    :func:`output_dir`.
    """
    out_dir = output_dir(profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "notebook": notebook,
        "profile": profile,
        "schema_version": SCHEMA_VERSION,
        "results": _to_builtin(payload),
    }
    text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
    return atomic_write(out_dir / f"{notebook}.json", text)


def load_results(notebook: str, profile: str = "default") -> dict[str, Any]:
    """Read back what :func:`save_results` wrote (the whole document)."""
    path = results_dir(profile) / f"{notebook}.json"
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
