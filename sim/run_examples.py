"""``make sim``: build the bundled example networks and prove them on Icarus.

Every count of the last layer and every observable spike of every step is
compared with the golden model; the exit status is non-zero on any mismatch.
Each example runs dense and pruned, fully parallel and folded (P = 1 and a
middle P), and a random 784-128-10 network (layer 0 folded to 16 lanes) runs
for a full period of its 7-bit LFSRs (127 steps) on Verilator, the fast path
(12 steps on Icarus when Verilator is not installed).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from compress import CompressionConfig, Layer, Network, example_network
from compress.build import build
from compress.hardware.plan import HardwareOptions
from compress.model.examples import EXAMPLES
from compress.verify.cocotb_run import run_sim
from compress.verify.simulators import verilator_path

CONFIGS = {
    "dense": CompressionConfig(),
    "pruned": CompressionConfig(prune_percentile=50, min_popcount_bits=2.0),
}
#: (label, parallelism) of every run; folded runs take fewer steps (several clocks each).
FOLDINGS = (("full", "full"), ("P=4", 4), ("P=1", 1))
FOLDED_STEPS = 60
#: The large network: layer 0 folded, layer 1 fully parallel; steps on Verilator (a full
#: LFSR period) and on Icarus.
LARGE = ((784, 128, 10), [16, "full"], 127, 12)


def large_network() -> Network:
    """A random 784-128-10 network (fixed seed)."""
    rng = np.random.default_rng(784)
    sizes = LARGE[0]
    return Network(
        tuple(
            Layer(rng.uniform(-1, 1, (n_out, n_in)), threshold=2.0)
            for n_in, n_out in zip(sizes, sizes[1:])
        )
    )


def all_runs(large: bool = True) -> list[tuple]:
    """``(name, label, fold, network, config, parallelism)`` of every run: each bundled
    example dense and pruned at every folding, then (``large``) the 784-128-10 network."""
    runs = [
        (f"{name}", label, fold, example_network(name), config, parallelism)
        for name in EXAMPLES
        for label, config in CONFIGS.items()
        for fold, parallelism in FOLDINGS
    ]
    if large:
        sizes, parallelism, _, _ = LARGE
        runs.append(
            (
                "-".join(map(str, sizes)),
                "dense",
                "P=16,full",
                large_network(),
                CONFIGS["dense"],
                parallelism,
            )
        )
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--work", type=Path, default=Path("sim_build"))
    parser.add_argument("--simulator", default="icarus")
    parser.add_argument(
        "--no-large", action="store_true", help="Leave out the 784-128-10 run (minutes)."
    )
    args = parser.parse_args(argv)
    failed = 0
    rows = []
    for name, label, fold, network, config, parallelism in all_runs(not args.no_large):
        steps = args.steps if fold == "full" else min(args.steps, FOLDED_STEPS)
        simulator = args.simulator
        if name.startswith("784"):
            simulator = "verilator" if verilator_path() else args.simulator
            steps = LARGE[2] if simulator == "verilator" else LARGE[3]
        work = args.work / f"{name}_{label}_{fold.replace('=', '').replace(',', '_')}"
        shutil.rmtree(work, ignore_errors=True)
        build(network, work / "design", config, HardwareOptions(parallelism=parallelism))
        start = time.perf_counter()
        tests, failures, counts = run_sim(
            work / "design", work / "sim", steps=steps, simulator=simulator, quiet=True
        )
        seconds = time.perf_counter() - start
        ok = tests == 1 and failures == 0 and counts.shape[0] == steps
        failed += not ok
        rows.append(
            f"{name:18s} {label:7s} {fold:10s} {'PASS' if ok else 'FAIL'} {steps:4d} steps "
            f"on {simulator:9s} in {seconds:5.1f} s ({steps / seconds:.3g} steps/s incl. compile)"
        )
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
