"""The ledger of the original's numbers: strict parsing, comparisons, and the real file."""

from __future__ import annotations

import re
import textwrap

import pytest

from helpers import ledger
from helpers.ledger import LedgerError, compare, parse_ledger
from helpers.paths import REPO_ROOT
from helpers.profiles import get_profile

HEADER = "schema = 1\n"


def one_group(body: str, group: str = 'name = "G"\nnotebook = "05_toy"\n') -> str:
    return HEADER + "[[group]]\n" + group + textwrap.dedent(body)


def entry_text(**fields) -> str:
    base = {
        "id": '"e.one"',
        "description": '"d"',
        "original": "0.5",
        "where": '"w"',
        "key": '"a.b"',
    }
    base.update(fields)
    lines = [f"{k} = {v}" for k, v in base.items() if v is not None]
    return "[[group.entry]]\n" + "\n".join(lines) + "\n"


def parse_one(**fields):
    return parse_ledger(one_group(entry_text(**fields)))[0]


# ----------------------------------------------------------------------------- parsing


def test_group_defaults_are_inherited_and_overridable():
    text = one_group(
        entry_text(id='"e.one"') + entry_text(id='"e.two"', tolerance="0.5", digits="2"),
        group='name = "G"\nnotebook = "05_toy"\ntolerance = 0.01\nreason = "why"\n'
        'key_prefix = "grid"\n',
    )
    first, second = parse_ledger(text)
    assert (first.tolerance, first.reason, first.digits) == (0.01, "why", 4)
    assert (second.tolerance, second.digits) == (0.5, 2)
    assert first.key == ("grid", "a", "b") and first.group == "G"
    assert first.kind == "number" and first.notebook == "05_toy"


def test_key_as_list_allows_dots_and_indices():
    entry = parse_one(key='["rows", 3, "lr=0.001"]')
    assert entry.key == ("rows", "3", "lr=0.001")


def test_kind_defaults_to_exact_for_non_numbers():
    assert parse_one(original='"adam"').kind == "exact"
    assert parse_one(original='["B", "C"]', kind='"set"').kind == "set"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"id": '"e.one"', "colour": '"red"'}, "unknown field"),
        ({"where": None}, "missing field 'where'"),
        ({"key": None}, "missing field 'key'"),
        ({"kind": '"median"'}, "kind 'median'"),
        ({"tolerance": "-0.1"}, "tolerance must be >= 0"),
        ({"tolerance": '"small"'}, "tolerance must be a number"),
        ({"digits": "true"}, "digits must be an integer"),
        ({"id": '"Bad ID"'}, "bad id"),
        ({"original": '"text"', "kind": '"number"'}, "numeric original"),
        ({"original": "3", "kind": '"set"'}, "list original"),
        ({"reason": '{ tuesday = "x" }'}, "reason table"),
        ({"line": "0"}, "line must be >= 1"),
        ({"key": "3"}, "dotted string or a list"),
        ({"candidates": '{ a = "x" }'}, "only for highest/lowest"),
    ],
)
def test_malformed_entries_are_refused_with_the_entry_named(fields, message):
    with pytest.raises(LedgerError, match=message) as info:
        parse_one(**fields)
    if fields.get("id", '"e.one"') == '"e.one"':
        assert "e.one" in str(info.value)


def test_bad_notebook_name():
    with pytest.raises(LedgerError, match="notebook must look like"):
        parse_ledger(one_group(entry_text(), group='name = "G"\nnotebook = "toy"\n'))


def test_duplicate_ids_are_refused():
    with pytest.raises(LedgerError, match="duplicate id 'e.one'"):
        parse_ledger(one_group(entry_text() + entry_text()))


@pytest.mark.parametrize(
    "text, message",
    [
        ("schema = 1\n[[group]\n", "not valid TOML"),
        ("[[group]]\nname = 'G'\n", "schema = 1"),
        ("schema = 2\n", "schema = 1"),
        ("schema = 1\n", "no \\[\\[group\\]\\]"),
        ("schema = 1\nextra = 3\n[[group]]\nname = 'G'\n", "unknown top-level"),
        ("schema = 1\n[[group]]\nname = 'G'\n", "no \\[\\[group.entry\\]\\]"),
        ("schema = 1\n[[group]]\nnotebook = '05_toy'\n", "has no name"),
        ("schema = 1\n[[group]]\nname = 'G'\nfoo = 1\n", "unknown field"),
    ],
)
def test_malformed_files(text, message):
    with pytest.raises(LedgerError, match=message):
        parse_ledger(text)


def rule_entry(kind="highest", expect='["a"]', candidates='{ a = "x.a", b = "x.b", c = "x.c" }'):
    return parse_ledger(
        one_group(
            "[[group.entry]]\n"
            f'id = "r"\ndescription = "d"\noriginal = "a is best"\nwhere = "w"\nkind = "{kind}"\n'
            f"candidates = {candidates}\nexpect = {expect}\n"
        )
    )[0]


