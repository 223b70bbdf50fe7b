"""Worked example: a convolutional SNN on scikit-learn's digits, kernels kept in hardware.

Run from the repository root (``pip install -e '.[examples,dev]'`` first):

    .venv/bin/python examples/digits_cnn.py [--out digits_cnn_out] [--synth]

It trains a small ReLU CNN with numpy (one 3x3 convolution, 1 -> 8 channels,
stride 2, padding 1, then a fully connected layer 128 -> 10; 70/30 stratified
split, random_state 0; a few seconds), converts it to a spiking network
(:func:`compress.model.convert.convert_cnn`: the convolution keeps its kernel),
and evaluates with the hardware's golden model (255 steps, rate-coded pixels):
the uncompressed 8-bit design and compressed ones (fewer bits, pruning), each
with its estimated LUT/FF/RAM (``--synth``: also Yosys on iCE40 and ECP5).  It
builds the compressed design (the convolution as the ``conv`` layer style) and
proves it on Icarus against the golden model on one test digit.  Every figure it
prints comes from these steps.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from compress import CompressionConfig, HardwareOptions, save_network
from compress.analysis.estimate import estimate
from compress.analysis.evaluate import evaluate, plan_of
from compress.build import build
from compress.hardware.encoder import RateEncoder
from compress.model.conv import Conv
from compress.model.convert import convert_cnn

#: The convolution: 1x8x8 digits -> 8x4x4.
GEOMETRY = Conv((1, 8, 8), 8, (3, 3), stride=(2, 2), padding=(1, 1))


def train_cnn(
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 60,
    rate: float = 0.05,
    seed: int = 0,
    geometry: Conv = GEOMETRY,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train conv -> ReLU -> fully connected with softmax cross-entropy (minibatch SGD
    with momentum): ``(kernel, kernel bias, weights, bias)``; activations channel-major."""
    rng = np.random.default_rng(seed)
    g = geometry
    channels, per, taps = g.out_channels, g.n_out // g.out_channels, g.n_taps
    index = g.taps()[:per]  # (positions, taps) input index, -1 in the padding
    padded = np.concatenate([x, np.zeros((len(x), 1))], axis=1)
    patches = padded[:, index]  # (samples, positions, taps)
    kernel = rng.normal(0, np.sqrt(2 / taps), (channels, taps))
    kernel_bias = np.zeros(channels)
    weights = rng.normal(0, np.sqrt(2 / g.n_out), (10, g.n_out))
    bias = np.zeros(10)
    params = [kernel, kernel_bias, weights, bias]
    moments = [np.zeros_like(p) for p in params]
    onehot = np.eye(10)[y]
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(len(x)), max(1, len(x) // 32)):
            p, target = patches[batch], onehot[batch]
            z = p @ kernel.T + kernel_bias  # (b, positions, channels)
            h = np.maximum(z, 0).transpose(0, 2, 1).reshape(len(batch), -1)
            logits = h @ weights.T + bias
            prob = np.exp(logits - logits.max(axis=1, keepdims=True))
            prob /= prob.sum(axis=1, keepdims=True)
            d_logits = (prob - target) / len(batch)
            d_h = (d_logits @ weights).reshape(len(batch), channels, per).transpose(0, 2, 1)
            d_z = d_h * (z > 0)
            grads = [
                np.einsum("bpc,bpk->ck", d_z, p),
                d_z.sum(axis=(0, 1)),
                d_logits.T @ h,
                d_logits.sum(axis=0),
            ]
            for param, moment, grad in zip(params, moments, grads, strict=True):
                moment *= 0.9
                moment += grad
                param -= rate * moment
    return kernel.reshape(g.kernel_shape), kernel_bias, weights, bias


def float_accuracy(params, x: np.ndarray, y: np.ndarray, geometry: Conv = GEOMETRY) -> float:
    """The trained CNN's accuracy on ``x``."""
    kernel, kernel_bias, weights, bias = params
    per = geometry.n_out // geometry.out_channels
    h = np.maximum(geometry.apply(kernel, x) + np.repeat(kernel_bias, per), 0)
    return float(np.mean((h @ weights.T + bias).argmax(axis=1) == y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("digits_cnn_out"))
    parser.add_argument("--synth", action="store_true", help="also run Yosys (iCE40, ECP5)")
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, stratify=digits.target, random_state=0
    )
    start = time.perf_counter()
    params = train_cnn(x_train, y_train)
    print(
        f"float CNN conv 1x8x8 -> 8x4x4 (3x3, stride 2) -> 10: test accuracy "
        f"{100 * float_accuracy(params, x_test, y_test):.2f}% "
        f"(trained in {time.perf_counter() - start:.1f} s)"
    )
    kernel, kernel_bias, weights, bias = params
    conversion = convert_cnn([(kernel, GEOMETRY), weights], [kernel_bias, bias], x_train)
    network = conversion.network
    save_network(network, out / "digits_cnn.npz")
    print(
        f"converted: layer scales {[round(s, 2) for s in conversion.scales]}, "
        f"threshold rounding {[f'{100 * e:.0f}%' for e in conversion.threshold_error]}"
    )
    hardware = HardwareOptions(neuron_lanes=8, parallelism="event")
    designs = [
        ("uncompressed, 8 bits", CompressionConfig(bits=8)),
        ("6 bits, 30% pruned", CompressionConfig(bits=6, prune_percentile=30.0)),
        ("4 bits", CompressionConfig(bits=4)),
        ("4 bits, 50% pruned", CompressionConfig(bits=4, prune_percentile=50.0)),
    ]
    for name, config in designs:
        plan = plan_of(network, config, hardware)
        result = evaluate(plan, x_test, y_test)
        figures = ", ".join(
            f"{family} {e['luts']} LUT {e['ffs']} FF {e['bram_bits']} RAM bits"
            for family in ("ice40", "ecp5")
            for e in [estimate(plan, family)["total"]]
        )
        clocks = f"{result.clocks_per_step:.0f}" if result.clocks_per_step else "-"
        print(
            f"SNN {name}: test accuracy {100 * result.accuracy:.2f}% (golden model, 255 steps), "
            f"{clocks} clocks per step; estimate {figures}"
        )
    config = designs[-1][1]
    build(network, out / "design", config, hardware, force=True)
    if args.synth:
        from compress.measure.synth import synthesize

        for family in ("ice40", "ecp5"):
            cells = synthesize(out / "design", family)
            print(f"Yosys {family}: {cells}")
    from compress.verify.cocotb_run import run_sim

    spikes = RateEncoder(network.sizes[0]).encode(x_test[0], 64)  # one test digit
    tests, failures, _ = run_sim(out / "design", out / "sim", inputs=spikes, gaps=0.0, quiet=True)
    verdict = "PASS" if (tests, failures) == (1, 0) else "FAIL"
    print(f"cocotb/Icarus, {designs[-1][0]} against the golden model, one test digit: {verdict}")


if __name__ == "__main__":
    main()
