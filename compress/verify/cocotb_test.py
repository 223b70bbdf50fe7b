"""cocotb test: a generated network against the golden model, bit for bit.

Environment: ``SC_BUILD`` (build folder), ``SC_STEPS``, ``SC_SEED``,
``SC_RATE`` (input spike probability), ``SC_GAPS`` (idle-cycle probability),
``SC_CONSTANT`` (1: one random input row held for every step), ``SC_INPUTS``
(a ``.npy`` array of shape ``(steps, n_in)`` used instead of random rows: spikes, or
levels when the build has an input encoder, whose golden spikes come from
:meth:`~compress.hardware.plan.NetworkPlan.input_spikes`),
``SC_GOLDEN`` (a build folder whose model the outputs are checked against; with
a weight port, its folded layers' memory rows are written through the port
first), ``SC_RELOAD`` (0: check against SC_GOLDEN without writing).
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from ..hardware.design import load_plan
from ..hardware.golden import readout, run
from ..hardware.structure import argmax_tree
from ..hardware.vectors import input_words
from .cocotb_bench import (
    Driver,
    EventDriver,
    Monitor,
    check,
    check_classes,
    reload_weights,
)


@cocotb.test()
async def golden_match(dut):
    """Every count of the last layer and every observable spike equals the golden model."""
    hardware = load_plan(os.environ["SC_BUILD"])
    plan = load_plan(os.environ.get("SC_GOLDEN") or os.environ["SC_BUILD"])
    steps = int(os.environ.get("SC_STEPS", "64"))
    steps = hardware.whole_windows(steps)
    rng = np.random.default_rng(int(os.environ.get("SC_SEED", "1")))
    rate = float(os.environ.get("SC_RATE", "0.4"))
    if os.environ.get("SC_INPUTS"):
        stimulus = np.load(os.environ["SC_INPUTS"])
    elif hardware.encoder is not None:  # levels, held for every step when constant
        top = hardware.encoder.max_level
        rows = 1 if os.environ.get("SC_CONSTANT") == "1" else steps
        stimulus = np.resize(rng.integers(0, top + 1, (rows, plan.n_in)), (steps, plan.n_in))
    elif os.environ.get("SC_CONSTANT") == "1":
        stimulus = np.repeat(rng.random((1, plan.n_in)) < rate, steps, axis=0)
    else:
        stimulus = rng.random((steps, plan.n_in)) < rate
    trace = run(plan, hardware.input_spikes(stimulus))
    port = "in_features" if hardware.encoder is not None else "in_spikes"

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    events = hardware.events is not None
    if events:
        dut.ev_valid.value = 0
        dut.ev_end.value = 0
        dut.ev_addr.value = 0
    else:
        dut.in_valid.value = 0
        getattr(dut, port).value = 0
    if hardware.weight_port:
        dut.w_en.value = 0
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    if hardware.weight_port and os.environ.get("SC_RELOAD", "1") == "1":
        await reload_weights(dut, plan)
    sizes = [layer.n_out for layer in plan.layers]
    sum_width = plan.sum_width if plan.window else 0
    monitor = Monitor(dut, len(plan.layers), sizes, plan.count_width, sum_width, events)
    cocotb.start_soon(monitor.run())
    gaps = float(os.environ.get("SC_GAPS", "0.2"))
    if events:
        await EventDriver(dut, hardware, np.asarray(stimulus, dtype=bool), gaps, rng).run()
    else:
        await Driver(dut, input_words(hardware, stimulus), gaps, rng, port).run()
    # the last window's argmax tournament runs after its last step
    tail = len(argmax_tree(plan.n_out)) + 2 if plan.window else 0
    await ClockCycles(dut.clk, plan.latency + 2 + tail)
    await RisingEdge(dut.clk)
    latency = hardware.step_clocks(
        [hardware.input_spikes(stimulus), *trace.spikes[:-1]], trace.spikes
    )
    errors = check(monitor.seen, trace.counts[-1], trace.spikes, latency)
    if plan.window:
        errors += check_classes(monitor.seen, *readout(plan, trace.counts[-1], trace.membranes[-1]))
    results = os.environ["SC_RESULTS"]
    np.save(os.path.join(results, "counts.npy"), np.array(monitor.seen.counts))
    np.save(os.path.join(results, "classes.npy"), np.array(monitor.seen.classes, dtype=np.int64))
    assert not errors, "mismatch against the golden model:\n" + "\n".join(errors)
