"""Convolution layers (the ``conv`` style): the estimate against Yosys, clocks per step,
and the NIR paper's CNN on small parts.

    .venv/bin/python bench/bench_conv.py [--families ice40 ecp5 xilinx] [--no-synth]
                                         [--cnn] [--pnr]

1. Four single-convolution networks (random kernels, the layer the last one, so its
   counts are used as in any design): the estimate's LUT/FF/BRAM against Yosys
   (``synth_<family> -flatten``) per family, with the relative error: designs
   beside the two convolutions of the LUT model's calibration set and the one held
   out.
2. With ``--cnn`` (needs ``../shared/nir-paper/cnn_sinabs.nir``): the paper's N-MNIST
   network (2x34x34 -> conv 5x5/2 -> conv 3x3 -> sum pool + conv 3x3 -> 256 -> 10):
   ``--fit`` on the UP5K and the ECP5-25k (or by how much it misses), the estimate
   of the design with the dense layers event-driven, clocks per step from the golden
   model at input activities of 1%, 2% and 5%, and inferences per second for a
   30-step window at a given clock (``--mhz``); ``--pnr`` also synthesizes that
   design for ECP5 (minutes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compress import CompressionConfig, HardwareOptions, Layer, Network  # noqa: E402
from compress.analysis.estimate import estimate  # noqa: E402
from compress.analysis.evaluate import plan_of  # noqa: E402
from compress.analysis.parts import choose  # noqa: E402
from compress.build import build  # noqa: E402
from compress.hardware.golden import simulate  # noqa: E402
from compress.measure.cells import resources  # noqa: E402
from compress.measure.synth import synthesize  # noqa: E402
from compress.model.conv import Conv  # noqa: E402
from compress.model.passes import compress_network  # noqa: E402

PAPER = ROOT.parent / "shared" / "nir-paper"

#: (name, geometry, lanes, bits) of the single-convolution designs.
DESIGNS = [
    ("digits 1x8x8 -> 8, 3x3/2", Conv((1, 8, 8), 8, (3, 3), (2, 2), (1, 1)), 8, 6),
    ("2x16x16 -> 8, 3x3 pad 1", Conv((2, 16, 16), 8, (3, 3), (1, 1), (1, 1)), 4, 8),
    ("4x12x12 -> 16, 5x5/2", Conv((4, 12, 12), 16, (5, 5), (2, 2), (2, 2)), 8, 4),
    ("2x34x34 -> 16, 5x5/2 (cnn layer 0)", Conv((2, 34, 34), 16, (5, 5), (2, 2)), 16, 8),
]


def _single(geometry: Conv, seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    kernel = rng.normal(0, 0.5, geometry.kernel_shape)
    bias = rng.normal(0, 0.2, geometry.out_channels)
    return Network([Layer(kernel, threshold=1.5, bias=bias, conv=geometry)])


def estimate_vs_yosys(families: list[str], synth: bool) -> None:
    print("1. single convolutions: estimate vs Yosys (LUT / FF / BRAM)")
    for name, geometry, lanes, bits in DESIGNS:
        config = CompressionConfig(bits=bits, prune_percentile=30.0)
        hardware = HardwareOptions(neuron_lanes=lanes)
        plan = plan_of(_single(geometry), config, hardware)
        line = [f"  {name}, {lanes} lanes, {bits} bits:"]
        with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
            if synth:
                build(_single(geometry), tmp, config, hardware, force=True)
            for family in families:
                est = estimate(plan, family)["total"]
                text = f"{family} est {est['luts']}/{est['ffs']}/{est['brams']}"
                if synth:
                    got = resources(synthesize(tmp, family))
                    error = (est["luts"] - got["luts"]) / max(1, got["luts"])
                    ff_error = (est["ffs"] - got["ffs"]) / max(1, got["ffs"])
                    text += (
                        f" yosys {got['luts']}/{got['ffs']}/{got['brams']}"
                        f" (LUT {100 * error:+.0f}%, FF {100 * ff_error:+.0f}%)"
                    )
                line.append(text)
        print("\n      ".join(line))


def paper_cnn(mhz: float, pnr: bool) -> None:
    from compress.model.nir_import import read_nir

    net = read_nir(PAPER / "cnn_sinabs.nir")
    result = compress_network(net, CompressionConfig(bits=8))
    print("2. cnn_sinabs.nir (2312-4096-4096-512-256-10)")
    for part in ("up5k", "ecp5-25k"):
        start = time.perf_counter()
        try:
            choice = choose(result, part)
            print(f"  --fit {part}: {', '.join(o.label for o in choice.options)}")
        except ValueError as exc:
            print(f"  --fit {part} ({time.perf_counter() - start:.0f} s): {exc}")
    hardware = HardwareOptions(parallelism="event", neuron_lanes=16)
    plan = plan_of(net, CompressionConfig(bits=8), hardware)
    for family in ("ice40", "ecp5"):
        total = estimate(plan, family)["total"]
        print(
            f"  conv x3 + event x2, 16 lanes, {family}: {total['luts']} LUT, {total['ffs']} FF, "
            f"{total['bram_bits']:,} block-RAM bits (estimate)"
        )
    rng = np.random.default_rng(0)
    for activity in (0.01, 0.02, 0.05):
        x = rng.random((8, 30, plan.n_in)) < activity
        trace = simulate(plan, x)
        clocks = plan.step_clocks([x, *trace.spikes[:-1]], trace.spikes)
        per_layer = [
            float(np.mean(layer.style.clocks(layer, inputs)))
            for layer, inputs in zip(plan.layers, [x, *trace.spikes[:-1]], strict=True)
        ]
        rates = ", ".join(f"{100 * s.mean():.1f}%" for s in trace.spikes)
        print(
            f"  activity {100 * activity:.0f}%: {clocks.mean():.0f} clocks per step (layers "
            f"{', '.join(f'{c:.0f}' for c in per_layer)}), layer spike rates {rates}; "
            f"{mhz * 1e6 / (30 * clocks.mean()):.0f} inferences/s of 30 steps at {mhz:g} MHz"
        )
    if pnr:
        with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
            build(net, tmp, CompressionConfig(bits=8), hardware, force=True)
            start = time.perf_counter()
            got = resources(synthesize(tmp, "ecp5"))
            print(f"  Yosys ecp5 ({time.perf_counter() - start:.0f} s): {got}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=["ice40", "ecp5", "xilinx"])
    parser.add_argument("--no-synth", action="store_true", help="estimates only")
    parser.add_argument("--cnn", action="store_true", help="the NIR paper's CNN")
    parser.add_argument("--mhz", type=float, default=30.0, help="clock for inferences/s")
    parser.add_argument("--pnr", action="store_true", help="with --cnn: Yosys on the CNN")
    args = parser.parse_args()
    estimate_vs_yosys(args.families, not args.no_synth)
    if args.cnn:
        if not (PAPER / "cnn_sinabs.nir").exists():
            print(f"skipped: {PAPER / 'cnn_sinabs.nir'} is not there")
            return
        paper_cnn(args.mhz, args.pnr)


if __name__ == "__main__":
    main()
