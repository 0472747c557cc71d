"""Where the grader writes, and how: only under one folder, atomically.

The command line always writes under :data:`GRADING_DIR` (``build/grading/``).
Output names are derived from submission file names, which are untrusted: they are
NFC-normalised, reduced to letters, digits (any script) and ``_.-``, and every target is
checked to lie inside the output folder before anything is written. Names that still
collide (``José`` typed with a combining accent and without, ``Alice`` and ``alice`` on
a case-insensitive file system) are told apart with ``-2``, ``-3`` and reported.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR

GRADING_DIR = BUILD_DIR / "grading"

_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of every script, and _


class OutputPathError(ValueError):
    """A target path would leave the output folder."""


def safe_stem(name: str) -> str:
    """A file-name stem of letters, digits, ``_``, ``.``, ``-`` (never empty, never hidden).

    NFC-normalised, so ``José`` typed either way is one name; letters of any script
    stay (``Zoë``, ``王芳``); runs of other characters (separators, spaces, ``;``,
    control characters) become one ``_`` and leading dots are dropped.
    """
    stem = unicodedata.normalize("NFC", Path(name).stem)
    stem = _UNSAFE.sub("_", stem).lstrip(".") or "submission"
    return stem[:80]


def _fold(stem: str) -> str:
    """The key under which two stems would be one file on a case-insensitive system."""
    return unicodedata.normalize("NFC", stem.casefold())


def unique_stems(names: list[str]) -> list[str]:
    """:func:`safe_stem` of each name, with ``-2``, ``-3``... added to repeats.

    Repeats are counted case-insensitively, so no two reports share a file on macOS or
    Windows either.
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        stem = safe_stem(name)
        key = _fold(stem)
        seen[key] = seen.get(key, 0) + 1
        out.append(stem if seen[key] == 1 else f"{stem}-{seen[key]}")
    return out


def stem_collisions(names: list[str]) -> list[str]:
    """One line per group of names that map to one report name (before ``-2``...)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(_fold(safe_stem(name)), []).append(name)
    return [
        f"{', '.join(repr(n) for n in group)} share the report name {safe_stem(group[0])!r}: "
        f"reports {', '.join(unique_stems(group))}"
        for group in groups.values()
        if len(group) > 1
    ]


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
