"""Event-driven layers: the same counts as the fully parallel layer, clocks that follow
the input spikes, the row layout, the weight port, and what is refused."""

import json
import shutil

import numpy as np
import pytest
from helpers import reflected_copy

from compress import CompressionConfig, Layer, Network, compress_network, example_network
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.golden import simulate
from compress.hardware.memory import weight_rows
from compress.hardware.plan import EVENT_CHUNK, EVENT_FIXED, HardwareOptions, plan_network
from compress.hardware.styles.event import event_words
from compress.verify.cocotb_run import run_sim

needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def _mixed_network() -> Network:
    rng = np.random.default_rng(14)
    delays = rng.choice([0.0, 1.0, 3.0], (12, 20))
    return Network(
        (
            Layer(
                rng.uniform(-1, 1, (12, 20)),
                threshold=0.6,
                leak_shift=2,
                reset="subtract",
                delays=delays,
                bias=rng.uniform(-0.5, 0.5, 12),
            ),
            Layer(rng.uniform(-1, 1, (7, 12)), threshold=0.4),
            Layer(rng.uniform(-1, 1, (3, 7)), threshold=0.3),
        )
    )


def test_event_plan_keeps_every_random_stream():
    """The event plan's streams, codes and golden counts are the fully parallel plan's."""
    result = compress_network(example_network(), CompressionConfig())
    full = plan_network(result)
    event = plan_network(result, hardware=HardwareOptions(parallelism="event", neuron_lanes=3))
    assert [la.style.name for la in event.layers] == ["event", "event"]
    for a, b in zip(full.layers, event.layers, strict=True):
        assert np.array_equal(a.streams, b.streams) and a.stream_defs == b.stream_defs
        assert a.seeds == b.seeds and np.array_equal(a.codes, b.codes)
    x = np.random.default_rng(0).random((80, full.n_in)) < 0.4
    for a, b in zip(simulate(full, x).counts, simulate(event, x).counts, strict=True):
        assert np.array_equal(a, b)


def test_event_rows_hold_every_synapse_once():
    """Row e * G + g, lane p: the word of synapse (g * lanes + p, tap e's line) at tap e's delay."""
    result = compress_network(_mixed_network(), CompressionConfig(bits=6, prune_percentile=30))
    plan = plan_network(result, hardware=HardwareOptions(parallelism="event", neuron_lanes=5))
    layer = plan.layers[0]
    width, row_width, rows = event_words(layer)
    k, groups, lanes = layer.k, layer.style.groups(layer), layer.style.lanes
    assert (groups, row_width) == (3, 5 * width) and len(rows) == len(
        layer.style.taps(layer)
    ) * groups
    assert weight_rows(layer) == (len(rows), row_width)
    seen = np.zeros(layer.codes.shape, dtype=int)
    for e, (j, d) in enumerate(layer.style.taps(layer)):
        for g in range(groups):
            for p in range(lanes):
                word = rows[e * groups + g] >> (p * width) & ((1 << width) - 1)
                i = g * lanes + p
                if i >= layer.n_out:
                    assert word == 0  # the padding lanes of the last group
                    continue
                if layer.codes[i, j] == 0 or layer.delays[i, j] != d:
                    assert word == 0
                    continue
                seen[i, j] += 1
                assert word & ((1 << k) - 1) == layer.codes[i, j]
                assert (word >> k) & 1 == int(layer.signs[i, j] < 0)
                assert word >> (k + 1) == max(0, int(layer.streams[i, j]))
    assert np.array_equal(seen, (layer.codes > 0).astype(int))
    assert layer.bias and (layer.n_in - 1, 0) in layer.style.taps(layer)


