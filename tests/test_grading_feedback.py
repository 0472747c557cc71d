"""Student and staff reports, Unicode names, broken headers, folder runs, a scaled w."""

from __future__ import annotations

import unicodedata

import pytest

from tools.grading.answers import parse_answers
from tools.grading.cli import folder_entries, grade_folder, grade_one
from tools.grading.marking import grade
from tools.grading.reference import load_reference, reference_toml
from tools.grading.reports import markdown_report, student_report
from tools.grading.rubric import load_rubric
from tools.grading.tolerances import load_tolerances


@pytest.fixture(scope="module")
def setup():
    return load_reference(), load_rubric(), load_tolerances()


def _grade(text, setup):
    reference, rubric, spreads = setup
    return grade(parse_answers(text, "alice.toml"), reference, rubric, spreads)


def _wrong_submission(reference) -> str:
    text = reference_toml(reference)
    sample = reference.values["backprop.sample2.y_pred"]
    w1 = reference.values["svm.problem1.w"]
    relu_random = reference.values["experiments.scratch_test_accuracy.relu/random"]
    text = text.replace(f"y_pred = {_toml_number(sample)}", "y_pred = 0.1111", 1)
    text = text.replace(
        f"w = [{', '.join(_toml_number(v) for v in w1)}]",
        f"w = [{', '.join(_toml_number(2 * v) for v in w1)}]",
        1,
    )
    text = text.replace(f'"relu/random" = {_toml_number(relu_random)}', '"relu/random" = 0.5', 1)
    return text


def _toml_number(value) -> str:
    from tools.grading.reference import value_text

    return value_text(value)


def test_student_report_shows_mark_reason_hint_but_never_the_expected_value(setup):
    reference = setup[0]
    text = _wrong_submission(reference)
    result = _grade(text, setup)
    lost = {m.item.id: m for m in result.marks if not m.earned}
    assert {"svm.problem1.w", "experiments.scratch_test_accuracy.relu/random"} <= set(lost)
    assert "backprop.sample2.y_pred" in lost
    staff = markdown_report(result, setup[2])
    student = student_report(result)
    for mark in lost.values():
        assert mark.expected in staff
        for value in _forms(reference.values[mark.item.id]):
            assert value not in student, (mark.item.id, value)
    assert "| y_pred | 0.1111 | 0/" in student and "redo the step" in student
    assert "scaled by 2" in lost["svm.problem1.w"].reason
    assert "a multiple of the maximum-margin w" in student
    assert "outside the spread" in student  # the experiment's reason, without the value


def _forms(value) -> list[str]:
    """The expected value as a report could print it (4 and more significant digits)."""
    values = value if isinstance(value, tuple) else (value,)
    out = []
    for v in values:
        if isinstance(v, (int, float)) or hasattr(v, "denominator"):
            number = float(v)
            if number != int(number):
                out += [f"{number:.4g}", f"{number:.6g}"]
    return out


def test_a_scaled_w_is_named_only_for_a_positive_multiple(setup):
    reference = setup[0]
    w1 = reference.values["svm.problem1.w"]
    text = reference_toml(reference)
    original = f"w = [{', '.join(_toml_number(v) for v in w1)}]"
    for factor, named in ((2, True), (0.5, True), (-1, False)):
        scaled = f"w = [{', '.join(_toml_number(factor * v) for v in w1)}]"
        mark = _grade(text.replace(original, scaled, 1), setup).by_id()["svm.problem1.w"]
        assert not mark.earned
        assert ("scaled by" in mark.reason) is named, (factor, mark.reason)


def test_a_broken_header_loses_only_its_own_table(setup):
    text = reference_toml(setup[0]).replace("[svm.problem2]", "[svm.problem2", 1)
    result = _grade(text, setup)
    lost = {m.item.id for m in result.marks if not m.earned}
    assert lost == {m.item.id for m in result.marks if m.item.table == "svm.problem2"}
    assert all("[svm.problem2] (from line" in m.reason for m in result.marks if not m.earned)


def test_unicode_names_are_kept_and_a_collision_never_overwrites(setup, tmp_path, capsys):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    text = reference_toml(setup[0])
    nfc = unicodedata.normalize("NFC", "José.toml")
    nfd = unicodedata.normalize("NFD", "José.toml")
    for name in (nfc, "Josè.toml", nfd):
        (folder / name).write_text(text)
    for name in (nfc, "Josè.toml", nfd):
        grade_one(folder / name, out)
    reports = sorted(p.name for p in out.glob("*.md"))
    assert reports == sorted(["José.md", "Josè.md", "José-2.md"])
    assert "already holds the report of" in capsys.readouterr().out
    grade_one(folder / nfc, out)  # the same file again: its own report, no new name
    assert len(list(out.glob("*.md"))) == 3


def test_folder_run_lists_skipped_files_and_refuses_symlinks_out(setup, tmp_path, capsys):
    folder, out, outside = tmp_path / "class", tmp_path / "out", tmp_path / "secret.toml"
    folder.mkdir()
    text = reference_toml(setup[0])
    outside.write_text(text)
    (folder / "alice.toml").write_text(text)
    (folder / "bob.TOML").write_text(text)
    (folder / "carol.toml.txt").write_text(text)
    (folder / "notes.md").write_text("hi")
    (folder / "sub").mkdir()
    (folder / "dave.toml").symlink_to(outside)
    (folder / "erin.toml").symlink_to(folder / "alice.toml")
    graded, skipped = folder_entries(folder)
    assert [p.name for p in graded] == ["alice.toml", "bob.TOML", "erin.toml"]
    assert skipped == [
        "carol.toml.txt: skipped, its name does not end in .toml (rename it?)",
        "dave.toml: a symlink leaving the folder, refused",
        "notes.md: skipped, not an answers file (*.toml)",
        "sub: a folder, not graded (answers files only)",
    ]
    assert grade_folder(folder, out) == 0
    printed = capsys.readouterr().out
    assert "note: dave.toml: a symlink leaving the folder, refused" in printed
    assert "4 entry(ies) skipped" in printed
    assert not (out / "dave.md").exists() and (out / "bob.md").exists()
