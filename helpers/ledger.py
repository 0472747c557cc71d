"""The ledger: every number the original submission reports, and how it compares.

The original values are typed in once, in ``helpers/ledger.toml`` (TOML, so each
entry carries a comment and a ``where`` saying where in the submission it comes
from). This module parses that file strictly and compares each entry with the
reproduced value it names in a notebook's ``results/<notebook>.json``.

File layout::

    schema = 1

    [[group]]                      # one table of the report (e.g. "Grid search")
    name = "..."
    notebook = "05_fashion_grid_search"   # results file the keys refer to
    tolerance = 0.02               # defaults for the group's entries: any entry field
    reason = "..."                 # except id/description/original/line
    key_prefix = "grid"            # prepended to every entry's key

      [[group.entry]]
      id = "grid.mean.00"          # unique, [a-z0-9_.-]
      description = "..."
      original = 0.807375          # exactly as the submission prints it
      where = "Grid search, In [30] output, row 0"
      line = 1254                  # line of the submission text holding the value
      key = "grid.candidate=0.mean"    # dotted path into the results payload: list
                                       # indices are numbers (-1 is the last), and
                                       # field=value picks the one list item whose
                                       # field has that value

Kinds of comparison (``kind``; ``number`` is the default for numeric originals):

``number``
    ``|reproduced * scale - original| <= tolerance`` -> ``matches``, else ``differs``.
``exact``
    JSON values equal (numbers compared as floats) -> ``matches``.
``set``
    Same elements in any order -> ``matches``.
``verdict``
    A qualitative statement a notebook decides by a rule of its own (notebook 07):
    ``key`` names the verdict the notebook saved (a string), ``expect`` lists the
    verdicts that agree with the statement. ``consistent`` when the saved verdict is one
    of them, else ``not consistent``.
``highest`` / ``lowest``
    A qualitative statement decided by a rule: ``candidates`` maps names to keys,
    ``expect`` lists the names the statement says come out on top (bottom).
    ``consistent`` when every expected candidate scores strictly above (below)
    every other one, else ``not consistent``. A ``null`` value (e.g. an epoch count
    for a threshold never reached) counts as +infinity and shows as ``never``.

``reason`` (a string, or a table keyed by profile name with an optional ``other``)
is shown only when the entry does not agree; ``{setting}`` in it is replaced by that
setting of the profile table (``{grid_folds}`` -> ``3`` for the default profile).
``scale`` multiplies the reproduced value first (100 turns a fraction into the
percentage the original printed), ``digits`` sets the decimals of the reproduced
value, ``unit`` is appended, and ``headline = true`` puts the entry in the README's
results block.

Length: about 560 lines, over the repository's guide of 500: the strict parser (every
malformed field named with its group and entry) and the comparison share one entry
model, and splitting them would leave a module of dataclasses with nothing to do.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.profiles import PROFILE_NAMES, PROFILES, get_profile

LEDGER_PATH = Path(__file__).with_name("ledger.toml")
LEDGER_SCHEMA = 1

KINDS = ("number", "exact", "set", "highest", "lowest", "verdict")
AGREEING = ("matches", "consistent")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_NOTEBOOK_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+$")

# Fields an entry may set; a group may set the ones marked as defaults.
_ENTRY_ONLY = {"id", "description", "original", "line"}
_SHARED = {
    "notebook",
    "where",
    "kind",
    "key",
    "tolerance",
    "scale",
    "digits",
    "unit",
    "reason",
    "candidates",
    "expect",
    "headline",
}
_GROUP_ONLY = {"name", "key_prefix", "entry"}


class LedgerError(ValueError):
    """The ledger file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class LedgerEntry:
    """One reported number (or statement) of the original, fully resolved."""

    id: str
    group: str
    notebook: str
    description: str
    original: Any
    where: str
    kind: str
    key: tuple = ()
    tolerance: float = 0.0
    scale: float = 1.0
    digits: int = 4
    unit: str = ""
    reason: Any = None
    line: int | None = None
    candidates: tuple[tuple[str, tuple], ...] = ()
    expect: tuple[str, ...] = ()
    headline: bool = False

    def reason_for(self, profile: str) -> str:
        """The reason text for ``profile`` ("" when none is recorded).

        ``{setting}`` placeholders are filled from the profile table, so a reason
        such as "{grid_folds} folds" cannot drift from what was run.
        """
        if self.reason is None:
            return ""
        if isinstance(self.reason, str):
            text = self.reason
        else:
            text = self.reason.get(profile, self.reason.get("other", ""))
        return _fill_settings(text, profile)

    def key_paths(self) -> list[tuple]:
        """Every results key path this entry reads."""
        return [self.key] if self.key else [path for _, path in self.candidates]


