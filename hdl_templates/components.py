"""Amaranth components of an sc-compress network, built from its circuit structure.

The same hardware as the Jinja2 templates, clock for clock, rendered from the
same :mod:`compress.hardware.structure`: an LFSR, a delay line, a delay ring, a
pipelined popcount tree, a LIF neuron, a fully parallel layer, a folded layer
(weight rows in an :class:`amaranth.lib.memory.Memory`, written through the
weight port when there is one) and the network top with SPEC section 5's
ports, and an event-driven layer (rows per input tap, rotating neuron banks).
``sc-compress build --emitter amaranth`` converts :class:`Network`
to Verilog; the tests also run it in Amaranth's simulator.  Both emitters are
checked against the golden model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_, xor

from amaranth import Array, C, Cat, Module, Mux, ResetInserter, Signal, signed, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from compress.hardware.lfsr import TAPS
from compress.hardware.memory import bits_for
from compress.hardware.neuron import GUARD, Decay
from compress.hardware.structure import (
    ConvLayer as ConvStructure,
)
from compress.hardware.structure import (
    DelayRing as RingStructure,
)
from compress.hardware.structure import (
    EventLayer as EventStructure,
)
from compress.hardware.structure import (
    FoldedLayer as FoldedStructure,
)
from compress.hardware.structure import (
    Leaf,
    NetworkStructure,
    Neuron,
    Tree,
    argmax_tree,
    at_most_one_terms,
    chunk_register_table,
    counter_table,
    lfsr_ring,
)
from compress.hardware.structure import (
    ParallelLayer as ParallelStructure,
)
from compress.hardware.styles import STYLES

__all__ = [
    "LFSR",
    "LIF",
    "ConvLayer",
    "Counter",
    "DelayLine",
    "DelayRing",
    "EventLayer",
    "FoldedLayer",
    "Layer",
    "Network",
    "PopcountTree",
    "add_delay_line",
    "add_popcount",
    "neuron_fire",
    "neuron_next",
    "neuron_sum",
]

_OPS = {"<=": "__le__", "==": "__eq__", "<": "__lt__"}


def add_delay_line(m: Module, *, name: str, depth: int, en, x) -> Signal:
    """A shift register ``name`` in ``m``: bit ``d - 1`` is ``x`` of ``d`` accepted steps ago."""
    taps = Signal(depth, name=name)
    with m.If(en):
        m.d.sync += taps.eq(Cat(x, taps[:-1]))
    return taps


def add_popcount(m: Module, *, tree: Tree, leaves: list, inputs: list | None = None):
    """The popcount ``tree`` over ``leaves`` (one-bit values) in ``m``, every node a signal
    named as in the structure (a register where it says so); returns the sum.

    A counter node is a :class:`Counter` submodule ``u_<node>``; a gated one
    (``count_and``) takes its synapses' ``(x, g)`` from ``inputs`` (one pair per leaf).
    Its inputs pass an operation (``^ 0``, which synthesis removes), so Amaranth names
    the ports after the counter's and every counter of a kind converts to one text.
    """
    nodes: dict[str, Signal] = {}

    def value(operand):
        if operand.bits:
            return Cat(value(o) for o in operand.bits)
        if operand.leaf is not None:
            return leaves[operand.leaf]
        if operand.node is None:
            return C(0, 1)
        signal = nodes[operand.node]
        return signal if operand.bit is None else signal[operand.bit]

    for node in tree.nodes:
        signal = Signal(node.width, name=node.name, reset_less=True)
        domain = m.d.sync if node.registered else m.d.comb
        if node.counter:
            gated = node.kind == "count_and"
            unit = Counter(inputs=len(node.operands), gated=gated)
            m.submodules[f"u_{node.name}"] = unit
            if gated:
                pairs = [inputs[o.leaf] for o in node.operands]
                m.d.comb += [
                    unit.x.eq(Cat(x for x, _ in pairs) ^ 0),
                    unit.g.eq(Cat(g for _, g in pairs) ^ 0),
                ]
            else:
                m.d.comb += unit.x.eq(Cat(value(o) for o in node.operands) ^ 0)
            domain += signal.eq(unit.y)
        else:
            domain += signal.eq(sum(value(o) for o in node.operands))
        nodes[node.name] = signal
    return value(tree.result)


class Counter(wiring.Component):
    """A compressor-tree counter (``<top>_count<m>[_gated]``): ``y`` is the number of
    ones among ``x`` (``x & g`` when gated), read from the table of every pattern's
    count (:func:`compress.hardware.structure.counter_table`), so synthesis maps each
    output bit to one LUT.

    Attributes
    ----------
    x : In(inputs)
    g : In(inputs)
        Only when ``gated``.
    y : Out(inputs.bit_length())
    """

    def __init__(self, *, inputs: int, gated: bool):
        self.inputs, self.gated = inputs, gated
        ports = {"x": In(inputs), "y": Out(inputs.bit_length())}
        if gated:
            ports["g"] = In(inputs)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        width = self.inputs.bit_length()
        table = C(int(counter_table(self.inputs), 2), width << self.inputs)
        ones = self.x & self.g if self.gated else self.x
        m.d.comb += self.y.eq(table.word_select(ones, width))
        return m


class LFSR(wiring.Component):
    """Maximal-length Fibonacci LFSR shifting left (taps from ``compress.hardware.lfsr.TAPS``).

    Parameters
    ----------
    width : int
        Register width ``k`` (2..15).
    seed : int
        State after reset (1..2**k - 1).

    Attributes
    ----------
    en : In(1)
        Advance one state on the clock edge.
    state : Out(width)
    next, next2 : Out(width)
        The states one and two advances ahead (combinational).
    """

    def __new__(cls, *, width: int, seed: int):
        # checked before the object exists, so a refused one is never reported unused
        if width not in TAPS:  # 1 bit: the 2-bit weights of the uncompressed baseline
            raise ValueError(f"LFSR width must be in 1..15, not {width}")
        if not 0 < seed < (1 << width):
            raise ValueError(f"LFSR seed must be in 1..{(1 << width) - 1}, not {seed}")
        return super().__new__(cls)

    def __init__(self, *, width: int, seed: int):
        self.width, self.seed = width, seed
        super().__init__(
            {"en": In(1), "state": Out(width, init=seed), "next": Out(width), "next2": Out(width)}
        )

    def _advance(self, value):
        return lfsr_advance(value, self.width)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [
            self.next.eq(self._advance(self.state)),
            self.next2.eq(self._advance(self.next)),
        ]
        with m.If(self.en):
            m.d.sync += self.state.eq(self.next)
        return m


def at_most_one(x):
    """``x`` has at most one bit set, as ``event.v.j2``'s shallow tree
    (:func:`~compress.hardware.structure.at_most_one_terms`), not a carry chain."""
    fours, pairs, four_pairs = at_most_one_terms(len(x))
    anys = [reduce(or_, (x[b] for b in g)) for g in fours]
    terms = [x[a] & x[b] for a, b in pairs] + [anys[i] & anys[j] for i, j in four_pairs]
    return ~reduce(or_, terms) if terms else C(1, 1)


def lfsr_advance(value, width: int):
    """The state after ``value`` of a ``width``-bit :class:`LFSR`."""
    return Cat(reduce(xor, (value[tap - 1] for tap in TAPS[width])), value[:-1])


@dataclass(frozen=True)
class RingCell:
    """A position of an event layer's LFSR ring (:meth:`EventLayer._ring`): its register,
    as an :class:`LFSR`'s ``state``."""

    state: Signal


class DelayLine(wiring.Component):
    """Shift register of one input line: ``taps[d - 1]`` is the input ``d`` steps ago.

    Attributes
    ----------
    en : In(1)
        A step is accepted: shift.
    x : In(1)
    taps : Out(depth)
    """

    def __new__(cls, *, depth: int):
        if depth < 1:
            raise ValueError(f"delay depth must be at least 1, not {depth}")
        return super().__new__(cls)

    def __init__(self, *, depth: int):
        self.depth = depth
        super().__init__({"en": In(1), "x": In(1), "taps": Out(depth)})

    def elaborate(self, platform):
        m = Module()
        taps = add_delay_line(m, name="line", depth=self.depth, en=self.en, x=self.x)
        m.d.comb += self.taps.eq(taps)
        return m


class DelayRing(wiring.Component):
    """The delay buffers of a layer as one RAM ring (``structure.DelayRing``).

    Each ``en`` writes ``x`` (the delayed lines' inputs) at the write pointer;
    delay ``ring.delays[n]`` is ``reads[n*W +: W]`` for the whole step: a
    register for ``d = 1``, else a registered RAM read that is 0 until ``d - 1``
    steps were written (the history before reset).

    Attributes
    ----------
    en : In(1)
    x : In(W)
    reads : Out(len(ring.delays) * W)
    """

    def __init__(self, *, ring: RingStructure):
        self.ring = ring
        width = len(ring.lines)
        super().__init__({"en": In(1), "x": In(width), "reads": Out(len(ring.delays) * width)})

    def elaborate(self, platform):
        m = Module()
        ring, width = self.ring, len(self.ring.lines)
        wp = Signal(ring.addr_bits, name="wp")
        filled = Signal(ring.count_bits, name="filled")
        m.submodules.dmem = dmem = memory.Memory(shape=unsigned(width), depth=ring.depth, init=[])
        write = dmem.write_port()
        m.d.comb += [write.en.eq(self.en), write.addr.eq(wp), write.data.eq(self.x)]
        with m.If(self.en):
            m.d.sync += [
                wp.eq(Mux(wp == ring.depth - 1, 0, wp + 1)),
                filled.eq(Mux(filled == ring.depth, filled, filled + 1)),
            ]
        for n, d in enumerate(ring.delays):
            out = self.reads[n * width : (n + 1) * width]
            if d == 1:
                dr1 = Signal(width, name="dr1")
                with m.If(self.en):
                    m.d.sync += dr1.eq(self.x)
                m.d.comb += out.eq(dr1)
                continue
            read = dmem.read_port(domain="sync")
            address = Mux(wp >= d - 1, wp - (d - 1), wp + (ring.depth - d + 1))
            ok = Signal(name=f"ok{d}")
            with m.If(self.en):
                m.d.sync += ok.eq(filled >= d - 1)
            m.d.comb += [
                read.en.eq(self.en),
                read.addr.eq(address),
                out.eq(read.data & ok.replicate(width)),
            ]
        return m


class PopcountTree(wiring.Component):
    """A pipelined popcount, a pairwise adder tree or a compressor tree
    (:class:`compress.hardware.structure.Tree`; gated counters' gates held open).

    Every node of the tree is a named signal, a register where the structure
    says so; the sum appears as many clocks after its leaves as the tree has
    registered levels.

    Attributes
    ----------
    leaves : In(len(tree.leaves))
    total : Out(tree.result.width)
    """

    def __new__(cls, *, tree: Tree):
        if tree.result is None:
            raise ValueError("a popcount tree must have at least one leaf, not none")
        return super().__new__(cls)

    def __init__(self, *, tree: Tree):
        self.tree = tree
        super().__init__({"leaves": In(len(tree.leaves)), "total": Out(tree.result.width)})

    def elaborate(self, platform):
        m = Module()
        leaves = [self.leaves[n] for n in range(len(self.tree.leaves))]
        inputs = [(leaf, C(1, 1)) for leaf in leaves]  # a gated counter's gates open
        m.d.comb += self.total.eq(add_popcount(m, tree=self.tree, leaves=leaves, inputs=inputs))
        return m


