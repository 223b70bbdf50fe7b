"""How fast ``optimize`` runs on an MNIST-size network: points per second.

    .venv/bin/python bench/bench_optimize.py [--samples 1000] [--steps 64] [--points 8]

A point of ``optimize`` (:func:`compress.sweep.run_point`) compresses the network,
plans it, estimates it for every family and evaluates it with the golden model on
the validation data; with ``--fit PART`` it also ranks the point against the part
(:func:`compress.analysis.parts.rank`: every layer style and lane count planned and
estimated, every undominated combination tried) and evaluates the fitted design.
This times ``--points`` points of a 784-128-10 network (seeded random weights, the
size of ``examples/mnist.py``'s MLP; random [0, 1] features, so the accuracy means
nothing here) on ``--samples`` samples x ``--steps`` steps, without a part and with
``up5k`` and ``ecp5-25k``, on one process and on two (``jobs``), each from an empty
cache, and prints points per second and what a point's parts cost.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from compress import CompressionConfig, Layer, Network
from compress.analysis.evaluate import evaluate
from compress.analysis.parts import rank
from compress.hardware.encoder import RateEncoder
from compress.hardware.plan import plan_network
from compress.model.passes import LayerCompression, compress_network
from compress.sweep import Point, SweepData, run_points


def _network() -> Network:
    rng = np.random.default_rng(784)
    return Network(
        (
            Layer(rng.normal(0, 0.05, (128, 784)), threshold=1.0, bias=rng.normal(0, 0.1, 128)),
            Layer(rng.normal(0, 0.2, (10, 128)), threshold=1.0),
        )
    )


def _points(count: int) -> list[Point]:
    """Points like an optimize round's: one layer's bits or pruning changed."""
    out = []
    for n in range(count):
        layers = {
            0: LayerCompression(bits=8 - n % 3, prune_percentile=10.0 * (n % 6)),
            1: LayerCompression(bits=8, prune_percentile=0.0),
        }
        out.append(Point(CompressionConfig(bits=8, layers=layers)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--points", type=int, default=8)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    network = _network()
    x, y = rng.random((args.samples, 784)), rng.integers(0, 10, args.samples)
    data = SweepData(network, x, y, steps=args.steps, input_stream="vdc")
    points = _points(args.points)

    point = points[1]
    start = time.perf_counter()
    compression = compress_network(network, point.config)
    plan = plan_network(compression, "sc_network", point.hardware)
    planned = time.perf_counter() - start
    start = time.perf_counter()
    evaluate(plan, x, y, steps=args.steps, encoder=RateEncoder(784, 8, 0, "vdc"))
    evaluated = time.perf_counter() - start
    print(
        f"one point, 784-128-10, {args.samples} samples x {args.steps} steps: compress + "
        f"plan {planned:.2f} s, evaluate {evaluated:.2f} s"
    )
    for part in ("up5k", "ecp5-25k"):
        start = time.perf_counter()
        rank(compression, part)
        print(f"  rank against the {part}: {time.perf_counter() - start:.2f} s")

    print("| part | jobs | points | seconds | points per second |")
    print("|---|---|---|---|---|")
    for part in (None, "up5k", "ecp5-25k"):
        for jobs in (1, 2):
            with tempfile.TemporaryDirectory() as cache:
                start = time.perf_counter()
                run_points(data, points, cache, jobs=jobs, part=part)
                seconds = time.perf_counter() - start
            print(
                f"| {part or '-'} | {jobs} | {len(points)} | {seconds:.1f} | "
                f"{len(points) / seconds:.2f} |"
            )


if __name__ == "__main__":
    main()
