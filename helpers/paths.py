"""Where things live, relative to the repository root (never the current directory)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
DATA_DIR = REPO_ROOT / "data"
RESULTS_DIR = REPO_ROOT / "results"
BUILD_DIR = REPO_ROOT / "build"
#: matplotlib's config and font cache for every run (MPLCONFIGDIR): a stale cache in the
#: user's home folder must not change what a notebook prints.
MPL_CONFIG_DIR = BUILD_DIR / "mplconfig"


def relative(path: Path | str) -> str:
    """``path`` relative to the repository root when it lies inside it, for messages.

    Notebook outputs must not contain absolute paths: CI runs in another folder, and
    nbval compares outputs text for text.
    """
    path = Path(path).resolve()
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)
