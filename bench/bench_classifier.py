"""The classifier core on a digits-sized network: what the encoder and readout cost, and proof.

For the bundled random 64-32-10 network (64 inputs, 10 classes, 8 bits, 50%
pruning): builds it plain, with ``--input-encoder rate --input-bits 8``, and with
the encoder and ``--readout argmax --window 32``; prints the estimate and Yosys
cells on iCE40 and Xilinx for each, then proves the classifier on 8 random
samples with ``sc-compress sim`` and the exported testbench on Icarus and
Verilator, and checks that the class sequence equals ``evaluate``'s predictions.
Run: ``.venv/bin/python bench/bench_classifier.py`` (about 5 minutes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compress import CompressionConfig, HardwareOptions, example_network
from compress.analysis.estimate import estimate
from compress.analysis.evaluate import evaluate
from compress.build import build
from compress.measure.cells import resources
from compress.measure.synth import synthesize
from compress.verify.cocotb_run import run_sim, sim_inputs
from compress.verify.simulators import run_testbench

WORK = Path("bench_out") / "classifier"
CONFIG = CompressionConfig(prune_percentile=50)
VARIANTS = {
    "plain": HardwareOptions(),
    "encoder": HardwareOptions(input_encoder="rate", input_bits=8),
    "encoder+readout": HardwareOptions(
        input_encoder="rate", input_bits=8, readout="argmax", window=32
    ),
}


def main() -> None:
    results = {}
    print(f"{'variant':16s} {'family':7s} {'est LUT':>7s} {'LUT':>6s} {'est FF':>6s} {'FF':>6s}")
    for name, hardware in VARIANTS.items():
        out = WORK / name
        result = build(example_network("random_64_32_10"), out, CONFIG, hardware, force=True)
        results[name] = result
        for family in ("ice40", "xilinx"):
            est = estimate(result.plan, family)["total"]
            got = resources(synthesize(out, family))
            print(
                f"{name:16s} {family:7s} {est['luts']:7d} {got['luts']:6d} "
                f"{est['ffs']:6d} {got['ffs']:6d}"
            )
    out = WORK / "encoder+readout"
    plan = results["encoder+readout"].plan
    x = np.random.default_rng(7).random((8, 64))
    np.savez(WORK / "x.npz", x=x)
    inputs = sim_inputs(out, data=WORK / "x.npz")
    want = evaluate(plan, x, steps=32, encoder=plan.encoder, readout="counts").predictions
    for simulator in ("icarus", "verilator"):
        work = WORK / f"sim_{simulator}"
        tests, failures, _ = run_sim(out, work, inputs=inputs, simulator=simulator, quiet=True)
        classes = np.load(work / "classes.npy")
        bench = run_testbench(out, simulator=simulator)
        print(
            f"{simulator}: cocotb {'PASS' if (tests, failures) == (1, 0) else 'FAIL'}, "
            f"classes {classes.tolist()} "
            f"{'==' if classes.tolist() == want.tolist() else '!='} evaluate {want.tolist()}; "
            f"exported testbench: {bench.verdict}"
        )


if __name__ == "__main__":
    main()
