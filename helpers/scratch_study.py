"""The activation x initialisation study of notebook 03, and the original's numbers.

* :func:`split_80_10_10`: the original's data preparation (shuffle with a fixed seed,
  80/10/10 train/validation/test, pixels scaled to [0, 1]).
* :func:`run_study`: trains the 12 configurations of :mod:`helpers.scratch_nn`.
* :func:`plot_loss_grid`, :func:`metric_table`, :func:`plot_digit_grid`: figures/tables.
* :data:`ORIGINAL`: what the original submission printed for each configuration, and
  :func:`original_split_labels` / :func:`replay_zero_init`: a replay of its zero-init
  runs, which depend on the labels only (used to pin down its learning rate).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from helpers import seeds
from helpers.data import Splits
from helpers.scratch_nn import (
    ACTIVATIONS,
    ScratchMLP,
    backward_errors,
    forward_reference,
    pre_activation,
)
from helpers.verify import approx

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu")
INIT_NAMES = ("random", "normal", "zero")
#: The study's settings that are the same in every profile (the original's values).
LEARNING_RATE = 0.002   # the original's notes; confirmed by replay_zero_init
BATCH_SIZE = 128        # the original's notes and code
SPLIT_SEED = seeds.MNIST_SPLIT_SEED        # the original shuffled with seed 42
TRAIN_SEED = seeds.SCRATCH_TRAIN_SEED      # initial weights and the epoch shuffles


def config_key(activation: str, weight_init: str) -> str:
    """``"relu/normal"`` etc.: how configurations are named in tables and results."""
    return f"{activation}/{weight_init}"


CONFIG_KEYS = tuple(config_key(a, i) for a in ACTIVATION_NAMES for i in INIT_NAMES)


# ------------------------------------------------------------------------------- data


def split_sizes(n: int) -> tuple[int, int, int]:
    """The original's split of ``n`` rows: ``int(0.8 n)``, ``int(0.1 n)``, the rest."""
    n_train, n_val = int(n * 0.8), int(n * 0.1)
    return n_train, n_val, n - n_train - n_val