def test_event_clocks_follow_the_spiking_taps():
    """Clocks per step: EVENT_FIXED + chunks + groups * (spiking taps + 1), bias tap
    included; with one group a chunk loads behind the last row of a chunk with a spiking
    tap, so only the first chunk and those after an idle one take a clock of their own."""
    w = np.ones((5, 40))
    delays = np.zeros((5, 40))
    delays[:, 1] = 2.0  # line 1 only at delay 2: its tap spikes two steps after its input
    net = Network((Layer(w, threshold=100.0, delays=delays),))
    result = compress_network(net, CompressionConfig(bits=4))
    plan = plan_network(result, hardware=HardwareOptions(parallelism="event", neuron_lanes=2))
    layer = plan.layers[0]
    assert (
        layer.style.groups(layer) == 3 and layer.style.chunks(layer) == -(-40 // EVENT_CHUNK) == 3
    )
    x = np.zeros((5, 40), dtype=bool)
    x[0, [0, 1, 5]] = True
    x[3, :] = True
    active = layer.style.active_taps(layer, x)
    assert active.tolist() == [2, 0, 1, 39, 0]  # step 2: line 1 (delay 2); step 3: all but 1
    clocks = plan.step_clocks([x])
    assert clocks.tolist() == [1 + EVENT_FIXED + 3 + 3 * (a + 1) for a in active]
    assert plan.latency == 1 + EVENT_FIXED + 3 + 3 * 41 and plan.variable
    one = plan_network(result, hardware=HardwareOptions(parallelism="event", neuron_lanes=5))
    layer = one.layers[0]
    loads = layer.style.chunk_loads(layer, x)
    assert loads.tolist() == [2, 3, 2, 1, 3]  # chunks 0, 1 busy or idle; the last not counted
    assert one.step_clocks([x]).tolist() == [
        1 + EVENT_FIXED + n + (a + 1) for a, n in zip(active, loads, strict=True)
    ]
    assert one.latency == 1 + EVENT_FIXED + 1 + 41
    # the speed pipeline registers the row's address and the row: two more clocks a step
    hardware = HardwareOptions("speed", parallelism="event", neuron_lanes=2)
    speed = plan_network(result, hardware=hardware)
    assert speed.layers[0].style.fixed(speed.layers[0]) == EVENT_FIXED + 3
    assert (speed.step_clocks([x]) - clocks).tolist() == [3] * 5


def test_design_json_states_the_clock_rule_and_reloads(tmp_path):
    hardware = HardwareOptions(parallelism=["event", "full", 2], neuron_lanes=(4, 8, 8))
    build(_mixed_network(), tmp_path / "b", CompressionConfig(bits=6), hardware)
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    first = design["layers"][0]
    assert first["style"] == "event" and design["layers"][1]["style"] == "full"
    assert first["event"]["lanes"] == 4 and first["event"]["groups"] == 3
    assert first["event"]["clocks"] == f"{EVENT_FIXED} + 4 + 3 * (spiking taps + 1)"
    assert "clocks" in design["latency_rule"] and design["mem"][0]["format"].startswith("one row")
    plan = load_plan(tmp_path / "b")
    assert plan.layers[0].style.lanes == 4 and plan.layers[0].style.taps(plan.layers[0]) == tuple(
        tuple(t) for t in first["event"]["taps"]
    )


def test_amaranth_refuses_spram_rows(tmp_path):
    hardware = HardwareOptions(parallelism="event", spram=True, weight_port=True, neuron_lanes=2)
    with pytest.raises(ValueError, match="layer 0: emitter must be jinja for SPRAM weight rows"):
        build(example_network(), tmp_path / "b", hardware=hardware, emitter="amaranth")
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("neuron_lanes", [1, 3, 8])
def test_bad_neuron_lanes_and_parallelism_are_refused(neuron_lanes):
    HardwareOptions(parallelism="event", neuron_lanes=neuron_lanes)
    with pytest.raises(ValueError, match="neuron_lanes must be"):
        HardwareOptions(parallelism="event", neuron_lanes=0)
    with pytest.raises(
        ValueError, match="parallelism must be a positive integer, 'full', 'event' or"
    ):
        HardwareOptions(parallelism="events")


@needs_iverilog
@pytest.mark.parametrize(
    ("neuron_lanes", "emitter"),
    [(1, "jinja"), (3, "jinja"), (8, "jinja"), (3, "amaranth"), (12, "amaranth")],
)
def test_event_rtl_matches_parallel_rtl(tmp_path, neuron_lanes, emitter):
    """Differential check: the example (constants, delays, both resets) event-driven at
    several lane counts (12: one group, whose chunks load behind the rows before), from
    both emitters, gives the fully parallel RTL's counts, step for step; the cocotb
    check also holds every step's out_valid to the clocks the plan predicts."""
    build(example_network(), tmp_path / "full")
    hardware = HardwareOptions(parallelism="event", neuron_lanes=neuron_lanes)
    build(example_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    steps = 30
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", steps=steps, gaps=0.3)
    assert (tests, failures) == (1, 0)
    _, _, reference = run_sim(tmp_path / "full", tmp_path / "wf", steps=steps, gaps=0.0)
    assert np.array_equal(counts, reference)


@needs_iverilog
@pytest.mark.parametrize(
    ("stream_rule", "emitter"), [("tap", "jinja"), ("tap", "amaranth"), ("code", "amaranth")]
)
def test_event_speed_pipeline_registers_the_row(tmp_path, stream_rule, emitter):
    """The speed pipeline's event layer: the row's address and the row (and the tap
    rule's stream value with them) are registered, the counts stay the fully parallel
    RTL's step for step, and every step's out_valid comes the two clocks later the plan
    predicts."""
    hardware = HardwareOptions(
        "speed", parallelism="event", neuron_lanes=3, stream_rule=stream_rule
    )
    result = build(example_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    layer = result.plan.layers[0]
    assert layer.style.fixed(layer) == EVENT_FIXED + 3
    module = "sc_network_layer0" if emitter == "jinja" else "sc_network__layer0"
    text = (tmp_path / "b" / "rtl" / f"{module}.v").read_text()
    assert "walk_end" in text and "row_valid" in text
    assert ("tstream_q" in text) == (stream_rule == "tap")
    steps = 30
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", steps=steps, gaps=0.3)
    assert (tests, failures) == (1, 0)
    build(
        example_network(), tmp_path / "full_tap", hardware=HardwareOptions(stream_rule=stream_rule)
    )
    _, _, reference = run_sim(tmp_path / "full_tap", tmp_path / "wf", steps=steps, gaps=0.0)
    assert np.array_equal(counts, reference)


@needs_iverilog
@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_event_speed_pipeline_staged_neurons_with_drive_and_current(tmp_path, emitter):
    """The two-stage neuron updates of the speed pipeline on NIR's neuron models: a
    drive and a leak with one group (its first stage reads group 0 on the clock before
    the updates), a current with two groups; every count, spike and step latency
    equals the golden model's."""
    rng = np.random.default_rng(7)
    hidden = Layer(rng.uniform(-1, 1, (16, 32)), threshold=2.0, leak=0.04, drive=0.05, strict=True)
    out = Layer(rng.uniform(-1, 1, (8, 16)), threshold=1.5, leak=0.1, syn_leak=0.2)
    hardware = HardwareOptions("speed", parallelism="event", neuron_lanes=(16, 4))
    result = build(Network((hidden, out)), tmp_path / "b", hardware=hardware, emitter=emitter)
    assert [layer.style.groups(layer) for layer in result.plan.layers] == [1, 2]
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=40, gaps=0.3)
    assert (tests, failures) == (1, 0)


@needs_iverilog
@pytest.mark.parametrize("delay_ram_bits", [1, 1024])
def test_event_layers_mixed_with_folded_and_parallel(tmp_path, delay_ram_bits):
    """Event -> full -> folded with delays (shift lines or a RAM ring), a bias and leak."""
    hardware = HardwareOptions(
        parallelism=["event", "full", 2], neuron_lanes=4, delay_ram_bits=delay_ram_bits
    )
    result = build(_mixed_network(), tmp_path / "b", CompressionConfig(bits=6), hardware)
    assert result.plan.layers[0].delay_ram == (delay_ram_bits == 1)
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=40, seed=5, gaps=0.2)
    assert (tests, failures) == (1, 0)


@needs_iverilog
def test_event_period_exactness_on_verilog(tmp_path):
    """Constant inputs: any M consecutive counts sum to sum(s*m*x) + M*sum(const)."""
    rng = np.random.default_rng(9)
    w = rng.uniform(-1, 1, (6, 10))
    w[0, :3] = [1.0, -1.0, 0.0]  # constants and a dropped synapse
    net = Network((Layer(w, threshold=100.0),))
    hardware = HardwareOptions(parallelism="event", neuron_lanes=4)
    build(net, tmp_path / "b", CompressionConfig(bits=5), hardware)
    layer = load_plan(tmp_path / "b").layers[0]
    m = layer.max_code
    tests, failures, counts = run_sim(
        tmp_path / "b", tmp_path / "w", steps=2 * m + 3, seed=4, rate=0.6, gaps=0.25, constant=True
    )
    assert (tests, failures) == (1, 0)
    x = np.random.default_rng(4).random((1, 10))[0] < 0.6
    want = (layer.signs * layer.codes * x[None, :]).sum(axis=1)
    for start in (0, 3, m):
        assert counts[start : start + m].sum(axis=0).tolist() == want.tolist()


@needs_iverilog
@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_event_weight_port_reloads_weights(tmp_path, emitter):
    """New codes and signs of the same synapses written through the weight port."""
    hardware = HardwareOptions(parallelism=["event", 2], neuron_lanes=3, weight_port=True)
    build(example_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    reflected_copy(tmp_path / "b", tmp_path / "g")
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=20, golden=tmp_path / "g")
    assert (tests, failures) == (1, 0)
    tests, failures, _ = run_sim(
        tmp_path / "b", tmp_path / "w2", steps=20, golden=tmp_path / "g", reload=False
    )
    assert (tests, failures) == (1, 1)


@needs_iverilog
@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_event_layer_without_a_kept_synapse(tmp_path, emitter):
    """Every synapse of layer 1 dropped: no taps, one group of empty rows, counts 0."""
    w0 = np.random.default_rng(1).uniform(-1, 1, (6, 10))
    w1 = np.zeros((3, 6))
    w1[0, 0] = 1e-9
    net = Network((Layer(w0, threshold=0.5), Layer(w1, threshold=0.5)))
    config = CompressionConfig(bits=6, prune_threshold=0.01)
    hardware = HardwareOptions(parallelism="event", neuron_lanes=2)
    result = build(net, tmp_path / "b", config, hardware, emitter=emitter)
    layer = result.plan.layers[1]
    assert layer.style.taps(layer) == () and weight_rows(layer) == (
        layer.style.groups(layer),
        2 * 7,
    )
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", steps=12)
    assert (tests, failures) == (1, 0) and not counts.any()


def _nir_models() -> Network:
    """A drive and a leak, then a synaptic current: NIR's neuron models."""
    rng = np.random.default_rng(7)
    hidden = Layer(rng.uniform(-1, 1, (16, 32)), threshold=2.0, leak=0.04, drive=0.05, strict=True)
    out = Layer(rng.uniform(-1, 1, (8, 16)), threshold=1.5, leak=0.1, syn_leak=0.2)
    return Network((hidden, out))


@needs_iverilog
@pytest.mark.parametrize(
    ("pipeline", "emitter"),
    [("area", "jinja"), ("speed", "jinja"), ("area", "amaranth"), ("speed", "amaranth")],
)
def test_event_neuron_ram_matches_the_banks(tmp_path, pipeline, emitter):
    """Neuron RAM: counts, membranes and currents in memories of one row per group, read
    ahead and written back. On NIR's models (a drive and a leak, a current; two groups
    each, so a group's row is read on the clock after the other's is written) every
    count, spike and step latency equals the golden model's, and the counts equal the
    flip-flop banks' step for step."""
    network = _nir_models()
    ram = HardwareOptions(pipeline, parallelism="event", neuron_lanes=(8, 4), neuron_ram=True)
    result = build(network, tmp_path / "ram", hardware=ram, emitter=emitter)
    assert [layer.style.groups(layer) for layer in result.plan.layers] == [2, 2]
    assert [layer.style.describe() for layer in result.plan.layers] == [
        "event 8 lanes, neuron RAM",
        "event 4 lanes, neuron RAM",
    ]
    module = "sc_network_layer1" if emitter == "jinja" else "sc_network__layer1"
    text = (tmp_path / "ram" / "rtl" / f"{module}.v").read_text()
    assert "cmem" in text and "imem" in text and "vbank" not in text
    steps = 40
    tests, failures, counts = run_sim(tmp_path / "ram", tmp_path / "w", steps=steps, gaps=0.3)
    assert (tests, failures) == (1, 0)
    banks = HardwareOptions(pipeline, parallelism="event", neuron_lanes=(8, 4))
    build(network, tmp_path / "banks", hardware=banks, emitter=emitter)
    _, _, reference = run_sim(tmp_path / "banks", tmp_path / "wb", steps=steps, gaps=0.0)
    assert np.array_equal(counts, reference)


@needs_iverilog
@pytest.mark.parametrize(
    ("pipeline", "emitter"), [("area", "jinja"), ("speed", "jinja"), ("speed", "amaranth")]
)
def test_event_neuron_ram_with_delays_bias_and_many_groups(tmp_path, pipeline, emitter):
    """Neuron RAM under delays, a bias tap and subtractive reset (six groups of two
    lanes; three of one), beside a fully parallel layer: the golden model's counts and
    latencies (the speed pipeline's update address, registered ahead, runs through
    every group)."""
    hardware = HardwareOptions(
        pipeline,
        parallelism=("event", "full", "event"),
        neuron_lanes=(2, 1, 1),
        neuron_ram=(True, False, True),
    )
    result = build(_mixed_network(), tmp_path / "b", hardware=hardware, emitter=emitter)
    assert [layer.style.describe() for layer in result.plan.layers] == [
        "event 2 lanes, neuron RAM",
        "full",
        "event 1 lanes, neuron RAM",
    ]
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=40, gaps=0.3)
    assert (tests, failures) == (1, 0)


