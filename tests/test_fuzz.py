"""The fast tier of the random-network fuzz (``sim/fuzz.py``; ``make fuzz`` runs 300 cases).

Each case is a random network with random compression and hardware options,
built twice (byte-identical), linted with ``verilator --lint-only -Wall`` and
simulated with cocotb on Icarus against the golden model.
"""

import shutil

import numpy as np
import pytest
from fuzz import ACCEPTED_REFUSALS, random_case, run_case, verilator_path

from compress import HardwareOptions
from compress.hardware.styles import STYLES, style_for

#: Seeds of the fast tier: about 30 cases, a minute or two on one core.
FAST_SEEDS = range(30)

needs_tools = pytest.mark.skipif(
    shutil.which("iverilog") is None or verilator_path() is None,
    reason="needs iverilog and verilator",
)


@needs_tools
@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_fuzz_case(tmp_path, seed):
    outcome = run_case(random_case(seed), tmp_path)
    assert outcome.ok, f"{outcome.stage}: {outcome.description}\n{outcome.message}"
    if outcome.stage == "refused":
        assert any(reason in outcome.message for reason in ACCEPTED_REFUSALS)


def _styles(cases) -> set[str]:
    """The layer styles ``cases`` draw (a convolution layer's is ``conv``)."""
    return {
        "conv" if layer.conv is not None else style_for(p).name
        for c in cases
        for layer, p in zip(
            c.network.layers,
            c.hardware.parallelism
            if isinstance(c.hardware.parallelism, tuple)
            else [c.hardware.parallelism] * len(c.network.layers),
            strict=True,
        )
    }


def test_cases_are_reproducible_and_varied():
    """The same seed gives the same case; the fast tier covers every option."""
    a, b = random_case(7), random_case(7)
    assert a.describe() == b.describe()
    assert all((x == y).all() for x, y in zip(a.network.weights, b.network.weights))
    cases = [random_case(seed) for seed in range(300)]
    hardware = [c.hardware for c in cases]
    assert {h.pipeline for h in hardware} == {"area", "speed"}
    assert {h.fold_order for h in hardware} == {"compact", "banked", "aligned"}
    lanes = {
        p
        for h in hardware
        for p in (h.parallelism if isinstance(h.parallelism, tuple) else [h.parallelism])
    }
    assert {"full", 1, 2, 3} <= lanes
    # every registered layer style is drawn, on both emitters (a new style joins the fuzz)
    for emitter in ("jinja", "amaranth"):
        assert _styles([c for c in cases if c.emitter == emitter]) == set(STYLES), emitter
    assert any(isinstance(h.parallelism, tuple) and len(set(h.parallelism)) > 1 for h in hardware)
    assert any(h.weight_port for h in hardware) and any(not h.constants for h in hardware)
    assert any(h.decorrelate for h in hardware)
    assert any(h.delay_ram_bits < HardwareOptions().delay_ram_bits for h in hardware)
    assert {c.emitter for c in cases} == {"jinja", "amaranth"}
    encoded = [h for h in hardware if h.input_encoder == "rate"]
    assert len(encoded) > 30 and {h.input_bits for h in encoded} == set(range(4, 9))
    assert any(c.emitter == "amaranth" and c.hardware.input_encoder == "rate" for c in cases)
    events = [c for c in cases if c.hardware.input_encoder == "events"]
    assert len(events) > 20 and {c.emitter for c in events} == {"jinja", "amaranth"}
    assert any(c.network.layers[0].conv is not None for c in events)
    assert {h.readout for h in hardware} == {None, "argmax", "membrane", "membrane-sum"}
    # the tap stream rule in every registered style, on both emitters
    for emitter in ("jinja", "amaranth"):
        tapped = [c for c in cases if c.emitter == emitter and c.hardware.stream_rule == "tap"]
        assert _styles(tapped) == set(STYLES), emitter
    vdc = [c for c in cases if c.hardware.input_stream == "vdc"]
    assert {c.emitter for c in vdc} == {"jinja", "amaranth"} and any(
        c.hardware.readout for c in vdc
    )
    # neuron RAM on both emitters and both pipelines
    rams = [c for c in cases if any(np.atleast_1d(c.hardware.neuron_ram))]
    assert {(c.emitter, c.hardware.pipeline) for c in rams} == {
        (e, p) for e in ("jinja", "amaranth") for p in ("area", "speed")
    }
    # compressor-tree popcounts on both emitters, both pipelines, fully parallel and folded
    counters = [c for c in cases if c.hardware.popcount in ("lut4", "lut6")]
    assert {(c.emitter, c.hardware.pipeline, c.hardware.popcount) for c in counters} == {
        (e, p, k)
        for e in ("jinja", "amaranth")
        for p in ("area", "speed")
        for k in ("lut4", "lut6")
    }
    assert {"full", "folded"} <= _styles(counters)
    tap_folded = {c.hardware.fold_order for c in cases if c.hardware.stream_rule == "tap"}
    assert tap_folded == {"compact", "banked", "aligned"}
    assert any(c.emitter == "amaranth" and c.hardware.readout == "membrane" for c in cases)
    windows = {h.window for h in hardware if h.readout == "argmax"}
    assert 1 in windows and len(windows) > 8
    assert any(c.emitter == "amaranth" and c.hardware.readout for c in cases)
    assert {c.config.bits for c in cases} == set(range(2, 13))
    configs = [c.config for c in cases]
    for field in (
        "prune_threshold",
        "prune_percentile",
        "min_popcount_bits",
        "bitstream_length",
        "prune_neurons",
        "max_delay",
    ):
        assert any(getattr(cfg, field) is not None for cfg in configs), field
    assert any(cfg.delay_resolution > 1 for cfg in configs)
    assert any(cfg.firing_rates is not None for cfg in configs)
    assert any(o.bits for cfg in configs for _, o in cfg.layers)
    assert any(o.prune_percentile is not None for cfg in configs for _, o in cfg.layers)
    layers = [la for c in cases for la in c.network.layers]
    assert any(la.delays is not None for la in layers) and any(la.bias is not None for la in layers)
    assert {la.reset for la in layers} == {"zero", "subtract"}
    assert any(la.leak_shift for la in layers) and any(la.threshold.ndim == 1 for la in layers)
    assert {len(c.network.layers) for c in cases} == {1, 2, 3}


