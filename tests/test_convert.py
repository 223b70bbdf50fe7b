"""ANN-to-SNN conversion of a ReLU MLP."""

import numpy as np
import pytest

from compress import CompressionConfig
from compress.analysis.evaluate import evaluate, plan_of
from compress.model.convert import convert_mlp


def _mlp(seed=0):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.normal(0, 0.5, (32, 16)), rng.normal(0, 0.1, 32)
    w2, b2 = rng.normal(0, 0.5, (5, 32)), rng.normal(0, 0.1, 5)
    x = rng.random((300, 16))
    labels = (np.maximum(x @ w1.T + b1, 0) @ w2.T + b2).argmax(axis=1)
    return (w1, w2), (b1, b2), x, labels


def test_normalisation_follows_the_activation_scales():
    weights, biases, x, _ = _mlp()
    conv = convert_mlp(weights, biases, x[:100], percentile=100.0)
    hidden = np.maximum(x[:100] @ weights[0].T + biases[0], 0)
    assert conv.scales[0] == pytest.approx(hidden.max())
    first, second = conv.network.layers
    assert np.allclose(first.weights, weights[0] / conv.scales[0])
    assert np.allclose(second.weights, weights[1] * conv.scales[0] / conv.scales[1])
    assert np.allclose(second.bias, biases[1] / conv.scales[1])
    assert first.reset == "subtract" and float(first.threshold) == 1.0 and first.leak_shift is None
    assert len(conv.threshold_error) == 2 and all(0 <= e < 1 for e in conv.threshold_error)


def test_converted_network_classifies_like_the_mlp():
    weights, biases, x, labels = _mlp()
    conv = convert_mlp(weights, biases, x[:100])
    result = evaluate(plan_of(conv.network, CompressionConfig(bits=8)), x[100:], labels[100:])
    assert result.accuracy >= 0.85  # 0.93 measured: rate coding over 255 steps


def test_conversion_checks_its_inputs():
    weights, biases, x, _ = _mlp()
    with pytest.raises(ValueError, match=r"^biases must number 2 \(one per layer\), not 1$"):
        convert_mlp(weights, biases[:1], x)
    with pytest.raises(ValueError, match=r"^calibration inputs must be in \[0, 1\]"):
        convert_mlp(weights, biases, x * 3)
    with pytest.raises(
        ValueError, match=r"^calibration must have shape \(samples, 16\), not \(4,\)$"
    ):
        convert_mlp(weights, biases, np.zeros(4))
