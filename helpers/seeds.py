"""Every seed the notebooks use, in one place.

Two kinds of seed, kept apart on purpose:

* **split seeds** decide which images land in which split. They never move: every run,
  on every machine, trains and tests on the same images.
* **training seeds** decide initial weights, batch orders and cross-validation folds.

The tolerance measurement (``make tolerances``, ``tools/tolerances.py``) re-runs the
notebooks with every training seed shifted by the environment variable
``NNSVM_SEED_OFFSET`` to measure how far a trained number moves from one seed to the
next; a run on another machine must not move it further than that. Unset (the normal
case) the offset is 0 and the seeds below are the committed run's.
"""

from __future__ import annotations

import os

SEED_OFFSET_VARIABLE = "NNSVM_SEED_OFFSET"


def seed_offset() -> int:
    """The training-seed shift from ``NNSVM_SEED_OFFSET`` (0 when unset)."""
    raw = os.environ.get(SEED_OFFSET_VARIABLE, "").strip()
    if not raw:
        return 0
    try:
        offset = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a whole number, got {raw!r}") from None
    if not 0 <= offset < 1000:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be in 0..999, got {offset}")
    return offset


SEED_OFFSET = seed_offset()

# -- split seeds (never shifted)
#: MNIST pool shuffle before the 80/10/10 split (the original used the legacy global seed 42).
MNIST_SPLIT_SEED = 42
#: Fashion-MNIST train/validation split (stratified); the original's seed is unknown.
FASHION_SPLIT_SEED = 42

# -- training seeds (shifted by NNSVM_SEED_OFFSET)
#: From-scratch network (notebook 03): initial weights and the epoch shuffles.
SCRATCH_TRAIN_SEED = 2024 + SEED_OFFSET
#: scikit-learn MLPs of notebooks 04 and 05 (the original fixed none).
ESTIMATOR_SEED = 0 + SEED_OFFSET
#: Cross-validation folds of the grid search (notebook 05).
CV_SEED = 0 + SEED_OFFSET
#: Autoencoders of notebook 06 (the original used random_state=42).
AUTOENCODER_SEED = 42 + SEED_OFFSET
#: Classifiers on the bottleneck features (notebook 06; the original's had none).
FEATURE_CLASSIFIER_SEED = 42 + SEED_OFFSET
#: Randomised SVD of the PCA reference (notebook 06).
PCA_SEED = 42 + SEED_OFFSET

# -- repeated runs (notebook 07)
#: Repeated runs of one configuration use the seeds ``base + SEED_STRIDE * k``, k = 0, 1, ...
#: (:func:`repeated_seeds`): farther apart than any ``NNSVM_SEED_OFFSET`` (< 1000), so a
#: shifted run never reuses a seed of the committed one.
SEED_STRIDE = 1000


def repeated_seeds(base: int, n: int) -> tuple[int, ...]:
    """``n`` training seeds for repeated runs: ``base, base + 1000, base + 2000, ...``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"need a positive number of seeds, got {n!r}")
    return tuple(base + SEED_STRIDE * k for k in range(n))


#: From-scratch experiments of notebook 07 (data size vs steps, learning rate and
#: initialisation): the first seed is notebook 03's, so a run at 03's settings is 03's run.
EXPERIMENT_TRAIN_SEED = SCRATCH_TRAIN_SEED
#: Bottleneck sweep of notebook 07: the autoencoders and the classifiers on their codes
#: (the first seeds are notebook 06's).
BOTTLENECK_AUTOENCODER_SEED = AUTOENCODER_SEED
BOTTLENECK_CLASSIFIER_SEED = FEATURE_CLASSIFIER_SEED