def test_cases_draw_every_neuron_model_in_every_layer_style():
    """NIR's neuron forms (non-power-of-two leaks, F, currents, drives, reset values,
    recurrent edges, LI outputs) each meet every layer style and both emitters."""
    cases = [random_case(seed) for seed in range(300)]
    features = {
        "leak": lambda la: la.leak is not None and la.leak not in (0.5, 0.25, 0.125),
        "frac_bits": lambda la: la.frac_bits is not None,
        "current": lambda la: la.syn_leak is not None,
        "drive": lambda la: la.drive is not None,
        "v_reset": lambda la: bool(la.v_reset.any()),
        "recurrent": lambda la: la.recurrent is not None,
        "strict": lambda la: la.strict,
    }
    seen = set()
    for case in cases:
        lanes = case.hardware.parallelism
        lanes = lanes if isinstance(lanes, tuple) else [lanes] * len(case.network.layers)
        for layer, p in zip(case.network.layers, lanes, strict=True):
            style = "event" if p == "event" else "full" if p in (None, "full") else "folded"
            style = "conv" if layer.conv is not None else style
            for name, has in features.items():
                if has(layer):
                    seen.add((name, style))
                    seen.add((name, case.emitter))
    styles = ("full", "folded", "event", "conv", "jinja", "amaranth")
    want = {(n, s) for n in features for s in styles if (n, s) != ("recurrent", "conv")}
    assert want <= seen, sorted(want - seen)
    assert any(not c.network.layers[-1].spiking for c in cases)


def test_cases_draw_captured_inputs_and_lfsr_rings():
    """The speed pipeline's first event layers that take their inputs themselves (the
    top's input register gone), and event layers whose LFSRs are a ring, each on both
    emitters."""
    from compress import compress_network
    from compress.hardware.plan import plan_network
    from compress.hardware.structure import EventLayer, layer_structure, lfsr_ring

    seen = set()
    for seed in range(300):
        case = random_case(seed)
        if case.hardware.pipeline != "speed":
            continue
        try:
            plan = plan_network(compress_network(case.network, case.config), hardware=case.hardware)
        except ValueError:  # a refused case
            continue
        for layer in plan.layers:
            structure = layer_structure(plan.top, layer)
            if isinstance(structure, EventLayer):
                if structure.capture:
                    seen.add(("capture", case.emitter))
                if lfsr_ring(structure) is not None:
                    seen.add(("ring", case.emitter))
    assert seen == {(k, e) for k in ("capture", "ring") for e in ("jinja", "amaranth")}
