"""Results files: JSON only, deterministic bytes, finite numbers, per-profile folders."""

import json

import numpy as np
import pytest

from helpers import results


@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "BUILD_DIR", tmp_path / "build")
    return tmp_path


def test_round_trip_and_numpy_types(tmp_results, monkeypatch):
    monkeypatch.setenv(results.COMMIT_VARIABLE, "1")
    path = results.save_results(
        "99_toy", "default", {"accuracy": np.float64(0.875), "counts": np.arange(3), "pair": (1, 2)}
    )
    assert path == tmp_results / "results" / "99_toy.json"
    doc = results.load_results("99_toy")
    assert doc["profile"] == "default" and doc["notebook"] == "99_toy"
    assert doc["results"] == {"accuracy": 0.875, "counts": [0, 1, 2], "pair": [1, 2]}


def test_same_numbers_same_bytes(tmp_results):
    first = results.save_results("99_toy", "default", {"b": 1, "a": 2}).read_bytes()
    second = results.save_results("99_toy", "default", {"a": 2, "b": 1}).read_bytes()
    assert first == second
    assert json.loads(first)["results"] == {"a": 2, "b": 1}


def test_other_profiles_never_touch_committed_results(tmp_results):
    path = results.save_results("99_toy", "smoke", {"a": 1})
    assert path == tmp_results / "build" / "smoke" / "results" / "99_toy.json"
    assert not (tmp_results / "results").exists()


def test_default_profile_outside_the_pipeline_keeps_results_untouched(tmp_results, monkeypatch):
    monkeypatch.delenv(results.COMMIT_VARIABLE, raising=False)
    path = results.save_results("99_toy", "default", {"a": 1})
    assert path == tmp_results / "build" / "default" / "results" / "99_toy.json"
    assert not (tmp_results / "results").exists()


def test_results_dir_variable_sends_results_elsewhere(tmp_results, monkeypatch):
    monkeypatch.setenv(results.COMMIT_VARIABLE, "1")
    monkeypatch.setenv(results.RESULTS_DIR_VARIABLE, str(tmp_results / "elsewhere"))
    path = results.save_results("99_toy", "default", {"a": 1})
    assert path == tmp_results / "elsewhere" / "99_toy.json"
    assert not (tmp_results / "results").exists()


def test_nan_is_refused_and_nothing_written(tmp_results, monkeypatch):
    monkeypatch.setenv(results.COMMIT_VARIABLE, "1")
    with pytest.raises(ValueError, match="finite"):
        results.save_results("99_toy", "default", {"loss": float("nan")})
    assert not list((tmp_results / "results").glob("*"))


def test_unknown_profile(tmp_results):
    with pytest.raises(ValueError, match="unknown profile"):
        results.save_results("99_toy", "tiny", {})
