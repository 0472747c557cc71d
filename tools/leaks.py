"""Does a hand-out give an answer away? ``python -m tools.leaks [FOLDER_OR_ZIP ...]``.

The needles are every reference answer, taken from the sources the grader uses:

* every number of the reference answers (``tools.grading.reference.load_reference``:
  the backprop values, the SVMs' w, b and margins, every experiment number) written to
  4 significant digits, ``f"{abs(x):#.4g}"`` (``0.8950``, ``2.828``), and its exact
  fraction text (``-31/250``) when that has at least 5 characters. Integers below 1000
  and numbers whose 4-digit text has fewer than 4 characters are left out: ``3``,
  ``-2`` or ``0.5`` occur in every file for other reasons, and searching for them
  would only teach the test to be ignored. Each 2-vector answer is also searched as
  text, ``(-2, -2)``; the other small answers (b = 3) are kept out by the
  ``reveals-answer`` cell tags, which the tests check;
* each SVM problem's ``b = 3`` and its hyperplane, ``-2x1 - 2x2 + 3`` and
  ``-2x_1 - 2x_2 + 3`` (the notebooks' LaTeX);
* every line of every solution region (``# BEGIN SOLUTION`` .. ``# END SOLUTION``) of
  the reference helpers, stripped, at least 12 characters long, that is not part of any
  line outside the regions (a ``return out`` is not a leak).

The haystack is every file under a hand-out folder and every entry of a zip, as text
(UTF-8, undecodable bytes replaced); for a notebook also its cells' joined sources and
outputs, so JSON escaping cannot hide a line.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from helpers.paths import REPO_ROOT
from tools.student import EXERCISE_HELPERS, HELPERS_DIR, solution_regions

MIN_LINE = 12


@dataclass(frozen=True)
class Needle:
    text: str
    what: str  # where the needle comes from, for the message
    #: a number's 4-significant-digit text: it counts only inside a number that rounds to
    #: it (``2.828`` in ``2.8284271``, not ``0.8498`` in ``0.8498571``, another number)
    number: bool = False


@dataclass(frozen=True)
class Hit:
    needle: Needle
    where: str  # file (or zip!entry) of the hand-out


def _numbers(value) -> Iterator[Fraction | float | int]:
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return
    if isinstance(value, (int, float, Fraction)):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _numbers(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _numbers(inner)


def number_needles(values: dict) -> list[Needle]:
    """The 4-significant-digit text (and long fraction text) of every reference number."""
    needles: dict[str, Needle] = {}
    for item, value in values.items():
        if (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(isinstance(v, (int, Fraction)) and not isinstance(v, bool) for v in value)
        ):
            vector = f"({Fraction(value[0])}, {Fraction(value[1])})"
            needles.setdefault(vector, Needle(vector, f"{item} = {vector}"))
        for number in _numbers(value):
            if isinstance(number, int) or (
                isinstance(number, Fraction) and number.denominator == 1
            ):
                if abs(int(number)) < 1000:
                    continue
            text = f"{abs(float(number)):#.4g}"
            if "e" not in text and len(text.replace(".", "")) >= 4:
                needles.setdefault(text, Needle(text, f"{item} = {float(number)!r}", number=True))
            if isinstance(number, Fraction) and number.denominator > 1:
                exact = f"{abs(number.numerator)}/{number.denominator}"
                if len(exact) >= 5:
                    needles.setdefault(exact, Needle(exact, f"{item} = {number}"))
    return list(needles.values())


def region_needles(paths: Iterable[Path]) -> list[Needle]:
    """Distinctive lines of the solution regions of ``paths``."""
    needles: dict[str, Needle] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        regions = solution_regions(text, path.name)
        outside = "\n".join(_outside_regions(text))
        for region in regions:
            for line in region.body.splitlines():
                stripped = line.strip()
                if len(stripped) < MIN_LINE or stripped.startswith("#") or stripped in outside:
                    continue
                needles.setdefault(
                    stripped,
                    Needle(stripped, f"solution of {region.function}() in helpers/{path.name}"),
                )
    return list(needles.values())


def _outside_regions(text: str) -> list[str]:
    keep, inside_region = [], False
    for line in text.splitlines():
        marker = line.strip()
        if marker == "# BEGIN SOLUTION":
            inside_region = True
        elif marker == "# END SOLUTION":
            inside_region = False
        elif not inside_region:
            keep.append(line.strip())
    return keep


def svm_needles(values: dict) -> list[Needle]:
    """Each SVM problem's ``b = ...`` and hyperplane as the notebooks write them."""
    from helpers.svm_checks import hyperplane_text

    needles = []
    for problem in (1, 2):
        base = f"svm.problem{problem}"
        if f"{base}.w" not in values or f"{base}.b" not in values:
            continue
        w, b = values[f"{base}.w"], Fraction(values[f"{base}.b"])
        plain = hyperplane_text(w, b).removesuffix(" = 0")
        latex = plain.replace("x1", "x_1").replace("x2", "x_2")
        for text in (f"b = {b}", plain, latex):
            needles.append(Needle(text, f"{base}: w = {list(map(str, w))}, b = {b}"))
    return needles


