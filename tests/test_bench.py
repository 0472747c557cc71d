"""Smoke tests of tools.bench: the FLOP counts and the code path on tiny sizes.

Nothing here times anything against a threshold: speed depends on the machine.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.scratch_nn import training_flops_per_sample
from tools import bench


def test_flop_counts():
    assert bench.matmul_flops(2048) == 2 * 2048**3
    # forward 2S + weight gradients 2S + input gradients 2(S - 784*256), S = 244,032
    weights = 784 * 256 + 256 * 128 + 128 * 64 + 64 * 32 + 32 * 10
    assert weights == 244_032
    expected = 2 * weights + 2 * weights + 2 * (weights - 784 * 256)
    assert training_flops_per_sample((784, 256, 128, 64, 32, 10)) == expected == 1_062_784


def test_derived_numbers():
    r = bench.DtypeResult(
        "float64",
        flops_per_sample=1_000_000,
        matmul_gflops=50.0,
        scratch_samples_per_s=30_000,
        sklearn_samples_per_s=20_000,
    )
    assert r.scratch_gflops == pytest.approx(30.0)
    assert r.ratio == pytest.approx(1.5)
    assert r.scratch_fraction_of_peak == pytest.approx(0.6)
    assert r.sklearn_fraction_of_peak == pytest.approx(0.4)


def test_both_contenders_train_the_same_network():
    config = bench.BenchConfig(hidden_layer_sizes=(8, 4), batch_size=16, epochs=2)
    scratch = bench.make_scratch(config, "float64", n_inputs=12, n_classes=3)
    sklearn = bench.make_sklearn(config)
    assert scratch.layer_sizes == (12, 8, 4, 3)
    assert sklearn.hidden_layer_sizes == (8, 4) and sklearn.batch_size == 16
    assert sklearn.solver == "sgd" and sklearn.momentum == 0 and sklearn.alpha == 0
    assert sklearn.learning_rate_init == scratch.learning_rate
    assert sklearn.activation == scratch.activation == "relu"


@pytest.mark.parametrize("dtypes", [("float64",), ("float64", "float32")])
def test_runs_on_tiny_sizes(dtypes):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(96, 12))
    y = np.arange(96) % 3
    config = bench.BenchConfig(
        n_samples=64,
        epochs=1,
        repeats=1,
        matmul_size=32,
        matmul_repeats=1,
        hidden_layer_sizes=(8, 4),
        batch_size=16,
        dtypes=dtypes,
        settle_seconds=0.0,
    )
    lines = []
    results = bench.run_benchmark(X, y, config, log=lines.append)
    assert [r.dtype for r in results] == list(dtypes)
    for r in results:
        assert r.flops_per_sample == training_flops_per_sample((12, 8, 4, 3))
        assert r.scratch_samples_per_s > 0 and r.sklearn_samples_per_s > 0
        assert r.matmul_gflops > 0 and np.isfinite(r.ratio)
    report = bench.format_report(results, config)
    assert "ratio scratch / scikit-learn" in report and "of peak" in report
    assert len(lines) == len(dtypes) * config.repeats  # one line per round


def test_main_writes_json(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(256, 784))
    y = np.arange(256) % 10
    monkeypatch.setattr(bench, "load_bench_data", lambda quick: (X, y))
    monkeypatch.setattr(
        bench.BenchConfig,
        "quick",
        classmethod(
            lambda cls: cls(
                n_samples=256,
                epochs=1,
                repeats=1,
                matmul_size=64,
                matmul_repeats=1,
                settle_seconds=0.0,
            )
        ),
    )
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["results"][0]["dtype"] == "float64"
    assert document["config"]["batch_size"] == 128
    assert "samples/s" in capsys.readouterr().out


def test_every_round_measures_all_three_and_each_keeps_its_best(monkeypatch):
    peaks, scratch, sklearn = (
        iter([100.0, 130.0, 120.0]),
        iter([2.0, 1.0, 4.0]),
        iter([3.0, 5.0, 2.5]),
    )
    calls = []
    monkeypatch.setattr(
        bench,
        "measure_matmul_gflops",
        lambda n, dtype, repeats: calls.append("peak") or next(peaks),
    )
    monkeypatch.setattr(
        bench, "time_scratch", lambda X, y, config, dtype: calls.append("scratch") or next(scratch)
    )
    monkeypatch.setattr(
        bench, "time_sklearn", lambda X, y, config, dtype: calls.append("sklearn") or next(sklearn)
    )
    X, y = np.zeros((10, 4)), np.arange(10) % 2
    config = bench.BenchConfig(
        n_samples=10, epochs=2, repeats=3, hidden_layer_sizes=(3,), settle_seconds=0.0
    )
    (result,) = bench.run_benchmark(X, y, config, log=lambda line: None)
    assert calls == ["peak", "scratch", "sklearn"] * 3  # interleaved rounds
    assert result.matmul_gflops == 130.0
    assert result.scratch_samples_per_s == pytest.approx(20 / 1.0)
    assert result.sklearn_samples_per_s == pytest.approx(20 / 2.5)
    assert result.round_ratios == pytest.approx([3.0 / 2.0, 5.0 / 1.0, 2.5 / 4.0])
    assert result.median_round_ratio == pytest.approx(1.5)
    assert result.ratio == pytest.approx(2.5)  # best vs best


def test_bench_parallel_rejects_bad_arguments(monkeypatch, capsys):
    from tools import bench_parallel

    monkeypatch.setattr(bench_parallel, "run", lambda *a: pytest.fail("the bench ran"))
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with pytest.raises(SystemExit):
        bench_parallel.main(["--epochs", "0"])
    assert "--epochs and --rounds must be at least 1" in capsys.readouterr().err
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:1")
    with pytest.raises(SystemExit):
        bench_parallel.main([])
    assert "unset DASK_SCHEDULER_ADDRESS:" in capsys.readouterr().err


def test_bench_parallel_times_every_mode_alternating_and_keeps_the_best(monkeypatch, capsys):
    from tools import bench_parallel

    calls = []
    modes = {mode: (lambda mode=mode: calls.append(mode)) for mode in ("serial", "parallel", "x")}
    monkeypatch.setattr(bench_parallel, "_workloads", lambda epochs: {"study": modes})
    scripted = iter([4.0, 3.0, 9.0, 2.0, 5.0, 8.0])  # round 1 then round 2

    def fake_time(function):
        function()
        return next(scripted)

    monkeypatch.setattr(bench_parallel, "_time", fake_time)
    (row,) = bench_parallel.run(epochs=1, rounds=2)
    assert calls == ["serial", "parallel", "x"] * 2
    assert row["rounds"] == {"serial": [4.0, 2.0], "parallel": [3.0, 5.0], "x": [9.0, 8.0]}
    assert (row["serial_s"], row["parallel_s"], row["speedup"]) == (2.0, 3.0, 2.0 / 3.0)
    assert "one_thread_s" not in row  # only a workload with a "one thread" mode has it
    assert bench_parallel.run(epochs=1, rounds=1, names=["other"]) == []
    assert "study: round 2/2, x 8.0 s" in capsys.readouterr().out


def test_the_one_thread_scratch_run_has_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    from helpers import scratch_study
    from tools import bench_parallel

    seen = []

    def fake_study(splits, epochs, **kwargs):
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        seen.append((kwargs.get("n_jobs"), len(blas) > 0, set(blas)))

    monkeypatch.setattr(scratch_study, "run_study", fake_study)
    workload = bench_parallel._workloads(epochs=1)[bench_parallel.SCRATCH_WORKLOAD]
    assert list(workload) == ["serial", "parallel", "one thread"]
    workload["one thread"]()
    assert seen == [(None, True, {1})]  # in this process, every BLAS library at 1 thread


def test_scratch_ceiling_from_the_row():
    from tools import bench_parallel

    row = {"serial_s": 120.0, "parallel_s": 100.0, "one_thread_s": 190.0}
    ceiling = bench_parallel.scratch_ceiling(row, cores=2)
    assert ceiling["parallel_floor_s"] == pytest.approx(95.0)
    assert ceiling["share_of_floor"] == pytest.approx(0.95)
    assert ceiling["ceiling"] == pytest.approx(2 * 120.0 / 190.0)