@dataclass(frozen=True)
class LedgerRow:
    """An entry compared with the reproduced results."""

    entry: LedgerEntry
    original_text: str
    reproduced_text: str
    status: str
    reason: str

    @property
    def agrees(self) -> bool:
        return self.status in AGREEING


# ---------------------------------------------------------------------------- parsing

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _fill_settings(text: str, profile: str) -> str:
    """Replace ``{setting}`` in ``text`` by the profile table's value ("all" for None)."""
    row = get_profile(profile)

    def value(match: re.Match) -> str:
        setting = row[match.group(1)]
        if setting is None:
            return "all"
        return f"{setting:,}" if isinstance(setting, int) else str(setting)

    return _PLACEHOLDER.sub(value, text)


def parse_key_path(value: Any, prefix: tuple = (), where: str = "key") -> tuple:
    """``"a.b.0"`` or ``["a", "b", 0]`` -> ``("a", "b", "0")`` (after ``prefix``).

    Items stay strings; :func:`lookup` turns them into list indices where the
    payload holds a list. Use the list form for keys that contain dots.
    """
    if isinstance(value, str):
        parts = value.split(".")
    elif isinstance(value, list):
        parts = value
    else:
        raise LedgerError(f"{where}: must be a dotted string or a list, got {value!r}")
    out = []
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, (str, int)) or part == "":
            raise LedgerError(f"{where}: bad path element {part!r} in {value!r}")
        out.append(str(part))
    return tuple(prefix) + tuple(out)


def _check_type(entry_id: str, field: str, value: Any, types, what: str) -> None:
    allowed = types if isinstance(types, tuple) else (types,)
    if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
        raise LedgerError(f"entry {entry_id!r}: {field} must be {what}, got {value!r}")