def split_80_10_10(images: np.ndarray, labels: np.ndarray, seed: int = SPLIT_SEED) -> Splits:
    """Shuffle with ``default_rng(seed)``, split 80/10/10 and scale uint8 pixels to [0, 1]."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 2 or len(images) != len(labels):
        raise ValueError(f"need images (n, d) and labels (n,), got {images.shape}, "
                         f"{labels.shape}")
    order = np.random.default_rng(seed).permutation(len(labels))
    X = images[order] / 255.0
    y = labels[order].astype(np.int64)
    n_train, n_val, _ = split_sizes(len(y))
    cut = n_train + n_val
    return Splits(X[:n_train], y[:n_train], X[n_train:cut], y[n_train:cut], X[cut:], y[cut:])


def plot_digit_grid(X: np.ndarray, y: np.ndarray, rows: int = 4, cols: int = 10,
                    title: str = "Training images and their labels"):
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


def _config_rng(seed: int, key: str) -> np.random.Generator:
    """Configuration ``key``'s generator: ``SeedSequence(seed).spawn(12)[i]``, ``i`` its
    position in :data:`CONFIG_KEYS` (never the position in the run)."""
    children = np.random.SeedSequence(seed).spawn(len(CONFIG_KEYS))
    return np.random.Generator(np.random.PCG64(children[CONFIG_KEYS.index(key)]))


def _train_config(splits: Splits, key: str, prefix: str, epochs: int, learning_rate: float,
                  batch_size: int, bias_init: str, log_every: int,
                  rng: np.random.Generator, stream) -> StudyRun:
    activation, weight_init = key.split("/")
    model = ScratchMLP(activation, weight_init, learning_rate=learning_rate,
                       epochs=epochs, batch_size=batch_size, bias_init=bias_init,
                       random_state=rng)
    model.fit(splits.X_train, splits.y_train, splits.X_val, splits.y_val,
              train_metrics="running", log_every=log_every, log_prefix=prefix,
              stream=stream)
    final = {   # the final weights evaluated on every split
        "train_loss": model.loss(splits.X_train, splits.y_train),
        "train_accuracy": model.score(splits.X_train, splits.y_train),
        "val_loss": model.history_["val_loss"][-1],
        "val_accuracy": model.history_["val_accuracy"][-1],
        "test_loss": model.loss(splits.X_test, splits.y_test),
        "test_accuracy": model.score(splits.X_test, splits.y_test),
        "epochs_run": len(model.history_["train_loss"]),
    }
    print(f"{prefix}done: test loss {approx(final['test_loss'])} "
          f"acc {approx(final['test_accuracy'])}", file=stream)
    return StudyRun(key, model, final)


def _train_config_task(key: str, prefix: str, epochs: int, learning_rate: float,
                       batch_size: int, bias_init: str, log_every: int, seed: int,
                       **arrays: np.ndarray) -> dict:
    """One configuration as an independent task (:func:`helpers.parallel.run_tasks`).

    A :class:`ScratchMLP` does not pickle (it holds a BLAS routine), so the task returns
    what rebuilds it through the public API (:func:`_rebuild_run`): constructor
    arguments, weights, biases, ``history_``, the generator (drawn on by later epochs),
    the final metrics and the log lines.
    """
    rng = _config_rng(seed, key)
    log = io.StringIO()
    run = _train_config(Splits(**arrays), key, prefix, epochs, learning_rate, batch_size,
                        bias_init, log_every, rng, log)
    return {"params": run.model.get_params(), "weights": run.model.weights,
            "biases": run.model.biases, "history": run.model.history_,
            "best_epoch": run.model.best_epoch_, "rng_state": rng.bit_generator.state,
            "final": run.final, "log": log.getvalue()}


def _rebuild_run(key: str, payload: dict) -> StudyRun:
    params = dict(payload["params"])
    params["dtype"] = np.dtype(params["dtype"])
    rng = np.random.Generator(np.random.PCG64(0))  # its state is replaced below
    model = ScratchMLP(**params, random_state=rng)  # the model keeps drawing from rng
    rng.bit_generator.state = payload["rng_state"]  # ... from where training left it
    model.weights, model.biases = payload["weights"], payload["biases"]
    model.history_ = payload["history"]
    model.best_epoch_ = payload["best_epoch"]
    return StudyRun(key, model, payload["final"])


def run_study(splits: Splits, epochs: int, *, learning_rate: float = LEARNING_RATE,
              batch_size: int = BATCH_SIZE, seed: int = TRAIN_SEED,
              bias_init: str = "as_weights", log_every: int = 25,
              configs: Sequence[str] = CONFIG_KEYS, stream=None,
              n_jobs: int | None = None) -> dict[str, StudyRun]:
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
    prefixes = {key: f"[{number:2d}/{len(configs)}] {key:<17} "
                for number, key in enumerate(configs, 1)}
    if n_jobs is None:
        return {key: _train_config(splits, key, prefixes[key], epochs, learning_rate,
                                   batch_size, bias_init, log_every, _config_rng(seed, key),
                                   stream)
                for key in configs}
    from helpers.parallel import run_tasks

    payloads = run_tasks(
        _train_config_task,
        {key: (key, prefixes[key], epochs, learning_rate, batch_size, bias_init, log_every,
               seed) for key in configs},
        shared={field.name: getattr(splits, field.name) for field in dataclasses.fields(splits)},
        n_jobs=n_jobs)
    runs = {}
    for key in configs:
        print(payloads[key]["log"], end="", file=stream)
        runs[key] = _rebuild_run(key, payloads[key])
    return runs


def metric_table(finals: dict[str, dict[str, float]], metric: str, digits: int = 4):
    """4 x 3 DataFrame (activations x initialisations) of ``finals[key][metric]``."""
    import pandas as pd

    data = [[finals[config_key(a, i)][metric] if config_key(a, i) in finals else math.nan
             for i in INIT_NAMES] for a in ACTIVATION_NAMES]
    table = pd.DataFrame(data, index=list(ACTIVATION_NAMES), columns=list(INIT_NAMES))
    table.index.name, table.columns.name = "activation", "init"
    return table.round(digits)


def plot_loss_grid(histories: dict[str, dict[str, list[float]]], title: str):
    """4 x 3 grid of train/validation loss per epoch, one panel per configuration.

    All panels share the y axis, so a curve flat at ``ln 10 = 2.30`` (chance) stands
    out next to one that learns.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(ACTIVATION_NAMES), len(INIT_NAMES), figsize=(13, 13),
                             sharex=True, sharey=True)
    for r, activation in enumerate(ACTIVATION_NAMES):
        for c, weight_init in enumerate(INIT_NAMES):
            ax = axes[r, c]
            history = histories[config_key(activation, weight_init)]
            epochs = np.arange(1, len(history["train_loss"]) + 1)
            ax.plot(epochs, history["train_loss"], label="train")
            ax.plot(epochs, history["val_loss"], label="validation", linestyle="--")
            ax.axhline(math.log(10), color="grey", linewidth=0.8, linestyle=":",
                       label="ln 10 (uniform guess)")
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


