"""The layout: ``helpers`` is the course code the notebooks import, ``tools`` the tooling.

Read with :mod:`ast` (notebook code cells through nbformat, IPython magics blanked):

* no notebook code cell and no ``helpers`` module imports ``tools`` in any form
  (``import tools``, ``import tools.x``, ``from tools import x``, ``from tools.x import
  y``, ``importlib.import_module("tools.x")``, ``__import__("tools")``);
* every module git tracks in ``helpers/`` is imported by some notebook, directly or
  through other helpers: one no notebook reaches is tooling and belongs in ``tools/``.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from helpers.paths import NOTEBOOKS_DIR, REPO_ROOT

HELPERS_DIR = REPO_ROOT / "helpers"


def _without_magics(source: str) -> str:
    """``source`` with IPython's ``%magic`` and ``!shell`` lines blanked (line numbers kept)."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def module_name(path: Path) -> str:
    """``helpers/data.py`` -> ``helpers.data``; ``helpers/__init__.py`` -> ``helpers``."""
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(source: str, package: str = "") -> Iterator[tuple[int, str]]:
    """``(line, dotted name)`` of every module ``source`` may import.

    ``from a.b import c`` yields ``a.b`` and ``a.b.c`` (``c`` may be a submodule);
    relative imports are resolved against ``package``; ``importlib.import_module`` and
    ``__import__`` calls with a literal name count too.
    """
    for node in ast.walk(ast.parse(_without_magics(source))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                yield node.lineno, first.value


def is_tools(name: str) -> bool:
    return name == "tools" or name.startswith("tools.")


def notebook_cells() -> Iterator[tuple[str, str]]:
    """``(where, source)`` of every code cell of ``notebooks/*.ipynb``."""
    notebooks = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    assert notebooks, f"no notebooks in {NOTEBOOKS_DIR}"
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                yield f"notebooks/{path.name}, cell {index}", cell.source


def helper_files() -> list[Path]:
    return sorted(p for p in HELPERS_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def tracked_helper_modules() -> dict[str, Path]:
    """``{module name: path}`` of every ``.py`` file ``git ls-files helpers`` lists."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "helpers"],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout ({exc})")
    paths = [REPO_ROOT / name for name in listed if name.endswith(".py")]
    return {module_name(path): path for path in paths}


def import_closure(sources: list[str], modules: dict[str, Path]) -> set[str]:
    """The ``modules`` that ``sources`` import, following imports between them.

    Importing ``helpers.x.y`` imports its packages ``helpers`` and ``helpers.x`` too.
    """

    def reached(names: Iterator[tuple[int, str]]) -> set[str]:
        found = set()
        for _, name in names:
            parts = name.split(".")
            found |= {
                m for m in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if m in modules
            }
        return found

    todo = set()
    for source in sources:
        todo |= reached(imports(source))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = modules[name]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo |= reached(imports(path.read_text(encoding="utf-8"), package)) - seen
    return seen


# ------------------------------------------------------------------------------ tests


def test_notebooks_never_import_tools():
    offenders = [
        f"{where}, line {line}: imports {name}"
        for where, source in notebook_cells()
        for line, name in imports(source)
        if is_tools(name)
    ]
    assert not offenders, (
        "notebooks import the repository's tooling; move what they need "
        "into helpers/:\n  " + "\n  ".join(offenders)
    )


def test_helpers_never_import_tools():
    offenders = []
    for path in helper_files():
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        offenders += [
            f"{path.relative_to(REPO_ROOT)}, line {line}: imports {imported}"
            for line, imported in imports(path.read_text(encoding="utf-8"), package)
            if is_tools(imported)
        ]
    assert not offenders, (
        "helpers must not depend on tools; move the piece it needs into "
        "helpers/:\n  " + "\n  ".join(offenders)
    )


def test_every_helper_is_imported_by_a_notebook():
    modules = tracked_helper_modules()
    assert "helpers" in modules and len(modules) > 1
    reached = import_closure([source for _, source in notebook_cells()], modules)
    unused = sorted(set(modules) - reached)
    assert not unused, (
        "helpers modules no notebook imports, directly or through other "
        "helpers (tooling belongs in tools/): " + ", ".join(unused)
    )


# ------------------------------------------------------------- the checks themselves


@pytest.mark.parametrize(
    "source",
    [
        "import tools",
        "import tools.report",
        "import numpy, tools.pipeline as p",
        "from tools import verify",
        "from tools.report.cli import main",
        "import importlib\nimportlib.import_module('tools.bench')",
        "__import__('tools')",
        "%matplotlib inline\nif True:\n    from tools import student",
    ],
)
def test_every_form_of_importing_tools_is_caught(source):
    assert any(is_tools(name) for _, name in imports(source))


@pytest.mark.parametrize(
    "source",
    [
        "import toolsy",
        "from helpers import tools_like",
        "x = 'tools'",
        "from . import tools",
    ],
)
def test_look_alikes_are_not_imports_of_tools(source):
    assert not any(is_tools(name) for _, name in imports(source, "helpers"))


def test_closure_follows_helpers_and_relative_imports(tmp_path):
    modules = {
        "helpers": tmp_path / "__init__.py",
        "helpers.a": tmp_path / "a.py",
        "helpers.b": tmp_path / "b.py",
        "helpers.c": tmp_path / "c.py",
        "helpers.unused": tmp_path / "unused.py",
    }
    modules["helpers"].write_text("")
    modules["helpers.a"].write_text("from helpers.b import f\n")
    modules["helpers.b"].write_text("from . import c\n\ndef f():\n    pass\n")
    modules["helpers.c"].write_text("import numpy\n")
    modules["helpers.unused"].write_text("from helpers import a\n")
    reached = import_closure(["%load_ext autoreload\nfrom helpers import a"], modules)
    assert reached == {"helpers", "helpers.a", "helpers.b", "helpers.c"}
