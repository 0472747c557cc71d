r"""A fully connected network written from scratch in NumPy (notebook 03): read this first.

Architecture (the original submission's): ``784 -> 256 -> 128 -> 64 -> 32 -> 10``, one
hidden activation :math:`f` for every hidden layer, a softmax output and the mean
cross-entropy loss, trained by plain mini-batch SGD on the batch-mean gradient.

The file reads top to bottom: the activations and their derivatives, the
initialisations, softmax and loss, then **the reference pass**, the equations below as
one function each, and last :class:`ScratchMLP`, the network the notebook trains.

Notation, for a batch of :math:`B` rows and layers :math:`l = 1..L` (:math:`L = 5`);
:math:`X`: ``(B, n_0)``, :math:`W_l`: ``(n_{l-1}, n_l)``, :math:`b_l`: ``(n_l,)``,
:math:`z_l, a_l, d_l`: ``(B, n_l)``, :math:`Y` the one-hot labels, :math:`\odot`
elementwise:

.. math::

    a_0 = X, \qquad z_l = a_{l-1} W_l + b_l, \qquad a_l = f(z_l) \quad (l < L),

    P = \mathrm{softmax}(z_L) \text{ (row-wise)}, \qquad
    J = -\frac{1}{B} \sum_i \log P_{i, y_i},

    d_L = \frac{\partial J}{\partial z_L} = \frac{P - Y}{B}, \qquad
    d_{l-1} = (d_l W_l^\top) \odot f'(z_{l-1}),

    \frac{\partial J}{\partial W_l} = a_{l-1}^\top d_l, \qquad
    \frac{\partial J}{\partial b_l} = \textstyle\sum_\text{rows} d_l .

No error is computed for the input :math:`a_0`. Every derivative :math:`f'(z)` is
written through the activation's output :math:`a = f(z)` (sigmoid :math:`a(1-a)`, tanh
:math:`1-a^2`, relu :math:`[a>0]`, leaky relu 1 or 0.01), so the backward pass needs only
the stored activations. At the kink :math:`z = 0` the ReLU derivative is taken as 0
(scikit-learn's convention) and the leaky ReLU's as 0.01.

Initialisations (the original's definitions; ``fan_in`` = rows of the matrix)::

    random  U(-r, r), r = sqrt(6 / fan_in) for relu/leaky_relu, r = 1 otherwise
    normal  N(0, 2 / fan_in) for relu/leaky_relu (He),       N(0, 1) otherwise
    zero    all zeros

Biases: the original draws every bias vector with the *same* rule as the weights,
called with ``fan_in = 1`` (so ``U(-sqrt 6, sqrt 6)``/``N(0, 2)`` for relu/leaky_relu,
``U(-1, 1)``/``N(0, 1)`` otherwise, zeros for ``zero``); ``bias_init="as_weights"`` (the
default) keeps that, ``bias_init="zero"`` draws the biases the same way and then sets
every bias to 0, so both consume the generator alike and share every weight and epoch
shuffle. Draws come from one ``numpy.random.Generator`` in the original's order
``W_1, b_1, W_2, b_2, ...``, made when the network is initialised (in ``fit``), never in
the constructor.

:class:`ScratchMLP` trains and predicts on a fast path that computes the same numbers
with fused, preallocated BLAS kernels: :mod:`helpers.scratch_kernels`, whose docstring
gathers every performance note. ``tests/test_scratch_kernels.py`` checks it against the
reference pass here, layer by layer, for every activation.

Length: about 880 lines, over the ~500-line guide for modules, on purpose. This is the
one document a student reads to learn the network: the equations and the reference pass
(the first ~350 lines), then the class that trains with them, in reading order. Moving
either half to another module would send that reader to a second file, and
``ScratchMLP`` must stay importable from here (notebook 03). The class is long for its
argument checks, training loop, prediction and persistence, not for plumbing, which is
all in :mod:`helpers.scratch_kernels`.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from helpers import scratch_kernels as kernels
from helpers.formatting import approx

LEAKY_RELU_SLOPE = 0.01
#: The original's hidden layer widths and input/output sizes.
HIDDEN_LAYER_SIZES = (256, 128, 64, 32)
N_INPUTS = 784
N_CLASSES = 10

# ----------------------------------------------------------------------- activations
# Each activation maps z -> f(z); each derivative maps the *output* a = f(z) -> f'(z).
# Both take arrays of any shape and accept ``out=`` (which may be the input itself) to
# work in place, as the fast path does.


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\sigma(z) = 1 / (1 + e^{-z})`, computed as :math:`(1 + \tanh(z/2)) / 2`.

    The tanh form never overflows (:math:`e^{-z}` does for :math:`z < -709`) and needs
    no branch; it is exact to rounding.
    """
    # BEGIN SOLUTION
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out
    # END SOLUTION


