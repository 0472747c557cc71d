"""Read an untrusted answers file into checked values, one reason per unusable item.

A submission is data, never code: it is read as bytes (at most :data:`MAX_BYTES`),
decoded as UTF-8 and parsed with :mod:`tomllib`; nothing in it is executed,
imported or unpickled. Floats are parsed as :class:`decimal.Decimal`, so ``0.30753``
becomes exactly ``Fraction(30753, 100000)`` for the exact-arithmetic marking.

Whatever is wrong, grading goes on:

* a file too large, not UTF-8 or unreadable: every item gets that reason;
* invalid TOML: the file is re-parsed table by table, so only the items of a
  broken table are lost (each names the table and the parser's line);
* a missing key, a string where a number belongs, NaN or infinity, a list of the
  wrong length, a choice outside its options: that item gets the reason, naming
  its key and line;
* an unknown key: a note (with a "did you mean" where one is close), no lost points.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from tools.grading.questions import ITEMS, ITEMS_BY_ID, TABLES, Item

#: Largest answers file read, in bytes (a complete answers file is about 3 KiB).
MAX_BYTES = 64 * 1024

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY_LINE = re.compile(
    r"""^\s*((?:"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+)"""
    r"""(?:\s*\.\s*(?:"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+))*)\s*="""
)
_KEY_PART = re.compile(r""""([^"\n]*)"|'([^'\n]*)'|([A-Za-z0-9_-]+)""")
_PARSER_LINE = re.compile(r"at line (\d+)")


@dataclass
class Answers:
    """A submission after checking.

    ``values``: item id -> checked value (``Fraction`` for numbers, a tuple of two
    Fractions for ``vector2``, a ``frozenset`` of letters, ``int`` for a class,
    ``str`` for a choice). ``given``: item id -> the text as written (for reports).
    ``problems``: item id -> why the item has no usable value. ``notes``: remarks on
    the whole file (unknown keys, broken tables) that cost no points by themselves.
    """

    source: str
    values: dict[str, Any] = field(default_factory=dict)
    given: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)


class InvalidValue(ValueError):
    """An answer of the wrong type or out of range; the message says what was expected."""


# ------------------------------------------------------------------------- reading


