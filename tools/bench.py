"""Training throughput of :class:`helpers.scratch_nn.ScratchMLP` against scikit-learn.

``make bench`` runs ``python -m tools.bench``. Both networks train the same
architecture (784-256-128-64-32-10, relu), batch size, dtype and data (the default
profile's MNIST images scaled to [0, 1]) by plain mini-batch SGD. Several rounds each
measure the matmul peak, the scratch network and scikit-learn, back to back; the best
round of each counts (other processes on the machine only ever make a run slower).
Throughput is reported as samples/s and as GFLOP/s from the exact matrix-multiply FLOP
count of a training step (:func:`helpers.scratch_nn.training_flops_per_sample`), next to
the machine's measured peak: the GFLOP/s of a large square ``numpy.matmul`` in the same
dtype.

Options: ``--quick`` (small sizes, seconds), ``--dtype float64|float32|both``,
``--epochs``, ``--repeats``, ``--json PATH`` (default ``build/bench.json``; ``""``: none).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from helpers.paths import BUILD_DIR, relative
from helpers.scratch_nn import HIDDEN_LAYER_SIZES, ScratchMLP, training_flops_per_sample

BATCH_SIZE = 128
LEARNING_RATE = 0.002
ACTIVATION = "relu"


@dataclass
class BenchConfig:
    """What one benchmark run measures."""

    n_samples: int = 8_000  # training rows per epoch
    epochs: int = 3  # epochs per timed run
    repeats: int = 7  # rounds of (peak, scratch, scikit-learn); best counts
    matmul_size: int = 2_048  # side of the square matmul that measures the peak
    matmul_repeats: int = 3  # matmuls per round
    settle_seconds: float = 0.3  # pause before each measurement (see settle)
    hidden_layer_sizes: tuple[int, ...] = HIDDEN_LAYER_SIZES
    batch_size: int = BATCH_SIZE
    dtypes: tuple[str, ...] = ("float64",)

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(
            n_samples=1_024,
            epochs=1,
            repeats=2,
            matmul_size=512,
            matmul_repeats=2,
            settle_seconds=0.1,
        )


@dataclass
class DtypeResult:
    dtype: str
    flops_per_sample: int
    matmul_gflops: float
    scratch_samples_per_s: float
    sklearn_samples_per_s: float
    #: scratch / scikit-learn throughput of each round (both measured seconds apart)
    round_ratios: list[float] = field(default_factory=list)
    scratch_gflops: float = field(init=False)
    sklearn_gflops: float = field(init=False)
    ratio: float = field(init=False)
    scratch_fraction_of_peak: float = field(init=False)
    sklearn_fraction_of_peak: float = field(init=False)

    def __post_init__(self) -> None:
        self.scratch_gflops = self.scratch_samples_per_s * self.flops_per_sample / 1e9
        self.sklearn_gflops = self.sklearn_samples_per_s * self.flops_per_sample / 1e9
        self.ratio = self.scratch_samples_per_s / self.sklearn_samples_per_s
        self.scratch_fraction_of_peak = self.scratch_gflops / self.matmul_gflops
        self.sklearn_fraction_of_peak = self.sklearn_gflops / self.matmul_gflops

    @property
    def median_round_ratio(self) -> float:
        """Median of the per-round ratios (``nan`` without rounds): a second view of the
        ratio that one unusually fast run of either contender cannot move."""
        return float(np.median(self.round_ratios)) if self.round_ratios else math.nan


def matmul_flops(n: int) -> int:
    """FLOPs of an ``n x n`` by ``n x n`` matrix product: ``2 n^3`` (a multiply and an add)."""
    return 2 * n**3


def measure_matmul_gflops(n: int, dtype: str = "float64", repeats: int = 5) -> float:
    """Best GFLOP/s of ``numpy.matmul`` on two ``n x n`` matrices of ``dtype``."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=out)  # warm up (threads, caches)
    best = min(_timed(lambda: np.matmul(a, b, out=out)) for _ in range(repeats))
    return matmul_flops(n) / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def make_scratch(config: BenchConfig, dtype: str, n_inputs: int, n_classes: int) -> ScratchMLP:
    """A :class:`ScratchMLP` of ``config``'s shape, initialised (weights drawn)."""
    return ScratchMLP(
        ACTIVATION,
        "normal",
        hidden_layer_sizes=config.hidden_layer_sizes,
        n_inputs=n_inputs,
        n_classes=n_classes,
        learning_rate=LEARNING_RATE,
        epochs=config.epochs,
        batch_size=config.batch_size,
        bias_init="zero",
        dtype=np.dtype(dtype),
        random_state=0,
    ).initialize()


