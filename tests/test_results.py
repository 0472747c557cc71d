"""Results files: JSON only, deterministic bytes, finite numbers, where runs write, and the
pipeline's promotion of a run into results/."""

import json

import numpy as np
import pytest

from helpers import results


@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(results, "REPO_ROOT", tmp_path)
    return tmp_path


def test_round_trip_and_numpy_types(tmp_results):
    path = results.save_results(
        "99_toy", "default", {"accuracy": np.float64(0.875), "counts": np.arange(3), "pair": (1, 2)}
    )
    assert path == tmp_results / "build" / "default" / "results" / "99_toy.json"
    doc = results.read_document(path)
    assert doc["profile"] == "default" and doc["notebook"] == "99_toy"
    assert doc["results"] == {"accuracy": 0.875, "counts": [0, 1, 2], "pair": [1, 2]}


def test_same_numbers_same_bytes(tmp_results):
    first = results.save_results("99_toy", "default", {"b": 1, "a": 2}).read_bytes()
    second = results.save_results("99_toy", "default", {"a": 2, "b": 1}).read_bytes()
    assert first == second
    assert json.loads(first)["results"] == {"a": 2, "b": 1}


def test_a_run_never_writes_the_committed_results(tmp_results):
    for profile in ("smoke", "default"):
        path = results.save_results("99_toy", profile, {"a": 1})
        assert path == tmp_results / "build" / profile / "results" / "99_toy.json"
    assert not (tmp_results / "results").exists()


def test_an_output_dir_sends_results_elsewhere(tmp_results):
    path = results.save_results("99_toy", "default", {"a": 1}, "elsewhere")
    assert path == tmp_results / "elsewhere" / "99_toy.json"
    assert not (tmp_results / "results").exists()


def test_promote_copies_a_default_run_into_results(tmp_results):
    run_file = results.save_results("99_toy", "default", {"a": 1})
    target = results.promote("99_toy", run_file)
    assert target == tmp_results / "results" / "99_toy.json"
    assert target.read_bytes() == run_file.read_bytes()
    assert results.load_committed("99_toy") == {"a": 1}


def test_promote_refuses_another_notebook_or_profile(tmp_results):
    smoke = results.save_results("99_toy", "smoke", {"a": 1})
    with pytest.raises(ValueError, match="not a default-profile run of 99_toy"):
        results.promote("99_toy", smoke)
    other = results.save_results("98_other", "default", {"a": 1})
    with pytest.raises(ValueError, match="not a default-profile run of 99_toy"):
        results.promote("99_toy", other)
    assert not (tmp_results / "results").exists()


def test_a_missing_committed_run_is_a_clear_error(tmp_results):
    with pytest.raises(results.MissingResultsError, match="make run-all ACCEPT=1 creates it"):
        results.load_committed("99_toy")
    assert results.load_committed("99_toy", missing_ok=True) is None


def test_nan_is_refused_and_nothing_written(tmp_results):
    with pytest.raises(ValueError, match="finite"):
        results.save_results("99_toy", "default", {"loss": float("nan")})
    assert not list((tmp_results / "build" / "default" / "results").glob("*.json"))


def test_unknown_profile(tmp_results):
    with pytest.raises(ValueError, match="unknown profile"):
        results.save_results("99_toy", "tiny", {})
