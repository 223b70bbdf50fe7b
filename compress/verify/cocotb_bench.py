"""Testbench parts for a generated sc-compress network: driver, monitor, checker.

Written only against SPEC section 5's ports (and, for hidden layers, the
``l<l>_valid`` / ``l<l>_spikes`` wires the top exposes for simulation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge

from ..hardware.design import unpack_counts
from ..hardware.memory import mem_words


def _bits(value: int, width: int) -> np.ndarray:
    return np.array([(value >> b) & 1 for b in range(width)], dtype=bool)


class EventDriver:
    """Sends each step as address events: one ``ev_valid && ev_ready`` beat per input
    spike (``ev_addr = {c, y, x}``, in a random order, now and then one twice or one
    outside the input's shape, which the top drops), then the ``ev_end`` beat that closes
    the step, with random idle gaps before every beat."""

    def __init__(self, dut, plan, rows: np.ndarray, gap_rate: float, rng: np.random.Generator):
        self.dut, self.plan, self.rows, self.gap_rate, self.rng = dut, plan, rows, gap_rate, rng

    def _beats(self, row: np.ndarray) -> list[int]:
        plan, rng = self.plan, self.rng
        spikes = rng.permutation(np.flatnonzero(row))
        beats = [int(plan.event_address(int(j))) for j in spikes]
        if beats and rng.random() < 0.2:  # the same spike twice is one spike
            beats.insert(int(rng.integers(0, len(beats) + 1)), beats[0])
        c, _, w = plan.events
        cb, yb, xb = plan.event_fields
        if w < 1 << xb and rng.random() < 0.2:  # a column past the edge is dropped
            beats.append(w)
        if c < 1 << cb and rng.random() < 0.2:  # so is a channel past the last
            beats.append(c << (yb + xb))
        return beats

    async def _send(self, addr: int, end: int) -> None:
        dut = self.dut
        while self.rng.random() < self.gap_rate:
            dut.ev_valid.value = 0
            await RisingEdge(dut.clk)
        dut.ev_addr.value = addr
        dut.ev_end.value = end
        dut.ev_valid.value = 1
        while True:
            await ReadOnly()
            taken = bool(int(dut.ev_ready.value))
            await RisingEdge(dut.clk)
            if taken:
                break

    async def run(self) -> None:
        for row in self.rows:
            for addr in self._beats(row):
                await self._send(addr, 0)
            await self._send(0, 1)
        self.dut.ev_valid.value = 0
        self.dut.ev_end.value = 0


class Driver:
    """Sends one step per ``in_valid && in_ready`` handshake, with random idle gaps.

    ``words`` are the input port's values, one per step (``in_spikes`` bits, or
    ``in_features`` levels with an input encoder); ``port`` names it.  A step is
    taken by the rising edge at which ``in_valid`` and ``in_ready`` are both
    high; ``in_ready`` is read once the clock cycle has settled.
    """

    def __init__(self, dut, words: list[int], gap_rate: float, rng: np.random.Generator, port: str):
        self.dut, self.words, self.gap_rate, self.rng = dut, words, gap_rate, rng
        self.port = getattr(dut, port)

    async def run(self) -> None:
        dut = self.dut
        for word in self.words:
            while self.rng.random() < self.gap_rate:
                dut.in_valid.value = 0
                await RisingEdge(dut.clk)
            self.port.value = word
            dut.in_valid.value = 1
            while True:
                await ReadOnly()
                taken = bool(int(dut.in_ready.value))
                await RisingEdge(dut.clk)
                if taken:
                    break
        dut.in_valid.value = 0


@dataclass
class Observed:
    spikes: list[list[np.ndarray]]
    counts: list[np.ndarray] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)  # clock of each in_valid && in_ready
    emitted: list[int] = field(default_factory=list)  # clock of each out_valid
    classes: list[int] = field(default_factory=list)  # out_class of each class_valid
    sums: list[np.ndarray] = field(default_factory=list)  # out_sums of each class_valid


class Monitor:
    """Samples every layer it can see on each clock where that layer's valid is high."""

    def __init__(
        self,
        dut,
        n_layers: int,
        sizes: list[int],
        count_width: int,
        sum_width: int = 0,
        events: bool = False,
    ):
        self.dut, self.n_layers, self.sizes, self.cw = dut, n_layers, sizes, count_width
        self.sum_width = sum_width  # > 0: the top has the class readout
        self.events = events  # a step is taken by the ev_end beat
        self.seen = Observed([[] for _ in range(n_layers)])

    async def run(self) -> None:
        dut = self.dut
        last = self.n_layers - 1
        clock = 0  # rising edges so far
        while True:
            await ReadOnly()  # the settled cycle before edge clock + 1, which samples it
            if self.events:
                taken = int(dut.ev_valid.value) and int(dut.ev_end.value)
                taken = taken and int(dut.ev_ready.value)
            else:
                taken = int(dut.in_valid.value) and int(dut.in_ready.value)
            if taken:
                self.seen.accepted.append(clock + 1)
            for layer in range(last):
                if int(getattr(dut, f"l{layer}_valid").value):
                    value = int(getattr(dut, f"l{layer}_spikes").value)
                    self.seen.spikes[layer].append(_bits(value, self.sizes[layer]))
            if int(dut.out_valid.value):
                self.seen.emitted.append(clock + 1)
                self.seen.spikes[last].append(_bits(int(dut.out_spikes.value), self.sizes[last]))
                self.seen.counts.append(
                    unpack_counts(int(dut.out_counts.value), self.sizes[last], self.cw)
                )
            if self.sum_width and int(dut.class_valid.value):
                self.seen.classes.append(int(dut.out_class.value))
                self.seen.sums.append(
                    unpack_counts(int(dut.out_sums.value), self.sizes[last], self.sum_width)
                )
            await RisingEdge(dut.clk)
            clock += 1


