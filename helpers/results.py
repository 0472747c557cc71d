"""Each notebook's key numbers as ``results/<notebook>.json`` (JSON, never pickle).

Committed results come from the default profile and live in ``results/``; other
profiles write to ``build/<profile>/results/`` so they never overwrite them.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from helpers.paths import BUILD_DIR, RESULTS_DIR
from helpers.profiles import get_profile

SCHEMA_VERSION = 1


def results_dir(profile: str) -> Path:
    """Folder that holds the results files of ``profile``."""
    get_profile(profile)  # validates the name
    return RESULTS_DIR if profile == "default" else BUILD_DIR / profile / "results"


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
    with sorted keys, so identical numbers give identical bytes.
    """
    out_dir = results_dir(profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "notebook": notebook,
        "profile": profile,
        "schema_version": SCHEMA_VERSION,
        "results": _to_builtin(payload),
    }
    text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
    target = out_dir / f"{notebook}.json"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{notebook}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be read
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_results(notebook: str, profile: str = "default") -> dict[str, Any]:
    """Read back what :func:`save_results` wrote (the whole document)."""
    path = results_dir(profile) / f"{notebook}.json"
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
