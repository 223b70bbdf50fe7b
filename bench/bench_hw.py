"""Hardware figures of fully parallel builds (issue 3's cost targets).

Prints, for a fully parallel 64-32 layer of 8-bit stochastic weights, the
Yosys ``synth_xilinx -flatten`` LUT and FF counts per stochastic synapse, its
iCE40 size and its nextpnr Fmax on an ECP5-25k; the Fmax on an iCE40 UP5K of
the same layer pruned until it fits (speed pipeline); the 64-32-10 network's
LUTs with and without 50 % magnitude pruning; build time and peak memory for
64-32-10 and 784-128-10; Icarus simulation speed for 64-32-10; and a sweep of
LUT and FF per synapse (16 to 256 inputs, dense and pruned, fully parallel and
folded), estimated and measured, next to a popcount's physical floor
(``--sweep-only`` prints just the sweep); and the 64-32-10 network's Fmax,
dense and 50 % pruned, on an ECP5-25k (fully parallel) and an iCE40 UP5K
(first layer folded, so that it fits: fully parallel it needs 9185 LUT4 dense
and 5206 pruned, more than the UP5K's 5280 logic cells once placed)
(``--fmax-only``); and the 64-32 layer with pairwise adder trees against compressor
trees for 4- and 6-input LUTs (``--popcount``, about 6 minutes).
Place and route uses the five-pin wrapper of :func:`compress.measure.synth.io_wrapper`.
Run: ``make bench-hw`` (about 5 minutes).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from compress import CompressionConfig, Layer, Network, example_network
from compress.build import build
from compress.hardware.plan import HardwareOptions
from compress.measure.cells import resources
from compress.measure.synth import place_and_route, synthesize

WORK = Path("bench_out")


def luts_ffs(stat: dict) -> tuple[int, int]:
    counted = resources(stat)
    return counted["luts"], counted["ffs"]


def stochastic_layer() -> Network:
    rng = np.random.default_rng(7)
    w = rng.uniform(0.02, 0.98, (32, 64)) * rng.choice([-1, 1], (32, 64))
    w[0, 0] = 1.0  # fixes the full scale; the one constant synapse
    return Network((Layer(w, threshold=4.0),))


#: Sparsities (magnitude-pruning percentiles) tried for the UP5K figure.
UP5K_SPARSITIES = (55, 60)


def pnr_line(folder: Path, family: str, device: str, package: str) -> str:
    """nextpnr's Fmax and cell use on the wrapped design, or why it failed."""
    try:
        r = place_and_route(folder, family, device, package)
    except RuntimeError as exc:
        return f"nextpnr {family} {device}: does not fit or failed ({exc})"
    return f"nextpnr {family} {device}: Fmax {r.fmax_mhz:.1f} MHz, {r.used}/{r.available} {r.cells}"


