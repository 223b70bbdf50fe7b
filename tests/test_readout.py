"""The class readout (--readout argmax --window T): features in, class out, as evaluate reads it."""

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from compress import HardwareOptions, compress_network, example_network
from compress.analysis.estimate import readout_cost
from compress.analysis.evaluate import evaluate
from compress.build import build
from compress.cli import main
from compress.hardware.golden import readout, run
from compress.hardware.plan import plan_network
from compress.verify.cocotb_run import run_sim, sim_inputs
from compress.verify.simulators import run_testbench

needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def test_readout_options_design_and_cost(tmp_path):
    hardware = HardwareOptions(readout="argmax", window=20)
    result = build(example_network(), tmp_path / "b", hardware=hardware)
    plan = result.plan
    assert plan.window == 20 and plan.sum_width == plan.count_width + 5 and plan.class_width == 2
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    assert design["ports"]["out_class"] == 2 and design["ports"]["class_valid"] == 1
    assert design["ports"]["out_sums"] == 4 * plan.sum_width
    assert design["readout"]["window"] == 20
    assert readout_cost(plan, "ice40")["ffs"] > 2 * 4 * plan.sum_width
    assert readout_cost(plan_network(compress_network(example_network())), "xilinx")["luts"] == 0
    # evaluate reads a readout build out per window, as the hardware does
    np.savez(tmp_path / "x.npz", x=np.random.default_rng(0).random((3, 16)))
    res = CliRunner().invoke(
        main, ["evaluate", str(tmp_path / "b"), "--data", str(tmp_path / "x.npz")]
    )
    assert res.exit_code == 0 and "3 samples, 20 steps each" in res.output, res.output
    with pytest.raises(
        ValueError,
        match=r"^readout must be one of 'argmax', 'membrane', 'membrane-sum' or None, not 'max'$",
    ):
        HardwareOptions(readout="max")
    with pytest.raises(ValueError, match=r"^window must be"):
        HardwareOptions(readout="argmax", window=0)


def test_golden_restarts_every_window():
    plan = plan_network(
        compress_network(example_network()), hardware=HardwareOptions(readout="argmax", window=8)
    )
    x = np.random.default_rng(0).random((24, 16)) < 0.4
    windowed = run(plan, x)
    for w in range(3):  # each window equals a run from reset on its own steps
        alone = run(
            plan_network(compress_network(example_network())), x[w * 8 : (w + 1) * 8]
        ).counts[-1]
        assert np.array_equal(windowed.counts[-1][w * 8 : (w + 1) * 8], alone)
    classes, sums = readout(plan, windowed.counts[-1])
    assert sums.shape == (3, 4) and np.array_equal(classes, sums.argmax(axis=1))


@needs_icarus
@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_classes_equal_evaluate_predictions(tmp_path, emitter):
    """A digits-sized classifier (encoder + readout): the class sequence the hardware gives
    for the samples equals evaluate's predictions for the same samples and encoder seed."""
    hardware = HardwareOptions(
        input_encoder="rate",
        input_bits=6,
        input_seed=3,
        readout="argmax",
        window=25,
        parallelism=[3, "full"],
    )
    result = build(example_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    x = np.random.default_rng(4).random((6, 16))
    np.savez(tmp_path / "x.npz", x=x)
    inputs = sim_inputs(tmp_path / "b", data=tmp_path / "x.npz")
    assert inputs.shape == (6 * 25, 16)
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", inputs=inputs, gaps=0.2)
    assert (tests, failures) == (1, 0)
    classes = np.load(tmp_path / "w" / "classes.npy")
    plan = result.plan
    want = evaluate(plan, x, steps=25, encoder=plan.encoder, readout="counts").predictions
    assert classes.tolist() == want.tolist()
    bench = run_testbench(tmp_path / "b")
    assert bench.passed and "classes" in bench.verdict, bench.verdict


def _li_network():
    """A 16-12-4 network whose output is a leaky integrator with a current (CubaLI),
    read by its membrane, as snnTorch's Synaptic output layers are."""
    from compress import Layer, Network

    rng = np.random.default_rng(7)
    hidden = Layer(rng.uniform(-1, 1, (12, 16)), threshold=1.5, leak=0.1, strict=True)
    out = Layer(rng.uniform(-1, 1, (4, 12)), leak=0.05, syn_leak=0.3, spiking=False)
    return Network((hidden, out))


@needs_icarus
@pytest.mark.parametrize(
    ("kind", "emitter", "parallelism"),
    [
        ("membrane", "jinja", "full"),
        ("membrane-sum", "jinja", "event"),
        ("membrane", "amaranth", 2),
        ("membrane-sum", "amaranth", "full"),
    ],
)
def test_membrane_readout_classes_equal_evaluate(tmp_path, kind, emitter, parallelism):
    """An LI output read by its membrane (at the window's end, or summed): the hardware's
    classes equal evaluate's predictions with the same readout."""
    hardware = HardwareOptions(
        input_encoder="rate",
        input_bits=6,
        readout=kind,
        window=20,
        parallelism=parallelism,
    )
    result = build(_li_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    plan = result.plan
    assert plan.reads_membranes and plan.layers[-1].neuron.model == "CubaLI"
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    assert design["readout"]["kind"] == kind
    assert design["ports"]["out_sums"] == 4 * plan.sum_width
    x = np.random.default_rng(5).random((6, 16))
    np.savez(tmp_path / "x.npz", x=x)
    inputs = sim_inputs(tmp_path / "b", data=tmp_path / "x.npz")
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", inputs=inputs, gaps=0.2)
    assert (tests, failures) == (1, 0)
    classes = np.load(tmp_path / "w" / "classes.npy")
    want = evaluate(plan, x, steps=20, encoder=plan.encoder, readout=kind).predictions
    assert classes.tolist() == want.tolist() and len(set(want.tolist())) > 1
    trace = run(plan, plan.input_spikes(np.asarray(inputs)))
    assert not trace.spikes[-1].any()  # an LI never fires: only its membrane carries the class
    assert run_testbench(tmp_path / "b").passed


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 10, 16, 17])
def test_argmax_tournament_keeps_the_lowest_index_on_ties(n):
    """The readout's registered tournament (``argmax_tree``): ceil(log2 n) levels, and
    the winner of any sums, ties included, is numpy's argmax (the lowest index)."""
    from compress.hardware.structure import argmax_tree

    tree = argmax_tree(n)
    assert len(tree) == (n - 1).bit_length()
    rng = np.random.default_rng(n)
    for _ in range(200):
        sums = rng.integers(-3, 4, n)
        entries = list(enumerate(sums))
        for pairs in tree:
            entries = [
                entries[b] if b is not None and entries[b][1] > entries[a][1] else entries[a]
                for a, b in pairs
            ]
        assert entries[0][0] == int(np.argmax(sums)), sums