# ------------------------------------------------------------------------ the original

#: What the original printed for each configuration: final train/validation/test
#: accuracy and the train/validation loss after epoch 100 (full training set).
ORIGINAL: dict[str, dict[str, float]] = {
    "relu/random": dict(train_accuracy=0.10226785714285715, val_accuracy=0.10671428571428572,
                        test_accuracy=0.09528571428571428, train_loss=2.3035621181206247,
                        val_loss=2.3020266374049525),
    "relu/normal": dict(train_accuracy=0.11185714285714286, val_accuracy=0.11228571428571428,
                        test_accuracy=0.11814285714285715, train_loss=2.3031565775632035,
                        val_loss=2.302012455070436),
    "relu/zero": dict(train_accuracy=0.11185714285714286, val_accuracy=0.11228571428571428,
                      test_accuracy=0.11814285714285715, train_loss=2.30118112860864,
                      val_loss=2.3007399767290355),
    "sigmoid/random": dict(train_accuracy=0.11217857142857143, val_accuracy=0.11257142857142857,
                           test_accuracy=0.11828571428571429, train_loss=2.296288727474775,
                           val_loss=2.2957665558201197),
    "sigmoid/normal": dict(train_accuracy=0.3604107142857143, val_accuracy=0.363,
                           test_accuracy=0.357, train_loss=2.1086832916067366,
                           val_loss=2.1058014444388866),
    "sigmoid/zero": dict(train_accuracy=0.11185714285714286, val_accuracy=0.11228571428571428,
                         test_accuracy=0.11814285714285715, train_loss=2.3011897592390356,
                         val_loss=2.3007263513234264),
    "tanh/random": dict(train_accuracy=0.8492678571428571, val_accuracy=0.8498571428571429,
                        test_accuracy=0.8488571428571429, train_loss=0.5145095561119645,
                        val_loss=0.5148261687463348),
    "tanh/normal": dict(train_accuracy=0.7513392857142858, val_accuracy=0.7471428571428571,
                        test_accuracy=0.7485714285714286, train_loss=0.8006619997094087,
                        val_loss=0.8168014995875938),
    "tanh/zero": dict(train_accuracy=0.11185714285714286, val_accuracy=0.11228571428571428,
                      test_accuracy=0.11814285714285715, train_loss=2.30118112860864,
                      val_loss=2.3007399767290355),
    "leaky_relu/random": dict(train_accuracy=0.10226785714285715,
                              val_accuracy=0.10671428571428572,
                              test_accuracy=0.09528571428571428,
                              train_loss=2.3064091342350768, val_loss=2.3051522981079895),
    "leaky_relu/normal": dict(train_accuracy=0.10226785714285715,
                              val_accuracy=0.10671428571428572,
                              test_accuracy=0.09528571428571428,
                              train_loss=2.3042519404248036, val_loss=2.3033633302814938),
    "leaky_relu/zero": dict(train_accuracy=0.10226785714285715,
                            val_accuracy=0.10671428571428572,
                            test_accuracy=0.09528571428571428,
                            train_loss=2.307023701308522, val_loss=2.305282351320243),
}