def read_answers(path: Path | str) -> Answers:
    """Read and check the answers file at ``path`` (see :func:`parse_answers`).

    The reports name the file by its base name only (no absolute paths).
    """
    path = Path(path)
    source = path.name
    try:
        if not path.is_file():
            return _unusable(source, f"{source} is not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return _unusable(source, f"cannot read {source}: {exc.strerror or exc}")
    if len(raw) > MAX_BYTES:
        return _unusable(
            source,
            f"{source} is larger than the {MAX_BYTES // 1024} KiB limit "
            "for an answers file: not read",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _unusable(source, f"{source} is not UTF-8 text (byte {exc.start}): not read")
    return parse_answers(text, source)


def _unusable(source: str, reason: str) -> Answers:
    """Answers where every item carries the same whole-file ``reason``."""
    answers = Answers(source=source, notes=[reason])
    for item in ITEMS:
        answers.problems[item.id] = f"not graded: {reason}"
    return answers


def parse_answers(text: str, source: str = "answers.toml") -> Answers:
    """Check the answers TOML ``text``; never raises for bad content."""
    answers = Answers(source=source)
    answers.lines = key_lines(text)
    if "\x00" in text:
        return _unusable(source, f"{source} contains NUL bytes: not a text file")
    data, broken = _parse_tolerantly(text)
    answers.notes.extend(broken.values())
    for item in ITEMS:
        _check_item(item, data, broken, answers)
    _note_unknown_keys(data, answers)
    return answers


def _parse_tolerantly(text: str) -> tuple[dict, dict[str, str]]:
    """Parse ``text``; if it is invalid TOML, parse each table on its own.

    Returns ``(data, broken)`` where ``broken`` maps a table name (``""`` for the
    lines before the first table) to the reason it could not be read.
    """
    try:
        return tomllib.loads(text, parse_float=Decimal), {}
    except tomllib.TOMLDecodeError:
        pass
    data: dict = {}
    broken: dict[str, str] = {}
    for first_line, header, chunk in _chunks(text):
        try:
            part = tomllib.loads(chunk, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            message = _shift_line(str(exc), first_line - 1)
            where = (
                f"table [{header}] (from line {first_line})"
                if header
                else "the lines before the first table"
            )
            broken[header] = f"{where} is not valid TOML: {message}"
            continue
        for clash in _merge(data, part):
            broken.setdefault(
                clash, f"key or table {clash!r} (near line {first_line}) is defined twice"
            )
    return data, broken


_HEADER_ATTEMPT = re.compile(r"^\s*\[(?!\[)\s*([^\]\s#=]*)")


def _chunks(text: str) -> list[tuple[int, str, str]]:
    """Split ``text`` before each ``[table]`` header: ``(first line, header, text)``.

    A line that starts like a header but is not one (``[svm.problem1`` without its
    ``]``) also starts a chunk, named as far as it can be read, so that the error costs
    that table only and not the one before it; such a line inside an open multi-line
    array does not. A complete header always starts a chunk (an unclosed array before
    it is that chunk's error).
    """
    chunks: list[tuple[int, str, list[str]]] = [(1, "", [])]
    depth = 0  # open brackets of a multi-line array value
    for number, line in enumerate(text.splitlines(), 1):
        header = None
        if not line.lstrip().startswith("[["):
            match = _HEADER.match(line)
            attempt = None if match or depth else _HEADER_ATTEMPT.match(line)
            if match:
                header = ".".join(_split_key(match.group(1)))
            elif attempt:
                header = attempt.group(1) or f"<line {number}>"
        if header is not None:
            chunks.append((number, header, []))
            depth = 0
        else:
            depth = max(0, depth + _bracket_balance(line))
        chunks[-1][2].append(line)
    return [(first, header, "\n".join(lines) + "\n") for first, header, lines in chunks]


def _bracket_balance(line: str) -> int:
    """``[`` minus ``]`` outside strings and comments (a rough scan, for chunking only)."""
    balance, quote = 0, ""
    for char in line:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char == "[":
            balance += 1
        elif char == "]":
            balance -= 1
    return balance


def _shift_line(message: str, offset: int) -> str:
    """Add ``offset`` to the ``at line N`` of a parser message."""
    return _PARSER_LINE.sub(lambda m: f"at line {int(m.group(1)) + offset}", message)


def _merge(into: dict, part: dict, prefix: str = "") -> list[str]:
    """Deep-merge ``part`` into ``into``; returns the dotted keys defined twice."""
    clashes = []
    for key, value in part.items():
        name = f"{prefix}{key}"
        if key not in into:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, dict):
            clashes += _merge(into[key], value, name + ".")
        else:
            clashes.append(name)
    return clashes


def _split_key(dotted: str) -> list[str]:
    """``'a."b.c".d'`` -> ``["a", "b.c", "d"]`` (bare or quoted TOML key parts)."""
    return [
        m.group(1)
        if m.group(1) is not None
        else m.group(2)
        if m.group(2) is not None
        else m.group(3)
        for m in _KEY_PART.finditer(dotted)
    ]


def key_lines(text: str) -> dict[str, int]:
    """Line number of each ``key = value`` and ``[table]``, keyed by dotted path.

    A light scan for messages only (multi-line strings may confuse it); the values
    themselves always come from :mod:`tomllib`.
    """
    lines: dict[str, int] = {}
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            lines.setdefault(".".join(table), number)
            continue
        key = _KEY_LINE.match(line)
        if key:
            lines.setdefault(".".join(table + _split_key(key.group(1))), number)
    return lines


# ------------------------------------------------------------------------ checking


def _where(item_id: str, answers: Answers) -> str:
    line = answers.lines.get(item_id)
    return f"{item_id} (line {line})" if line else item_id


def _check_item(item: Item, data: dict, broken: dict[str, str], answers: Answers) -> None:
    """Find ``item`` in ``data`` and store its checked value or the reason it has none."""
    parts = item.table.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        prefix = ".".join(parts[: depth + 1])
        if prefix in broken:
            answers.problems[item.id] = f"not graded: {broken[prefix]}"
            return
        if not isinstance(node, dict) or part not in node:
            answers.problems[item.id] = (
                f"not graded: {broken['']}"
                if "" in broken
                else f"missing: no [{item.table}] table with {item.key!r}"
            )
            return
        node = node[part]
    if not isinstance(node, dict):
        answers.problems[item.id] = f"[{item.table}] is not a table"
        return
    if item.key not in node:
        answers.problems[item.id] = f"missing: key {item.key!r} in [{item.table}]"
        return
    raw = node[item.key]
    answers.given[item.id] = _given_text(raw)
    try:
        answers.values[item.id] = check_value(item, raw)
    except InvalidValue as exc:
        answers.problems[item.id] = f"{_where(item.id, answers)}: {exc}"


def _given_text(raw: Any) -> str:
    """The answer as the student wrote it, shortened for a table cell."""
    if isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, str):
        text = json.dumps(raw, ensure_ascii=False)
    elif isinstance(raw, list):
        text = "[" + ", ".join(_given_text(v) for v in raw) + "]"
    elif isinstance(raw, dict):
        text = "{table}"
    else:
        text = str(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_of(raw: Any) -> str:
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, str):
        return f"a string ({_given_text(raw)})"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, dict):
        return "a table"
    return type(raw).__name__


