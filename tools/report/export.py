"""``make html``: every executed notebook as HTML (nbconvert, images inline), plus an index.

nbconvert is imported inside :func:`export_notebooks_html`: it takes about a second to
import and only ``make html`` needs it, not ``make report``.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import nbformat

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR, NOTEBOOKS_DIR
from tools.pipeline import list_notebooks, output_path
from tools.report.figures import has_outputs, notebook_title


def export_notebooks_html(
    profile: str = "default", out_dir: Path | None = None, notebooks_dir: Path | None = None
) -> list[Path]:
    """Export every executed notebook of ``profile`` to HTML (images inline) + an index."""
    from nbconvert import HTMLExporter  # about a second to import: only here

    out_dir = out_dir or (
        BUILD_DIR / "html" if profile == "default" else BUILD_DIR / profile / "html"
    )
    exporter = HTMLExporter(template_name="lab")
    written, missing, items = [], [], []
    for source in list_notebooks(notebooks_dir or NOTEBOOKS_DIR):
        executed = output_path(source, profile)
        if not has_outputs(executed):
            missing.append(source.name)
            continue
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        target = out_dir / (source.stem + ".html")
        atomic_write(target, body.encode("utf-8"))
        written.append(target)
        title = notebook_title(executed)
        items.append(
            f'<li><a href="{html.escape(target.name)}">{html.escape(source.name)}</a>'
            f"{' - ' + html.escape(title) if title else ''}</li>"
        )
    index = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Executed notebooks</title></head><body><h1>Executed notebooks "
        f"(profile {html.escape(profile)})</h1><ul>{''.join(items)}</ul></body></html>\n"
    )
    atomic_write(out_dir / "index.html", index.encode("utf-8"))
    written.append(out_dir / "index.html")
    for name in missing:
        print(
            f"warning: notebooks/{name} has not been executed (no outputs) for profile "
            f"{profile}: run `make run-all` first; skipped",
            file=sys.stderr,
        )
    return written
