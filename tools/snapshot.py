"""Build a fixed set of designs into one folder, to compare generated files across commits.

The bundled examples (dense and pruned; full, P=4 compact, P=2 banked, P=3 aligned;
area and speed; a weight port; a delay ring) and the first 20 fuzz networks are built
with the Jinja emitter.  ``rtl/``, ``mem/`` and ``design.json`` of two snapshots should be
byte-identical unless a change means them to differ::

    python tools/snapshot.py /tmp/before   # on the old commit
    python tools/snapshot.py /tmp/after    # on the new one
    diff -r /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))

from fuzz import random_case

from compress import CompressionConfig, HardwareOptions, example_network
from compress.build import build
from compress.model.examples import EXAMPLES

KEEP = ("rtl", "mem", "design.json")
CONFIGS = {
    "dense": CompressionConfig(),
    "pruned": CompressionConfig(prune_percentile=50, min_popcount_bits=2.0),
}
HARDWARE = {
    "full": HardwareOptions(),
    "speed": HardwareOptions(pipeline="speed"),
    "p4": HardwareOptions(parallelism=4),
    "p2banked": HardwareOptions(parallelism=2, fold_order="banked", weight_port=True),
    "p3aligned": HardwareOptions(parallelism=3, fold_order="aligned"),
    "ring": HardwareOptions(delay_ram_bits=8),
    "event3": HardwareOptions(parallelism="event", neuron_lanes=3, weight_port=True),
    "eventmix": HardwareOptions(parallelism=["event", 2], delay_ram_bits=8),
}


def _keep(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True)
    for name in KEEP:
        path = src / name
        if path.is_dir():
            shutil.copytree(path, dst / name)
        elif path.exists():
            shutil.copy(path, dst / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--fuzz", type=int, default=20)
    args = parser.parse_args()
    work = args.out / ".work"
    shutil.rmtree(args.out, ignore_errors=True)
    for name in EXAMPLES:
        for cname, config in CONFIGS.items():
            for hname, hardware in HARDWARE.items():
                build(example_network(name), work, config, hardware, force=True)
                _keep(work, args.out / f"{name}-{cname}-{hname}")
    built, seed = 0, 0
    while built < args.fuzz:  # the first ``--fuzz`` seeds that build (some are refused)
        case = random_case(seed)
        seed += 1
        try:
            build(case.network, work, case.config, case.hardware, emitter="jinja", force=True)
        except ValueError:
            continue
        _keep(work, args.out / f"fuzz{seed - 1:02d}")
        built += 1
    shutil.rmtree(work)
    print(f"{len(list(args.out.iterdir()))} designs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