def as_fraction(raw: Any) -> Fraction:
    """A TOML number as an exact Fraction; :class:`InvalidValue` for anything else."""
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
        if isinstance(raw, str):
            raise InvalidValue(
                f"a string where a number belongs ({_given_text(raw)}): "
                "write the number without quotes"
            )
        raise InvalidValue(f"expected a number, got {_kind_of(raw)}")
    if isinstance(raw, Decimal) and not raw.is_finite():
        raise InvalidValue(f"{raw} is not a finite number")
    return Fraction(raw)


def check_value(item: Item, raw: Any) -> Any:
    """The checked value of ``raw`` for ``item`` (see :mod:`tools.grading.questions`)."""
    if item.value_type == "number":
        return as_fraction(raw)
    if item.value_type == "vector2":
        if not isinstance(raw, list) or len(raw) != 2:
            raise InvalidValue(
                f"expected a list of two numbers [w1, w2], got {_kind_of(raw)}"
                + (f" of length {len(raw)}" if isinstance(raw, list) else "")
            )
        return tuple(as_fraction(v) for v in raw)
    if item.value_type == "letters":
        if not isinstance(raw, list) or not raw:
            raise InvalidValue(
                f'expected a list of point letters like ["B", "C"], got '
                f"{_kind_of(raw) if raw != [] else 'an empty list'}"
            )
        letters = []
        for value in raw:
            if not isinstance(value, str) or not re.fullmatch(r"\s*[A-Za-z]\s*", value):
                raise InvalidValue(f"{_given_text(value)} is not a point letter (A, B, ...)")
            letters.append(value.strip().upper())
        if len(set(letters)) != len(letters):
            raise InvalidValue("a point letter is listed twice")
        return frozenset(letters)
    if item.value_type == "class":
        value = as_fraction(raw)
        if value not in (1, -1):
            raise InvalidValue(f"a class is 1 or -1, got {raw}")
        return int(value)
    if item.value_type == "choice":
        if not isinstance(raw, str) or raw.strip().lower() not in item.options:
            raise InvalidValue(
                f"expected one of {', '.join(map(repr, item.options))}, "
                f"got {_kind_of(raw) if not isinstance(raw, str) else repr(raw)}"
            )
        return raw.strip().lower()
    raise AssertionError(f"unknown value type {item.value_type!r}")


def _note_unknown_keys(data: dict, answers: Answers) -> None:
    """Add a note for every key that is no item of the format (with a close match)."""
    for path in _leaf_paths(data):
        if path in ITEMS_BY_ID or path in TABLES:
            continue  # a value where a table belongs is reported on its items
        table, _, key = path.rpartition(".")
        siblings = [item.key for item in ITEMS if item.table == table]
        close = (
            difflib.get_close_matches(key, siblings, 1, 0.5)
            if siblings
            else difflib.get_close_matches(path, list(TABLES), 1, 0.5)
        )
        hint = f"; did you mean {close[0]!r}?" if close else ""
        line = answers.lines.get(path)
        where = f" (line {line})" if line else ""
        answers.notes.append(f"unknown key {path}{where}: ignored{hint}")


def _leaf_paths(node: dict, prefix: str = "") -> list[str]:
    """Dotted paths of the non-table values in ``node`` (tables are walked into)."""
    paths = []
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and any(t == path or t.startswith(path + ".") for t in TABLES):
            paths += _leaf_paths(value, path + ".")
        else:
            paths.append(path)
    return paths
