"""The convolution layer style: the golden model of kernels stored once, against the
unrolled matrices and an independent float convolution, the plan's refusals, and the
Verilog proven on Icarus against the golden model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from test_conv import conv2d

from compress import CompressionConfig, HardwareOptions, Layer, Network, compress_network
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.golden import _signed_bits, expected, simulate
from compress.hardware.ir import DROPPED
from compress.hardware.plan import plan_network
from compress.hardware.styles.conv import CONV_FIXED, Convolution, axis_table
from compress.model.conv import Conv
from compress.verify.cocotb_run import run_sim

needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def _network(seed: int = 0, geometry: Conv | None = None, bias: bool = True, **neuron) -> Network:
    rng = np.random.default_rng(seed)
    g = geometry or Conv((2, 6, 7), 3, (3, 3), stride=(2, 1), padding=(1, 1))
    first = Layer(
        rng.normal(0, 0.5, g.kernel_shape),
        threshold=1.0,
        bias=rng.normal(0, 0.3, g.out_channels) if bias else None,
        conv=g,
        **neuron,
    )
    return Network([first, Layer(rng.normal(0, 0.5, (4, g.n_out)), threshold=1.0)])


def test_the_golden_counts_are_the_unrolled_weight_bits():
    """Per step, every count is the input times the unrolled matrix of that step's kernel
    bits: a synapse reads its kernel weight's stream, padding reads 0, the bias every
    position."""
    net = _network()
    plan = plan_network(compress_network(net, CompressionConfig(bits=4)))
    layer = plan.layers[0]
    g = layer.conv
    assert isinstance(layer.style, Convolution) and layer.codes.shape == (3, g.n_taps + 1)
    rng = np.random.default_rng(1)
    x = rng.random((3, 20, g.n_in)) < 0.3
    counts = simulate(plan, x).counts[0]
    neuron, line = np.nonzero(layer.classes != DROPPED)
    bits = _signed_bits(layer, neuron, line, np.arange(layer.period), layer.stream_tables())
    per = g.n_out // g.out_channels
    for t in range(20):
        kernel = np.zeros(layer.codes.shape)
        kernel[neuron, line] = bits[t % layer.period]
        matrix = g.unroll(kernel[:, : g.n_taps].reshape(g.kernel_shape))
        want = x[:, t] @ matrix.T + np.repeat(kernel[:, g.n_taps], per)
        assert np.array_equal(counts[:, t], want.astype(np.int64)), t


def test_the_expected_counts_follow_a_float_convolution():
    """The expected-value path (exact means of the quantized kernel) against a float
    convolution written from NIR's semantics: each count within the quantization error,
    taps x half a code step (plus the bias's half step)."""
    net = _network(seed=2)
    result = compress_network(net, CompressionConfig(bits=10))
    plan = plan_network(result)
    layer, source = plan.layers[0], net.layers[0]
    g = layer.conv
    rng = np.random.default_rng(3)
    x = (rng.random((12, g.n_in)) < 0.4).astype(np.float64)
    ours = expected(plan, x).counts[0] * layer.threshold_unit  # weight units
    for t in range(12):
        image = x[t].reshape(g.in_shape)
        want = conv2d(image, source.weights, g.stride, g.padding, g.dilation, g.groups)
        want = want + source.bias[:, None, None]
        step = layer.threshold_unit / layer.max_code
        bound = (g.n_taps + 1) * step / 2
        assert np.abs(ours[t] - want.reshape(-1)).max() <= bound + 1e-12


def test_the_walk_tables_and_clocks():
    """Input row y reaches output y' through tap a when y' * s = y + p - a * d; clocks are
    the fixed ones, the segments, the visits of every spike and the neuron rows."""
    assert axis_table(5, 3, 2, 1, 1, 3) == [
        [(1, 0)],
        [(0, 1), (2, 0)],
        [(1, 1)],
        [(0, 2), (2, 1)],
        [(1, 2)],
    ]
    style = Convolution(2, Conv((2, 5, 70), 3, (3, 3), stride=(2, 1), padding=(1, 1)))
    assert style.groups == 2 and style.positions == 3 * 70 and style.rows == 2 * 210
    assert style.segment == 64 and style.segments == 2 and style.loads == 2 * 5 * 2
    assert style.slots == (2, 3) and style.visits == 2 * 3 * 2
    assert style.step_clocks(5) == CONV_FIXED + 20 + 5 * 12 + 420


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"parallelism": ("event", "full")},
            r"^layer 0: a convolution layer must have parallelism 'conv' .*, not 'event'",
        ),
        (
            {"parallelism": ("conv", "conv")},
            r"^layer 1: parallelism 'conv' needs a convolution layer, not a fully connected one$",
        ),
    ],
)
def test_styles_that_cannot_build_a_layer_say_so(change, message):
    result = compress_network(_network(), CompressionConfig(bits=6))
    with pytest.raises(ValueError, match=message):
        plan_network(result, hardware=HardwareOptions(**change))


