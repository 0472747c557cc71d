"""Writing a built report: figures, ``REPORT.md``, ``report.html`` and the README block.

Each file is written atomically (temporary file + rename); a figure whose bytes did not
change is left alone, and stale figures of an earlier report are removed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.files import atomic_write
from helpers.paths import relative
from tools.report.build import Report
from tools.report.figures import FIGURE_NAME, FIGURES_DIR_NAME
from tools.report.readme import README_END, README_START, replace_readme_block


def write_report(report: Report, folder: Path, readme_path: Path | None = None) -> list[Path]:
    """Write the built report into ``folder`` (and the README block); return the paths.

    Stale ``NN-figK.png`` files of an earlier report are removed.
    """
    written = []
    figures_dir = folder / FIGURES_DIR_NAME
    names = {fig.filename for fig in report.figures}
    for fig in report.figures:
        target = figures_dir / fig.filename
        if not target.is_file() or target.read_bytes() != fig.png:
            atomic_write(target, fig.png)
        written.append(target)
    if figures_dir.is_dir():
        for stale in figures_dir.glob("*.png"):
            if FIGURE_NAME.match(stale.name) and stale.name not in names:
                stale.unlink()
    for name, text in (("REPORT.md", report.markdown), ("report.html", report.html)):
        atomic_write(folder / name, text.encode("utf-8"))
        written.append(folder / name)
    if readme_path is not None:
        if not readme_path.is_file():
            print(
                f"note: {relative(readme_path)} does not exist; results block not written",
                file=sys.stderr,
            )
        else:
            text = readme_path.read_text(encoding="utf-8")
            try:
                new = replace_readme_block(text, report.readme_block)
            except ValueError:
                print(
                    f"note: {relative(readme_path)} has no {README_START} / {README_END} "
                    "markers; results block not written",
                    file=sys.stderr,
                )
            else:
                if new != text:
                    atomic_write(readme_path, new.encode("utf-8"))
                written.append(readme_path)
    return written
