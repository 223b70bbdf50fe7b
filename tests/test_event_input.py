"""The address-event input port (``input_encoder="events"``): an event camera's interface,
proven on Icarus with both emitters against the golden model, and in the exported
testbench."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from compress import CompressionConfig, HardwareOptions, Layer, Network, example_network
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.vectors import event_beats
from compress.model.conv import Conv
from compress.verify.cocotb_run import run_sim

needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def _conv_network() -> Network:
    rng = np.random.default_rng(0)
    geometry = Conv((2, 5, 6), 3, (3, 3), padding=(1, 1))
    first = Layer(rng.normal(0, 0.5, geometry.kernel_shape), threshold=1.0, conv=geometry)
    return Network([first, Layer(rng.normal(0, 0.4, (4, geometry.n_out)), threshold=1.0)])


def test_addresses_are_channel_row_column_fields(tmp_path):
    """ev_addr = {c, y, x} with each field as wide as its axis needs; design.json says so;
    the ev_end beat closes every step."""
    out = tmp_path / "b"
    build(_conv_network(), out, hardware=HardwareOptions(input_encoder="events"))
    design = json.loads((out / "design.json").read_text())
    assert design["ports"]["ev_addr"] == 1 + 3 + 3 and "in_spikes" not in design["ports"]
    assert design["events"]["shape"] == [2, 5, 6]
    assert design["events"]["fields"] == {"c": 1, "y": 3, "x": 3}
    plan = load_plan(out)
    index = (1 * 5 + 4) * 6 + 2  # channel 1, row 4, column 2
    assert plan.event_address(index) == (1 << 6) | (4 << 3) | 2
    spikes = np.zeros((2, 60), dtype=bool)
    spikes[0, [3, index]] = True
    end = 1 << 7
    assert event_beats(plan, spikes) == [3, plan.event_address(index), end, end]


@needs_iverilog
@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
@pytest.mark.parametrize("conv", [True, False])
def test_events_in_match_the_golden_model(tmp_path, emitter, conv):
    """cocotb sends each step's spikes as beats in a random order (some twice, some
    outside the shape, with idle gaps) and the ev_end beat: every spike, count and
    latency equals the golden model's; the exported testbench passes too."""
    net = _conv_network() if conv else example_network()
    out = tmp_path / "b"
    hardware = HardwareOptions(input_encoder="events", neuron_lanes=2, readout="argmax", window=8)
    build(net, out, CompressionConfig(bits=5), hardware, emitter=emitter)
    tests, failures, _ = run_sim(out, tmp_path / "w", steps=24, seed=3, rate=0.3, gaps=0.3)
    assert (tests, failures) == (1, 0)
    rtl = sorted(str(p) for p in (out / "rtl").glob("*.v"))
    vvp = str(tmp_path / "tb.vvp")
    subprocess.run(
        ["iverilog", "-g2005", "-o", vvp, "-s", "tb_sc_network", "tb/tb_sc_network.v", *rtl],
        cwd=out,
        check=True,
    )
    run = subprocess.run(["vvp", str(tmp_path / "tb.vvp")], cwd=out, capture_output=True, text=True)
    assert "PASS" in run.stdout, run.stdout[-500:]


@needs_iverilog
def test_the_place_and_route_wrapper_drives_the_event_port(tmp_path):
    """The few-pin wrapper of place and route shifts {ev_end, ev_addr} in instead of the
    image: a 2312-input event design has 14 input bits, not 2312."""
    from compress.measure.synth import io_wrapper

    out = tmp_path / "b"
    build(_conv_network(), out, hardware=HardwareOptions(input_encoder="events"))
    design = json.loads((out / "design.json").read_text())
    name, text = io_wrapper(design)
    assert ".ev_addr(spikes[6:0]), .ev_end(spikes[7])" in text
    (out / "wrap.v").write_text(text)
    rtl = sorted(str(p) for p in (out / "rtl").glob("*.v"))
    vvp = str(tmp_path / "w.vvp")
    subprocess.run(
        ["iverilog", "-g2005", "-o", vvp, "-s", name, "wrap.v", *rtl], cwd=out, check=True
    )
