"""The Amaranth components in Amaranth's simulator, against the golden model."""

import dataclasses

import numpy as np
import pytest
from amaranth import ClockDomain, Module
from amaranth.sim import Simulator
from amaranth_sim import simulate_components

from compress import CompressionConfig, Layer, Network, example_network
from compress.hardware.golden import neuron_update, simulate
from compress.hardware.lfsr import lfsr_sequence
from compress.hardware.neuron import NeuronPlan
from compress.hardware.plan import HardwareOptions, plan_network, registered_levels
from compress.hardware.structure import Leaf, Neuron, network_structure, popcount_tree
from compress.model.passes import compress_network
from hdl_templates.components import LFSR, LIF, DelayLine, PopcountTree


def _run(dut, bench):
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("width", [2, 5, 7])
def test_lfsr_follows_the_model_and_holds_without_enable(width):
    seed = 3
    dut = LFSR(width=width, seed=seed)
    want = lfsr_sequence(width, seed).tolist()
    got = []

    async def bench(ctx):
        for t in range(2 * len(want)):
            ctx.set(dut.en, t % 2)  # every other clock idle: the state must hold
            if t % 2:
                got.append(ctx.get(dut.state))
            await ctx.tick()

    _run(dut, bench)
    assert got == want


def test_refused_parameters_raise_without_an_unused_warning():
    with pytest.raises(ValueError, match=r"^LFSR seed must be in 1\.\.7, not 0$"):
        LFSR(width=3, seed=0)
    with pytest.raises(ValueError, match=r"^delay depth must be at least 1, not 0$"):
        DelayLine(depth=0)
    neuron = Neuron(0, theta=8, reset_sub=False, count_width=2, v_width=4, pos=None, neg=None)
    with pytest.raises(ValueError, match=r"^theta must be in 1\.\.7, not 8$"):
        LIF(neuron)
    current = dataclasses.replace(neuron, theta=3, model=NeuronPlan(syn_current=True, i_width=4))
    with pytest.raises(ValueError, match=r"^pre must be False for a neuron with a current"):
        LIF(current, pre=True)


def test_delay_line_taps():
    dut = DelayLine(depth=3)
    x = [1, 0, 1, 1, 0, 0, 1, 0]
    taps = []

    async def bench(ctx):
        for bit in x:
            ctx.set(dut.en, 1)
            ctx.set(dut.x, bit)
            await ctx.tick()
            taps.append(ctx.get(dut.taps))

    _run(dut, bench)
    for t, value in enumerate(taps):
        for d in range(1, 4):  # taps[d-1] after the edge holds x[t - d + 1]
            want = x[t - d + 1] if t - d + 1 >= 0 else 0
            assert (value >> (d - 1)) & 1 == want


@pytest.mark.parametrize(("n", "levels"), [(1, 0), (5, 3), (13, 4), (40, 6), (64, 7)])
def test_popcount_tree_sum_and_latency(n, levels):
    leaves = [Leaf(j, 0) for j in range(n)]
    dut = PopcountTree(tree=popcount_tree(leaves, levels, registered_levels(levels, "area"), "p0"))
    rng = np.random.default_rng(n)
    rows = rng.random((20, n)) < 0.5
    lag = levels // 3
    got = []

    async def bench(ctx):
        for row in rows:
            ctx.set(dut.leaves, int(sum(int(b) << j for j, b in enumerate(row))))
            got.append(ctx.get(dut.total))  # combinational view of this clock
            await ctx.tick()

    m = Module()
    m.domains.sync = ClockDomain()  # a tree of fewer than 3 levels has no registers
    m.submodules.dut = dut
    _run(m, bench)
    assert got[lag:] == rows.sum(axis=1)[: len(rows) - lag].tolist()


_MODELS = {
    "if": {},
    "shift2-subtract": {"leak_shift": 2, "reset": "subtract"},
    "shift1": {"leak_shift": 1},
    "lif-0.04-drive": {"leak": 0.04, "drive": 0.3, "strict": True},
    "lif-0.1-reset": {"leak": 0.1, "v_reset": -0.5},
    "cubalif": {"leak": 0.05, "syn_leak": 0.2},
    "cubali": {"leak": 0.1, "syn_leak": 0.3, "spiking": False},
    "li": {"leak": 0.125, "spiking": False},
    "f0-integer": {"leak_shift": 2, "frac_bits": 0},
}


#: The speed pipeline's pre-subtracted threshold is for plain neurons only.
_PLAIN = ("if", "shift2-subtract", "shift1", "f0-integer")