def test_event_neuron_ram_is_refused_without_two_groups(tmp_path):
    """One group (lanes >= neurons) or no event layer: a one-line error, nothing built."""
    hardware = HardwareOptions(parallelism="event", neuron_lanes=(3, 8), neuron_ram=True)
    with pytest.raises(
        ValueError, match=r"layer 1: neuron_ram needs at least 2 neuron groups, not 1 \(4 neurons"
    ):
        build(example_network(), tmp_path / "b", hardware=hardware)
    with pytest.raises(ValueError, match="neuron_ram needs an event layer"):
        build(example_network(), tmp_path / "b", hardware=HardwareOptions(neuron_ram=True))
    with pytest.raises(ValueError, match="layer 1: neuron_ram must be True or False, not 'yes'"):
        HardwareOptions(neuron_ram=(True, "yes"))
    assert not (tmp_path / "b").exists()


def test_event_neuron_ram_trades_flip_flops_for_block_ram():
    """The estimate: neuron RAM keeps a few flip-flops per neuron (spikes, the last
    layer's counts) instead of whole banks, and spends block RAM on the rows."""
    from compress.analysis.estimate import estimate

    network = example_network("random_64_32_10")
    config = CompressionConfig(bits=8, prune_percentile=50)
    figures = {}
    for ram in (False, True):
        hardware = HardwareOptions(parallelism="event", neuron_lanes=8, neuron_ram=ram)
        figures[ram] = estimate(
            plan_network(compress_network(network, config), "t", hardware), "ice40"
        )
    assert figures[True]["total"]["ffs"] < figures[False]["total"]["ffs"] / 3
    assert figures[True]["total"]["brams"] > figures[False]["total"]["brams"]


