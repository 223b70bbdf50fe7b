"""The two stream rules (issue 22): ``tap`` (one stream per input tap) against ``code``.

``code`` (the default): a stochastic synapse's stream is the rank of its code among the
neuron's synapses of that code (``compress.hardware.streams.assign_streams``): few
streams, but a folded, event or convolution layer stores the stream number in every
weight word.  ``tap`` gives every input tap its own stream, register ``s >> B`` through
permutation ``s % 2**B``, which the RTL finds from the row it reads, so the memories
hold only sign and code.  Both keep every count exact over the period (every stream is
a maximal-length LFSR seen through a bit permutation).

Printed, per network and weight bits:

* the streams each rule needs, and the stream bits a folded or event weight word stores
  (today's ``stream_bits``; none by line: the row's address names the line);
* the mean absolute pairwise correlation of the weight bit streams ``[r(t) <= m]`` one
  neuron sums, over one period (independent streams would give about
  ``sqrt(2 / (pi * period))``);
* the digits test accuracy of the golden model (255 steps) with each rule, and at 64
  steps (mean and spread over 6 rate-encoder seeds: short windows show the streams'
  correlation in time, which the pairwise correlation above does not);
* the network built event-driven (8 neuron lanes): weight-memory bits, and the
  estimated iCE40 LUTs and flip-flops (``--synth``: Yosys ``synth_ice40`` too, not for
  the 784-input network).

Run ``python bench/bench_streams.py [--synth]`` (about a minute; 5 with ``--synth``).
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from compress import CompressionConfig, HardwareOptions, Layer, Network, compress_network
from compress.analysis.estimate import estimate
from compress.analysis.evaluate import evaluate, plan_of
from compress.build import build
from compress.hardware.encoder import RateEncoder
from compress.hardware.ir import STOCHASTIC
from compress.hardware.plan import plan_network
from compress.hardware.streams import STREAM_RULES
from compress.measure.cells import resources
from compress.measure.synth import synthesize
from compress.model.convert import convert_mlp
from compress.model.examples import example_network


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


def hardware(network, bits, rule, synth):
    """Weight-memory bits, flip-flops and the estimated iCE40 LUTs of ``network`` built
    event-driven (8 neuron lanes) with ``rule``; with ``synth`` Yosys' LUT4 and FF too."""
    options = HardwareOptions(parallelism="event", neuron_lanes=8, stream_rule=rule)
    result = compress_network(network, CompressionConfig(bits=bits))
    plan = plan_network(result, "sc_network", options)
    memory = sum(int(np.prod(layer.style.weight_rows(layer))) for layer in plan.layers)
    total = estimate(plan, "ice40")["total"]
    out = {"memory": memory, "est_lut": total["luts"], "est_ff": total["ffs"]}
    if synth:
        with tempfile.TemporaryDirectory(dir=".") as work:
            build(network, Path(work) / "b", CompressionConfig(bits=bits), options)
            cells = resources(synthesize(Path(work) / "b", "ice40"))
        out |= {"lut": cells["luts"], "ff": cells["ffs"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth", action="store_true", help="also synthesize (Yosys, iCE40)")
    args = parser.parse_args()
    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, stratify=digits.target, random_state=0
    )
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=600, random_state=0)
    mlp.fit(x_train, y_train)
    rng = np.random.default_rng(0)
    wide = Network(
        (
            Layer(rng.normal(0, 0.05, (128, 784)), threshold=1.0),
            Layer(rng.normal(0, 0.2, (10, 128)), threshold=1.0),
        )
    )
    networks = {
        "digits 64-32-10": convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_train).network,
        "random_64_32_10": example_network("random_64_32_10"),
        "random 784-128-10": wide,
    }
    print(
        "| network | bits | rule | streams per layer | stream bits per word | mean abs corr "
        "(independent ~) | digits accuracy | at 64 steps | event weight bits | "
        "est. iCE40 LUT / FF |" + (" Yosys iCE40 LUT / FF |" if args.synth else "")
    )
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if args.synth else ""))
    for name, network in networks.items():
        for bits in (4, 6, 8):
            for rule in STREAM_RULES:
                try:
                    plan = plan_of(
                        network, CompressionConfig(bits=bits), HardwareOptions(stream_rule=rule)
                    )
                except ValueError as exc:
                    print(f"| {name} | {bits} | {rule} | refused: {exc} |")
                    continue
                corr, period = correlation(plan)
                independent = np.sqrt(2 / (np.pi * period))
                accuracy = short = "-"
                if name.startswith("digits"):
                    accuracy = f"{100 * evaluate(plan, x_test, y_test).accuracy:.2f}%"
                    runs = [
                        evaluate(
                            plan, x_test, y_test, steps=64, encoder=RateEncoder(64, 8, seed)
                        ).accuracy
                        for seed in range(6)
                    ]
                    short = f"{100 * np.mean(runs):.2f}% ± {100 * np.std(runs):.2f}"
                streams = [len(layer.stream_defs) for layer in plan.layers]
                stored = [layer.stream_bits for layer in plan.layers]
                hw = hardware(network, bits, rule, args.synth and "784" not in name)
                synth = (
                    f" {hw['lut']} / {hw['ff']} |"
                    if "lut" in hw
                    else (" - |" if args.synth else "")
                )
                print(
                    f"| {name} | {bits} | {rule} | {streams} | {stored} | "
                    f"{corr:.3f} ({independent:.3f}) | {accuracy} | {short} | {hw['memory']:,} | "
                    f"{hw['est_lut']:,} / {hw['est_ff']:,} |{synth}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
