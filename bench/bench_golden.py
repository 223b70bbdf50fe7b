"""Golden-model speed: steps per second of :func:`compress.hardware.golden.simulate`.

Prints steps/s (and synapse-steps/s) for a 64-32-10 and a 784-128-10 random
network at 8 bits, 20% input spike rate.  Run: ``.venv/bin/python bench/bench_golden.py``.
"""

from __future__ import annotations

import time

import numpy as np

from compress import CompressionConfig, Layer, Network, compress_network
from compress.hardware.golden import simulate
from compress.hardware.plan import plan_network


def _network(sizes: tuple[int, ...]) -> Network:
    rng = np.random.default_rng(0)
    return Network(
        tuple(Layer(rng.uniform(-1, 1, (o, i))) for i, o in zip(sizes, sizes[1:], strict=False))
    )


def main() -> None:
    for sizes, steps in (((64, 32, 10), 255), ((784, 128, 10), 64)):
        plan = plan_network(compress_network(_network(sizes), CompressionConfig(bits=8)))
        x = np.random.default_rng(1).random((steps, sizes[0])) < 0.2
        simulate(plan, x[:2])  # warm-up: stream tables
        start = time.perf_counter()
        simulate(plan, x)
        seconds = time.perf_counter() - start
        synapses = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
        print(
            f"golden model {'-'.join(map(str, sizes))}: {steps} steps in {seconds:.3f} s, "
            f"{steps / seconds:,.0f} steps/s, "
            f"{synapses * steps / seconds / 1e6:.1f} M synapse-steps/s"
        )


if __name__ == "__main__":
    main()