def _resolve_entry(group: Mapping, raw: Mapping, index: int) -> LedgerEntry:
    group_name = group.get("name", "?")
    entry_id = raw.get("id", f"<entry {index} of group {group_name!r}>")
    if not isinstance(entry_id, str) or not _ID_PATTERN.match(entry_id):
        raise LedgerError(f"group {group_name!r}: bad id {entry_id!r} (use [a-z0-9_.-])")
    unknown = set(raw) - _ENTRY_ONLY - _SHARED
    if unknown:
        raise LedgerError(f"entry {entry_id!r}: unknown field(s) {', '.join(sorted(unknown))}")
    merged = {k: v for k, v in group.items() if k in _SHARED}
    merged.update(raw)
    for field in ("notebook", "description", "original", "where"):
        if field not in merged:
            raise LedgerError(f"entry {entry_id!r}: missing field {field!r}")
    notebook = merged["notebook"]
    if not isinstance(notebook, str) or not _NOTEBOOK_PATTERN.match(notebook):
        raise LedgerError(
            f"entry {entry_id!r}: notebook must look like '03_name', got {notebook!r}"
        )
    for field in ("description", "where", "unit"):
        if field in merged:
            _check_type(entry_id, field, merged[field], str, "a string")
    original = merged["original"]
    default_kind = (
        "number"
        if isinstance(original, (int, float)) and not isinstance(original, bool)
        else "exact"
    )
    kind = merged.get("kind", default_kind)
    if kind not in KINDS:
        raise LedgerError(f"entry {entry_id!r}: kind {kind!r} is not one of {', '.join(KINDS)}")

    tolerance = merged.get("tolerance", 0.0)
    _check_type(entry_id, "tolerance", tolerance, (int, float), "a number")
    if not math.isfinite(tolerance) or tolerance < 0:
        raise LedgerError(f"entry {entry_id!r}: tolerance must be >= 0, got {tolerance!r}")
    scale = merged.get("scale", 1.0)
    _check_type(entry_id, "scale", scale, (int, float), "a number")
    digits = merged.get("digits", 4)
    _check_type(entry_id, "digits", digits, int, "an integer")
    if not 0 <= digits <= 12:
        raise LedgerError(f"entry {entry_id!r}: digits must be 0..12, got {digits}")
    headline = merged.get("headline", False)
    _check_type(entry_id, "headline", headline, bool, "true or false")
    line = merged.get("line")
    if line is not None:
        _check_type(entry_id, "line", line, int, "an integer")
        if line < 1:
            raise LedgerError(f"entry {entry_id!r}: line must be >= 1, got {line}")

    reason = merged.get("reason")
    if isinstance(reason, dict):
        bad = set(reason) - set(PROFILE_NAMES) - {"other"}
        if bad or not all(isinstance(v, str) for v in reason.values()):
            raise LedgerError(
                f"entry {entry_id!r}: reason table needs profile names "
                f"({', '.join(PROFILE_NAMES)}) or 'other' with text values"
            )
    elif reason is not None and not isinstance(reason, str):
        raise LedgerError(f"entry {entry_id!r}: reason must be text or a table by profile")
    texts = [reason] if isinstance(reason, str) else list((reason or {}).values())
    for text in texts:
        unknown_settings = set(_PLACEHOLDER.findall(text)) - set(PROFILES["default"])
        if unknown_settings:
            raise LedgerError(
                f"entry {entry_id!r}: reason names unknown profile setting(s) "
                f"{', '.join(sorted(unknown_settings))}"
            )

    prefix = parse_key_path(group.get("key_prefix", []), where=f"group {group_name!r} key_prefix")
    key: tuple = ()
    candidates: tuple = ()
    expect: tuple = ()
    if kind == "number":
        if not isinstance(original, (int, float)) or isinstance(original, bool):
            raise LedgerError(f"entry {entry_id!r}: kind 'number' needs a numeric original")
    if kind in ("highest", "lowest"):
        if "key" in raw:
            raise LedgerError(f"entry {entry_id!r}: kind {kind!r} uses candidates, not key")
        cands = merged.get("candidates")
        if not isinstance(cands, dict) or len(cands) < 2:
            raise LedgerError(
                f"entry {entry_id!r}: kind {kind!r} needs a candidates table "
                "with at least two names"
            )
        candidates = tuple(
            (str(name), parse_key_path(path, prefix, f"entry {entry_id!r} candidate {name!r}"))
            for name, path in cands.items()
        )
        exp = merged.get("expect")
        if (
            not isinstance(exp, list)
            or not exp
            or not all(isinstance(e, str) for e in exp)
            or len(set(exp)) != len(exp)
        ):
            raise LedgerError(f"entry {entry_id!r}: expect must be a list of distinct names")
        missing = set(exp) - {name for name, _ in candidates}
        if missing or len(exp) >= len(candidates):
            raise LedgerError(
                f"entry {entry_id!r}: expect {exp!r} must name some, not all, "
                f"of the candidates {[n for n, _ in candidates]!r}"
            )
        if not isinstance(original, str):
            raise LedgerError(f"entry {entry_id!r}: the original of a statement is its text")
        expect = tuple(exp)
    else:
        if "key" not in merged:
            raise LedgerError(f"entry {entry_id!r}: missing field 'key'")
        key = parse_key_path(merged["key"], prefix, f"entry {entry_id!r} key")
        if "candidates" in merged:
            raise LedgerError(f"entry {entry_id!r}: candidates is only for highest/lowest")
        if kind == "verdict":
            exp = merged.get("expect")
            if not isinstance(exp, list) or not exp or not all(isinstance(e, str) for e in exp):
                raise LedgerError(f"entry {entry_id!r}: expect must list the agreeing verdicts")
            if not isinstance(original, str):
                raise LedgerError(f"entry {entry_id!r}: the original of a statement is its text")
            expect = tuple(exp)
        elif "expect" in merged:
            raise LedgerError(f"entry {entry_id!r}: expect is only for highest/lowest/verdict")
    if kind == "set" and not isinstance(original, list):
        raise LedgerError(f"entry {entry_id!r}: kind 'set' needs a list original")

    return LedgerEntry(
        id=entry_id,
        group=str(group_name),
        notebook=notebook,
        description=merged["description"],
        original=original,
        where=merged["where"],
        kind=kind,
        key=key,
        tolerance=float(tolerance),
        scale=float(scale),
        digits=digits,
        unit=merged.get("unit", ""),
        reason=reason,
        line=line,
        candidates=candidates,
        expect=expect,
        headline=headline,
    )


