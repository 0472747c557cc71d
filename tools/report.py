"""The grader's view: ``results/REPORT.md`` and ``results/report.html`` from the results files.

``make report`` (``python -m tools.report``) re-trains nothing and takes seconds. It reads

* ``results/<notebook>.json`` of every notebook, validated first: a file that is
  missing, not JSON, of the wrong schema or from another profile than the others
  stops the report with a message naming the notebook to re-run;
* ``results/run.json`` when the pipeline recorded one (run date, wall time per
  notebook, Python and package versions, CPU, cores), else says "not recorded";
* the verified SHA-256 of every dataset file the profile uses (:mod:`helpers.data`);
* the figures (``image/png`` outputs) of the executed notebooks;
* :mod:`tools.ledger`'s ``ledger.toml``: every number the original submission reports.

and writes, only once everything validated and each file atomically (temporary file
+ rename): ``REPORT.md``, a self-contained ``report.html`` (figures as data URIs),
``figures/*.png`` (for the Markdown) and the README's block between
``<!-- results:start -->`` and ``<!-- results:end -->``. Nothing in the output depends
on the current time, so the same inputs give the same bytes.

``make html`` (``python -m tools.report html``) exports every executed notebook
to ``build/html/`` with nbconvert, for readers without Jupyter.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR, NOTEBOOKS_DIR, REPO_ROOT, RESULTS_DIR, relative
from helpers.profiles import PROFILE_NAMES, get_profile
from helpers.results import SCHEMA_VERSION
from tools import ledger as ledger_mod
from tools.ledger import LedgerEntry, LedgerError, LedgerRow

README_PATH = REPO_ROOT / "README.md"
README_START = "<!-- results:start -->"
README_END = "<!-- results:end -->"
RESULTS_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+$")
RUN_RECORD = "run.json"
FIGURES_DIR_NAME = "figures"
FIGURE_NAME = re.compile(r"^\d\d-fig\d+\.png$")
NOT_RECORDED = "not recorded"


class ReportError(RuntimeError):
    """The inputs are not fit for a report; the message lists every problem found."""


# ------------------------------------------------------------------------------ inputs


def results_folder(profile: str) -> Path:
    """``results/`` for the default profile, ``build/<profile>/results/`` otherwise."""
    get_profile(profile)
    return RESULTS_DIR if profile == "default" else BUILD_DIR / profile / "results"


def notebook_for(name: str, notebooks_dir: Path | None = None) -> Path | None:
    """The notebook ``NN_*.ipynb`` whose number matches results name ``NN_...``."""
    from tools.pipeline import list_notebooks

    prefix = name[:3]
    matches = [p for p in list_notebooks(notebooks_dir or NOTEBOOKS_DIR)
               if p.name.startswith(prefix)]
    return matches[0] if len(matches) == 1 else None


def rerun_hint(name: str, profile: str) -> str:
    """How to re-create the results file of notebook ``name`` (e.g. ``03_scratch_nn``)."""
    make = "make run-all" + ("" if profile == "default" else f" PROFILE={profile}")
    return (f"re-run notebook {name[:2]} with `python -m tools.pipeline run --profile "
            f"{profile} {name[:2]}` (or `{make}`)")


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


def expected_results(entries: Iterable[LedgerEntry], notebooks_dir: Path | None = None,
                     folder: Path | None = None) -> dict[str, str]:
    """``{results name or NN prefix: what needs it}`` for every results file the report needs.

    The ledger's notebooks, every ``NN_*.json`` present in ``folder`` and every
    numbered notebook in ``notebooks_dir`` (by its two-digit number).
    """
    from tools.pipeline import list_notebooks

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
            problems.append(f"no {relative(folder)}/{name}_*.json for {needed[name]}: "
                            + rerun_hint(name + "_", profile))
            continue
        path = folder / f"{name}.json"
        shown = relative(path)
        if not path.is_file():
            problems.append(f"{shown} is missing (needed by {needed[name]}): "
                            + rerun_hint(name, profile))
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{shown} is not valid JSON ({exc}): " + rerun_hint(name, profile))
            continue
        problem = _schema_problem(doc, name)
        if problem:
            problems.append(f"{shown} has the wrong schema ({problem}): "
                            + rerun_hint(name, profile))
            continue
        documents[name] = doc
    for name, doc in documents.items():
        if doc["profile"] != profile:
            others = sorted({d["profile"] for n, d in documents.items() if n != name}) or [profile]
            problems.append(
                f"{relative(folder / (name + '.json'))} was made with profile "
                f"{doc['profile']!r}, the other results files with {', '.join(others)} "
                f"(this report is for profile {profile!r}): " + rerun_hint(name, profile))
    if problems:
        raise ReportError("cannot build the report:\n  - " + "\n  - ".join(problems))
    run, note = read_run_record(folder, profile)
    return ResultsSet(profile=profile, folder=folder, documents=documents, run=run,
                      run_note=note)


def read_run_record(folder: Path, profile: str) -> tuple[dict | None, str]:
    """``(record, note)``: the pipeline's ``run.json``, or ``None`` and why not."""
    path = folder / RUN_RECORD
    if not path.is_file():
        return None, (f"{NOT_RECORDED} ({relative(path)} is absent; the pipeline writes it "
                      "when it runs a notebook)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{NOT_RECORDED} ({relative(path)} is not valid JSON: {exc})"
    if not isinstance(record, dict):
        return None, f"{NOT_RECORDED} ({relative(path)} is not a JSON object)"
    if record.get("profile", profile) != profile:
        return None, (f"{NOT_RECORDED} ({relative(path)} is for profile "
                      f"{record.get('profile')!r}, not {profile!r})")
    return record, ""


def evaluate_ledger(entries: Sequence[LedgerEntry], results: ResultsSet) -> list[LedgerRow]:
    """Compare every ledger entry; a missing key or wrong type is a :class:`ReportError`."""
    rows, problems = [], []
    for entry in entries:
        try:
            rows.append(ledger_mod.compare(entry, results.payload(entry.notebook),
                                           results.profile))
        except (LookupError, TypeError) as exc:
            problems.append(f"{relative(results.folder / (entry.notebook + '.json'))}: "
                            f"ledger entry {entry.id}: {exc}; the results file is stale or "
                            f"the ledger's key is wrong: " + rerun_hint(entry.notebook,
                                                                        results.profile))
    if problems:
        raise ReportError("cannot build the report:\n  - " + "\n  - ".join(problems))
    return rows


# ---------------------------------------------------------------------------- figures


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


def _heading_of(source: str) -> str | None:
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
            section = _heading_of(cell.source) or section
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
            figures.append(Figure(notebook=name, number=len(figures) + 1,
                                  caption=f"{name[:2]} · {section} (figure {len(figures) + 1})",
                                  png=raw))
    return figures


def notebook_title(path: Path) -> str | None:
    """The first Markdown heading of the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            title = _heading_of(cell.source)
            if title:
                return title
    return None


# ----------------------------------------------------------------------- document model


@dataclass
class Heading:
    level: int
    text: str

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.text.lower()).strip("-")


@dataclass
class Paragraph:
    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    row_classes: list[str] = field(default_factory=list)


@dataclass
class FigureBlock:
    figure: Figure


Block = Heading | Paragraph | Bullets | Table | FigureBlock


def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(blocks: Sequence[Block], figures_prefix: str = FIGURES_DIR_NAME) -> str:
    """GitHub-flavoured Markdown of ``blocks``; figures link to ``figures_prefix/<file>``."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            out += [block.text, ""]
        elif isinstance(block, Bullets):
            out += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            out.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
            out.append("|" + "---|" * len(block.header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
        elif isinstance(block, FigureBlock):
            fig = block.figure
            out += [f"![{fig.caption}]({figures_prefix}/{fig.filename})", "",
                    f"*{fig.caption}*", ""]
    return "\n".join(out).rstrip("\n") + "\n"


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")


def inline_html(text: str) -> str:
    """Escape ``text`` and turn its `code`, **bold** and [links](url) into HTML."""
    out, pos = [], 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[pos:match.start()]))
        code, bold, label, url = match.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{html.escape(bold)}</strong>")
        else:
            out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>')
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d232b; background: #fff; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.9rem; border-bottom: 3px solid #2f5d8a; padding-bottom: .3rem; }
h2 { font-size: 1.45rem; margin-top: 2.4rem; border-bottom: 1px solid #c8d2dc; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
code { background: #f1f3f6; padding: 0 .25em; border-radius: 3px; font-size: .92em; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .86rem; }
th, td { border: 1px solid #cfd6de; padding: .28rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #eef2f6; }
tr.agree td.status { background: #dff3e3; color: #17602a; font-weight: 600; }
tr.differ td.status { background: #fde7d8; color: #8a3b0c; font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e1e6eb; }
figcaption { font-size: .85rem; color: #4a5561; margin-top: .3rem; }
nav.toc { background: #f6f8fa; border: 1px solid #dde3e9; padding: .5rem 1.2rem;
          margin: 1rem 0; }
nav.toc ul { margin: .3rem 0; }
""".strip()


def render_html(blocks: Sequence[Block], title: str) -> str:
    """A self-contained HTML page of ``blocks`` (inline CSS, figures as data URIs)."""
    toc = [b for b in blocks if isinstance(b, Heading) and b.level == 2]
    body: list[str] = []
    first_heading_done = False
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f'<h{block.level} id="{block.anchor}">{inline_html(block.text)}'
                        f"</h{block.level}>")
            if block.level == 1 and not first_heading_done and toc:
                first_heading_done = True
                items = "".join(f'<li><a href="#{h.anchor}">{inline_html(h.text)}</a></li>'
                                for h in toc)
                body.append(f'<nav class="toc"><strong>Contents</strong><ul>{items}</ul></nav>')
        elif isinstance(block, Paragraph):
            body.append(f"<p>{inline_html(block.text)}</p>")
        elif isinstance(block, Bullets):
            body.append("<ul>" + "".join(f"<li>{inline_html(i)}</li>" for i in block.items)
                        + "</ul>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{inline_html(h)}</th>" for h in block.header)
            rows = []
            status_col = block.header.index("Status") if "Status" in block.header else -1
            for i, row in enumerate(block.rows):
                cls = block.row_classes[i] if i < len(block.row_classes) else ""
                cells = []
                for j, cell in enumerate(row):
                    td_cls = "status" if j == status_col else ""
                    attr = f' class="{td_cls}"' if td_cls else ""
                    cells.append(f"<td{attr}>{inline_html(cell)}</td>")
                attr = f' class="{cls}"' if cls else ""
                rows.append(f"<tr{attr}>{''.join(cells)}</tr>")
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                        "</tbody></table>")
        elif isinstance(block, FigureBlock):
            fig = block.figure
            body.append(f'<figure><img src="{fig.data_uri()}" alt="{html.escape(fig.caption)}">'
                        f"<figcaption>{html.escape(fig.caption)}</figcaption></figure>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n"
            "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


# ------------------------------------------------------------------------ the sections


def run_blocks(results: ResultsSet) -> list[Block]:
    """"The run": profile, date, versions, CPU, wall time per notebook."""
    run = results.run
    blocks: list[Block] = [Heading(2, "The run")]
    if run is None:
        blocks.append(Paragraph(f"Profile `{results.profile}` (from the results files). "
                                f"Date, versions, CPU and wall times: {results.run_note}."))
        return blocks
    notebooks = run.get("notebooks") if isinstance(run.get("notebooks"), dict) else {}
    dates = sorted(str(v.get("date")) for v in notebooks.values()
                   if isinstance(v, dict) and v.get("date"))
    total = sum(float(v.get("wall_time_s", 0) or 0) for v in notebooks.values()
                if isinstance(v, dict))
    packages = run.get("packages") if isinstance(run.get("packages"), dict) else {}
    facts = [
        ["Profile", f"`{results.profile}`"],
        ["Run date", (f"{dates[0]} to {dates[-1]}" if dates and dates[0] != dates[-1]
                      else dates[0] if dates else NOT_RECORDED)],
        ["Python", str(run.get("python", NOT_RECORDED))],
        ["Packages", ", ".join(f"{k} {v}" for k, v in sorted(packages.items()))
         or NOT_RECORDED],
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
            rows.append([f"`{name}`", str(info.get("date", NOT_RECORDED)),
                         f"{float(wall):.1f} s" if isinstance(wall, (int, float))
                         else NOT_RECORDED])
        blocks += [Paragraph("Wall time per notebook (the last run that executed it; other "
                             "jobs may have shared the CPU):"),
                   Table(["Notebook", "Run date", "Wall time"], rows)]
    return blocks


def data_rows(profile: str) -> list[list[str]]:
    """One row per dataset file the profile uses: file, what is hashed, SHA-256, status."""
    from helpers import data

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
        Paragraph("Every dataset file the notebooks of this profile read, with the SHA-256 "
                  "it was verified against (`helpers/data.py` pins the digests of the "
                  "official files and checks them before any use)."),
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
        body.append([entry.description, row.original_text, reproduced, tolerance, row.status,
                     reason, where])
        classes.append("agree" if row.agrees else "differ")
    return Table(["Quantity", "Original", "Reproduced", "Compared", "Status", "Reason",
                  "Where in the submission"], body, classes)


def _summary_sentence(counts: Mapping[str, int]) -> str:
    numbers = counts["matches"] + counts["differs"]
    observations = counts["consistent"] + counts["not consistent"]
    text = (f"{counts['total']} entries compared ({numbers} reported values, {observations} "
            f"qualitative observations): {counts['matches']} values match within the stated "
            f"tolerance, {counts['differs']} differ")
    if observations:
        text += (f"; {counts['consistent']} observations are consistent with the reproduced "
                 f"numbers, {counts['not consistent']} are not")
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
        table_rows.append([name, f"`{members[0].entry.notebook}`", str(counts["total"]),
                           str(counts["matches"] + counts["consistent"]),
                           str(counts["differs"] + counts["not consistent"])])
    return [
        Heading(2, "The ledger"),
        Paragraph(_summary_sentence(ledger_mod.summary_counts(rows))),
        Paragraph("Every number (and qualitative observation) the original submission reports "
                  "is typed in once, in `helpers/ledger.toml`, with where it appears in the "
                  "submission, the results key it is compared with and the tolerance. "
                  "Numbers **match** when they lie within the tolerance; observations are "
                  "**consistent** when the stated rule holds on the reproduced numbers. Each "
                  "difference carries its one-line reason. The full tables are in each "
                  "notebook's section below."),
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
            return (f"{len(value)} values: first {value[0]:.6g}, last {value[-1]:.6g}, "
                    f"min {min(value):.6g}, max {max(value):.6g}")
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
        if key.endswith(".exact") and key[:-len("exact")] + "float" in leaves:
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


def _has_outputs(path: Path) -> bool:
    """Whether the notebook at ``path`` exists and has been executed (has any output)."""
    if not path.is_file():
        return False
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "code" and c.get("outputs") for c in nb.cells)


def notebook_info(name: str, profile: str, notebooks_dir: Path | None = None) -> NotebookInfo:
    """What the report shows of notebook ``name`` besides its numbers."""
    from tools.pipeline import output_path

    source = notebook_for(name, notebooks_dir)
    executed = output_path(source, profile) if source else None
    if executed is not None and not _has_outputs(executed):
        executed = None
    title = notebook_title(executed) if executed else None
    if not title:
        title = name
    if not title.startswith(name[:2]):
        title = f"{name[:2]} · {title}"
    figures = tuple(notebook_figures(executed, name)) if executed else ()
    return NotebookInfo(name=name, notebook=source, executed=executed, title=title,
                        figures=figures)


def notebook_blocks(info: NotebookInfo, payload: Mapping, rows: Sequence[LedgerRow]) -> list:
    blocks: list[Block] = [Heading(2, info.title)]
    if info.notebook:
        where = (f"Notebook `notebooks/{info.notebook.name}` (as HTML: "
                 f"`build/html/{info.notebook.stem}.html` after `make html`)")
    else:
        where = "No notebook in `notebooks/`"
    blocks.append(Paragraph(f"{where}; numbers from `results/{info.name}.json`."))
    groups: dict[str, list[LedgerRow]] = {}
    for row in rows:
        groups.setdefault(row.entry.group, []).append(row)
    for group, members in groups.items():
        counts = ledger_mod.summary_counts(members)
        agree = counts["matches"] + counts["consistent"]
        blocks += [Heading(3, f"Ledger: {group}"),
                   Paragraph(f"{agree} of {counts['total']} agree with the original."),
                   ledger_table(members)]
    used = {".".join(path) for row in rows for path in row.entry.key_paths()}
    table = recorded_numbers_table(payload, used)
    if table is not None:
        blocks += [Heading(3, "Other recorded numbers"), table]
    if info.figures:
        blocks.append(Heading(3, "Figures"))
        blocks += [FigureBlock(fig) for fig in info.figures]
    elif info.executed is None:
        blocks.append(Paragraph("Figures: none shown, the notebook has no outputs here "
                                "(`make run-all` executes it)."))
    return blocks


# ------------------------------------------------------------------------- the README


def readme_block(results: ResultsSet, rows: Sequence[LedgerRow]) -> str:
    """The README's results block (between the markers), from results and ledger only."""
    lines = [
        README_START,
        "<!-- Generated by `make report` from results/*.json and helpers/ledger.toml; "
        "do not edit by hand (tests/test_report.py checks it). -->",
        "",
        f"Headline numbers (profile `{results.profile}`): the original submission's value, "
        "ours, and whether they agree.",
        "",
        "| Result | Original | Reproduced | Status | Why it differs |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        if row.entry.headline:
            original = ("qualitative claim" if row.entry.kind in ("highest", "lowest")
                        else row.original_text)
            lines.append(f"| {_md_cell(row.entry.description)} | {_md_cell(original)}"
                         f" | {_md_cell(row.reproduced_text)} | {row.status}"
                         f" | {_md_cell(row.reason)} |")
    lines += [
        "",
        _summary_sentence(ledger_mod.summary_counts(rows)),
        "The full ledger (every reported number, its source in the submission, the "
        "tolerance and the reason for each difference), the run's environment, the "
        "data digests and the figures: [results/REPORT.md](results/REPORT.md) or the "
        "self-contained [results/report.html](results/report.html).",
        README_END,
    ]
    return "\n".join(lines)


def extract_readme_block(text: str) -> str | None:
    """The block between the markers (markers included), or ``None`` if absent."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start or text.count(README_START) != 1 or text.count(README_END) != 1:
        return None
    return text[start:end + len(README_END)]


def replace_readme_block(text: str, block: str) -> str:
    """``text`` with its results block replaced by ``block``; ``ValueError`` if no markers."""
    current = extract_readme_block(text)
    if current is None:
        raise ValueError(f"no single {README_START} ... {README_END} pair in the README")
    return text.replace(current, block, 1)


# ----------------------------------------------------------------------------- build


@dataclass
class Report:
    """Everything ``make report`` writes, built in memory first."""

    markdown: str
    html: str
    figures: list[Figure]
    readme_block: str
    rows: list[LedgerRow]


def compute_readme_block(profile: str = "default", folder: Path | None = None,
                         ledger_path: Path | None = None,
                         notebooks_dir: Path | None = None) -> str:
    """The README block the results files imply (what ``make report`` would write)."""
    folder = folder or results_folder(profile)
    entries = ledger_mod.load_ledger(ledger_path or ledger_mod.LEDGER_PATH)
    results = load_results_set(folder, profile, expected_results(entries, notebooks_dir, folder))
    return readme_block(results, evaluate_ledger(entries, results))


def build(profile: str = "default", folder: Path | None = None,
          ledger_path: Path | None = None, notebooks_dir: Path | None = None) -> Report:
    """Validate the inputs and build the report in memory (writes nothing).

    Raises :class:`ReportError` (or :class:`LedgerError`) with a message naming
    each notebook to re-run.
    """
    folder = folder or results_folder(profile)
    entries = ledger_mod.load_ledger(ledger_path or ledger_mod.LEDGER_PATH)
    needed = expected_results(entries, notebooks_dir, folder)
    results = load_results_set(folder, profile, needed)
    rows = evaluate_ledger(entries, results)

    blocks: list[Block] = [
        Heading(1, "Reproduction report: neural networks and SVM coursework"),
        Paragraph("What was run, on what data, and whether every number the original "
                  "submission reported was reproduced. Built by `make report` from the "
                  "notebooks' `results/*.json` and the executed notebooks' figures; nothing "
                  "is re-trained. The README's results section is generated from the same "
                  "files."),
        Paragraph(_summary_sentence(ledger_mod.summary_counts(rows))),
    ]
    blocks += run_blocks(results)
    blocks += data_blocks(profile)
    blocks += ledger_overview_blocks(rows)
    figures: list[Figure] = []
    for name in results.documents:
        info = notebook_info(name, profile, notebooks_dir)
        figures += info.figures
        mine = [r for r in rows if r.entry.notebook == name]
        blocks += notebook_blocks(info, results.payload(name), mine)
    blocks += [
        Heading(2, "How this report was made"),
        Bullets([
            "`make run-all` executes the notebooks (papermill); each saves its key numbers "
            "to `results/<notebook>.json` and the pipeline records `results/run.json`.",
            "`make report` (`python -m helpers.report`) validates those files, compares "
            "them with `helpers/ledger.toml`, and writes `results/REPORT.md`, "
            "`results/report.html`, `results/figures/` and the README block.",
            "`make html` exports every executed notebook to `build/html/`.",
        ]),
    ]
    title = "Reproduction report"
    return Report(markdown=render_markdown(blocks), html=render_html(blocks, title),
                  figures=figures, readme_block=readme_block(results, rows), rows=rows)


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
            print(f"note: {relative(readme_path)} does not exist; results block not written",
                  file=sys.stderr)
        else:
            text = readme_path.read_text(encoding="utf-8")
            try:
                new = replace_readme_block(text, report.readme_block)
            except ValueError:
                print(f"note: {relative(readme_path)} has no {README_START} / {README_END} "
                      "markers; results block not written", file=sys.stderr)
            else:
                if new != text:
                    atomic_write(readme_path, new.encode("utf-8"))
                written.append(readme_path)
    return written


# ------------------------------------------------------------------------ HTML export


def export_notebooks_html(profile: str = "default", out_dir: Path | None = None,
                          notebooks_dir: Path | None = None) -> list[Path]:
    """Export every executed notebook of ``profile`` to HTML (images inline) + an index."""
    from nbconvert import HTMLExporter

    from tools.pipeline import list_notebooks, output_path

    out_dir = out_dir or (BUILD_DIR / "html" if profile == "default"
                          else BUILD_DIR / profile / "html")
    exporter = HTMLExporter(template_name="lab")
    written, missing, items = [], [], []
    for source in list_notebooks(notebooks_dir or NOTEBOOKS_DIR):
        executed = output_path(source, profile)
        if not _has_outputs(executed):
            missing.append(source.name)
            continue
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        target = out_dir / (source.stem + ".html")
        atomic_write(target, body.encode("utf-8"))
        written.append(target)
        title = notebook_title(executed)
        items.append(f'<li><a href="{html.escape(target.name)}">{html.escape(source.name)}</a>'
                     f"{' - ' + html.escape(title) if title else ''}</li>")
    index = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>Executed notebooks</title></head><body><h1>Executed notebooks "
             f"(profile {html.escape(profile)})</h1><ul>{''.join(items)}</ul></body></html>\n")
    atomic_write(out_dir / "index.html", index.encode("utf-8"))
    written.append(out_dir / "index.html")
    for name in missing:
        print(f"warning: notebooks/{name} has not been executed (no outputs) for profile "
              f"{profile}: run `make run-all` first; skipped", file=sys.stderr)
    return written


# ----------------------------------------------------------------------------- command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.report",
        description="Build results/REPORT.md + results/report.html (build), check them "
                    "without writing (check), or export the notebooks to HTML (html).")
    parser.add_argument("command", nargs="?", default="build", choices=("build", "check", "html"))
    parser.add_argument("--profile", default="default", choices=PROFILE_NAMES)
    args = parser.parse_args(argv)
    try:
        if args.command == "html":
            paths = export_notebooks_html(args.profile)
            print(f"wrote {len(paths)} file(s) to {relative(paths[-1].parent)}/")
            return 0
        report = build(args.profile)
        if args.command == "check":
            print(_summary_sentence(ledger_mod.summary_counts(report.rows)))
            return 0
        folder = results_folder(args.profile)
        readme = README_PATH if args.profile == "default" else None
        write_report(report, folder, readme)
    except (ReportError, LedgerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = ledger_mod.summary_counts(report.rows)
    print(f"wrote {relative(folder / 'REPORT.md')}, {relative(folder / 'report.html')} and "
          f"{len(report.figures)} figure(s); {_summary_sentence(counts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