def reference_needles() -> list[Needle]:
    """Every needle of this repository's reference answers and solution regions."""
    from tools.grading.reference import load_reference

    reference = load_reference()
    return (
        number_needles(reference.values)
        + svm_needles(reference.values)
        + region_needles(HELPERS_DIR / name for name in EXERCISE_HELPERS)
    )


def _texts_of(name: str, data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    texts = [text]
    if name.endswith(".ipynb"):
        try:
            notebook = json.loads(text)
            for cell in notebook.get("cells", []):
                source = cell.get("source", "")
                texts.append("".join(source) if isinstance(source, list) else str(source))
                texts.append(json.dumps(cell.get("outputs", []), ensure_ascii=False))
        except (ValueError, AttributeError):
            pass
    return texts


def haystacks(target: Path) -> Iterator[tuple[str, list[str]]]:
    """``(name, texts)`` of every file under a folder or every entry of a zip."""
    if target.is_dir():
        for path in sorted(target.rglob("*")):
            if path.is_file():
                name = path.relative_to(target).as_posix()
                if ".venv" in path.relative_to(target).parts:
                    continue
                yield name, _texts_of(name, path.read_bytes())
                if path.suffix == ".zip":
                    yield from haystacks(path)
    elif zipfile.is_zipfile(target):
        with zipfile.ZipFile(target) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    name = f"{target.name}!{info.filename}"
                    yield name, _texts_of(name, archive.read(info))
    else:
        raise ValueError(f"{target}: neither a folder nor a zip")


def _occurs(needle: Needle, text: str) -> bool:
    """Whether ``needle`` is in ``text`` (a number needle: inside a number that rounds to it)."""
    if not needle.number:
        return needle.text in text
    start = text.find(needle.text)
    while start >= 0:
        left, right = start, start + len(needle.text)
        while left > 0 and (text[left - 1].isdigit() or text[left - 1] == "."):
            left -= 1
        while right < len(text) and text[right].isdigit():
            right += 1
        try:
            if f"{abs(float(text[left:right])):#.4g}" == needle.text:
                return True
        except ValueError:  # "1.2.3": not one number; count it, as a plain search would
            return True
        start = text.find(needle.text, start + 1)
    return False


def find_leaks(targets: Iterable[Path], needles: list[Needle] | None = None) -> list[Hit]:
    """Every needle found in any file of ``targets``."""
    needles = reference_needles() if needles is None else needles
    hits = []
    for target in targets:
        for name, texts in haystacks(target):
            for needle in needles:
                if any(_occurs(needle, text) for text in texts):
                    hits.append(Hit(needle, name))
    return hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.leaks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "targets",
        nargs="*",
        type=Path,
        default=[REPO_ROOT / "build" / "student", REPO_ROOT / "build" / "student.zip"],
    )
    args = parser.parse_args(argv)
    hits = find_leaks(args.targets)
    for hit in hits:
        print(f"LEAK {hit.where}: {hit.needle.text!r} ({hit.needle.what})")
    print(f"{len(hits)} leak(s)")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
