"""Event-driven layers: every layer style side by side, and MNIST-size networks on small parts.

``--styles``: the bundled 64-32-10 network (8 bits, 50% magnitude pruning) in every
layer style (fully parallel; folded compact P=4 and aligned P=4; event-driven with
4, 8 and 16 neuron lanes; what ``build --fit`` chooses for the UP5K and the
ECP5-25k): Yosys LUT/FF/BRAM on iCE40, ECP5 and Xilinx, nextpnr
Fmax on an iCE40 UP5K and an ECP5-25k, clocks per step on inputs that spike with
probability 0.15, and inferences per second for 64-step windows.

``--large``: random 784-128-10 and 784-64-10 networks (8 bits, 50% pruning,
``--min-popcount-bits 2``): what ``build --fit`` says for the UP5K, the ECP5-25k
and larger parts; the designs that fit placed and routed by nextpnr (cells,
memories, Fmax) and their inferences per second at T = 64 (simulated clocks per step,
from the plan's per-step rule on the golden model's spikes, times Fmax).

``--proof``: the 784-128-10 event design against the golden model on Icarus for a
full LFSR period (127 steps at 8 bits), every count, spike and step latency.

Run: ``.venv/bin/python bench/bench_event.py`` (all three; about 30 minutes, most of
it nextpnr) or one of the flags.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from compress import CompressionConfig, Layer, Network, compress_network, example_network
from compress.analysis.parts import PARTS, choose
from compress.build import build
from compress.hardware.families import FAMILIES
from compress.hardware.golden import simulate
from compress.hardware.plan import HardwareOptions, NetworkPlan
from compress.measure.cells import resources
from compress.measure.synth import place_and_route, synthesize
from compress.verify.cocotb_run import run_sim, test_seconds

WORK = Path("bench_out") / "event"
#: Input spike probability (rate-coded digits spike about this often) and steps per inference.
ACTIVITY, WINDOW = 0.15, 64
CONFIG = CompressionConfig(bits=8, prune_percentile=50)
LARGE_CONFIG = CompressionConfig(bits=8, prune_percentile=50, min_popcount_bits=2)

#: (label, hardware, part) of every layer style of the 64-32-10 comparison (fully parallel
#: with each popcount, event-driven with each pipeline); the last two are what ``build
#: --fit`` chooses for the UP5K and the ECP5-25k.
STYLES = (
    ("full", HardwareOptions(), None),
    ("full lut4", HardwareOptions(popcount="lut4"), None),
    ("full lut6", HardwareOptions(popcount="lut6"), None),
    ("folded P=4 compact", HardwareOptions(parallelism=4), None),
    ("folded P=4 aligned", HardwareOptions(parallelism=4, fold_order="aligned"), None),
    ("event 4 lanes", HardwareOptions(parallelism="event", neuron_lanes=4), None),
    ("event 8 lanes", HardwareOptions(parallelism="event", neuron_lanes=8), None),
    ("event 16 lanes", HardwareOptions(parallelism="event", neuron_lanes=16), None),
    (
        "event 8 lanes, neuron RAM",
        HardwareOptions(parallelism="event", neuron_lanes=8, neuron_ram=True),
        None,
    ),
    ("event 8 lanes, speed", HardwareOptions("speed", parallelism="event", neuron_lanes=8), None),
    (
        "event 8 lanes, neuron RAM, speed",
        HardwareOptions("speed", parallelism="event", neuron_lanes=8, neuron_ram=True),
        None,
    ),
    ("--fit up5k", None, "up5k"),
    ("--fit ecp5-25k", None, "ecp5-25k"),
)


def random_network(sizes: tuple[int, ...], seed: int = 784) -> Network:
    """Uniform random weights in [-1, 1], threshold 2 (as ``sim/run_examples.large_network``)."""
    rng = np.random.default_rng(seed)
    return Network(
        tuple(
            Layer(rng.uniform(-1, 1, (n_out, n_in)), threshold=2.0)
            for n_in, n_out in zip(sizes, sizes[1:])
        )
    )


def clocks_per_inference(plan: NetworkPlan, samples: int = 16) -> float:
    """Mean clocks of a ``WINDOW``-step inference on inputs spiking with ``ACTIVITY``."""
    x = np.random.default_rng(15).random((samples, WINDOW, plan.n_in)) < ACTIVITY
    if not plan.locked:
        return float(WINDOW)
    trace = simulate(plan, x)
    return float(plan.step_clocks([x, *trace.spikes[:-1]]).sum(axis=1).mean())


def pnr(folder: Path, family: str, device: str, package: str) -> tuple[str, float | None]:
    """nextpnr on the wrapped design: ``(cells used/available, Fmax)`` or the failure."""
    synthesize(folder, family, wrap=True)
    try:
        r = place_and_route(folder, family, device, package)
    except RuntimeError as exc:
        return f"does not fit ({str(exc)[:80]})", None
    return f"{r.used}/{r.available} {r.cells}", r.fmax_mhz


def styles(rows: list[str] | None = None) -> None:
    print("64-32-10 (bundled random_64_32_10), 8 bits, 50% pruning, in every layer style")
    print(
        f"{'style':20s} {'ice40 LUT/FF/BRAM':>18s} {'ecp5 LUT/FF/BRAM':>17s} "
        f"{'xilinx LUT/FF/BRAM':>19s} {'UP5K MHz':>8s} {'ECP5 MHz':>8s} "
        f"{'clk/step':>8s} {'inf/s UP5K':>10s} {'inf/s ECP5':>10s}"
    )
    for label, hardware, part in STYLES:
        if rows and label not in rows:
            continue
        folder = WORK / "styles" / label.strip("-").replace(" ", "_").replace("=", "")
        network = example_network("random_64_32_10")
        result = build(network, folder, CONFIG, hardware, force=True, part=part)
        if part:
            chosen = ", ".join(la.style.name for la in result.plan.layers)
            label = f"{label} ({chosen})"
        cells = {}
        for family in FAMILIES:
            r = resources(synthesize(folder, family))
            cells[family] = f"{r['luts']}/{r['ffs']}/{r['brams']}"
        fmax = {}
        for family, device, package in (("ice40", "up5k", "sg48"), ("ecp5", "25k", "CABGA256")):
            fmax[family] = pnr(folder, family, device, package)[1]
        clocks = clocks_per_inference(result.plan)
        rates = [f"{f * 1e6 / clocks:10.0f}" if f else f"{'-':>10s}" for f in fmax.values()]
        mhz = [f"{f:8.1f}" if f else f"{'-':>8s}" for f in fmax.values()]
        print(
            f"{label:20s} {cells['ice40']:>18s} {cells['ecp5']:>17s} {cells['xilinx']:>19s} "
            f"{mhz[0]} {mhz[1]} {clocks / WINDOW:8.1f} {rates[0]} {rates[1]}"
        )


def large() -> None:
    for sizes in ((784, 128, 10), (784, 64, 10)):
        name = "-".join(map(str, sizes))
        network = random_network(sizes)
        result = compress_network(network, LARGE_CONFIG)
        for part_name in ("up5k", "ecp5-25k", "ecp5-45k"):
            part = PARTS[part_name]
            start = time.perf_counter()
            try:
                choice = choose(result, part)
            except ValueError as exc:
                print(f"{name} on {part_name}: build --fit refuses: {exc}")
                continue
            labels = ", ".join(o.label for o in choice.options)
            print(
                f"{name} on {part_name}: build --fit chose {labels} in "
                f"{time.perf_counter() - start:.1f} s (estimate: {choice.fit['luts']['need']} "
                f"LUT, {choice.fit['bram_bits']['need']} block-RAM bits, "
                f"{choice.fit['sprams']['need']} SPRAM)"
            )
        event = (784, 128, 10) == sizes
        targets = (("ecp5", "45k", "CABGA256"),) if event else (("ice40", "up5k", "sg48"),)
        hardware = (
            HardwareOptions(parallelism=["event", "full"], neuron_lanes=8)
            if event
            else choose(result, "up5k").hardware
        )
        folder = WORK / "large" / name
        built = build(network, folder, LARGE_CONFIG, hardware, force=True)
        clocks = clocks_per_inference(built.plan)
        styles_ = ", ".join(la.style.describe() for la in built.plan.layers)
        for family, device, package in targets:
            stat = synthesize(folder, family)
            r = resources(stat)
            mems = {k: v for k, v in stat["num_cells_by_type"].items() if "RAM" in k or "DP16" in k}
            used, fmax = pnr(folder, family, device, package)
            rate = f"{fmax * 1e6 / clocks:.0f}" if fmax else "-"
            print(
                f"{name} ({styles_}) on {family} {device}: Yosys {r['luts']} LUT, {r['ffs']} FF, "
                f"memories {mems}; nextpnr {used}, Fmax "
                f"{fmax if fmax else '-'} MHz; {clocks / WINDOW:.0f} clocks per step at "
                f"activity {ACTIVITY}, {clocks:.0f} per {WINDOW}-step inference: {rate} "
                "inferences/s"
            )


def proof() -> None:
    network = random_network((784, 128, 10))
    hardware = HardwareOptions(parallelism=["event", "full"], neuron_lanes=8)
    folder = WORK / "proof"
    built = build(network, folder / "design", LARGE_CONFIG, hardware, force=True)
    period = built.plan.layers[0].period
    start = time.perf_counter()
    tests, failures, counts = run_sim(
        folder / "design", folder / "icarus", steps=period, rate=ACTIVITY, gaps=0.0, quiet=True
    )
    total = time.perf_counter() - start
    verdict = "0 mismatches" if (tests, failures) == (1, 0) else "MISMATCH"
    print(
        f"784-128-10 event (8 lanes) on Icarus: {len(counts)} steps (one LFSR period, "
        f"{period}) against the golden model, every count, spike and step latency: {verdict}; "
        f"{test_seconds(folder / 'icarus'):.0f} s simulated ({total:.0f} s in all)"
    )
    if verdict != "0 mismatches":
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", action="store_true")
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--proof", action="store_true")
    parser.add_argument("--rows", nargs="+", help="--styles: only these rows (labels)")
    args = parser.parse_args()
    every = not (args.styles or args.large or args.proof)
    if every or args.proof:
        proof()
    if every or args.styles:
        styles(args.rows)
    if every or args.large:
        large()


if __name__ == "__main__":
    main()
