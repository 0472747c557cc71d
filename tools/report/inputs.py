"""The report's inputs: one profile's results files, validated, and the ledger compared.

Every problem found (a results file missing, not JSON, of the wrong schema, from another
profile, or lacking a key the ledger names) becomes one line of a :class:`ReportError`
that says how to re-create the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import ledger as ledger_mod
from helpers.ledger import LedgerEntry, LedgerRow
from helpers.paths import BUILD_DIR, NOTEBOOKS_DIR, RESULTS_DIR, relative
from helpers.profiles import PROFILE_NAMES, get_profile
from helpers.results import SCHEMA_VERSION
from tools.pipeline import list_notebooks

RESULTS_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+$")
RUN_RECORD = "run.json"
NOT_RECORDED = "not recorded"


class ReportError(RuntimeError):
    """The inputs are not fit for a report; the message lists every problem found."""


def results_folder(profile: str) -> Path:
    """``results/`` for the default profile, ``build/<profile>/results/`` otherwise."""
    get_profile(profile)
    return RESULTS_DIR if profile == "default" else BUILD_DIR / profile / "results"


def notebook_for(name: str, notebooks_dir: Path | None = None) -> Path | None:
    """The notebook ``NN_*.ipynb`` whose number matches results name ``NN_...``."""
    prefix = name[:3]
    matches = [
        p for p in list_notebooks(notebooks_dir or NOTEBOOKS_DIR) if p.name.startswith(prefix)
    ]
    return matches[0] if len(matches) == 1 else None


def rerun_hint(name: str, profile: str) -> str:
    """How to re-create the results file of notebook ``name`` (e.g. ``03_scratch_nn``)."""
    make = "make run-all" + ("" if profile == "default" else f" PROFILE={profile}")
    return (
        f"re-run notebook {name[:2]} with `python -m tools.pipeline run --profile "
        f"{profile} {name[:2]}` (or `{make}`)"
    )


@dataclass(frozen=True)
class ResultsSet:
    """Every validated results document of one profile, plus the run record."""

    profile: str
    folder: Path
    documents: dict[str, dict]
    run: dict | None
    run_note: str

    def payload(self, name: str) -> dict:
        return self.documents[name]["results"]


def _schema_problem(doc: Any, name: str) -> str | None:
    if not isinstance(doc, dict):
        return f"holds a {type(doc).__name__}, not a results document"
    missing = [k for k in ("notebook", "profile", "schema_version", "results") if k not in doc]
    if missing:
        return f"lacks {', '.join(missing)}"
    if doc["schema_version"] != SCHEMA_VERSION:
        return f"has schema_version {doc['schema_version']!r}, expected {SCHEMA_VERSION}"
    if doc["notebook"] != name:
        return f"says it belongs to notebook {doc['notebook']!r}"
    if doc["profile"] not in PROFILE_NAMES:
        return f"names an unknown profile {doc['profile']!r}"
    if not isinstance(doc["results"], dict):
        return "has a 'results' that is not an object"
    return None


def expected_results(
    entries: Iterable[LedgerEntry], notebooks_dir: Path | None = None, folder: Path | None = None
) -> dict[str, str]:
    """``{results name or NN prefix: what needs it}`` for every results file the report needs.

    The ledger's notebooks, every ``NN_*.json`` present in ``folder`` and every
    numbered notebook in ``notebooks_dir`` (by its two-digit number).
    """
    needed: dict[str, str] = {}
    for entry in entries:
        needed.setdefault(entry.notebook, f"the ledger (entry {entry.id})")
    if folder is not None and folder.is_dir():
        for path in folder.glob("*.json"):
            if RESULTS_NAME.match(path.stem):
                needed.setdefault(path.stem, relative(path))
    numbers = {name[:2] for name in needed}
    for notebook in list_notebooks(notebooks_dir or NOTEBOOKS_DIR):
        if notebook.name[:2] not in numbers:
            needed[notebook.name[:2]] = f"notebooks/{notebook.name}"
    return dict(sorted(needed.items()))


def load_results_set(folder: Path, profile: str, needed: Mapping[str, str]) -> ResultsSet:
    """Read and validate every needed results file of ``folder``.

    Raises :class:`ReportError` listing each missing, malformed, mis-shaped or
    other-profile file with the command that re-creates it.
    """
    problems: list[str] = []
    documents: dict[str, dict] = {}
    for name in needed:
        if not RESULTS_NAME.match(name):  # a notebook without any results file
            problems.append(
                f"no {relative(folder)}/{name}_*.json for {needed[name]}: "
                + rerun_hint(name + "_", profile)
            )
            continue
        path = folder / f"{name}.json"
        shown = relative(path)
        if not path.is_file():
            problems.append(
                f"{shown} is missing (needed by {needed[name]}): " + rerun_hint(name, profile)
            )
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{shown} is not valid JSON ({exc}): " + rerun_hint(name, profile))
            continue
        problem = _schema_problem(doc, name)
        if problem:
            problems.append(
                f"{shown} has the wrong schema ({problem}): " + rerun_hint(name, profile)
            )
            continue
        documents[name] = doc
    for name, doc in documents.items():
        if doc["profile"] != profile:
            others = sorted({d["profile"] for n, d in documents.items() if n != name}) or [profile]
            problems.append(
                f"{relative(folder / (name + '.json'))} was made with profile "
                f"{doc['profile']!r}, the other results files with {', '.join(others)} "
                f"(this report is for profile {profile!r}): " + rerun_hint(name, profile)
            )
    if problems:
        raise ReportError("cannot build the report:\n  - " + "\n  - ".join(problems))
    run, note = read_run_record(folder, profile)
    return ResultsSet(profile=profile, folder=folder, documents=documents, run=run, run_note=note)


def read_run_record(folder: Path, profile: str) -> tuple[dict | None, str]:
    """``(record, note)``: the pipeline's ``run.json``, or ``None`` and why not."""
    path = folder / RUN_RECORD
    if not path.is_file():
        return None, (
            f"{NOT_RECORDED} ({relative(path)} is absent; the pipeline writes it "
            "when it runs a notebook)"
        )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{NOT_RECORDED} ({relative(path)} is not valid JSON: {exc})"
    if not isinstance(record, dict):
        return None, f"{NOT_RECORDED} ({relative(path)} is not a JSON object)"
    if record.get("profile", profile) != profile:
        return None, (
            f"{NOT_RECORDED} ({relative(path)} is for profile "
            f"{record.get('profile')!r}, not {profile!r})"
        )
    return record, ""


def evaluate_ledger(entries: Sequence[LedgerEntry], results: ResultsSet) -> list[LedgerRow]:
    """Compare every ledger entry; a missing key or wrong type is a :class:`ReportError`."""
    rows, problems = [], []
    for entry in entries:
        try:
            rows.append(ledger_mod.compare(entry, results.payload(entry.notebook), results.profile))
        except (LookupError, TypeError) as exc:
            problems.append(
                f"{relative(results.folder / (entry.notebook + '.json'))}: "
                f"ledger entry {entry.id}: {exc}; the results file is stale or "
                f"the ledger's key is wrong: " + rerun_hint(entry.notebook, results.profile)
            )
    if problems:
        raise ReportError("cannot build the report:\n  - " + "\n  - ".join(problems))
    return rows