def parse_ledger(text: str, source: str = "ledger") -> list[LedgerEntry]:
    """Parse ledger TOML ``text`` into resolved entries, in file order.

    Raises :class:`LedgerError` (naming ``source`` and the entry) for anything
    malformed: bad TOML, unknown or missing fields, wrong types, duplicate ids.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LedgerError(f"{source}: not valid TOML: {exc}") from None
    if data.get("schema") != LEDGER_SCHEMA:
        raise LedgerError(
            f"{source}: expected 'schema = {LEDGER_SCHEMA}' at the top, got {data.get('schema')!r}"
        )
    unknown = set(data) - {"schema", "group"}
    if unknown:
        raise LedgerError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    groups = data.get("group")
    if not isinstance(groups, list) or not groups:
        raise LedgerError(f"{source}: no [[group]] tables")
    entries: list[LedgerEntry] = []
    seen: set[str] = set()
    for g_index, group in enumerate(groups, 1):
        name = group.get("name")
        if not isinstance(name, str) or not name:
            raise LedgerError(f"{source}: group {g_index} has no name")
        unknown = set(group) - _SHARED - _GROUP_ONLY
        if unknown:
            raise LedgerError(
                f"{source}: group {name!r}: unknown field(s) {', '.join(sorted(unknown))}"
            )
        raw_entries = group.get("entry")
        if not isinstance(raw_entries, list) or not raw_entries:
            raise LedgerError(f"{source}: group {name!r} has no [[group.entry]] tables")
        for index, raw in enumerate(raw_entries, 1):
            try:
                entry = _resolve_entry(group, raw, index)
            except LedgerError as exc:
                raise LedgerError(f"{source}: {exc}") from None
            if entry.id in seen:
                raise LedgerError(f"{source}: duplicate id {entry.id!r}")
            seen.add(entry.id)
            entries.append(entry)
    return entries


def load_ledger(path: Path = LEDGER_PATH) -> list[LedgerEntry]:
    """Read and parse the ledger file (see :func:`parse_ledger`)."""
    return parse_ledger(Path(path).read_text(encoding="utf-8"), source=path.name)


# ---------------------------------------------------------------- reading the originals
# The notebooks and helpers read the original's numbers (and the reasons for each
# difference) from here, so none of them is typed anywhere else.


@functools.cache
def _entries_by_id() -> Mapping[str, LedgerEntry]:
    return {entry.id: entry for entry in load_ledger()}


def entry(entry_id: str) -> LedgerEntry:
    """The ledger entry ``entry_id``; ``KeyError`` naming it when there is none."""
    try:
        return _entries_by_id()[entry_id]
    except KeyError:
        raise KeyError(f"no entry {entry_id!r} in {LEDGER_PATH.name}") from None


def original(entry_id: str) -> Any:
    """The original submission's value of ``entry_id``, exactly as it printed it."""
    return entry(entry_id).original


def originals(prefix: str) -> dict[str, Any]:
    """``{rest of the id: original value}`` for every entry whose id starts ``prefix.``.

    ``originals("backprop.step1")`` -> ``{"y_pred": 0.49, "error": 3.15, ...}``, in
    ledger order. ``KeyError`` when no entry has that prefix.
    """
    found = {
        entry_id[len(prefix) + 1 :]: item.original
        for entry_id, item in _entries_by_id().items()
        if entry_id.startswith(prefix + ".")
    }
    if not found:
        raise KeyError(f"no entries under {prefix!r} in {LEDGER_PATH.name}")
    return found


def group_entries(name: str) -> list[LedgerEntry]:
    """The entries of the group called ``name``, in ledger order (``KeyError`` if none)."""
    found = [item for item in _entries_by_id().values() if item.group == name]
    if not found:
        raise KeyError(f"no group {name!r} in {LEDGER_PATH.name}")
    return found


# ------------------------------------------------------------------------- comparing


def lookup(payload: Any, path: Sequence[str]) -> Any:
    """Follow ``path`` into ``payload``: dict keys; for lists an index or ``field=value``.

    Raises ``LookupError`` saying how far the path got.
    """
    value = payload
    for depth, part in enumerate(path):
        if isinstance(value, dict) and part in value:
            value = value[part]
            continue
        if isinstance(value, list) and re.fullmatch(r"-?\d+", part):
            index = int(part)
            if -len(value) <= index < len(value):
                value = value[index]
                continue
        if isinstance(value, list) and "=" in part:
            field, wanted = part.split("=", 1)
            chosen = [
                item
                for item in value
                if isinstance(item, dict) and field in item and format_value(item[field]) == wanted
            ]
            if len(chosen) == 1:
                value = chosen[0]
                continue
            got = ".".join(path[:depth]) or "<top level>"
            raise LookupError(
                f"no key {'.'.join(path)!r}: {len(chosen)} items of {got} "
                f"have {field} = {wanted} (need exactly one)"
            )
        got = ".".join(path[:depth]) or "<top level>"
        if isinstance(value, dict):
            options = ", ".join(sorted(value)[:12])
            raise LookupError(
                f"no key {'.'.join(path)!r}: {got} has no {part!r} (it has: {options})"
            )
        raise LookupError(
            f"no key {'.'.join(path)!r}: {got} is {type(value).__name__}, cannot take {part!r}"
        )
    return value


