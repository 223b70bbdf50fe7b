"""FPGA parts: fit() of a plan's estimate, choose() of layer styles, build --fit, report."""

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from compress import CompressionConfig, Layer, Network, compress_network, example_network
from compress.analysis.estimate import estimate
from compress.analysis.parts import ICE40_HEADROOM, PARTS, Part, choose, fit, part_of
from compress.build import build
from compress.cli import main
from compress.hardware.plan import HardwareOptions, plan_network
from compress.model.network import save_network


def _network(sizes: tuple[int, ...], seed: int = 3) -> Network:
    rng = np.random.default_rng(seed)
    return Network(
        tuple(
            Layer(rng.uniform(-1, 1, (n_out, n_in)), threshold=2.0)
            for n_in, n_out in zip(sizes, sizes[1:])
        )
    )


CONFIG = CompressionConfig(bits=8, prune_percentile=50, min_popcount_bits=2)


def test_parts_hold_their_datasheet_figures():
    up5k, ecp5 = PARTS["up5k"], PARTS["ecp5-25k"]
    assert (up5k.luts, up5k.brams, up5k.sprams, up5k.memory_bits) == (5280, 30, 4, 30 * 4096)
    assert (ecp5.luts, ecp5.brams, ecp5.memory_bits) == (24288, 56, 56 * 18432)
    assert PARTS["xc7a35t"].family == "xilinx" and PARTS["xc7a35t"].pnr is None
    with pytest.raises(ValueError, match=r"^part must be one of up5k, .*, not 'up4k'$"):
        part_of("up4k")


def test_fit_sets_the_estimate_against_the_part():
    plan = plan_network(compress_network(example_network(), CompressionConfig()))
    total = estimate(plan, "ice40")["total"]
    report = fit(plan, "up5k")
    assert report["fits"] and report["over"] == []
    cells = total["luts"] + total["ffs"]  # an iCE40 cell holds one LUT and one flip-flop
    assert report["luts"] == {
        "need": cells,
        "have": 5280,
        "used_percent": round(100 * cells / 5280, 1),
    }
    assert fit(plan, "ecp5-25k")["luts"]["need"] == estimate(plan, "ecp5")["total"]["luts"]
    tiny = Part("tiny", "a tiny part", "ice40", 100, 50, 0, 4096, None)
    report = fit(plan, tiny)
    assert not report["fits"]
    assert report["over"][0].startswith(f"logic cells: {cells:,} needed, 100 on the tiny")


def test_choose_keeps_a_design_fully_parallel_when_it_fits():
    choice = choose(compress_network(example_network(), CompressionConfig()), "up5k")
    assert [o.label for o in choice.options] == ["full", "full"]
    assert choice.clocks_per_step == 1.0 and choice.fit["fits"]


def test_choose_folds_what_does_not_fit_and_spends_the_fewest_clocks():
    """256-48-10 does not fit an UP5K fully parallel; the choice fits with headroom."""
    result = compress_network(_network((256, 48, 10)), CONFIG)
    full = estimate(plan_network(result), "ice40")["total"]
    assert full["luts"] > PARTS["up5k"].luts
    choice = choose(result, "up5k")
    assert choice.fit["fits"] and choice.fit["luts"]["need"] <= ICE40_HEADROOM * 5280
    assert choice.plan.locked and choice.clocks_per_step > 1
    assert choice.hardware.parallelism == tuple(o.parallelism for o in choice.options)
    # the same network on a part with room for it stays fully parallel
    assert choose(result, "ecp5-85k").clocks_per_step == 1.0


def test_choose_puts_event_rows_in_spram_when_block_ram_is_too_small():
    """300-64-10: ~230 kbit of event rows, more than the UP5K's 120 kbit of block RAM."""
    result = compress_network(_network((300, 64, 10)), CONFIG)
    choice = choose(result, "up5k")
    first = choice.plan.layers[0]
    assert first.style.name == "event" and first.style.spram and choice.plan.weight_port
    assert 1 <= choice.fit["sprams"]["need"] <= 4 and choice.fit["fits"]


def test_choose_says_by_how_much_nothing_fits():
    result = compress_network(_network((64, 32, 10)), CONFIG)
    tiny = Part("tiny", "a tiny part", "ice40", 300, 300, 1, 4096, None)
    with pytest.raises(ValueError, match=r"^design must fit the tiny \(a tiny part\), but nothing"):
        choose(result, tiny)
    try:
        choose(result, tiny)
    except ValueError as exc:
        message = str(exc)
    assert "% over" in message and "the tiny holds 4,096 in block RAM and SPRAM" in message


def test_build_fit_records_the_part_and_report_uses_it(tmp_path):
    save_network(_network((256, 48, 10)), tmp_path / "n.npz")
    runner = CliRunner()
    args = ["build", str(tmp_path / "n.npz"), "-o", str(tmp_path / "b"), "--bits", "8"]
    args += ["--prune-percentile", "50", "--min-popcount-bits", "2", "--fit", "up5k"]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    # a summary of what the fit chose, not the whole report
    lines = res.output.splitlines()
    assert (
        lines[0]
        == "sc_network: 2 layers, 256-48-10; fitted to the up5k (Lattice iCE40 UltraPlus UP5K)"
    )
    assert lines[1].startswith("layer 0: 256x48, 8 bits, ") and "clocks" in lines[1]
    assert lines[3].startswith("clocks per step: at most ")
    assert lines[4].startswith("estimate on the up5k: ") and " of 5,280 logic cells (" in lines[4]
    assert lines[5].startswith("report: ") and len(lines) == 7
    page = (tmp_path / "b" / "report.md").read_text()
    assert "## Fits which part? (estimate)" in page and "| up5k (build --fit) |" in page
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    assert design["part"]["name"] == "up5k" and design["part"]["pnr"] == ["up5k", "sg48"]
    assert design["build_options"]["part"] == "up5k"
    assert any(la["style"] != "full" for la in design["layers"])
    res = runner.invoke(main, ["report", str(tmp_path / "b")])  # --target from the part
    assert res.exit_code == 0 and "nothing measured for ice40" in res.stderr
    build(example_network(), tmp_path / "plain")
    res = runner.invoke(main, ["report", str(tmp_path / "plain")])
    assert res.exit_code == 2 and "--target must be given for a build not fitted" in res.output
    other = [*args[:3], str(tmp_path / "c"), *args[4:-1], "ecp5-25k"]
    res = runner.invoke(main, other)
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "c" / "design.json").read_text())["part"]["name"] == "ecp5-25k"


