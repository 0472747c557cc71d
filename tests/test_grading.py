"""The grader: full marks for the reference, single perturbations, error carried forward,
untrusted input, the class CSV, tolerances and the committed worked example."""

from __future__ import annotations

import csv
import json
import subprocess
from decimal import Decimal
from fractions import Fraction

import pytest

from helpers.backprop import Params, sgd_step
from helpers.paths import REPO_ROOT, RESULTS_DIR
from tools.grading.answers import MAX_BYTES, parse_answers, read_answers
from tools.grading.cli import EXAMPLE_DIR, Grader, grade_folder
from tools.grading.files import OutputPathError, inside, safe_stem, unique_stems
from tools.grading.marking import grade
from tools.grading.original import original_toml
from tools.grading.questions import ITEMS, ITEMS_BY_ID
from tools.grading.reference import load_reference, reference_toml, template_toml, value_text
from tools.grading.reports import class_csv, html_report, markdown_report
from tools.grading.rubric import load_rubric
from tools.grading.tolerances import ToleranceFileError, load_tolerances


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def _grade(text, reference, rubric, spreads=None, source="s.toml"):
    return grade(parse_answers(text, source), reference, rubric, spreads or {})


def _with_value(reference, item_id, value):
    """The reference answers with ``item_id`` replaced by ``value``."""
    values = dict(reference.values)
    values[item_id] = value
    from tools.grading.reference import answers_toml

    return answers_toml(values, {}, "test")


def _perturbed(item, value):
    """A clearly wrong answer of the same type as ``value``."""
    if item.value_type == "number":
        return Fraction(value) * Fraction(11, 10) + Fraction(1, 4)
    if item.value_type == "vector2":
        return (value[0] + 1, value[1])
    if item.value_type == "letters":
        return frozenset(value) ^ {"A"}
    if item.value_type == "class":
        return -value
    return next(option for option in item.options if option != value)


# ------------------------------------------------------------------ reference and ECF


def test_reference_answers_get_full_marks(reference, rubric):
    result = _grade(reference_toml(reference), reference, rubric)
    assert [m.item.id for m in result.marks if m.status != "correct"] == []
    assert result.total == result.max_total == sum(rubric[i.rubric_key] for i in ITEMS)
    assert result.notes == ()


@pytest.mark.parametrize("item_id", [item.id for item in ITEMS])
def test_one_wrong_answer_costs_only_its_points(item_id, reference, rubric):
    item = ITEMS_BY_ID[item_id]
    text = _with_value(reference, item_id, _perturbed(item, reference.values[item_id]))
    result = _grade(text, reference, rubric)
    lost = [m.item.id for m in result.marks if not m.earned]
    assert lost == [item_id]
    assert result.total == result.max_total - rubric[item.rubric_key]
    assert result.by_id()[item_id].reason


def _decimal(value, digits=6):
    return f"{float(value):.{digits}g}"


def test_backprop_error_carried_forward_keeps_later_samples(reference, rubric):
    """A student who drops the factor h in sample 1's w2 update, then works every later
    step correctly from that wrong value (to 6 digits), loses only that one item."""
    setup = reference.backprop
    x, y = setup.samples[0]
    first = sgd_step(setup.initial, x, y, setup.eta)
    wrong_w2 = setup.initial.w2 - setup.eta * first.grads.b2  # dE/dw2 without h
    params = Params(first.after.w1, first.after.b1, wrong_w2, first.after.b2)
    values = dict(reference.values)
    values["backprop.sample1.w2"] = Fraction(_decimal(wrong_w2))
    for k, (x, y) in zip((2, 3), setup.samples[1:], strict=True):
        record = sgd_step(params, x, y, setup.eta)
        own = {
            "z1": record.forward.z1,
            "h": record.forward.hidden,
            "y_pred": record.forward.y_pred,
            "error": record.error,
            **record.after.as_dict(),
        }
        for name, value in own.items():
            values[f"backprop.sample{k}.{name}"] = Fraction(_decimal(value))
        params = Params(**{n: Fraction(_decimal(v)) for n, v in record.after.as_dict().items()})
    from tools.grading.reference import answers_toml

    result = _grade(answers_toml(values, {}, "ecf"), reference, rubric)
    marks = result.by_id()
    assert [m.item.id for m in result.marks if not m.earned] == ["backprop.sample1.w2"]
    carried = {m.item.id for m in result.marks if m.status == "carried forward"}
    assert "backprop.sample2.y_pred" in carried and "backprop.sample3.w2" in carried
    assert "your sample-1 w2" in marks["backprop.sample2.y_pred"].reason
    assert "error carried forward" in markdown_report(result, {})


