"""Generated Verilog on Icarus (cocotb) against the golden model."""

import shutil

import numpy as np
import pytest
from helpers import reflected_copy

from compress import CompressionConfig, Layer, Network, example_network
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.golden import simulate
from compress.hardware.plan import HardwareOptions
from compress.model.network import write_npz
from compress.verify.cocotb_run import run_sim

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


@pytest.mark.parametrize("pipeline", ["area", "speed"])
def test_example_matches_golden(tmp_path, pipeline):
    build(example_network(), tmp_path / "b", hardware=HardwareOptions(pipeline))
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", steps=60, gaps=0.3)
    assert (tests, failures) == (1, 0) and counts.shape == (60, 4)


@pytest.mark.parametrize("pipeline", ["area", "speed"])
def test_random_pruned_network_matches_golden(tmp_path, pipeline):
    rng = np.random.default_rng(5)
    net = Network(
        (
            Layer(rng.uniform(-1, 1, (16, 24)), threshold=0.5, leak_shift=3),
            Layer(rng.uniform(-1, 1, (10, 16)), threshold=0.4, reset="subtract"),
        )
    )
    build(
        net,
        tmp_path / "b",
        CompressionConfig(bits=6, prune_percentile=40),
        HardwareOptions(pipeline),
    )
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=50, seed=2, gaps=0.0)
    assert (tests, failures) == (1, 0)


def test_corrupted_model_fails(tmp_path):
    build(example_network(), tmp_path / "b")
    with np.load(tmp_path / "b" / "model.npz") as data:
        arrays = {k: data[k] for k in data.files}
    codes = arrays["codes_0"].copy()
    stochastic = (codes > 0) & (codes < 127)
    codes[stochastic] = np.minimum(codes[stochastic] + 40, 126)
    arrays["codes_0"] = codes
    write_npz(tmp_path / "b" / "model.npz", arrays)
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=40)
    assert (tests, failures) == (1, 1)


@pytest.mark.parametrize("pipeline", ["area", "speed"])
def test_period_exactness_on_verilog(tmp_path, pipeline):
    """Constant inputs: any M consecutive counts of the RTL sum to sum(s*m*x) + M*sum(const)."""
    rng = np.random.default_rng(9)
    w = rng.uniform(-1, 1, (6, 10))
    w[0, :3] = [1.0, -1.0, 0.0]  # constants and a dropped synapse
    net = Network((Layer(w, threshold=100.0),))
    build(net, tmp_path / "b", CompressionConfig(bits=5), HardwareOptions(pipeline))
    plan = load_plan(tmp_path / "b")
    layer = plan.layers[0]
    m = layer.max_code
    tests, failures, counts = run_sim(
        tmp_path / "b", tmp_path / "w", steps=2 * m + 3, seed=4, rate=0.6, gaps=0.25, constant=True
    )
    assert (tests, failures) == (1, 0)
    x = np.random.default_rng(4).random((1, 10))[0] < 0.6  # the row the test held
    want = (layer.signs * layer.codes * x[None, :]).sum(axis=1)
    assert layer.class_counts()["constant"] >= 2
    for start in (0, 3, m):
        assert counts[start : start + m].sum(axis=0).tolist() == want.tolist()


@pytest.mark.parametrize("pipeline", ["area", "speed"])
def test_saturation_on_verilog(tmp_path, pipeline):
    """Membranes saturate at the bottom; a wrapping membrane would fire at the wrong steps."""
    w = np.array([[-1.0, -1.0, -1.0, 1.0], [1.0, 1.0, 1.0, -1.0]])
    net = Network((Layer(w, threshold=3.0, reset="subtract"),))
    build(net, tmp_path / "b", CompressionConfig(bits=2), HardwareOptions(pipeline))
    plan = load_plan(tmp_path / "b")
    layer = plan.layers[0]
    low = -(1 << (layer.v_width - 1))
    down = np.tile([1, 1, 1, 0], (40, 1))  # neuron 0: -3 per step; neuron 1: +3 per step
    up = np.tile([0, 0, 0, 1], (12, 1))
    x = np.vstack([down, up, down[:5], up])
    trace = simulate(plan, x)
    assert trace.membranes[0][:, 0].min() == low  # neuron 0 saturated at the bottom
    assert trace.spikes[0][:, 1].sum() > 0
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", inputs=x, gaps=0.2)
    assert (tests, failures) == (1, 0)


@pytest.mark.parametrize("pipeline", ["area", "speed"])
def test_amaranth_emitter_matches_golden(tmp_path, pipeline):
    """The Verilog the Amaranth components emit passes the same cocotb check."""
    result = build(
        example_network(), tmp_path / "b", None, HardwareOptions(pipeline), emitter="amaranth"
    )
    assert "rtl/sc_network.v" in result.files and "rtl/lint.vlt" in result.files
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", steps=50, gaps=0.3)
    assert (tests, failures) == (1, 0) and counts.shape == (50, 4)


