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
    # default: half the original's 100 epochs, so that `make test` (which re-runs every
    # notebook) stays under 10 minutes on 2 cores; full: the original's 100.
    "scratch_epochs": {"smoke": 2, "default": 50, "full": 100},
    # --- 04-06: scikit-learn on Fashion-MNIST -----------------------------------
    "fashion_n_train": {"smoke": 600, "default": 8_000, "full": 8_000},
    "fashion_n_test": {"smoke": 200, "default": 2_000, "full": 2_000},
    "activation_epochs": {"smoke": 2, "default": 100, "full": 100},
    # 04: calls of the original's fit(max_iter=1, warm_start=True) loop replayed next to
    # partial_fit, to count the Adam restarts and ConvergenceWarnings it causes.
    "epoch_mechanism_demo_calls": {"smoke": 2, "default": 3, "full": 3},
    # 05: 18 candidates x grid_folds fits of at most grid_epochs epochs, plus two refits.
    # default: 2 folds x 25 epochs (36 fits, each on 4,000 images), so that `make test`
    # (which re-runs every notebook) stays under 10 minutes on 2 cores; full is the
    # original's 5 folds x 100 epochs.
    "grid_folds": {"smoke": 2, "default": 2, "full": 5},
    "grid_epochs": {"smoke": 2, "default": 25, "full": 100},
    "autoencoder_epochs": {"smoke": 2, "default": 100, "full": 100},
    "feature_classifier_epochs": {"smoke": 3, "default": 200, "full": 200},
    # 06: how many times the original's restart-every-call loop is replayed to show that
    # its "epochs" all give the same model (each call is one epoch from the same start).
    "original_refit_demo_calls": {"smoke": 2, "default": 3, "full": 3},
    # --- 07: fair tests of three of the original's claims ------------------------
    # 1, tanh/random, training images vs SGD steps. Per seed, one run on the first
    # data_steps_base_images training images for data_steps_long_steps SGD steps (also
    # evaluated after data_steps_base_steps) and one on data_steps_more_images for
    # data_steps_base_steps: both effects from one corner. default: up to 6,300 steps (100
    # epochs on notebook 03's 8,000 images; 7x the steps, 8x the images); full: from that
    # corner (8,000 images, 6,300 steps) to the original's images (56,000, needs the MNIST
    # training file) and steps (44,100, about its 43,800).
    "data_steps_seeds": {"smoke": 2, "default": 4, "full": 5},
    "data_steps_base_images": {"smoke": 100, "default": 1_000, "full": 8_000},
    "data_steps_more_images": {"smoke": 800, "default": 8_000, "full": 56_000},
    "data_steps_base_steps": {"smoke": 10, "default": 900, "full": 6_300},
    "data_steps_long_steps": {"smoke": 70, "default": 6_300, "full": 44_100},
    # 2, relu and leaky relu x zero/random/normal x learning rates, each run trained until
    # its training loss reaches the target (a matched loss) or the step cap. default: the
    # original's rate 0.002 and two larger ones (a smaller one needs several times the
    # steps to reach the target), 5 seeds (the largest rate spreads its seeds most; with 3,
    # t / sqrt(n) would make the intervals about twice as wide); full: also 0.0005, a
    # lower target, 8 seeds.
    "sensitivity_seeds": {"smoke": 2, "default": 5, "full": 8},
    "sensitivity_learning_rates": {
        "smoke": (0.002, 0.032),
        "default": (0.002, 0.008, 0.032),
        "full": (0.0005, 0.002, 0.008, 0.032),
    },
    "sensitivity_target_loss": {"smoke": 2.0, "default": 0.5, "full": 0.2},
    "sensitivity_max_steps": {"smoke": 60, "default": 4_000, "full": 60_000},
    # 3, bottleneck sweep: one-hidden-layer relu autoencoders, each trained until its
    # validation error stops falling or the cap of epochs. default: the cap ends the runs
    # before their plateau (the notebook says what that leaves unresolved); full: 200.
    "bottleneck_seeds": {"smoke": 2, "default": 3, "full": 5},
    "bottleneck_widths": {
        "smoke": (128, 256),
        "default": (32, 64, 128, 256),
        "full": (8, 16, 32, 64, 128, 256),
    },
    "bottleneck_max_epochs": {"smoke": 2, "default": 6, "full": 200},
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
