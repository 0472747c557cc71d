"""The one table of run sizes.

Every sample count, epoch count and grid size a notebook uses comes from
:data:`PROFILES`; notebooks hold no size of their own. A notebook's papermill
``parameters`` cell sets ``profile``; :func:`get_profile` turns it into a row.

smoke
    Every code path, a few seconds per notebook (used by the unit tests).
default
    What the committed notebooks show. Runs on the data available offline:
    MNIST uses the official 10,000-image t10k file as its sample pool;
    Fashion-MNIST the first 8,000 training and first 2,000 test images.
full
    The original submission's scale: MNIST train+test pooled (70,000 images;
    needs the 60,000-image training file, i.e. a download) and the original's
    5 folds x 100 epochs in the grid search.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

PROFILE_NAMES = ("smoke", "default", "full")

_TABLE: dict[str, dict[str, Any]] = {
    # --- 03: from-scratch network on MNIST --------------------------------------
    # Which official MNIST files form the sample pool, and how many images of it
    # are used (None: all).
    "mnist_pool": {"smoke": "t10k", "default": "t10k", "full": "train+t10k"},
    "mnist_pool_size": {"smoke": 1_000, "default": None, "full": None},
    "scratch_epochs": {"smoke": 2, "default": 100, "full": 100},
    # --- 04-06: scikit-learn on Fashion-MNIST -----------------------------------
    "fashion_n_train": {"smoke": 600, "default": 8_000, "full": 8_000},
    "fashion_n_test": {"smoke": 200, "default": 2_000, "full": 2_000},
    "activation_epochs": {"smoke": 2, "default": 100, "full": 100},
    # 04: calls of the original's fit(max_iter=1, warm_start=True) loop replayed next to
    # partial_fit, to count the Adam restarts and ConvergenceWarnings it causes.
    "epoch_mechanism_demo_calls": {"smoke": 2, "default": 3, "full": 3},
    # 05: 18 candidates x grid_folds fits of at most grid_epochs epochs, plus two refits.
    # default: 2 folds x 50 epochs (36 fits, each on 4,000 images), a quarter of the image
    # passes of 3 folds x 100, so that `make test` (which re-runs every notebook) stays
    # under 20 minutes on 2 cores; full is the original's 5 folds x 100 epochs.
    "grid_folds": {"smoke": 2, "default": 2, "full": 5},
    "grid_epochs": {"smoke": 2, "default": 50, "full": 100},
    "autoencoder_epochs": {"smoke": 2, "default": 100, "full": 100},
    "feature_classifier_epochs": {"smoke": 3, "default": 200, "full": 200},
    # 06: how many times the original's restart-every-call loop is replayed to show that
    # its "epochs" all give the same model (each call is one epoch from the same start).
    "original_refit_demo_calls": {"smoke": 2, "default": 3, "full": 3},
    # --- 07: three experiments ----------------------------------------------------
    # Repeated runs per configuration (seeds from helpers/seeds.py).
    "experiment_seeds": {"smoke": 2, "default": 3, "full": 5},
    # 1, data size vs SGD steps: every configuration trains on each training-set size for
    # 7 x S SGD steps (S = experiment_base_steps) and is evaluated after S, 3 S and 7 S:
    # a grid of sizes x step counts. default: S = 300 (7 S = 2,100, a third of notebook
    # 03's 6,300 steps: the 12 runs at 03's scale alone would take most of the notebook's
    # 6-minute budget); full: S = 6,300, so 7 S = 44,100, about the original's 43,800.
    "experiment_configs": {
        "smoke": ("tanh/random",),
        "default": ("tanh/random",),
        "full": ("tanh/random", "sigmoid/random"),
    },
    "experiment_train_sizes": {
        "smoke": (100, 200, 400, 800),
        "default": (1_000, 2_000, 4_000, 8_000),
        "full": (1_000, 2_000, 4_000, 8_000),
    },
    "experiment_base_steps": {"smoke": 10, "default": 300, "full": 6_300},
    # 3, learning rate x initialisation of relu and leaky relu: epochs per run (36 runs
    # at the default profile: 2 activations x 2 initialisations x 3 rates x 3 seeds).
    "sensitivity_epochs": {"smoke": 1, "default": 6, "full": 30},
    # 2, bottleneck sweep: six autoencoders per seed, then a classifier on each code.
    # default: short runs (the notebook prints how fast each network was still improving).
    "bottleneck_seeds": {"smoke": 2, "default": 3, "full": 3},
    "bottleneck_epochs": {"smoke": 2, "default": 8, "full": 100},
    "bottleneck_classifier_epochs": {"smoke": 3, "default": 20, "full": 200},
}

#: ``PROFILES[name][key]``: read-only rows of the table above.
PROFILES = MappingProxyType(
    {
        name: MappingProxyType({key: sizes[name] for key, sizes in _TABLE.items()})
        for name in PROFILE_NAMES
    }
)


class UnknownProfileError(ValueError):
    """Raised for a profile name that is not in :data:`PROFILE_NAMES`."""


def get_profile(name: str) -> MappingProxyType:
    """Return the read-only row of sizes for profile ``name``.

    Raises :class:`UnknownProfileError` naming the valid profiles otherwise.
    """
    if name not in PROFILES:
        raise UnknownProfileError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}"
        )
    return PROFILES[name]


def _cell(value: Any) -> str:
    """One setting as table text: ``all`` for None, ints with thousands separators,
    tuples as their items separated by semicolons."""
    if value is None:
        return "all"
    if isinstance(value, tuple):
        return "; ".join(_cell(item) for item in value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def as_markdown_table() -> str:
    """The whole table as Markdown (used by the README and the notebooks)."""
    lines = [
        "| setting | " + " | ".join(PROFILE_NAMES) + " |",
        "|---|" + "---|" * len(PROFILE_NAMES),
    ]
    for key, sizes in _TABLE.items():
        cells = [_cell(sizes[p]) for p in PROFILE_NAMES]
        lines.append(f"| `{key}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
