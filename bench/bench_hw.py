"""Hardware figures of fully parallel builds (issue 3's cost targets).

Prints, for a fully parallel 64-32 layer of 8-bit stochastic weights, the
Yosys ``synth_xilinx -flatten`` LUT and FF counts per stochastic synapse and
the nextpnr Fmax on an iCE40 UP5K; the 64-32-10 network's LUTs with and
without 50 % magnitude pruning; build time and peak memory for 64-32-10 and
784-128-10; and Icarus simulation speed for 64-32-10.  Run: ``make bench-hw``.
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
from compress.synth import synthesize

WORK = Path("bench_out")


def luts_ffs(stat: dict) -> tuple[int, int]:
    cells = stat["num_cells_by_type"]
    luts = sum(n for c, n in cells.items() if c.startswith(("LUT", "SB_LUT4", "TRELLIS_SLICE")))
    ffs = sum(n for c, n in cells.items() if c.startswith(("FD", "SB_DFF", "TRELLIS_FF")))
    return luts, ffs


def stochastic_layer() -> Network:
    rng = np.random.default_rng(7)
    w = rng.uniform(0.02, 0.98, (32, 64)) * rng.choice([-1, 1], (32, 64))
    w[0, 0] = 1.0  # fixes the full scale; the one constant synapse
    return Network((Layer(w, threshold=4.0),))


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


def main() -> None:
    WORK.mkdir(exist_ok=True)
    build_cost("64, 32, 10")
    build_cost("784, 128, 10")

    result = build(stochastic_layer(), WORK / "layer_64_32", force=True)
    n_stoch = result.plan.layers[0].class_counts()["stochastic"]
    luts, ffs = luts_ffs(synthesize(WORK / "layer_64_32", "xilinx"))
    print(f"\n64-32 layer, {n_stoch} stochastic 8-bit synapses, synth_xilinx -flatten:")
    print(
        f"  {luts} LUT, {ffs} FF -> {luts / n_stoch:.2f} LUT and {ffs / n_stoch:.2f} FF "
        "per stochastic synapse (targets: <= 3 LUT6, <= 1 FF)"
    )
    ice_luts, ice_ffs = luts_ffs(synthesize(WORK / "layer_64_32", "ice40"))
    print(f"  iCE40: {ice_luts} LUT4, {ice_ffs} FF")
    for device, package in (("up5k", "sg48"), ("hx8k", "ct256")):
        try:
            fmax = nextpnr_ice40(WORK / "layer_64_32", device, package)
            print(f"  nextpnr iCE40 {device.upper()}: Fmax {fmax:.1f} MHz (target >= 50)")
        except RuntimeError as exc:
            print(f"  nextpnr iCE40 {device.upper()}: does not fit ({exc})")

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
    from runner import run_sim

    folder = WORK / "net_64_32_10_dense"
    times = {}
    for steps in (50, 1050):
        start = time.perf_counter()
        run_sim(folder, WORK / f"sim_{steps}", steps=steps, gaps=0.0)
        times[steps] = time.perf_counter() - start
    rate = 1000 / (times[1050] - times[50])
    print(f"Icarus (cocotb, golden check each step) 64-32-10: {rate:.0f} steps/s")
    print(
        f"peak RSS of this script: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
