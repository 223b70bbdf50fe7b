"""``make sim``: build the bundled example networks and prove them on Icarus.

Every count of the last layer and every observable spike of every step is
compared with the golden model; the exit status is non-zero on any mismatch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from runner import run_sim

from compress import CompressionConfig, example_network
from compress.build import build
from compress.examples import EXAMPLES

CONFIGS = {
    "dense": CompressionConfig(),
    "pruned": CompressionConfig(prune_percentile=50, min_popcount_bits=2.0),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--work", type=Path, default=Path("sim_build"))
    parser.add_argument("--simulator", default="icarus")
    args = parser.parse_args()
    failed = 0
    rows = []
    for name in EXAMPLES:
        for label, config in CONFIGS.items():
            work = args.work / f"{name}_{label}"
            shutil.rmtree(work, ignore_errors=True)
            build(example_network(name), work / "design", config)
            start = time.perf_counter()
            tests, failures, counts = run_sim(
                work / "design", work / "sim", steps=args.steps, simulator=args.simulator
            )
            seconds = time.perf_counter() - start
            ok = tests == 1 and failures == 0 and counts.shape[0] == args.steps
            failed += not ok
            rows.append(
                f"{name:18s} {label:7s} {'PASS' if ok else 'FAIL'} {args.steps} steps "
                f"in {seconds:.1f} s ({args.steps / seconds:.0f} steps/s incl. build)"
            )
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
