"""The activation x initialisation study of notebook 03.

* :func:`split_80_10_10`: the original's data preparation (shuffle with a fixed seed,
  80/10/10 train/validation/test, pixels scaled to [0, 1]).
* :func:`run_study`: trains the 12 configurations of :mod:`helpers.scratch_nn`.
* :func:`plot_loss_grid`, :func:`metric_table`, :func:`plot_digit_grid`: figures/tables.

The original submission's runs and their replays live in :mod:`helpers.scratch_original`.
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers import seeds
from helpers.data import Splits
from helpers.formatting import approx
from helpers.scratch_nn import (
    ACTIVATIONS,
    ScratchMLP,
    backward_errors,
    forward_reference,
    pre_activation,
)

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu")
INIT_NAMES = ("random", "normal", "zero")
#: The study's settings that are the same in every profile (the original's values).
LEARNING_RATE = 0.002  # the original's notes; confirmed by replay_zero_init
BATCH_SIZE = 128  # the original's notes and code


def config_key(activation: str, weight_init: str) -> str:
    """``"relu/normal"`` etc.: how configurations are named in tables and results."""
    return f"{activation}/{weight_init}"


CONFIG_KEYS = tuple(config_key(a, i) for a in ACTIVATION_NAMES for i in INIT_NAMES)


# ------------------------------------------------------------------------------- data


def split_sizes(n: int) -> tuple[int, int, int]:
    """The original's split of ``n`` rows: ``int(0.8 n)``, ``int(0.1 n)``, the rest."""
    n_train, n_val = int(n * 0.8), int(n * 0.1)
    return n_train, n_val, n - n_train - n_val


