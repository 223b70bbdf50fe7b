"""Compressor-tree popcounts (``popcount="lut4"``/``"lut6"``): the structure's counters
sum exactly with the latency the plan states, in Amaranth's simulator, on Icarus and
in both emitters' Verilog, for every layer style that has popcount trees."""

import shutil

import numpy as np
import pytest
from amaranth import ClockDomain, Module
from amaranth.sim import Simulator

from compress import CompressionConfig, Layer, Network, example_network
from compress.analysis.estimate import estimate
from compress.build import build
from compress.hardware.counters import column_groups, compressor_levels, counter_sizes
from compress.hardware.plan import HardwareOptions, plan_network, registered_levels
from compress.hardware.structure import Leaf, compressor_tree, network_structure
from compress.model.passes import compress_network
from compress.verify.cocotb_run import run_sim
from hdl_templates.components import PopcountTree

iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def _tree(n: int, popcount: str, gated: bool, pipeline: str = "area"):
    levels = compressor_levels(n, popcount, gated)
    leaves = [Leaf(j, 0, "cmp" if gated else None) for j in range(n)]
    regs = registered_levels(levels, pipeline)
    return compressor_tree(leaves, levels, regs, "p0", popcount=popcount, gated=gated), regs


@pytest.mark.parametrize("popcount", ["lut4", "lut6"])
@pytest.mark.parametrize("gated", [True, False])
def test_every_tree_up_to_the_widest_fits_its_levels(popcount, gated):
    """Each narrower tree finishes in the widest one's levels (the cuts are greedy,
    so the levels are the most any width up to the widest needs)."""
    first, later = counter_sizes(popcount, gated)
    for n in range(1, 80):
        tree, _ = _tree(n, popcount, gated)
        assert tree.result.width == n.bit_length()
        for node in tree.nodes:
            if node.counter:
                limit = first if node.kind == "count_and" else later
                assert 2 <= len(node.operands) <= limit, (n, node)
                assert (node.kind == "count_and") == (gated and node.name.split("_")[1] == "1")


def test_column_cuts():
    assert column_groups(1, 3, first=True) == []  # a lone synapse stays a plain bit
    assert column_groups(8, 3, first=True) == [3, 3, 2]
    assert column_groups(13, 6, first=False) == [6, 6]  # one left: passes on
    with pytest.raises(ValueError, match="popcount must be one of lut4, lut6, not 'adder'"):
        counter_sizes("adder", True)


@pytest.mark.parametrize(
    ("n", "popcount", "gated", "pipeline"),
    [
        (2, "lut6", True, "area"),
        (7, "lut4", True, "speed"),
        (23, "lut6", False, "area"),
        (40, "lut6", True, "speed"),
        (64, "lut4", False, "area"),
        (33, "lut4", True, "area"),
    ],
)
def test_compressor_tree_sums_in_amaranth(n, popcount, gated, pipeline):
    tree, regs = _tree(n, popcount, gated, pipeline)
    dut = PopcountTree(tree=tree)
    rows = np.random.default_rng(n).random((24, n)) < 0.5
    rows[3] = True  # every leaf: the widest count
    lag, got = len(regs), []

    async def bench(ctx):
        for row in rows:
            ctx.set(dut.leaves, int(sum(int(b) << j for j, b in enumerate(row))))
            got.append(ctx.get(dut.total))
            await ctx.tick()

    m = Module()
    m.domains.sync = ClockDomain()
    m.submodules.dut = dut
    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got[lag:] == rows.sum(axis=1)[: len(rows) - lag].tolist()


def _network() -> Network:
    rng = np.random.default_rng(21)
    return Network(
        (
            Layer(rng.uniform(-1, 1, (12, 30)), threshold=0.5, leak_shift=3),
            Layer(rng.uniform(-1, 1, (6, 12)), threshold=0.4, reset="subtract"),
        )
    )


