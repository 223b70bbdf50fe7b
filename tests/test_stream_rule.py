"""The ``tap`` stream rule: one random stream per input tap, found from the row read, so
weight memories hold only sign and code; the same counts in every style, proven on
both emitters' Verilog."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from test_conv_hardware import _network as _conv_network
from test_event import _mixed_network

from compress import CompressionConfig, HardwareOptions, compress_network
from compress.analysis.estimate import family_features, layer_parts
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.golden import simulate
from compress.hardware.ir import STOCHASTIC, Stream
from compress.hardware.lfsr import block_bits, permutations
from compress.hardware.plan import plan_network
from compress.hardware.streams import STREAM_RULES, kept_taps
from compress.verify.cocotb_run import run_sim

needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")

TAP = {"stream_rule": "tap"}


def _plan(parallelism, bits=6, **options):
    result = compress_network(_mixed_network(), CompressionConfig(bits=bits, prune_percentile=30))
    return plan_network(result, hardware=HardwareOptions(parallelism=parallelism, **options))


def test_every_tap_has_a_stream_of_its_own():
    """A stochastic synapse reads the stream of its (line, delay) tap: no two synapses of
    a neuron share a stream, whatever their codes (SPEC section 4 asks it only for equal
    codes)."""
    layer = _plan("full", **TAP).layers[0]
    assert layer.stream_rule == "tap" and layer.stream_bits == 0
    taps = {tap: e for e, tap in enumerate(kept_taps(layer.codes, layer.delays))}
    stochastic = layer.classes == STOCHASTIC
    for i, j in zip(*np.nonzero(stochastic), strict=True):
        assert layer.streams[i, j] == taps[(int(j), int(layer.delays[i, j]))]
    assert (layer.streams[~stochastic] == -1).all()
    for i in range(layer.n_out):
        row = layer.streams[i][stochastic[i]]
        assert len(set(row.tolist())) == row.size
    assert len(layer.stream_defs) >= len(taps)


def test_tap_streams_come_in_whole_registers():
    """Stream s is register s >> B through permutation s % 2**B, every one a different
    sequence, none shared between layers, each exact over the LFSR period."""
    plan = _plan("full", **TAP)
    seen = set()
    for layer in plan.layers:
        block = layer.stream_block
        perms = permutations(layer.lfsr_width)
        assert block == block_bits(layer.lfsr_width) and 1 << block <= len(perms)
        for s, stream in enumerate(layer.stream_defs):
            assert stream == Stream(s >> block, perms[s % (1 << block)])
        tables = layer.stream_tables()
        for table in tables:
            assert sorted(table.tolist()) == list(range(1, layer.period + 1))
            assert table.tobytes() not in seen
            seen.add(table.tobytes())


@pytest.mark.parametrize(
    "parallelism", ["event", 2, ["event", "full", 3]], ids=["event", "folded", "mixed"]
)
def test_the_styles_compute_the_same_counts(parallelism):
    """Dense layers' tap streams do not depend on the style: folded and event-driven
    layers give the fully parallel layer's counts."""
    full, other = _plan("full", **TAP), _plan(parallelism, neuron_lanes=4, **TAP)
    for a, b in zip(full.layers, other.layers, strict=True):
        assert np.array_equal(a.streams, b.streams) and a.stream_defs == b.stream_defs
    x = np.random.default_rng(0).random((60, full.n_in)) < 0.4
    for a, b in zip(simulate(full, x).counts, simulate(other, x).counts, strict=True):
        assert np.array_equal(a, b)


