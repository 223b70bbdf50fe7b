"""Run the Amaranth components in Amaranth's simulator: the same checks as cocotb.

:func:`simulate_components` drives :class:`hdl_templates.components.Network`
through SPEC section 5's handshake (with random idle clocks) and records what
every layer emits on each ``out_valid``: counts, spikes and (for the tests)
membranes.  The tests compare it with :func:`compress.hardware.golden.simulate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.sim import Simulator

from compress.hardware.design import unpack_counts
from compress.hardware.plan import NetworkPlan
from compress.hardware.structure import network_structure
from compress.hardware.vectors import input_words
from hdl_templates.components import Network

__all__ = ["ComponentTrace", "simulate_components"]


@dataclass(frozen=True, eq=False)
class ComponentTrace:
    """Per layer, one row per ``out_valid``: counts, spikes, and the clock it came."""

    counts: list[np.ndarray]
    spikes: list[np.ndarray]
    clocks: list[np.ndarray]


def simulate_components(
    plan: NetworkPlan, spikes: np.ndarray, *, gaps: float = 0.2, seed: int = 0
) -> ComponentTrace:
    """Simulate the Amaranth network on ``spikes`` (``(steps, n_in)``), cycle by cycle.

    Parameters
    ----------
    plan : NetworkPlan
    spikes : ndarray, shape (steps, n_in)
        Input spikes, or levels when the plan has an input encoder.
    gaps : float
        Probability of an idle clock (``in_valid = 0``) before each step.
    seed : int
        Seed of the idle-clock generator.

    Returns
    -------
    ComponentTrace
    """
    dut = Network(structure=network_structure(plan))
    rng = np.random.default_rng(seed)
    layers = dut.layers
    seen: list[list[tuple[int, list[int], list[bool]]]] = [[] for _ in layers]

    port = dut.in_features if plan.encoder else dut.in_spikes

    async def drive(ctx):
        for word in input_words(plan, spikes):
            while rng.random() < gaps:
                ctx.set(dut.in_valid, 0)
                await ctx.tick()
            ctx.set(port, word)
            ctx.set(dut.in_valid, 1)
            while not ctx.get(dut.in_ready):  # a folded network takes a step at a time
                await ctx.tick()
            await ctx.tick()
        ctx.set(dut.in_valid, 0)
        await ctx.tick().repeat(plan.latency + 2)

    async def watch(ctx):
        clock = 0
        ports = [(la.out_valid, la.out_counts, la.out_spikes) for la in layers]
        async for _, _, *values in ctx.tick().sample(*(p for trio in ports for p in trio)):
            for index, layer in enumerate(layers):
                valid, counts, out = values[3 * index : 3 * index + 3]
                if valid:
                    n, cw = layer.structure.n_out, layer.structure.count_width
                    bits = [bool((out >> i) & 1) for i in range(n)]
                    seen[index].append((clock, unpack_counts(counts, n, cw).tolist(), bits))
            clock += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(drive)
    sim.add_process(watch)
    sim.run()
    return ComponentTrace(
        counts=[np.array([c for _, c, _ in rows], dtype=np.int64) for rows in seen],
        spikes=[np.array([s for _, _, s in rows], dtype=bool) for rows in seen],
        clocks=[np.array([t for t, _, _ in rows], dtype=np.int64) for rows in seen],
    )
