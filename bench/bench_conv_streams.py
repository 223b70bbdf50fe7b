"""A convolution's random streams: one per kernel weight (the conv style's rule) against
an independent stream for every synapse (output neuron, input position).

    .venv/bin/python bench/bench_conv_streams.py [--bits 4 6 8] [--steps 255]

The network is ``examples/digits_cnn.py``'s (trained the same way, test split the same).
For each weight width it prints:

- the mean |correlation| over one LFSR period of the weight-bit streams one neuron sums
  (its synapses with stochastic codes) and of the streams two neighbouring neurons of a
  channel read for the same kernel weight (1 under the kernel rule: they share it);
- the test accuracy of the golden model (the rule the hardware has) against the same
  network whose first layer draws an independent uniform random value for every
  synapse and step (what a layer storing a stream per synapse could approach), over
  ``--repeats`` draws.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from digits_cnn import GEOMETRY, train_cnn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from compress import CompressionConfig, HardwareOptions  # noqa: E402
from compress.analysis.evaluate import plan_of  # noqa: E402
from compress.hardware.encoder import RateEncoder  # noqa: E402
from compress.hardware.golden import layer_counts, neuron_update, simulate  # noqa: E402
from compress.hardware.ir import CONSTANT, DROPPED, STOCHASTIC, NetworkPlan  # noqa: E402
from compress.model.convert import convert_cnn  # noqa: E402


def _correlations(layer) -> tuple[float, float]:
    """Mean |corr| of the stochastic weight-bit streams within a neuron, and of one
    kernel weight's streams at two neighbouring positions (shared: 1)."""
    tables = layer.stream_tables()
    values = []
    for c in range(layer.codes.shape[0]):
        cols = np.flatnonzero(layer.classes[c] == STOCHASTIC)
        bits = np.array(
            [tables[layer.streams[c, j]] <= layer.levels[c, j] for j in cols], dtype=float
        )
        if len(bits) < 2:
            continue
        corr = np.corrcoef(bits)
        values.append(np.abs(corr[np.triu_indices(len(bits), 1)]).mean())
    return float(np.nanmean(values)), 1.0


def _independent_counts(layer, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Layer 0's counts with an independent uniform random value in ``1..period`` for
    every synapse (output neuron, tap) and step: ``x`` is ``(batch, steps, n_in)``."""
    conv = layer.conv
    batch, steps, _ = x.shape
    per = conv.n_out // conv.out_channels
    taps = conv.taps()[:per]
    padded = np.concatenate([x, np.zeros((batch, steps, 1), dtype=x.dtype)], axis=2)
    n_taps = conv.n_taps
    classes, levels = layer.classes, layer.levels
    signs = layer.signs.astype(np.float32)
    out = np.zeros((batch, steps, layer.n_out), dtype=np.int64)
    for t in range(steps):
        patch = padded[:, t][:, taps].astype(np.float32)  # (batch, positions, taps)
        r = rng.integers(1, layer.period + 1, (conv.out_channels, per, levels.shape[1]))
        bits = (r <= levels[:, None, :]) | (classes == CONSTANT)[:, None, :]
        bits &= (classes != DROPPED)[:, None, :]
        weights = bits * signs[:, None, :]  # (channels, positions, taps [+ bias])
        counts = np.einsum("bpk,cpk->bcp", patch, weights[:, :, :n_taps])
        if layer.bias:
            counts += weights[:, :, n_taps][None]
        out[:, t] = counts.reshape(batch, -1).astype(np.int64)
    return out


def _accuracy(plan: NetworkPlan, spikes: np.ndarray, y: np.ndarray, first: np.ndarray) -> float:
    """Accuracy when layer 0's counts are ``first``; the rest is the golden model."""
    _, fired = neuron_update(plan.layers[0], first)
    rest = simulate(NetworkPlan(plan.top, plan.layers[1:]), fired.astype(np.int8))
    return float(np.mean(rest.counts[-1].sum(axis=1).argmax(axis=1) == y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", type=int, nargs="+", default=[4, 6, 8])
    parser.add_argument("--steps", type=int, default=255)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, stratify=digits.target, random_state=0
    )
    kernel, kernel_bias, weights, bias = train_cnn(x_train, y_train)
    network = convert_cnn([(kernel, GEOMETRY), weights], [kernel_bias, bias], x_train).network
    spikes = RateEncoder(network.sizes[0]).encode(x_test, args.steps).astype(np.int8)
    print(f"digits CNN (test split {len(y_test)}), {args.steps} steps")
    for bits in args.bits:
        plan = plan_of(network, CompressionConfig(bits=bits), HardwareOptions())
        layer = plan.layers[0]
        within, neighbours = _correlations(layer)
        ours = _accuracy(plan, spikes, y_test, layer_counts(layer, spikes))
        rng = np.random.default_rng(0)
        independent = [
            _accuracy(plan, spikes, y_test, _independent_counts(layer, spikes, rng))
            for _ in range(args.repeats)
        ]
        print(
            f"  {bits} bits: |corr| within a neuron {within:.2f}, same weight at neighbouring "
            f"positions {neighbours:.2f}; accuracy kernel streams {100 * ours:.2f}%, "
            f"independent per synapse {100 * np.mean(independent):.2f}% "
            f"(+-{100 * np.std(independent):.2f}, {args.repeats} draws)"
        )


if __name__ == "__main__":
    main()