def format_value(value: Any, digits: int | None = None) -> str:
    """Text of a value: floats with ``digits`` decimals (or their shortest repr)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if digits is None:
            return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(
            f"({format_value(v, digits)})" if isinstance(v, list) else format_value(v, digits)
            for v in value
        )
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _normalise(value: Any) -> Any:
    if _is_number(value):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _tolerance_text(entry: LedgerEntry) -> str:
    if entry.kind == "number":
        return f"±{entry.tolerance:g}{entry.unit}"
    return {"exact": "exact", "set": "same set"}.get(entry.kind, "rule")


def tolerance_text(entry: LedgerEntry) -> str:
    """How the entry is compared, for the ledger table (``±0.02``, ``exact``, ``rule``)."""
    return _tolerance_text(entry)


def rule_text(entry: LedgerEntry) -> str:
    """The rule deciding a qualitative statement, in words."""
    names = " and ".join(entry.expect)
    others = ", ".join(n for n, _ in entry.candidates if n not in entry.expect)
    side = "above" if entry.kind == "highest" else "below"
    return f"consistent if {names} score strictly {side} {others}"


def compare(entry: LedgerEntry, payload: Mapping, profile: str) -> LedgerRow:
    """Compare one entry with a notebook's results ``payload``.

    Raises ``LookupError`` when a key is missing, ``TypeError`` when the value
    has the wrong type (a stale results file or a ledger that drifted).
    """
    if entry.kind in ("highest", "lowest", "verdict"):
        original_text = f"“{entry.original}”"
    else:
        original_text = format_value(entry.original) + (
            entry.unit if _is_number(entry.original) else ""
        )
    if entry.kind in ("highest", "lowest"):
        scores = {}
        for name, path in entry.candidates:
            value = lookup(payload, path)
            if value is None:  # e.g. a threshold never reached: slower than any number
                scores[name] = math.inf
                continue
            if not _is_number(value):
                raise TypeError(f"{'.'.join(path)} is {value!r}, not a number")
            scores[name] = float(value) * entry.scale
        expected = [scores[n] for n in entry.expect]
        others = [v for n, v in scores.items() if n not in entry.expect]
        if entry.kind == "highest":
            agrees = min(expected) > max(others)
            order = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
            joiner = " > "
        else:
            agrees = max(expected) < min(others)
            order = sorted(scores.items(), key=lambda kv: (kv[1], kv[0]))
            joiner = " < "
        reproduced = joiner.join(
            f"{n} {'never' if math.isinf(v) else f'{v:.{entry.digits}f}{entry.unit}'}"
            for n, v in order
        )
        status = "consistent" if agrees else "not consistent"
    elif entry.kind == "verdict":
        value = lookup(payload, entry.key)
        if not isinstance(value, str):
            raise TypeError(f"{'.'.join(entry.key)} is {value!r}, not a verdict")
        reproduced = value
        status = "consistent" if value in entry.expect else "not consistent"
    else:
        value = lookup(payload, entry.key)
        if entry.kind == "number":
            if not _is_number(value):
                raise TypeError(f"{'.'.join(entry.key)} is {value!r}, not a number")
            scaled = float(value) * entry.scale
            agrees = abs(scaled - float(entry.original)) <= entry.tolerance * (1 + 1e-9) + 1e-12
            reproduced = f"{scaled:.{entry.digits}f}{entry.unit}"
        elif entry.kind == "set":
            if not isinstance(value, list):
                raise TypeError(f"{'.'.join(entry.key)} is {value!r}, not a list")
            agrees = sorted(map(format_value, value)) == sorted(map(format_value, entry.original))
            reproduced = format_value(sorted(value, key=format_value))
        else:
            agrees = _normalise(value) == _normalise(entry.original)
            reproduced = format_value(value, entry.digits if isinstance(value, float) else None)
        status = "matches" if agrees else "differs"
    reason = ""
    if status not in AGREEING:
        reason = entry.reason_for(profile) or "no reason recorded"
    return LedgerRow(
        entry=entry,
        original_text=original_text,
        reproduced_text=reproduced,
        status=status,
        reason=reason,
    )


def summary_counts(rows: Sequence[LedgerRow]) -> dict[str, int]:
    """``{"matches": n, "differs": n, "consistent": n, "not consistent": n, ...}``."""
    counts = {status: 0 for status in ("matches", "differs", "consistent", "not consistent")}
    for row in rows:
        counts[row.status] += 1
    counts["total"] = len(rows)
    counts["unexplained"] = sum(
        1 for r in rows if not r.agrees and r.reason == "no reason recorded"
    )
    return counts
