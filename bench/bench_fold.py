"""Folded versus fully parallel layers: Yosys cells of a 256-64 layer (issue 4).

Builds one 256-64 layer of 8-bit stochastic weights fully parallel, folded at
P = 8 (every fold order) and at P = 1, synthesizes each with Yosys for the requested
families and prints LUTs, flip-flops and block-RAM cells side by side, plus the
clocks per step.  The weight memory of a folded layer must come out as block
RAM (SB_RAM40_4K, DP16KD, RAMB18E1/RAMB36E1), not LUTs.

Slow: YoWASP Yosys takes 2 to 13 minutes per synthesis here (iCE40 is the
slowest); run ``make bench-fold`` or ``python bench/bench_fold.py --families xilinx``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from compress import Layer, Network
from compress.build import build
from compress.hardware.families import FAMILIES
from compress.hardware.plan import HardwareOptions
from compress.measure.cells import resources
from compress.measure.synth import synthesize

WORK = Path("bench_out")
VARIANTS = (
    ("full", None, "compact"),
    ("P=8 compact", 8, "compact"),
    ("P=8 banked", 8, "banked"),
    ("P=8 aligned", 8, "aligned"),
    ("P=1", 1, "compact"),
    ("P=1 aligned", 1, "aligned"),
)


def layer_256_64() -> Network:
    """A 256-64 layer of random 8-bit stochastic weights (fixed seed)."""
    rng = np.random.default_rng(3)
    w = rng.uniform(0.02, 0.98, (64, 256)) * rng.choice([-1, 1], (64, 256))
    w[0, 0] = 1.0  # fixes the full scale; the one constant synapse
    return Network((Layer(w, threshold=4.0),))


def cells(stat: dict) -> tuple[int, int, int]:
    """(LUTs, flip-flops, block-RAM cells) of a Yosys ``stat -json``."""
    counted = resources(stat)
    return counted["luts"], counted["ffs"], counted["brams"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=sorted(FAMILIES), choices=list(FAMILIES))
    parser.add_argument(
        "--variants", nargs="+", default=[v[0] for v in VARIANTS], choices=[v[0] for v in VARIANTS]
    )
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    net = layer_256_64()
    print("256-64 layer, 8-bit weights; Yosys synth_<family> -flatten")
    print(
        f"{'family':7s} {'variant':12s} {'clocks/step':>11s} {'LUT':>7s} {'FF':>6s} "
        f"{'BRAM':>5s} {'time':>6s}"
    )
    for family in args.families:
        for label, parallelism, order in VARIANTS:
            if label not in args.variants:
                continue
            folder = WORK / f"fold_256_64_{label.replace('=', '').replace(' ', '_')}_{family}"
            hardware = HardwareOptions(parallelism=parallelism, fold_order=order)
            result = build(net, folder, hardware=hardware, force=True)
            start = time.perf_counter()
            luts, ffs, brams = cells(synthesize(folder, family))
            seconds = time.perf_counter() - start
            print(
                f"{family:7s} {label:12s} {result.plan.clocks_per_step:11d} {luts:7d} {ffs:6d} "
                f"{brams:5d} {seconds:5.0f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
