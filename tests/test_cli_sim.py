"""``sc-compress sim``: the cocotb proof shipped in the package, from the command line."""

import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from compress import HardwareOptions, example_network
from compress.build import build
from compress.cli import main
from compress.verify.simulators import verilator_path

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def _sim(*args):
    return CliRunner().invoke(main, ["sim", *map(str, args)])


def test_sim_passes_for_a_full_lfsr_period(tmp_path):
    build(example_network(), tmp_path / "b", hardware=HardwareOptions(parallelism=3))
    res = _sim(tmp_path / "b")
    assert res.exit_code == 0, res.output
    # one period of the 7-bit LFSRs; the summary is one line, the simulator's log a file
    assert re.fullmatch(
        r"cocotb on Icarus: 127 steps, every count, spike and latency equal the golden model "
        r"\(.* steps/s\)\n",
        res.output,
    )
    assert (tmp_path / "b" / "sim_icarus" / "test.log").exists()


def test_sim_with_data_features_and_spikes(tmp_path):
    build(example_network(), tmp_path / "b")
    x = np.random.default_rng(0).random((3, 16))
    np.savez(tmp_path / "x.npz", x=x)
    res = _sim(tmp_path / "b", "--data", tmp_path / "x.npz", "--steps", 20)
    assert res.exit_code == 0, res.output
    assert "60 steps" in res.output  # 3 samples x 20 steps
    np.savez(tmp_path / "s.npz", spikes=np.ones((9, 16), dtype=np.int8))
    res = _sim(tmp_path / "b", "--data", tmp_path / "s.npz", "--waves", "--work", tmp_path / "w")
    assert res.exit_code == 0 and "9 steps" in res.output, res.output
    assert list((tmp_path / "w").glob("*.fst")), "Icarus waves"
    np.savez(tmp_path / "bad.npz", spikes=np.ones((9, 5)))
    res = _sim(tmp_path / "b", "--data", tmp_path / "bad.npz")
    assert res.exit_code == 1
    assert "spikes must be 0/1 of shape (steps, 16), not (9, 5)" in res.output


def test_sim_fails_with_the_first_mismatch(tmp_path):
    """A changed constant in the RTL: exit 1 and the first step, layer and neuron."""
    build(example_network(), tmp_path / "b")
    path = tmp_path / "b" / "rtl" / "sc_network_layer1.v"
    text = path.read_text()
    term = re.search(r"(wire s\d+_l(?:le)\d+ = \(stream\d+\[\d+:0\] <= \d+'d)(\d+)\);", text)
    path.write_text(text.replace(term.group(0), f"{term.group(1)}0);", 1))
    res = _sim(tmp_path / "b", "--steps", 60)
    assert res.exit_code == 1
    assert re.search(r"Error: cocotb on Icarus: .*step \d+, layer 1, neuron \d+: count", res.output)


@pytest.mark.skipif(verilator_path() is None, reason="needs verilator")
def test_sim_on_verilator(tmp_path):
    build(example_network(), tmp_path / "b", hardware=HardwareOptions(pipeline="speed"))
    res = _sim(tmp_path / "b", "--simulator", "verilator", "--steps", 300)
    assert res.exit_code == 0, res.output
    assert res.output.startswith("cocotb on Verilator: 300 steps")