@pytest.mark.parametrize("parallelism", [1, 2, 5])
def test_folded_matches_parallel_and_golden(tmp_path, parallelism):
    """The example (constants, delays, both resets) folded at several P: same counts."""
    build(example_network(), tmp_path / "full")
    build(example_network(), tmp_path / "b", hardware=HardwareOptions(parallelism=parallelism))
    plan = load_plan(tmp_path / "b")
    assert all(layer.style.name == "folded" for layer in plan.layers)
    # every layer folded: slots from the widest neuron's stochastic synapses
    assert all(
        layer.style.slots == -(-max_stoch // parallelism)
        for layer, max_stoch in zip(
            plan.layers, [int((la.classes == 2).sum(axis=1).max()) for la in plan.layers]
        )
    )
    steps = 24
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", steps=steps, gaps=0.3)
    assert (tests, failures) == (1, 0)
    _, _, reference = run_sim(tmp_path / "full", tmp_path / "wf", steps=steps, gaps=0.0)
    assert np.array_equal(counts, reference)


@pytest.mark.parametrize("fold_order", ["compact", "banked", "aligned"])
def test_folded_mixed_layers_match_golden(tmp_path, fold_order):
    """A folded layer feeding a fully parallel one and the other way round, with leak."""
    rng = np.random.default_rng(8)
    net = Network(
        (
            Layer(rng.uniform(-1, 1, (10, 20)), threshold=0.5, leak_shift=2, reset="subtract"),
            Layer(rng.uniform(-1, 1, (6, 10)), threshold=0.4),
            Layer(rng.uniform(-1, 1, (3, 6)), threshold=0.3),
        )
    )
    config = CompressionConfig(bits=6, prune_percentile=30)
    build(
        net,
        tmp_path / "b",
        config,
        HardwareOptions(parallelism=[3, "full", 2], fold_order=fold_order),
    )
    plan = load_plan(tmp_path / "b")
    assert plan.layers[0].style.order == fold_order
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=30, seed=3, gaps=0.2)
    assert (tests, failures) == (1, 0)


@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_weight_port_reloads_weights(tmp_path, emitter):
    """New codes and signs written through the weight port give the new model's counts."""
    import json

    build(
        example_network(),
        tmp_path / "b",
        hardware=HardwareOptions(parallelism=[2, 3], weight_port=True),
        emitter=emitter,
    )
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    assert {"w_en", "w_layer", "w_addr", "w_data"} <= set(design["ports"])
    reflected_copy(tmp_path / "b", tmp_path / "g")  # new weights of the same synapses
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=20, golden=tmp_path / "g")
    assert (tests, failures) == (1, 0)
    # Without the writes the hardware keeps its old weights and the check fails.
    tests, failures, _ = run_sim(
        tmp_path / "b", tmp_path / "w2", steps=20, golden=tmp_path / "g", reload=False
    )
    assert (tests, failures) == (1, 1)


@pytest.mark.parametrize(
    ("parallelism", "pipeline", "emitter"),
    [
        ("full", "area", "jinja"),
        (2, "area", "jinja"),
        ("full", "speed", "jinja"),
        ("full", "speed", "amaranth"),
        (2, "area", "amaranth"),
    ],
)
def test_delay_ram_ring_matches_golden(tmp_path, parallelism, pipeline, emitter):
    """Delay buffers as a RAM ring (threshold 1 bit): same counts as the golden model."""
    hardware = HardwareOptions(pipeline, parallelism, "aligned", delay_ram_bits=1)
    result = build(example_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    assert all(layer.delay_ram for layer in result.plan.layers)
    name = "sc_network_layer0.v" if emitter == "jinja" else "sc_network__layer0__ring.v"
    text = (tmp_path / "b" / "rtl" / name).read_text()
    assert "dmem" in text and "dl1" not in text
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=40, gaps=0.3)
    assert (tests, failures) == (1, 0)


def test_long_delays_default_to_ram_and_match_golden(tmp_path):
    """Delays up to 40 steps on 32 lines (1280 bits): a RAM ring by default, exact over 90 steps."""
    rng = np.random.default_rng(6)
    w = rng.uniform(-1, 1, (5, 32))
    delays = rng.choice([0.0, 1.0, 17.0, 40.0], (5, 32))
    delays[:, 0] = 40.0  # every neuron reaches back 40 steps on line 0
    net = Network((Layer(w, delays=delays, threshold=1.5),))
    result = build(net, tmp_path / "b")
    assert result.plan.layers[0].delay_ram and sum(result.plan.layers[0].line_depths) >= 1024
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=90, gaps=0.1)
    assert (tests, failures) == (1, 0)
