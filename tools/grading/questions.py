"""The catalogue of gradable items: what an answers file may contain, in order.

Every item has an id that is also its place in the TOML answers file: the last
dot-separated part is the key, the rest is the table. ``backprop.sample1.z1`` is
``z1 = ...`` under ``[backprop.sample1]``; ``experiments.scratch_test_accuracy.relu/random``
is ``"relu/random" = ...`` under ``[experiments.scratch_test_accuracy]``.

Value types (checked by :mod:`tools.grading.answers`):

``number``   a finite TOML integer or float (read exactly, as a decimal)
``vector2``  a list of exactly two numbers (the SVM weight vector ``w``)
``letters``  a list of distinct point letters (``["B", "C"]``), compared as a set
``class``    ``1`` or ``-1`` (the predicted class of the SVM query point)
``choice``   one string out of ``options``
"""

from __future__ import annotations

from dataclasses import dataclass

#: Activations and initialisations of the from-scratch network (notebook 03).
SCRATCH_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
SCRATCH_INITS = ("random", "normal", "zero")
#: Activations of the scikit-learn study on Fashion-MNIST (notebook 04).
FASHION_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
#: Bottleneck activations of the autoencoders (notebook 06).
AUTOENCODER_ACTIVATIONS = ("relu", "identity")
#: The grid searched in notebook 05.
GRID_SOLVERS = ("adam", "sgd")

BACKPROP_SAMPLES = (1, 2, 3)
BACKPROP_FORWARD = ("z1", "h", "y_pred", "error")
BACKPROP_PARAMS = ("w1", "b1", "w2", "b2")
SVM_PROBLEMS = (1, 2)

VALUE_TYPES = ("number", "vector2", "letters", "class", "choice")


@dataclass(frozen=True)
class Item:
    """One gradable answer.

    ``rubric_key`` names the points entry in ``rubric.toml`` (``"backprop.z1"`` gives
    the points of every sample's ``z1``). For experiments, ``notebook`` and
    ``results_path`` say which measured value (and which entry of
    ``results/tolerances.json``) the answer is compared with.
    """

    id: str
    value_type: str
    description: str
    rubric_key: str
    options: tuple[str, ...] = ()
    notebook: str = ""
    results_path: str = ""

    @property
    def table(self) -> str:
        """The TOML table holding the item (``"backprop.sample1"``)."""
        return self.id.rsplit(".", 1)[0]

    @property
    def key(self) -> str:
        """The item's key inside its table (``"z1"``)."""
        return self.id.rsplit(".", 1)[1]

    @property
    def section(self) -> str:
        """``backprop``, ``svm`` or ``experiments``."""
        return self.id.split(".", 1)[0]


_BACKPROP_TEXT = {
    "z1": "pre-activation z1 = w1 x + b1",
    "h": "hidden activation h = relu(z1)",
    "y_pred": "prediction y_pred = w2 h + b2",
    "error": "error E = 1/2 (y - y_pred)^2",
    "w1": "w1 after this sample's update",
    "b1": "b1 after this sample's update",
    "w2": "w2 after this sample's update",
    "b2": "b2 after this sample's update",
}


def _backprop_items() -> list[Item]:
    return [
        Item(
            f"backprop.sample{k}.{name}",
            "number",
            f"sample {k}: {_BACKPROP_TEXT[name]}",
            f"backprop.{name}",
        )
        for k in BACKPROP_SAMPLES
        for name in BACKPROP_FORWARD + BACKPROP_PARAMS
    ]


def _svm_items() -> list[Item]:
    items = []
    for p in SVM_PROBLEMS:
        base = f"svm.problem{p}"
        items += [
            Item(f"{base}.w", "vector2", f"problem {p}: weight vector w = [w1, w2]", "svm.w"),
            Item(f"{base}.b", "number", f"problem {p}: bias b of w . x + b = 0", "svm.b"),
            Item(f"{base}.margin", "number", f"problem {p}: margin width 2 / ||w||", "svm.margin"),
            Item(
                f"{base}.support_vectors",
                "letters",
                f"problem {p}: support vectors, as the points' letters",
                "svm.support_vectors",
            ),
        ]
    items.append(
        Item(
            "svm.problem2.query_class",
            "class",
            "problem 2: class (1 or -1) of the query point (1, 3)",
            "svm.query_class",
        )
    )
    return items