def build_cost(sizes: str) -> None:
    code = (
        "import time, resource, numpy as np\n"
        "from compress import Layer, Network\nfrom compress.build import build\n"
        f"sizes = [{sizes}]\nrng = np.random.default_rng(0)\n"
        "pairs = zip(sizes, sizes[1:])\n"
        "net = Network(tuple(Layer(rng.uniform(-1, 1, (o, i))) for i, o in pairs))\n"
        "t = time.perf_counter()\n"
        f"build(net, 'bench_out/size_{sizes.replace(', ', '_')}', force=True)\n"
        "print(f'{time.perf_counter() - t:.2f} s, peak RSS '\n"
        "      f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    print(f"build {sizes.replace(', ', '-'):12s}: {out.stdout.strip()} (whole process)")


#: The sweep: inputs per layer (16 neurons), magnitude-pruning percentiles, hardware.
SWEEP_INPUTS = (16, 64, 256)
SWEEP_PRUNING = (None, 50)
SWEEP_HARDWARE = (
    ("full", HardwareOptions()),
    ("P=4 aligned", HardwareOptions(parallelism=4, fold_order="aligned")),
)
#: A popcount's physical floor: about 1.75 input bits per LUT6 (6:3 counters).
POPCOUNT_FLOOR = 1 / 1.75


def sweep() -> None:
    """LUT and FF per live synapse, estimated and measured (Xilinx), next to the floor."""
    from compress.analysis.estimate import estimate

    print(
        f"\nSweep: one layer of 16 neurons, 8-bit weights, synth_xilinx -flatten; "
        f"popcount floor {POPCOUNT_FLOOR:.2f} LUT per synapse"
    )
    print(
        f"{'n_in':>4s} {'pruned':>6s} {'hardware':12s} {'synapses':>8s} "
        f"{'LUT/syn est':>11s} {'meas':>6s} {'FF/syn est':>10s} {'meas':>6s} {'BRAM':>4s}"
    )
    for n_in in SWEEP_INPUTS:
        rng = np.random.default_rng(n_in)
        net = Network((Layer(rng.uniform(-1, 1, (16, n_in)), threshold=3.0),))
        for percentile in SWEEP_PRUNING:
            for label, hardware in SWEEP_HARDWARE:
                folder = WORK / f"sweep_{n_in}_{percentile}_{label.replace(' ', '_')}"
                config = CompressionConfig(prune_percentile=percentile)
                result = build(net, folder, config, hardware, force=True)
                counts = result.plan.layers[0].class_counts()
                live = counts["constant"] + counts["stochastic"]
                est = estimate(result.plan, "xilinx")["total"]
                luts, ffs = luts_ffs(synthesize(folder, "xilinx"))
                brams = est["brams"]
                print(
                    f"{n_in:4d} {percentile or 0:5d}% {label:12s} {live:8d} "
                    f"{est['luts'] / live:11.2f} {luts / live:6.2f} "
                    f"{est['ffs'] / live:10.2f} {ffs / live:6.2f} {brams:4d}",
                    flush=True,
                )


#: The 64-32-10 network's Fmax: (family, device, package, label, hardware options).
NETWORK_FMAX = (
    ("ecp5", "25k", "CABGA256", "fully parallel", HardwareOptions()),
    (
        "ice40",
        "up5k",
        "sg48",
        "layer 0 folded P=1 aligned",
        HardwareOptions(parallelism=[1, "full"], fold_order="aligned"),
    ),
    (
        "ice40",
        "up5k",
        "sg48",
        "layer 0 folded P=1 aligned, speed",
        HardwareOptions(pipeline="speed", parallelism=[1, "full"], fold_order="aligned"),
    ),
)


def network_fmax() -> None:
    """nextpnr Fmax of 64-32-10, dense and 50 % pruned, on an ECP5-25k and an iCE40 UP5K."""
    from compress.analysis.estimate import estimate
    from compress.measure.cells import resources

    net = example_network("random_64_32_10")
    print("\n64-32-10 place and route (five-pin wrapper, nextpnr --timing-allow-fail):")
    for family, device, package, label, hardware in NETWORK_FMAX:
        for percentile in (None, 50):
            folder = (
                WORK / f"fmax_{family}_{label.split()[0]}_{label.split()[-1]}_{percentile or 0}"
            )
            res = build(
                net, folder, CompressionConfig(prune_percentile=percentile), hardware, force=True
            )
            est = estimate(res.plan, family)["total"]
            cells = resources(synthesize(folder, family))
            synthesize(folder, family, wrap=True)
            print(
                f"  {family} {device:5s} {label:27s} {percentile or 0:2d}% pruned: "
                f"{cells['luts']} LUT (est {est['luts']}), {cells['brams']} BRAM "
                f"(est {est['brams']}), {res.plan.clocks_per_step} clocks/step; "
                f"{pnr_line(folder, family, device, package)}",
                flush=True,
            )


#: The popcount kinds compared by ``--popcount`` (compress.hardware.counters.POPCOUNTS).
POPCOUNTS = ("adder", "lut4", "lut6")
#: ``--popcount``'s builds of each kind: (folder suffix, compression, pipeline, the
#: families synthesized with the (device, package) each is placed on or None, the
#: place-and-route note).
POPCOUNT_ROWS = (
    (
        "",
        CompressionConfig(),
        "area",
        {"xilinx": None, "ice40": None, "ecp5": ("25k", "CABGA256")},
        "",
    ),
    ("_speed", CompressionConfig(), "speed", {"ecp5": ("25k", "CABGA256")}, "speed: "),
    (
        "_p60_speed",
        CompressionConfig(prune_percentile=60),
        "speed",
        {"ice40": ("up5k", "sg48")},
        "60% pruned, speed: ",
    ),
)


def popcounts() -> None:
    """The 64-32 layer with every popcount kind: LUT and FF per stochastic synapse on the
    three families (Yosys), Fmax on an ECP5-25k (dense, both pipelines) and an iCE40
    UP5K (60 % pruned, speed pipeline, so that it fits)."""
    print("\n64-32 layer, 8-bit stochastic weights: popcount trees compared")
    print(
        f"{'popcount':8s} {'family':7s} {'LUT':>5s} {'FF':>5s} {'LUT/syn':>7s} {'FF/syn':>6s}  "
        "place and route"
    )
    for popcount in POPCOUNTS:
        for suffix, config, pipeline, families, note in POPCOUNT_ROWS:
            folder = WORK / f"popcount_{popcount}{suffix}"
            hardware = HardwareOptions(pipeline, popcount=popcount)
            res = build(stochastic_layer(), folder, config, hardware, force=True)
            n = res.plan.layers[0].class_counts()["stochastic"]
            for family, place in families.items():
                luts, ffs = luts_ffs(synthesize(folder, family))
                line = ""
                if place:
                    synthesize(folder, family, wrap=True)
                    line = note + pnr_line(folder, family, *place)
                print(
                    f"{popcount:8s} {family:7s} {luts:5d} {ffs:5d} {luts / n:7.2f} "
                    f"{ffs / n:6.2f}  {line}",
                    flush=True,
                )


def main() -> None:
    WORK.mkdir(exist_ok=True)
    if "--popcount" in sys.argv:
        popcounts()
        return
    if "--sweep-only" in sys.argv:
        sweep()
        return
    if "--fmax-only" in sys.argv:
        network_fmax()
        return
    build_cost("64, 32, 10")
    build_cost("784, 128, 10")

    result = build(stochastic_layer(), WORK / "layer_64_32", force=True)
    n_stoch = result.plan.layers[0].class_counts()["stochastic"]
    luts, ffs = luts_ffs(synthesize(WORK / "layer_64_32", "xilinx"))
    print(f"\n64-32 layer, {n_stoch} stochastic 8-bit synapses, area pipeline:")
    print(
        f"  synth_xilinx -flatten: {luts} LUT, {ffs} FF -> {luts / n_stoch:.2f} LUT and "
        f"{ffs / n_stoch:.2f} FF per stochastic synapse (targets: <= 3 LUT6, <= 1 FF)"
    )
    lut6 = WORK / "layer_64_32_lut6"
    build(stochastic_layer(), lut6, hardware=HardwareOptions(popcount="lut6"), force=True)
    c_luts, c_ffs = luts_ffs(synthesize(lut6, "xilinx"))
    print(
        f"  the same with --popcount lut6 (compressor trees): {c_luts} LUT, {c_ffs} FF -> "
        f"{c_luts / n_stoch:.2f} LUT and {c_ffs / n_stoch:.2f} FF per stochastic synapse "
        "(issue 22's goal: <= 1.7 LUT6, <= 0.8 FF)"
    )
    ice_luts, ice_ffs = luts_ffs(synthesize(WORK / "layer_64_32", "ice40"))
    print(f"  synth_ice40: {ice_luts} LUT4, {ice_ffs} FF (the UP5K has 5280 logic cells)")
    synthesize(WORK / "layer_64_32", "ecp5", wrap=True)
    print(f"  {pnr_line(WORK / 'layer_64_32', 'ecp5', '25k', 'CABGA256')}")
    synthesize(WORK / "layer_64_32", "ice40", wrap=True)
    print(f"  {pnr_line(WORK / 'layer_64_32', 'ice40', 'up5k', 'sg48')}")

    print("\n64-32 layer pruned until it fits the iCE40 UP5K, speed pipeline:")
    for percentile in UP5K_SPARSITIES:
        folder = WORK / f"layer_64_32_p{percentile}_speed"
        res = build(
            stochastic_layer(),
            folder,
            CompressionConfig(prune_percentile=percentile),
            HardwareOptions(pipeline="speed"),
            force=True,
        )
        counts = res.plan.layers[0].class_counts()
        synthesize(folder, "ice40", wrap=True)
        print(
            f"  {percentile}% magnitude pruning ({counts['stochastic']} stochastic): "
            f"{pnr_line(folder, 'ice40', 'up5k', 'sg48')}"
        )

    net = example_network("random_64_32_10")
    for label, config in (
        ("dense", CompressionConfig()),
        ("50% magnitude pruning", CompressionConfig(prune_percentile=50)),
    ):
        folder = WORK / f"net_64_32_10_{label.split()[0]}"
        res = build(net, folder, config, force=True)
        syn = sum(
            la.class_counts()["stochastic"] + la.class_counts()["constant"]
            for la in res.plan.layers
        )
        luts, ffs = luts_ffs(synthesize(folder, "xilinx"))
        print(f"64-32-10 {label:22s}: {syn:5d} live synapses, {luts} LUT, {ffs} FF (xilinx)")

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
    from compress.verify.cocotb_run import run_sim

    folder = WORK / "net_64_32_10_dense"
    times = {}
    for steps in (50, 1050):
        start = time.perf_counter()
        run_sim(folder, WORK / f"sim_{steps}", steps=steps, gaps=0.0)
        times[steps] = time.perf_counter() - start
    rate = 1000 / (times[1050] - times[50])
    print(f"Icarus (cocotb, golden check each step) 64-32-10: {rate:.0f} steps/s")
    network_fmax()
    sweep()
    print(
        f"peak RSS of this script: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
