"""Simulation speed: cocotb steps per second on Icarus and on Verilator (``sc-compress sim``).

For a 64-32-10 network (fully parallel, the bundled ``random_64_32_10``) and a
random 784-128-10 network (layer 0 folded to 16 lanes, as ``make sim`` runs it),
prints compile seconds, simulated steps, steps per second of the cocotb test
itself (``results.xml``; the proof against the golden model included) and the
Verilator / Icarus ratio.  Run: ``.venv/bin/python bench/bench_sim.py``
(``make bench-sim``); it takes a few minutes, most of it Verilator's C++ compile.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))

from run_examples import LARGE, large_network

from compress import CompressionConfig, HardwareOptions, example_network
from compress.build import build
from compress.verify.cocotb_run import run_sim, test_seconds

WORK = Path("bench_out") / "sim"

#: (name, network, hardware, steps on Icarus, steps on Verilator)
CASES = (
    ("64-32-10", lambda: example_network("random_64_32_10"), HardwareOptions(), 255, 2550),
    ("784-128-10", large_network, HardwareOptions(parallelism=LARGE[1]), 12, 127),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=[c[0] for c in CASES])
    args = parser.parse_args()
    print(f"{'network':12s} {'simulator':10s} {'compile s':>9s} {'steps':>6s} {'steps/s':>9s}")
    for name, network, hardware, icarus_steps, verilator_steps in CASES:
        if name not in args.cases:
            continue
        folder = WORK / name
        build(network(), folder / "design", CompressionConfig(), hardware, force=True)
        rates = {}
        for simulator, steps in (("icarus", icarus_steps), ("verilator", verilator_steps)):
            work = folder / simulator
            start = time.perf_counter()
            tests, failures, counts = run_sim(
                folder / "design", work, steps=steps, gaps=0.0, simulator=simulator, quiet=True
            )
            total = time.perf_counter() - start
            if (tests, failures) != (1, 0) or len(counts) != steps:
                raise SystemExit(f"{name} on {simulator}: the proof failed ({work})")
            seconds = test_seconds(work)
            rates[simulator] = steps / seconds
            print(
                f"{name:12s} {simulator:10s} {total - seconds:9.1f} {steps:6d} "
                f"{rates[simulator]:9.0f}"
            )
        print(f"{name:12s} Verilator / Icarus: {rates['verilator'] / rates['icarus']:.1f}x")


if __name__ == "__main__":
    main()