def sigmoid_grad(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\sigma'(z) = a (1 - a)` with :math:`a = \sigma(z)` (``out`` may be ``a``)."""
    # BEGIN SOLUTION
    one_minus_a = np.subtract(1.0, a)
    return np.multiply(a, one_minus_a, out=out)
    # END SOLUTION


def tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\tanh(z)`."""
    # BEGIN SOLUTION
    return np.tanh(z, out=out)
    # END SOLUTION


def tanh_grad(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\tanh'(z) = 1 - a^2` with :math:`a = \tanh(z)`."""
    # BEGIN SOLUTION
    out = np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out
    # END SOLUTION


def relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\max(z, 0)`."""
    # BEGIN SOLUTION
    return np.maximum(z, 0.0, out=out)
    # END SOLUTION


def relu_grad(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`[z > 0]` (0 at the kink), from :math:`a = \max(z, 0)` (:math:`a > 0` iff
    :math:`z > 0`)."""
    if out is None:
        out = np.empty_like(a)
    # BEGIN SOLUTION
    np.greater(a, 0.0, out=out)  # writes 1.0 / 0.0 in a's float dtype
    return out
    # END SOLUTION


def leaky_relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`z` if :math:`z > 0` else :math:`0.01 z`, computed as :math:`\max(z, 0.01 z)`
    (equal for a slope below 1)."""
    if out is None:
        out = np.empty_like(z)
    # BEGIN SOLUTION
    if out is z:
        scaled = z * LEAKY_RELU_SLOPE
        return np.maximum(z, scaled, out=out)
    np.multiply(z, LEAKY_RELU_SLOPE, out=out)
    return np.maximum(z, out, out=out)
    # END SOLUTION


def leaky_relu_grad(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r"""1 if :math:`z > 0` else 0.01 (0.01 at the kink), from :math:`a` (:math:`a > 0` iff
    :math:`z > 0`)."""
    if out is None:
        out = np.empty_like(a)
    # BEGIN SOLUTION
    np.greater(a, 0.0, out=out)
    out *= 1.0 - LEAKY_RELU_SLOPE
    out += LEAKY_RELU_SLOPE
    return out
    # END SOLUTION


class Activation(NamedTuple):
    """A hidden activation: ``function(z)`` and ``derivative(a)`` with ``a = function(z)``."""

    function: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray]


#: ``{name: Activation(f, f')}``; unpacks as ``f, f_grad = ACTIVATIONS[name]``.
ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(sigmoid, sigmoid_grad),
    "tanh": Activation(tanh, tanh_grad),
    "relu": Activation(relu, relu_grad),
    "leaky_relu": Activation(leaky_relu, leaky_relu_grad),
}

#: Activations whose initialisations use the He-style ``fan_in`` scaling.
RELU_FAMILY = frozenset({"relu", "leaky_relu"})

# ----------------------------------------------------------------------- initialisations


def init_random(
    fan_in: int, fan_out: int, activation: str, rng: np.random.Generator, dtype=np.float64
) -> np.ndarray:
    r""":math:`U(-r, r)` of shape ``(fan_in, fan_out)``; :math:`r = \sqrt{6/\text{fan\_in}}`
    (relu family) or 1."""
    # BEGIN SOLUTION
    limit = math.sqrt(6.0 / fan_in) if activation in RELU_FAMILY else 1.0
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype, copy=False)
    # END SOLUTION


def init_normal(
    fan_in: int, fan_out: int, activation: str, rng: np.random.Generator, dtype=np.float64
) -> np.ndarray:
    r""":math:`N(0, s^2)` of shape ``(fan_in, fan_out)``; :math:`s = \sqrt{2/\text{fan\_in}}`
    (relu family) or 1."""
    # BEGIN SOLUTION
    scale = math.sqrt(2.0 / fan_in) if activation in RELU_FAMILY else 1.0
    return (rng.standard_normal(size=(fan_in, fan_out)) * scale).astype(dtype, copy=False)
    # END SOLUTION


def init_zero(
    fan_in: int, fan_out: int, activation: str, rng: np.random.Generator, dtype=np.float64
) -> np.ndarray:
    """All zeros of shape ``(fan_in, fan_out)`` (draws nothing from ``rng``)."""
    # BEGIN SOLUTION
    return np.zeros((fan_in, fan_out), dtype=dtype)
    # END SOLUTION


#: ``{name: init(fan_in, fan_out, activation, rng, dtype) -> (fan_in, fan_out) array}``.
INITIALISATIONS: dict[str, Callable[..., np.ndarray]] = {
    "random": init_random,
    "normal": init_normal,
    "zero": init_zero,
}

BIAS_INITS = ("as_weights", "zero")

# ----------------------------------------------------------------------- softmax / loss