def _decay(m: Module, x, decay: Decay | None, name: str):
    """``x - rnd(x, K, L)`` (``{top}_decay``): one adder per signed digit of ``K`` over the
    terms ``(x << G) >> (L - e)``, summed from ``2**(G-1)``, then ``>> G``."""
    if decay is None:
        return x
    width = len(x)
    wide = Signal(signed(width + GUARD + 2), name=f"{name}_xg")
    m.d.comb += wide.eq(x << GUARD)
    terms = [
        (wide >> (decay.shift - e)) if sign > 0 else -(wide >> (decay.shift - e))
        for sign, e in decay.digits
    ]
    total = Signal(signed(width + GUARD + 2), name=f"{name}_sum")
    m.d.comb += total.eq(reduce(lambda a, b: a + b, terms, C(1 << (GUARD - 1), GUARD + 1)))
    out = Signal(signed(width), name=name)
    m.d.comb += out.eq(x - (total >> GUARD)[:width].as_signed())
    return out


def neuron_sum(m: Module, neuron: Neuron, *, v, i, count, drive, name: str = ""):
    """The first half of :func:`neuron_next`: ``(sat, i_next)``, the saturated sum of the
    decayed membrane, the drive and the count (or the new current)."""
    model, vw = neuron.model, neuron.v_width
    u = Signal(signed(len(count) + model.frac_bits), name=f"{name}cu")
    m.d.comb += u.eq(count << model.frac_bits)
    i_next = None
    if model.syn_current:
        iw = model.i_width
        decayed = _decay(m, i, model.syn, f"{name}idec")
        isum = Signal(signed(iw + 1), name=f"{name}isum")
        m.d.comb += isum.eq(decayed + u)
        i_next = Signal(signed(iw), name=f"{name}i_next")
        ceiling = Cat(Mux(isum[iw], 0, (1 << (iw - 1)) - 1)[: iw - 1], isum[iw])
        m.d.comb += i_next.eq(Mux(isum[iw] ^ isum[iw - 1], ceiling, isum[:iw]))
        u = i_next
    leaked = _decay(m, v, model.leak, f"{name}leaked")
    total = Signal(signed(vw + 2), name=f"{name}sum")
    m.d.comb += total.eq(leaked + drive + u)
    top3 = total[vw - 1 :]
    inside = (top3 == 0) | (top3 == 7)
    sat = Signal(signed(vw), name=f"{name}sat")
    ceiling = Cat(Mux(total[vw + 1], 0, (1 << (vw - 1)) - 1)[: vw - 1], total[vw + 1])
    m.d.comb += sat.eq(Mux(inside, total[:vw], ceiling))
    return sat, i_next


def neuron_fire(m: Module, neuron: Neuron, *, sat, theta, vreset, name: str = ""):
    """The second half of :func:`neuron_next`: ``(v_next, fire)`` of the saturated sum."""
    vw = neuron.v_width
    diff = Signal(signed(vw + 1), name=f"{name}diff")
    m.d.comb += diff.eq(sat - theta)
    fire = Signal(name=f"{name}fire")
    m.d.comb += fire.eq(~diff[vw] if neuron.model.spiking else 0)
    after = diff[:vw] if neuron.reset_sub else vreset
    v_next = Signal(signed(vw), name=f"{name}v_next")
    m.d.comb += v_next.eq(Mux(fire, after, sat))
    return v_next, fire


def neuron_next(m: Module, neuron: Neuron, *, v, i, count, theta, drive, vreset, name: str = ""):
    """One step of the fixed-point neuron (SPEC section 4, ``{top}_neuron``):
    ``(v_next, i_next, fire)`` of membrane ``v``, current ``i`` and ``count``."""
    sat, i_next = neuron_sum(m, neuron, v=v, i=i, count=count, drive=drive, name=name)
    v_next, fire = neuron_fire(m, neuron, sat=sat, theta=theta, vreset=vreset, name=name)
    return v_next, i_next, fire


