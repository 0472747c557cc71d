"""A grade as text: the console table, Markdown, self-contained HTML, and the class CSV.

Reports hold no timestamps and no absolute paths (the submission is named by its
file name), so grading the same file twice gives the same bytes. Everything that
comes from a submission is escaped for the format it lands in.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from decimal import Decimal

from tools.grading.marking import Grade, Mark
from tools.grading.questions import ITEMS, TABLES
from tools.grading.rubric import points_text
from tools.grading.tolerances import DEFAULT_ACCURACY_TOLERANCE, HAND_TEXT, spread_for

SECTION_TITLES = {
    "backprop": "Backpropagation by hand",
    "svm": "Hard-margin SVMs",
    "experiments": "Experiments",
}
TABLE_TITLES = {
    "backprop.sample1": "Sample 1: (x, y) = (1, 3)",
    "backprop.sample2": "Sample 2: (x, y) = (2, 4)",
    "backprop.sample3": "Sample 3: (x, y) = (3, 5)",
    "svm.problem1": "Problem 1",
    "svm.problem2": "Problem 2",
    "experiments.scratch_test_accuracy": "From-scratch network: test accuracy (MNIST)",
    "experiments.fashion_test_accuracy": "Fashion-MNIST MLP: test accuracy by activation",
    "experiments.grid_search": "Grid search",
    "experiments.autoencoder_test_accuracy": "Autoencoder features: classifier test accuracy",
    "experiments.conclusions": "Written conclusions",
}
COLUMNS = ("item", "expected", "given", "points", "reason")


def _points(mark: Mark) -> str:
    return f"{points_text(mark.points)}/{points_text(mark.max_points)}"


def section_totals(grade: Grade) -> list[tuple[str, Decimal, Decimal]]:
    """``[(section title, points, max), ...]`` in report order."""
    totals = []
    for section, title in SECTION_TITLES.items():
        marks = [m for m in grade.marks if m.item.section == section]
        totals.append(
            (
                title,
                sum((m.points for m in marks), Decimal(0)),
                sum((m.max_points for m in marks), Decimal(0)),
            )
        )
    return totals


def total_line(grade: Grade) -> str:
    """``total: 20.5 / 50`` (the last line the command prints for one submission)."""
    return f"total: {points_text(grade.total)} / {points_text(grade.max_total)}"


def carried_forward(grade: Grade) -> list[Mark]:
    """The marks given by carrying an error forward."""
    return [m for m in grade.marks if m.status == "carried forward"]


def how_graded(spreads: dict) -> list[str]:
    """The grading rules, stated for the reports."""
    experiment_items = [i for i in ITEMS if i.section == "experiments"]
    measured = sum(1 for i in experiment_items if spread_for(i, spreads).measured)
    return [
        f"Hand-worked values (backprop, SVM) are compared exactly with the verified answers "
        f"to the precision of a hand calculation, {HAND_TEXT}.",
        "Error carried forward: a wrong backprop value that follows exactly from the "
        "submission's own earlier values (each sample recomputed in exact arithmetic from "
        "its previous parameters), an SVM margin equal to 2/||w|| of the submission's own w "
        "and a query class from its own w and b earn their points.",
        f"Experiment numbers are compared with the measured spread of a correct "
        f"implementation across seeds and machines (results/tolerances.json): "
        f"{measured} of {len(experiment_items)} items have a measured spread; the others use "
        f"the default, ±{DEFAULT_ACCURACY_TOLERANCE:g} for an accuracy (about two standard "
        f"errors on 1,000-2,000 test images) and exact for the rest.",
        "Points per item: tools/grading/rubric.toml. Each item earns all its points or none.",
    ]


# --------------------------------------------------------------------------- console


def _cell(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def console_table(grade: Grade) -> str:
    """A fixed-width table of every item, the notes, and the total as the last line."""
    widths = (44, 22, 22, 7)
    header = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths + (0,), strict=False))
    lines = [f"grade of {grade.source}", header.rstrip(), "-" * len(header)]
    for m in grade.marks:
        cells = (m.item.id, m.expected, m.given, _points(m))
        row = "  ".join(_cell(c, w).ljust(w) for c, w in zip(cells, widths, strict=True))
        lines.append(f"{row}  {' '.join(m.reason.split())}".rstrip())
    for note in grade.notes:
        lines.append(f"note: {' '.join(note.split())}")
    cf = carried_forward(grade)
    if cf:
        lines.append(
            f"error carried forward gave {len(cf)} mark(s): " + ", ".join(m.item.id for m in cf)
        )
    lines.append(total_line(grade))
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------- Markdown


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return (
        " ".join(str(text).split())
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def markdown_report(grade: Grade, spreads: dict) -> str:
    """The grade report as Markdown."""
    out = [
        f"# Grade report: {_md(grade.source)}",
        "",
        f"**{total_line(grade)}**",
        "",
        "| section | points | max |",
        "|---|---|---|",
    ]
    out += [f"| {t} | {points_text(p)} | {points_text(x)} |" for t, p, x in section_totals(grade)]
    for section, title in SECTION_TITLES.items():
        out += ["", f"## {title}"]
        for table in (t for t in TABLES if t.startswith(section + ".")):
            out += [
                "",
                f"### {TABLE_TITLES[table]}",
                "",
                "| " + " | ".join(COLUMNS) + " |",
                "|---|---|---|---|---|",
            ]
            for m in (m for m in grade.marks if m.item.table == table):
                out.append(
                    f"| {_md(m.item.key)} | {_md(m.expected)} | {_md(m.given)} | "
                    f"{_points(m)} | {_md(m.reason)} |"
                )
    cf = carried_forward(grade)
    out += ["", "## Marks given by carrying an error forward", ""]
    out += [f"- `{m.item.id}`: {_md(m.reason)}" for m in cf] or ["None."]
    out += ["", "## Notes on the file", ""]
    out += [f"- {_md(n)}" for n in grade.notes] or ["None."]
    out += ["", "## How this was graded", ""]
    out += [f"- {line}" for line in how_graded(spreads)]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ HTML

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
tr.wrong td, tr.invalid td, tr.missing td { background: #fdecea; }
tr.carried td { background: #fff6dd; }
.total { font-size: 1.3rem; font-weight: bold; }
"""


