"""Where the grader writes, and how: only under one folder, atomically.

The command line always writes under :data:`GRADING_DIR` (``build/grading/``).
Output names are derived from submission file names, which are untrusted: they are
reduced to ``[A-Za-z0-9_.-]`` and every target is checked to lie inside the output
folder before anything is written.
"""

from __future__ import annotations

import re
from pathlib import Path

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR

GRADING_DIR = BUILD_DIR / "grading"

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class OutputPathError(ValueError):
    """A target path would leave the output folder."""


def safe_stem(name: str) -> str:
    """A file-name stem made only of ``[A-Za-z0-9_.-]`` (never empty, never hidden).

    ``"../x; rm -rf ~.toml"`` -> ``"x_rm_-rf_"``-like text: runs of other characters
    become one ``_`` and leading dots are dropped.
    """
    stem = _UNSAFE.sub("_", Path(name).stem).lstrip(".") or "submission"
    return stem[:80]


def unique_stems(names: list[str]) -> list[str]:
    """:func:`safe_stem` of each name, with ``-2``, ``-3``... added to repeats."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        stem = safe_stem(name)
        seen[stem] = seen.get(stem, 0) + 1
        out.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return out


def inside(root: Path, name: str) -> Path:
    """``root / name``, refusing any name that would resolve outside ``root``."""
    root = Path(root).resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise OutputPathError(f"refusing to write {name!r}: not directly inside {root.name}/")
    return target


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` via a temporary file + rename.

    A reader never sees a half-written file; on error nothing is left behind.
    """
    atomic_write(path, text)