def _wide_network() -> Network:
    """Two layers without delays, 70 inputs (five chunks of taps), some never read."""
    rng = np.random.default_rng(23)
    weights = rng.uniform(-1, 1, (20, 70))
    weights[:, 60:] = 0.0  # inputs no synapse reads: fewer taps than lines
    return Network(
        (
            Layer(weights, threshold=1.2, leak_shift=3, bias=rng.uniform(-0.5, 0.5, 20)),
            Layer(rng.uniform(-1, 1, (6, 20)), threshold=0.5),
        )
    )


@pytest.mark.parametrize(
    ("pipeline", "stream_rule", "capture", "ring"),
    [("speed", "tap", True, True), ("speed", "code", True, False), ("area", "tap", False, False)],
)
def test_which_event_layers_capture_and_rotate(pipeline, stream_rule, capture, ring):
    """Only the speed pipeline's event layers without delays take their taps into a
    shift register, the first of them the top's inputs (the top keeps no input
    register), and only under the tap rule are their LFSRs a ring (of a whole turn: one
    rotation per chunk); a layer with delays (the example) reads registers of earlier
    steps, so it keeps the top's input register and its chunk multiplexer."""
    from compress.hardware.structure import layer_structure, lfsr_ring

    hardware = HardwareOptions(
        pipeline, parallelism="event", neuron_lanes=4, stream_rule=stream_rule
    )
    result = compress_network(_wide_network(), CompressionConfig(bits=8))
    plan = plan_network(result, hardware=hardware)
    first, second = (layer_structure(plan.top, layer) for layer in plan.layers)
    assert (first.capture, second.capture) == (capture, capture)
    assert (first.takes_step, second.takes_step) == (capture, False)
    assert (lfsr_ring(first) is not None) == ring
    if ring:
        assert lfsr_ring(first).length == first.chunks * lfsr_ring(first).step
        assert first.chunks == 4 and len(first.events) == 61  # 60 lines and the bias
    example = plan_network(
        compress_network(example_network(), CompressionConfig(bits=6)), hardware=hardware
    )
    assert not layer_structure(example.top, example.layers[0]).capture