def points_figure(grade: Grade) -> str:
    """An SVG bar chart of points per section, as a ``data:`` URI for an ``<img>``."""
    rows = section_totals(grade)
    width, bar_width, row_height = 560, 300, 28
    height = row_height * len(rows) + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for index, (title, points, maximum) in enumerate(rows):
        y = 8 + index * row_height
        share = float(points / maximum) if maximum else 0.0
        parts += [
            f'<text x="0" y="{y + 15}">{html.escape(title)}</text>',
            f'<rect x="180" y="{y}" width="{bar_width}" height="18" fill="#eee"/>',
            f'<rect x="180" y="{y}" width="{bar_width * share:.1f}" height="18" fill="#4a7bb7"/>',
            f'<text x="{180 + bar_width + 8}" y="{y + 15}">'
            f"{points_text(points)} / {points_text(maximum)}</text>",
        ]
    parts.append("</svg>")
    data = base64.b64encode("".join(parts).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{data}"


def html_report(grade: Grade, spreads: dict) -> str:
    """The grade report as one self-contained HTML page (no external files)."""
    e = html.escape
    body = [
        f"<h1>Grade report: {e(grade.source)}</h1>",
        f'<p class="total">{e(total_line(grade))}</p>',
        f'<img id="points-figure" src="{points_figure(grade)}" alt="points per section">',
        "<table><tr><th>section</th><th>points</th><th>max</th></tr>",
    ]
    body += [
        f"<tr><td>{e(t)}</td><td>{points_text(p)}</td><td>{points_text(x)}</td></tr>"
        for t, p, x in section_totals(grade)
    ]
    body.append("</table>")
    for section, title in SECTION_TITLES.items():
        body.append(f"<h2>{e(title)}</h2>")
        for table in (t for t in TABLES if t.startswith(section + ".")):
            body += [
                f"<h3>{e(TABLE_TITLES[table])}</h3>",
                '<table class="marks"><tr>' + "".join(f"<th>{c}</th>" for c in COLUMNS) + "</tr>",
            ]
            for m in (m for m in grade.marks if m.item.table == table):
                css = "carried" if m.status == "carried forward" else m.status
                body.append(
                    f'<tr class="{css}"><td><code>{e(m.item.key)}</code></td>'
                    f"<td>{e(m.expected)}</td><td>{e(m.given)}</td>"
                    f"<td>{_points(m)}</td><td>{e(m.reason)}</td></tr>"
                )
            body.append("</table>")
    cf = carried_forward(grade)
    body.append("<h2>Marks given by carrying an error forward</h2>")
    body.append(
        "<ul>"
        + "".join(f"<li><code>{e(m.item.id)}</code>: {e(m.reason)}</li>" for m in cf)
        + "</ul>"
        if cf
        else "<p>None.</p>"
    )
    body.append("<h2>Notes on the file</h2>")
    body.append(
        "<ul>" + "".join(f"<li>{e(n)}</li>" for n in grade.notes) + "</ul>"
        if grade.notes
        else "<p>None.</p>"
    )
    body.append(
        "<h2>How this was graded</h2><ul>"
        + "".join(f"<li>{e(line)}</li>" for line in how_graded(spreads))
        + "</ul>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Grade report: {e(grade.source)}</title>\n<style>{_CSS}</style>\n"
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------------------- CSV


def class_csv(grades: Sequence[tuple[str, Grade]]) -> str:
    """One row per submission, one column per item (points), then total and max.

    ``grades`` pairs each report name with its grade. Values are plain numbers and
    safe names only (no formula can reach a spreadsheet).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *(item.id for item in ITEMS), "total", "max"])
    for name, grade in grades:
        points = grade.by_id()
        writer.writerow(
            [
                name,
                *(points_text(points[item.id].points) for item in ITEMS),
                points_text(grade.total),
                points_text(grade.max_total),
            ]
        )
    return buffer.getvalue()


# ---------------------------------------------------------------------- student report

#: What to look at again when an item is not earned, by section (never an answer).
STUDENT_HINTS = {
    "backprop": "redo the step by hand: forward pass, error, gradients, then the update "
    "(notebook 01; helpers/backprop.py's docstring has the equations)",
    "svm": "check every constraint y_i (w . x_i + b) >= 1 and the KKT conditions "
    "(notebook 02; helpers/svm.py's docstring)",
    "experiments": "re-run the notebook at the default profile and copy the value it prints",
}
STUDENT_COLUMNS = ("item", "your answer", "points", "reason", "hint")


def student_report(grade: Grade) -> str:
    """The grade report for the student, as Markdown: mark, reason and hint per item.

    Unlike :func:`markdown_report` it never shows an expected value: no ``expected``
    column, each reason is the mark's ``student_text``, and the notes on the file name
    keys and lines only.
    """
    out = [
        f"# Feedback: {_md(grade.source)}",
        "",
        f"**{total_line(grade)}**",
        "",
        "| section | points | max |",
        "|---|---|---|",
    ]
    out += [f"| {t} | {points_text(p)} | {points_text(x)} |" for t, p, x in section_totals(grade)]
    for section, title in SECTION_TITLES.items():
        out += ["", f"## {title}"]
        for table in (t for t in TABLES if t.startswith(section + ".")):
            out += [
                "",
                f"### {TABLE_TITLES[table]}",
                "",
                "| " + " | ".join(STUDENT_COLUMNS) + " |",
                "|---|---|---|---|---|",
            ]
            for m in (m for m in grade.marks if m.item.table == table):
                hint = "" if m.earned else STUDENT_HINTS[section]
                out.append(
                    f"| {_md(m.item.key)} | {_md(m.given)} | {_points(m)} | "
                    f"{_md(m.student_text or m.status)} | {_md(hint)} |"
                )
    out += ["", "## Notes on the file", ""]
    out += [f"- {_md(n)}" for n in grade.notes] or ["None."]
    return "\n".join(out) + "\n"