@pytest.mark.parametrize(
    ("model", "pre"),
    [(m, False) for m in sorted(_MODELS)] + [(m, True) for m in _PLAIN],
)
def test_lif_matches_the_golden_neuron(model, pre):
    layer = Layer(np.ones((1, 7)), threshold=3.0, **_MODELS[model])
    plan = plan_network(compress_network(Network((layer,)), CompressionConfig(bits=2)))
    lp = plan.layers[0]
    assert lp.neuron.plain == (model in _PLAIN)
    counts = np.random.default_rng(len(model)).integers(-7, 8, (80, 1))
    counts[10:30] = -7  # long negative run: the membrane saturates
    want_v, want_s = neuron_update(lp, counts)
    neuron = network_structure(plan).layers[0].neurons[0]
    dut = LIF(neuron, pre=pre)
    frac, theta = lp.neuron.frac_bits, lp.thresholds[0]
    got_v, got_s = [], []

    async def bench(ctx):
        for c in counts[:, 0]:
            ctx.set(dut.valid, 1)
            ctx.set(dut.count, int(c))
            ctx.set(dut.ctheta, (int(c) << frac) - theta)
            await ctx.tick()
            got_v.append(ctx.get(dut.v))
            got_s.append(bool(ctx.get(dut.spike)))

    _run(dut, bench)
    if model == "if":  # without a leak the long negative run reaches the bottom
        assert want_v.min() == -(1 << (lp.v_width - 1))
    assert got_v == want_v[:, 0].tolist() and got_s == want_s[:, 0].tolist()


def _check_network(plan, steps, seed, gaps):
    x = np.random.default_rng(seed).random((steps, plan.n_in)) < 0.4
    trace = simulate(plan, x)
    got = simulate_components(plan, x, gaps=gaps, seed=seed)
    for index in range(len(plan.layers)):
        assert np.array_equal(got.counts[index], trace.counts[index]), index
        assert np.array_equal(got.spikes[index], trace.spikes[index]), index
    return got


@pytest.mark.parametrize("pipeline", ["area", "speed"])
def test_example_network_matches_golden(pipeline):
    plan = plan_network(compress_network(example_network()), hardware=HardwareOptions(pipeline))
    got = _check_network(plan, 70, 3, 0.3)
    # Without gaps, layer l's results come exactly latency clocks after their step.
    fast = simulate_components(plan, np.zeros((10, plan.n_in), bool), gaps=0.0)
    assert fast.clocks[-1][0] == plan.latency and np.all(np.diff(fast.clocks[-1]) == 1)
    assert len(got.counts[-1]) == 70


@pytest.mark.parametrize("pipeline", ["area", "speed"])
def test_pruned_random_network_matches_golden(pipeline):
    rng = np.random.default_rng(11)
    net = Network(
        (
            Layer(
                rng.uniform(-1, 1, (12, 20)),
                delays=rng.integers(0, 4, (12, 20)).astype(float),
                threshold=0.6,
                leak_shift=2,
                reset="subtract",
            ),
            Layer(rng.uniform(-1, 1, (5, 12)), threshold=0.3),
        )
    )
    config = CompressionConfig(bits=5, prune_percentile=30)
    hardware = HardwareOptions(pipeline)
    _check_network(plan_network(compress_network(net, config), hardware=hardware), 60, 4, 0.2)


@pytest.mark.parametrize(
    "hardware",
    [
        HardwareOptions(parallelism=2),
        HardwareOptions(parallelism=3, fold_order="banked", pipeline="speed"),
        HardwareOptions(parallelism=2, fold_order="aligned", weight_port=True),
        HardwareOptions(parallelism=1, delay_ram_bits=8, decorrelate=True),
        HardwareOptions(delay_ram_bits=8),
    ],
    ids=["compact", "banked-speed", "aligned-port", "p1-ring-decorrelated", "full-ring"],
)
def test_folded_layers_and_delay_rings_match_golden(hardware):
    """Folded layers (weight rows in an Amaranth Memory) and the delay RAM ring."""
    rng = np.random.default_rng(5)
    net = Network(
        (
            Layer(
                rng.uniform(-1, 1, (6, 10)),
                delays=rng.choice([0.0, 1.0, 3.0, 6.0], (6, 10)),
                threshold=0.5,
            ),
            Layer(rng.uniform(-1, 1, (3, 6)), threshold=0.3),
        )
    )
    config = CompressionConfig(bits=4, prune_percentile=20)
    plan = plan_network(compress_network(net, config), hardware=hardware)
    assert plan.layers[0].delay_ram == (hardware.delay_ram_bits == 8)
    _check_network(plan, 30, 6, 0.2)