def test_build_fit_refuses_and_writes_nothing(tmp_path):
    net = _network((64, 32, 10))
    with pytest.raises(ValueError, match=r"^part must be one of"):
        build(net, tmp_path / "b", CONFIG, part="nope")
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("spram", [True, (True, False)])
def test_spram_needs_the_weight_port_and_an_event_layer(spram):
    result = compress_network(_network((40, 12, 4)), CONFIG)
    with pytest.raises(ValueError, match=r"^spram needs weight_port: SB_SPRAM256KA cannot"):
        plan_network(result, hardware=HardwareOptions(parallelism="event", spram=spram))
    with pytest.raises(ValueError, match=r"^spram needs an event layer"):
        plan_network(result, hardware=HardwareOptions(parallelism=2, spram=True, weight_port=True))
    hardware = HardwareOptions(parallelism="event", neuron_lanes=12, spram=True, weight_port=True)
    with pytest.raises(ValueError, match=r"^layer 0: an SPRAM weight memory must be at most"):
        plan_network(result, hardware=hardware)


def test_cli_spram_rows(tmp_path):
    save_network(_network((40, 12, 4)), tmp_path / "n.npz")
    runner = CliRunner()
    args = ["build", str(tmp_path / "n.npz"), "-o", str(tmp_path / "b"), "--parallelism"]
    args += ["event", "--neuron-lanes", "2", "--spram"]
    res = runner.invoke(main, args)
    assert res.exit_code == 1 and "spram needs weight_port" in res.stderr
    assert not (tmp_path / "b").exists()
    res = runner.invoke(main, [*args, "--weight-port"])
    assert res.exit_code == 0, res.output
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    assert all(la["event"]["spram"] for la in design["layers"])
    text = (tmp_path / "b" / "rtl" / "sc_network_layer0.v").read_text()
    assert "SB_SPRAM256KA u_spram" in text and "`ifdef SYNTHESIS" in text


def test_wide_wrapper_expands_a_shift_register_and_drives_the_weight_port(tmp_path):
    """The place-and-route wrapper of a 100-input design with a weight port: distinct XOR
    pairs of a 64-bit shift register instead of 100 shifted flip-flops; Icarus compiles it."""
    import shutil
    import subprocess

    from compress.hardware.design import read_design
    from compress.measure.synth import _xor_pairs, io_wrapper

    hardware = HardwareOptions(parallelism="event", neuron_lanes=4, weight_port=True)
    build(_network((100, 8)), tmp_path / "b", CONFIG, hardware)
    design = read_design(tmp_path / "b")
    name, text = io_wrapper(design)
    assert "reg [63:0] sr;" in text and ".w_en(we)" in text
    pairs = _xor_pairs(1000)
    assert len({frozenset(p) for p in pairs}) == 1000  # every input a different function
    if shutil.which("iverilog"):
        (tmp_path / "b" / "w.v").write_text(text)
        files = [str(tmp_path / "b" / f) for f in design["rtl"]] + [str(tmp_path / "b" / "w.v")]
        proc = subprocess.run(
            ["iverilog", "-g2005", "-s", name, "-o", str(tmp_path / "a.out"), *files],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr


def test_fit_takes_the_tap_stream_rule_when_stream_numbers_do_not_fit():
    """200-64-10 at 8 bits on an hx8k: every synapse an event word; with stream numbers
    the words outgrow its 128 kbit of block RAM, without them (the tap rule) they fit."""
    result = compress_network(_network((200, 64, 10)), CompressionConfig(bits=8))
    choice = choose(result, "hx8k")
    assert choice.fit["fits"] and any(o.stream_rule == "tap" for o in choice.options)
    tapped = [layer for layer in choice.plan.layers if layer.stream_rule == "tap"]
    assert tapped and all(layer.stream_bits == 0 for layer in tapped)
    # the same styles with stored stream numbers need more block RAM than the part has
    code = plan_network(result, hardware=dataclasses.replace(choice.hardware, stream_rule="code"))
    assert fit(code, "hx8k")["bram_bits"]["need"] > PARTS["hx8k"].memory_bits


def test_choose_keeps_neurons_in_block_ram_when_their_flip_flops_do_not_fit():
    """256-192-10 on the UP5K: its 192 hidden neurons' counts and membranes in flip-flops
    would take more logic cells than the part has, so ``--fit`` keeps them in block
    RAM (an option only on iCE40, whose logic cells hold the flip-flops)."""
    result = compress_network(_network((256, 192, 10)), CONFIG)
    choice = choose(result, "up5k")
    first = choice.plan.layers[0]
    assert first.style.name == "event" and first.style.neuron_ram and choice.fit["fits"]
    assert "neuron RAM" in choice.options[0].label
    banks = dataclasses.replace(
        choice.hardware, neuron_ram=tuple(False for _ in choice.plan.layers)
    )
    assert not fit(plan_network(result, "sc_network", banks), "up5k")["fits"]
    assert not any("neuron RAM" in o.label for o in choose(result, "ecp5-25k").options)