#: The original's printed losses of relu/zero (and, identically, tanh/zero):
#: ``{epoch: (train loss, validation loss)}``.
ORIGINAL_ZERO_INIT_LOSSES: dict[int, tuple[float, float]] = {
    10: (2.3014200255569803, 2.3011710772553635),
    20: (2.3012219643465484, 2.3008656359439903),
    30: (2.3011882473158125, 2.3007847135428743),
    40: (2.3011824032742796, 2.3007579402177765),
    50: (2.301181364030809, 2.3007475851006634),
    60: (2.301181173544364, 2.3007432401383796),
    70: (2.301181137416241, 2.3007413494620907),
    80: (2.301181130317566, 2.300740514015715),
    90: (2.3011811288886235, 2.3007401424513314),
    100: (2.30118112860864, 2.3007399767290355),
}


def original_softmax(logits: np.ndarray) -> np.ndarray:
    """The original's softmax, for comparison: it subtracts the *global* maximum of the
    whole batch (not each row's), then replaces exponentials that underflowed to 0 by
    ``1e-10`` before normalising each row.

    A row whose logits all lie more than ~745 below the batch's largest logit underflows
    completely and comes out uniform (``1e-10`` everywhere); a row that underflows only
    partly gives its *smallest* logits the most probability (``1e-10`` beats any
    surviving ``exp(-700)``). For small logits it equals the row-wise softmax.
    """
    exps = np.exp(logits - np.max(logits))
    exps = np.where(exps == 0, 1e-10, exps)
    return exps / exps.sum(axis=1, keepdims=True)