def test_backprop_inconsistent_later_value_is_not_carried(reference, rubric):
    values = dict(reference.values)
    values["backprop.sample1.w2"] = Fraction("0.3251")
    values["backprop.sample2.y_pred"] = Fraction("0.7")  # neither right nor consistent
    from tools.grading.reference import answers_toml

    result = _grade(answers_toml(values, {}, "t"), reference, rubric)
    mark = result.by_id()["backprop.sample2.y_pred"]
    assert mark.status == "wrong" and "from your own earlier values" in mark.reason


def test_svm_margin_and_query_class_carried_from_own_w(reference, rubric):
    values = dict(reference.values)
    values["svm.problem1.w"] = (Fraction(-1), Fraction(-1))
    values["svm.problem1.margin"] = Fraction("1.4142")  # 2 / sqrt(2)
    values["svm.problem2.w"] = (Fraction(2), Fraction(0))
    values["svm.problem2.b"] = Fraction(-5)
    values["svm.problem2.query_class"] = -1  # sign(2 * 1 + 0 * 3 - 5)
    from tools.grading.reference import answers_toml

    result = _grade(answers_toml(values, {}, "t"), reference, rubric)
    marks = result.by_id()
    assert marks["svm.problem1.margin"].status == "carried forward"
    assert marks["svm.problem2.query_class"].status == "carried forward"
    assert marks["svm.problem2.margin"].status == "correct"  # |w| = 2 either way
    assert {m.item.id for m in result.marks if not m.earned} == {
        "svm.problem1.w",
        "svm.problem2.w",
        "svm.problem2.b",
    }


# ----------------------------------------------------------------- untrusted input


def _reasons(result):
    return {m.item.id: m.reason for m in result.marks}


def test_not_toml_at_all_gives_reasons_for_every_item(reference, rubric):
    result = _grade("this is = = not toml\n", reference, rubric)
    assert result.total == 0
    assert all("not valid TOML" in r and "line 1" in r for r in _reasons(result).values())


def test_one_broken_table_loses_only_its_items(reference, rubric):
    text = reference_toml(reference).replace("[svm.problem1]\n", "[svm.problem1]\nw = [1,\n")
    result = _grade(text, reference, rubric)
    lost = {m.item.id: m.reason for m in result.marks if not m.earned}
    assert set(lost) == {i.id for i in ITEMS if i.table == "svm.problem1"}
    line = text.splitlines().index("[svm.problem1]") + 1
    assert all(f"[svm.problem1] (from line {line})" in r for r in lost.values())
    assert result.by_id()["svm.problem2.query_class"].earned  # ECF inputs of others intact


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("z1 = 0.3\n", "", "missing: key 'z1' in [backprop.sample1]"),
        (
            "z1 = 0.3\n",
            'z1 = "0.3"\n',
            'backprop.sample1.z1 (line 5): a string where a number belongs ("0.3")',
        ),
        ("z1 = 0.3\n", "z1 = nan\n", "backprop.sample1.z1 (line 5): NaN is not a finite number"),
        ("z1 = 0.3\n", "z1 = -inf\n", "-Infinity is not a finite number"),
        ("z1 = 0.3\n", "z1 = true\n", "expected a number, got a boolean"),
        ("w = [-2.0, -2.0]", "w = [-2.0]", "expected a list of two numbers"),
        ('support_vectors = ["B", "C"]', 'support_vectors = "B, C"', "expected a list of point"),
        ("query_class = 1", "query_class = 2", "a class is 1 or -1, got 2"),
        ('best_solver = "adam"', 'best_solver = "lbfgs"', "expected one of 'adam', 'sgd'"),
    ],
)
def test_bad_values_name_key_and_line(old, new, expected, reference, rubric):
    text = reference_toml(reference)
    assert old in text
    result = _grade(text.replace(old, new, 1), reference, rubric)
    lost = [m for m in result.marks if not m.earned]
    assert len(lost) == 1 and expected in lost[0].reason, lost


