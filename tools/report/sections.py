"""The report's sections as document blocks: the run, the data, the ledger, each notebook."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import data
from helpers import ledger as ledger_mod
from helpers.ledger import LedgerRow
from tools.pipeline import output_path
from tools.report.document import Block, FigureBlock, Heading, Paragraph, Table
from tools.report.figures import Figure, has_outputs, notebook_figures, notebook_title
from tools.report.inputs import NOT_RECORDED, ResultsSet, notebook_for


def run_blocks(results: ResultsSet) -> list[Block]:
    """ "The run": profile, date, versions, CPU, wall time per notebook."""
    run = results.run
    blocks: list[Block] = [Heading(2, "The run")]
    if run is None:
        blocks.append(
            Paragraph(
                f"Profile `{results.profile}` (from the results files). "
                f"Date, versions, CPU and wall times: {results.run_note}."
            )
        )
        return blocks
    notebooks = run.get("notebooks") if isinstance(run.get("notebooks"), dict) else {}
    dates = sorted(
        str(v.get("date")) for v in notebooks.values() if isinstance(v, dict) and v.get("date")
    )
    total = sum(
        float(v.get("wall_time_s", 0) or 0) for v in notebooks.values() if isinstance(v, dict)
    )
    packages = run.get("packages") if isinstance(run.get("packages"), dict) else {}
    facts = [
        ["Profile", f"`{results.profile}`"],
        [
            "Run date",
            (
                f"{dates[0]} to {dates[-1]}"
                if dates and dates[0] != dates[-1]
                else dates[0]
                if dates
                else NOT_RECORDED
            ),
        ],
        ["Python", str(run.get("python", NOT_RECORDED))],
        ["Packages", ", ".join(f"{k} {v}" for k, v in sorted(packages.items())) or NOT_RECORDED],
        ["CPU", str(run.get("cpu", NOT_RECORDED))],
        ["Cores", str(run.get("cores", NOT_RECORDED))],
        ["Total wall time", f"{total:.1f} s" if notebooks else NOT_RECORDED],
    ]
    blocks.append(Table(["Item", "Value"], facts))
    if notebooks:
        rows = []
        for name in sorted(notebooks):
            info = notebooks[name] if isinstance(notebooks[name], dict) else {}
            wall = info.get("wall_time_s")
            rows.append(
                [
                    f"`{name}`",
                    str(info.get("date", NOT_RECORDED)),
                    f"{float(wall):.1f} s" if isinstance(wall, (int, float)) else NOT_RECORDED,
                ]
            )
        blocks += [
            Paragraph(
                "Wall time per notebook (the last run that executed it; other "
                "jobs may have shared the CPU):"
            ),
            Table(["Notebook", "Run date", "Wall time"], rows),
        ]
    return blocks


def data_rows(profile: str) -> list[list[str]]:
    """One row per dataset file the profile uses: file, what is hashed, SHA-256, status."""
    rows = []
    for dataset, filename in data.files_for_profile(profile):
        spec = data.DATASETS[dataset].files[filename]
        kind, pinned = spec.pinned
        what = "decompressed bytes" if kind == "raw" else ".gz file"
        path = data.DATA_DIR / dataset / filename
        if not path.is_file():
            status = "not fetched here (`make data`); pinned digest shown"
            digest = pinned
        else:
            try:
                digest = data.verify_file(path, spec)
                status = "verified"
            except data.DataError as exc:
                digest = pinned
                status = "DOES NOT VERIFY: " + str(exc).splitlines()[0]
        rows.append([f"`{dataset}/{filename}`", what, f"`{digest}`", status])
    return rows


def data_blocks(profile: str) -> list[Block]:
    return [
        Heading(2, "The data"),
        Paragraph(
            "Every dataset file the notebooks of this profile read, with the SHA-256 "
            "it was verified against (`helpers/data.py` pins the digests of the "
            "official files and checks them before any use)."
        ),
        Table(["File", "SHA-256 of", "SHA-256", "Status"], data_rows(profile)),
    ]


def ledger_table(rows: Sequence[LedgerRow]) -> Table:
    """The ledger rows as a table: original, reproduced, tolerance, status, reason, source."""
    body, classes = [], []
    previous_reason = ""
    for row in rows:
        entry = row.entry
        reason = row.reason
        if reason and reason == previous_reason:
            reason = "as above"  # long reasons shared by a run of rows are shown once
        elif reason:
            previous_reason = reason
        reproduced = row.reproduced_text
        tolerance = ledger_mod.tolerance_text(entry)
        if entry.kind in ("highest", "lowest"):
            tolerance = ledger_mod.rule_text(entry)
        where = entry.where + (f" (line {entry.line})" if entry.line else "")
        body.append(
            [entry.description, row.original_text, reproduced, tolerance, row.status, reason, where]
        )
        classes.append("agree" if row.agrees else "differ")
    return Table(
        [
            "Quantity",
            "Original",
            "Reproduced",
            "Compared",
            "Status",
            "Reason",
            "Where in the submission",
        ],
        body,
        classes,
    )


def summary_sentence(counts: Mapping[str, int]) -> str:
    numbers = counts["matches"] + counts["differs"]
    observations = counts["consistent"] + counts["not consistent"]
    text = (
        f"{counts['total']} entries compared ({numbers} reported values, {observations} "
        f"qualitative observations): {counts['matches']} values match within the stated "
        f"tolerance, {counts['differs']} differ"
    )
    if observations:
        text += (
            f"; {counts['consistent']} observations are consistent with the reproduced "
            f"numbers, {counts['not consistent']} are not"
        )
    text += "."
    if counts["unexplained"]:
        text += f" {counts['unexplained']} difference(s) have no recorded reason."
    else:
        text += " Every difference has its reason."
    return text


def ledger_overview_blocks(rows: Sequence[LedgerRow]) -> list[Block]:
    groups: dict[str, list[LedgerRow]] = {}
    for row in rows:
        groups.setdefault(row.entry.group, []).append(row)
    table_rows = []
    for name, members in groups.items():
        counts = ledger_mod.summary_counts(members)
        table_rows.append(
            [
                name,
                f"`{members[0].entry.notebook}`",
                str(counts["total"]),
                str(counts["matches"] + counts["consistent"]),
                str(counts["differs"] + counts["not consistent"]),
            ]
        )
    return [
        Heading(2, "The ledger"),
        Paragraph(summary_sentence(ledger_mod.summary_counts(rows))),
        Paragraph(
            "Every number (and qualitative observation) the original submission reports "
            "is typed in once, in `helpers/ledger.toml`, with where it appears in the "
            "submission, the results key it is compared with and the tolerance. "
            "Numbers **match** when they lie within the tolerance; observations are "
            "**consistent** when the stated rule holds on the reproduced numbers. Each "
            "difference carries its one-line reason. The full tables are in each "
            "notebook's section below."
        ),
        Table(["Ledger group", "Results file", "Compared", "Agree", "Differ"], table_rows),
    ]


def _flatten(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _summarise_leaf(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if len(value) <= 60 else None  # long exact fractions: see the notebook
    if isinstance(value, list):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            if len(value) <= 8:
                return ", ".join(_summarise_leaf(v) for v in value)
            return (
                f"{len(value)} values: first {value[0]:.6g}, last {value[-1]:.6g}, "
                f"min {min(value):.6g}, max {max(value):.6g}"
            )
        if all(isinstance(v, str) for v in value) and len(value) <= 12:
            return ", ".join(value)
        return None  # tables (lists of objects): shown through the ledger / figures
    return None


def recorded_numbers_table(payload: Mapping, used: set[str], limit: int = 40) -> Table | None:
    """The payload's other scalars and number lists (not already in the ledger).

    A value recorded both ``exact`` (a fraction) and as a ``float`` shows once, as the
    float; more than ``limit`` rows are cut with a pointer to the results file.
    """
    rows = []
    leaves = dict(_flatten(payload))
    for key, value in leaves.items():
        if key in used:
            continue
        if key.endswith(".exact") and key[: -len("exact")] + "float" in leaves:
            continue
        text = _summarise_leaf(value)
        if text is not None:
            rows.append([f"`{key}`", text])
    if not rows:
        return None
    if len(rows) > limit:
        rows = rows[:limit] + [["...", f"{len(rows) - limit} more keys in the results file"]]
    return Table(["Results key", "Value"], rows)


@dataclass(frozen=True)
class NotebookInfo:
    name: str
    notebook: Path | None
    executed: Path | None
    title: str
    figures: tuple[Figure, ...]


def notebook_info(name: str, profile: str, notebooks_dir: Path | None = None) -> NotebookInfo:
    """What the report shows of notebook ``name`` besides its numbers."""
    source = notebook_for(name, notebooks_dir)
    executed = output_path(source, profile) if source else None
    if executed is not None and not has_outputs(executed):
        executed = None
    title = notebook_title(executed) if executed else None
    if not title:
        title = name
    if not title.startswith(name[:2]):
        title = f"{name[:2]} · {title}"
    figures = tuple(notebook_figures(executed, name)) if executed else ()
    return NotebookInfo(name=name, notebook=source, executed=executed, title=title, figures=figures)


def notebook_blocks(info: NotebookInfo, payload: Mapping, rows: Sequence[LedgerRow]) -> list:
    blocks: list[Block] = [Heading(2, info.title)]
    if info.notebook:
        where = (
            f"Notebook `notebooks/{info.notebook.name}` (in the book: "
            f"`build/book/notebooks/{info.notebook.stem}.html` after `make book`)"
        )
    else:
        where = "No notebook in `notebooks/`"
    blocks.append(Paragraph(f"{where}; numbers from `results/{info.name}.json`."))
    groups: dict[str, list[LedgerRow]] = {}
    for row in rows:
        groups.setdefault(row.entry.group, []).append(row)
    for group, members in groups.items():
        counts = ledger_mod.summary_counts(members)
        agree = counts["matches"] + counts["consistent"]
        blocks += [
            Heading(3, f"Ledger: {group}"),
            Paragraph(f"{agree} of {counts['total']} agree with the original."),
            ledger_table(members),
        ]
    used = {".".join(path) for row in rows for path in row.entry.key_paths()}
    table = recorded_numbers_table(payload, used)
    if table is not None:
        blocks += [Heading(3, "Other recorded numbers"), table]
    if info.figures:
        blocks.append(Heading(3, "Figures"))
        blocks += [FigureBlock(fig) for fig in info.figures]
    elif info.executed is None:
        blocks.append(
            Paragraph(
                "Figures: none shown, the notebook has no outputs here "
                "(`make run-all` executes it)."
            )
        )
    return blocks
