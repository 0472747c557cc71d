"""Everything ``make report`` writes, built in memory from validated inputs (writes nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers import ledger as ledger_mod
from helpers.ledger import LedgerRow
from tools.report.document import Block, Bullets, Heading, Paragraph, render_html, render_markdown
from tools.report.figures import Figure
from tools.report.inputs import evaluate_ledger, expected_results, load_results_set, results_folder
from tools.report.readme import readme_block
from tools.report.sections import (
    data_blocks,
    ledger_overview_blocks,
    notebook_blocks,
    notebook_info,
    run_blocks,
    summary_sentence,
)


@dataclass
class Report:
    """Everything ``make report`` writes, built in memory first."""

    markdown: str
    html: str
    figures: list[Figure]
    readme_block: str
    rows: list[LedgerRow]


def build(
    profile: str = "default",
    folder: Path | None = None,
    ledger_path: Path | None = None,
    notebooks_dir: Path | None = None,
) -> Report:
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
        Paragraph(
            "What was run, on what data, and whether every number the original "
            "submission reported was reproduced. Built by `make report` from the "
            "notebooks' `results/*.json` and the executed notebooks' figures; nothing "
            "is re-trained. The README's results section is generated from the same "
            "files."
        ),
        Paragraph(summary_sentence(ledger_mod.summary_counts(rows))),
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
        Bullets(
            [
                "`make run-all` executes the notebooks (papermill); each saves its key numbers "
                "to `results/<notebook>.json` and the pipeline records `results/run.json`.",
                "`make report` (`python -m tools.report`) validates those files, compares "
                "them with `helpers/ledger.toml`, and writes `results/REPORT.md`, "
                "`results/report.html`, `results/figures/` and the README block.",
                "`make book` builds the book in `build/book/`: the executed notebooks, the "
                "theory and this report as one offline site.",
            ]
        ),
    ]
    title = "Reproduction report"
    return Report(
        markdown=render_markdown(blocks),
        html=render_html(blocks, title),
        figures=figures,
        readme_block=readme_block(results, rows),
        rows=rows,
    )
