"""The original submission's scratch-network runs: what it printed, and replays of it.

Notebook 03's diagnosis of the original (section "What went wrong in the original"):

* :data:`ORIGINAL`: what the original printed for each configuration (from the ledger);
  :data:`ORIGINAL_ZERO_INIT_LOSSES`: the losses it printed for a zero-init run.
* :func:`original_split_labels` / :func:`replay_zero_init`: a replay of its zero-init
  runs, which depend on the labels only (used to pin down its learning rate);
  :func:`replay_constant_output`, :func:`constant_class_accuracies`: what an
  input-independent model prints.
* :func:`original_softmax`, :class:`OriginalAlgorithm`: its exported code's softmax and
  update order, replicated to show what they do.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np

from helpers import ledger, seeds
from helpers.scratch_nn import ACTIVATIONS, ScratchMLP
from helpers.scratch_study import BATCH_SIZE, LEARNING_RATE, split_sizes

# ------------------------------------------------------------------------ the original

#: What the original printed for each configuration (read from the ledger): final
#: train/validation/test accuracy and the train/validation loss after epoch 100.
ORIGINAL: dict[str, dict[str, float]] = {
    f"{activation}/{init}": ledger.originals(f"scratch.{activation}.{init}")
    for activation in ACTIVATIONS
    for init in ("random", "normal", "zero")
}

#: The original's printed losses of relu/zero (and, identically, tanh/zero), read from
#: the ledger: ``{epoch: (train loss, validation loss)}``.
ORIGINAL_ZERO_INIT_LOSSES: dict[int, tuple[float, float]] = {
    int(epoch[1:]): (train, ledger.original(f"scratch.zero_init.val_loss.{epoch}"))
    for epoch, train in ledger.originals("scratch.zero_init.train_loss").items()
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

    def __init__(
        self,
        activation: str,
        weight_init: str,
        learning_rate: float = LEARNING_RATE,
        batch_size: int = BATCH_SIZE,
        seed: int = seeds.SCRATCH_TRAIN_SEED,
    ):
        from helpers.scratch_nn import HIDDEN_LAYER_SIZES, N_CLASSES, N_INPUTS

        self.f, self.f_grad = ACTIVATIONS[activation]
        template = ScratchMLP(activation, weight_init, bias_init="as_weights", random_state=seed)
        template.initialize()
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
            xb, yb = X[start : start + self.batch_size], y[start : start + self.batch_size]
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
        return (
            float(-np.mean(np.log(prob[np.arange(len(y)), y]))),
            float(np.mean(prob.argmax(axis=1) == y)),
        )


def replay_constant_output(
    y_train: np.ndarray,
    y_val: np.ndarray,
    step: float,
    epochs: int = 20,
    batch_size: int = BATCH_SIZE,
    n_classes: int = 10,
) -> dict[str, float]:
    """A model whose output ignores the input, trained in the original's fixed batch
    order with step ``step`` on its logits: loss and top class after the last epoch.

    The same update as :func:`replay_zero_init`; a larger ``step`` stands for a network
    whose units below the output no longer depend on the input (dead ReLUs), where the
    constant activations feeding the output layer enlarge the step its logits take.
    """
    replay = replay_zero_init(y_train, y_val, step, epochs, batch_size, n_classes, return_bias=True)
    order = np.argsort(replay["bias"])[::-1]
    return {
        "train_loss": float(replay["train_loss"][-1]),
        "val_loss": float(replay["val_loss"][-1]),
        "top_class": int(order[0]),
        "second_class": int(order[1]),
        "logit_gap": float(replay["bias"][order[0]] - replay["bias"][order[1]]),
    }


def original_split_labels() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels of the original's train/validation/test split of all 70,000 MNIST images.

    The original concatenated the official train and t10k sets, called
    ``np.random.seed(42)`` and ``np.random.permutation(70000)``, and split 80/10/10.
    ``RandomState(42)`` gives the same permutation without touching the global seed.
    Needs only the two label files (the training *images* are not needed).
    """
    from helpers.data import LABELS_MAGIC, ensure_file, read_idx

    with contextlib.redirect_stderr(io.StringIO()):  # "copying from <mirror path>" notes
        paths = [
            ensure_file("mnist", f"{split}-labels-idx1-ubyte.gz") for split in ("train", "t10k")
        ]
    labels = np.concatenate([read_idx(p, LABELS_MAGIC) for p in paths]).astype(np.int64)
    labels = labels[np.random.RandomState(42).permutation(len(labels))]
    n_train, n_val, _ = split_sizes(len(labels))
    cut = n_train + n_val
    return labels[:n_train], labels[n_train:cut], labels[cut:]