def make_sklearn(config: BenchConfig):
    """scikit-learn's MLPClassifier doing the same plain SGD (no momentum, no penalty)."""
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=config.hidden_layer_sizes,
        activation=ACTIVATION,
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=LEARNING_RATE,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=config.batch_size,
        max_iter=config.epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=config.epochs + 1,
        early_stopping=False,
        random_state=0,
    )


def time_scratch(X: np.ndarray, y: np.ndarray, config: BenchConfig, dtype: str) -> float:
    """Seconds for ``config.epochs`` SGD epochs of a fresh :class:`ScratchMLP`."""
    model = make_scratch(config, dtype, X.shape[1], int(y.max()) + 1)
    X = np.ascontiguousarray(X, dtype=dtype)
    start = time.perf_counter()
    model.train_epoch(X, y, epochs=config.epochs)  # validates the data once, like fit
    return time.perf_counter() - start


def time_sklearn(X: np.ndarray, y: np.ndarray, config: BenchConfig, dtype: str) -> float:
    """Seconds for ``MLPClassifier.fit`` running ``config.epochs`` epochs."""
    from sklearn.exceptions import ConvergenceWarning

    model = make_sklearn(config)
    X = np.ascontiguousarray(X, dtype=dtype)
    with warnings.catch_warnings():
        # max_iter epochs always ends "unconverged": expected here, and not a result
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        elapsed = time.perf_counter() - start
    if model.n_iter_ != config.epochs:
        raise RuntimeError(f"scikit-learn ran {model.n_iter_} epochs, not {config.epochs}")
    return elapsed


def settle(config: BenchConfig) -> None:
    """Pause ``config.settle_seconds`` before a measurement.

    NumPy (the peak, scikit-learn) and SciPy (the scratch network's products) each bundle
    an OpenBLAS whose idle worker threads keep spinning for about 0.1 s after their last
    call; on 2 cores those threads would take CPU from whichever contender runs next
    (measured: about 15 % slower). The pause lets them go to sleep, for both contenders.
    """
    time.sleep(config.settle_seconds)


def run_benchmark(X: np.ndarray, y: np.ndarray, config: BenchConfig, log=print) -> list:
    """Measure every dtype of ``config``; return a :class:`DtypeResult` per dtype.

    Each of ``config.repeats`` rounds measures, back to back, the matmul peak, the
    scratch network and scikit-learn; every figure keeps its best round. The machine's
    speed drifts (other processes, other virtual machines on the host), so measuring
    all three in every round and keeping each one's best compares them at the same
    (quietest) conditions rather than pairing a peak from one moment with a training
    run from another.
    """
    X, y = X[: config.n_samples], y[: config.n_samples]
    flops = training_flops_per_sample((X.shape[1], *config.hidden_layer_sizes, int(y.max()) + 1))
    results = []
    samples = len(X) * config.epochs
    for dtype in config.dtypes:
        peaks, scratch, sklearn = [], [], []
        for repeat in range(1, config.repeats + 1):
            settle(config)
            peaks.append(measure_matmul_gflops(config.matmul_size, dtype, config.matmul_repeats))
            settle(config)
            scratch.append(time_scratch(X, y, config, dtype))
            settle(config)
            sklearn.append(time_sklearn(X, y, config, dtype))
            log(
                f"[{dtype}] round {repeat}/{config.repeats}: matmul peak {peaks[-1]:.1f} "
                f"GFLOP/s; scratch {samples / scratch[-1]:,.0f} samples/s, "
                f"scikit-learn {samples / sklearn[-1]:,.0f} samples/s"
            )
        results.append(
            DtypeResult(
                dtype,
                flops,
                max(peaks),
                samples / min(scratch),
                samples / min(sklearn),
                [k / s for s, k in zip(scratch, sklearn, strict=True)],
            )
        )
    return results


