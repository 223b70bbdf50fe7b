"""The hardware rate encoder (--input-encoder rate): in_features in, the evaluation's spikes out."""

import json
import shutil

import numpy as np
import pytest
from amaranth_sim import simulate_components
from click.testing import CliRunner

from compress import CompressionConfig, HardwareOptions, compress_network, example_network
from compress.analysis.estimate import encoder_cost
from compress.build import build
from compress.cli import main
from compress.hardware.encoder import RateEncoder
from compress.hardware.golden import simulate
from compress.hardware.plan import plan_network
from compress.verify.simulators import run_testbench

needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def test_levels_give_the_evaluation_encoders_spikes_bit_for_bit():
    encoder = RateEncoder(16, 6, 3)
    x = np.random.default_rng(0).random((5, 16))
    want = encoder.encode(x, 100)  # (samples, steps, n_in), each sample from reset
    for sample in range(5):
        levels = np.repeat(encoder.levels(x[sample : sample + 1]), 100, axis=0)
        assert np.array_equal(encoder.spikes_of_levels(levels), want[sample])
    # continuing phase: the second window starts where the first ended
    levels = np.repeat(encoder.levels(x[:1]), 130, axis=0)
    assert np.array_equal(
        encoder.spikes_of_levels(levels)[100:], encoder.encode(x[0], 30, start=100)
    )


@pytest.mark.parametrize("bits", [2, 5, 8])
def test_the_vdc_stream_is_exact_and_even_in_every_aligned_window(bits):
    """Any 2**bits consecutive steps hold exactly q spikes; an aligned window of 2**k
    steps holds q * 2**k / 2**bits spikes rounded down or up (the LFSR's wander more)."""
    encoder = RateEncoder(40, bits, 5, "vdc")
    assert encoder.period == 1 << bits and len(set(encoder.masks)) > 1
    levels = np.arange(40) % (encoder.max_level + 1)
    spikes = encoder.spikes_of_levels(np.repeat(levels[None, :], 3 * encoder.period, axis=0))
    for start in range(encoder.period):
        window = spikes[start : start + encoder.period].sum(axis=0)
        assert np.array_equal(window, levels)
    for k in range(bits + 1):
        size = 1 << k
        blocks = spikes[: encoder.period].reshape(-1, size, 40).sum(axis=1)
        share = levels * size / encoder.period
        assert (np.abs(blocks - share[None, :]) < 1).all()
    with pytest.raises(ValueError, match="input stream must be one of lfsr, vdc, not 'sobol'"):
        RateEncoder(4, 8, 0, "sobol")
    with pytest.raises(ValueError, match="input_stream must be one of lfsr, vdc, not 'x'"):
        HardwareOptions(input_encoder="rate", input_stream="x")


def test_plan_design_and_estimate_carry_the_encoder(tmp_path):
    hardware = HardwareOptions(input_encoder="rate", input_bits=5, input_seed=2)
    result = build(example_network(), tmp_path / "b", hardware=hardware)
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    assert design["ports"]["in_features"] == 16 * 5 and "in_spikes" not in design["ports"]
    assert design["encoder"]["bits"] == 5 and design["encoder"]["seed"] == 2
    assert len(design["encoder"]["streams"]) == 16
    top = (tmp_path / "b" / "rtl" / "sc_network.v").read_text()
    assert "input  wire [79:0] in_features," in top and "enc_r15 <= in_features[79:75]" in top
    cost = encoder_cost(result.plan, "ice40")
    assert cost["ffs"] == 5 * len({seed for seed, _ in result.plan.encoder.streams})
    assert cost["luts"] > 0
    plain = plan_network(compress_network(example_network()))
    assert encoder_cost(plain, "ice40") == {"luts": 0, "ffs": 0, "brams": 0, "carries": 0}
    assert (
        "The totals include the input rate encoder (5-bit levels, seed 2)"
        in (tmp_path / "b" / "report.md").read_text()
    )


def test_bad_encoder_options():
    with pytest.raises(
        ValueError, match=r"^input_encoder must be one of 'rate', 'events' or None, not 'gray'$"
    ):
        HardwareOptions(input_encoder="gray")
    with pytest.raises(ValueError, match=r"^input_bits must be"):
        HardwareOptions(input_encoder="rate", input_bits=1)


@needs_icarus
@pytest.mark.parametrize(
    ("hardware", "emitter"),
    [
        (HardwareOptions(input_encoder="rate", input_bits=6), "jinja"),
        (HardwareOptions(input_encoder="rate", input_bits=4, parallelism=2), "jinja"),
        (HardwareOptions(input_encoder="rate", input_bits=5, pipeline="speed"), "amaranth"),
        (HardwareOptions(input_encoder="rate", input_bits=6, input_stream="vdc"), "jinja"),
        (
            HardwareOptions(
                input_encoder="rate", input_bits=5, input_stream="vdc", readout="argmax", window=7
            ),
            "amaranth",
        ),
    ],
    ids=["full", "folded", "amaranth-speed", "vdc", "vdc-amaranth-readout"],
)
def test_encoder_in_hardware_matches_golden(tmp_path, hardware, emitter):
    """cocotb with features from a data file, and the exported testbench, both pass."""
    build(example_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    np.savez(tmp_path / "x.npz", x=np.random.default_rng(1).random((3, 16)))
    res = CliRunner().invoke(
        main, ["sim", str(tmp_path / "b"), "--data", str(tmp_path / "x.npz"), "--steps", "30"]
    )
    assert res.exit_code == 0, res.output
    # 3 samples of 30 steps; with a readout, 3 windows of 7 (a window per sample)
    assert ("21 steps" if hardware.readout else "90 steps") in res.output
    assert run_testbench(tmp_path / "b").passed


@pytest.mark.parametrize("stream", ["lfsr", "vdc"])
def test_amaranth_encoder_in_the_amaranth_simulator(stream):
    config = CompressionConfig(prune_percentile=30)
    hardware = HardwareOptions(
        input_encoder="rate", input_bits=6, parallelism=3, input_stream=stream
    )
    plan = plan_network(compress_network(example_network(), config), hardware=hardware)
    levels = np.random.default_rng(2).integers(0, 64, (40, 16))
    trace = simulate(plan, plan.input_spikes(levels))
    got = simulate_components(plan, levels, gaps=0.2, seed=2)
    for index in range(len(plan.layers)):
        assert np.array_equal(got.counts[index], trace.counts[index])
        assert np.array_equal(got.spikes[index], trace.spikes[index])
