"""Random streams by position (issues 21 and 22): one stream per input line against today's.

Today a stochastic synapse's stream is the rank of its code among the neuron's synapses
of that code (``compress.hardware.streams.assign_streams``): few streams, but a folded or
event layer stores the stream number in every weight word.  The rule measured here gives
input line ``j`` one stream for every neuron (``stream = j``), so the memories hold only
sign and code, and a convolution's kernel tap can name its stream by its position.  Both
keep every count exact over the period (every stream is a maximal-length LFSR seen
through a bit permutation) and no neuron sums two synapses of one stream.

Printed, per network and weight bits:

* the streams each rule needs, and the stream bits a folded or event weight word stores
  (today's ``stream_bits``; none by line: the row's address names the line);
* the mean absolute pairwise correlation of the weight bit streams ``[r(t) <= m]`` one
  neuron sums, over one period (independent streams would give about
  ``sqrt(2 / (pi * period))``);
* the digits test accuracy of the golden model (255 steps) with each rule.

Run ``python bench/bench_streams.py`` (about a minute).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from compress import CompressionConfig
from compress.analysis.evaluate import evaluate, plan_of
from compress.hardware.ir import STOCHASTIC
from compress.hardware.streams import StreamPool
from compress.model.convert import convert_mlp
from compress.model.examples import example_network


def by_line(plan):
    """``plan`` with one stream per input line that has a stochastic synapse."""
    pool, layers = StreamPool(), []
    for layer in plan.layers:
        stochastic = layer.classes == STOCHASTIC
        lines = np.flatnonzero(stochastic.any(axis=0))
        seeds, defs = (
            pool.take(layer.lfsr_width, len(lines), layer.index) if lines.size else ((), [])
        )
        index = np.full(layer.n_in, -1, dtype=np.int32)
        index[lines] = np.arange(lines.size, dtype=np.int32)
        streams = np.where(stochastic, index[None, :], -1).astype(np.int32)
        layers.append(
            dataclasses.replace(layer, streams=streams, seeds=seeds, stream_defs=tuple(defs))
        )
    return dataclasses.replace(plan, layers=tuple(layers))


def correlation(plan, neurons=24, pairs=300, seed=0):
    """Mean |corr| of the weight bit streams of pairs of one neuron's stochastic synapses."""
    rng = np.random.default_rng(seed)
    values = []
    for layer in plan.layers:
        tables = layer.stream_tables()
        levels = layer.levels
        stochastic = layer.classes == STOCHASTIC
        for i in rng.choice(layer.n_out, min(neurons, layer.n_out), replace=False):
            cols = np.flatnonzero(stochastic[i])
            if cols.size < 2:
                continue
            bits = tables[layer.streams[i, cols]] <= levels[i, cols][:, None]
            good = bits.std(axis=1) > 0
            bits = bits[good].astype(float)
            combos = list(itertools.combinations(range(len(bits)), 2))
            for a, b in (combos[k] for k in rng.permutation(len(combos))[:pairs]):
                values.append(abs(np.corrcoef(bits[a], bits[b])[0, 1]))
    return float(np.mean(values)), int(plan.layers[0].period)


def main() -> None:
    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, stratify=digits.target, random_state=0
    )
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=600, random_state=0)
    mlp.fit(x_train, y_train)
    networks = {
        "digits 64-32-10": convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_train).network,
        "random_64_32_10": example_network("random_64_32_10"),
    }
    print(
        "| network | bits | rule | streams per layer | stream bits per word | mean abs corr "
        "(independent ~) | digits accuracy |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, network in networks.items():
        for bits in (4, 6, 8):
            today = plan_of(network, CompressionConfig(bits=bits))
            for rule, plan in (("code rank (today)", today), ("one per line", by_line(today))):
                corr, period = correlation(plan)
                independent = np.sqrt(2 / (np.pi * period))
                accuracy = "-"
                if name.startswith("digits"):
                    accuracy = f"{100 * evaluate(plan, x_test, y_test).accuracy:.2f}%"
                streams = [len(layer.stream_defs) for layer in plan.layers]
                stored = [layer.stream_bits for layer in plan.layers] if plan is today else 0
                print(
                    f"| {name} | {bits} | {rule} | {streams} | {stored} | "
                    f"{corr:.3f} ({independent:.3f}) | {accuracy} |"
                )


if __name__ == "__main__":
    main()
