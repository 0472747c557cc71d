r"""The fast path of :class:`helpers.scratch_nn.ScratchMLP`: fused BLAS training kernels.

:mod:`helpers.scratch_nn` states the network's equations and computes them as they read
(the reference pass). This module computes the *same numbers* for training and
prediction, rearranged for speed; ``tests/test_scratch_kernels.py`` checks every
intermediate result (each layer's activations, the output error, each layer's error
and gradients) against the reference pass to ``1e-12`` relative, for every activation.
Nothing here is needed to understand backpropagation.

Performance notes (all of them: nothing about speed lives anywhere else)
-----------------------------------------------------------------------
``make bench`` measures the result (``tools/bench.py``; numbers in the README's
"Speed" section): at batch 128 the training step reaches about 70 % of the machine's
float64 matmul peak, 1.5x scikit-learn's ``MLPClassifier``.

1. **Bias as an extra weight row.** Each layer's parameters live in one array
   ``[W_l; b_l]`` of shape ``(n_{l-1} + 1, n_l)`` and every input to a layer carries a
   constant 1, so one ``gemm`` gives :math:`z_l` *with* its bias, and one gives
   ``[dW_l; db_l]`` (no separate broadcast add, no separate row sum).
   ``ScratchMLP.weights``/``biases`` are views into these arrays.
2. **Feature-major activations.** Inside a training step activations and errors are
   stored transposed, ``(n_l, B)``: :math:`z_l^\top = [W_l; b_l]^\top [a_{l-1}; 1]^\top`
   lets BLAS split the long feature dimension between threads, measurably faster at
   batch 128 than ``(B, n_l)``. Each hidden activation buffer has an extra last row of
   ones (the constant input of the next layer's bias row).
3. **Preallocated buffers, in-place elementwise work.** :class:`BatchBuffers` holds
   every array of a step for one batch size and is reused for every batch of that size;
   activations, softmax, output error and slopes are computed in place, and the
   backward pass overwrites the stored activations :math:`a_l` with the slopes
   :math:`f'(z_l)` once they are no longer needed.
4. **The step size applied once.** The learning rate and the ``1/B`` of the batch mean
   multiply the output error :math:`d_L` (``B x n_L`` numbers) once; by linearity every
   error and gradient below carries the factor.
5. **The SGD update fused into the gradient product.** ``gemm`` computes
   :math:`C \leftarrow \alpha A B + \beta C`; with :math:`\beta = 1, \alpha = -1` it
   applies ``[W_l; b_l] -= [a_{l-1}; 1]^T d_l`` in place (:func:`backward_sgd_step`), so
   no gradient array is written and no separate pass reads it back (for the 785 x 256
   first layer that pass costs as much as the product). :math:`d_{l-1}` is computed
   from :math:`W_l` *before* the update changes it.
6. **One BLAS for every product of a step: SciPy's.** pip's NumPy and SciPy each bundle
   their own OpenBLAS, whose thread pools slow each other down several-fold when calls
   alternate between them; and ``numpy.matmul`` has no ``beta``. :func:`matmul_into`
   calls SciPy's ``dgemm``/``sgemm`` directly, passing C-ordered arrays as transposed
   Fortran arrays, so nothing is ever copied.
7. **The loss and accuracy for free.** The running training metrics (the batch's
   summed cross-entropy and correct answers) are read off the logits while the softmax
   is computed from them (:func:`softmax_columns_with_metrics`): log-sum-exp from the
   same max-shift and the same column sums.
8. **The input gathered straight into its buffer.** Each batch's rows are copied from
   ``X`` into the preallocated ``[x | 1]`` buffer (:meth:`FusedMLP.sgd_step_on_rows`;
   measured faster than ``np.take(..., out=)``); an augmented copy of the whole data
   set (8,000 MNIST rows: 50 MB of fresh memory) would be as slow to fault in as
   several SGD steps.
9. **ReLU's slope in one pass.** For relu the error is multiplied by the mask
   ``a > 0`` directly (:func:`times_relu_slope`) instead of writing ``f'(z)`` first.
10. **Prediction in chunks** of 4,096 rows (:func:`logits_in_chunks`): batch-major, bias
    added by broadcasting; bounded memory for any number of rows.

Every function here has one return type; the training step and the gradient
computation are separate functions (no flag switches between them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import get_blas_funcs

#: ``error <- error * f'(z)`` computed from ``a = f(z)``, in place; returns ``error``.
SlopeProduct = Callable[[np.ndarray, np.ndarray], np.ndarray]

# ----------------------------------------------------------------------- matrix products


def _as_fortran(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """``(array, trans)`` with ``array`` Fortran-ordered and ``op(array) == matrix``
    (``op`` the transpose when ``trans`` is 1): a C-ordered matrix is passed as its
    transpose, so BLAS reads the memory as it is and nothing is copied."""
    if matrix.flags.f_contiguous:
        return matrix, 0
    if matrix.flags.c_contiguous:
        return matrix.T, 1
    raise ValueError("matmul_into needs C- or Fortran-contiguous operands")


def matmul_into(
    gemm, a: np.ndarray, b: np.ndarray, out: np.ndarray, *, alpha: float = 1.0, beta: float = 0.0
) -> np.ndarray:
    r"""``out <- alpha a b + beta out`` in place, by one BLAS ``gemm`` call; returns ``out``.

    ``gemm`` is SciPy's ``dgemm``/``sgemm`` (:func:`scipy.linalg.blas.get_blas_funcs`);
    ``a``: ``(m, k)``, ``b``: ``(k, n)`` and ``out``: ``(m, n)`` may each be C- or
    Fortran-ordered (a C-ordered ``out`` is filled as :math:`out^\top = b^\top a^\top`).
    With ``beta = 1`` the product is added to ``out`` (notes 5 and 6 of the module
    docstring).
    """
    if out.flags.f_contiguous:
        c, (A, trans_a), (B, trans_b) = out, _as_fortran(a), _as_fortran(b)
    elif out.flags.c_contiguous:
        c, (A, trans_a), (B, trans_b) = out.T, _as_fortran(b.T), _as_fortran(a.T)
    else:
        raise ValueError("matmul_into needs a C- or Fortran-contiguous out")
    result = gemm(alpha, A, B, beta=beta, c=c, trans_a=trans_a, trans_b=trans_b, overwrite_c=1)
    if result is not c:  # f2py returns c itself when it wrote in place, else a copy
        raise RuntimeError(
            f"gemm did not write in place: {a.dtype}, {b.dtype} into "
            f"{out.dtype} with {gemm.__name__}"
        )
    return out


# ----------------------------------------------------------------------- buffers


@dataclass
class BatchBuffers:
    """Every array of one training step for a batch of ``rows`` (note 3).

    ``L`` layers of widths ``n_0, ..., n_L``; all arrays feature-major (note 2).
    """

    #: ``(rows, n_0 + 1)``: the input rows with a constant last column of ones.
    x: np.ndarray
    #: ``[a_l^T; 1]`` ``(n_l + 1, rows)`` for the hidden layers ``l = 1..L-1``, then
    #: ``z_L^T`` ``(n_L, rows)``, which the softmax turns into ``P^T`` in place.
    acts: list[np.ndarray]
    #: ``d_l^T`` ``(n_l, rows)`` for ``l = 1..L``.
    deltas: list[np.ndarray]
    #: ``[dW_l; db_l]`` ``(n_{l-1} + 1, n_l)``: the gradients, in the parameters' layout.
    grads: list[np.ndarray]
    #: ``arange(rows)``: picks each column's true class, ``z[y, columns]``.
    columns: np.ndarray


def batch_buffers(layer_sizes: Sequence[int], rows: int, dtype) -> BatchBuffers:
    """Preallocated :class:`BatchBuffers` for ``layer_sizes`` ``(n_0, ..., n_L)``."""
    sizes = list(layer_sizes)
    acts = [np.empty((n + 1, rows), dtype=dtype) for n in sizes[1:-1]]
    for act in acts:
        act[-1] = 1.0
    acts.append(np.empty((sizes[-1], rows), dtype=dtype))
    x = np.empty((rows, sizes[0] + 1), dtype=dtype)
    x[:, -1] = 1.0
    return BatchBuffers(
        x=x,
        acts=acts,
        deltas=[np.empty((n, rows), dtype=dtype) for n in sizes[1:]],
        grads=[
            np.empty((n_in + 1, n_out), dtype=dtype)
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
        ],
        columns=np.arange(rows),
    )


def with_ones_column(X: np.ndarray) -> np.ndarray:
    """``[X | 1]``: ``X`` ``(n, d)`` -> ``(n, d + 1)``, a new array of ``X``'s dtype."""
    out = np.empty((X.shape[0], X.shape[1] + 1), dtype=X.dtype)
    out[:, :-1] = X
    out[:, -1] = 1.0
    return out