def softmax(logits: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r"""Row-wise softmax of ``logits`` ``(B, K)``:
    :math:`P_{ik} = e^{z_{ik} - m_i} / \sum_j e^{z_{ij} - m_i}`, :math:`m_i = \max_j z_{ij}`.

    Subtracting each row's own maximum makes the largest exponent :math:`e^0 = 1`, so
    no row can overflow or have an all-zero denominator.
    """
    out = np.subtract(logits, logits.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def log_softmax(logits: np.ndarray) -> np.ndarray:
    r"""Row-wise :math:`z - \log\sum_j e^{z_j}` ``(B, K)``: finite for any finite ``logits``."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    r"""Mean cross-entropy
    :math:`J = \frac{1}{B} \sum_i [\log \sum_k e^{z_{ik}} - z_{i y_i}]` from logits
    ``(B, K)`` and labels ``y`` ``(B,)``.

    Computed from the logits by log-sum-exp, never as ``log(softmax)``, so a
    confident wrong answer gives a large finite loss instead of ``log(0)``.
    """
    y = np.asarray(y)
    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())


def training_flops_per_sample(layer_sizes: tuple[int, ...] | list[int]) -> int:
    r"""Matrix-multiply FLOPs of one training sample (forward + backward), counted exactly.

    For layers ``n_0 -> n_1 -> ... -> n_L`` with :math:`S = \sum_l n_{l-1} n_l` weights:
    forward :math:`2S` (:math:`a_{l-1} W_l`), weight gradients :math:`2S`
    (:math:`a_{l-1}^\top d_l`), errors :math:`2(S - n_0 n_1)` (:math:`d_l W_l^\top` for
    every layer but the first: no error is computed for the input). Total
    :math:`2(3S - n_0 n_1)`; the elementwise work (biases, activations, softmax, update)
    is not counted.
    """
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least two positive layer sizes, got {layer_sizes!r}")
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return 2 * (3 * weights - sizes[0] * sizes[1])


# ----------------------------------------------------------------------- the reference pass
# The equations of the module docstring, one function each, batch-major (one row per
# example) and allocating freely: what to read to learn backpropagation. Lists are
# indexed from 0: ``weights[l - 1]`` is W_l, ``layers[l]`` is a_l.


def pre_activation(a_below: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    r""":math:`z_l = a_{l-1} W_l + b_l`, ``(B, n_l)``.

    ``a_below``: :math:`a_{l-1}` ``(B, n_{l-1})`` (e.g. ``X``: ``(B, 784)``),
    ``W``: ``(n_{l-1}, n_l)``, ``b``: ``(n_l,)`` (added to every row).
    """
    # BEGIN SOLUTION
    return a_below @ W + b
    # END SOLUTION


def forward_reference(
    weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray, activation: str
) -> list[np.ndarray]:
    r"""The forward pass: :math:`a_0 = X`, :math:`a_l = f(z_l)` for the hidden layers,
    and the output layer's logits :math:`z_L`.

    ``weights``/``biases``: :math:`W_1..W_L` ``(n_{l-1}, n_l)``/:math:`b_1..b_L`
    ``(n_l,)``; ``X``: ``(B, n_0)``. Returns ``[a_0, a_1, ..., a_{L-1}, z_L]``, entry
    ``l`` of shape ``(B, n_l)``: the output layer has no activation, since the softmax is
    part of the loss (:func:`cross_entropy`, :func:`output_error`).
    """
    f = ACTIVATIONS[activation].function
    layers = [X]
    for W, b in zip(weights[:-1], biases[:-1], strict=True):
        layers.append(f(pre_activation(layers[-1], W, b)))  # a_l = f(z_l)
    layers.append(pre_activation(layers[-1], weights[-1], biases[-1]))  # z_L
    return layers


def output_error(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    r""":math:`d_L = \partial J / \partial z_L = (\mathrm{softmax}(z_L) - Y) / B`, ``(B, n_L)``.

    ``logits``: :math:`z_L` ``(B, n_L)``; ``y``: ``(B,)`` labels (:math:`Y` their one-hot
    rows).
    """
    # BEGIN SOLUTION
    error = softmax(logits)
    error[np.arange(len(y)), y] -= 1.0
    return error / len(y)
    # END SOLUTION


def hidden_error(
    error: np.ndarray, W: np.ndarray, a_below: np.ndarray, activation: str
) -> np.ndarray:
    r""":math:`d_{l-1} = (d_l W_l^\top) \odot f'(z_{l-1})`, ``(B, n_{l-1})``: the chain rule
    through layer :math:`l`.

    ``error``: :math:`d_l` ``(B, n_l)``; ``W``: :math:`W_l` ``(n_{l-1}, n_l)``;
    ``a_below``: :math:`a_{l-1} = f(z_{l-1})` ``(B, n_{l-1})``, through which
    :math:`f'(z_{l-1})` is written.
    """
    # BEGIN SOLUTION
    return (error @ W.T) * ACTIVATIONS[activation].derivative(a_below)
    # END SOLUTION


def weight_gradient(a_below: np.ndarray, error: np.ndarray) -> np.ndarray:
    r""":math:`\partial J / \partial W_l = a_{l-1}^\top d_l`, ``(n_{l-1}, n_l)``.

    ``a_below``: :math:`a_{l-1}` ``(B, n_{l-1})``; ``error``: :math:`d_l` ``(B, n_l)``. The
    :math:`1/B` of the mean is already in :math:`d_l`.
    """
    # BEGIN SOLUTION
    return a_below.T @ error
    # END SOLUTION


def bias_gradient(error: np.ndarray) -> np.ndarray:
    r""":math:`\partial J / \partial b_l = \sum_\text{rows} d_l`, ``(n_l,)``, from
    :math:`d_l` ``(B, n_l)``."""
    # BEGIN SOLUTION
    return error.sum(axis=0)
    # END SOLUTION


def backward_errors(
    weights: list[np.ndarray], layers: list[np.ndarray], y: np.ndarray, activation: str
) -> list[np.ndarray]:
    r"""The error of every layer, :math:`[d_1, ..., d_L]`, entry ``l - 1`` ``(B, n_l)``.

    ``layers``: :func:`forward_reference`'s list. :math:`d_L` is :func:`output_error` of
    :math:`z_L`; each :math:`d_{l-1}` is :func:`hidden_error` of :math:`d_l`, from the
    output down to :math:`d_1` (none for the input).
    """
    errors = [output_error(layers[-1], y)]
    for layer in range(len(weights) - 1, 0, -1):  # l = L, ..., 2
        errors.insert(0, hidden_error(errors[0], weights[layer], layers[layer], activation))
    return errors


def backward_reference(
    weights: list[np.ndarray], layers: list[np.ndarray], y: np.ndarray, activation: str
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    r"""Gradients of the mean cross-entropy: ``(dW list, db list)`` shaped like the
    parameters, :math:`\partial J/\partial W_l` ``(n_{l-1}, n_l)`` and
    :math:`\partial J/\partial b_l` ``(n_l,)``.

    ``layers``: :func:`forward_reference`'s list; the errors :math:`d_l` come from
    :func:`backward_errors`, each layer's gradients from :func:`weight_gradient` and
    :func:`bias_gradient`.
    """
    errors = backward_errors(weights, layers, y, activation)
    dW = [weight_gradient(a_below, d) for a_below, d in zip(layers[:-1], errors, strict=True)]
    db = [bias_gradient(d) for d in errors]
    return dW, db


def sgd_update(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    dW: list[np.ndarray],
    db: list[np.ndarray],
    learning_rate: float,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    r"""One plain SGD step, :math:`W_l \leftarrow W_l - \eta\,\partial J/\partial W_l` and
    :math:`b_l \leftarrow b_l - \eta\,\partial J/\partial b_l` for every layer.

    Returns new ``(weights, biases)`` lists shaped like the inputs; the inputs are not
    modified. :class:`ScratchMLP` takes the same step on its fast path.
    """
    # BEGIN SOLUTION
    new_weights = [W - learning_rate * g for W, g in zip(weights, dW, strict=True)]
    new_biases = [b - learning_rate * g for b, g in zip(biases, db, strict=True)]
    # END SOLUTION
    return new_weights, new_biases


def _check_choice(name: str, value: Any, choices) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}: choose one of {', '.join(map(repr, choices))}")


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


def _dtype_name(dtype: Any) -> str:
    try:
        return np.dtype(dtype).name
    except TypeError:
        return repr(dtype)


def _copy_into(params: list[np.ndarray], values, row, name: str) -> None:
    """Copy one array per layer into the rows ``row`` of the packed ``params``."""
    values = list(values)
    if len(values) != len(params):
        raise ValueError(f"need {len(params)} {name} arrays, got {len(values)}")
    for layer, (target, value) in enumerate(zip(params, values, strict=True)):
        value = np.asarray(value)
        if value.shape != target[row].shape:
            raise ValueError(
                f"{name}[{layer}] must have shape {target[row].shape}, got {value.shape}"
            )
        target[row] = value


class NotFittedError(ValueError, AttributeError):
    """A :class:`ScratchMLP` used before :meth:`~ScratchMLP.fit` or
    :meth:`~ScratchMLP.initialize` gave it parameters (scikit-learn's exception of the
    same name has the same two bases)."""


class ScratchMLP:
    """Fully connected softmax classifier trained by mini-batch SGD (from scratch).

    It follows scikit-learn's estimator convention: the constructor only stores its
    arguments (it checks and draws nothing), :meth:`fit` checks them, initialises the
    network and trains it.

    Parameters
    ----------
    activation : ``"sigmoid" | "tanh" | "relu" | "leaky_relu"`` (hidden layers)
    weight_init : ``"random" | "normal" | "zero"`` (see the module docstring)
    hidden_layer_sizes : widths of the hidden layers (the original's 256, 128, 64, 32)
    n_inputs, n_classes : input width (784) and number of classes (10)
    learning_rate : SGD step size on the batch-mean gradient
    epochs : passes over the training set in :meth:`fit`
    batch_size : rows per SGD step (the last batch of an epoch may be smaller)
    bias_init : ``"as_weights"`` (the original: the weight rule with ``fan_in = 1``) or
        ``"zero"``, which draws the biases exactly as ``"as_weights"`` does and then sets
        them to 0: for one ``random_state`` both give the same weight matrices and the
        same epoch shuffles, and differ only in the biases.
    shuffle : reshuffle the training rows every epoch (the original kept one fixed order)
    early_stopping : stop when the validation loss has not improved for ``patience``
        epochs and restore the best epoch's weights (off by default)
    dtype : ``numpy.float64`` (default) or ``numpy.float32``
    random_state : seed, ``None`` or ``numpy.random.Generator``. :meth:`initialize`
        resolves it into the model's generator (``numpy.random.default_rng``: a
        Generator is used as it is, not copied) and draws the initial weights from it;
        the epoch shuffles of :meth:`fit` then continue on the same generator. The
        global NumPy seed is never used.
    warm_start : if true, :meth:`fit` on an initialised model continues from its
        current weights and generator instead of initialising again (scikit-learn's
        name and meaning).

    Life cycle
    ----------
    :meth:`fit` calls :meth:`initialize` (unless ``warm_start`` and already
    initialised), then trains. :meth:`initialize` can also be called directly:

    * ``initialize()`` draws the initial weights and biases, in the order
      ``W_1, b_1, W_2, b_2, ...``; then ``weights``, ``biases``, :meth:`gradients`,
      :meth:`sgd_step` and :meth:`train_epoch` work (a training loop of one's own, or
      an inspection of the initial network);
    * ``initialize(weights, biases)`` takes the parameters from outside and draws
      nothing (a rebuilt or loaded network). With ``warm_start=True`` a following
      :meth:`fit` trains from them.

    So ``fit(X, y)`` equals ``initialize()`` followed by ``fit(X, y)`` with
    ``warm_start=True``, number for number. Before either, ``weights``, ``biases`` and
    every method that needs them raise :class:`NotFittedError`.

    Attributes set by :meth:`fit` (not by :meth:`initialize`): ``history_`` (per-epoch
    ``train_loss``, ``train_accuracy`` and, with validation data, ``val_loss``,
    ``val_accuracy``) and ``best_epoch_`` (with ``early_stopping``, else ``None``).
    """

    def __init__(
        self,
        activation: str = "relu",
        weight_init: str = "normal",
        *,
        hidden_layer_sizes: tuple[int, ...] = HIDDEN_LAYER_SIZES,
        n_inputs: int = N_INPUTS,
        n_classes: int = N_CLASSES,
        learning_rate: float = 0.002,
        epochs: int = 100,
        batch_size: int = 128,
        bias_init: str = "as_weights",
        shuffle: bool = True,
        early_stopping: bool = False,
        patience: int = 10,
        dtype=np.float64,
        random_state: int | np.random.Generator | None = 0,
        warm_start: bool = False,
    ) -> None:
        self.activation = activation
        self.weight_init = weight_init
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_inputs = n_inputs
        self.n_classes = n_classes
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.bias_init = bias_init
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.patience = patience
        self.dtype = dtype
        self.random_state = random_state
        self.warm_start = warm_start

    def _validate_params(self) -> None:
        """Raise ``ValueError`` naming the first constructor argument that is invalid."""
        _check_choice("activation", self.activation, tuple(ACTIVATIONS))
        _check_choice("weight_init", self.weight_init, tuple(INITIALISATIONS))
        _check_choice("bias_init", self.bias_init, BIAS_INITS)
        if _dtype_name(self.dtype) not in ("float64", "float32"):
            raise ValueError(f"dtype must be float64 or float32, got {self.dtype!r}")
        for name in ("n_inputs", "n_classes", "epochs", "batch_size", "patience"):
            value = getattr(self, name)
            if not _is_positive_int(value):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n_classes < 2:
            raise ValueError(f"n_classes must be at least 2, got {self.n_classes}")
        sizes = self.hidden_layer_sizes
        if (
            isinstance(sizes, (str, bytes))
            or not hasattr(sizes, "__len__")
            or not len(sizes)
            or not all(_is_positive_int(n) for n in sizes)
        ):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes!r}")
        rate = self.learning_rate
        if not (
            isinstance(rate, (int, float, np.floating, np.integer))
            and not isinstance(rate, bool)
            and math.isfinite(rate)
            and rate > 0
        ):
            raise ValueError(f"learning_rate must be a positive number, got {rate!r}")
        seed = self.random_state
        if not (
            isinstance(seed, np.random.Generator)
            or seed is None
            or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool))
        ):
            raise ValueError(
                f"random_state must be an int, None or a numpy Generator, got {seed!r}"
            )

    # -- initialisation --------------------------------------------------------------

    def initialize(self, weights=None, biases=None) -> ScratchMLP:
        """Check the arguments, resolve ``random_state`` into the model's generator and
        set the initial parameters; returns ``self``.

        Without arguments the weights and biases are drawn from that generator
        (:meth:`_initial_parameters`); with ``weights`` and ``biases`` (one array per
        layer, shaped as the network's) they are copied in and nothing is drawn.
        """
        self._validate_params()
        if (weights is None) != (biases is None):
            raise ValueError("give both weights and biases, or neither")
        rng = np.random.default_rng(self.random_state)
        if weights is None:
            weights, biases = self._initial_parameters(rng)
        dtype = np.dtype(self.dtype)
        # one array per layer, (fan_in + 1, fan_out): the weights W_l with the biases b_l
        # as an extra last row, the fast path's layout (see helpers.scratch_kernels);
        # ``weights`` and ``biases`` are views into them
        params = [
            np.empty((fan_in + 1, fan_out), dtype=dtype) for fan_in, fan_out in self._shapes()
        ]
        _copy_into(params, weights, slice(None, -1), "weights")
        _copy_into(params, biases, -1, "biases")
        self._rng = rng  # draws the epoch shuffles of fit
        self._params = params
        # the fast path: training steps, gradients and logits on _params
        self._fused = kernels.FusedMLP(params, self.activation, *ACTIVATIONS[self.activation])
        return self

    def _initial_parameters(self, rng: np.random.Generator):
        """Draw ``(weights, biases)`` from ``rng`` in the order ``W_1, b_1, W_2, b_2, ...``.

        The biases are always drawn with the weight rule at ``fan_in = 1``;
        ``bias_init="zero"`` then sets them to 0, so the generator moves on exactly as
        with ``"as_weights"``.
        """
        init = INITIALISATIONS[self.weight_init]
        dtype = np.dtype(self.dtype)
        weights, biases = [], []
        for fan_in, fan_out in self._shapes():
            weights.append(np.ascontiguousarray(init(fan_in, fan_out, self.activation, rng, dtype)))
            bias = init(1, fan_out, self.activation, rng, dtype).ravel()
            if self.bias_init == "zero":
                bias = np.zeros_like(bias)
            biases.append(bias)
        return weights, biases

    def _is_initialized(self) -> bool:
        return hasattr(self, "_fused")

    def _fast_path(self) -> kernels.FusedMLP:
        """The fast path, or :class:`NotFittedError` before :meth:`initialize`."""
        if not self._is_initialized():
            raise NotFittedError(
                "this ScratchMLP has no weights yet: call fit() (or initialize()) first"
            )
        return self._fused

    # -- shapes and parameters ------------------------------------------------------

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """``(n_inputs, *hidden_layer_sizes, n_classes)``."""
        return tuple(int(n) for n in (self.n_inputs, *self.hidden_layer_sizes, self.n_classes))

    def _shapes(self) -> list[tuple[int, int]]:
        """``(fan_in, fan_out)`` of every layer's weight matrix."""
        sizes = self.layer_sizes
        return list(zip(sizes[:-1], sizes[1:], strict=True))

    @property
    def weights(self) -> list[np.ndarray]:
        """``W_l`` ``(fan_in, fan_out)`` per layer (views: in-place edits change the model)."""
        self._fast_path()
        return [p[:-1] for p in self._params]

    @weights.setter
    def weights(self, values) -> None:
        self._set_parameters(values, row=slice(None, -1), name="weights")

    @property
    def biases(self) -> list[np.ndarray]:
        """``b_l`` ``(fan_out,)`` per layer (views: in-place edits change the model)."""
        self._fast_path()
        return [p[-1] for p in self._params]

    @biases.setter
    def biases(self, values) -> None:
        self._set_parameters(values, row=-1, name="biases")

    def _set_parameters(self, values, row, name: str) -> None:
        self._fast_path()  # NotFittedError before initialize()
        _copy_into(self._params, values, row, name)

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments but ``random_state`` (JSON-friendly), as :meth:`save`
        stores them."""
        return {
            "activation": self.activation,
            "weight_init": self.weight_init,
            "hidden_layer_sizes": [int(n) for n in self.hidden_layer_sizes],
            "n_inputs": int(self.n_inputs),
            "n_classes": int(self.n_classes),
            "learning_rate": float(self.learning_rate),
            "epochs": int(self.epochs),
            "batch_size": int(self.batch_size),
            "bias_init": self.bias_init,
            "shuffle": bool(self.shuffle),
            "early_stopping": bool(self.early_stopping),
            "patience": int(self.patience),
            "dtype": np.dtype(self.dtype).name,
            "warm_start": bool(self.warm_start),
        }

    def __repr__(self) -> str:
        shape = " -> ".join(map(str, (self.n_inputs, *self.hidden_layer_sizes, self.n_classes)))
        return (
            f"ScratchMLP({shape}, activation={self.activation!r}, "
            f"weight_init={self.weight_init!r}, learning_rate={self.learning_rate}, "
            f"batch_size={self.batch_size}, dtype={_dtype_name(self.dtype)})"
        )

    # -- input checks ---------------------------------------------------------------

    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"X must have shape (n_samples, {self.n_inputs}), got {X.shape}")
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise ValueError(f"X must be real numbers, got dtype {X.dtype}")
        X = np.ascontiguousarray(X, dtype=self.dtype)
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values")
        return X

    def _check_y(self, y, n_rows: int) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n_rows:
            raise ValueError(f"y must have shape ({n_rows},) to match X, got {y.shape}")
        if not np.issubdtype(y.dtype, np.integer):
            if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
                y = y.astype(np.int64)
            else:
                raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(
                f"labels must lie in 0..{self.n_classes - 1}, got range {y.min()}..{y.max()}"
            )
        return y.astype(np.intp, copy=False)

    # -- gradients and single SGD steps (on the fast path) ---------------------------

    def gradients(self, X, y) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the mean cross-entropy on ``(X, y)``: ``(dW list, db list)`` (copies)."""
        fused = self._fast_path()
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        grads = fused.gradients(kernels.with_ones_column(X), y)  # [dW_l; db_l]
        return [g[:-1].copy() for g in grads], [g[-1].copy() for g in grads]

    def sgd_step(self, X, y) -> None:
        """One SGD step ``theta -= learning_rate * (batch-mean gradient)`` on ``(X, y)``."""
        fused = self._fast_path()
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        fused.sgd_step(kernels.with_ones_column(X), y, float(self.learning_rate))

    # -- training -------------------------------------------------------------------

    def train_epoch(self, X, y, epochs: int = 1) -> None:
        """``epochs`` passes of mini-batch SGD over ``(X, y)`` (a fresh random order each
        pass if ``shuffle``, from the model's generator), recording nothing: what the
        benchmark times. Continues from the current weights (see :meth:`initialize`)."""
        self._fast_path()
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        for _ in range(epochs):
            self._train_epoch(X, y)

    def _train_epoch(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """One epoch over the checked ``X``; returns the running ``(mean loss, accuracy)``
        over its batches, each batch measured just before its own step."""
        n, batch, learning_rate = X.shape[0], self.batch_size, float(self.learning_rate)
        loss_sum, correct = 0.0, 0
        order = self._rng.permutation(n) if self.shuffle else None
        for start in range(0, n, batch):
            rows = order[start : start + batch] if self.shuffle else slice(start, start + batch)
            batch_loss, batch_correct = self._fused.sgd_step_on_rows(
                X, y[rows], rows, learning_rate
            )
            loss_sum += batch_loss
            correct += batch_correct
        return loss_sum / n, correct / n

    def fit(
        self,
        X,
        y,
        X_val=None,
        y_val=None,
        *,
        train_metrics: str = "full",
        log_every: int = 0,
        log_prefix: str = "",
        stream=None,
    ) -> ScratchMLP:
        """Check the arguments and the data, :meth:`initialize` (unless ``warm_start``
        and already initialised, which continues from the current weights), then train
        for ``epochs`` epochs (fewer with early stopping); record per-epoch metrics in
        ``history_``.

        Validation metrics are computed on the whole validation set after each epoch.
        Train metrics: ``train_metrics="full"`` evaluates the whole training set after
        each epoch (exact, one extra forward pass over it); ``"running"`` averages the
        loss and accuracy of the epoch's batches, each measured just before its own SGD
        step (free; what scikit-learn's ``loss_curve_`` records). Never per batch.
        With ``log_every = k > 0`` a fixed-format line is printed every ``k`` epochs (to
        ``stream``, default stdout).
        """
        self._validate_params()
        _check_choice("train_metrics", train_metrics, ("full", "running"))
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        has_val = X_val is not None
        if has_val != (y_val is not None):
            raise ValueError("give both X_val and y_val, or neither")
        if has_val:
            X_val = self._check_X(X_val)
            y_val = self._check_y(y_val, X_val.shape[0])
        elif self.early_stopping:
            raise ValueError("early_stopping needs validation data (X_val, y_val)")
        if not (self.warm_start and self._is_initialized()):
            self.initialize()
        elif (self._fused.layer_sizes, self._fused.dtype) != (
            self.layer_sizes,
            np.dtype(self.dtype),
        ):
            raise ValueError(
                "warm_start: the layer sizes or dtype changed since initialize(); "
                "call initialize() again or set warm_start=False"
            )
        stream = sys.stdout if stream is None else stream
        keys = ["train_loss", "train_accuracy"] + (["val_loss", "val_accuracy"] if has_val else [])
        self.history_ = {key: [] for key in keys}
        self.best_epoch_ = None
        best_loss, best_params, waited = math.inf, None, 0
        for epoch in range(1, self.epochs + 1):
            loss, accuracy = self._train_epoch(X, y)
            if train_metrics == "full":
                loss, accuracy = self._evaluate(X, y)
            self.history_["train_loss"].append(loss)
            self.history_["train_accuracy"].append(accuracy)
            line = f"{log_prefix}epoch {epoch:3d}  train loss {approx(loss)} acc {approx(accuracy)}"
            if has_val:
                val_loss, val_accuracy = self._evaluate(X_val, y_val)
                self.history_["val_loss"].append(val_loss)
                self.history_["val_accuracy"].append(val_accuracy)
                line += f"  val loss {approx(val_loss)} acc {approx(val_accuracy)}"
            if log_every and (epoch % log_every == 0 or epoch == self.epochs):
                print(line, file=stream)
            if self.early_stopping:
                if val_loss < best_loss:
                    best_loss, waited, self.best_epoch_ = val_loss, 0, epoch
                    best_params = (
                        [w.copy() for w in self.weights],
                        [b.copy() for b in self.biases],
                    )
                else:
                    waited += 1
                    if waited >= self.patience:
                        if log_every:
                            print(
                                f"{log_prefix}early stop after epoch {epoch}: best epoch "
                                f"{self.best_epoch_}, val loss {approx(best_loss)}",
                                file=stream,
                            )
                        break
        if self.early_stopping and best_params is not None:
            self.weights, self.biases = best_params
        return self

    # -- prediction -----------------------------------------------------------------

    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """``(mean cross-entropy, accuracy)`` on the checked ``(X, y)``."""
        logits = self._fast_path().logits(X)
        return cross_entropy(logits, y), float(np.mean(logits.argmax(axis=1) == y))

    def decision_function(self, X) -> np.ndarray:
        """Logits ``z_L`` ``(n, n_classes)``."""
        fused = self._fast_path()
        return fused.logits(self._check_X(X))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` (row-wise softmax of the logits)."""
        fused = self._fast_path()
        return softmax(fused.logits(self._check_X(X)))

    def predict(self, X) -> np.ndarray:
        """Most probable class per row ``(n,)``."""
        fused = self._fast_path()
        return fused.logits(self._check_X(X)).argmax(axis=1)

    def score(self, X, y) -> float:
        """Accuracy on ``(X, y)``."""
        self._fast_path()
        X = self._check_X(X)
        return self._evaluate(X, self._check_y(y, X.shape[0]))[1]

    def loss(self, X, y) -> float:
        """Mean cross-entropy on ``(X, y)``."""
        self._fast_path()
        X = self._check_X(X)
        return self._evaluate(X, self._check_y(y, X.shape[0]))[0]

    # -- persistence (npz, no pickle) ---------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the weights, biases and constructor arguments to ``path`` (``.npz``)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        arrays = {f"W{i}": w for i, w in enumerate(self.weights)}
        arrays.update({f"b{i}": b for i, b in enumerate(self.biases)})
        arrays["params_json"] = np.array(json.dumps(self.get_params(), sort_keys=True))
        np.savez(path, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> ScratchMLP:
        """Rebuild a network written by :meth:`save` (read with ``allow_pickle=False``):
        :meth:`initialize` with the stored weights and biases, nothing drawn."""
        with np.load(path, allow_pickle=False) as data:
            params = json.loads(str(data["params_json"]))
            params["dtype"] = np.dtype(params["dtype"])
            model = cls(**params, random_state=None)
            model._validate_params()
            shapes = model._shapes()
            weights = [data[f"W{i}"] for i in range(len(shapes))]
            biases = [data[f"b{i}"] for i in range(len(shapes))]
        for i, (w, b, shape) in enumerate(zip(weights, biases, shapes, strict=True)):
            if w.shape != shape or b.shape != shape[1:]:
                raise ValueError(
                    f"{path}: layer {i} has shape {w.shape}/{b.shape}, expected {shape}/{shape[1:]}"
                )
        return model.initialize(weights, biases)
