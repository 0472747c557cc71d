"""Tests of helpers.scratch_kernels: the fast path equals the reference pass, layer by layer.

Every intermediate result of the fused kernels (each layer's activations, the output
error, each layer's error, each layer's gradients, the fused SGD update, the chunked
logits) is compared with the reference pass of helpers.scratch_nn in float64, to 1e-12
relative, for every activation; then the BLAS wrapper itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import scratch_kernels as kernels
from helpers import scratch_nn as nn
from helpers.scratch_nn import ACTIVATIONS, ScratchMLP

SMALL = dict(hidden_layer_sizes=(6, 5, 4), n_inputs=7, n_classes=3)
RTOL = 1e-12


def assert_close(fast: np.ndarray, ref: np.ndarray) -> None:
    """Equal shapes and ``|fast - ref| <= 1e-12 (|ref| + max |ref|)`` elementwise: 1e-12
    relative, where entries far below the array's scale count relative to that scale."""
    assert fast.shape == ref.shape
    np.testing.assert_allclose(fast, ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())


def setup(name, n=40, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n, SMALL["n_inputs"]))
    y = rng.integers(0, SMALL["n_classes"], size=n).astype(np.intp)
    model = ScratchMLP(name, "normal", random_state=3, **SMALL).initialize()
    layers = nn.forward_reference(model.weights, model.biases, X, name)
    return model, X, y, layers


def run_forward(model, X):
    fused = model._fused
    x_aug = kernels.with_ones_column(X)
    buffers = fused.buffers(X.shape[0])
    logits = kernels.forward_logits(fused.gemm, fused.f, fused.params, x_aug, buffers.acts)
    return fused, x_aug, buffers, logits


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_equals_the_reference_layer_by_layer(name):
    model, X, _, layers = setup(name)
    _, _, buffers, logits = run_forward(model, X)
    assert logits is buffers.acts[-1]
    for act, a_ref in zip(buffers.acts[:-1], layers[1:-1], strict=True):
        assert_close(act[:-1].T, a_ref)  # a_l, feature-major
        np.testing.assert_array_equal(act[-1], 1.0)  # the row of ones is intact
    assert_close(logits.T, layers[-1])  # z_L


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_output_error_equals_the_reference(name):
    model, X, y, layers = setup(name)
    _, _, buffers, logits = run_forward(model, X)
    probs = kernels.softmax_columns(logits)
    assert probs is logits
    assert_close(probs.T, nn.softmax(layers[-1]))
    error = kernels.output_error_columns(
        probs, y, buffers.columns, 1.0 / len(y), out=buffers.deltas[-1]
    )
    assert error is buffers.deltas[-1]
    assert_close(error.T, nn.output_error(layers[-1], y))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_errors_and_gradients_equal_the_reference_for_every_layer(name):
    model, X, y, layers = setup(name)
    fused, x_aug, buffers, logits = run_forward(model, X)
    kernels.output_error_columns(
        kernels.softmax_columns(logits), y, buffers.columns, 1.0 / len(y), out=buffers.deltas[-1]
    )
    grads = kernels.backward_gradients(fused.gemm, fused.times_slope, fused.params, x_aug, buffers)
    assert grads is buffers.grads
    for delta, d_ref in zip(
        buffers.deltas, nn.backward_errors(model.weights, layers, y, name), strict=True
    ):
        assert_close(delta.T, d_ref)  # d_l, every layer
    ref_w, ref_b = nn.backward_reference(model.weights, layers, y, name)
    for grad, dW, db in zip(grads, ref_w, ref_b, strict=True):
        assert_close(grad[:-1], dW)
        assert_close(grad[-1], db)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_fused_sgd_step_equals_a_reference_step(name):
    model, X, y, layers = setup(name)
    lr = 0.3
    ref_w, ref_b = nn.backward_reference(model.weights, layers, y, name)
    expected = [
        np.vstack([W - lr * dW, b - lr * db])
        for W, b, dW, db in zip(model.weights, model.biases, ref_w, ref_b, strict=True)
    ]
    fused, x_aug, buffers, logits = run_forward(model, X)
    loss_sum, correct = kernels.softmax_columns_with_metrics(logits, y, buffers.columns)
    kernels.output_error_columns(logits, y, buffers.columns, lr / len(y), out=buffers.deltas[-1])
    assert (
        kernels.backward_sgd_step(fused.gemm, fused.times_slope, fused.params, x_aug, buffers)
        is None
    )
    for params, want in zip(fused.params, expected, strict=True):
        assert_close(params, want)
    assert loss_sum == pytest.approx(len(y) * nn.cross_entropy(layers[-1], y), rel=RTOL)
    assert correct == int(np.sum(layers[-1].argmax(axis=1) == y))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_softmax_with_metrics_leaves_the_same_probabilities(name):
    model, X, y, _ = setup(name)
    _, _, buffers, logits = run_forward(model, X)
    plain = kernels.softmax_columns(logits.copy())
    metrics = kernels.softmax_columns_with_metrics(logits, y, buffers.columns)
    np.testing.assert_array_equal(logits, plain)  # bitwise: the same operations
    assert isinstance(metrics, tuple) and type(metrics[0]) is float and type(metrics[1]) is int


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_logits_in_chunks_equal_the_reference(name):
    model, X, _, layers = setup(name, n=23)
    fused = model._fused
    for chunk in (4096, 5):
        logits = kernels.logits_in_chunks(
            fused.gemm, fused.f, model.weights, model.biases, X, chunk=chunk
        )
        assert_close(logits, layers[-1])
    np.testing.assert_array_equal(fused.logits(X), model.decision_function(X))