# ----------------------------------------------------------------------- forward


def forward_logits(
    gemm,
    f: Callable[..., np.ndarray],
    params: Sequence[np.ndarray],
    x_aug: np.ndarray,
    acts: Sequence[np.ndarray],
) -> np.ndarray:
    r"""Forward pass of a batch: fills ``acts`` (see :class:`BatchBuffers`), returns
    :math:`z_L^\top` ``(n_L, rows)`` (``acts[-1]``).

    ``params[l]``: ``[W_{l+1}; b_{l+1}]``; ``x_aug``: ``[X | 1]`` ``(rows, n_0 + 1)``;
    ``f(z, out=z)`` the hidden activation. Per hidden layer
    :math:`z_l^\top = [W_l; b_l]^\top [a_{l-1}; 1]^\top`, then :math:`a_l = f(z_l)` in place.
    """
    a = x_aug.T
    for layer_params, act in zip(params[:-1], acts[:-1], strict=True):
        z = act[:-1]  # leave the row of ones alone
        matmul_into(gemm, layer_params.T, a, z)  # z^T = [W; b]^T [a; 1]^T
        f(z, out=z)
        a = act
    return matmul_into(gemm, params[-1].T, a, acts[-1])


def softmax_columns(z: np.ndarray) -> np.ndarray:
    r"""Column-wise softmax in place: logits :math:`z_L^\top` ``(n_L, rows)`` become
    :math:`P^\top`; returns ``z``."""
    z -= z.max(axis=0, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=0, keepdims=True)
    return z