def test_unknown_key_is_a_note_and_costs_nothing(reference, rubric):
    text = reference_toml(reference).replace("z1 = 0.3\n", "z1 = 0.3\nz2 = 1\n", 1)
    result = _grade(text, reference, rubric)
    assert result.total == result.max_total
    assert result.notes == (
        "unknown key backprop.sample1.z2 (line 6): ignored; did you mean 'z1'?",
    )


def test_too_large_and_binary_files_are_not_read(tmp_path, reference, rubric):
    big = tmp_path / "big.toml"
    big.write_text("# x\n" * (MAX_BYTES // 4 + 10))
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe[backprop]\n")
    for path, words in ((big, "larger than the 64 KiB limit"), (binary, "not UTF-8")):
        result = grade(read_answers(path), reference, rubric, {})
        assert result.total == 0
        assert all(words in r for r in _reasons(result).values())


def test_report_escapes_submitted_text(reference, rubric):
    text = reference_toml(reference).replace(
        'best_solver = "adam"', 'best_solver = "<script>x</script>|"'
    )
    result = _grade(text, reference, rubric, source="a<b>.toml")
    page = html_report(result, {})
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<script>" not in markdown_report(result, {})


# ---------------------------------------------------------------- folders and paths


def test_folder_with_good_and_bad_files_gives_full_csv(tmp_path, reference):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.toml").write_text(reference_toml(reference))
    (folder / "bob.toml").write_text("[[[ broken")
    (folder / "carol; rm -rf ~.toml").write_text(template_toml())
    (folder / "notes.txt").write_text("ignored")
    out = tmp_path / "out"
    assert grade_folder(folder, out) == 0
    rows = list(csv.reader((out / "grades.csv").open()))
    assert rows[0] == ["submission", *(i.id for i in ITEMS), "total", "max"]
    assert [r[0] for r in rows[1:]] == ["alice", "bob", "carol_rm_-rf_"]
    assert all(len(r) == len(rows[0]) and all(cell != "" for cell in r) for r in rows)
    assert rows[1][-2] == rows[1][-1] and rows[2][-2] == "0" and rows[3][-2] == "0"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["grades.csv"]
        + [f"{s}.{e}" for s in ("alice", "bob", "carol_rm_-rf_") for e in ("md", "html")]
    )


def test_output_names_cannot_leave_the_folder(tmp_path):
    assert safe_stem("../../etc/passwd.toml") == "passwd"
    assert safe_stem("..hidden.toml") == "hidden"
    assert unique_stems(["a b.toml", "a_b.toml"]) == ["a_b", "a_b-2"]
    for name in ("../x.md", "sub/x.md", "/tmp/x.md"):
        with pytest.raises(OutputPathError):
            inside(tmp_path, name)


def test_make_grade_passes_odd_paths_without_a_shell(tmp_path, reference):
    """The path reaches Python via the environment: shell syntax in it is just text."""
    odd = tmp_path / "x $(touch pwned) ; touch pwned2 `touch pwned3` '\"$$HOME.toml"
    odd.write_text(reference_toml(reference))
    run = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "grade", f"SUBMISSION={odd}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().splitlines()[-1] == "total: 50 / 50"
    assert not any(
        (REPO_ROOT / n).exists() or (tmp_path / n).exists() for n in ("pwned", "pwned2", "pwned3")
    )


# ------------------------------------------------------------------------ tolerances


def test_measured_spread_from_tolerances_file(tmp_path, reference, rubric):
    spread_file = tmp_path / "tolerances.json"
    spread_file.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "notebooks": {
                    "03_scratch_nn": {
                        "configs/relu/random/test_accuracy": {"kind": "abs", "tolerance": 0.05}
                    },
                    "05_fashion_grid_search": {
                        "best_params/batch_size": {"kind": "one_of", "values": [64, 128]}
                    },
                },
            }
        )
    )
    spreads = load_tolerances(spread_file)
    values = dict(reference.values)
    values["experiments.scratch_test_accuracy.relu/random"] = (
        reference.values["experiments.scratch_test_accuracy.relu/random"] - 0.04
    )  # inside 0.05, outside 0.02
    values["experiments.grid_search.best_batch_size"] = 128
    from tools.grading.reference import answers_toml

    text = answers_toml(values, {}, "t")
    assert _grade(text, reference, rubric, spreads).total == load_rubric_total(rubric)
    default = _grade(text, reference, rubric, {})
    assert {m.item.id for m in default.marks if not m.earned} == {
        "experiments.scratch_test_accuracy.relu/random",
        "experiments.grid_search.best_batch_size",
    }
    assert "±0.05 (measured spread)" in markdown_report(
        _grade(text, reference, rubric, spreads), spreads
    )


