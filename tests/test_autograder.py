"""The autograder in a simulated /autograder layout: full marks, planted bugs, hostile code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.paths import REPO_ROOT
from tools.autograder.build import build_zip, write_autograder_source
from tools.autograder.hidden_tests import hidden_tests
from tools.autograder.run import find_submission_files, grade_submission, limits_from
from tools.autograder.sandbox import Limits
from tools.grading.reference import load_reference, reference_toml

HELPERS = REPO_ROOT / "helpers"
CODE_POINTS = sum(t.points for t in hidden_tests())


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    """``<tmp>/autograder/source`` unpacked as Gradescope would."""
    root = tmp_path_factory.mktemp("gs") / "autograder"
    write_autograder_source(root / "source")
    return root


@pytest.fixture(scope="module")
def handout_helpers(tmp_path_factory) -> Path:
    """The hand-out's helpers (stubs): the base a submission is laid over."""
    from tools.student import write_helpers

    root = tmp_path_factory.mktemp("handout")
    write_helpers(root)
    return root / "helpers"


def _submit(root: Path, files: dict[str, str]) -> None:
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    submission.mkdir()
    for name, text in files.items():
        (submission / name).write_text(text, encoding="utf-8")


def _reference_files(with_answers: bool = True) -> dict[str, str]:
    files = {n: (HELPERS / n).read_text() for n in ("backprop.py", "svm.py", "scratch_nn.py")}
    if with_answers:
        files["answers.toml"] = reference_toml(load_reference())
    return files


def _run(root: Path, **env) -> tuple[dict, float]:
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env={
            **os.environ,
            "AUTOGRADER_ROOT": str(root),
            "AUTOGRADER_PYTHON": sys.executable,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    return results, time.monotonic() - started


def _lost(results: dict) -> set[str]:
    return {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}


def test_results_json_has_gradescope_shape_and_reference_gets_full_marks(autograder):
    _submit(autograder, _reference_files())
    results, _ = _run(autograder)
    assert results["score"] == CODE_POINTS + 50 == sum(t["max_score"] for t in results["tests"])
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "visibility"}
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    assert _lost(results) == set()
    assert "Found: answers.toml, backprop.py, scratch_nn.py, svm.py." in results["output"]


@pytest.mark.parametrize(
    ("old", "new", "function"),
    [
        (
            "np.greater(a, 0.0, out=out)  # writes 1.0 / 0.0 in a's float dtype",
            "np.greater_equal(a, 0.0, out=out)  # planted: relu'(0) = 1",
            "scratch_nn.relu_grad",
        ),
        ("return error.sum(axis=0)", "return np.zeros(error.shape[1])", "scratch_nn.bias_gradient"),
    ],
)
def test_a_planted_bug_loses_exactly_the_tests_that_cover_it(
    handout_helpers, tmp_path, old, new, function
):
    submission = tmp_path / "submission"
    submission.mkdir()
    text = (HELPERS / "scratch_nn.py").read_text()
    assert text.count(old) == 1
    (submission / "scratch_nn.py").write_text(text.replace(old, new))
    only = [t.name for t in hidden_tests() if t.module == "scratch_nn"]  # all tests of the file
    staff = tmp_path / "staff" / "answers-staff.md"
    results = grade_submission(
        submission, handout_helpers, only=only, theory=False, staff_path=staff
    )
    covering = {t.name for t in hidden_tests() if function in t.covers}
    assert function in covering and len(covering) >= 2
    assert _lost(results) == covering
    for test in results["tests"]:
        if test["name"] in covering:
            assert (
                test["score"] == 0
                and "wrong values" in test["output"]
                and "Hint:" in test["output"]
            )
        else:
            assert test["score"] == test["max_score"] == 1
    # staff see the failing case's expected and actual values; students never do
    staff_rows = [r for r in (staff.parent / "code-staff.md").read_text().splitlines()]
    for name in covering:
        row = next(r for r in staff_rows if r.startswith(f"| {name} |"))
        assert "; expected {" in row and "; got " in row
    assert "expected {" not in json.dumps(results)


HOSTILE = {
    # an endless loop in relu (covers scratch_nn.relu and the backward pass with relu)
    ("scratch_nn.py", "    return np.maximum(z, 0.0, out=out)\n"): (
        "    while True:\n        pass\n"
    ),
    # raises
    ("scratch_nn.py", "    return error.sum(axis=0)\n"): (
        '    raise ValueError("planted failure")\n'
    ),
    # tries to read the hidden tests
    ("svm.py", "    value = decision_value(w, b, x)\n"): (
        "    value = decision_value(w, b, x)\n    open(HIDDEN).read()\n"
    ),
    # tries the network
    ("backprop.py", "    return z if z > 0 else type(z)(0)\n"): (
        "    import socket\n"
        '    socket.create_connection(("192.0.2.1", 80), timeout=1)\n'
        "    return z if z > 0 else type(z)(0)\n"
    ),
}