def softmax_columns_with_metrics(
    z: np.ndarray, y: np.ndarray, columns: np.ndarray
) -> tuple[float, int]:
    r""":func:`softmax_columns` of ``z`` ``(n_L, rows)`` in place, returning the batch's
    ``(summed cross-entropy, number of correct answers)`` read off the logits on the way
    (note 7): :math:`\sum_i [\log \sum_k e^{z_{ki}} - z_{y_i i}]` by log-sum-exp.

    ``y``: ``(rows,)`` labels; ``columns``: ``arange(rows)``.
    """
    correct = int(np.count_nonzero(z.argmax(axis=0) == y))
    z -= z.max(axis=0, keepdims=True)  # every column's maximum is now 0
    true_logit = z[y, columns]
    np.exp(z, out=z)
    sums = z.sum(axis=0, keepdims=True)
    z /= sums  # P^T
    return float(np.log(sums).sum() - true_logit.sum()), correct


# ----------------------------------------------------------------------- backward


def output_error_columns(
    probs: np.ndarray, y: np.ndarray, columns: np.ndarray, scale: float, out: np.ndarray
) -> np.ndarray:
    r"""``out`` :math:`\leftarrow` ``scale`` :math:`(P - Y)^\top` ``(n_L, rows)``; returns
    ``out``.

    ``scale = 1/B`` gives :math:`d_L^\top`, ``scale = lr/B`` the step's error (note 4).
    """
    np.copyto(out, probs)
    out[y, columns] -= 1.0
    out *= scale
    return out


