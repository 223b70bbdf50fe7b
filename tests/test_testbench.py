"""The self-checking testbench every build exports: it passes on Icarus and Verilator, and
it fails when one weight word in mem/ or one constant in rtl/ is changed."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from compress import CompressionConfig, HardwareOptions, Layer, Network, example_network
from compress.build import build
from compress.hardware.design import load_plan, read_design
from compress.hardware.styles.folded import fold_words
from compress.verify.simulators import run_testbench, verilator_path

needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


@needs_icarus
@pytest.mark.parametrize(
    ("hardware", "emitter"),
    [
        (HardwareOptions(), "jinja"),
        (HardwareOptions(pipeline="speed", delay_ram_bits=8), "jinja"),
        (HardwareOptions(parallelism=2, fold_order="banked", weight_port=True), "jinja"),
        (HardwareOptions(parallelism=3, pipeline="speed"), "amaranth"),
        (HardwareOptions(parallelism=["event", 2], neuron_lanes=3, weight_port=True), "jinja"),
    ],
    ids=["full", "speed-ring", "banked-port", "amaranth-folded", "event-port"],
)
def test_exported_testbench_passes_on_icarus(tmp_path, hardware, emitter):
    result = build(example_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    assert {"tb/tb_sc_network.v", "tb/stimulus.hex", "tb/expected.hex"} <= set(result.files)
    text = (tmp_path / "b" / "tb" / "tb_sc_network.v").read_text()
    # plain Verilog-2005: no SystemVerilog constructs, no PLI
    assert not re.search(r"\b(logic|always_ff|always_comb|\$fatal|import|interface)\b", text)
    bench = run_testbench(tmp_path / "b", simulator="icarus")
    assert bench.passed, bench.output
    assert bench.verdict == "PASS: 64 steps of tb_sc_network match the golden model"
    assert read_design(tmp_path / "b")["testbench"]["steps"] == 64


@needs_icarus
@pytest.mark.skipif(verilator_path() is None, reason="needs verilator")
def test_exported_testbench_passes_on_verilator_binary(tmp_path):
    hardware = HardwareOptions(parallelism=2, weight_port=True)
    build(example_network(), tmp_path / "b", hardware=hardware, testbench_steps=40)
    bench = run_testbench(tmp_path / "b", simulator="verilator")
    assert bench.passed, bench.output
    assert bench.verdict.startswith("PASS: 40 steps")


def _flip_strongest_word(path, word_width, row_width):
    """Flip the sign bit (above the 7-bit code) of the lane word with the largest code."""
    rows = [int(row, 16) for row in path.read_text().split()]
    digits = len(path.read_text().split()[0])
    code, r, lane = max(
        ((rows[r] >> (lane * word_width)) & 0x7F, r, lane)
        for r in range(len(rows))
        for lane in range(row_width // word_width)
    )
    assert code > 64  # fires on most steps its input spikes
    rows[r] ^= 1 << (lane * word_width + 7)
    path.write_text("".join(f"{row:0{digits}x}\n" for row in rows))


@needs_icarus
def test_testbench_fails_when_a_weight_word_changes(tmp_path):
    """One sign bit of one word of the folded weight memory: the testbench says FAIL."""
    net = Network((Layer(np.random.default_rng(1).uniform(-1, 1, (6, 12)), threshold=1.0),))
    build(net, tmp_path / "b", hardware=HardwareOptions(parallelism=2))
    assert run_testbench(tmp_path / "b").passed
    word_width, row_width, _ = fold_words(load_plan(tmp_path / "b").layers[0])
    assert row_width == 6 * 2 * word_width  # 6 neurons x 2 lanes
    _flip_strongest_word(tmp_path / "b" / "mem" / "layer0.hex", word_width, row_width)
    bench = run_testbench(tmp_path / "b")
    assert not bench.passed
    assert re.match(r"FAIL: step \d+, neuron \d+: count -?\d+ spike \d, expected", bench.verdict)


@needs_icarus
def test_testbench_fails_when_an_rtl_constant_changes(tmp_path):
    """One comparator constant of the last layer (a stochastic weight): FAIL."""
    config = CompressionConfig(bits=5)
    build(example_network(), tmp_path / "b", config)
    assert run_testbench(tmp_path / "b").passed
    path = tmp_path / "b" / "rtl" / "sc_network_layer1.v"
    text = path.read_text()
    term = re.search(r"(wire s\d+_l(?:le)(\d+) = \(stream\d+\[\d+:0\] <= (\d+)'d)(\d+)\);", text)
    assert term, "a comparator term to change"
    changed = text.replace(term.group(0), f"{term.group(1)}0);", 1)
    assert changed != text
    path.write_text(changed)
    bench = run_testbench(tmp_path / "b")
    assert not bench.passed and bench.verdict.startswith("FAIL: step"), bench.verdict


@needs_icarus
@pytest.mark.skipif(
    shutil.which("fusesoc") is None and not Path(sys.executable).with_name("fusesoc").exists(),
    reason="needs fusesoc",
)
def test_fusesoc_sim_target_runs_the_testbench(tmp_path):
    """``fusesoc run --target=sim`` on the generated core: Icarus prints PASS."""
    build(example_network(), tmp_path / "b", hardware=HardwareOptions(parallelism=4))
    fusesoc = shutil.which("fusesoc") or str(Path(sys.executable).with_name("fusesoc"))
    result = subprocess.run(
        [fusesoc, "--cores-root", ".", "run", "--target=sim", "sc-compress:generated:sc_network"],
        cwd=tmp_path / "b",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS: 64 steps of tb_sc_network match the golden model" in result.stdout
