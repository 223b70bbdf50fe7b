"""Slow tier: Yosys synthesis of generated designs for the three families."""

import json

import numpy as np
import pytest

from compress import CompressionConfig, Layer, Network, example_network
from compress.build import build
from compress.hardware.families import FAMILIES
from compress.hardware.plan import HardwareOptions
from compress.measure.cells import resources
from compress.measure.synth import find_tool, synthesize

pytestmark = pytest.mark.slow


def _luts(stat):
    return resources(stat)["luts"]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_yosys_synthesizes_example(tmp_path, family):
    find_tool("yosys")
    build(example_network(), tmp_path / "b")
    stat = synthesize(tmp_path / "b", family)
    assert stat["num_cells"] > 100
    if family == "ice40":
        assert resources(stat)["ffs"] > 0


def test_pruning_cuts_measured_luts(tmp_path):
    net = example_network("random_64_32_10")
    build(net, tmp_path / "dense")
    build(net, tmp_path / "pruned", CompressionConfig(prune_percentile=50))
    dense = _luts(synthesize(tmp_path / "dense", "xilinx"))
    pruned = _luts(synthesize(tmp_path / "pruned", "xilinx"))
    assert pruned < 0.7 * dense, (dense, pruned)


def test_unknown_family():
    with pytest.raises(
        ValueError, match=r"^family must be one of ice40, ecp5, xilinx, not 'gw1n'$"
    ):
        synthesize(".", "gw1n")


def _brams(stat, family):
    return resources(stat)["brams"]


def _ffs(stat):
    return resources(stat)["ffs"]


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("weight_port", [False, True])
def test_folded_weight_memory_is_block_ram(tmp_path, family, weight_port):
    """A folded 64-16 layer's weight memory maps to block RAM, with or without a write port."""
    rng = np.random.default_rng(2)
    w = rng.uniform(0.05, 0.95, (16, 64)) * rng.choice([-1, 1], (16, 64))
    net = Network((Layer(w, threshold=3.0),))
    hardware = HardwareOptions(parallelism=4, fold_order="aligned", weight_port=weight_port)
    result = build(net, tmp_path / "b", hardware=hardware)
    assert '(* ram_style = "block" *)' in (tmp_path / "b" / "rtl/sc_network_layer0.v").read_text()
    stat = synthesize(tmp_path / "b", family)
    assert _brams(stat, family) >= 1, stat["num_cells_by_type"]
    assert result.plan.layers[0].style.slots == 16


def test_long_delays_go_to_a_ram_ring(tmp_path):
    """64 lines delayed by up to 60 steps: block RAM instead of 3840 flip-flops."""
    rng = np.random.default_rng(4)
    w = rng.uniform(-1, 1, (4, 64))
    delays = rng.choice([0.0, 30.0, 60.0], (4, 64))
    net = Network((Layer(w, delays=delays, threshold=2.0),))
    ring = build(net, tmp_path / "ring").plan.layers[0]
    shift = build(net, tmp_path / "shift", hardware=HardwareOptions(delay_ram_bits=10**6))
    shift = shift.plan.layers[0]
    assert ring.delay_ram and not shift.delay_ram
    ring_stat = synthesize(tmp_path / "ring", "ice40")
    shift_stat = synthesize(tmp_path / "shift", "ice40")
    assert _brams(ring_stat, "ice40") >= 1
    assert _ffs(ring_stat) < _ffs(shift_stat) / 4, (_ffs(ring_stat), _ffs(shift_stat))


