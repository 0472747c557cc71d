"""tools.bench_run_all: engine order and environments, verdicts, the table, argument checks.

The benchmark itself takes ~17 minutes on this 2-core machine (`make bench-run-all`);
here ``pipeline.execute`` is replaced by a stand-in that records what it was asked to run.
"""

import json

import nbformat
import pytest

from helpers import parallel
from tools import bench_run_all, pipeline


def test_engines_alternate_which_goes_first():
    assert bench_run_all.engine_order(0) == ("serial", "parallel")
    assert bench_run_all.engine_order(1) == ("parallel", "serial")
    assert bench_run_all.engine_order(2) == ("serial", "parallel")


def test_each_engine_writes_only_under_the_output_folder(tmp_path):
    for engine in bench_run_all.ENGINES:
        options = bench_run_all.engine_options(engine, tmp_path)
        assert options["verify"] == "report"  # a serial run may differ: shown, not raised
        assert options["output_dir"] == str(tmp_path / engine / "results")
    assert bench_run_all.engine_options("serial", tmp_path)["tasks"] == "serial"
    assert bench_run_all.engine_options("parallel", tmp_path)["tasks"] == "processes"


def test_verdicts_are_found_by_the_notebooks_number():
    verdicts = {"03_scratch_nn": {"n": 3}, "04_fashion": {"n": 4}}
    assert bench_run_all.verdict_of("03_scratch_nn_activation_init.ipynb", verdicts) == {"n": 3}
    assert bench_run_all.verdict_of("05_grid.ipynb", verdicts) is None


def test_verdict_text():
    counts = {"exact": 3, "numerical": 1, "abs": 4, "one_of": 0}
    assert bench_run_all.verdict_text(None) == "-"
    assert bench_run_all.verdict_text({"counts": counts, "failures": []}) == "agrees"
    assert bench_run_all.verdict_text({"counts": counts, "failures": ["x", "y"]}) == "2 of 8 differ"


def _fake_execute(calls, seconds):
    """A pipeline.execute stand-in: writes a two-cell notebook, logs a verdict."""

    def execute(notebook, output, profile, options, failed_dir=None, log_output=True, env=None):
        engine = "serial" if options["tasks"] == "serial" else "parallel"
        calls.append((notebook.name, engine, profile))
        output.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("train()")]
        )
        nbformat.write(nb, output)
        failures = ["acc: moved"] if engine == "serial" else []
        folder = output.parent.parent / "results"
        folder.mkdir(parents=True, exist_ok=True)
        entry = {"notebook": notebook.stem, "counts": {"abs": 2}, "failures": failures}
        (folder / f"{notebook.stem}.verdict.json").write_text(json.dumps(entry), encoding="utf-8")
        return [0.0, seconds[engine]]

    return execute


def test_run_times_both_engines_per_notebook_and_reads_their_verdicts(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "execute", _fake_execute(calls, {"serial": 2.0, "parallel": 1.0}))
    notebooks = [tmp_path / "03_a.ipynb", tmp_path / "04_b.ipynb"]
    rows = bench_run_all.run(notebooks, "smoke", out=tmp_path / "out")
    assert calls == [
        ("03_a.ipynb", "serial", "smoke"),
        ("03_a.ipynb", "parallel", "smoke"),
        ("04_b.ipynb", "parallel", "smoke"),
        ("04_b.ipynb", "serial", "smoke"),
    ]
    assert [row["notebook"] for row in rows] == ["03_a.ipynb", "04_b.ipynb"]
    assert rows[0]["serial"]["verdict"] == "1 of 2 differ"
    assert rows[0]["parallel"]["verdict"] == "agrees"
    assert rows[0]["serial"]["slowest_cells"][0] == (1, 2.0, "train()")
    table = bench_run_all.table(rows)
    assert table[-1].startswith("| **total** |")
    assert len(table) == 2 + len(rows) + 1


def test_table_speedup_and_total():
    row = {
        "notebook": "03.ipynb",
        "speedup": 1.5,
        "serial": {"seconds": 30.0, "verdict": "agrees"},
        "parallel": {"seconds": 20.0, "verdict": "agrees"},
    }
    lines = bench_run_all.table([row, {**row, "notebook": "04.ipynb"}])
    assert "| 03.ipynb | 30.0 | 20.0 | 1.50x | agrees | agrees |" in lines
    assert lines[-1] == "| **total** | **60.0** | **40.0** | **1.50x** | | |"


@pytest.mark.parametrize(
    "argv, env, message",
    [
        (["--profile", "huge"], {}, "unknown profile"),
        ([], {parallel.SCHEDULER_VARIABLE: "tcp://127.0.0.1:8786"}, "unset DASK_SCHEDULER"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(argv, env, message, monkeypatch, capsys):
    monkeypatch.delenv(parallel.SCHEDULER_VARIABLE, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(pipeline, "execute", lambda *a, **k: pytest.fail("ran a notebook"))
    with pytest.raises(SystemExit) as caught:
        bench_run_all.main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err