def times_relu_slope(error: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``error *= [a > 0]`` in place (relu's slope, note 9); returns ``error``."""
    return np.multiply(error, a > 0.0, out=error)


def times_derivative(derivative: Callable[..., np.ndarray]) -> SlopeProduct:
    """The :data:`SlopeProduct` ``error *= derivative(a)``, which overwrites ``a`` with
    the slope (``derivative(a, out=a)``)."""

    def times_slope(error: np.ndarray, a: np.ndarray) -> np.ndarray:
        error *= derivative(a, out=a)
        return error

    return times_slope


#: Activations whose slope product has a faster, equal, special form.
SLOPE_SHORTCUTS: dict[str, SlopeProduct] = {"relu": times_relu_slope}


def slope_product(activation: str, derivative: Callable[..., np.ndarray]) -> SlopeProduct:
    """The :data:`SlopeProduct` of ``activation``: its shortcut if it has one, otherwise
    :func:`times_derivative` of ``derivative`` (``f'`` written through ``a = f(z)``)."""
    return SLOPE_SHORTCUTS.get(activation) or times_derivative(derivative)


def backward_gradients(
    gemm,
    times_slope: SlopeProduct,
    params: Sequence[np.ndarray],
    x_aug: np.ndarray,
    buffers: BatchBuffers,
) -> list[np.ndarray]:
    r"""Gradients ``[dW_l; db_l]`` of every layer into ``buffers.grads``; returns that list.

    Needs :func:`forward_logits` and :func:`output_error_columns` (into
    ``buffers.deltas[-1]``) on the batch first. For ``l = L..1``:
    :math:`d_{l-1}^\top = (W_l d_l^\top) \odot f'(z_{l-1})^\top` and
    ``[dW_l; db_l]`` :math:`= [a_{l-1}; 1]^\top d_l`. Overwrites the stored hidden
    activations with their slopes; fills ``buffers.deltas`` with every :math:`d_l^\top`.
    """
    acts, deltas, grads = buffers.acts, buffers.deltas, buffers.grads
    delta = deltas[-1]
    for layer in range(len(params) - 1, 0, -1):
        a_below = acts[layer - 1]
        below = matmul_into(gemm, params[layer][:-1], delta, deltas[layer - 1])  # W_l d_l^T
        matmul_into(gemm, a_below, delta.T, grads[layer])  # [a; 1]^T d = [dW; db]
        delta = times_slope(below, a_below[:-1])  # d_{l-1}^T, over a_{l-1}^T
    matmul_into(gemm, x_aug.T, delta.T, grads[0])  # no error for the input
    return grads


def backward_sgd_step(
    gemm,
    times_slope: SlopeProduct,
    params: Sequence[np.ndarray],
    x_aug: np.ndarray,
    buffers: BatchBuffers,
) -> None:
    r"""The SGD step itself, fused (note 5): ``[W_l; b_l] -= [a_{l-1}; 1]^T d_l`` in
    place for every layer, with ``buffers.deltas[-1]`` already holding
    ``lr/B`` :math:`(P - Y)^\top` (:func:`output_error_columns`).

    Each :math:`d_{l-1}` is computed from :math:`W_l` before the update changes it.
    Overwrites the stored hidden activations with their slopes.
    """
    acts, deltas = buffers.acts, buffers.deltas
    delta = deltas[-1]
    for layer in range(len(params) - 1, 0, -1):
        a_below = acts[layer - 1]
        below = matmul_into(gemm, params[layer][:-1], delta, deltas[layer - 1])  # W_l d_l^T
        matmul_into(gemm, a_below, delta.T, params[layer], alpha=-1.0, beta=1.0)
        delta = times_slope(below, a_below[:-1])
    matmul_into(gemm, x_aug.T, delta.T, params[0], alpha=-1.0, beta=1.0)


# ----------------------------------------------------------------------- prediction


def logits_in_chunks(
    gemm,
    f: Callable[..., np.ndarray],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    X: np.ndarray,
    chunk: int = 4096,
) -> np.ndarray:
    """Logits :math:`z_L` ``(n, n_L)`` of ``X`` ``(n, n_0)``, ``chunk`` rows at a time
    (note 10); ``f(z, out=z)`` the hidden activation."""
    out = np.empty((X.shape[0], weights[-1].shape[1]), dtype=weights[-1].dtype)
    last = len(weights) - 1
    for start in range(0, X.shape[0], chunk):
        a = X[start : start + chunk]
        for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
            z = matmul_into(gemm, a, W, np.empty((a.shape[0], W.shape[1]), dtype=W.dtype))
            z += b
            a = f(z, out=z) if layer < last else z
        out[start : start + chunk] = a
    return out


# ----------------------------------------------------------------------- the fused network


class FusedMLP:
    """The fast path of one network: its packed parameters, BLAS and buffers.

    ``params``: the network's ``[W_l; b_l]`` arrays, shared, not copied (the steps
    update them in place); ``f``/``derivative``: the hidden activation and its
    derivative through ``a = f(z)``, both accepting ``out=``.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        activation: str,
        f: Callable[..., np.ndarray],
        derivative: Callable[..., np.ndarray],
    ) -> None:
        self.params = params
        self.dtype = params[0].dtype
        self.layer_sizes = (params[0].shape[0] - 1, *(p.shape[1] for p in params))
        self.gemm = get_blas_funcs("gemm", dtype=self.dtype)  # dgemm or sgemm
        self.f = f
        self.times_slope = slope_product(activation, derivative)
        self._buffers: dict[int, BatchBuffers] = {}

    def buffers(self, rows: int) -> BatchBuffers:
        """The :class:`BatchBuffers` of batches of ``rows`` rows (made once, then reused)."""
        buffers = self._buffers.get(rows)
        if buffers is None:
            buffers = self._buffers[rows] = batch_buffers(self.layer_sizes, rows, self.dtype)
        return buffers

    def gradients(self, x_aug: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Gradients ``[dW_l; db_l]`` of the mean cross-entropy on ``([X | 1], y)``
        (buffers, overwritten by the next call)."""
        rows = x_aug.shape[0]
        buffers = self.buffers(rows)
        probs = softmax_columns(forward_logits(self.gemm, self.f, self.params, x_aug, buffers.acts))
        output_error_columns(probs, y, buffers.columns, 1.0 / rows, out=buffers.deltas[-1])
        return backward_gradients(self.gemm, self.times_slope, self.params, x_aug, buffers)

    def sgd_step(self, x_aug: np.ndarray, y: np.ndarray, learning_rate: float) -> tuple[float, int]:
        """One SGD step on ``([X | 1], y)``; returns the batch's ``(summed loss, correct
        answers)`` before the step."""
        buffers = self.buffers(x_aug.shape[0])
        logits = forward_logits(self.gemm, self.f, self.params, x_aug, buffers.acts)
        metrics = softmax_columns_with_metrics(logits, y, buffers.columns)
        output_error_columns(
            logits, y, buffers.columns, learning_rate / x_aug.shape[0], out=buffers.deltas[-1]
        )
        backward_sgd_step(self.gemm, self.times_slope, self.params, x_aug, buffers)
        return metrics

    def sgd_step_on_rows(
        self, X: np.ndarray, y_batch: np.ndarray, rows, learning_rate: float
    ) -> tuple[float, int]:
        """:meth:`sgd_step` on ``X[rows]``, gathered straight into the batch buffer
        (note 8); ``y_batch`` is ``y[rows]``."""
        x_batch = self.buffers(len(y_batch)).x
        x_batch[:, :-1] = X[rows]
        return self.sgd_step(x_batch, y_batch, learning_rate)

    def logits(self, X: np.ndarray) -> np.ndarray:
        """:func:`logits_in_chunks` of ``X`` ``(n, n_0)`` with the current parameters."""
        return logits_in_chunks(
            self.gemm, self.f, [p[:-1] for p in self.params], [p[-1] for p in self.params], X
        )