def blas_description() -> str:
    """BLAS library, version, thread count and core type, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return "unknown BLAS"
    parts = [
        f"{info.get('internal_api')} {info.get('version')}, "
        f"{info.get('num_threads')} threads, {info.get('architecture')}"
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]
    return "; ".join(parts) or "unknown BLAS"


def format_report(results: Sequence[DtypeResult], config: BenchConfig) -> str:
    sizes = "-".join(map(str, (784, *config.hidden_layer_sizes, 10)))
    lines = [
        f"Training throughput, {sizes} {ACTIVATION}, batch {config.batch_size}, "
        f"{config.n_samples:,} samples x {config.epochs} epochs, best of {config.repeats} rounds",
    ]
    for r in results:
        lines += [
            f"  {r.dtype}: matmul peak {r.matmul_gflops:.1f} GFLOP/s; "
            f"{r.flops_per_sample:,} FLOPs per training sample",
            f"    scratch network  {r.scratch_samples_per_s:>10,.0f} samples/s  "
            f"{r.scratch_gflops:6.1f} GFLOP/s  {r.scratch_fraction_of_peak:6.1%} of peak",
            f"    scikit-learn     {r.sklearn_samples_per_s:>10,.0f} samples/s  "
            f"{r.sklearn_gflops:6.1f} GFLOP/s  {r.sklearn_fraction_of_peak:6.1%} of peak",
            f"    ratio scratch / scikit-learn: {r.ratio:.2f}x (best vs best); per round: "
            f"median {r.median_round_ratio:.2f}x, range {min(r.round_ratios, default=math.nan):.2f}"
            f"-{max(r.round_ratios, default=math.nan):.2f}x",
        ]
    return "\n".join(lines)


def load_bench_data(quick: bool) -> tuple[np.ndarray, np.ndarray]:
    """The default profile's MNIST pool scaled to [0, 1] (the smoke pool with ``quick``)."""
    from helpers.data import load_mnist_pool

    images, labels = load_mnist_pool("smoke" if quick else "default")
    return images / 255.0, labels


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a few seconds")
    parser.add_argument("--dtype", choices=("float64", "float32", "both"), default="float64")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--json",
        default=str(BUILD_DIR / "bench.json"),
        help="where to write the results ('' for nowhere)",
    )
    args = parser.parse_args(argv)
    config = BenchConfig.quick() if args.quick else BenchConfig()
    config.dtypes = ("float64", "float32") if args.dtype == "both" else (args.dtype,)
    if args.epochs is not None:
        config.epochs = args.epochs
    if args.repeats is not None:
        config.repeats = args.repeats
    X, y = load_bench_data(args.quick)
    load_before = os.getloadavg()[0]
    results = run_benchmark(X, y, config, log=lambda line: print(line, file=sys.stderr))
    load_after = os.getloadavg()[0]
    print(format_report(results, config))
    print(
        f"  BLAS: {blas_description()}; {os.cpu_count()} CPUs; load average "
        f"{load_before:.1f} before, {load_after:.1f} after (above ~0.5 other processes "
        f"compete for the cores and the numbers are lower bounds)"
    )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "config": asdict(config),
            "results": [{**asdict(r), "median_round_ratio": r.median_round_ratio} for r in results],
            "blas": blas_description(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "load_average": [load_before, load_after],
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"  written to {relative(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