class OriginalAlgorithm:
    """The original's training algorithm, re-implemented to test what it does (our code).

    As the submission shows it: biases drawn with the weight rule at ``fan_in = 1``,
    :func:`original_softmax`, the batches in one fixed order every epoch, the output
    layer's weights updated *before* the error is propagated back through them, and
    the weight gradients divided by the batch size (the divisor is cut off in the
    export: ``/ s...``; we take ``batch_size``; bias gradients are batch means, which
    the export shows).
    """

    def __init__(self, activation: str, weight_init: str, learning_rate: float = LEARNING_RATE,
                 batch_size: int = BATCH_SIZE, seed: int = TRAIN_SEED):
        from helpers.scratch_nn import HIDDEN_LAYER_SIZES, N_CLASSES, N_INPUTS

        self.f, self.f_grad = ACTIVATIONS[activation]
        template = ScratchMLP(activation, weight_init, bias_init="as_weights",
                              random_state=seed)
        self.weights = template.weights
        self.biases = [b[None, :] for b in template.biases]
        self.learning_rate, self.batch_size = learning_rate, batch_size
        self.sizes = (N_INPUTS, *HIDDEN_LAYER_SIZES, N_CLASSES)

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        acts = [X]
        for W, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            acts.append(self.f(acts[-1] @ W + b))
        return original_softmax(acts[-1] @ self.weights[-1] + self.biases[-1]), acts

    def train_epoch(self, X: np.ndarray, y: np.ndarray) -> None:
        lr, eye = self.learning_rate, np.eye(self.sizes[-1])
        for start in range(0, len(X), self.batch_size):
            xb, yb = X[start:start + self.batch_size], y[start:start + self.batch_size]
            prob, acts = self.forward(xb)
            delta = prob - eye[yb]
            self.weights[-1] -= lr * acts[-1].T @ delta / self.batch_size
            self.biases[-1] -= lr * delta.mean(axis=0)
            for layer in range(len(self.weights) - 2, -1, -1):
                delta = delta @ self.weights[layer + 1].T * self.f_grad(acts[layer + 1])
                self.weights[layer] -= lr * acts[layer].T @ delta / self.batch_size
                self.biases[layer] -= lr * delta.mean(axis=0)

    def loss_and_accuracy(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """As the original measured them: one forward pass over all of ``X`` at once."""
        prob, _ = self.forward(X)
        return (float(-np.mean(np.log(prob[np.arange(len(y)), y]))),
                float(np.mean(prob.argmax(axis=1) == y)))


def replay_constant_output(y_train: np.ndarray, y_val: np.ndarray, step: float,
                           epochs: int = 20, batch_size: int = BATCH_SIZE,
                           n_classes: int = 10) -> dict[str, float]:
    """A model whose output ignores the input, trained in the original's fixed batch
    order with step ``step`` on its logits: loss and top class after the last epoch.

    The same update as :func:`replay_zero_init`; a larger ``step`` stands for a network
    whose units below the output no longer depend on the input (dead ReLUs), where the
    constant activations feeding the output layer enlarge the step its logits take.
    """
    replay = replay_zero_init(y_train, y_val, step, epochs, batch_size, n_classes,
                              return_bias=True)
    order = np.argsort(replay["bias"])[::-1]
    return {"train_loss": float(replay["train_loss"][-1]),
            "val_loss": float(replay["val_loss"][-1]),
            "top_class": int(order[0]), "second_class": int(order[1]),
            "logit_gap": float(replay["bias"][order[0]] - replay["bias"][order[1]])}


def original_split_labels() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels of the original's train/validation/test split of all 70,000 MNIST images.

    The original concatenated the official train and t10k sets, called
    ``np.random.seed(42)`` and ``np.random.permutation(70000)``, and split 80/10/10.
    ``RandomState(42)`` gives the same permutation without touching the global seed.
    Needs only the two label files (the training *images* are not needed).
    """
    from helpers.data import LABELS_MAGIC, ensure_file, read_idx

    with contextlib.redirect_stderr(io.StringIO()):  # "copying from <mirror path>" notes
        paths = [ensure_file("mnist", f"{split}-labels-idx1-ubyte.gz")
                 for split in ("train", "t10k")]
    labels = np.concatenate([read_idx(p, LABELS_MAGIC) for p in paths]).astype(np.int64)
    labels = labels[np.random.RandomState(42).permutation(len(labels))]
    n_train, n_val, _ = split_sizes(len(labels))
    cut = n_train + n_val
    return labels[:n_train], labels[n_train:cut], labels[cut:]


def replay_zero_init(y_train: np.ndarray, y_val: np.ndarray, learning_rate: float,
                     epochs: int = 100, batch_size: int = BATCH_SIZE,
                     n_classes: int = 10, return_bias: bool = False) -> dict[str, np.ndarray]:
    """Per-epoch train/validation loss of the original's training loop on a zero-init
    network whose activation has ``f(0) = 0`` (relu, tanh, leaky relu).

    With every weight and bias 0, every hidden unit outputs ``f(0) = 0`` and no weight
    gradient is ever non-zero (``dW_l = a_{l-1}^T d_l`` with ``a_{l-1} = 0``, and the
    ``d_l`` below the output vanish because ``W_{l+1} = 0``). Only the output bias ``b``
    moves: ``b -= lr * mean_batch(softmax(b) - onehot(y))``, batches in the fixed order
    of the original (no reshuffling). The network predicts ``softmax(b)`` for every
    image, so the whole run depends on the labels alone. ``return_bias`` adds the final
    ``b`` to the result.
    """
    y_train, y_val = np.asarray(y_train), np.asarray(y_val)
    eye = np.eye(n_classes)
    starts = range(0, len(y_train), batch_size)
    batch_targets = np.array([eye[y_train[s:s + batch_size]].mean(axis=0) for s in starts])
    train_freq = np.bincount(y_train, minlength=n_classes) / len(y_train)
    val_freq = np.bincount(y_val, minlength=n_classes) / len(y_val)
    bias = np.zeros(n_classes)
    train_loss, val_loss = [], []
    for _ in range(epochs):
        for target in batch_targets:
            shifted = np.exp(bias - bias.max())
            bias -= learning_rate * (shifted / shifted.sum() - target)
        log_p = bias - bias.max()
        log_p -= np.log(np.exp(log_p).sum())
        train_loss.append(-(train_freq @ log_p))
        val_loss.append(-(val_freq @ log_p))
    result = {"train_loss": np.array(train_loss), "val_loss": np.array(val_loss)}
    if return_bias:
        result["bias"] = bias
    return result


def constant_class_accuracies(labels: dict[str, np.ndarray], n_classes: int = 10):
    """``{class: {split: share of that class}}``: the accuracy of always answering it."""
    return {k: {split: float(np.mean(y == k)) for split, y in labels.items()}
            for k in range(n_classes)}


def summarise_runs(runs: dict[str, StudyRun]) -> dict[str, dict[str, float]]:
    """``{key: final metrics}`` of :func:`run_study`'s output (for JSON and tables)."""
    return {key: dict(run.final) for key, run in runs.items()}


def learning_curve_table(history: dict[str, list[float]], every: int,
                         keys: Sequence[str] = ("train_loss", "val_loss", "train_accuracy",
                                                "val_accuracy")):
    """Every ``every``-th epoch of one ``history_`` as a DataFrame (rounded)."""
    import pandas as pd

    n = len(history["train_loss"])
    epochs = sorted({e for e in range(every, n + 1, every)} | {1, n})
    return pd.DataFrame({k: [history[k][e - 1] for e in epochs] for k in keys},
                        index=pd.Index(epochs, name="epoch")).round(4)


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
    hidden = range(1, len(weights))                                     # l = 1 .. L-1
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
    rows = [{"layer": layer + 1, "z_std": float(z.std()),
             "mean_slope": float(slope.mean()),
             "saturated": float(np.mean(slope < 0.01 * max_slope)),
             "delta_rms": float(np.sqrt(np.mean(d ** 2)))}
            for layer, (z, slope, d) in enumerate(zip(zs, slopes, deltas, strict=True))]
    return pd.DataFrame(rows).set_index("layer")


def initial_statistics(X: np.ndarray, y: np.ndarray, seed: int = TRAIN_SEED,
                       bias_init: str = "as_weights"):
    """:func:`layer_statistics` of every configuration at its initial weights (the same
    draws :func:`run_study` starts from), summarised to one row per configuration."""
    import pandas as pd

    children = np.random.SeedSequence(seed).spawn(len(CONFIG_KEYS))
    rows = {}
    for index, key in enumerate(CONFIG_KEYS):
        activation, weight_init = key.split("/")
        rng = np.random.Generator(np.random.PCG64(children[index]))
        model = ScratchMLP(activation, weight_init, bias_init=bias_init, random_state=rng)
        stats = layer_statistics(model, X, y)
        top = stats["delta_rms"].iloc[-1]
        rows[key] = {
            "z spread, layer 1": stats["z_std"].iloc[0],
            "z spread, layer 4": stats["z_std"].iloc[-1],
            "mean slope": stats["mean_slope"].mean(),
            "saturated or off": stats["saturated"].mean(),
            "error size layer 1 / layer 4": (stats["delta_rms"].iloc[0] / top
                                             if top > 0 else math.nan),
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


Log = Callable[[str], None]
