"""Evaluation speed: 540 samples x 255 steps of a 64-32-10 network (the digits test set's size).

Prints the batched golden model's time (``compress.analysis.evaluate.evaluate``: the rate
encoder, every layer, the readout) and, for the ratio, the same samples run one
at a time.  Target (issue 11): under 1 s on this 2-core machine.
Run: ``.venv/bin/python bench/bench_evaluate.py``.
"""

from __future__ import annotations

import time

import numpy as np

from compress import CompressionConfig, Layer, Network
from compress.analysis.evaluate import evaluate, plan_of
from compress.hardware.encoder import RateEncoder
from compress.hardware.golden import simulate


def main() -> None:
    rng = np.random.default_rng(0)
    net = Network(
        (
            Layer(
                rng.normal(0, 0.3, (32, 64)),
                threshold=1.0,
                reset="subtract",
                bias=rng.normal(0, 0.1, 32),
            ),
            Layer(rng.normal(0, 0.3, (10, 32)), threshold=1.0, reset="subtract"),
        )
    )
    plan = plan_of(net, CompressionConfig(bits=8, prune_percentile=40))
    x = rng.random((540, 64))
    y = rng.integers(0, 10, 540)
    evaluate(plan, x[:8], y[:8])  # warm-up
    start = time.perf_counter()
    result = evaluate(plan, x, y, steps=255)
    batched = time.perf_counter() - start
    encoder = RateEncoder(64)
    start = time.perf_counter()
    for sample in x[:54]:
        simulate(plan, encoder.encode(sample, 255))
    single = (time.perf_counter() - start) * 10
    print(
        f"evaluate 540 samples x 255 steps, 64-32-10: {batched:.3f} s batched "
        f"({540 * 255 / batched:,.0f} sample-steps/s); one sample at a time: {single:.2f} s "
        f"(54 samples timed, x10); ratio {single / batched:.1f}x; "
        f"rates {[round(r, 3) for r in result.layer_rates()]}"
    )


if __name__ == "__main__":
    main()