@pytest.mark.parametrize(
    "expect, candidates, message",
    [
        ('["z"]', '{ a = "x.a", b = "x.b" }', "must name some, not all"),
        ('["a", "b"]', '{ a = "x.a", b = "x.b" }', "must name some, not all"),
        ('["a", "a"]', '{ a = "x.a", b = "x.b", c = "x.c" }', "distinct names"),
        ('["a"]', '{ a = "x.a" }', "at least two"),
    ],
)
def test_malformed_rules(expect, candidates, message):
    with pytest.raises(LedgerError, match=message):
        rule_entry(expect=expect, candidates=candidates)


# ------------------------------------------------------------------------- comparing


def test_number_within_tolerance_matches_and_outside_differs_with_its_reason():
    entry = parse_one(original="0.5", tolerance="0.02", reason='"smaller pool"')
    at_edge = compare(entry, {"a": {"b": 0.52}}, "default")
    assert at_edge.status == "matches" and at_edge.reason == "" and at_edge.agrees
    assert at_edge.reproduced_text == "0.5200" and at_edge.original_text == "0.5"
    outside = compare(entry, {"a": {"b": 0.53}}, "default")
    assert outside.status == "differs" and outside.reason == "smaller pool"


def test_scale_unit_and_missing_reason():
    entry = parse_one(original="64.15625", scale="100", unit='"%"', tolerance="1.0", digits="2")
    row = compare(entry, {"a": {"b": 0.70}}, "default")
    assert row.reproduced_text == "70.00%" and row.original_text == "64.15625%"
    assert row.status == "differs" and row.reason == "no reason recorded"
    assert ledger.summary_counts([row])["unexplained"] == 1


def test_reason_by_profile():
    entry = parse_one(reason='{ default = "3 folds", other = "seed" }', tolerance="0")
    assert compare(entry, {"a": {"b": 1.0}}, "default").reason == "3 folds"
    assert compare(entry, {"a": {"b": 1.0}}, "full").reason == "seed"


def test_reason_placeholders_come_from_the_profile_table():
    entry = parse_one(reason='"{grid_folds} folds, pool {mnist_pool}"', tolerance="0")
    for profile in ("default", "smoke"):
        row = get_profile(profile)
        assert (
            compare(entry, {"a": {"b": 1.0}}, profile).reason
            == f"{row['grid_folds']} folds, pool {row['mnist_pool']}"
        )
    with pytest.raises(LedgerError, match="unknown profile setting"):
        parse_one(reason='"{no_such_setting}"')


def test_exact_and_set_comparisons():
    params = parse_one(
        original='{ batch_size = 128, solver = "adam", learning_rate_init = 0.0001 }'
    )
    same = {"a": {"b": {"solver": "adam", "batch_size": 128.0, "learning_rate_init": 1e-4}}}
    assert compare(params, same, "default").status == "matches"
    other = {"a": {"b": {"solver": "sgd", "batch_size": 128, "learning_rate_init": 1e-4}}}
    assert compare(params, other, "default").status == "differs"
    sets = parse_one(original='["B", "C", "D", "F"]', kind='"set"')
    assert compare(sets, {"a": {"b": ["F", "D", "C", "B"]}}, "default").status == "matches"
    assert compare(sets, {"a": {"b": ["B", "D", "F"]}}, "default").status == "differs"
    points = parse_one(original="[[2, 3], [3, 3]]", kind='"set"')
    row = compare(points, {"a": {"b": [[3, 3], [2, 3]]}}, "default")
    assert row.status == "matches"
    assert row.original_text == row.reproduced_text == "(2, 3), (3, 3)"


def test_rule_highest_and_lowest():
    entry = rule_entry(expect='["a", "b"]')
    payload = {"x": {"a": 0.8, "b": 0.9, "c": 0.5}}
    row = compare(entry, payload, "default")
    assert row.status == "consistent"
    assert row.reproduced_text == "b 0.9000 > a 0.8000 > c 0.5000"
    payload["x"]["c"] = 0.85
    assert compare(entry, payload, "default").status == "not consistent"
    lowest = rule_entry(kind="lowest", expect='["c"]')
    assert compare(lowest, {"x": {"a": 0.8, "b": 0.9, "c": 0.5}}, "default").status == "consistent"
    assert (
        "c 0.5000 < a 0.8000 < b 0.9000"
        == compare(lowest, {"x": {"a": 0.8, "b": 0.9, "c": 0.5}}, "default").reproduced_text
    )


def test_a_saved_verdict_is_consistent_only_when_expected():
    entry = parse_one(original='"The claim."', kind='"verdict"', expect='["holds"]')
    row = compare(entry, {"a": {"b": "holds"}}, "default")
    assert (row.status, row.original_text, row.reproduced_text) == (
        "consistent",
        "“The claim.”",
        "holds",
    )
    assert compare(entry, {"a": {"b": "partly"}}, "default").status == "not consistent"
    with pytest.raises(TypeError, match="not a verdict"):
        compare(entry, {"a": {"b": 1.0}}, "default")
    with pytest.raises(LedgerError, match="expect must list"):
        parse_one(original='"The claim."', kind='"verdict"')
    with pytest.raises(LedgerError, match="statement is its text"):
        parse_one(original="0.5", kind='"verdict"', expect='["holds"]')
    with pytest.raises(LedgerError, match="expect is only for"):
        parse_one(original='"x"', expect='["holds"]')


