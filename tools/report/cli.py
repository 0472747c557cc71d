"""The command line: ``python -m tools.report [build|check] [--profile ...]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from helpers import ledger as ledger_mod
from helpers.ledger import LedgerError
from helpers.paths import relative
from helpers.profiles import PROFILE_NAMES
from tools.report import readme
from tools.report.build import build
from tools.report.inputs import ReportError, results_folder
from tools.report.sections import summary_sentence
from tools.report.write import write_report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.report",
        description="Build results/REPORT.md + results/report.html (build) or check them "
        "without writing (check).",
    )
    parser.add_argument("command", nargs="?", default="build", choices=("build", "check"))
    parser.add_argument("--profile", default="default", choices=PROFILE_NAMES)
    args = parser.parse_args(argv)
    try:
        report = build(args.profile)
        if args.command == "check":
            print(summary_sentence(ledger_mod.summary_counts(report.rows)))
            return 0
        folder = results_folder(args.profile)
        readme_path = readme.README_PATH if args.profile == "default" else None
        write_report(report, folder, readme_path)
    except (ReportError, LedgerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = ledger_mod.summary_counts(report.rows)
    print(
        f"wrote {relative(folder / 'REPORT.md')}, {relative(folder / 'report.html')} and "
        f"{len(report.figures)} figure(s); {summary_sentence(counts)}"
    )
    return 0
