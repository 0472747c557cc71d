"""The full-marks answers, read from the verified ``results/*.json``, and TOML writing.

Hand-worked values are taken exactly (the ``"exact"`` Fraction strings notebook 01
saves; notebook 02's exact ``w`` and ``b``). Experiment values are the committed
default-profile results; the written conclusions are decided from those numbers
(e.g. the activation with the highest random-initialisation test accuracy).

Also here: :func:`answers_toml`, which writes an answers file (reference, template or
the original's worked example) with a comment per value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from math import sqrt
from pathlib import Path
from typing import Any

from helpers.backprop import Params
from helpers.paths import RESULTS_DIR
from helpers.results import read_document
from tools.grading.questions import (
    AUTOENCODER_ACTIVATIONS,
    BACKPROP_FORWARD,
    BACKPROP_PARAMS,
    BACKPROP_SAMPLES,
    FASHION_ACTIVATIONS,
    ITEMS,
    SCRATCH_ACTIVATIONS,
    SVM_PROBLEMS,
    TABLES,
    Item,
)

#: results key of each backprop answer inside ``step<k>`` of notebook 01's results.
_BACKPROP_RESULT_KEY = {"h": "hidden"}


@dataclass(frozen=True)
class BackpropSetup:
    """The hand-worked problem: ``samples`` [(x, y)], learning rate, start parameters."""

    samples: tuple[tuple[Fraction, Fraction], ...]
    eta: Fraction
    initial: Params


@dataclass(frozen=True)
class Reference:
    """Expected value of every item, plus what error carried forward needs."""

    values: dict[str, Any]
    backprop: BackpropSetup
    svm_query: tuple[Fraction, Fraction]
    svm_letters: dict[tuple[int, tuple[int, ...]], str]


def load_results(notebook: str, results_dir: Path = RESULTS_DIR) -> dict:
    """The ``"results"`` payload of ``results/<notebook>.json``."""
    return read_document(Path(results_dir) / f"{notebook}.json")["results"]


def lookup_path(payload: Any, path: str) -> Any:
    """Follow a ``/``-separated ``path`` into ``payload``.

    Keys may themselves contain ``/`` (notebook 03 keys its configurations
    ``"relu/random"``), so at each level the longest run of parts that is a key wins.
    Raises ``KeyError`` naming the path.
    """
    parts = path.split("/")
    node = payload
    while parts:
        for size in range(len(parts), 0, -1):
            key = "/".join(parts[:size])
            if isinstance(node, dict) and key in node:
                node, parts = node[key], parts[size:]
                break
        else:
            raise KeyError(f"results have no {path!r}")
    return node


def _exact(entry: dict) -> Fraction:
    return Fraction(entry["exact"])


def _argbest(scores: dict[str, float], highest: bool) -> str:
    """The name with the best score (ties: first in the given order)."""
    best = max(scores.values()) if highest else min(scores.values())
    return next(name for name, value in scores.items() if value == best)


#: The notebooks whose results decide the written conclusions.
CONCLUSION_NOTEBOOKS = (
    "03_scratch_nn",
    "04_fashion_mlp_activations",
    "06_fashion_autoencoder_features",
)


def decide_conclusions(payloads: Mapping[str, Mapping]) -> dict[str, str]:
    """``{item id: choice}`` of the written conclusions, decided from the results payloads
    of :data:`CONCLUSION_NOTEBOOKS` (the tolerance measurement decides them for each of
    its runs too, to see which choices another seed or machine makes)."""
    scratch = payloads["03_scratch_nn"]["configs"]
    decided = {}
    for init in ("random", "normal"):
        decided[f"experiments.conclusions.scratch_best_activation_{init}"] = _argbest(
            {a: scratch[f"{a}/{init}"]["test_accuracy"] for a in SCRATCH_ACTIVATIONS}, True
        )
    fashion = payloads["04_fashion_mlp_activations"]["final_epoch"]
    decided["experiments.conclusions.fashion_worst_activation"] = _argbest(
        {a: fashion[a]["validation_loss"] for a in FASHION_ACTIVATIONS}, True
    )
    mse = payloads["06_fashion_autoencoder_features"]["autoencoder_final_mse"]
    decided["experiments.conclusions.autoencoder_lower_loss"] = _argbest(
        {a: mse[a]["validation"] for a in AUTOENCODER_ACTIVATIONS}, False
    )
    return decided


def load_reference(results_dir: Path = RESULTS_DIR) -> Reference:
    """Expected values of every item from the committed results."""
    values: dict[str, Any] = {}
    backprop = load_results("01_backprop_by_hand", results_dir)
    for k in BACKPROP_SAMPLES:
        step = backprop[f"step{k}"]
        for name in BACKPROP_FORWARD + BACKPROP_PARAMS:
            values[f"backprop.sample{k}.{name}"] = _exact(
                step[_BACKPROP_RESULT_KEY.get(name, name)]
            )
    setup = BackpropSetup(
        samples=tuple((Fraction(x), Fraction(y)) for x, y in backprop["samples"]),
        eta=_exact(backprop["eta"]),
        initial=Params(**{n: _exact(backprop["initial"][n]) for n in BACKPROP_PARAMS}),
    )

    svm = load_results("02_svm_margins", results_dir)
    letters: dict[tuple[int, tuple[int, ...]], str] = {}
    for p in SVM_PROBLEMS:
        problem = svm[f"problem{p}"]
        w = tuple(Fraction(c) for c in problem["w_exact"])
        values[f"svm.problem{p}.w"] = w
        values[f"svm.problem{p}.b"] = Fraction(problem["b_exact"])
        values[f"svm.problem{p}.margin"] = 2 / sqrt(float(w[0] ** 2 + w[1] ** 2))
        values[f"svm.problem{p}.support_vectors"] = frozenset(problem["support_vectors"])
        for point, letter in zip(
            problem["support_vector_points"], problem["support_vectors"], strict=True
        ):
            letters[(p, tuple(point))] = letter
    values["svm.problem2.query_class"] = int(svm["problem2"]["query_class"])
    query = tuple(Fraction(c) for c in svm["problem2"]["query_point"])

    payloads: dict[str, dict] = {}
    for item in ITEMS:
        if item.section != "experiments" or item.table.endswith("conclusions"):
            continue
        payload = payloads.setdefault(item.notebook, load_results(item.notebook, results_dir))
        values[item.id] = lookup_path(payload, item.results_path)

    payloads.setdefault(
        "06_fashion_autoencoder_features",
        load_results("06_fashion_autoencoder_features", results_dir),
    )
    values.update(decide_conclusions(payloads))

    missing = [item.id for item in ITEMS if item.id not in values]
    if missing:
        raise AssertionError(f"no reference value for {missing}")
    return Reference(values=values, backprop=setup, svm_query=query, svm_letters=letters)


# ---------------------------------------------------------------------- TOML writing


def decimal_text(value: Fraction | Decimal | float | int, digits: int = 17) -> str:
    """A number as TOML text: exact when it has at most ``digits`` significant digits,
    else rounded to ``digits`` (``Fraction(1, 3)`` -> ``0.33333333333333333``)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Fraction):
        with localcontext() as context:
            context.prec = digits
            value = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(value.normalize(), "f")
    if "." not in text:
        text += ".0"
    return "-0.0" if text == "-0.0" else text