def test_weight_words_lose_their_stream_field():
    """Event, folded and convolution words are {sign, code} (folded: with the input
    field); the memories shrink by the stream bits."""
    for parallelism in ("event", 2):
        code, tap = _plan(parallelism), _plan(parallelism, **TAP)
        for a, b in zip(code.layers, tap.layers, strict=True):
            assert a.stream_bits > 0 and b.stream_bits == 0
            rows_a, rows_b = a.style.weight_rows(a), b.style.weight_rows(b)
            assert rows_a[0] == rows_b[0] and rows_b[1] < rows_a[1]
    net = _conv_network(seed=3)
    result = compress_network(net, CompressionConfig(bits=6))
    code = plan_network(result, hardware=HardwareOptions(neuron_lanes=2)).layers[0]
    tap = plan_network(result, hardware=HardwareOptions(neuron_lanes=2, **TAP)).layers[0]
    assert tap.style.word_width(tap) == 1 + tap.k < code.style.word_width(code)
    # a convolution's tap is its kernel row: column t of channel o is stream t * G + o // lanes
    groups = tap.style.groups
    stochastic = tap.classes == STOCHASTIC
    for o, t in zip(*np.nonzero(stochastic), strict=True):
        assert tap.streams[o, t] == t * groups + o // 2


def test_design_json_states_the_rule_and_reloads(tmp_path):
    build(_mixed_network(), tmp_path / "b", CompressionConfig(bits=6), HardwareOptions(**TAP))
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    lfsr = design["layers"][0]["lfsr"]
    assert (
        lfsr["stream_rule"] == "tap"
        and "memory words hold no stream number" in (lfsr["stream_rule_is"])
    )
    plan = load_plan(tmp_path / "b")
    assert {layer.stream_rule for layer in plan.layers} == {"tap"}


def test_too_few_streams_for_the_taps_is_refused_by_name():
    """Four-bit weights give 3-bit LFSRs: 7 registers of 4 streams, 28 taps at most."""
    rng = np.random.default_rng(2)
    from compress import Layer, Network

    net = Network((Layer(rng.uniform(-1, 1, (4, 40)), threshold=0.5),))
    result = compress_network(net, CompressionConfig(bits=4))
    with pytest.raises(ValueError, match=r"layer 0: random streams must number at least 40 "):
        plan_network(result, hardware=HardwareOptions(decorrelate=0, **TAP))
    with pytest.raises(ValueError, match="stream_rule must be one of code, tap, not 'lines'"):
        HardwareOptions(stream_rule="lines")
    assert STREAM_RULES == ("code", "tap")


def test_the_estimate_drops_the_lanes_stream_multiplexers():
    """Event lanes share the row's stream: one register and one permutation multiplexer
    instead of one stream multiplexer per lane."""
    counts = {}
    for rule in STREAM_RULES:
        plan = _plan("event", neuron_lanes=8, stream_rule=rule)
        layer = plan.layers[0]
        counts[rule] = family_features(layer_parts(plan, layer), "ice40")["stream_muxes"]
    assert 0 < counts["tap"] < counts["code"]


@needs_iverilog
@pytest.mark.parametrize(
    ("parallelism", "order", "emitter"),
    [
        ("event", "compact", "jinja"),
        ("event", "compact", "amaranth"),
        (3, "compact", "jinja"),
        (3, "banked", "amaranth"),
        (3, "aligned", "jinja"),
        (["event", 2, "full"], "aligned", "amaranth"),
    ],
)
def test_tap_streams_on_verilog(tmp_path, parallelism, order, emitter):
    """cocotb on Icarus: every spike, the last layer's counts and the clocks equal the
    golden model with the tap rule (delays, a bias, both emitters, every fold order)."""
    hardware = HardwareOptions(
        parallelism=parallelism, fold_order=order, neuron_lanes=4, delay_ram_bits=1, **TAP
    )
    build(_mixed_network(), tmp_path / "b", CompressionConfig(bits=6), hardware, emitter=emitter)
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=40, seed=3, gaps=0.2)
    assert (tests, failures) == (1, 0)


@needs_iverilog
@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_tap_streams_on_a_convolution(tmp_path, emitter):
    """A convolution whose channels take two groups (two streams per kernel tap)."""
    net = _conv_network(seed=4)
    hardware = HardwareOptions(neuron_lanes=2, **TAP)
    build(net, tmp_path / "b", CompressionConfig(bits=5), hardware, emitter=emitter)
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=24, seed=5, rate=0.3)
    assert (tests, failures) == (1, 0)