def load_rubric_total(rubric):
    return sum((rubric[i.rubric_key] for i in ITEMS), Decimal(0))


def test_chance_accuracy_is_flagged(reference, rubric):
    text = _with_value(reference, "experiments.scratch_test_accuracy.relu/random", 0.1)
    mark = _grade(text, reference, rubric).by_id()["experiments.scratch_test_accuracy.relu/random"]
    assert "at chance: the network did not learn" in mark.reason
    text = _with_value(reference, "experiments.scratch_test_accuracy.relu/random", 91.3)
    mark = _grade(text, reference, rubric).by_id()["experiments.scratch_test_accuracy.relu/random"]
    assert "looks like a percentage" in mark.reason


def test_malformed_tolerances_file_is_an_error(tmp_path):
    path = tmp_path / "tolerances.json"
    path.write_text(json.dumps({"schema_version": 1, "notebooks": {"03": {"k": {"kind": "x"}}}}))
    with pytest.raises(ToleranceFileError, match="03 k"):
        load_tolerances(path)
    assert load_tolerances(tmp_path / "absent.json") == {}


# ---------------------------------------------------------------- the worked example


def test_original_answers_are_generated_from_the_ledger(reference):
    committed = (EXAMPLE_DIR / "original.toml").read_text(encoding="utf-8")
    assert committed == original_toml(reference), "run `make grade-example`"
    assert "y_pred = 0.49  # seed line 44:" in committed


def test_original_report_reproduces_the_committed_one(tmp_path):
    grader = Grader()
    result = grader.grade_file(EXAMPLE_DIR / "original.toml")
    grader.write_reports(result, "original", tmp_path)
    for suffix in (".md", ".html"):
        assert (tmp_path / f"original{suffix}").read_bytes() == (
            EXAMPLE_DIR / f"original{suffix}"
        ).read_bytes(), "run `make grade-example`"
    assert str(REPO_ROOT) not in (tmp_path / "original.md").read_text()


def test_template_lists_every_key_and_grades_as_missing(reference, rubric):
    text = template_toml()
    for item in ITEMS:
        assert f"# {value_text(item.key) if '/' in item.key else item.key} = " in text
    result = _grade(text, reference, rubric)
    assert result.total == 0 and {m.status for m in result.marks} == {"missing"}


def test_class_csv_has_a_row_per_grade(reference, rubric):
    result = _grade(reference_toml(reference), reference, rubric)
    lines = class_csv([("a", result), ("b", result)]).splitlines()
    assert len(lines) == 3 and lines[1].startswith("a,")


def test_results_files_exist():
    assert (RESULTS_DIR / "01_backprop_by_hand.json").exists()


def test_readme_quotes_the_worked_example_as_graded():
    """The README's total and count of carried-forward marks are the committed report's."""
    import re

    from helpers.paths import REPO_ROOT

    report = (REPO_ROOT / "results" / "grading" / "original.md").read_text(encoding="utf-8")
    total = re.search(r"\*\*total: ([\d.]+ / [\d.]+)\*\*", report).group(1)
    carried = len(re.findall(r"^\| .* \| error carried forward:", report, re.MULTILINE))
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    assert f"**{total}**, {words.get(carried, carried)} marks of them by error carried" in readme