def test_report_measures_compressed_and_dense(tmp_path):
    """`sc-compress report --synth --pnr`: Yosys cells, Fmax, the dense baseline and savings."""
    import json

    from click.testing import CliRunner

    from compress import example_path
    from compress.cli import main

    runner = CliRunner()
    out = tmp_path / "o"
    res = runner.invoke(
        main, ["build", str(example_path()), "-o", str(out), "--prune-percentile", "50"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["report", str(out), "--target", "ice40", "--synth", "--pnr"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "report.json").read_text())
    measured, dense = data["measured"], data["dense"]["measured"]
    assert measured["luts"] > 0 and measured["fmax_mhz"] > 10 and measured["device"] == "up5k"
    assert dense["luts"] > measured["luts"] and data["savings"]["luts"] > 0
    assert (out / "dense" / "design.json").exists()
    layers = measured["layers"]  # per layer, each layer synthesized on its own
    assert len(layers) == 2 and all(la["luts"] > 0 for la in layers)
    # A layer's outputs are ports: it keeps registers the whole design drops (hidden counts).
    assert measured["ffs"] <= sum(la["ffs"] for la in layers) <= measured["ffs"] * 1.5
    assert "Per layer" in (out / "report.md").read_text()
    assert "dense" in (out / "report.html").read_text() and "## Measured" in res.output


def test_layer_resources_of_a_folded_design(tmp_path):
    """A folded layer synthesized on its own finds its weight file (MEM_FILE's default)
    and its weight memory (writable: a block RAM on iCE40) is counted in that layer."""
    from compress.measure.figures import layer_resources, measure

    hardware = HardwareOptions(parallelism=[2, "full"], weight_port=True)
    build(example_network(), tmp_path / "b", hardware=hardware)
    layers = layer_resources(tmp_path / "b", "ice40")
    total = measure(tmp_path / "b", "ice40")
    assert len(layers) == 2 and all(la["luts"] > 0 for la in layers)
    assert layers[0]["brams"] == total["brams"] > 0 and layers[1]["brams"] == 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_counter_modules_take_the_luts_the_estimate_counts(tmp_path, family):
    """Every counter module maps to the LUTs ``Family.counter_luts`` says (the modules are
    kept apart, so the figure holds in any design)."""
    import subprocess

    from compress.emit.verilog import counter_verilog

    table = FAMILIES[family].counter_luts
    names, lines, at = {}, ["module top(input [5:0] a, input [5:0] b, output [63:0] y);"], 0
    for key in table:
        kind, m = (
            ("count_and", int(key[9:])) if key.startswith("count_and") else ("count", int(key[5:]))
        )
        name, text = counter_verilog("t", kind, m)
        names[name] = key
        (tmp_path / f"{name}.v").write_text(text)
        gate = f", .g(b[{m - 1}:0])" if kind == "count_and" else ""
        w = m.bit_length()
        lines.append(f"{name} u_{name} (.x(a[{m - 1}:0]){gate}, .y(y[{at + w - 1}:{at}]));")
        at += w
    lines += [f"assign y[63:{at}] = 0;", "endmodule"]
    (tmp_path / "top.v").write_text("\n".join(lines) + "\n")
    script = (
        f"read_verilog {' '.join(sorted(p.name for p in tmp_path.glob('*.v')))}; "
        f"{FAMILIES[family].synth} -flatten -top top; tee -q -o stat.json stat -json"
    )
    subprocess.run([*find_tool("yosys"), "-q", "-p", script], cwd=tmp_path, check=True)
    modules = json.loads((tmp_path / "stat.json").read_text())["modules"]
    got = {key: resources(modules["\\" + name])["luts"] for name, key in names.items()}
    assert got == table


def test_compressor_trees_cut_xilinx_luts_and_ffs(tmp_path):
    """The 64x32 stochastic layer: lut6 compressor trees take fewer LUTs and flip-flops
    on Xilinx than pairwise adder trees (measured 4322 against 5030 LUTs, 1609 against
    2016 FFs)."""
    rng = np.random.default_rng(7)
    w = rng.uniform(0.02, 0.98, (32, 64)) * rng.choice([-1, 1], (32, 64))
    net = Network((Layer(w, threshold=4.0),))
    cells = {}
    for popcount in ("adder", "lut6"):
        build(net, tmp_path / popcount, hardware=HardwareOptions(popcount=popcount))
        cells[popcount] = resources(synthesize(tmp_path / popcount, "xilinx"))
    assert cells["lut6"]["luts"] < 0.9 * cells["adder"]["luts"], cells
    assert cells["lut6"]["ffs"] < 0.85 * cells["adder"]["ffs"], cells


def test_clock_picks_the_first_pipeline_that_reaches_it(tmp_path):
    """build --fit up5k --clock: area when it reaches the clock, speed when only it
    does, refused with both Fmax figures (and nothing written) when neither does."""
    from compress.flows import build_for_clock

    net = example_network()
    _, low = build_for_clock(net, tmp_path / "low", part="up5k", clock=5)
    assert low["pipeline"] == "area" and list(low["fmax_mhz"]) == ["area"]
    report = json.loads((tmp_path / "low" / "report.json").read_text())
    assert report["clock"] == low and report["measured"]["fmax_mhz"] == low["fmax_mhz"]["area"]
    area = low["fmax_mhz"]["area"]
    with pytest.raises(ValueError, match=r"must reach 1000 MHz on the up5k, but no pipeline"):
        build_for_clock(net, tmp_path / "none", part="up5k", clock=1000)
    assert not (tmp_path / "none").exists()
    # measured: area 26.5 MHz, speed 39.1 MHz (nextpnr is deterministic)
    result, mid = build_for_clock(net, tmp_path / "mid", part="up5k", clock=30)
    assert area < 30 <= mid["fmax_mhz"]["speed"]
    assert mid["pipeline"] == "speed" and result.plan.layers[0].pipeline == "speed"
