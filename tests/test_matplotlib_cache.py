"""A stale matplotlib font cache in the home folder must not change what notebooks print.

A grader's ``~/.cache/matplotlib/fontlist-*.json`` may have been written by another
installation whose font files are gone (a deleted virtual environment): matplotlib then
warns "findfont: Font family ... not found" on stderr for every figure, and nbval fails
on the unexpected stderr output. Every run here uses MPLCONFIGDIR inside build/.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.paths import BUILD_DIR, MPL_CONFIG_DIR, REPO_ROOT
from tools.verify import NBVAL_ARGS

FIGURE_WITH_MATHTEXT = (
    "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt;"
    "fig, ax = plt.subplots(); ax.set_title(r'$\\ln 10 \\approx 2.30$');"
    "fig.savefig(__import__('io').BytesIO(), format='png')"
)


def poisoned_home(tmp_path: Path) -> Path:
    """A home folder whose matplotlib font cache was written by another installation:
    one without the STIX fonts that mathtext falls back to (as the issue found it)."""
    fresh = tmp_path / "fresh-config"
    env = {**os.environ, "MPLCONFIGDIR": str(fresh)}
    subprocess.run([sys.executable, "-c", FIGURE_WITH_MATHTEXT], env=env, check=True)
    (cache,) = fresh.glob("fontlist-*.json")
    fonts = json.loads(cache.read_text())
    fonts["ttflist"] = [entry for entry in fonts["ttflist"] if not entry["name"].startswith("STIX")]
    home = tmp_path / "home"
    target = home / ".cache" / "matplotlib" / cache.name
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(fonts))
    return home


def run_figure(env):
    return subprocess.run(
        [sys.executable, "-c", FIGURE_WITH_MATHTEXT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_the_poisoned_cache_really_breaks_figures(tmp_path):
    """Without the project's MPLCONFIGDIR the stale cache makes figures warn."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
    }
    env["HOME"] = str(poisoned_home(tmp_path))
    assert "findfont" in run_figure(env).stderr


def test_project_runs_ignore_the_home_cache(tmp_path):
    assert Path(os.environ["MPLCONFIGDIR"]).resolve().is_relative_to(BUILD_DIR.resolve())
    env = {**os.environ, "HOME": str(poisoned_home(tmp_path))}
    assert run_figure(env).stderr == ""


def test_a_notebook_with_figures_still_verifies_with_a_poisoned_home(tmp_path):
    env = {**os.environ, "HOME": str(poisoned_home(tmp_path)), "MPLCONFIGDIR": str(MPL_CONFIG_DIR)}
    notebook = REPO_ROOT / "notebooks" / "02_svm_margins.ipynb"
    result = subprocess.run(
        [sys.executable, *NBVAL_ARGS, "-q", str(notebook)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