@needs_iverilog
@pytest.mark.parametrize(
    ("emitter", "lanes"), [("jinja", 4), ("amaranth", 4), ("jinja", 20), ("amaranth", 20)]
)
def test_speed_event_layer_captures_its_inputs_and_rotates_its_lfsrs(tmp_path, emitter, lanes):
    """The speed pipeline's first event layer takes its input spikes as the top accepts
    the step (the top keeps no input register, the layer no chunk multiplexer) and
    rotates its LFSRs instead of choosing each chunk's registers (with 20 lanes, one
    group, its chunks load behind the rows of the chunk before): every count equals
    the fully parallel RTL's, step for step, and every step's out_valid comes when the
    plan predicts."""
    hardware = HardwareOptions("speed", parallelism="event", neuron_lanes=lanes, stream_rule="tap")
    config = CompressionConfig(bits=8)
    build(_wide_network(), tmp_path / "b", config, hardware=hardware, emitter=emitter)
    rtl = tmp_path / "b" / "rtl"
    layer = rtl / ("sc_network_layer0.v" if emitter == "jinja" else "sc_network__layer0.v")
    text = layer.read_text()
    assert "tq" in text and "lfsr_pad" not in text and "tcand" not in text
    assert "l0_in_spikes" not in (rtl / "sc_network.v").read_text()
    steps = 40
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", steps=steps, gaps=0.3)
    assert (tests, failures) == (1, 0)
    build(_wide_network(), tmp_path / "full", config, hardware=HardwareOptions(stream_rule="tap"))
    _, _, reference = run_sim(tmp_path / "full", tmp_path / "wf", steps=steps, gaps=0.0)
    assert np.array_equal(counts, reference)
