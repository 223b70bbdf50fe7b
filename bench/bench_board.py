"""The digits network on every bundled board: bitstream figures, the simulated link, and
which limits a sample, the UART or the network.

    .venv/bin/python bench/bench_board.py [--out bench_out/board] [--samples 20] [--baud 115200]

It trains scikit-learn's digits MLP (64-32-10, as ``examples/digits.py``), converts it,
builds it 8 bits, nothing pruned, with the van der Corput rate encoder and the argmax
readout over 64 steps, fitted to the UP5K (``--fit up5k``: it then fits every bundled
board), and for each board of ``compress/data/boards.json`` runs
``sc-compress board`` (Yosys, nextpnr at the fastest PLL clock the design meets, the
packer) and prints Fmax at the board clock, the PLL clock, the cells, block RAMs,
bitstream bytes and build time.  Then it simulates the board top (cocotb on Icarus,
through its UART) on ``--samples`` test digits, checks every class against
``evaluate``'s, and prints a sample's time on the link at ``--baud`` (its bytes) and in
the network (the clocks per step ``evaluate`` counts, at the PLL clock): the samples
per second of each, and which limits.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from compress import CompressionConfig, HardwareOptions
from compress.analysis.evaluate import evaluate
from compress.board.boards import BOARDS
from compress.board.flow import make_board
from compress.board.protocol import CLASS_LENGTH
from compress.board.sim import run_board_sim
from compress.build import build
from compress.hardware.design import load_plan
from compress.model.convert import convert_mlp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench_out/board"))
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--baud", type=int, default=115_200)
    args = parser.parse_args()
    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data / 16.0, data.target, test_size=0.3, stratify=data.target, random_state=0
    )
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=600, random_state=0)
    mlp.fit(x_train, y_train)
    network = convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_train).network
    folder = args.out / "digits"
    hardware = HardwareOptions(input_encoder="rate", input_stream="vdc", readout="argmax")
    build(network, folder, CompressionConfig(bits=8), hardware, force=True, part="up5k")
    plan = load_plan(folder)
    golden = evaluate(plan, x_test, y_test, steps=plan.window, encoder=plan.encoder)
    styles = ", ".join(layer.style.describe() for layer in plan.layers)
    print(
        f"digits 64-32-10, 8 bits, {plan.window} steps, {styles}: "
        f"float {100 * mlp.score(x_test, y_test):.2f}%, "
        f"evaluate {100 * golden.accuracy:.2f}% on {len(y_test)} test digits, "
        f"{golden.clocks_per_step:.1f} clocks per step"
    )
    print("| board | part | Fmax at board clock | PLL | met | cells | BRAM | bitstream | build |")
    print("|---|---|---|---|---|---|---|---|---|")
    results = {}
    for name, board in BOARDS.items():
        result = make_board(folder, board, args.out / name, baud=args.baud)
        results[name] = result
        print(
            f"| {name} | {board.part} | {result.fmax_board_mhz:.2f} MHz at {board.clock_mhz:g} | "
            f"{result.pll_mhz:g} MHz | {result.fmax_mhz:.2f} MHz | {result.cells_used:,} of "
            f"{result.cells_available:,} | {result.brams} | {result.bitstream_bytes:,} B | "
            f"{result.seconds:.0f} s |"
        )
    start = time.perf_counter()
    x = x_test[: args.samples]
    sim = run_board_sim(folder, args.out / "sim", BOARDS["icebreaker"], x)
    same = int(np.sum(np.array(sim["classes"]) == golden.predictions[: len(x)]))
    print(
        f"cocotb/Icarus board top, {len(x)} test digits through the UART: {same} of {len(x)} "
        f"classes equal evaluate's ({time.perf_counter() - start:.0f} s)"
    )
    per = -(-plan.encoder.bits // 8)
    frame_bits = (1 + plan.n_in * per + CLASS_LENGTH) * 10
    link = frame_bits / args.baud
    for name, result in results.items():
        net = plan.window * golden.clocks_per_step / (result.pll_mhz * 1e6)
        limit = "the link" if link > net else "the network"
        print(
            f"{name}: link {frame_bits} bits at {args.baud} baud {1 / link:,.0f} samples/s; "
            f"network {1 / net:,.0f} inferences/s at {result.pll_mhz:g} MHz; one at a time "
            f"{1 / (link + net):,.0f} samples/s: {limit} limits, "
            f"{max(link, net) / min(link, net):,.0f}x"
        )


if __name__ == "__main__":
    main()