def split_80_10_10(
    images: np.ndarray, labels: np.ndarray, seed: int = seeds.MNIST_SPLIT_SEED
) -> Splits:
    """Shuffle with ``default_rng(seed)``, split 80/10/10 and scale uint8 pixels to [0, 1]."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 2 or len(images) != len(labels):
        raise ValueError(f"need images (n, d) and labels (n,), got {images.shape}, {labels.shape}")
    order = np.random.default_rng(seed).permutation(len(labels))
    X = images[order] / 255.0
    y = labels[order].astype(np.int64)
    n_train, n_val, _ = split_sizes(len(y))
    cut = n_train + n_val
    return Splits(X[:n_train], y[:n_train], X[n_train:cut], y[n_train:cut], X[cut:], y[cut:])


def plot_digit_grid(
    X: np.ndarray,
    y: np.ndarray,
    rows: int = 4,
    cols: int = 10,
    title: str = "Training images and their labels",
):
    """The first ``rows * cols`` images of ``X`` (rows of 784 pixels) titled by label."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.25 * rows))
    for ax, image, label in zip(axes.ravel(), X, y, strict=False):
        ax.imshow(image.reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(str(label), fontsize=9)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ study


@dataclass
class StudyRun:
    """One trained configuration: its model (with ``history_``) and final metrics."""

    key: str
    model: ScratchMLP
    final: dict[str, float]


def config_rng(seed: int, key: str) -> np.random.Generator:
    """Configuration ``key``'s generator (:func:`helpers.seeds.config_generator` over
    :data:`CONFIG_KEYS`): the same for a key whatever runs before it or where."""
    return seeds.config_generator(seed, CONFIG_KEYS, key)


def _train_config(
    splits: Splits,
    key: str,
    prefix: str,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    bias_init: str,
    log_every: int,
    rng: np.random.Generator,
    stream,
) -> StudyRun:
    activation, weight_init = key.split("/")
    model = ScratchMLP(
        activation,
        weight_init,
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        bias_init=bias_init,
        random_state=rng,
    )
    model.fit(
        splits.X_train,
        splits.y_train,
        splits.X_val,
        splits.y_val,
        train_metrics="running",
        log_every=log_every,
        log_prefix=prefix,
        stream=stream,
    )
    final = {  # the final weights evaluated on every split
        "train_loss": model.loss(splits.X_train, splits.y_train),
        "train_accuracy": model.score(splits.X_train, splits.y_train),
        "val_loss": model.history_["val_loss"][-1],
        "val_accuracy": model.history_["val_accuracy"][-1],
        "test_loss": model.loss(splits.X_test, splits.y_test),
        "test_accuracy": model.score(splits.X_test, splits.y_test),
        "epochs_run": len(model.history_["train_loss"]),
    }
    print(
        f"{prefix}done: test loss {approx(final['test_loss'])} "
        f"acc {approx(final['test_accuracy'])}",
        file=stream,
    )
    return StudyRun(key, model, final)


def _train_config_task(
    key: str,
    prefix: str,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    bias_init: str,
    log_every: int,
    seed: int,
    **arrays: np.ndarray,
) -> dict:
    """One configuration as an independent task (:func:`helpers.parallel.run_tasks`).

    A :class:`ScratchMLP` does not pickle (it holds a BLAS routine), so the task returns
    what rebuilds it through the public API (:func:`_rebuild_run`): constructor
    arguments, weights, biases, ``history_``, the generator (drawn on by later epochs),
    the final metrics and the log lines.
    """
    rng = config_rng(seed, key)
    log = io.StringIO()
    run = _train_config(
        Splits(**arrays),
        key,
        prefix,
        epochs,
        learning_rate,
        batch_size,
        bias_init,
        log_every,
        rng,
        log,
    )
    return {
        "params": run.model.get_params(),
        "weights": run.model.weights,
        "biases": run.model.biases,
        "history": run.model.history_,
        "best_epoch": run.model.best_epoch_,
        "rng_state": rng.bit_generator.state,
        "final": run.final,
        "log": log.getvalue(),
    }


def _rebuild_run(key: str, payload: dict) -> StudyRun:
    params = dict(payload["params"])
    params["dtype"] = np.dtype(params["dtype"])
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = payload["rng_state"]  # where training left the generator
    model = ScratchMLP(**params, random_state=rng)  # draws go on from that state
    model.initialize(payload["weights"], payload["biases"])  # draws nothing
    model.history_ = payload["history"]
    model.best_epoch_ = payload["best_epoch"]
    return StudyRun(key, model, payload["final"])


def run_study(
    splits: Splits,
    epochs: int,
    *,
    learning_rate: float = LEARNING_RATE,
    batch_size: int = BATCH_SIZE,
    seed: int = seeds.SCRATCH_TRAIN_SEED,
    bias_init: str = "as_weights",
    log_every: int = 25,
    configs: Sequence[str] = CONFIG_KEYS,
    stream=None,
    n_jobs: int | None = None,
) -> dict[str, StudyRun]:
    """Train every configuration ``"activation/init"`` for ``epochs`` epochs.

    Configuration ``i`` (in :data:`CONFIG_KEYS` order) draws its weights and shuffles
    from ``Generator(PCG64(SeedSequence(seed).spawn(12)[i]))``: independent streams,
    reproducible one by one. Per-epoch training metrics are the running averages over
    each epoch's batches (``train_metrics="running"``: no extra pass over the training
    set); the final metrics of every split are evaluated exactly with the final weights.
    Prints a fixed-format line every ``log_every`` epochs and one summary line per
    configuration.

    ``n_jobs=None`` (the default) trains the configurations one after the other in this
    process, printing as it goes. An int runs them as independent tasks through
    :func:`helpers.parallel.run_tasks`: ``n_jobs`` local processes, or the Dask cluster
    of ``DASK_SCHEDULER_ADDRESS``, one BLAS thread each; the lines are printed when all
    are done, in configuration order, and the numbers equal the serial run's.
    """
    stream = sys.stdout if stream is None else stream
    unknown = [key for key in configs if key not in CONFIG_KEYS]
    if unknown:
        raise ValueError(f"unknown configurations {unknown}: choose from {CONFIG_KEYS}")
    prefixes = {
        key: f"[{number:2d}/{len(configs)}] {key:<17} " for number, key in enumerate(configs, 1)
    }
    if n_jobs is None:
        return {
            key: _train_config(
                splits,
                key,
                prefixes[key],
                epochs,
                learning_rate,
                batch_size,
                bias_init,
                log_every,
                config_rng(seed, key),
                stream,
            )
            for key in configs
        }
    from helpers.parallel import run_tasks

    payloads = run_tasks(
        _train_config_task,
        {
            key: (key, prefixes[key], epochs, learning_rate, batch_size, bias_init, log_every, seed)
            for key in configs
        },
        shared=splits.arrays(),
        n_jobs=n_jobs,
    )
    runs = {}
    for key in configs:
        print(payloads[key]["log"], end="", file=stream)
        runs[key] = _rebuild_run(key, payloads[key])
    return runs


def metric_table(finals: dict[str, dict[str, float]], metric: str, digits: int = 4):
    """4 x 3 DataFrame (activations x initialisations) of ``finals[key][metric]``."""
    import pandas as pd

    data = [
        [
            finals[config_key(a, i)][metric] if config_key(a, i) in finals else math.nan
            for i in INIT_NAMES
        ]
        for a in ACTIVATION_NAMES
    ]
    table = pd.DataFrame(data, index=list(ACTIVATION_NAMES), columns=list(INIT_NAMES))
    table.index.name, table.columns.name = "activation", "init"
    return table.round(digits)


def plot_loss_grid(histories: dict[str, dict[str, list[float]]], title: str):
    """4 x 3 grid of train/validation loss per epoch, one panel per configuration.

    All panels share the y axis, so a curve flat at ``ln 10 = 2.30`` (chance) stands
    out next to one that learns.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(ACTIVATION_NAMES), len(INIT_NAMES), figsize=(13, 13), sharex=True, sharey=True
    )
    for r, activation in enumerate(ACTIVATION_NAMES):
        for c, weight_init in enumerate(INIT_NAMES):
            ax = axes[r, c]
            history = histories[config_key(activation, weight_init)]
            epochs = np.arange(1, len(history["train_loss"]) + 1)
            ax.plot(epochs, history["train_loss"], label="train")
            ax.plot(epochs, history["val_loss"], label="validation", linestyle="--")
            ax.axhline(
                math.log(10),
                color="grey",
                linewidth=0.8,
                linestyle=":",
                label="ln 10 (uniform guess)",
            )
            ax.set_title(config_key(activation, weight_init))
            if r == len(ACTIVATION_NAMES) - 1:
                ax.set_xlabel("epoch")
            if c == 0:
                ax.set_ylabel("cross-entropy loss")
            ax.set_yscale("log")
    axes[0, 0].legend(loc="lower left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def summarise_runs(runs: dict[str, StudyRun]) -> dict[str, dict[str, float]]:
    """``{key: final metrics}`` of :func:`run_study`'s output (for JSON and tables)."""
    return {key: dict(run.final) for key, run in runs.items()}


# --------------------------------------------------------------------------- diagnostics


def error_signals(model: ScratchMLP, X: np.ndarray, y: np.ndarray):
    r"""Pre-activations :math:`z_l`, slopes :math:`f'(z_l)` and errors
    :math:`d_l = \partial J / \partial z_l` of the hidden layers ``l = 1..L-1`` on the batch
    ``(X, y)``: three lists, layer 1 first, entry ``l - 1`` of shape ``(B, n_l)``.

    Computed by the reference pass of :mod:`helpers.scratch_nn`
    (:func:`~helpers.scratch_nn.forward_reference`,
    :func:`~helpers.scratch_nn.pre_activation`,
    :func:`~helpers.scratch_nn.backward_errors`), with the model's weights.
    """
    weights, biases = model.weights, model.biases
    X = np.asarray(X, dtype=model.dtype)
    layers = forward_reference(weights, biases, X, model.activation)  # a_0 .. a_{L-1}, z_L
    hidden = range(1, len(weights))  # l = 1 .. L-1
    zs = [pre_activation(layers[k - 1], weights[k - 1], biases[k - 1]) for k in hidden]
    slopes = [ACTIVATIONS[model.activation].derivative(layers[k]) for k in hidden]
    deltas = backward_errors(weights, layers, np.asarray(y), model.activation)[:-1]
    return zs, slopes, deltas


def layer_statistics(model: ScratchMLP, X: np.ndarray, y: np.ndarray):
    """Per hidden layer of ``model`` on the batch ``(X, y)``: why a configuration learns.

    Columns: ``z_std`` (spread of the pre-activations ``z_l``), ``mean_slope`` (mean
    ``f'(z_l)``, the factor the backward pass multiplies by), ``saturated`` (share of
    ``f'(z_l)`` below 1% of its maximum: sigmoid/tanh units stuck at their asymptotes, or
    relu units that are off), ``delta_rms`` (root mean square of the error signal
    ``d_l = dJ/dz_l``, which shrinks layer by layer when gradients vanish).
    """
    import pandas as pd

    max_slope = {"sigmoid": 0.25}.get(model.activation, 1.0)
    zs, slopes, deltas = error_signals(model, X, y)
    rows = [
        {
            "layer": layer + 1,
            "z_std": float(z.std()),
            "mean_slope": float(slope.mean()),
            "saturated": float(np.mean(slope < 0.01 * max_slope)),
            "delta_rms": float(np.sqrt(np.mean(d**2))),
        }
        for layer, (z, slope, d) in enumerate(zip(zs, slopes, deltas, strict=True))
    ]
    return pd.DataFrame(rows).set_index("layer")


def initial_statistics(
    X: np.ndarray,
    y: np.ndarray,
    seed: int = seeds.SCRATCH_TRAIN_SEED,
    bias_init: str = "as_weights",
):
    """:func:`layer_statistics` of every configuration at its initial weights (the same
    draws :func:`run_study` starts from), summarised to one row per configuration."""
    import pandas as pd

    rows = {}
    for key in CONFIG_KEYS:
        activation, weight_init = key.split("/")
        rng = config_rng(seed, key)
        model = ScratchMLP(activation, weight_init, bias_init=bias_init, random_state=rng)
        model.initialize()
        stats = layer_statistics(model, X, y)
        top = stats["delta_rms"].iloc[-1]
        rows[key] = {
            "z spread, layer 1": stats["z_std"].iloc[0],
            "z spread, layer 4": stats["z_std"].iloc[-1],
            "mean slope": stats["mean_slope"].mean(),
            "saturated or off": stats["saturated"].mean(),
            "error size layer 1 / layer 4": (
                stats["delta_rms"].iloc[0] / top if top > 0 else math.nan
            ),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "configuration"
    return table


def distinct_units(model: ScratchMLP, rtol: float = 1e-12) -> list[int]:
    """Number of distinct hidden units per hidden layer: units whose incoming weights
    and bias agree (to ``rtol`` of the layer's largest entry) count once."""
    counts = []
    for W, b in zip(model.weights[:-1], model.biases[:-1], strict=True):
        units = np.vstack([W, b[None, :]]).T  # one row per unit
        scale = max(1.0, float(np.abs(units).max()))
        representatives: list[np.ndarray] = []
        for unit in units:
            if not any(np.abs(unit - r).max() <= rtol * scale for r in representatives):
                representatives.append(unit)
        counts.append(len(representatives))
    return counts


# ------------------------------------------------------------------ notebook tables
# What notebook 03 shows, as one call per table, so that its visible code is the lesson.


def print_approx(table, title: str | None = None, spec: str = ".4f") -> None:
    """Print the DataFrame ``table`` with every number behind ``≈`` (a trained number)."""
    from helpers.formatting import approx_format

    if title:
        print(title)
    print(table.to_string(float_format=approx_format(spec)))


def split_counts(splits: Splits):
    """Images per digit (columns 0..9) in each split (rows train/validation/test)."""
    import pandas as pd

    counts = pd.DataFrame(
        {
            name: np.bincount(y, minlength=10)
            for name, y in (
                ("train", splits.y_train),
                ("validation", splits.y_val),
                ("test", splits.y_test),
            )
        }
    ).T
    counts.columns.name = "digit"
    return counts


def class_entropy(y: np.ndarray, n_classes: int = 10) -> float:
    r"""Entropy :math:`-\sum_k p_k \ln p_k` of the class shares of ``y``: the lowest mean
    cross-entropy a model that ignores its input can reach on ``y``."""
    shares = np.bincount(np.asarray(y), minlength=n_classes) / len(y)
    shares = shares[shares > 0]
    return float(-(shares * np.log(shares)).sum())


def plot_step_losses(losses: Sequence[float], steps_per_epoch: int, title: str):
    """Mini-batch loss per SGD step, with the mean of each epoch and the line ``ln 10``."""
    import matplotlib.pyplot as plt

    losses = np.asarray(losses)
    epochs = len(losses) // steps_per_epoch
    means = losses[: epochs * steps_per_epoch].reshape(epochs, steps_per_epoch).mean(axis=1)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.plot(np.arange(1, len(losses) + 1), losses, linewidth=0.7, label="each step's batch")
    centres = (np.arange(epochs) + 0.5) * steps_per_epoch
    ax.plot(centres, means, marker="o", label="epoch mean")
    ax.axhline(math.log(10), color="grey", linestyle=":", linewidth=0.8, label="ln 10")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def zero_init_table(runs: dict[str, StudyRun], X_test: np.ndarray):
    """The ``zero`` configurations after training: distinct hidden units per layer
    (:func:`distinct_units`), whether every hidden weight is still 0, and the digits the
    network predicts on ``X_test``. One row per activation."""
    import pandas as pd

    rows = {}
    for activation in ACTIVATION_NAMES:
        key = config_key(activation, "zero")
        model = runs[key].model
        predicted = np.bincount(model.predict(X_test), minlength=10)
        rows[key] = {
            "distinct units per hidden layer": distinct_units(model),
            "all hidden weights zero": all(not w.any() for w in model.weights[:-1]),
            "digits predicted on test": [int(d) for d in np.flatnonzero(predicted)],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def initial_models(
    seed: int, key: str = "relu/normal", bias_inits: Sequence[str] = ("as_weights", "zero")
) -> dict[str, tuple[ScratchMLP, np.random.Generator]]:
    """Configuration ``key`` initialised as :func:`run_study` initialises it, once per
    ``bias_init``: ``{bias_init: (model, generator)}``. The generator is the model's own
    (left where the initial draws leave it, where the epoch shuffles begin)."""
    activation, weight_init = key.split("/")
    models = {}
    for bias_init in bias_inits:
        rng = config_rng(seed, key)
        model = ScratchMLP(activation, weight_init, bias_init=bias_init, random_state=rng)
        models[bias_init] = (model.initialize(), rng)
    return models


def z_spread_table(models: dict[str, ScratchMLP], X: np.ndarray, y: np.ndarray):
    """Standard deviation of the pre-activations ``z_l`` per hidden layer (rows), one
    column per model (:func:`layer_statistics`)."""
    import pandas as pd

    return pd.DataFrame(
        {name: layer_statistics(model, X, y)["z_std"] for name, model in models.items()}
    )
