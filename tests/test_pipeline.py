"""The notebook pipeline: fingerprints, metadata stripping, real papermill runs."""

from __future__ import annotations

import nbformat
import pytest

from tools import pipeline


def make_notebook(path, code_cells, markdown="# Toy"):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(markdown))
    params = nbformat.v4.new_code_cell('profile = "default"')
    params.metadata["tags"] = ["parameters"]
    nb.cells.append(params)
    nb.cells += [nbformat.v4.new_code_cell(src) for src in code_cells]
    nb.metadata["kernelspec"] = dict(pipeline.KERNELSPEC)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_strip_removes_run_varying_metadata_only():
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"duration": 1.0, "start_time": "2026-01-01"}
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=3)
    cell.metadata["papermill"] = {"duration": 0.1}
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    cell.metadata["tags"] = ["parameters"]
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)
    ]
    nb.cells.append(cell)
    pipeline.strip_notebook(nb)
    assert "papermill" not in nb.metadata
    assert nb.metadata["kernelspec"]["name"] == pipeline.KERNEL_NAME
    assert dict(cell.metadata) == {"tags": ["parameters"]}
    assert cell.execution_count == 3 and cell.outputs  # nbval needs both


def test_strip_writes_the_injected_parameters_as_ruff_format_does():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('# Parameters\nprofile = "default"\n')
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.append(cell)
    pipeline.strip_notebook(nb)
    assert cell.source == '# Parameters\nprofile = "default"'


def test_strip_merges_consecutive_streams_of_the_same_name():
    cell = nbformat.v4.new_code_cell("print(1); print(2)")
    new_stream = nbformat.v4.new_output
    cell.outputs = [
        new_stream("stream", name="stdout", text="a\n"),
        new_stream("stream", name="stdout", text=["b\n", "c\n"]),
        new_stream("stream", name="stderr", text="warn\n"),
        new_stream("stream", name="stdout", text="d\n"),
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1),
        new_stream("stream", name="stdout", text="e\n"),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells.append(cell)
    pipeline.strip_notebook(nb)
    kinds = [(o.output_type, o.get("name"), o.get("text")) for o in cell.outputs]
    assert kinds == [
        ("stream", "stdout", "a\nb\nc\n"),
        ("stream", "stderr", "warn\n"),
        ("stream", "stdout", "d\n"),
        ("execute_result", None, None),
        ("stream", "stdout", "e\n"),
    ]


def make_helpers(tmp_path, files: dict[str, str]):
    """A ``helpers`` package under ``tmp_path`` with an empty ``__init__.py`` and ``files``."""
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "__init__.py").write_text("")
    for name, text in files.items():
        (helpers / name).write_text(text)
    return helpers


def test_imported_helpers_follow_imports(tmp_path):
    helpers = make_helpers(
        tmp_path,
        {"a.py": "from helpers.b import thing\n", "b.py": "thing = 1\n", "c.py": "other = 2\n"},
    )
    found = pipeline.helper_closure(["%matplotlib inline\nfrom helpers import a\n"], helpers)
    assert [p.name for p in found] == ["__init__.py", "a.py", "b.py"]


def test_fingerprint_tracks_sources_profile_and_helpers(tmp_path):
    helpers = make_helpers(
        tmp_path, {"maths.py": "def double(x):\n    return 2 * x\n", "unused.py": "x = 1\n"}
    )
    nb_path = make_notebook(tmp_path / "01_toy.ipynb", ["from helpers.maths import double"])
    base = pipeline.fingerprint(nb_path, "default", helpers, extra_files=())
    assert base == pipeline.fingerprint(nb_path, "default", helpers, extra_files=())
    assert base != pipeline.fingerprint(nb_path, "smoke", helpers, extra_files=())
    (helpers / "unused.py").write_text("x = 2\n")  # not imported: no re-run
    assert base == pipeline.fingerprint(nb_path, "default", helpers, extra_files=())
    (helpers / "maths.py").write_text("def double(x):\n    return x + x\n")
    changed = pipeline.fingerprint(nb_path, "default", helpers, extra_files=())
    assert changed != base
    # papermill's injected-parameters cell is not part of the source
    nb = nbformat.read(nb_path, as_version=4)
    injected = nbformat.v4.new_code_cell('profile = "smoke"')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    nbformat.write(nb, nb_path)
    assert pipeline.fingerprint(nb_path, "default", helpers, extra_files=()) == changed