def _experiment_items() -> list[Item]:
    items = [
        Item(
            f"experiments.scratch_test_accuracy.{a}/{i}",
            "number",
            f"from-scratch network, {a} activation, {i} initialisation: test accuracy "
            "(fraction 0..1)",
            "experiments.scratch_test_accuracy",
            notebook="03_scratch_nn",
            results_path=f"configs/{a}/{i}/test_accuracy",
        )
        for a in SCRATCH_ACTIVATIONS
        for i in SCRATCH_INITS
    ]
    items += [
        Item(
            f"experiments.fashion_test_accuracy.{a}",
            "number",
            f"Fashion-MNIST MLP, {a} activation: final test accuracy (fraction 0..1)",
            "experiments.fashion_test_accuracy",
            notebook="04_fashion_mlp_activations",
            results_path=f"final_epoch/{a}/test_accuracy",
        )
        for a in FASHION_ACTIVATIONS
    ]
    grid = "05_fashion_grid_search"
    items += [
        Item(
            "experiments.grid_search.best_solver",
            "choice",
            "grid search: best solver",
            "experiments.grid_search",
            GRID_SOLVERS,
            grid,
            "best_params/solver",
        ),
        Item(
            "experiments.grid_search.best_learning_rate_init",
            "number",
            "grid search: best learning_rate_init",
            "experiments.grid_search",
            notebook=grid,
            results_path="best_params/learning_rate_init",
        ),
        Item(
            "experiments.grid_search.best_batch_size",
            "number",
            "grid search: best batch_size",
            "experiments.grid_search",
            notebook=grid,
            results_path="best_params/batch_size",
        ),
        Item(
            "experiments.grid_search.best_cv_accuracy",
            "number",
            "grid search: mean CV accuracy of the best candidate (fraction 0..1)",
            "experiments.grid_search",
            notebook=grid,
            results_path="best_cv_accuracy",
        ),
    ]
    items += [
        Item(
            f"experiments.autoencoder_test_accuracy.{a}",
            "number",
            f"classifier on the {a}-autoencoder's 32 bottleneck features: test accuracy "
            "(fraction 0..1)",
            "experiments.autoencoder_test_accuracy",
            notebook="06_fashion_autoencoder_features",
            results_path=f"feature_classifier/{a}/test_accuracy",
        )
        for a in AUTOENCODER_ACTIVATIONS
    ]
    items += [
        Item(
            "experiments.conclusions.scratch_best_activation_random",
            "choice",
            "from-scratch network: which activation reaches the highest test accuracy "
            "with random initialisation?",
            "experiments.conclusions",
            SCRATCH_ACTIVATIONS,
            "03_scratch_nn",
            "conclusions/scratch_best_activation_random",
        ),
        Item(
            "experiments.conclusions.scratch_best_activation_normal",
            "choice",
            "from-scratch network: which activation reaches the highest test accuracy "
            "with normal initialisation?",
            "experiments.conclusions",
            SCRATCH_ACTIVATIONS,
            "03_scratch_nn",
            "conclusions/scratch_best_activation_normal",
        ),
        Item(
            "experiments.conclusions.fashion_worst_activation",
            "choice",
            "Fashion-MNIST MLP: which activation ends with the highest validation loss?",
            "experiments.conclusions",
            FASHION_ACTIVATIONS,
            "04_fashion_mlp_activations",
            "conclusions/fashion_worst_activation",
        ),
        Item(
            "experiments.conclusions.autoencoder_lower_loss",
            "choice",
            "autoencoders: which bottleneck activation reaches the lower validation "
            "reconstruction loss?",
            "experiments.conclusions",
            AUTOENCODER_ACTIVATIONS,
            "06_fashion_autoencoder_features",
            "conclusions/autoencoder_lower_loss",
        ),
    ]
    return items


#: Every item, in the order of the answers file and the reports.
ITEMS: tuple[Item, ...] = tuple(_backprop_items() + _svm_items() + _experiment_items())
ITEMS_BY_ID: dict[str, Item] = {item.id: item for item in ITEMS}
#: The tables an answers file may have, in order of first appearance.
TABLES: tuple[str, ...] = tuple(dict.fromkeys(item.table for item in ITEMS))
