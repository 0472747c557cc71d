"""`make report`: validation of the results files, determinism, outputs, the README block."""

from __future__ import annotations

import base64
import json
import time
import zlib

import nbformat
import pytest

from helpers import data, ledger
from helpers.paths import REPO_ROOT
from tools.report import cli, inputs, readme, sections

TOY_LEDGER = """
schema = 1

[[group]]
name = "Toy grid"
notebook = "05_toy_grid"
tolerance = 0.01
reason = "default profile: 3 folds instead of 5"

  [[group.entry]]
  id = "toy.best"
  description = "Best mean CV accuracy"
  original = 0.814875
  where = "Grid search, In [30] output, row 14"
  line = 1268
  key = "best.mean"
  headline = true

  [[group.entry]]
  id = "toy.params"
  description = "Best parameters"
  original = { batch_size = 128, solver = "adam" }
  where = "Grid search, In [30] output"
  line = 1251
  key = "best.params"

[[group]]
name = "Toy activations"
notebook = "04_toy_act"

  [[group.entry]]
  id = "toy.worst"
  description = "logistic is worst"
  original = "Logistic performs the worst"
  where = "Activation study, discussion after In [18]"
  line = 1194
  kind = "lowest"
  candidates = { logistic = "test.logistic", tanh = "test.tanh", relu = "test.relu" }
  expect = ["logistic"]
"""

PAYLOADS = {
    "04_toy_act": {"test": {"logistic": 0.41, "tanh": 0.80, "relu": 0.79}},
    "05_toy_grid": {
        "best": {"mean": 0.80, "params": {"batch_size": 128, "solver": "adam"}},
        "curve": [0.5, 0.6, 0.7],
    },
}

RUN_RECORD = {
    "profile": "default",
    "python": "3.11.7",
    "cpu": "Toy CPU",
    "cores": 2,
    "packages": {"numpy": "2.4.6"},
    "notebooks": {
        "04_toy_act.ipynb": {"date": "2001-02-03 04:05 UTC", "wall_time_s": 12.34},
        "05_toy_grid.ipynb": {"date": "2001-02-03 04:07 UTC", "wall_time_s": 5.0},
    },
}


def tiny_png(color=(200, 30, 30)) -> bytes:
    """A valid 2x2 RGB PNG."""

    def chunk(kind, body):
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    raw = b"".join(b"\x00" + bytes(color) * 2 for _ in range(2))
    header = (2).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def write_doc(folder, name, payload, profile="default", **overrides):
    doc = {"notebook": name, "profile": profile, "schema_version": 1, "results": payload}
    doc.update(overrides)
    (folder / f"{name}.json").write_text(json.dumps(doc, indent=2, sort_keys=True))


