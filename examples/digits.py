"""Worked example: scikit-learn's digits, from a trained MLP to a verified, optimized design.

Run from the repository root (``pip install -e '.[examples,dask,dev]'`` first):

    .venv/bin/python examples/digits.py [--out digits_out] [--max-drop 2] [--family ice40]

It trains a 64-32-10 ReLU MLP (70/30 stratified split, random_state 0; a few
seconds), converts it to a spiking network (``compress.model.convert``), evaluates the
uncompressed 8-bit hardware, sweeps bits and pruning (``sweep.html``), runs
``optimize`` for the fewest estimated LUTs within ``--max-drop`` points, builds
the winner and proves it on Icarus against the golden model for one encoder
period.  Every figure it prints comes from these steps.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from compress import CompressionConfig, HardwareOptions, save_network
from compress.analysis.evaluate import evaluate, plan_of
from compress.model.convert import convert_mlp
from compress.sweep import Point, SweepData, grid, optimize, run_points, write_sweep

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("digits_out"))
    parser.add_argument("--max-drop", type=float, default=2.0)
    parser.add_argument("--family", default="ice40")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, stratify=digits.target, random_state=0
    )
    start = time.perf_counter()
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=600, random_state=0).fit(
        x_train, y_train
    )
    print(
        f"float MLP 64-32-10: test accuracy {100 * mlp.score(x_test, y_test):.2f}% "
        f"(trained in {time.perf_counter() - start:.1f} s)"
    )

    conversion = convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_train)
    network = conversion.network
    save_network(network, out / "digits.npz")
    np.savez(out / "test.npz", x=x_test, y=y_test)
    print(
        f"converted: layer scales {[round(s, 2) for s in conversion.scales]}, "
        f"threshold rounding {[f'{100 * e:.0f}%' for e in conversion.threshold_error]}"
    )

    for bits, hardware, note in [
        (8, None, ""),
        (4, HardwareOptions(decorrelate=0), ", plain 3-bit LFSRs"),
        (4, None, ", decorrelated (the default at 4 bits)"),
    ]:
        result = evaluate(plan_of(network, CompressionConfig(bits=bits), hardware), x_test, y_test)
        print(
            f"uncompressed SNN, {bits} bits{note}, 255 steps: "
            f"test accuracy {100 * result.accuracy:.2f}%"
        )

    data = SweepData(network, x_test, y_test)
    points = grid(
        [4, 6, 8],
        [None, 30.0, 50.0, 70.0],
        [None, 1.0],
        ["full"],
        layer_options={1: {"prune_percentile": [0.0, 50.0]}},
    )
    start = time.perf_counter()
    rows = run_points(data, points, out / "cache", jobs=args.jobs)
    reference = run_points(data, [Point(CompressionConfig(bits=8))], out / "cache")[0]
    write_sweep(out, rows, reference)
    print(
        f"sweep: {len(points)} points in {time.perf_counter() - start:.0f} s, {out / 'sweep.html'}"
    )

    start = time.perf_counter()
    best, figures, history = optimize(
        data, out / "cache", max_drop=args.max_drop, family=args.family, jobs=args.jobs
    )
    first, luts = history[0]["luts"], figures["estimate"][args.family]["luts"]
    print(f"optimize (--max-drop {args.max_drop}, {args.family}): {best.label()}")
    print(
        f"  accuracy {100 * figures['accuracy']:.2f}% vs "
        f"{100 * figures['reference_accuracy']:.2f}% "
        f"uncompressed; {luts} vs {first} estimated LUTs ({100 * (1 - luts / first):.1f}% fewer); "
        f"{len(history) - 1} rounds in {time.perf_counter() - start:.0f} s"
    )
    for family, total in sorted(figures["estimate"].items()):
        print(
            f"  {family}: {total['luts']} LUT, {total['ffs']} FF, {total['brams']} BRAM (estimated)"
        )

    from compress.build import build

    build(network, out / "winner", best.config, best.hardware, force=True)
    build(network, out / "dense", CompressionConfig(bits=8), force=True)
    (out / "winner" / "optimize.json").write_text(
        json.dumps({"label": best.label(), "figures": figures, "history": history}, indent=2) + "\n"
    )
    sys.path.insert(0, str(ROOT / "sim"))
    from compress.hardware.encoder import RateEncoder
    from compress.verify.cocotb_run import run_sim

    spikes = RateEncoder(network.sizes[0]).encode(x_test[0], 255)  # one test digit, one period
    tests, failures, _ = run_sim(out / "winner", out / "sim", inputs=spikes, gaps=0.0)
    verdict = "PASS" if (tests, failures) == (1, 0) else "FAIL"
    print(
        f"cocotb/Icarus, the winner against the golden model, one test digit, 255 steps: {verdict}"
    )


if __name__ == "__main__":
    main()
