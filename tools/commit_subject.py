"""commit-msg hook: the subject is one line of at most 72 characters, and a body (if any)
is separated from it by a blank line. ``python -m tools.commit_subject MSGFILE``."""

from __future__ import annotations

import sys
from pathlib import Path

MAX_SUBJECT = 72


def problems(message: str) -> list[str]:
    """What is wrong with a commit message (empty when nothing is)."""
    lines = [line for line in message.splitlines() if not line.startswith("#")]
    if not lines or not lines[0].strip():
        return ["the subject (first line) is empty"]
    found = []
    if len(lines[0]) > MAX_SUBJECT:
        found.append(
            f"the subject has {len(lines[0])} characters, at most {MAX_SUBJECT}: "
            f"{lines[0][:MAX_SUBJECT]}..."
        )
    if len(lines) > 1 and lines[1].strip():
        found.append("the second line must be blank (subject, blank line, body)")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.commit_subject MSGFILE", file=sys.stderr)
        return 2
    found = problems(Path(args[0]).read_text(encoding="utf-8"))
    for problem in found:
        print(f"commit message: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