def value_text(value: Any) -> str:
    """An answer value as TOML text (numbers, vectors, letter sets, classes, choices)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (frozenset, set)):
        return "[" + ", ".join(json.dumps(v) for v in sorted(value)) + "]"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return decimal_text(value)


def toml_key(key: str) -> str:
    """A bare key when it may be one, else a quoted key (``"relu/random"``)."""
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def answers_toml(
    values: dict[str, Any],
    comments: dict[str, str],
    header: str,
    commented_out: bool = False,
    placeholders: dict[str, str] | None = None,
    table_comments: dict[str, str] | None = None,
) -> str:
    """An answers file: ``header`` (comment lines), then each table and its keys.

    ``values`` maps item ids to values (items without a value are left out unless
    ``commented_out``, which writes every item as a commented line with its
    ``placeholders`` text). ``comments`` adds ``# text`` after a value.
    """
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    placeholders = placeholders or {}
    table_comments = table_comments or {}
    for table in TABLES:
        items = [item for item in ITEMS if item.table == table]
        lines += ["", f"[{table}]"]
        if table in table_comments:
            lines += [f"# {line}" for line in table_comments[table].splitlines()]
        for item in items:
            comment = comments.get(item.id, "")
            suffix = f"  # {comment}" if comment else ""
            if item.id in values:
                lines.append(f"{toml_key(item.key)} = {value_text(values[item.id])}{suffix}")
            elif commented_out:
                lines.append(f"# {toml_key(item.key)} = {placeholders.get(item.id, '')}{suffix}")
            elif comment:
                lines.append(f"# {item.key}: {comment}")
    return "\n".join(lines) + "\n"


_PLACEHOLDER = {
    "number": "<number>",
    "vector2": "[<w1>, <w2>]",
    "letters": '["<letter>", ...]',
    "class": "<1 or -1>",
}


def placeholder(item: Item) -> str:
    """What the template shows in place of a value."""
    if item.value_type == "choice":
        return " | ".join(json.dumps(o) for o in item.options)
    return _PLACEHOLDER[item.value_type]


TEMPLATE_HEADER = """\
Answers file for the neural-networks and SVM coursework (TOML).
Uncomment each line and replace the placeholder with your answer. Numbers are plain
TOML numbers (0.1234, not "0.1234"); accuracies are fractions 0..1, not percentages.
Hand-worked values: give at least 4 significant digits. Any key you leave out scores 0.
Graded with `make grade SUBMISSION=this-file.toml` (README, section Grading)."""

TEMPLATE_TABLE_COMMENTS = {
    "backprop.sample1": "One hidden ReLU unit, identity output, E = 1/2 (y - y_pred)^2, SGD with\n"
    "eta = 0.01 from w1 = 0.1, b1 = 0.2, w2 = 0.3, b2 = 0.4 on the samples\n"
    "(1, 3), (2, 4), (3, 5) in that order; w1..b2: values after the update.",
    "svm.problem1": "Hard-margin SVM: hyperplane w . x + b = 0, margins w . x + b = +-1.",
    "experiments.scratch_test_accuracy": 'Keys are "activation/initialisation".',
}


def template_toml() -> str:
    """The commented answers template (every key, no values)."""
    comments = {item.id: item.description for item in ITEMS}
    return answers_toml(
        {},
        comments,
        TEMPLATE_HEADER,
        commented_out=True,
        placeholders={item.id: placeholder(item) for item in ITEMS},
        table_comments=TEMPLATE_TABLE_COMMENTS,
    )


def reference_toml(reference: Reference) -> str:
    """The full-marks answers file (exact values to 17 significant digits)."""
    header = (
        "Reference answers: the verified values from results/*.json (full marks).\n"
        "Written by `make grade-reference`; do not edit."
    )
    return answers_toml(reference.values, {}, header)