def test_fingerprint_tracks_the_ledger_of_notebooks_that_read_it(tmp_path):
    helpers = make_helpers(
        tmp_path,
        {
            "ledger.py": "ORIGINAL = 'read from ledger.toml'\n",
            "maths.py": "x = 1\n",
            "ledger.toml": "schema = 1\n",
        },
    )
    reader = make_notebook(tmp_path / "01_reader.ipynb", ["from helpers import ledger"])
    other = make_notebook(tmp_path / "02_other.ipynb", ["from helpers import maths"])
    before = [
        pipeline.fingerprint(nb, "default", helpers, extra_files=()) for nb in (reader, other)
    ]
    (helpers / "ledger.toml").write_text("schema = 1\n# an original's number changed\n")
    after = [pipeline.fingerprint(nb, "default", helpers, extra_files=()) for nb in (reader, other)]
    assert after[0] != before[0]  # the notebook that reads the ledger runs again
    assert after[1] == before[1]  # the other does not


def test_execute_is_reproducible_and_stripped(tmp_path):
    nb_path = make_notebook(
        tmp_path / "01_toy.ipynb",
        [
            "from helpers.profiles import get_profile\nP = get_profile(profile)",
            "print(profile, P['scratch_epochs'])",
        ],
    )
    out = tmp_path / "out" / "01_toy.ipynb"
    durations = pipeline.execute(nb_path, out, "smoke", log_output=False)
    first = out.read_bytes()
    nb = nbformat.read(out, as_version=4)
    assert "papermill" not in nb.metadata
    assert all("execution" not in c.metadata for c in nb.cells)
    printed = nb.cells[-1].outputs[0]["text"]
    assert printed == "smoke 2\n"  # the injected parameter won
    # every cell's run time (papermill's, read before stripping), the injected one too
    assert len(durations) == len(nb.cells) and all(d >= 0 for d in durations)
    assert sum(durations) > 0
    pipeline.execute(nb_path, out, "smoke", log_output=False)
    assert out.read_bytes() == first


def test_failure_names_cell_and_keeps_previous_output(tmp_path):
    nb_path = make_notebook(tmp_path / "02_bad.ipynb", ["x = 1", "raise ValueError('boom')"])
    out = tmp_path / "out" / "02_bad.ipynb"
    out.parent.mkdir()
    out.write_text("previous output")
    failed = tmp_path / "failed"
    with pytest.raises(pipeline.NotebookFailed, match=r"02_bad.ipynb: cell \d+.*ValueError: boom"):
        pipeline.execute(nb_path, out, "smoke", failed_dir=failed, log_output=False)
    assert out.read_text() == "previous output"
    assert (failed / "02_bad.ipynb").exists()


