"""Points per item, from ``tools/grading/rubric.toml``.

Points are read as exact decimals (``0.5`` stays ``Decimal("0.5")``), so totals
print without float noise. The rubric must give points to every ``rubric_key`` of
:data:`tools.grading.questions.ITEMS` and to nothing else.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from tools.grading.questions import ITEMS, Item

RUBRIC_PATH = Path(__file__).with_name("rubric.toml")
RUBRIC_SCHEMA = 1


class RubricError(ValueError):
    """The rubric file is malformed; the message names the key."""


def load_rubric(path: Path = RUBRIC_PATH) -> dict[str, Decimal]:
    """``{"backprop.z1": Decimal("0.5"), ...}``, checked against the item catalogue."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{Path(path).name}: not valid TOML: {exc}") from None
    if data.get("schema") != RUBRIC_SCHEMA or set(data) != {"schema", "points"}:
        raise RubricError(
            f"{Path(path).name}: expected 'schema = {RUBRIC_SCHEMA}' and "
            "[points.<section>] tables only"
        )
    points: dict[str, Decimal] = {}
    for section, table in data["points"].items():
        if not isinstance(table, dict):
            raise RubricError(f"points.{section} must be a table")
        for key, value in table.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, Decimal))
                or not Decimal(value).is_finite()
                or value < 0
            ):
                raise RubricError(f"points.{section}.{key}: expected a number >= 0, got {value!r}")
            points[f"{section}.{key}"] = Decimal(value)
    needed = {item.rubric_key for item in ITEMS}
    missing, unknown = needed - set(points), set(points) - needed
    if missing or unknown:
        raise RubricError(
            f"{Path(path).name}: missing points for {sorted(missing)}; "
            f"unknown keys {sorted(unknown)}"
        )
    return points


def points_of(item: Item, rubric: dict[str, Decimal]) -> Decimal:
    """The points ``item`` is worth."""
    return rubric[item.rubric_key]


def points_text(value: Decimal) -> str:
    """``Decimal("1.50")`` -> ``"1.5"``, ``Decimal("10")`` -> ``"10"``."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"