def _first_mismatch(
    what: str, layer: int, got_rows: list[np.ndarray], want: np.ndarray
) -> list[str]:
    """The count check of one signal: how often valid rose, and the first wrong value."""
    steps = want.shape[0]
    errors = []
    if len(got_rows) != steps:
        errors.append(f"layer {layer} valid rose {len(got_rows)} times, not {steps}")
    for t, got in enumerate(got_rows[:steps]):
        bad = np.flatnonzero(got != want[t])
        if bad.size:
            i = int(bad[0])
            errors.append(
                f"step {t}, layer {layer}, neuron {i}: {what} {int(got[i])}, "
                f"golden {int(want[t, i])}"
            )
            break
    return errors


def check(
    seen: Observed,
    counts: np.ndarray,
    spikes: list[np.ndarray],
    latency: int | np.ndarray | None = None,
) -> list[str]:
    """Compare what the monitor saw with the golden model; one line per first mismatch.

    With ``latency`` (one for every step, or per step: an event layer's clocks follow
    its inputs, :meth:`~compress.hardware.plan.NetworkPlan.step_clocks`), every step's
    ``out_valid`` must also come exactly that many clocks after the step was accepted.
    """
    errors = _first_mismatch("count", len(spikes) - 1, seen.counts, counts)
    if latency is not None:
        want = np.broadcast_to(np.asarray(latency), (len(seen.accepted),))
        for t, (sent, out) in enumerate(zip(seen.accepted, seen.emitted)):
            if out - sent != want[t]:
                errors.append(
                    f"step {t}: out_valid {out - sent} clocks after in_valid, not {want[t]}"
                )
                break
    for layer, want in enumerate(spikes):
        errors += _first_mismatch("spike", layer, seen.spikes[layer], want)
    return errors


def check_classes(seen: Observed, classes: np.ndarray, sums: np.ndarray) -> list[str]:
    """The class readout's windows against the golden model's; the first mismatch."""
    errors = []
    if len(seen.classes) != len(classes):
        errors.append(f"class_valid rose {len(seen.classes)} times, not {len(classes)}")
    for w, (got, got_sums) in enumerate(zip(seen.classes, seen.sums)):
        if got != classes[w] or not np.array_equal(got_sums, sums[w]):
            errors.append(
                f"window {w}: out_class {got} sums {got_sums.tolist()}, "
                f"golden {int(classes[w])} {sums[w].tolist()}"
            )
            break
    return errors


async def reload_weights(dut, plan) -> None:
    """Write every folded or event layer's weight-memory rows of ``plan`` through the
    weight port."""
    for layer in plan.layers:
        if not layer.has_memory:
            continue
        for address, row in enumerate(mem_words(layer)[1]):
            dut.w_en.value = 1
            dut.w_layer.value = layer.index
            dut.w_addr.value = address
            dut.w_data.value = row
            await RisingEdge(dut.clk)
    dut.w_en.value = 0