def replay_zero_init(
    y_train: np.ndarray,
    y_val: np.ndarray,
    learning_rate: float,
    epochs: int = 100,
    batch_size: int = BATCH_SIZE,
    n_classes: int = 10,
    return_bias: bool = False,
) -> dict[str, np.ndarray]:
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
    batch_targets = np.array([eye[y_train[s : s + batch_size]].mean(axis=0) for s in starts])
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
    return {
        k: {split: float(np.mean(y == k)) for split, y in labels.items()} for k in range(n_classes)
    }


# ------------------------------------------------------------------ notebook tables
# What notebook 03's diagnosis of the original shows, one call per table.


def comparison_table(finals: dict[str, dict[str, float]]):
    """The original's printed accuracies beside ours (ours behind ``≈``), one row per
    configuration, as strings ready to print."""
    import pandas as pd

    from helpers.formatting import approx

    rows = {}
    for key in ORIGINAL:
        original, ours = ORIGINAL[key], finals[key]
        rows[key] = {
            f"{who} {split}": (
                f"{original[f'{metric}_accuracy']:.4f}"
                if who == "original"
                else approx(ours[f"{metric}_accuracy"])
            )
            for split, metric in (("train", "train"), ("val", "val"), ("test", "test"))
            for who in ("original", "ours")
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "configuration"
    return table


def difference_reasons(profile: str) -> dict[str, str]:
    """``{configuration: the ledger's reason for the difference}`` (one per
    configuration: its five ledger entries share it)."""
    return {
        key: ledger.entry(f"scratch.{key.replace('/', '.')}.test_accuracy").reason_for(profile)
        for key in ORIGINAL
    }


def softmax_demo():
    """Three rows of logits in one batch, through the row-wise softmax and the
    original's: an ordinary row, one partly more than 745 below the batch's largest
    logit, and the row that holds it."""
    import pandas as pd

    from helpers.scratch_nn import softmax

    logits = np.array([[2.0, 1.0, 0.0], [200.0, 100.0, 160.0], [900.0, 0.0, 150.0]])
    with np.errstate(under="ignore"):
        return pd.DataFrame(
            {
                "logits": [list(row) for row in logits],
                "row-wise softmax (ours)": list(np.round(softmax(logits), 4)),
                "original's softmax": list(np.round(original_softmax(logits), 4)),
            }
        )


def replay_misses(replay: dict[float, dict[str, np.ndarray]]) -> dict[float, float]:
    """``{learning rate: largest |replayed - printed|}`` over the twenty losses of
    :data:`ORIGINAL_ZERO_INIT_LOSSES` (train and validation, epochs 10..100)."""
    return {
        lr: max(
            max(abs(result["train_loss"][e - 1] - t), abs(result["val_loss"][e - 1] - v))
            for e, (t, v) in ORIGINAL_ZERO_INIT_LOSSES.items()
        )
        for lr, result in replay.items()
    }


def replay_table(result: dict[str, np.ndarray]):
    """The original's printed zero-init losses beside one replay's, every 10 epochs,
    all 16 significant digits (the replay's behind ``≈``)."""
    import pandas as pd

    from helpers.formatting import approx

    rows = {
        epoch: {
            "original train loss": f"{train:.16g}",
            "replay train loss": approx(result["train_loss"][epoch - 1], ".16g"),
            "original val loss": f"{val:.16g}",
            "replay val loss": approx(result["val_loss"][epoch - 1], ".16g"),
        }
        for epoch, (train, val) in ORIGINAL_ZERO_INIT_LOSSES.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "epoch"
    return table


def one_digit_runs(shares: dict[int, dict[str, float]]) -> dict[str, int]:
    """``{configuration: digit}`` for every run whose printed train/val/test accuracies
    equal, exactly, the shares of one digit (``shares``: :func:`constant_class_accuracies`
    of the original's splits): runs that answered that digit for every image."""
    found = {}
    for key, printed in ORIGINAL.items():
        accuracies = tuple(printed[f"{s}_accuracy"] for s in ("train", "val", "test"))
        for digit, share in shares.items():
            if accuracies == tuple(share[s] for s in ("train", "val", "test")):
                found[key] = digit
                break
    return found


def last_batch_counts(y_train: np.ndarray, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Images per digit in the last (short) batch of an epoch in the original's fixed
    order (empty counts if the batches divide the set exactly)."""
    y_train = np.asarray(y_train)
    return np.bincount(y_train[len(y_train) // batch_size * batch_size :], minlength=10)


def constant_output_table(y_train: np.ndarray, y_val: np.ndarray, steps) -> object:
    """:func:`replay_constant_output` for each step size, one row each."""
    import pandas as pd

    rows = {step: replay_constant_output(y_train, y_val, step) for step in steps}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "step on the logits"
    return table


def replica_table(splits, epochs: int, seed: int, settings=None):
    """relu/normal trained ``epochs`` epochs in one fixed batch order by
    :class:`OriginalAlgorithm` and by :class:`ScratchMLP` from the same initial weights,
    for each ``(pixels, learning rate)`` of ``settings`` (pixels ``"[0, 1]"`` or
    ``"0..255"``). Returns ``(table of strings, {setting: (replica loss, our loss)})``;
    a loss is ``nan`` once a run diverged (a NaN or infinite weight or loss)."""
    import warnings

    import pandas as pd

    from helpers.formatting import approx

    settings = settings or (("[0, 1]", 0.002), ("[0, 1]", 0.02), ("0..255", 0.002))
    rows, losses = {}, {}
    for pixels, lr in settings:
        X = splits.X_train if pixels == "[0, 1]" else splits.X_train * 255.0
        replica = OriginalAlgorithm("relu", "normal", learning_rate=lr, seed=seed)
        ours = ScratchMLP(
            "relu", "normal", learning_rate=lr, epochs=epochs, random_state=seed, shuffle=False
        )
        # once a run diverges, NumPy warns about overflow and NaN: that is the result here
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for _ in range(epochs):
                replica.train_epoch(X, splits.y_train)
                if not np.isfinite(replica.weights[0]).all():
                    break
            replica_loss, replica_acc = replica.loss_and_accuracy(X, splits.y_train)
            ours.fit(X, splits.y_train)
        ours_loss, ours_acc = ours.history_["train_loss"][-1], ours.history_["train_accuracy"][-1]
        pair = tuple(
            v if np.isfinite(v) and v < 100 else math.nan for v in (replica_loss, ours_loss)
        )
        losses[(pixels, lr)] = pair
        rows[(pixels, lr)] = {
            "epochs": epochs,
            "original's algorithm: train loss": _loss_text(pair[0]),
            "original's algorithm: train acc": approx(replica_acc),
            "ours (same batch order): train loss": _loss_text(pair[1]),
            "ours (same batch order): train acc": approx(ours_acc),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.names = ["pixels", "learning rate"]
    return table, losses


def _loss_text(loss: float) -> str:
    from helpers.formatting import approx

    return "diverged" if math.isnan(loss) else approx(loss)