def test_unknown_profile_is_refused(tmp_path, capsys):
    assert pipeline.main(["run", "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


def test_committed_notebooks_follow_conventions():
    for path in pipeline.list_notebooks():
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: needs exactly one 'parameters' cell"
        assert tagged[0].source.startswith('profile = "default"\nrun_options = {}'), path.name
        assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
        assert nb.metadata["kernelspec"]["name"] == pipeline.KERNEL_NAME, path.name
        assert all("papermill" not in c.metadata for c in nb.cells), path.name


def test_run_record_accumulates_notebooks(tmp_path, monkeypatch):
    from helpers import results

    monkeypatch.setattr(results, "BUILD_DIR", tmp_path / "build")
    pipeline.record_run("smoke", tmp_path / "01_a.ipynb", 1.234)
    pipeline.record_run("smoke", tmp_path / "02_b.ipynb", 5.0)
    import json

    record = json.loads((tmp_path / "build/smoke/results/run.json").read_text())
    assert record["profile"] == "smoke" and record["cores"] >= 1
    assert record["notebooks"]["01_a.ipynb"]["wall_time_s"] == 1.2
    assert set(record["notebooks"]) == {"01_a.ipynb", "02_b.ipynb"}
    assert record["packages"]["numpy"][0].isdigit()


def _toy_run(tmp_path, monkeypatch, execute):
    """run_all of one default-profile toy notebook with results/ and build/ in tmp_path."""
    from helpers import results

    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(pipeline, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(pipeline, "execute", execute)
    monkeypatch.setattr(pipeline, "stamps_path", lambda profile: tmp_path / "stamps.json")
    monkeypatch.setattr(pipeline, "output_path", lambda nb, profile: tmp_path / "out" / nb.name)
    notebook = make_notebook(
        tmp_path / "05_toy.ipynb", ['run = start_run("05_toy", profile, **run_options)']
    )
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "05_toy.json").write_text("committed run")
    return pipeline.run_all("default", [notebook], force=True, log_output=False)


def test_a_failed_notebook_leaves_results_as_they_were(tmp_path, monkeypatch, capsys):
    from helpers import results

    def failing_execute(notebook, output, profile, options, **kwargs):
        # the kernel saved its results (into build/), then its verification failed
        results.save_results("05_toy", "default", {"acc": 0.5})
        raise pipeline.NotebookFailed("05: cell 23 raised VerificationError")

    assert _toy_run(tmp_path, monkeypatch, failing_execute) == 1
    assert (tmp_path / "results" / "05_toy.json").read_text() == "committed run"
    assert "results/ was left as it was" in capsys.readouterr().out


def test_a_successful_default_run_is_promoted_into_results(tmp_path, monkeypatch):
    from helpers import results

    def passing_execute(notebook, output, profile, options, **kwargs):
        assert options == {}  # a plain default run needs no parameters
        results.save_results("05_toy", "default", {"acc": 0.9})
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("{}")

    assert _toy_run(tmp_path, monkeypatch, passing_execute) == 0
    assert results.load_committed("05_toy") == {"acc": 0.9}


def test_a_stale_run_file_is_never_promoted(tmp_path, monkeypatch):
    from helpers import results

    results_build = tmp_path / "build" / "default" / "results"
    results_build.mkdir(parents=True)

    def silent_execute(notebook, output, profile, options, **kwargs):
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("{}")  # ran, but saved no results

    (results_build / "05_toy.json").write_text('{"notebook": "05_toy", "profile": "default"}')
    assert _toy_run(tmp_path, monkeypatch, silent_execute) == 1
    assert (tmp_path / "results" / "05_toy.json").read_text() == "committed run"
    assert results.committed_path("05_toy") == tmp_path / "results" / "05_toy.json"


def test_the_injected_cell_is_dropped_from_committed_notebooks():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("profile = 'default'", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(
                "run_options = {}", metadata={"tags": ["injected-parameters"]}
            ),
            nbformat.v4.new_code_cell("print(1)"),
        ]
    )
    for i, cell in enumerate(nb.cells, 1):
        cell.execution_count = i
    nb.cells[2].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"})]
    nb.cells[2].outputs[0]["execution_count"] = 3
    pipeline.without_injected_cell(nb)
    assert [c.execution_count for c in nb.cells] == [1, 2]
    assert nb.cells[1].outputs[0]["execution_count"] == 2


def test_results_name_is_read_from_the_start_run_call(tmp_path):
    notebook = make_notebook(
        tmp_path / "07_x.ipynb", ['run = start_run("07_experiments", profile)']
    )
    assert pipeline.results_name(notebook) == "07_experiments"
    with pytest.raises(ValueError, match="no start_run"):
        pipeline.results_name(make_notebook(tmp_path / "08_y.ipynb", ["x = 1"]))
