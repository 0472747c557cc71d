"""``make book``: the static site in ``build/book/`` from the committed, executed notebooks.

The engine is Jupyter Book 1's: Sphinx with MyST-NB and sphinx-book-theme, Python only, so
it builds offline from the pinned requirements. MathJax is served from the site itself
(sphinx-mathjax-offline), search is Sphinx's own index: no page requests anything from
another host. Nothing is executed: the pages show the outputs the notebooks were committed
with.

The pages are staged under ``build/book-src/`` in the repository's own layout, so the
relative links between them (``../theory/backprop_relu.md``, ``figures/03-fig1.png``) hold:

- ``book/conf.py``, ``book/index.md`` and ``book/favicon.svg`` (the configuration, the
  landing page and the site's icon);
- ``notebooks/NN_*.ipynb``, with their cell tags normalised (:func:`book_tags`);
- ``theory/*.md`` and ``results/REPORT.md``;
- every repository file that one of those links to, and so on: Sphinx shows images
  inline and offers other files (``helpers/ledger.toml``) as downloads; a linked Markdown
  file (``README.md``, ``data/README.md``) becomes a page of its own, outside the
  navigation (``orphan``), and its links are followed in turn.

A staged file is rewritten only when its bytes change, so a second build is incremental.
Sphinx runs with ``-W``: a warning (a broken link, an unreadable notebook) fails the build.

Cell tags the book honours (MyST-NB's, plus the repository's own):

===================== =============================================================
``remove-input``      the cell's code is left out of the page; its output is shown
``remove-cell``       the whole cell is left out
``hide-input``        the code is collapsed behind a toggle; the output is shown
``claim-check``       always treated as ``remove-input`` as well (its code never shows)
``parameters``,       papermill's cells: left out (``remove-cell``) unless the cell
``injected-parameters``  carries one of the three tags above
===================== =============================================================

A code cell that JupyterLab shows collapsed (``metadata.jupyter.source_hidden``) and has
none of the three visibility tags is treated as ``hide-input``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR, REPO_ROOT, relative
from tools.pipeline import list_notebooks

BOOK_DIR = REPO_ROOT / "book"
STAGE_DIR = BUILD_DIR / "book-src"
OUT_DIR = BUILD_DIR / "book"
DOCTREES = BUILD_DIR / "book-doctrees"

VISIBILITY_TAGS = ("remove-input", "remove-cell", "hide-input")
PAPERMILL_TAGS = ("parameters", "injected-parameters")

# Markdown links and images: ](target) or ](target "title"); HTML src/href attributes.
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:src|href)=\"([^\"]+)\"")


class BookError(RuntimeError):
    """The book could not be built (Sphinx's own messages are on stderr)."""


def book_tags(cell: dict) -> list[str]:
    """The tags the book renders ``cell`` with (see the module docstring)."""
    tags = list(cell.get("metadata", {}).get("tags", []))
    if cell.get("cell_type") != "code":
        return tags
    visible = not any(tag in tags for tag in VISIBILITY_TAGS)
    if "claim-check" in tags and "remove-input" not in tags and "remove-cell" not in tags:
        tags.append("remove-input")
    elif visible and any(tag in tags for tag in PAPERMILL_TAGS):
        tags.append("remove-cell")
    elif visible and cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
        tags.append("hide-input")
    return tags


def _notebook_for_book(path: Path) -> bytes:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = book_tags(cell)
        if tags:
            cell.metadata["tags"] = tags
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def _markdown_of(name: str, data: bytes) -> str:
    if not name.endswith(".ipynb"):
        return data.decode("utf-8")
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _linked_files(name: str, files: dict[str, bytes]) -> set[str]:
    """Repository files (relative paths) the page ``name`` of ``files`` links to, that exist."""
    found = set()
    for match in _LINK.finditer(_markdown_of(name, files[name])):
        target = (match.group(1) or match.group(2)).split("#")[0]
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
            continue  # an anchor, a URL (http:, mailto:, data:) or a site-absolute path
        resolved = (REPO_ROOT / name).parent.joinpath(target).resolve()
        if resolved.is_file() and resolved.is_relative_to(REPO_ROOT):
            found.add(resolved.relative_to(REPO_ROOT).as_posix())
    return found


def stage_files() -> dict[str, bytes]:
    """Every file of the book's source, by its path under ``build/book-src/``."""
    files: dict[str, bytes] = {
        "conf.py": (BOOK_DIR / "conf.py").read_bytes(),
        "index.md": (BOOK_DIR / "index.md").read_bytes(),
        "favicon.svg": (BOOK_DIR / "favicon.svg").read_bytes(),
    }
    for notebook in list_notebooks():
        files[f"notebooks/{notebook.name}"] = _notebook_for_book(notebook)
    for page in sorted((REPO_ROOT / "theory").glob("*.md")):
        files[f"theory/{page.name}"] = page.read_bytes()
    files["results/REPORT.md"] = (REPO_ROOT / "results" / "REPORT.md").read_bytes()
    pending = [name for name in files if name.endswith((".md", ".ipynb")) and name != "index.md"]
    while pending:
        for linked in sorted(_linked_files(pending.pop(), files)):
            if linked in files:
                continue
            data = (REPO_ROOT / linked).read_bytes()
            if linked.endswith(".md"):
                files[linked] = _orphan(data)
                pending.append(linked)
            else:
                files[linked] = data
    return files


def _orphan(markdown: bytes) -> bytes:
    """``markdown`` as a page outside the navigation (linked to, not listed)."""
    if markdown.startswith(b"---\n"):
        return b"---\norphan: true\n" + markdown[4:]
    return b"---\norphan: true\n---\n" + markdown


def stage(stage_dir: Path = STAGE_DIR, files: dict[str, bytes] | None = None) -> list[str]:
    """Write the book's source (``files``, else :func:`stage_files`) to ``stage_dir``.

    Returns the names of the files written or removed.
    """
    files = stage_files() if files is None else files
    changed = []
    for name, data in files.items():
        target = stage_dir / name
        if not target.is_file() or target.read_bytes() != data:
            atomic_write(target, data)
            changed.append(name)
    for old in sorted(stage_dir.rglob("*"), reverse=True):
        name = old.relative_to(stage_dir).as_posix()
        if old.is_file() and name not in files:
            old.unlink()
            changed.append(name)
        elif old.is_dir() and not any(old.iterdir()):
            old.rmdir()
    return changed


def build(
    out_dir: Path = OUT_DIR,
    stage_dir: Path = STAGE_DIR,
    doctrees: Path = DOCTREES,
    files: dict[str, bytes] | None = None,
) -> Path:
    """Stage the pages (``files``, else the repository's) and run Sphinx.

    Returns the site's ``index.html``; raises :class:`BookError` when Sphinx fails.
    """
    start = time.monotonic()
    changed = stage(stage_dir, files)
    staged = {p.relative_to(stage_dir).as_posix() for p in stage_dir.rglob("*") if p.is_file()}
    if "conf.py" in changed or any(name not in staged for name in changed):
        # Sphinx re-reads pages when a setting changes, not when conf.py's own code (the
        # launch links) does, and it never deletes the page of a removed source: after
        # either, the book is built from scratch.
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.rmtree(doctrees, ignore_errors=True)
    command = [
        sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going",
        "-d", str(doctrees), str(stage_dir), str(out_dir),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO_ROOT, check=False)
    if result.returncode != 0:
        raise BookError(
            f"make book: Sphinx failed (exit {result.returncode}); its warnings are above "
            f"(a warning fails the build). The staged source is in {relative(stage_dir)}/"
        )
    pages = sum(1 for p in out_dir.rglob("*.html") if p.relative_to(out_dir).parts[0][0] != "_")
    print(
        f"book: {relative(out_dir)}/index.html ({pages} pages, {len(changed)} source "
        f"files changed, {time.monotonic() - start:.0f} s)"
    )
    return out_dir / "index.html"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.book", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--clean", action="store_true", help="remove the previous build first")
    args = parser.parse_args(argv)
    if args.clean:
        for folder in (OUT_DIR, STAGE_DIR, DOCTREES):
            shutil.rmtree(folder, ignore_errors=True)
    try:
        build()
    except BookError as exc:
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