@iverilog
@pytest.mark.parametrize(
    ("popcount", "pipeline", "parallelism", "emitter"),
    [
        ("lut6", "area", None, "jinja"),
        ("lut4", "speed", None, "jinja"),
        ("lut4", "area", [2, "full"], "jinja"),
        ("lut6", "speed", None, "amaranth"),
    ],
)
def test_compressor_popcounts_match_golden_on_icarus(
    tmp_path, popcount, pipeline, parallelism, emitter
):
    hardware = HardwareOptions(pipeline, parallelism=parallelism, popcount=popcount)
    config = CompressionConfig(bits=6, prune_percentile=20)
    result = build(_network(), tmp_path / "b", config, hardware, emitter=emitter)
    rtl = tmp_path / "b" / "rtl"
    counters = sorted(rtl.glob("*_count*.v"))
    assert counters and not list(rtl.glob("*__u_*"))  # one module per kind, kept apart
    assert all("(* keep_hierarchy *)" in path.read_text() for path in counters)
    assert len(result.files) > 0
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=40, seed=3, gaps=0.2)
    assert (tests, failures) == (1, 0)


def test_popcount_changes_the_circuit_not_the_counts():
    net = example_network()
    plans = {
        p: plan_network(compress_network(net), hardware=HardwareOptions(popcount=p))
        for p in ("adder", "lut4", "lut6")
    }
    for p, plan in plans.items():
        layer = plan.layers[0]
        assert layer.popcount == p
        np.testing.assert_array_equal(layer.codes, plans["adder"].layers[0].codes)
    kinds = network_structure(plans["lut6"]).counters
    assert ("count_and", 3) in kinds and not network_structure(plans["adder"]).counters
    # the estimate counts the counters' LUTs: one per output bit of a LUT-sized counter
    assert estimate(plans["lut6"], "xilinx")["total"]["luts"] > 0


def test_bad_popcount_is_refused():
    with pytest.raises(
        ValueError, match="popcount must be one of adder, lut4, lut6 or None, not 'lut5'"
    ):
        HardwareOptions(popcount="lut5")


@pytest.mark.parametrize(("popcount", "pipeline"), [("lut6", "speed"), ("lut4", "area")])
def test_compressor_popcounts_match_golden_in_amaranth(popcount, pipeline):
    from amaranth_sim import simulate_components

    from compress.hardware.golden import simulate

    hardware = HardwareOptions(pipeline, parallelism=["full", 1], popcount=popcount)
    plan = plan_network(compress_network(_network(), CompressionConfig(bits=5)), hardware=hardware)
    x = np.random.default_rng(4).random((30, plan.n_in)) < 0.4
    trace, got = simulate(plan, x), simulate_components(plan, x, gaps=0.2, seed=4)
    for index in range(len(plan.layers)):
        np.testing.assert_array_equal(got.counts[index], trace.counts[index])
        np.testing.assert_array_equal(got.spikes[index], trace.spikes[index])


def test_fit_keeps_the_smaller_of_adder_and_compressor_trees_unless_one_is_named():
    from compress.analysis.parts import choose
    from compress.hardware.families import FAMILIES

    result = compress_network(_network(), CompressionConfig(bits=6))
    for part, family in (("xc7a35t", "xilinx"), ("up5k", "ice40"), ("ecp5-25k", "ecp5")):
        chosen = choose(result, part)
        named = {
            p: choose(result, part, HardwareOptions(popcount=p))
            for p in ("adder", FAMILIES[family].popcount)
        }
        key = {p: (c.clocks_per_step, c.fit["luts"]["need"]) for p, c in named.items()}
        smaller = min(key, key=key.get)  # adder on a tie (it comes first)
        assert chosen.hardware.popcount == smaller, (part, key)
        assert {layer.popcount for layer in chosen.plan.layers} == {smaller}
    named = choose(result, "xc7a35t", HardwareOptions(popcount="adder"))
    assert named.plan.layers[0].popcount == "adder"


def test_too_few_levels_are_refused():
    leaves = [Leaf(j, 0) for j in range(24)]
    with pytest.raises(ValueError, match="at most two bits a column for its adder, not 4"):
        compressor_tree(leaves, 2, (), "p0", popcount="lut6", gated=False)
