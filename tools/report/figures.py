"""The figures (``image/png`` outputs) and titles of the executed notebooks."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

FIGURES_DIR_NAME = "figures"
FIGURE_NAME = re.compile(r"^\d\d-fig\d+\.png$")


@dataclass(frozen=True)
class Figure:
    """One ``image/png`` output of an executed notebook."""

    notebook: str  # results name, e.g. "03_scratch_nn"
    number: int  # 1-based within the notebook
    caption: str
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.notebook[:2]}-fig{self.number}.png"

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def heading_of(source: str) -> str | None:
    for line in source.splitlines():
        match = re.match(r"^#{1,6}\s+(.*\S)\s*$", line)
        if match:
            return match.group(1)
    return None


def notebook_figures(path: Path, name: str) -> list[Figure]:
    """Every PNG output of the executed notebook at ``path``, captioned by its section."""
    nb = nbformat.read(path, as_version=4)
    figures: list[Figure] = []
    section = name
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            section = heading_of(cell.source) or section
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {}) if isinstance(output, Mapping) else {}
            png = data.get("image/png")
            if not png:
                continue
            text = png if isinstance(png, str) else "".join(png)
            raw = base64.b64decode("".join(text.split()))
            figures.append(
                Figure(
                    notebook=name,
                    number=len(figures) + 1,
                    caption=f"{name[:2]} · {section} (figure {len(figures) + 1})",
                    png=raw,
                )
            )
    return figures


def notebook_title(path: Path) -> str | None:
    """The first Markdown heading of the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            title = heading_of(cell.source)
            if title:
                return title
    return None


def has_outputs(path: Path) -> bool:
    """Whether the notebook at ``path`` exists and has been executed (has any output)."""
    if not path.is_file():
        return False
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "code" and c.get("outputs") for c in nb.cells)