def test_a_threshold_that_varies_within_a_channel_is_refused():
    net = _network()
    per = net.layers[0].n_out // 3
    threshold = np.repeat([1.0, 2.0, 3.0], per)
    threshold[per + 4] = 2.5
    layers = (Layer(**{**net.layers[0].__dict__, "threshold": threshold}), net.layers[1])
    result = compress_network(Network(layers), CompressionConfig(bits=6))
    with pytest.raises(
        ValueError,
        match=r"^layer 0: a convolution's threshold must be the same at every position of an "
        r"output channel, not 2.0 and 2.5 in channel 1 \(positions 0 and 4\)$",
    ):
        plan_network(result)


def test_grouped_convolutions_are_refused_in_hardware():
    g = Conv((4, 4, 4), 2, (3, 3), padding=(1, 1), groups=2)
    result = compress_network(_network(geometry=g), CompressionConfig(bits=6))
    with pytest.raises(ValueError, match=r"^layer 0: a convolution's groups must be 1 in hardware"):
        plan_network(result)


@needs_iverilog
@pytest.mark.parametrize(
    "geometry, lanes, neuron, emitter",
    [
        (Conv((2, 6, 7), 3, (3, 3), stride=(2, 1), padding=(1, 1)), 2, {}, "jinja"),
        (Conv((2, 6, 7), 3, (3, 3), stride=(2, 1), padding=(1, 1)), 2, {}, "amaranth"),
        (Conv((1, 3, 70), 2, (2, 3), stride=(1, 2), dilation=(1, 2)), 1, {"leak": 0.25}, "jinja"),
        (Conv((3, 4, 4), 4, (3, 3), padding=(2, 2)), 4, {"syn_leak": 0.5, "leak": 0.1}, "jinja"),
    ],
)
def test_a_convolution_layer_matches_the_golden_model_on_icarus(
    tmp_path, geometry, lanes, neuron, emitter
):
    """cocotb on Icarus: every spike of both layers, the last layer's counts and every
    step's clocks (which follow the input spikes) equal the golden model's; lanes that
    do not divide the channels (padding), rows longer than a walk segment, stride,
    padding, dilation, leaks and currents, both emitters."""
    net = _network(seed=4, geometry=geometry, **neuron)
    out = tmp_path / "b"
    hardware = HardwareOptions(neuron_lanes=lanes)
    build(net, out, CompressionConfig(bits=5), hardware, emitter=emitter)
    design = json.loads((out / "design.json").read_text())
    conv = design["layers"][0]["conv"]
    assert conv["lanes"] == lanes and conv["in_shape"] == list(geometry.in_shape)
    plan = load_plan(out)
    assert plan.layers[0].style == Convolution(lanes, geometry)
    tests, failures, _ = run_sim(out, tmp_path / "w", steps=24, seed=5, rate=0.3)
    assert (tests, failures) == (1, 0)


def test_fit_gives_convolutions_the_conv_style_and_the_rest_the_others():
    """--fit's search: a convolution layer only ever takes the conv style's lanes, a fully
    connected one only the other styles; options another one beats on every figure are
    not tried."""
    from compress.analysis.parts import _undominated, choose

    result = compress_network(_network(), CompressionConfig(bits=6))
    choice = choose(result, "up5k")
    first, second = choice.options
    assert first.parallelism == "conv" and second.parallelism != "conv"
    assert choice.plan.layers[0].style.name == "conv"
    figures = {0: (5, 1, 1), 1: (4, 1, 1), 2: (3, 2, 1), 3: (9, 0, 0)}
    # 0 is beaten by 1 (fewer clocks, nothing more); 3 has no memory, so it stays
    assert _undominated([0, 1, 2, 3], figures.get, [True, True, True, False]) == [1, 2, 3]