def test_hostile_submissions_are_bounded_scored_zero_and_explained(autograder):
    files = _reference_files(with_answers=False)
    hidden = autograder / "source" / "tools" / "autograder" / "hidden_tests.py"
    assert hidden.is_file()
    for (name, old), new in HOSTILE.items():
        assert files[name].count(old) == 1, (name, old)
        files[name] = files[name].replace(old, new)
    files["svm.py"] += f"\nHIDDEN = {str(hidden)!r}\n"
    _submit(autograder, files)
    results, elapsed = _run(autograder, AUTOGRADER_TEST_SECONDS="2")
    assert elapsed < 60
    by_name = {t["name"]: t for t in results["tests"]}
    expected_lost = {
        "scratch_nn.relu": "time limit",
        "scratch_nn.backward_reference": "planted failure",  # uses bias_gradient first
        "scratch_nn.bias_gradient": "raised ValueError: planted failure",
        "svm.classify": "refuses opening",
        "backprop.relu": "refuses socket",
        "backprop.forward": "refuses socket",
        "backprop.gradients": "refuses socket",
        "backprop.sgd_step": "refuses socket",
    }
    code_lost = {n for n in _lost(results) if not n.startswith("answers:")}
    assert code_lost == set(expected_lost)
    for name, why in expected_lost.items():
        assert by_name[name]["score"] == 0 and why in by_name[name]["output"], by_name[name]
    # the hidden tests' contents never reach the feedback
    assert "P1 = " not in json.dumps(results) and "SVM_X" not in json.dumps(results)


def test_code_that_swallows_the_time_limit_is_killed_and_the_rest_still_run(
    handout_helpers, tmp_path
):
    base = handout_helpers
    submission = tmp_path / "submission"
    submission.mkdir()
    text = (HELPERS / "backprop.py").read_text()
    old = "    return (y - y_pred) ** 2 / 2\n"
    stubborn = (  # catches the harness's TestTimeout and loops on
        "    while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass\n"
    )
    (submission / "backprop.py").write_text(text.replace(old, stubborn))
    started = time.monotonic()
    only = ["backprop.squared_error", "backprop.gradients"]
    limits = Limits(wall_seconds=1, startup_seconds=4)
    results = grade_submission(submission, base, limits, only=only, theory=False)
    assert time.monotonic() - started < 20
    by_name = {t["name"]: t for t in results["tests"]}
    assert by_name["backprop.squared_error"]["score"] == 0
    assert "stopped" in by_name["backprop.squared_error"]["output"]
    assert by_name["backprop.gradients"]["score"] == 1  # a fresh process ran it


def test_submission_files_found_flat_or_one_down_and_symlinks_refused(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "svm.py").write_text("x = 1\n")
    (tmp_path / "answers.toml").write_text("")
    (tmp_path / "backprop.py").symlink_to("/etc/passwd")
    files, notes = find_submission_files(tmp_path)
    assert set(files) == {"svm.py", "answers.toml"}
    assert notes == ["backprop.py: a symlink, refused"]


def test_hidden_tests_inside_the_readable_installation_are_refused(tmp_path):
    from tools.autograder.sandbox import child_read_roots

    assert sys.prefix in child_read_roots() or os.path.realpath(sys.prefix) in child_read_roots()
    with pytest.raises(RuntimeError, match="lie inside the Python installation"):
        child_read_roots(Path(sys.prefix) / "lib" / "grader")


def test_limits_from_environment_are_checked():
    assert limits_from(None, {"AUTOGRADER_TEST_SECONDS": "3"}).wall_seconds == 3
    with pytest.raises(ValueError, match="AUTOGRADER_TEST_SECONDS must be a number"):
        limits_from(None, {"AUTOGRADER_TEST_SECONDS": "3; rm -rf /"})
    with pytest.raises(ValueError, match=r"\(0, 600\]"):
        limits_from(None, {"AUTOGRADER_STARTUP_SECONDS": "-1"})


def test_autograder_zip_has_the_gradescope_files(tmp_path):
    import zipfile

    path = build_zip(tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert {"setup.sh", "run_autograder", "tools/autograder/hidden_tests.py"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert "student_helpers/scratch_nn.py" in names and "results/02_svm_margins.json" in names


def test_theory_feedback_in_results_json_never_states_an_expected_value(handout_helpers, tmp_path):
    reference = load_reference()
    submission = tmp_path / "submission"
    submission.mkdir()
    text = reference_toml(reference)
    y_pred = reference.values["backprop.sample1.y_pred"]
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("y_pred = "))
    lines[index] = "y_pred = 0.1111"
    (submission / "answers.toml").write_text("\n".join(lines) + "\n")
    results = grade_submission(submission, handout_helpers, only=["backprop.relu"], theory=True)
    table = next(t for t in results["tests"] if t["name"] == "answers: [backprop.sample1]")
    assert table["score"] < table["max_score"]
    assert "y_pred: 0/" in table["output"] and "redo this step" in table["output"]
    everything = json.dumps(results)
    for digits in (4, 6, 8):
        assert f"{float(y_pred):.{digits}g}" not in everything
    assert "helpers/backprop.py is not in the submission" in everything