def test_rule_null_counts_as_never():
    slowest = rule_entry(expect='["c"]')
    row = compare(slowest, {"x": {"a": 12, "b": 30, "c": None}}, "default")
    assert row.status == "consistent"
    assert row.reproduced_text == "c never > b 30.0000 > a 12.0000"


def test_rule_ties_are_not_consistent():
    entry = rule_entry(expect='["a"]')
    assert (
        compare(entry, {"x": {"a": 0.9, "b": 0.9, "c": 0.1}}, "default").status == "not consistent"
    )


def test_lookup_follows_lists_and_explains_failures():
    payload = {"rows": [{"m": 1}, {"m": 2}], "curve": [3, 4, 5]}
    assert ledger.lookup(payload, ("rows", "1", "m")) == 2
    assert ledger.lookup(payload, ("curve", "-1")) == 5
    assert ledger.lookup(payload, ("rows", "m=2")) == {"m": 2}
    with pytest.raises(LookupError, match="0 items of rows have m = 7"):
        ledger.lookup(payload, ("rows", "m=7"))
    with pytest.raises(LookupError, match="2 items"):
        ledger.lookup({"rows": [{"m": 1}, {"m": 1}]}, ("rows", "m=1"))
    with pytest.raises(LookupError, match="rows has no|cannot take"):
        ledger.lookup(payload, ("rows", "x"))
    with pytest.raises(LookupError, match=r"has no 'missing' \(it has: curve, rows\)"):
        ledger.lookup(payload, ("missing",))
    with pytest.raises(LookupError):
        ledger.lookup(payload, ("curve", "3"))


def test_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="not a number"):
        compare(parse_one(), {"a": {"b": "0.5"}}, "default")
    with pytest.raises(TypeError, match="not a number"):
        compare(parse_one(), {"a": {"b": True}}, "default")


# ------------------------------------------------------------------------ the real file

REAL = ledger.load_ledger()
SEED = sorted((REPO_ROOT.parent / "shared" / "seed").glob("*.txt"))


def test_real_ledger_covers_the_submission():
    by_notebook: dict[str, int] = {}
    for entry in REAL:
        by_notebook[entry.notebook] = by_notebook.get(entry.notebook, 0) + 1
        assert entry.where and entry.line, entry.id
        if entry.kind == "number":
            assert entry.tolerance >= 0
    assert by_notebook == {
        "01_backprop_by_hand": 19,  # 3 steps x (y_pred, E, 4 parameters) + the b2 misquote
        "02_svm_margins": 8,  # P1 w, b, SVs; P2 margin, w, b, SVs, query class
        # splits, settings; 12 x (3 accuracies, 2 losses); 2 observations; relu/zero's 10 x 2
        # printed losses (replayed)
        "03_scratch_nn": 6 + 12 * 5 + 2 + 10 * 2,
        "04_fashion_mlp_activations": 8,  # qualitative observations
        # folds, max epochs, best params/score; 18 x (mean, std, rank)
        "05_fashion_grid_search": 4 + 18 * 3,
        "06_fashion_autoencoder_features": 6 + 1,  # 2 features x 3 splits; the loss remark
        "07_experiments": 2,  # the sensitivity sentence; the saturation sentence
    }
    ids = {e.id for e in REAL}
    for config in ("relu", "sigmoid", "tanh", "leaky_relu"):
        for init in ("random", "normal", "zero"):
            for metric in ("train_accuracy", "val_accuracy", "test_accuracy"):
                assert f"scratch.{config}.{init}.{metric}" in ids
    assert {f"grid.c{i:02d}.{m}" for i in range(18) for m in ("mean", "std", "rank")} <= ids
    headlines = [e for e in REAL if e.headline]
    assert 8 <= len(headlines) <= 20  # the README shows these


def _texts(value) -> list[str]:
    if isinstance(value, bool):
        return [str(value)]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]
    if isinstance(value, (int, float)):
        return [repr(value)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    return [value]


@pytest.mark.skipif(not SEED, reason="the submission text (../shared/seed) is not available")
def test_each_original_value_appears_on_its_line_of_the_submission():
    lines = SEED[0].read_text(encoding="utf-8").splitlines()
    for entry in REAL:
        if entry.kind in ("highest", "lowest", "verdict"):
            continue  # statements are paraphrased; `where` and `line` point at them
        text = lines[entry.line - 1]
        for expected in _texts(entry.original):
            # a number must not be part of a longer number on that line (printed
            # trailing zeros aside: 0.017750 is typed as 0.01775)
            zeros = "0*" if "." in expected else ""
            pattern = r"(?<![\d.])" + re.escape(expected) + zeros + r"(?![\d])"
            assert re.search(pattern, text), (entry.id, expected, entry.line, text[:120])