class LIF(wiring.Component):
    """The fixed-point neuron's registers (SPEC section 4): membrane, current and spike,
    updated by :func:`neuron_next` on ``valid`` (``{top}_lif``).

    With ``pre`` (the speed pipeline, plain neurons only), the comparison uses
    ``ctheta = (count << F) - theta`` (registered by the layer) beside the addition
    instead of after it.

    Attributes
    ----------
    valid : In(1)
    count : In(signed(count_width))
    ctheta : In(signed(v_width))
        ``(count << F) - theta``; read only when ``pre``.
    spike : Out(1)
    v : Out(signed(v_width))
    """

    def __new__(cls, neuron: Neuron, *, pre: bool = False):
        # checked before the object exists, so a refused one is never reported unused
        if not 0 < neuron.theta < (1 << (neuron.v_width - 1)):
            raise ValueError(
                f"theta must be in 1..{(1 << (neuron.v_width - 1)) - 1}, not {neuron.theta}"
            )
        if pre and not neuron.plain:
            raise ValueError("pre must be False for a neuron with a current, drive or reset value")
        return super().__new__(cls)

    def __init__(self, neuron: Neuron, *, pre: bool = False):
        self.neuron, self.pre = neuron, pre
        super().__init__(
            {
                "valid": In(1),
                "count": In(signed(neuron.count_width)),
                "ctheta": In(signed(neuron.v_width)),
                "spike": Out(1),
                "v": Out(signed(neuron.v_width)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        neuron = self.neuron
        vw, theta, frac = neuron.v_width, neuron.theta, neuron.model.frac_bits
        if self.pre:  # the plain neuron; diff cannot overflow, >= 0 exactly when sat >= theta
            leaked = _decay(m, self.v, neuron.model.leak, "leaked")
            total = Signal(signed(vw + 1))
            m.d.comb += total.eq(leaked + (self.count << frac))
            overflow = total[vw] ^ total[vw - 1]
            sat = Signal(signed(vw))
            saturated = Cat(Mux(total[vw], 0, (1 << (vw - 1)) - 1)[: vw - 1], total[vw])
            m.d.comb += sat.eq(Mux(overflow, saturated, total[:vw]))
            diff = Signal(signed(vw + 1))
            m.d.comb += diff.eq(leaked + self.ctheta)
            ceiling = (1 << (vw - 1)) - 1 - theta  # subtract-reset after a positive overflow
            after = Mux(overflow & ~total[vw], ceiling, diff[:vw]) if neuron.reset_sub else 0
            fire = ~diff[vw]
            v_next = Mux(fire, after, sat)
        else:
            model = neuron.model
            i = Signal(signed(max(1, model.i_width)), name="i")
            v_next, i_next, fire = neuron_next(
                m,
                neuron,
                v=self.v,
                i=i,
                count=self.count,
                theta=C(theta, vw + 1),
                drive=C(neuron.drive, signed(vw)),
                vreset=C(neuron.v_reset, signed(vw)),
            )
            if i_next is not None:
                with m.If(self.valid):
                    m.d.sync += i.eq(i_next)
        with m.If(self.valid):
            m.d.sync += [self.spike.eq(fire), self.v.eq(v_next)]
        return m


def _layer_ports(layer: ParallelStructure | FoldedStructure, *, weight_port: bool) -> dict:
    ports = {
        "in_valid": In(1),
        "in_spikes": In(layer.n_inputs),
        "out_valid": Out(1),
        "out_spikes": Out(layer.n_out),
        "out_counts": Out(layer.n_out * layer.count_width),
    }
    if layer.membranes:  # the class readout reads every neuron's membrane
        ports["out_v"] = Out(layer.n_out * layer.neurons[0].v_width)
    if weight_port:
        ports.update(w_en=In(1), w_addr=In(layer.slot_bits), w_data=In(layer.memory.width))
    return ports


def _lane_compare(layer: FoldedStructure | EventStructure, word, streams, carry=False):
    """``(stream <= level, sign)`` of a lane's weight word ``{..., stream, sign, code}``:
    the word's stream (the first one without a stream field), its code scaled when
    decorrelated (``{code, code}``); with ``carry`` as the sign of ``level - stream``
    (``event.v.j2``'s speed pipeline: a carry chain rather than a tree of LUTs)."""
    k, rk = layer.k, layer.random_bits
    code, sign = word[:k], word[k]
    if layer.stream_bits:
        r = streams.word_select(word[k + 1 : k + 1 + layer.stream_bits], rk)
    else:
        r = streams[:rk]
    level = Cat(code, code) if layer.decorrelated else code
    if carry:
        return ~(level - r)[-1], sign  # unsigned - unsigned: signed, one bit wider
    return r <= level, sign


class _LayerBase(wiring.Component):
    """What both kinds of layer build: LFSRs, delay buffers, leaves, trees and neurons."""

    def __init__(self, structure: ParallelStructure | FoldedStructure, *, weight_port: bool):
        self.structure = structure
        super().__init__(_layer_ports(structure, weight_port=weight_port))

    def _lfsrs(self, m: Module, en) -> list[LFSR]:
        out = []
        for lfsr in self.structure.lfsrs:
            unit = LFSR(width=lfsr.width, seed=lfsr.seed)
            m.submodules[lfsr.name] = unit
            m.d.comb += unit.en.eq(en)
            out.append(unit)
        return out

    def _streams(
        self,
        m: Module,
        lfsrs: list[LFSR],
        *,
        sel=None,
        enable=None,
        registered=False,
        chunk_load=None,
    ) -> Signal:
        """Every stream of the layer, stream ``s`` in bits ``[s*k +: k]`` (folded, event and
        convolution lanes select theirs by number; all ones when there is none: it fires
        code M, never code 0).  Under the ``tap`` rule with a row's stream number ``sel``
        (registered on ``enable``, as the row is): that one stream, register ``sel >> B``
        through permutation ``sel % 2**B`` (``macros.j2``'s ``tap_stream``); with
        ``registered`` the selected value is registered on ``enable`` instead of the
        number (the multiplexers run in the read's clock; the LFSRs must not advance
        on a clock with ``enable``), and with ``chunk_load = (load, chunk, low_i)`` (an
        event layer's walk) the chunk's registers are chosen while it loads
        (:func:`~compress.hardware.structure.chunk_register_table`), the row picking one by
        ``low_i``'s bits above ``B``."""
        layer = self.structure
        rk = layer.random_bits
        if sel is not None and layer.stream_rule == "tap" and layer.streams:
            block = layer.stream_block
            reg_bits = bits_for(len(lfsrs)) if len(lfsrs) > 1 else 0
            registered = registered and block + reg_bits > 0
            stream = Signal(rk, name="tstream_d" if registered else "tstream")
            tsel = Signal(max(1, block + reg_bits), name="tsel", reset_less=True)
            if registered:
                m.d.comb += tsel.eq(sel)
            else:
                with m.If(enable):
                    m.d.sync += tsel.eq(sel)
            # an Array (a case), not a word_select at tsel * k (a barrel shifter in Yosys),
            # padded to a power of two so that every case is covered
            states = [lfsr.state for lfsr in lfsrs]
            if registered and chunk_load is not None and reg_bits:
                treg = self._chunk_registers(m, states, block, chunk_load)
            else:
                states += [states[0]] * ((1 << reg_bits) - len(states))
                treg = Array(states)[tsel[block:]] if reg_bits else states[0]
            perms = [Cat(treg[b] for b in layer.streams[q].bits) for q in range(1 << block)]
            if block:
                # a combinational number narrower than B reaches only its first
                # permutations (Amaranth folds constant select bits into the case)
                reach = min(block, len(sel)) if registered else block
                with m.Switch(tsel[:reach]):
                    for q, perm in enumerate(perms[: 1 << reach]):
                        with m.Case(q):
                            m.d.comb += stream.eq(perm)
            else:
                m.d.comb += stream.eq(perms[0])
            if registered:
                value = Signal(rk, name="tstream", reset_less=True)
                with m.If(enable):
                    m.d.sync += value.eq(stream)
                return value
            return stream
        streams = Signal(max(1, len(layer.streams)) * rk, name="streams")
        if layer.streams:
            m.d.comb += streams.eq(
                Cat(lfsrs[w.register].state[b] for w in layer.streams for b in w.bits)
            )
        else:
            m.d.comb += streams.eq((1 << rk) - 1)
        return streams

    def _chunk_registers(self, m: Module, states: list, block: int, chunk_load) -> Signal:
        """``macros.j2``'s chunk candidates: register ``{chunk, v, B'd0} >> B`` of the chunk
        being loaded in ``tcand<v>`` (or the LFSR ring's first ``v``); the row's register
        is ``tcand[low_i >> B]``, under the speed pipeline picked as the row issues and
        registered (``pick_ahead``: a chunk may load on that clock)."""
        pick = self._chunk_candidates(m, states, block, chunk_load)
        if not self.structure.row_register:
            return pick
        treg = Signal(self.structure.random_bits, name="treg", reset_less=True)
        m.d.sync += treg.eq(pick)
        return treg

    def _chunk_candidates(self, m: Module, states: list, block: int, chunk_load):
        load, chunk, low_i = chunk_load
        layer = self.structure
        ring = lfsr_ring(layer)
        if ring is not None:  # the ring's first positions hold the chunk's candidates
            return Array(states[: ring.step])[low_i[block:]] if ring.step > 1 else states[0]
        table = chunk_register_table(layer.chunk, layer.chunks, block, len(states))
        cands = []
        for v, regs in enumerate(table):
            cand = Signal(layer.random_bits, name=f"tcand{v}", reset_less=True)
            with m.If(load):
                with m.Switch(chunk):
                    for c, r in enumerate(regs):
                        if r is not None:
                            with m.Case(c):
                                m.d.sync += cand.eq(states[r])
                    with m.Default():
                        m.d.sync += cand.eq(states[0])
            cands.append(cand)
        if len(cands) == 1:
            return cands[0]
        return Array(cands)[low_i[block:]]

    def _delays(self, m: Module, source) -> dict:
        """Delay lines or the ring, fed from ``source`` on ``in_valid``: the taps by name."""
        layer, taps = self.structure, {}
        for line in layer.lines:
            x = source[line.line]
            taps[line.name] = add_delay_line(
                m, name=line.name, depth=line.depth, en=self.in_valid, x=x
            )
        if layer.ring is not None:
            ring = DelayRing(ring=layer.ring)
            m.submodules.ring = ring
            m.d.comb += [
                ring.en.eq(self.in_valid),
                ring.x.eq(Cat(source[j] for j in layer.ring.lines)),
            ]
            width = len(layer.ring.lines)
            for n, d in enumerate(layer.ring.delays):
                taps[f"dr{d}"] = ring.reads[n * width : (n + 1) * width]
        return taps

    def _lines(self):
        """The undelayed input lines: ``in_spikes``, then with a recurrent edge the
        layer's own spikes of the previous step (``lines`` of the Jinja layers)."""
        if self.structure.recurrent:
            return Cat(self.in_spikes, self.out_spikes)
        return self.in_spikes

    def _x(self, leaf: Leaf, source, taps: dict):
        layer = self.structure
        if leaf.line == layer.bias_line:
            return C(1, 1)
        if leaf.delay == 0:
            return source[leaf.line]
        tap = layer.taps[(leaf.line, leaf.delay)]
        return taps[tap.signal][tap.bit]

    def _count(self, m: Module, neuron: Neuron, leaf_value, name: str, gate=None) -> Signal:
        """``pos - neg`` of the neuron's popcount trees (0 without synapses), named ``name``;
        ``gate(leaf)``: a synapse's ``(x, g)`` for gated counters."""
        terms = []
        for tree in (neuron.pos, neuron.neg):
            if tree.result is None:
                terms.append(None)
                continue
            leaves = [leaf_value(leaf) for leaf in tree.leaves]
            inputs = [gate(leaf) for leaf in tree.leaves] if gate else None
            terms.append(add_popcount(m, tree=tree, leaves=leaves, inputs=inputs))
        count = Signal(signed(neuron.count_width), name=name)
        pos, neg = terms
        if pos is not None and neg is not None:
            m.d.comb += count.eq(pos - neg)
        elif pos is not None:
            m.d.comb += count.eq(pos)
        elif neg is not None:
            m.d.comb += count.eq(-neg)
        return count

    def _neuron(self, m: Module, neuron: Neuron, *, valid, count, ctheta=None) -> None:
        unit = LIF(neuron, pre=ctheta is not None)
        m.submodules[f"neuron{neuron.index}"] = unit
        m.d.comb += [unit.valid.eq(valid), unit.count.eq(count)]
        if ctheta is not None:
            m.d.comb += unit.ctheta.eq(ctheta)
        m.d.comb += self.out_spikes[neuron.index].eq(unit.spike)
        if self.structure.membranes:
            vw, i = neuron.v_width, neuron.index
            m.d.comb += self.out_v[i * vw : (i + 1) * vw].eq(unit.v)

    def _field(self, index: int):
        cw = self.structure.count_width
        return self.out_counts[index * cw : (index + 1) * cw]

    def _weight_memory(self, m: Module, *, enable, addr):
        """The weight memory (folded and event layers), read at ``addr`` (registered)
        while ``enable``; written through the weight port when there is one.  A single
        row is a register (a one-word Memory would have a 0-bit address)."""
        mem = self.structure.memory
        if mem.depth == 1:
            row = Signal(mem.width, name="wmem", init=mem.rows[0], reset_less=True)
            rdata = Signal(mem.width, name="rdata", reset_less=True)
            with m.If(enable):
                m.d.sync += rdata.eq(row)
            if self.weight_port:
                with m.If(self.w_en):
                    m.d.sync += row.eq(self.w_data)
            return rdata
        m.submodules.wmem = wmem = memory.Memory(
            shape=unsigned(mem.width), depth=mem.depth, init=list(mem.rows)
        )
        read = wmem.read_port(domain="sync")
        m.d.comb += [read.en.eq(enable), read.addr.eq(addr)]
        if self.weight_port:
            write = wmem.write_port()
            m.d.comb += [
                write.en.eq(self.w_en),
                write.addr.eq(self.w_addr),
                write.data.eq(self.w_data),
            ]
        return read.data


class Layer(_LayerBase):
    """A fully parallel layer (:class:`compress.hardware.structure.ParallelLayer`): one step
    per clock, ``structure.latency`` clocks deep.

    Attributes
    ----------
    in_valid : In(1)
    in_spikes : In(n_inputs)
        The inputs; with a bias the layer adds its always-on line itself.
    out_valid : Out(1)
    out_spikes : Out(n_out)
    out_counts : Out(n_out * count_width)
        Neuron ``i``'s signed count in bits ``i*CW .. i*CW + CW - 1``.
    """

    def __init__(self, *, structure: ParallelStructure, weight_port: bool = False):
        super().__init__(structure, weight_port=False)

    def _comparators(self, m: Module, lfsrs: list[LFSR]) -> dict[str, Signal]:
        """Streams, terms and comparators; the speed pipeline registers terms (of the
        streams two steps ahead) and comparators whenever the LFSRs advance."""
        layer = self.structure
        streams = {}
        for wire in layer.streams:
            source = lfsrs[wire.register].next2 if layer.speed else lfsrs[wire.register].state
            streams[wire.index] = Signal(layer.random_bits, name=wire.name)
            m.d.comb += streams[wire.index].eq(Cat(source[b] for b in wire.bits))
        signals: dict[str, Signal] = {}
        for term in layer.terms:
            value = getattr(streams[term.stream][term.lsb : term.msb + 1], _OPS[term.op])(
                term.const
            )
            signals[term.name] = self._wire(m, term.name, value, term.init)
        for cmp in layer.comparators:
            products = [
                reduce(lambda a, b: a & b, (signals[t] for t in p)) if p else C(1, 1)
                for p in cmp.products
            ]
            signals[cmp.name] = self._wire(m, cmp.name, reduce(or_, products), cmp.init)
        return signals

    def _wire(self, m: Module, name: str, value, init: int) -> Signal:
        if self.structure.speed:
            signal = Signal(name=name, init=init)
            with m.If(self.in_valid):
                m.d.sync += signal.eq(value)
        else:
            signal = Signal(name=name)
            m.d.comb += signal.eq(value)
        return signal

    def elaborate(self, platform):
        m = Module()
        layer = self.structure
        comparators = self._comparators(m, self._lfsrs(m, self.in_valid))
        taps = self._delays(m, self.in_spikes)
        lines = self._lines()

        def gate(leaf: Leaf):
            """A synapse's input and its comparator (1 for a constant synapse)."""
            x = self._x(leaf, lines, taps)
            return x, comparators[leaf.comparator] if leaf.comparator else C(1, 1)

        def leaf_value(leaf: Leaf):
            x, g = gate(leaf)
            return x & g if leaf.comparator else x

        valid = self.in_valid
        for stage in range(1, layer.tree_stages + 1):
            reg = Signal(name=f"tree_valid{stage}")
            m.d.sync += reg.eq(valid)
            valid = reg
        if layer.speed:  # the count stage
            neuron_valid = Signal(name="neuron_valid")
            m.d.sync += neuron_valid.eq(valid)
        else:
            neuron_valid = valid
        for neuron in layer.neurons:
            i = neuron.index
            count = self._count(m, neuron, leaf_value, f"count{i}", gate)
            if layer.speed:  # count and count - theta registered; the count re-timed to the spike
                count_q = Signal(signed(neuron.count_width), name=f"count{i}_q", reset_less=True)
                ctheta_q = Signal(
                    signed(neuron.v_width), name=f"count{i}_ctheta_q", reset_less=True
                )
                count_out = Signal(
                    signed(neuron.count_width), name=f"count{i}_out", reset_less=True
                )
                m.d.sync += [
                    count_q.eq(count),
                    ctheta_q.eq((count << neuron.model.frac_bits) - neuron.theta),
                    count_out.eq(count_q),
                ]
                pre = ctheta_q if neuron.plain else None
                self._neuron(m, neuron, valid=neuron_valid, count=count_q, ctheta=pre)
                m.d.comb += self._field(i).eq(count_out)
            else:
                count_q = Signal(signed(neuron.count_width), name=f"count{i}_q", reset_less=True)
                m.d.sync += count_q.eq(count)
                self._neuron(m, neuron, valid=neuron_valid, count=count)
                m.d.comb += self._field(i).eq(count_q)
        valid_q = Signal(name="valid_q")
        m.d.sync += valid_q.eq(neuron_valid)
        m.d.comb += self.out_valid.eq(valid_q)
        return m


class FoldedLayer(_LayerBase):
    """A folded layer (:class:`compress.hardware.structure.FoldedLayer`): each neuron's
    ``lanes`` lanes step through the weight memory's rows, one per clock.

    The same step as ``folded.v.j2``: ``in_valid`` latches the inputs; slot
    ``s`` reads row ``s`` (registered); each lane compares its word's code with
    its stream and ANDs its input; partial sums accumulate; after the last slot
    the LFSRs advance and the neurons update.

    Attributes
    ----------
    in_valid, in_spikes, out_valid, out_spikes, out_counts
        As :class:`Layer`'s.
    w_en : In(1)
        With the weight port: write ``w_data`` into row ``w_addr`` (only while idle).
    w_addr : In(slot_bits)
    w_data : In(row width)
    """

    def __init__(self, *, structure: FoldedStructure, weight_port: bool = False):
        self.weight_port = weight_port
        super().__init__(structure, weight_port=weight_port)

    def _control(self, m: Module) -> dict[str, Signal]:
        """The step control's registers (``structure.control``) and their next values."""
        layer = self.structure
        regs = {name: Signal(width, name=name) for name, width in layer.control}
        run, slot, last = regs["run"], regs["slot"], layer.slots - 1
        with m.If(self.in_valid):
            m.d.sync += [run.eq(1), slot.eq(0)]
        with m.Elif(run):
            m.d.sync += [run.eq(slot != last), slot.eq(Mux(slot == last, 0, slot + 1))]
        m.d.sync += [
            regs["rd_valid"].eq(run),
            regs["rd_last"].eq(run & (slot == last)),
            regs["b_valid"].eq(regs["rd_valid"]),
            regs["b_last"].eq(regs["rd_last"]),
            regs["p_valid"].eq(regs["b_valid"]),
            regs["p_last"].eq(regs["b_last"]),
            regs["a_last"].eq(regs["p_last"]),
        ]
        return regs

    def _memory(self, m: Module, regs: dict[str, Signal]):
        """The weight memory, read at the slot while running; written through the port."""
        return self._weight_memory(m, enable=regs["run"], addr=regs["slot"])

    def _reach(self, m: Module, xvec, rdata, width: int = 1, name: str = ""):
        """What each lane selects its input from: all groups, its bank, or its lines;
        ``xvec``'s entries are ``width`` bits (1 for the input bits; a stream's for the
        ``tap`` rule's streams, where a missing entry is all ones)."""
        layer = self.structure
        empty = C((1 << width) - 1 if width > 1 else 0, width)
        if layer.order == "banked":
            banks = Signal(layer.lanes * layer.bank_width * width, name=f"{name}banks")
            m.d.comb += banks.eq(
                Cat(
                    xvec.word_select(n, width) if n is not None else empty
                    for bank in layer.banks
                    for n in bank
                )
            )
            return lambda p: banks.word_select(p, layer.bank_width * width)
        if layer.order == "aligned":
            groups = len(layer.groups)
            lanex = Signal(layer.lanes * groups * width, name=f"{name}lanex")
            for q in range(layer.lanes):
                base = layer.words_width + q * layer.line_bits
                line = rdata[base : base + layer.line_bits]
                for h in range(groups):
                    size = layer.n_lines * width
                    group = xvec[h * size : (h + 1) * size]
                    m.d.comb += lanex.word_select(q * groups + h, width).eq(
                        group.word_select(line, width)
                    )
            return lambda p: lanex.word_select(p, groups * width)
        return lambda p: xvec

    def _stream_reach(self, m: Module, lfsrs: list[LFSR], rdata):
        """Under the ``tap`` rule, what each lane selects its stream from, indexed like its
        input bits: every input position's stream (its tap's); None otherwise."""
        layer = self.structure
        if not layer.position_streams:
            return None
        rk = layer.random_bits
        ones = C((1 << rk) - 1, rk)
        svec = Signal(len(layer.position_streams) * rk, name="svec")
        wires = layer.streams
        m.d.comb += svec.eq(
            Cat(
                Cat(lfsrs[wires[n].register].state[b] for b in wires[n].bits) if n >= 0 else ones
                for n in layer.position_streams
            )
        )
        return self._reach(m, svec, rdata, rk, "s")

    def _lanes(self, m: Module, rdata, reach, streams) -> tuple[Signal, Signal]:
        """Lane bits, registered: (input spike) AND (stream <= code), split by sign."""
        layer = self.structure
        k, width = layer.k, layer.word_width
        n = layer.n_out * layer.lanes
        pos_q = Signal(n, name="pos_q", reset_less=True)
        neg_q = Signal(n, name="neg_q", reset_less=True)
        reach, sreach = reach
        for g in range(n):
            word = rdata[g * width : (g + 1) * width]
            field = word[k + 1 + layer.stream_bits : width]
            lane_streams = streams
            if sreach is not None:  # the tap rule: the stream of the input the word selects
                rk = layer.random_bits
                options = sreach(g % layer.lanes)
                lane_streams = options.word_select(field, rk) if layer.index_bits else options
            passes, sign = _lane_compare(layer, word, lane_streams)
            lane_reach = reach(g % layer.lanes)
            if layer.index_bits:
                x = lane_reach.bit_select(field, 1)
            else:
                x = lane_reach[0]
            bit = x & passes
            m.d.sync += [pos_q[g].eq(bit & ~sign), neg_q[g].eq(bit & sign)]
        return pos_q, neg_q

    def elaborate(self, platform):
        m = Module()
        layer = self.structure
        regs = self._control(m)
        x_q = Signal(layer.n_inputs + layer.recurrent, name="x_q")
        with m.If(self.in_valid):
            m.d.sync += x_q.eq(self._lines())
        taps = self._delays(m, x_q)
        xvec = Signal(layer.xvec_width, name="xvec")
        m.d.comb += xvec.eq(
            Cat(
                self._x(leaf, x_q, taps) if leaf is not None else C(0, 1)
                for group in layer.groups
                for leaf in group
            )
        )
        rdata = self._memory(m, regs)
        lfsrs = self._lfsrs(m, regs["rd_last"])
        streams = self._streams(m, lfsrs)
        reach = (self._reach(m, xvec, rdata), self._stream_reach(m, lfsrs, rdata))
        pos_q, neg_q = self._lanes(m, rdata, reach, streams)
        self._accumulate(
            m, regs, lanes=(pos_q, neg_q), leaf_value=lambda leaf: self._x(leaf, x_q, taps)
        )
        valid_q = Signal(name="valid_q")
        m.d.sync += valid_q.eq(regs["a_last"])
        m.d.comb += self.out_valid.eq(valid_q)
        return m

    def _accumulate(self, m: Module, regs, *, lanes, leaf_value) -> None:
        """Partial sums of each neuron's lanes, the accumulators, the constant synapses'
        popcount and the neurons, once per step."""
        layer = self.structure
        (pos_q, neg_q), cw = lanes, layer.count_width
        lanes = layer.lanes
        for neuron in layer.neurons:
            i = neuron.index
            part = Signal(signed(layer.part_width), name=f"part{i}", reset_less=True)
            acc = Signal(signed(cw), name=f"acc{i}", reset_less=True)
            ones = sum(pos_q[i * lanes + p] for p in range(lanes))
            minus = sum(neg_q[i * lanes + p] for p in range(lanes))
            m.d.sync += part.eq(ones - minus)
            with m.If(self.in_valid):
                m.d.sync += acc.eq(0)
            with m.Elif(regs["p_valid"]):
                m.d.sync += acc.eq(acc + part)
            constant = self._count(m, neuron, leaf_value, f"const{i}")
            count = Signal(signed(cw), name=f"count{i}")
            m.d.comb += count.eq(acc + constant)
            count_q = Signal(signed(cw), name=f"count{i}_q", reset_less=True)
            with m.If(regs["a_last"]):
                m.d.sync += count_q.eq(count)
            self._neuron(m, neuron, valid=regs["a_last"], count=count)
            m.d.comb += self._field(i).eq(count_q)


class EventLayer(_LayerBase):
    """An event-driven layer (:class:`compress.hardware.structure.EventLayer`), clock for
    clock as ``event.v.j2``: the walk loads the taps a chunk at a time and reads the rows
    of the spiking ones, one per clock; each lane adds +-1 into the head group of the
    rotating count bank; then the neuron updates rotate the membranes, ``lanes`` at a time.

    Attributes
    ----------
    in_valid, in_spikes, out_valid, out_spikes, out_counts
        As :class:`Layer`'s.
    w_en, w_addr, w_data
        With the weight port: write a row of the weight memory (only while idle).
    """

    def __new__(cls, *, structure: EventStructure, weight_port: bool = False):
        if structure.memory.spram:
            raise ValueError(
                f"layer {structure.index}: an Amaranth event layer must keep its rows in "
                "block RAM, not SPRAM (use the jinja emitter)"
            )
        return super().__new__(cls)

    def __init__(self, *, structure: EventStructure, weight_port: bool = False):
        self.weight_port = weight_port
        super().__init__(structure, weight_port=weight_port)

    def _walk(self, m: Module, tapvec) -> tuple[Signal, Signal, Signal]:
        """The walk's registers; returns ``(issue, done, row address)``."""
        layer = self.structure
        walking = Signal(name="walking")
        chunk = Signal(layer.chunk_bits, name="chunk")
        base = Signal(layer.chunk_bits, name="base")
        pend = Signal(layer.chunk, name="pend")
        grp = Signal(layer.group_bits, name="grp")
        low = Signal(layer.chunk, name="low")  # the lowest pending tap, one-hot
        low_bits = max(1, (layer.chunk - 1).bit_length())
        low_i = Signal(low_bits, name="low_i")
        for b in range(low_bits):
            mask = sum(1 << n for n in range(layer.chunk) if n >> b & 1)
            m.d.comb += low_i[b].eq((low & mask).any())
        # pend == 0, chunk == chunks, grp == groups - 1, rest == 0: registered with what
        # they compare under the speed pipeline (the walk's control from flip-flops)
        staged = layer.row_register
        pz = Signal(name="pz", init=int(staged))
        lc = Signal(name="lc")
        gl = Signal(name="gl", init=int(staged and layer.groups == 1))
        rz = Signal(name="rz", init=int(staged))
        rest = Signal(layer.chunk, name="rest")  # pend less its lowest tap (staged: with pend)
        if staged:
            m.d.comb += low.eq(pend & ~rest)
        else:
            m.d.comb += [
                pz.eq(pend == 0),
                lc.eq(chunk == layer.chunks),
                gl.eq(grp == layer.groups - 1),
                rest.eq(pend & (pend - 1)),
                low.eq(pend & (~pend + 1)),
            ]
            if layer.tail_loads:
                m.d.comb += rz.eq(at_most_one(pend))
        issue, done = Signal(name="issue"), Signal(name="done")
        tail, load = Signal(name="tail"), Signal(name="load")
        m.d.comb += [
            issue.eq(walking & ~pz),
            done.eq(walking & pz & lc),
            tail.eq(issue & gl & rz),  # the last row of the chunk's last pending tap
            # a chunk loads alone, or with one group behind a tail
            load.eq(walking & ~lc & (pz | tail) if layer.tail_loads else walking & ~lc & pz),
        ]
        if layer.capture:  # the taps taken as the step is accepted, a chunk shifted out per load
            tq = Signal(len(tapvec), name="tq", reset_less=True)
            with m.If(self.in_valid):
                m.d.sync += tq.eq(tapvec)
            with m.Elif(load):
                m.d.sync += tq.eq(tq >> layer.chunk)
            loaded = tq[: layer.chunk]
        elif layer.chunks == 1:
            loaded = tapvec
        else:
            loaded = tapvec.word_select(chunk[: (layer.chunks - 1).bit_length()], layer.chunk)
        ring = lfsr_ring(layer)
        c0 = Signal(name="c0", init=1)  # chunk == 0: the LFSR ring turns at the other loads
        with m.If(self.start):
            m.d.sync += [walking.eq(1), chunk.eq(0), pend.eq(0), grp.eq(0)]
            if staged:
                m.d.sync += [pz.eq(1), lc.eq(0), gl.eq(layer.groups == 1), rz.eq(1), rest.eq(0)]
            if ring is not None:
                m.d.sync += c0.eq(1)
        with m.Elif(load):
            m.d.sync += [pend.eq(loaded), base.eq(chunk), chunk.eq(chunk + 1), grp.eq(0)]
            if staged:
                after = loaded & (loaded - 1)
                m.d.sync += [
                    pz.eq(loaded == 0),
                    rest.eq(after),
                    rz.eq(at_most_one(loaded)),
                    lc.eq(chunk == layer.chunks - 1),
                    gl.eq(layer.groups == 1),
                ]
            if ring is not None:
                m.d.sync += c0.eq(0)
        with m.Elif(done):
            m.d.sync += walking.eq(0)
        with m.Elif(issue):
            with m.If(gl):
                m.d.sync += [grp.eq(0), pend.eq(rest)]
                if staged:
                    after = rest & (rest - 1)
                    m.d.sync += [pz.eq(rz), rest.eq(after), rz.eq(at_most_one(rest))]
                    m.d.sync += gl.eq(layer.groups == 1)
            with m.Else():
                m.d.sync += grp.eq(grp + 1)
                if staged:
                    m.d.sync += gl.eq(grp == layer.groups - 2)
        addr = Signal(layer.slot_bits, name="addr")
        m.d.comb += addr.eq(Cat(low_i, base) * layer.groups + grp)
        self.grp = grp  # the row's group on the clock it is issued
        self.tap = Cat(low_i, base)  # the row's tap: its stream under the tap rule
        self.chunk_load = (load, chunk, low_i)  # the chunk's registers are chosen ahead
        # no spiking tap has issued all its rows yet this step (neuron RAM's freshness)
        self.ftap = Signal(name="ftap", init=1)
        with m.If(self.start):
            m.d.sync += self.ftap.eq(1)
        with m.Elif(issue & gl):
            m.d.sync += self.ftap.eq(0)
        self.rotate = C(0, 1)  # the LFSR ring's rotation (event.v.j2's rotate)
        if ring is not None:
            self.rotate = (load | done) & ~c0
        return issue, done, addr

    def _ring(self, m: Module, walk_end) -> list[RingCell]:
        """``event.v.j2``'s LFSR ring (:func:`compress.hardware.structure.lfsr_ring`): the
        LFSRs, then zero padding; the LFSRs advance at ``walk_end``, the ring rotates by
        its step on ``self.rotate``."""
        layer = self.structure
        ring, rk = lfsr_ring(layer), layer.random_bits
        cells = [Signal(rk, name=lfsr.name, init=lfsr.seed) for lfsr in layer.lfsrs]
        cells += [Signal(rk, name=f"lfsr_pad{p}") for p in range(ring.length - len(cells))]
        with m.If(walk_end):
            m.d.sync += [cell.eq(lfsr_advance(cell, rk)) for cell in cells[: len(layer.lfsrs)]]
        with m.Elif(self.rotate):
            m.d.sync += [
                cell.eq(cells[(p + ring.step) % ring.length]) for p, cell in enumerate(cells)
            ]
        return [RingCell(cell) for cell in cells]

    def _lanes(self, m: Module, rdata, streams) -> tuple[Signal, Signal]:
        """Lane bits, registered: stream <= code, split by sign."""
        layer = self.structure
        width = layer.word_width
        pos_q = Signal(layer.lanes, name="pos_q", reset_less=True)
        neg_q = Signal(layer.lanes, name="neg_q", reset_less=True)
        for g in range(layer.lanes):
            word = rdata[g * width : (g + 1) * width]
            bit, sign = _lane_compare(layer, word, streams, carry=layer.row_register)
            m.d.sync += [pos_q[g].eq(bit & ~sign), neg_q[g].eq(bit & sign)]
        return pos_q, neg_q

    def _neuron_ram(self, m: Module, *, b_valid, row_valid, lif_run, lgrp, pre_lif):
        """Neuron RAM (``event.v.j2``'s ``neuron_ram``): count, membrane and current rows,
        read a clock ahead (counts at the weight row's group as it arrives, the updates'
        at the group updated next) and masked to 0 where not yet written; returns the
        read rows ``(crow, vrow, irow)`` and a function that adds the write-backs."""
        layer = self.structure
        n, cw, vw, groups = layer.lanes, layer.count_width, layer.v_width, layer.groups
        iw = max(1, layer.neurons[0].model.i_width)
        gb = layer.group_bits
        pipe, firsts = [self.grp], [self.ftap]
        for k in range(3 if layer.row_register else 1):  # the group follows the row
            stage = Signal(gb, name=f"gp{k + 1}", reset_less=True)
            first = Signal(name=f"fp{k + 1}", reset_less=True)
            m.d.sync += [stage.eq(pipe[-1]), first.eq(firsts[-1])]
            pipe.append(stage)
            firsts.append(first)
        row_grp, bgrp = pipe[-1], Signal(gb, name="bgrp", reset_less=True)
        m.d.sync += bgrp.eq(row_grp)
        uaddr, last = Signal(gb, name="uaddr"), groups - 1
        if not layer.row_register:
            m.d.comb += uaddr.eq(Mux(lif_run & (lgrp != last), lgrp + 1, 0))
        else:  # two ahead, registered a clock ahead (event.v.j2's uaddr)
            ahead = Mux(lif_run & (lgrp < last - 2), lgrp + 3, 0) if last > 2 else 0
            then = Mux(pre_lif, 2 if last > 1 else 0, ahead)
            m.d.sync += uaddr.eq(Mux(self.done_q, 1, then))
        caddr = Signal(gb, name="caddr")
        m.d.comb += caddr.eq(Mux(row_valid, row_grp, uaddr))
        # a row's counts are unwritten when it is of the step's first spiking tap, the
        # updates' when no tap spiked; such reads (and the membranes' and currents' in the
        # first step after a reset, vfresh) read row G, never written (event.v.j2's cread)
        vfresh = Signal(name="vfresh", init=1)
        m.d.sync += vfresh.eq(vfresh & ~(lif_run & (lgrp == last)))
        cread, vread = (
            Signal(range(groups + 1), name="cread"),
            Signal(range(groups + 1), name="vread"),
        )
        m.d.comb += [
            cread.eq(Mux(Mux(row_valid, firsts[-1], self.ftap), groups, caddr)),
            vread.eq(Mux(vfresh, groups, uaddr)),
        ]
        rows, writes = [], []
        widths = {"c": cw, "v": vw, "i": iw if layer.neurons[0].model.syn_current else 0}
        for name, width in widths.items():
            if not width:
                rows.append(None)
                continue
            ram = memory.Memory(
                shape=unsigned(n * width), depth=groups + 1, init=[0] * (groups + 1)
            )
            m.submodules[f"{name}mem"] = ram
            read, write = ram.read_port(domain="sync"), ram.write_port()
            data = Signal(n * width, name=f"{name}row")
            m.d.comb += [read.addr.eq(cread if name == "c" else vread), data.eq(read.data)]
            rows.append(data)
            writes.append((name, write))

        def write_back(acc_next, v_next, i_next) -> None:
            for name, write in writes:
                m.d.comb += [
                    write.en.eq(b_valid if name == "c" else lif_run),
                    write.addr.eq(bgrp if name == "c" else lgrp),
                    write.data.eq({"c": acc_next, "v": v_next, "i": i_next}[name]),
                ]

        return (*rows, write_back)

    def _banks(self, m: Module, *, b_valid, lanes, lif_run, lgrp, row_valid, pre_lif) -> None:
        """Counts, membranes and spikes of every neuron, group 0 at the head; a row result
        or a neuron update changes the head and rotates the banks by one group.  With
        neuron RAM the rows come from :meth:`_neuron_ram` and the step's spikes, counts
        and membranes shift into records."""
        layer = self.structure
        n, cw, vw, slots = layer.lanes, layer.count_width, layer.v_width, layer.slot_neurons
        ram = layer.neuron_ram
        acc = Signal(slots * cw, name="cnt_rec" if ram else "acc")
        vbank = Signal(slots * vw, name="v_rec" if ram else "vbank")
        spk = Signal(slots, name="spk")
        acc_next = Signal(n * cw, name="acc_next")
        v_next = Signal(n * vw, name="v_next")
        fire = Signal(n, name="fire")
        neuron = layer.neurons[0]
        model = neuron.model
        iw = max(1, model.i_width)
        ibank = Signal(slots * iw, name="ibank")
        i_next = Signal(n * iw, name="i_next")
        pad = slots - layer.n_out

        def bank(values: list[int], width: int):  # per-neuron constants, two's complement
            mask = (1 << width) - 1
            return C(sum((v & mask) << (i * width) for i, v in enumerate(values)), slots * width)

        theta_bank = bank([nr.theta for nr in layer.neurons] + [1] * pad, vw + 1)
        drive_bank = bank([nr.drive for nr in layer.neurons] + [0] * pad, vw)
        reset_bank = bank([nr.v_reset for nr in layer.neurons] + [0] * pad, vw)
        pos_q, neg_q = lanes
        staged = layer.row_register  # the speed pipeline: two-stage neuron updates
        if ram:
            crow, vrow, irow, write_back = self._neuron_ram(
                m, b_valid=b_valid, row_valid=row_valid, lif_run=lif_run, lgrp=lgrp, pre_lif=pre_lif
            )
            irow = irow if irow is not None else C(0, n * iw)
        else:  # the head group of the banks
            crow, vrow, irow = acc[: n * cw], vbank[: n * vw], ibank[: n * iw]
        if staged and layer.groups > 1:  # stage 1 runs on the next group to update
            ngrp = Signal(layer.group_bits, name="ngrp")
            last = lgrp == layer.groups - 1
            m.d.comb += ngrp.eq(Mux(~lif_run | last, 0, lgrp + 1))
            # the bank position stage 1 reads (neuron RAM: the row read ahead)
            ahead = 0 if ram else Mux(lif_run, 1, 0)
        else:  # one group: stage 1 always reads it (lgrp is stale before the updates)
            ngrp, ahead = 0, 0
        for g in range(n):
            count = crow[g * cw : (g + 1) * cw].as_signed()
            step = Mux(neg_q[g], -1, Mux(pos_q[g], 1, 0))
            m.d.comb += acc_next[g * cw : (g + 1) * cw].eq(count + step)
            at = lgrp * n + g
            if not staged:
                v_lane, i_lane, fire_lane = neuron_next(
                    m,
                    neuron,
                    v=vrow[g * vw : (g + 1) * vw].as_signed(),
                    i=irow[g * iw : (g + 1) * iw].as_signed(),
                    count=count,
                    theta=theta_bank.word_select(at, vw + 1),
                    drive=drive_bank.word_select(at, vw).as_signed(),
                    vreset=reset_bank.word_select(at, vw).as_signed(),
                    name=f"lane{g}_",
                )
            else:
                src = (ahead * n + g) if layer.groups > 1 and not ram else g  # a bank slot
                banks = (vrow, irow, crow) if ram else (vbank, ibank, acc)
                sat, i_sum = neuron_sum(
                    m,
                    neuron,
                    v=banks[0].word_select(src, vw).as_signed(),
                    i=banks[1].word_select(src, iw).as_signed(),
                    count=banks[2].word_select(src, cw).as_signed(),
                    drive=drive_bank.word_select(ngrp * n + g, vw).as_signed(),
                    name=f"lane{g}_",
                )
                sat_q = Signal(signed(vw), name=f"lane{g}_sat_q", reset_less=True)
                m.d.sync += sat_q.eq(sat)
                i_lane = None
                if i_sum is not None:
                    i_lane = Signal(signed(iw), name=f"lane{g}_i_q", reset_less=True)
                    m.d.sync += i_lane.eq(i_sum)
                v_lane, fire_lane = neuron_fire(
                    m,
                    neuron,
                    sat=sat_q,
                    theta=theta_bank.word_select(at, vw + 1),
                    vreset=reset_bank.word_select(at, vw).as_signed(),
                    name=f"lane{g}_",
                )
            m.d.comb += [v_next[g * vw : (g + 1) * vw].eq(v_lane), fire[g].eq(fire_lane)]
            if i_lane is not None:
                m.d.comb += i_next[g * iw : (g + 1) * iw].eq(i_lane)
        if ram:
            write_back(acc_next, v_next, i_next)
            s1_run = lif_run
            if staged:  # stage 1 reads a group's counts on the clock before its update
                s1_run = pre_lif | (lif_run & (lgrp != layer.groups - 1))
            with m.If(lif_run):
                m.d.sync += [vbank.eq(Cat(vbank[n * vw :], v_next)), spk.eq(Cat(spk[n:], fire))]
            with m.If(s1_run):
                m.d.sync += acc.eq(Cat(acc[n * cw :], crow))
        else:
            rotating = [(vbank, v_next), (spk, fire)]
            if model.syn_current:
                rotating.append((ibank, i_next))
            self._rotate(m, b_valid, lif_run, acc, acc_next, rotating)
        m.d.comb += [
            self.out_counts.eq(acc[: layer.n_out * cw]),
            *([self.out_v.eq(vbank[: layer.n_out * vw])] if layer.membranes else []),
            self.out_spikes.eq(spk[: layer.n_out]),
        ]

    def _rotate(self, m: Module, b_valid, lif_run, acc, acc_next, rotating) -> None:
        """The banks' rotation: cleared counts at a step's start, the head's counts
        with a row's lane bits, or a neuron update's (each ``(bank, head's next)`` of
        ``rotating``: membranes, spikes, currents)."""
        width = len(acc_next)
        with m.If(self.start):
            m.d.sync += acc.eq(0)
        with m.Elif(b_valid):
            m.d.sync += acc.eq(Cat(acc[width:], acc_next))
        with m.Elif(lif_run):
            m.d.sync += acc.eq(Cat(acc[width:], acc[:width]))
            m.d.sync += [bank.eq(Cat(bank[len(head) :], head)) for bank, head in rotating]

    def elaborate(self, platform):
        m = Module()
        layer = self.structure
        self.start = self.in_valid  # the walk's start: a clock after the top's (event.v.j2)
        if layer.takes_step:
            self.start = Signal(name="go")
            m.d.sync += self.start.eq(self.in_valid)
        x_q = Signal(layer.n_inputs, name="x_q")
        with m.If(self.in_valid):
            m.d.sync += x_q.eq(self.in_spikes)
        taps = self._delays(m, x_q)
        tapvec = Signal(layer.chunks * layer.chunk, name="taps")
        if layer.events:  # in_spikes holds x(t) for the whole step (see event.v.j2)
            lines = self._lines()
            m.d.comb += tapvec.eq(Cat(self._x(leaf, lines, taps) for leaf in layer.events))
        issue, done, addr = self._walk(m, tapvec)
        if layer.row_register:  # the speed pipeline: the row's address registered
            raddr = Signal(len(addr), name="raddr", reset_less=True)
            rissue = Signal(name="rissue")
            m.d.sync += [raddr.eq(addr), rissue.eq(issue)]
        else:
            raddr, rissue = addr, issue
        rdata = self._weight_memory(m, enable=rissue, addr=raddr)
        rd_valid, b_valid = Signal(name="rd_valid"), Signal(name="b_valid")
        m.d.sync += rd_valid.eq(rissue)
        if layer.row_register:  # ... and the row read, once more; the walk's end waits
            row = Signal(len(rdata), name="row", reset_less=True)
            row_valid, walk_end1 = Signal(name="row_valid"), Signal(name="walk_end1")
            walk_end = Signal(name="walk_end")
            m.d.sync += [
                row.eq(rdata),
                row_valid.eq(rd_valid),
                walk_end1.eq(done),
                walk_end.eq(walk_end1),
            ]
        else:
            row, row_valid, walk_end = rdata, rd_valid, done
        m.d.sync += b_valid.eq(row_valid)
        if lfsr_ring(layer) is not None:
            lfsrs = self._ring(m, walk_end)
        else:
            lfsrs = self._lfsrs(m, walk_end)
        tap, chunk_load = self.tap, self.chunk_load
        # the tap rule with a stream number: _streams registers the selected value
        number = layer.stream_block + (bits_for(len(lfsrs)) if len(lfsrs) > 1 else 0)
        tap_value = layer.stream_rule == "tap" and bool(layer.streams) and number > 0
        if layer.row_register and tap_value:
            # the row's stream selected from its tap, registered with its address
            tap = Signal(len(self.tap), name="tap_r", reset_less=True)
            m.d.sync += tap.eq(self.tap)
        streams = self._streams(
            m, lfsrs, sel=tap, enable=rissue, registered=True, chunk_load=chunk_load
        )
        if layer.row_register and tap_value:  # the stream value, registered with the row
            value = Signal(len(streams), name="tstream_q", reset_less=True)
            m.d.sync += value.eq(streams)
            streams = value
        lanes = self._lanes(m, row, streams)
        done_q, lif_run, valid_q = (
            Signal(name="done_q"),
            Signal(name="lif_run"),
            Signal(name="valid_q"),
        )
        lgrp = Signal(layer.group_bits, name="lgrp")
        m.d.sync += done_q.eq(walk_end)
        self.done_q = done_q  # the neuron RAM's update address is registered from it
        start = done_q
        if layer.row_register:  # the neuron update's first stage runs a clock ahead
            start = Signal(name="pre_lif")
            m.d.sync += start.eq(done_q)
        with m.If(start):
            m.d.sync += [lif_run.eq(1), lgrp.eq(0)]
        with m.Elif(lif_run):
            m.d.sync += [lif_run.eq(lgrp != layer.groups - 1), lgrp.eq(lgrp + 1)]
        m.d.sync += valid_q.eq(lif_run & (lgrp == layer.groups - 1))
        self._banks(
            m,
            b_valid=b_valid,
            lanes=lanes,
            lif_run=lif_run,
            lgrp=lgrp,
            row_valid=row_valid,
            pre_lif=start if layer.row_register else None,
        )
        m.d.comb += self.out_valid.eq(valid_q)
        return m


def _index(n: int, name: str) -> Signal:
    """An index into ``n`` things, at least one bit wide (no zero-width Verilog wires)."""
    return Signal(max(1, (n - 1).bit_length()), name=name)


class ConvLayer(_LayerBase):
    """A convolution layer (:class:`compress.hardware.structure.ConvLayer`), clock for
    clock as ``conv.v.j2``: the walk loads the input spikes a row segment at a time and
    visits each spike's (tap, output) pairs from the geometry tables, one channel group
    per clock; a three-stage row pipeline reads the kernel row, then the lane bits and the
    count row, then adds (forwarding the row written the clock before) and writes it back;
    after the walk every row of neurons is updated, the bias added, and the spikes and
    counts shift into records that ``out_*`` wire in neuron order.

    Attributes
    ----------
    in_valid, in_spikes, out_valid, out_spikes, out_counts
        As :class:`Layer`'s.
    w_en, w_addr, w_data
        With the weight port: write a kernel row (only while idle).
    """

    def __init__(self, *, structure: ConvStructure, weight_port: bool = False):
        self.weight_port = weight_port
        super().__init__(structure, weight_port=weight_port)

    def _ram(self, m: Module, name: str, width: int, *, raddr, waddr, wdata, wen):
        """A memory of ``rows`` words of ``width`` bits, all 0 at first: a registered read
        of ``raddr`` every clock, a write of ``wdata`` at ``waddr`` when ``wen`` (a single
        row is a register)."""
        rows = self.structure.rows
        data = Signal(width, name=f"{name}_data", reset_less=True)
        if rows == 1:
            row = Signal(width, name=name, reset_less=True)
            m.d.sync += data.eq(row)
            with m.If(wen):
                m.d.sync += row.eq(wdata)
            return data
        ram = memory.Memory(shape=unsigned(width), depth=rows, init=[0] * rows)
        m.submodules[name] = ram
        read, write = ram.read_port(domain="sync"), ram.write_port()
        m.d.comb += [
            read.addr.eq(raddr),
            data.eq(read.data),
            write.en.eq(wen),
            write.addr.eq(waddr),
            write.data.eq(wdata),
        ]
        return data

    def _walk(self, m: Module):
        """The walk's registers; returns ``(hit, done, kaddr, caddr)``."""
        layer = self.structure
        c, h, w = layer.geometry.in_shape
        seg, segs, groups = layer.segment, layer.segments, layer.groups
        ny, nx = layer.slots
        loads, positions = c * h * segs, layer.rows // groups
        kb, rb, width = layer.slot_bits, layer.row_bits, layer.slot_width
        walking = Signal(name="walking")
        ld = Signal(range(loads + 1), name="ld")
        iy = Signal(max(1, (h - 1).bit_length()), name="iy")
        iy_q = Signal(len(iy), name="iy_q")
        kbase, kb_q = Signal(kb, name="kbase"), Signal(kb, name="kb_q")
        seg_i = _index(segs, "seg")
        ix0, ix0_q = Signal(range(w + seg), name="ix0"), Signal(range(w + seg), name="ix0_q")
        pend = Signal(seg, name="pend")
        sa, sb = _index(ny, "sa"), _index(nx, "sb")
        grp, gp = _index(groups, "grp"), Signal(rb, name="gp")
        low = Signal(seg, name="low")
        m.d.comb += low.eq(pend & (~pend + 1))
        low_bits = max(1, (seg - 1).bit_length())
        low_i = Signal(low_bits, name="low_i")
        for b in range(low_bits):
            m.d.comb += low_i[b].eq((low & sum(1 << n for n in range(seg) if n >> b & 1)).any())
        issue, load, done = Signal(name="issue"), Signal(name="load"), Signal(name="done")
        m.d.comb += [
            issue.eq(walking & (pend != 0)),
            load.eq(walking & (pend == 0) & (ld != loads)),
            done.eq(walking & (pend == 0) & (ld == loads)),
        ]
        segments = []  # segment r: input row r // segs, part r % segs (a mux, not a shifter)
        for r in range(1 << max(1, loads.bit_length())):
            row, part = divmod(r, segs)
            low = row * w + part * seg
            size = min(seg, w - part * seg)
            segments.append(self.in_spikes[low : low + size] if r < loads else C(0, seg))
        loaded = Array(segments)[ld]
        with m.If(self.in_valid):
            m.d.sync += [
                walking.eq(1),
                ld.eq(0),
                iy.eq(0),
                kbase.eq(0),
                seg_i.eq(0),
                ix0.eq(0),
                pend.eq(0),
                sa.eq(0),
                sb.eq(0),
                grp.eq(0),
                gp.eq(0),
            ]
        with m.Elif(load):
            m.d.sync += [pend.eq(loaded), iy_q.eq(iy), kb_q.eq(kbase), ld.eq(ld + 1)]
            next_row = True
            if segs > 1:
                m.d.sync += ix0_q.eq(ix0)
                with m.If(seg_i != segs - 1):
                    m.d.sync += [seg_i.eq(seg_i + 1), ix0.eq(ix0 + seg)]
                with m.Else():
                    m.d.sync += [seg_i.eq(0), ix0.eq(0)]
                    self._next_row(m, iy, kbase)
                next_row = False
            if next_row:
                self._next_row(m, iy, kbase)
        with m.Elif(issue):
            with m.If(grp == groups - 1):
                m.d.sync += [grp.eq(0), gp.eq(0)]
                with m.If(sb == nx - 1):
                    m.d.sync += sb.eq(0)
                    with m.If(sa == ny - 1):
                        m.d.sync += [sa.eq(0), pend.eq(pend & (pend - 1))]
                    with m.Else():
                        m.d.sync += sa.eq(sa + 1)
                with m.Else():
                    m.d.sync += sb.eq(sb + 1)
            with m.Else():
                m.d.sync += [grp.eq(grp + 1), gp.eq(gp + positions)]
        with m.Elif(done):
            m.d.sync += walking.eq(0)
        ix = Signal(max(1, (w - 1).bit_length()), name="ix")
        m.d.comb += ix.eq(ix0_q + low_i if segs > 1 else low_i)
        ywords, xwords = layer.table_words()
        yrow = Signal(ny * width, name="yrow")
        xrow = Signal(nx * width, name="xrow")
        m.d.comb += [
            yrow.eq(Array(C(v, ny * width) for v in ywords)[iy_q]),
            xrow.eq(Array(C(v, nx * width) for v in xwords)[ix]),
        ]
        ys = yrow.word_select(sa, width) if ny > 1 else yrow
        xs = xrow.word_select(sb, width) if nx > 1 else xrow
        hit = Signal(name="hit")
        kaddr, caddr = Signal(kb, name="kaddr"), Signal(rb, name="caddr")
        m.d.comb += [
            hit.eq(issue & ys[width - 1] & xs[width - 1]),
            kaddr.eq(kb_q + ys[rb : rb + kb] + xs[rb : rb + kb] + grp),
            caddr.eq(gp + ys[:rb] + xs[:rb]),
        ]
        return hit, done, kaddr, caddr

    def _next_row(self, m: Module, iy, kbase) -> None:
        """The next input row: ``iy`` wraps into the next channel's kernel rows."""
        layer = self.structure
        c, h, _ = layer.geometry.in_shape
        kh, kw = layer.geometry.kernel_size
        with m.If(iy == h - 1):
            m.d.sync += iy.eq(0)
            if c > 1:
                m.d.sync += kbase.eq(kbase + kh * kw * layer.groups)
        with m.Else():
            m.d.sync += iy.eq(iy + 1)

    def elaborate(self, platform):
        m = Module()
        layer = self.structure
        lanes, groups, rows = layer.lanes, layer.groups, layer.rows
        cw, vw, rb = layer.count_width, layer.v_width, layer.row_bits
        positions = rows // groups
        neuron = layer.neurons[0]
        model = neuron.model
        iw = max(1, model.i_width)
        bias = layer.bias_line is not None
        c, _, _ = layer.geometry.in_shape
        kh, kw = layer.geometry.kernel_size
        hit, done, kaddr, caddr = self._walk(m)
        # the neuron rows, one per clock after the walk
        lif_run, nrow = Signal(name="lif_run"), Signal(rb, name="nrow")
        lgrp, npos = _index(groups, "lgrp"), _index(positions, "npos")
        with m.If(done):
            m.d.sync += [lif_run.eq(1), nrow.eq(0), lgrp.eq(0), npos.eq(0)]
        with m.Elif(lif_run):
            m.d.sync += [lif_run.eq(nrow != rows - 1), nrow.eq(nrow + 1)]
            with m.If(npos == positions - 1):
                m.d.sync += [npos.eq(0), lgrp.eq(lgrp + 1)]
            with m.Else():
                m.d.sync += npos.eq(npos + 1)
        # stage 1: the kernel row (a visit's, or the group's bias row)
        raddr = Signal(layer.slot_bits, name="raddr")
        bias_row = c * kh * kw * groups + lgrp
        m.d.comb += raddr.eq(Mux(lif_run, bias_row, kaddr) if bias else kaddr)
        rdata = self._weight_memory(m, enable=hit | lif_run, addr=raddr)
        s1_hit, s1_lif, s1_last = Signal(name="s1_hit"), Signal(name="s1_lif"), Signal()
        s1_row, s1_grp = Signal(rb, name="s1_row"), _index(groups, "s1_grp")
        m.d.sync += [
            s1_hit.eq(hit),
            s1_lif.eq(lif_run),
            s1_last.eq(lif_run & (nrow == rows - 1)),
            s1_row.eq(Mux(lif_run, nrow, caddr)),
            s1_grp.eq(lgrp),
        ]
        # stage 2: lane bits; the count, membrane and current rows
        s2_hit, s2_lif, s2_last = Signal(name="s2_hit"), Signal(name="s2_lif"), Signal()
        s2_row, s2_grp = Signal(rb, name="s2_row"), _index(groups, "s2_grp")
        step_end = Signal(name="step_end")
        m.d.comb += step_end.eq(s2_lif & s2_last)
        lfsrs = self._lfsrs(m, step_end)
        streams = self._streams(m, lfsrs, sel=raddr, enable=hit | lif_run, registered=True)
        use_row = s1_hit | s1_lif if bias else s1_hit
        pos_q = Signal(lanes, name="pos_q", reset_less=True)
        neg_q = Signal(lanes, name="neg_q", reset_less=True)
        width = layer.word_width
        for g in range(lanes):
            bit, sign = _lane_compare(layer, rdata[g * width : (g + 1) * width], streams)
            m.d.sync += [pos_q[g].eq(use_row & bit & ~sign), neg_q[g].eq(use_row & bit & sign)]
        m.d.sync += [
            s2_hit.eq(s1_hit),
            s2_lif.eq(s1_lif),
            s2_last.eq(s1_last),
            s2_row.eq(s1_row),
            s2_grp.eq(s1_grp),
        ]
        # stage 3: add (the row written the clock before when it is this one) and write
        alive = Signal(name="alive")  # 0 while reset: the count rows are cleared then
        m.d.sync += alive.eq(1)
        in_reset = ~alive
        clr = Signal(rb, name="clr", reset_less=True)
        s3_wr, s3_row = Signal(name="s3_wr"), Signal(rb, name="s3_row")
        s3_data = Signal(lanes * cw, name="s3_data")
        c_next = Signal(lanes * cw, name="c_next")
        c_wr, c_addr = Signal(name="c_wr"), Signal(rb, name="c_addr")
        c_data = Signal(lanes * cw, name="c_data")
        m.d.comb += [
            c_wr.eq(in_reset | s2_hit | s2_lif),
            c_addr.eq(Mux(in_reset, clr, s2_row)),
            c_data.eq(Mux(in_reset | s2_lif, 0, c_next)),
        ]
        cdata = self._ram(m, "cmem", lanes * cw, raddr=s1_row, waddr=c_addr, wdata=c_data, wen=c_wr)
        v_next = Signal(lanes * vw, name="v_next")
        vdata = self._ram(
            m, "vmem", lanes * vw, raddr=s1_row, waddr=s2_row, wdata=v_next, wen=s2_lif
        )
        i_next = Signal(lanes * iw, name="i_next")
        idata = None
        if model.syn_current:
            idata = self._ram(
                m, "imem", lanes * iw, raddr=s1_row, waddr=s2_row, wdata=i_next, wen=s2_lif
            )
        fresh = Signal(name="fresh", init=1)  # the first step after a reset: v, i read as 0
        base = Signal(lanes * cw, name="base")
        m.d.comb += base.eq(Mux(s3_wr & (s3_row == s2_row), s3_data, cdata))
        slots = groups * lanes
        pad = slots - len(layer.neurons)

        def bank(values: list[int], width: int):  # per-channel constants, two's complement
            mask = (1 << width) - 1
            return C(sum((v & mask) << (i * width) for i, v in enumerate(values)), slots * width)

        theta_bank = bank([nr.theta for nr in layer.neurons] + [1] * pad, vw + 1)
        drive_bank = bank([nr.drive for nr in layer.neurons] + [0] * pad, vw)
        reset_bank = bank([nr.v_reset for nr in layer.neurons] + [0] * pad, vw)
        fire = Signal(lanes, name="fire")
        for g in range(lanes):
            count = Signal(signed(cw), name=f"count{g}")
            step = Mux(neg_q[g], -1, Mux(pos_q[g], 1, 0))
            m.d.comb += [count.eq(base[g * cw : (g + 1) * cw].as_signed() + step)]
            m.d.comb += c_next[g * cw : (g + 1) * cw].eq(count)
            at = s2_grp * lanes + g
            v_in = Mux(fresh, 0, vdata[g * vw : (g + 1) * vw]).as_signed()
            i_in = Mux(fresh, 0, idata[g * iw : (g + 1) * iw]) if idata is not None else C(0, iw)
            v_lane, i_lane, fire_lane = neuron_next(
                m,
                neuron,
                v=v_in,
                i=i_in.as_signed(),
                count=count,
                theta=theta_bank.word_select(at, vw + 1),
                drive=drive_bank.word_select(at, vw).as_signed(),
                vreset=reset_bank.word_select(at, vw).as_signed(),
                name=f"lane{g}_",
            )
            m.d.comb += [v_next[g * vw : (g + 1) * vw].eq(v_lane), fire[g].eq(fire_lane)]
            if i_lane is not None:
                m.d.comb += i_next[g * iw : (g + 1) * iw].eq(i_lane)
        m.d.sync += [
            clr.eq(Mux(in_reset, Mux(clr == rows - 1, 0, clr + 1), 0)),
            s3_wr.eq(c_wr),
            s3_row.eq(c_addr),
            s3_data.eq(c_data),
            fresh.eq(fresh & ~step_end),
        ]
        # the records: each neuron row shifts in on top, row n at [n * lanes +: lanes]
        spk_rec = Signal(rows * lanes, name="spk_rec")
        cnt_rec = Signal(rows * lanes * cw, name="cnt_rec")
        v_rec = Signal(rows * lanes * vw, name="v_rec")
        with m.If(s2_lif):
            m.d.sync += [
                spk_rec.eq(Cat(spk_rec[lanes:], fire)),
                cnt_rec.eq(Cat(cnt_rec[lanes * cw :], c_next)),
            ]
            if layer.membranes:
                m.d.sync += v_rec.eq(Cat(v_rec[lanes * vw :], v_next))
        valid_q = Signal(name="valid_q")
        m.d.sync += valid_q.eq(step_end)

        def wired(rec, width: int):  # neuron (c, q): lane c % lanes of row (c // lanes)*P + q
            parts = []
            for channel in range(len(layer.neurons)):
                g, p = divmod(channel, lanes)
                for q in range(positions):
                    at = ((g * positions + q) * lanes + p) * width
                    parts.append(rec[at : at + width])
            return Cat(parts)

        m.d.comb += [
            self.out_spikes.eq(wired(spk_rec, 1)),
            self.out_counts.eq(wired(cnt_rec, cw)),
            self.out_valid.eq(valid_q),
        ]
        if layer.membranes:
            m.d.comb += self.out_v.eq(wired(v_rec, vw))
        return m


#: The layer components by name: each style names its own
#: (:attr:`compress.hardware.ir.LayerStyle.component`).
COMPONENTS = {
    "Layer": Layer,
    "FoldedLayer": FoldedLayer,
    "EventLayer": EventLayer,
    "ConvLayer": ConvLayer,
}


class Network(wiring.Component):
    """The network top with SPEC section 5's ports (plus the ``sync`` domain's ``clk``/``rst``).

    Inputs are registered first (one clock), then the layers follow one another;
    the layers' ``l<l>_valid`` / ``l<l>_spikes`` / ``l<l>_counts`` are named
    signals so simulations can observe them.  With a folded layer one step is
    in flight at a time: ``in_ready`` falls when a step is accepted and rises
    with its ``out_valid``.

    Parameters
    ----------
    structure : NetworkStructure
        From :func:`compress.hardware.structure.network_structure`.

    Attributes
    ----------
    in_valid : In(1)
    in_ready : Out(1)
    in_spikes : In(n_in)
        Or, with an input encoder, ``in_features : In(n_in * B)`` (levels).
    out_valid : Out(1)
    out_spikes : Out(n_out)
    out_counts : Out(n_out * count_width)
    w_en, w_layer, w_addr, w_data
        The weight port (``structure.weight_port``), see ``design.json``.
    """

    def __init__(self, *, structure: NetworkStructure):
        self.structure = structure
        #: The layer components, in order (simulations may sample their ports).
        self.layers = [
            COMPONENTS[STYLES[layer.style].component](
                structure=layer, weight_port=structure.weight_port
            )
            for layer in structure.layers
        ]
        encoder = structure.encoder
        ports = {
            "in_valid": In(1),
            "in_ready": Out(1),
            **(
                {"in_features": In(structure.n_in * encoder.bits)}
                if encoder
                else {"in_spikes": In(structure.n_in)}
            ),
            "out_valid": Out(1),
            "out_spikes": Out(structure.n_out),
            "out_counts": Out(structure.n_out * structure.count_width),
        }
        if structure.events:  # address events instead of in_valid/in_ready/in_spikes
            for name in ("in_valid", "in_ready", "in_spikes"):
                del ports[name]
            ports.update(
                ev_valid=In(1), ev_ready=Out(1), ev_addr=In(structure.events.width), ev_end=In(1)
            )
        if structure.readout:
            ports.update(
                class_valid=Out(1),
                out_class=Out(structure.readout.class_width),
                out_sums=Out(structure.n_out * structure.readout.sum_width),
            )
        if structure.weight_port:
            widths = structure.port_widths
            ports.update(
                w_en=In(1),
                w_layer=In(widths["w_layer"]),
                w_addr=In(widths["w_addr"]),
                w_data=In(widths["w_data"]),
            )
        super().__init__(ports)
        if structure.events:  # the step handshake inside: the ev_end beat is in_valid
            self.in_valid, self.in_ready = Signal(name="in_valid"), Signal(name="in_ready")

    def _input_spikes(self, m: Module):
        """``in_spikes``, or the rate encoder's spikes of ``in_features`` (its LFSRs
        advance once per accepted step)."""
        encoder = self.structure.encoder
        if self.structure.events:
            return self._event_map(m)
        if encoder is None:
            return self.in_spikes
        if encoder.kind == "vdc":  # a counter of the accepted steps, bit-reversed
            counter = Signal(encoder.bits, name="enc_t")
            with m.If(self.in_valid & self.in_ready):
                m.d.sync += counter.eq(counter + 1)
            if self.structure.readout:  # the readout restarts the network per window
                with m.If(self.clear):
                    m.d.sync += counter.eq(0)
            value = Signal(encoder.bits, name="enc_v")
            m.d.comb += value.eq(Cat(counter[b] for b in reversed(range(encoder.bits))))
            return Cat(
                (value ^ mask) < self.in_features.word_select(j, encoder.bits)
                for j, mask in enumerate(encoder.masks)
            )
        registers = []
        for lfsr in encoder.lfsrs:
            unit = LFSR(width=lfsr.width, seed=lfsr.seed)
            m.submodules[lfsr.name] = self._restarted(unit)
            m.d.comb += unit.en.eq(self.in_valid & self.in_ready)
            registers.append(unit.state)
        bits = []
        for wire in encoder.streams:
            stream = Signal(encoder.bits, name=wire.name)
            m.d.comb += stream.eq(Cat(registers[wire.register][b] for b in wire.bits))
            bits.append(stream <= self.in_features.word_select(wire.index, encoder.bits))
        return Cat(bits)

    def _event_map(self, m: Module):
        """The step being collected from address events (as ``top.v.j2``): each beat
        without ``ev_end`` sets input ``(c * H + y) * W + x`` (an address outside the
        shape is dropped); the ``ev_end`` beat is the step's ``in_valid`` and clears it."""
        events = self.structure.events
        c, h, w = events.shape
        cb, yb, xb = events.fields
        x = self.ev_addr[:xb] if xb else C(0, 1)
        y = self.ev_addr[xb : xb + yb] if yb else C(0, 1)
        ch = self.ev_addr[xb + yb : xb + yb + cb] if cb else C(0, 1)
        n_in = c * h * w
        ev_map = Signal(n_in, name="ev_map")
        inside = (ch < c) & (y < h) & (x < w)
        m.d.comb += [
            self.in_valid.eq(self.ev_valid & self.ev_end),
            self.ev_ready.eq(~self.ev_end | self.in_ready),
        ]
        index = (ch * h + y) * w + x
        with m.If(self.in_valid & self.in_ready):
            m.d.sync += ev_map.eq(0)
        with m.Elif(self.ev_valid & ~self.ev_end & inside):
            onehot = (C(1, n_in) << index[: events.index_bits])[:n_in]
            m.d.sync += ev_map.eq(ev_map | onehot)
        return ev_map

    def _restarted(self, unit):
        """``unit``, also reset by the readout's ``clear`` (the network restarts per window)."""
        return ResetInserter(self.clear)(unit) if self.structure.readout else unit

    def elaborate(self, platform):
        m = Module()
        readout = self.structure.readout
        self.clear = Signal(name="clear")  # the readout's restart of the network
        ready = C(1, 1)
        if readout:
            taken = Signal(range(readout.window + 1), name="taken")
            ready = Signal(name="open_")  # the window still takes steps
            self.arg_busy = Signal(name="arg_busy")  # the last window's argmax still runs
            m.d.comb += ready.eq((taken != readout.window) & ~self.clear & ~self.arg_busy)
        if self.structure.locked:
            busy = Signal(name="busy")
            m.d.comb += self.in_ready.eq((~busy | self.out_valid) & ready)
            with m.If(self.in_valid & self.in_ready):
                m.d.sync += busy.eq(1)
            with m.Elif(self.out_valid):
                m.d.sync += busy.eq(0)
            if readout:
                with m.If(self.clear):
                    m.d.sync += busy.eq(0)
        else:
            m.d.comb += self.in_ready.eq(ready)
        source = self._input_spikes(m)  # outside any If: its comb statements are unconditional
        valid = Signal(name="l0_in_valid")
        if self.structure.takes_step:  # layer 0 takes them itself
            m.d.comb += valid.eq(self.in_valid & self.in_ready)
            spikes = source
        else:
            spikes = Signal(self.structure.n_in, name="l0_in_spikes", reset_less=True)
            m.d.sync += valid.eq(self.in_valid & self.in_ready)
            if self.structure.locked:  # held for the step: an event layer reads it walking
                with m.If(self.in_valid & self.in_ready):
                    m.d.sync += spikes.eq(source)
            else:
                m.d.sync += spikes.eq(source)
        for index, layer in enumerate(self.layers):
            m.submodules[f"layer{index}"] = self._restarted(layer)
            out_valid = Signal(name=f"l{index}_valid")
            out_spikes = Signal(len(layer.out_spikes), name=f"l{index}_spikes")
            out_counts = Signal(len(layer.out_counts), name=f"l{index}_counts")
            if self.structure.layers[index].membranes:
                out_v = Signal(len(layer.out_v), name=f"l{index}_v")
                m.d.comb += out_v.eq(layer.out_v)
            m.d.comb += [
                layer.in_valid.eq(valid),
                layer.in_spikes.eq(spikes),
                out_valid.eq(layer.out_valid),
                out_spikes.eq(layer.out_spikes),
                out_counts.eq(layer.out_counts),
            ]
            if getattr(layer, "weight_port", False):
                m.d.comb += [
                    layer.w_en.eq(self.w_en & (self.w_layer == index)),
                    layer.w_addr.eq(self.w_addr),
                    layer.w_data.eq(self.w_data),
                ]
            valid, spikes = out_valid, out_spikes
        m.d.comb += [
            self.out_valid.eq(valid),
            self.out_spikes.eq(spikes),
            self.out_counts.eq(out_counts),
        ]
        if readout:  # the last layer's counts, or its membranes
            self._readout(m, taken, out_v if readout.kind != "argmax" else self.out_counts)
        return m

    def _readout(self, m: Module, taken: Signal, values) -> None:
        """Window sums of the last layer's counts, their argmax (a registered tournament:
        later neurons win only with a larger sum), class_valid after it, and the restart
        one clock after the last result."""
        readout, n_out = self.structure.readout, self.structure.n_out
        sw = readout.sum_width
        cw = self.structure.count_width if readout.kind == "argmax" else readout.v_width
        seen = Signal(range(readout.window + 1), name="seen")
        last = Signal(name="last_result")
        m.d.comb += last.eq(self.out_valid & (seen == readout.window - 1))
        sums = []
        for i in range(n_out):
            total = Signal(signed(sw), name=f"sum{i}")
            value = values[i * cw : (i + 1) * cw].as_signed()
            if readout.kind == "membrane":  # the membranes after the window's last step
                m.d.comb += total.eq(value)
            else:
                acc = Signal(signed(sw), name=f"acc{i}")
                m.d.comb += total.eq(acc + value)
                with m.If(self.clear):
                    m.d.sync += acc.eq(0)
                with m.Elif(self.out_valid):
                    m.d.sync += acc.eq(total)
            sums.append(total)
        with m.If(self.clear):
            m.d.sync += [taken.eq(0), seen.eq(0)]
        with m.Else():
            with m.If(self.in_valid & self.in_ready):
                m.d.sync += taken.eq(taken + 1)
            with m.If(self.out_valid):
                m.d.sync += seen.eq(seen + 1)
        out_sums = Signal(n_out * sw, name="out_sums_q", reset_less=True)
        with m.If(last):
            m.d.sync += out_sums.eq(Cat(sums))
        m.d.sync += self.clear.eq(last)
        # the argmax, a registered tournament after the window's last result (as top.v.j2)
        tree = argmax_tree(n_out)
        argv = Signal(len(tree) + 1, name="argv")
        m.d.sync += argv.eq(Cat(last, argv[:-1]))
        m.d.comb += self.arg_busy.eq(argv[:-1].any() if tree else 0)
        entries = [
            (out_sums[i * sw : (i + 1) * sw].as_signed(), C(i, readout.class_width))
            for i in range(n_out)
        ]
        for k, pairs in enumerate(tree, start=1):
            winners = []
            for j, (a, b) in enumerate(pairs):
                value = Signal(signed(sw), name=f"t{k}_v{j}", reset_less=True)
                index = Signal(readout.class_width, name=f"t{k}_i{j}", reset_less=True)
                (av, ai), (bv, bi) = entries[a], entries[b] if b is not None else entries[a]
                wins = bv > av if b is not None else C(0, 1)
                m.d.sync += [value.eq(Mux(wins, bv, av)), index.eq(Mux(wins, bi, ai))]
                winners.append((value, index))
            entries = winners
        m.d.comb += [
            self.class_valid.eq(argv[-1]),
            self.out_class.eq(entries[0][1]),
            self.out_sums.eq(out_sums),
        ]