def test_relu_shortcut_equals_the_generic_slope_product_bitwise():
    rng = np.random.default_rng(0)
    a = nn.relu(rng.normal(size=(6, 9)))
    a[0, :3] = 0.0
    error = rng.normal(size=(6, 9))
    generic = kernels.times_derivative(nn.relu_grad)(error.copy(), a.copy())
    shortcut = kernels.times_relu_slope(error.copy(), a.copy())
    np.testing.assert_array_equal(shortcut, generic)
    assert kernels.slope_product("relu", nn.relu_grad) is kernels.times_relu_slope
    slopes = a.copy()
    kernels.slope_product("tanh", nn.tanh_grad)(error.copy(), slopes)
    np.testing.assert_array_equal(slopes, nn.tanh_grad(a))  # overwrites a with f'(z)


def test_batch_buffers_shapes():
    buffers = kernels.batch_buffers((7, 6, 5, 3), rows=4, dtype=np.float32)
    assert buffers.x.shape == (4, 8) and (buffers.x[:, -1] == 1).all()
    assert [a.shape for a in buffers.acts] == [(7, 4), (6, 4), (3, 4)]
    assert [d.shape for d in buffers.deltas] == [(6, 4), (5, 4), (3, 4)]
    assert [g.shape for g in buffers.grads] == [(8, 6), (7, 5), (6, 3)]
    assert all(a.dtype == np.float32 for a in buffers.acts + buffers.deltas + buffers.grads)
    np.testing.assert_array_equal(buffers.columns, np.arange(4))


def test_fused_network_reuses_buffers_per_batch_size():
    model = ScratchMLP("tanh", "normal", random_state=0, **SMALL).initialize()
    fused = model._fused
    assert fused.layer_sizes == model.layer_sizes
    assert fused.buffers(5) is fused.buffers(5) and fused.buffers(5) is not fused.buffers(6)
    assert fused.params is model._params  # shared, so steps change the model


# ---------------------------------------------------------------- matrix products


def _ordered(matrix, order):
    return matrix.copy(order=order)  # always a copy: ``out`` must not alias ``start``


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("orders", ["CCC", "CCF", "CFC", "FCC", "FFF", "FFC", "CFF", "FCF"])
def test_matmul_into_matches_numpy_in_every_memory_order(orders, dtype):
    from scipy.linalg.blas import get_blas_funcs

    gemm = get_blas_funcs("gemm", dtype=dtype)
    rng = np.random.default_rng(0)
    a = _ordered(rng.standard_normal((5, 3)).astype(dtype), orders[0])
    b = _ordered(rng.standard_normal((3, 4)).astype(dtype), orders[1])
    start = rng.standard_normal((5, 4)).astype(dtype)
    out = _ordered(start, orders[2])
    address = out.ctypes.data
    assert kernels.matmul_into(gemm, a, b, out) is out
    assert out.ctypes.data == address  # written in place
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out, a @ b, rtol=tol, atol=tol)
    out[...] = start
    kernels.matmul_into(gemm, a, b, out, alpha=-0.5, beta=1.0)  # out <- out - a b / 2
    np.testing.assert_allclose(out, start - 0.5 * (a @ b), rtol=tol, atol=tol)


def test_matmul_into_refuses_to_work_on_a_copy():
    from scipy.linalg.blas import get_blas_funcs

    gemm = get_blas_funcs("gemm", dtype=np.float64)
    a, b = np.ones((3, 2)), np.ones((2, 4))
    with pytest.raises(RuntimeError, match="in place"):
        kernels.matmul_into(gemm, a, b, np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        kernels.matmul_into(gemm, a, b, np.zeros((3, 8))[:, ::2])
    with pytest.raises(ValueError, match="contiguous"):
        kernels.matmul_into(gemm, np.ones((3, 4))[:, ::2], b, np.zeros((3, 4)))