def executed_notebook(path, png: bytes | None = None):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {path.stem[:2]} · Toy notebook\n\nText."))
    nb.cells.append(nbformat.v4.new_markdown_cell("## Loss curves"))
    cell = nbformat.v4.new_code_cell("plt.show()", execution_count=1)
    if png is not None:
        cell.outputs = [
            nbformat.v4.new_output(
                "display_data",
                {
                    "image/png": base64.b64encode(png).decode(),
                    "text/plain": "<Figure size 640x480 with 1 Axes>",
                },
            )
        ]
    nb.cells.append(cell)
    nbformat.write(nb, path)


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A results folder, notebooks folder, ledger and README, all synthetic."""
    results = tmp_path / "results"
    notebooks = tmp_path / "notebooks"
    results.mkdir()
    notebooks.mkdir()
    ledger_path = tmp_path / "ledger.toml"
    ledger_path.write_text(TOY_LEDGER)
    for name, payload in PAYLOADS.items():
        write_doc(results, name, payload)
    (results / "run.json").write_text(json.dumps(RUN_RECORD))
    executed_notebook(notebooks / "04_toy_act.ipynb", tiny_png())
    executed_notebook(notebooks / "05_toy_grid.ipynb", tiny_png((20, 90, 200)))
    readme_path = tmp_path / "README.md"
    readme_path.write_text(
        f"# Toy\n\nIntro.\n\n{readme.README_START}\nold\n{readme.README_END}\n\n## After\n"
    )
    monkeypatch.setattr(inputs, "RESULTS_DIR", results)
    monkeypatch.setattr(inputs, "NOTEBOOKS_DIR", notebooks)
    monkeypatch.setattr(readme, "README_PATH", readme_path)
    monkeypatch.setattr(ledger, "LEDGER_PATH", ledger_path)
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "data")  # nothing fetched here
    return tmp_path


def run_main(*args):
    return cli.main(list(args))


# ------------------------------------------------------------------------- happy path


def test_report_has_every_section_and_embeds_the_figures(env, capsys):
    assert run_main() == 0
    md = (env / "results" / "REPORT.md").read_text()
    page = (env / "results" / "report.html").read_text()
    for section in (
        "## The run",
        "## The data",
        "## The ledger",
        "## 04 · Toy notebook",
        "## 05 · Toy notebook",
        "### Ledger: Toy grid",
        "### Figures",
    ):
        assert section in md
    # the run: recorded facts; the data: every file of the profile, here not fetched
    assert "Toy CPU" in md and "12.3 s" in md and "2001-02-03 04:05 UTC" in md
    for dataset, filename in data.files_for_profile("default"):
        assert f"{dataset}/{filename}" in md
    assert "not fetched here" in md
    # the ledger: value, status, reason, rule
    assert (
        "| Best mean CV accuracy | 0.814875 | 0.8000 | ±0.01 | differs | default profile: "
        "3 folds instead of 5 |" in md
    )
    assert "| Best parameters | batch_size=128, solver=adam |" in md
    assert "logistic 0.4100 < relu 0.7900 < tanh 0.8000" in md and "| consistent |" in md
    # figures: PNG files for the Markdown, data URIs in the HTML
    figures = sorted(p.name for p in (env / "results" / "figures").iterdir())
    assert figures == ["04-fig1.png", "05-fig1.png"]
    assert (env / "results" / "figures" / "04-fig1.png").read_bytes() == tiny_png()
    assert "![04 · Loss curves (figure 1)](figures/04-fig1.png)" in md
    assert page.count('src="data:image/png;base64,') == 2
    assert base64.b64encode(tiny_png()).decode() in page
    assert "<script" not in page and "http" not in page.split("<main>")[0]
    # the README block was replaced, nothing else touched
    readme_text = (env / "README.md").read_text()
    assert readme_text.startswith("# Toy\n\nIntro.\n\n<!-- results:start -->")
    assert readme_text.endswith("<!-- results:end -->\n\n## After\n")
    assert (
        "| Best mean CV accuracy | 0.814875 | 0.8000 | differs | default profile: 3 folds "
        "instead of 5 |"
    ) in readme_text
    assert "wrote results/REPORT.md" in capsys.readouterr().out or True


def test_same_inputs_same_bytes_and_no_clock_time(env):
    assert run_main() == 0
    first = {p.name: p.read_bytes() for p in (env / "results").rglob("*") if p.is_file()}
    time.sleep(1.1)
    assert run_main() == 0
    second = {p.name: p.read_bytes() for p in (env / "results").rglob("*") if p.is_file()}
    assert first == second
    today = time.strftime("%Y-%m-%d", time.gmtime())
    for name in ("REPORT.md", "report.html"):
        assert today not in second[name].decode()
    assert not [p for p in env.rglob("*.tmp")]


def test_repeated_reasons_are_shown_once():
    entry = ledger.parse_ledger(TOY_LEDGER)[0]
    rows = [
        ledger.LedgerRow(entry, "1", "2", "differs", "same reason"),
        ledger.LedgerRow(entry, "1", "1", "matches", ""),
        ledger.LedgerRow(entry, "1", "2", "differs", "same reason"),
        ledger.LedgerRow(entry, "1", "2", "differs", "another"),
    ]
    reasons = [r[5] for r in sections.ledger_table(rows).rows]
    assert reasons == ["same reason", "", "as above", "another"]


def test_without_run_record_says_not_recorded(env):
    (env / "results" / "run.json").unlink()
    assert run_main() == 0
    md = (env / "results" / "REPORT.md").read_text()
    assert "not recorded" in md and "Profile `default`" in md


def test_run_record_of_another_profile_is_not_used(env):
    (env / "results" / "run.json").write_text(json.dumps(dict(RUN_RECORD, profile="smoke")))
    assert run_main() == 0
    assert "is for profile 'smoke'" in (env / "results" / "REPORT.md").read_text()


def test_unexecuted_notebook_gets_a_note_instead_of_figures(env):
    executed_notebook(env / "notebooks" / "05_toy_grid.ipynb")  # no outputs
    assert run_main() == 0
    md = (env / "results" / "REPORT.md").read_text()
    assert "Figures: none shown, the notebook has no outputs here" in md
    assert sorted(p.name for p in (env / "results" / "figures").iterdir()) == ["04-fig1.png"]


def test_stale_figures_are_removed(env):
    figures = env / "results" / "figures"
    figures.mkdir()
    (figures / "09-fig3.png").write_bytes(b"old")
    (figures / "keep-me.txt").write_text("not ours")
    assert run_main() == 0
    assert not (figures / "09-fig3.png").exists() and (figures / "keep-me.txt").exists()


def test_readme_without_markers_is_left_alone(env, capsys):
    (env / "README.md").write_text("# Toy\n")
    assert run_main() == 0
    assert (env / "README.md").read_text() == "# Toy\n"
    assert "no <!-- results:start -->" in capsys.readouterr().err


# -------------------------------------------------------------------------- failures


def assert_refused(env, capsys, *fragments):
    """The report is refused with a message holding ``fragments``; nothing is written."""
    before = (env / "README.md").read_text()
    assert run_main() == 1
    err = capsys.readouterr().err
    for fragment in fragments:
        assert fragment in err, err
    assert not (env / "results" / "REPORT.md").exists()
    assert not (env / "results" / "report.html").exists()
    assert not (env / "results" / "figures").exists()
    assert (env / "README.md").read_text() == before
    return err


def test_missing_results_file(env, capsys):
    (env / "results" / "05_toy_grid.json").unlink()
    assert_refused(
        env,
        capsys,
        "results/05_toy_grid.json is missing",
        "python -m tools.pipeline run --profile default 05",
        "make run-all",
    )


def test_malformed_json(env, capsys):
    (env / "results" / "04_toy_act.json").write_text('{"notebook": "04_toy_act", ')
    assert_refused(env, capsys, "results/04_toy_act.json is not valid JSON", "--profile default 04")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"schema_version": 2}, "schema_version 2, expected 1"),
        ({"notebook": "04_other"}, "belongs to notebook '04_other'"),
        ({"results": [1, 2]}, "'results' that is not an object"),
        ({"profile": "huge"}, "unknown profile 'huge'"),
    ],
)
def test_wrong_schema(env, capsys, overrides, message):
    write_doc(env / "results", "05_toy_grid", PAYLOADS["05_toy_grid"], **overrides)
    assert_refused(
        env,
        capsys,
        "results/05_toy_grid.json has the wrong schema",
        message,
        "--profile default 05",
    )


def test_missing_fields_and_non_objects(env, capsys):
    (env / "results" / "05_toy_grid.json").write_text('{"notebook": "05_toy_grid"}')
    (env / "results" / "04_toy_act.json").write_text("[1, 2, 3]")
    assert_refused(
        env,
        capsys,
        "05_toy_grid.json has the wrong schema (lacks profile, schema_version, results)",
        "04_toy_act.json has the wrong schema (holds a list",
        "--profile default 04",
        "--profile default 05",
    )


def test_results_from_another_profile(env, capsys):
    write_doc(env / "results", "04_toy_act", PAYLOADS["04_toy_act"], profile="smoke")
    err = assert_refused(
        env,
        capsys,
        "results/04_toy_act.json was made with profile 'smoke'",
        "the other results files with default",
        "--profile default 04",
    )
    assert "05_toy_grid" not in err


def test_notebook_without_results(env, capsys):
    executed_notebook(env / "notebooks" / "06_toy_extra.ipynb")
    assert_refused(
        env, capsys, "results/06_*.json for notebooks/06_toy_extra.ipynb", "--profile default 06"
    )


def test_results_without_the_ledgers_key(env, capsys):
    write_doc(env / "results", "05_toy_grid", {"best": {"params": {}}})
    assert_refused(
        env, capsys, "ledger entry toy.best", "no key 'best.mean'", "--profile default 05"
    )


def test_broken_ledger(env, capsys):
    (env / "ledger.toml").write_text("schema = 1\n")
    assert_refused(env, capsys, "ledger.toml: no [[group]] tables")


# ------------------------------------------------------------------------ the README


def test_readme_block_replace_and_extract():
    text = f"a\n{readme.README_START}\nx\n{readme.README_END}\nb\n"
    block = f"{readme.README_START}\nnew\n{readme.README_END}"
    assert readme.replace_readme_block(text, block) == f"a\n{block}\nb\n"
    assert readme.extract_readme_block(text) == f"{readme.README_START}\nx\n{readme.README_END}"
    for broken in (
        "no markers",
        f"{readme.README_END}\n{readme.README_START}",
        f"{readme.README_START}{readme.README_START}{readme.README_END}",
    ):
        assert readme.extract_readme_block(broken) is None
        with pytest.raises(ValueError):
            readme.replace_readme_block(broken, block)


def test_readme_check_detects_drift(env):
    assert run_main() == 0
    readme_text = (env / "README.md").read_text()
    assert readme.extract_readme_block(readme_text) == readme.compute_readme_block()
    write_doc(
        env / "results",
        "05_toy_grid",
        {"best": {"mean": 0.81, "params": {"batch_size": 128, "solver": "adam"}}},
    )
    assert readme.extract_readme_block(readme_text) != readme.compute_readme_block()


def test_readme_numbers_agree_with_the_results_files():
    """The README's results block is what the committed results files give."""
    readme_text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    current = readme.extract_readme_block(readme_text)
    assert current is not None, "README.md lacks the results markers"
    try:
        expected = readme.compute_readme_block()
    except inputs.ReportError as exc:
        pytest.fail(f"the results files cannot back the README: {exc}")
    assert current == expected, (
        "README.md's results block is out of date: run `make report` "
        "(it regenerates the block from results/*.json)"
    )
