"""tools.verify: where nbval's runs leave their verdicts, the summary, the matrix's legs.

nbval itself is replaced by a stand-in that writes what a notebook's last cell writes
(``helpers.run``): a results file and a verdict file in build/default/results/.
"""

import json

import pytest

from tools import tolerances
from tools import verify as tool


@pytest.fixture
def run_results(tmp_path, monkeypatch):
    folder = tmp_path / "run-results"
    monkeypatch.setattr(tool, "RUN_RESULTS", folder)
    return folder


def _fake_nbval(folder, failures_by_notebook, calls):
    def run_nbval(env, verbose=True, notebooks=()):
        calls.append(dict(env))
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):  # as the real one: this run's files only
            stale.unlink()
        for name, failures in failures_by_notebook.items():
            (folder / f"{name}.json").write_text(json.dumps({"results": {"a": 1}}))
            verdict = {
                "notebook": name,
                "counts": {"exact": 1, "numerical": 0, "abs": 2, "one_of": 0},
                "failures": failures,
            }
            (folder / f"{name}.verdict.json").write_text(json.dumps(verdict))
        return 1 if any(failures_by_notebook.values()) else 0

    return run_nbval


def test_verdicts_are_read_from_the_run_results(run_results):
    run_results.mkdir()
    (run_results / "03_x.json").write_text("{}")  # a results file is not a verdict
    (run_results / "03_x.verdict.json").write_text(
        json.dumps({"notebook": "03_x", "counts": {}, "failures": ["acc: moved"]})
    )
    assert set(tool.read_verdicts()) == {"03_x"}
    assert tool.read_verdicts()["03_x"]["failures"] == ["acc: moved"]


def test_the_summary_names_agreement_and_disagreement():
    counts = {"exact": 3, "numerical": 1, "abs": 4, "one_of": 0}
    rows = tool.summary_lines(
        {"03_x": {"counts": counts, "failures": []}, "04_y": {"counts": counts, "failures": ["a"]}}
    )
    assert rows[2] == "| 03_x | 3 | 1 | 4 | 0 | agrees |"
    assert rows[3] == "| 04_y | 3 | 1 | 4 | 0 | 1 differ |"


def test_the_matrix_runs_each_leg_keeps_its_results_and_fails_on_a_failed_leg(
    run_results, tmp_path, monkeypatch, capsys
):
    calls = []
    monkeypatch.setattr(tolerances, "MEASURE_DIR", tmp_path / "measured")
    monkeypatch.setattr(tool, "variant_dir", tolerances.variant_dir)
    monkeypatch.setattr(tool, "machine_lines", lambda env: ["machine: test"])
    monkeypatch.setattr(tool, "run_nbval", _fake_nbval(run_results, {"03_x": []}, calls))
    assert tool.matrix(("threads-1", "openblas-nehalem")) == 0
    assert calls == [{"OPENBLAS_NUM_THREADS": "1"}, {"OPENBLAS_CORETYPE": "Nehalem"}]
    assert (tmp_path / "measured" / "openblas-nehalem" / "results" / "03_x.json").is_file()
    assert not (
        tmp_path / "measured" / "openblas-nehalem" / "results" / "03_x.verdict.json"
    ).exists()
    out = capsys.readouterr().out
    assert "| openblas-nehalem | `OPENBLAS_CORETYPE=Nehalem` | passed | 1 of 1 agree |" in out
    monkeypatch.setattr(tool, "run_nbval", _fake_nbval(run_results, {"03_x": ["a"]}, calls))
    assert tool.matrix(("threads-4",)) == 1
    assert (
        "| threads-4 | `OPENBLAS_NUM_THREADS=4` | FAILED | 0 of 1 agree |"
        in capsys.readouterr().out
    )


def test_the_matrix_skips_a_kernel_family_the_cpu_cannot_run(run_results, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(tool, "runnable", lambda variant: variant != "openblas-skylakex")
    monkeypatch.setattr(tool, "machine_lines", lambda env: [])
    monkeypatch.setattr(tool, "keep_results", lambda target: None)
    monkeypatch.setattr(tool, "run_nbval", _fake_nbval(run_results, {"03_x": []}, calls))
    assert tool.matrix(("openblas-skylakex", "threads-1")) == 0
    assert calls == [{"OPENBLAS_NUM_THREADS": "1"}]
    assert "openblas-skylakex: skipped, this CPU lacks avx512f" in capsys.readouterr().out


def test_the_matrix_includes_the_kernel_families():
    assert {"openblas-sandybridge", "openblas-nehalem", "openblas-skylakex"} <= set(
        tool.MATRIX_VARIANTS
    )


def test_recheck_compares_kept_results_under_the_current_tolerances(tmp_path, monkeypatch, capsys):
    from helpers.results import committed_path

    monkeypatch.setattr(tolerances, "MEASURE_DIR", tmp_path / "measured")
    committed = json.loads(committed_path("01_backprop_by_hand").read_text(encoding="utf-8"))
    kept = tolerances.variant_dir("threads-1") / "results"
    kept.mkdir(parents=True)
    (kept / "01_backprop_by_hand.json").write_text(json.dumps(committed), encoding="utf-8")
    (kept / "01_backprop_by_hand.verdict.json").write_text("{}", encoding="utf-8")  # skipped
    assert tool.recheck(["threads-1", "threads-4"]) == 0
    out = capsys.readouterr().out
    assert "| threads-1 | 1 |" in out and "| 0 |" in out
    assert "threads-4 | no kept results" in out

    changed = json.loads(json.dumps(committed))
    changed["results"]["relu_grad_at_zero"] += 1
    (kept / "01_backprop_by_hand.json").write_text(json.dumps(changed), encoding="utf-8")
    assert tool.recheck(["threads-1"]) == 1
    assert "01_backprop_by_hand: relu_grad_at_zero" in capsys.readouterr().out
