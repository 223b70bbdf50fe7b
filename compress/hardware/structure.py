"""The circuit of a plan, as typed data: what every emitter renders and the estimator counts.

:func:`network_structure` is a pure pass from a
:class:`~compress.hardware.plan.NetworkPlan` to one frozen description per
layer: its LFSRs and the streams wired from their bits, the comparator terms
and comparators, the delay lines or RAM ring, the popcount trees (every node,
its width and whether it is a register), the neurons, and for a folded layer
its lanes, input groups and weight memory.  The Jinja2 and Amaranth emitters
turn it into Verilog without deciding anything; the estimator counts its
parts.  Names (``p0_3_0``, ``s0_heq3``, ``cmp0_53``, ``dl3``) are part of the
structure, so both emitters and every report use the same ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from .counters import column_groups, counter_sizes
from .ir import LayerPlan, NetworkPlan
from .lfsr import TAPS
from .memory import bits_for, weight_port_widths
from .neuron import INTEGER_NEURON, NeuronPlan

__all__ = [
    "NODE_KINDS",
    "SPLIT_ABOVE",
    "Comparator",
    "ConvLayer",
    "DelayLine",
    "DelayRing",
    "EventInput",
    "EventLayer",
    "FoldedLayer",
    "InputEncoder",
    "Leaf",
    "Lfsr",
    "LfsrRing",
    "NetworkStructure",
    "Neuron",
    "Node",
    "Operand",
    "ParallelLayer",
    "Readout",
    "StreamWire",
    "Tap",
    "Term",
    "Tree",
    "WeightMemory",
    "argmax_tree",
    "at_most_one_terms",
    "chunk_register_table",
    "chunk_registers",
    "compressor_tree",
    "counter_module",
    "counter_table",
    "encoder_structure",
    "layer_fields",
    "layer_structure",
    "lfsr_ring",
    "network_structure",
    "neuron_structure",
    "popcount_tree",
    "split_comparators",
    "stream_wires",
]

#: Comparators wider than this are split into a high and a low half.
SPLIT_ABOVE = 4

_OPS = {"<=": int.__le__, "==": int.__eq__, "<": int.__lt__}
_OP_TAGS = {"<=": "le", "==": "eq", "<": "lt"}


@dataclass(frozen=True)
class Lfsr:
    """An LFSR register (:mod:`compress.hardware.lfsr`): ``name``, width, seed and taps."""

    name: str
    width: int
    seed: int
    taps: tuple[int, ...]


@dataclass(frozen=True)
class StreamWire:
    """Stream ``index``: bit ``b`` of its value is bit ``bits[b]`` of LFSR ``register``."""

    index: int
    name: str
    register: int
    bits: tuple[int, ...]


@dataclass(frozen=True)
class Term:
    """One comparison of a slice of a stream with a constant, shared by its comparators.

    ``stream[msb:lsb] <op> const``; ``init`` is its value at step 0 (or at step 1
    for the ``speed`` pipeline, whose terms are registered ahead of time).
    """

    name: str
    stream: int
    msb: int
    lsb: int
    op: str
    const: int
    init: int

    @property
    def width(self) -> int:
        """Bits of the slice."""
        return self.msb - self.lsb + 1


@dataclass(frozen=True)
class Comparator:
    """``stream <= level``, as an OR of ANDs of :class:`Term` names.

    ``products == ((),)`` is the constant 1 (``r <= M`` of the uncompressed
    baseline); a comparator costs one small gate beside its shared terms.
    """

    name: str
    stream: int
    level: int
    products: tuple[tuple[str, ...], ...]
    init: int


@dataclass(frozen=True)
class Tap:
    """Where ``x_j(t - d)`` is read: bit ``bit`` of the signal ``signal``."""

    signal: str
    bit: int


@dataclass(frozen=True)
class DelayLine:
    """Shift register ``name`` of input line ``line``: bit ``d - 1`` is ``x(t - d)``."""

    name: str
    line: int
    depth: int


@dataclass(frozen=True)
class DelayRing:
    """The delay buffers of a layer as one RAM ring (``depth`` steps x ``len(lines)`` bits).

    Each accepted step writes the lines' inputs at the write pointer; every delay
    ``d`` in ``delays`` has a registered read ``dr<d>`` (``d = 1`` is a plain
    register, the others read the RAM and are 0 until ``d - 1`` steps were written).
    """

    lines: tuple[int, ...]
    depth: int
    delays: tuple[int, ...]

    @property
    def bits(self) -> int:
        """Bits of the ring."""
        return self.depth * len(self.lines)

    @property
    def addr_bits(self) -> int:
        """Bits of the write pointer and the read addresses."""
        return max(1, bits_for(self.depth))

    @property
    def count_bits(self) -> int:
        """Bits of the saturating count of steps written since reset."""
        return self.depth.bit_length()

    @property
    def ram_reads(self) -> tuple[int, ...]:
        """The delays read from the RAM (all but ``d = 1``)."""
        return tuple(d for d in self.delays if d > 1)


@dataclass(frozen=True)
class Leaf:
    """A popcount input: input line ``line`` delayed ``delay`` steps, ANDed with
    ``comparator`` (a stochastic synapse) or alone (a constant one)."""

    line: int
    delay: int
    comparator: str | None = None


@dataclass(frozen=True)
class Operand:
    """A node input, ``width`` bits: leaf number ``leaf`` of the tree, the node ``node``
    (its bit ``bit`` alone when given), the concatenation ``bits`` (least significant
    first), or, with none of these, a zero bit."""

    width: int
    leaf: int | None = None
    node: str | None = None
    bit: int | None = None
    bits: tuple[Operand, ...] = ()


#: Popcount-tree node kinds: a sum of operands, a counter of one-bit operands, and a
#: counter of synapse leaves with their ``x & [r <= m]`` gates folded in.
NODE_KINDS = ("add", "count", "count_and")


@dataclass(frozen=True)
class Node:
    """A popcount-tree node: the sum of its operands (one operand: re-timed by a
    register), or (``kind`` ``count``/``count_and``) a counter of one-bit operands, the
    number of ones among them, built as a module of its own (one LUT per output bit)."""

    name: str
    width: int
    operands: tuple[Operand, ...]
    registered: bool
    kind: str = "add"

    @property
    def adder(self) -> bool:
        """Whether the node adds (two or more operands) rather than counts or re-times."""
        return self.kind == "add" and len(self.operands) >= 2

    @property
    def counter(self) -> bool:
        """Whether the node is a counter (its own module, one LUT per output bit)."""
        return self.kind != "add"


@dataclass(frozen=True)
class Tree:
    """A pipelined pairwise popcount over one-bit leaves; ``result`` is None without leaves."""

    leaves: tuple[Leaf, ...]
    nodes: tuple[Node, ...]
    result: Operand | None

    @property
    def adder_bits(self) -> int:
        """Bits of the tree's adders."""
        return sum(node.width for node in self.nodes if node.adder)

    @property
    def registered_bits(self) -> int:
        """Bits of the tree's pipeline registers."""
        return sum(node.width for node in self.nodes if node.registered)

    @property
    def counter_bits(self) -> int:
        """Output bits of the tree's counters (one LUT each)."""
        return sum(node.width for node in self.nodes if node.counter)

    def copy_chains(self) -> list[int]:
        """Lengths of the chains of registers that only copy one another (a shift
        register: a bit re-timed through registered levels, from the register that
        first holds it), one per chain end; synthesis may map a long one to a LUT shift
        register (Xilinx SRL16E)."""
        nodes = {node.name: node for node in self.nodes}

        def copied(node: Node, bit: int) -> Operand | None:
            """The register bit that bit ``bit`` of registered ``node`` copies, if any."""
            if node.counter:
                return None
            if len(node.operands) == 1:  # a re-time node: its operand's bit
                operand = node.operands[0]
                return operand.bits[bit] if operand.bits else operand
            # an adder's low columns that only one row fills are its bits (no carry yet)
            rows = [o.bits for o in node.operands]
            if not all(rows) or any(
                len([r for r in rows if r[c].leaf is not None or r[c].node]) != 1
                for c in range(bit + 1)
            ):
                return None
            (source,) = [r[bit] for r in rows if r[bit].leaf is not None or r[bit].node]
            return source

        def length(node: Node, bit: int) -> int:
            source = copied(node, bit)
            if source is None or source.node is None or not nodes[source.node].registered:
                return 1
            return 1 + length(nodes[source.node], source.bit or 0)

        sources: set[tuple[str, int]] = set()
        ends = []
        for node in self.nodes:
            if not node.registered:
                continue
            for bit in range(node.width):
                source = copied(node, bit)
                if source is not None and source.node is not None:
                    sources.add((source.node, source.bit or 0))
                ends.append((node, bit))
        return [length(node, bit) for node, bit in ends if (node.name, bit) not in sources]

    def counters(self) -> dict[tuple[str, int], int]:
        """How many counters of each (kind, inputs) the tree has."""
        out: dict[tuple[str, int], int] = {}
        for node in self.nodes:
            if node.counter:
                key = (node.kind, len(node.operands))
                out[key] = out.get(key, 0) + 1
        return out


@dataclass(frozen=True)
class Neuron:
    """Neuron ``index``: its count is ``pos - neg`` (plus the lanes' sum when folded),
    its fixed-point parameters (SPEC section 4, :mod:`compress.hardware.neuron`) and
    register widths."""

    index: int
    theta: int
    reset_sub: bool
    count_width: int
    v_width: int
    pos: Tree
    neg: Tree
    model: NeuronPlan = INTEGER_NEURON
    drive: int = 0
    v_reset: int = 0

    @property
    def plain(self) -> bool:
        """Whether the speed pipeline may pre-subtract the threshold (:attr:`NeuronPlan.plain`)."""
        return self.model.plain


@dataclass(frozen=True)
class WeightMemory:
    """A folded layer's weight memory: ``depth`` rows of ``width`` bits, initialised
    from ``rows`` (the file ``file``), read once per clock; ``writable`` with the
    weight port; ``block`` when the RTL asks for block RAM."""

    file: str
    width: int
    depth: int
    rows: tuple[int, ...]
    block: bool
    writable: bool
    spram: bool = False  # SB_SPRAM256KA blocks, ``width / 16`` of them side by side

    @property
    def spram_blocks(self) -> int:
        """SB_SPRAM256KA blocks of an SPRAM memory (0 otherwise)."""
        return -(-self.width // 16) if self.spram else 0


@dataclass(frozen=True, eq=False)
class _Layer:
    """What both kinds of layer have."""

    index: int
    style: str  # the layer's style (a key of compress.hardware.styles.STYLES)
    module: str
    n_inputs: int  # the in_spikes port
    n_lines: int  # input lines, the bias line included
    bias_line: int | None
    recurrent: int  # lines n_inputs .. n_inputs + recurrent - 1: the layer's own spikes
    n_out: int
    k: int  # code bits
    random_bits: int  # bits of the random values (2k when decorrelated)
    code_scale: int
    count_width: int
    pipeline: str
    latency: int
    tree_stages: int
    synapses: dict[str, int]
    lfsrs: tuple[Lfsr, ...]
    lines: tuple[DelayLine, ...]
    ring: DelayRing | None
    taps: dict[tuple[int, int], Tap]
    neurons: tuple[Neuron, ...]
    membranes: bool = field(default=False, kw_only=True)  # out_v: the class readout reads them
    # stream_rule "tap": a row's stream is register s >> stream_block through permutation
    # s % 2**stream_block (compress.hardware.streams), found from the row read
    stream_rule: str = field(default="code", kw_only=True)
    stream_block: int = field(default=0, kw_only=True)
    popcount: str = field(default="adder", kw_only=True)  # compress.hardware.counters.POPCOUNTS

    @property
    def decorrelated(self) -> bool:
        """Whether codes are scaled before they are compared (2k-bit random values)."""
        return self.code_scale != 1

    @property
    def delay_bits(self) -> int:
        """Bits of the delay buffers."""
        return self.ring.bits if self.ring else sum(line.depth for line in self.lines)

    @property
    def takes_step(self) -> bool:
        """Whether the layer takes the top's inputs itself as the step is accepted (only
        a capturing first event layer: :attr:`EventLayer.takes_step`)."""
        return False


@dataclass(frozen=True, eq=False)
class ParallelLayer(_Layer):
    """A fully parallel layer: one step per clock.

    ``streams`` are the streams some term reads; with the ``speed`` pipeline
    they are taken of the LFSRs' states two steps ahead, and the terms and the
    comparators are registers.
    """

    streams: tuple[StreamWire, ...]
    terms: tuple[Term, ...]
    comparators: tuple[Comparator, ...]

    @property
    def speed(self) -> bool:
        """The ``speed`` pipeline: registered comparators and a count stage."""
        return self.pipeline == "speed"


@dataclass(frozen=True, eq=False)
class FoldedLayer(_Layer):
    """A folded layer: ``lanes`` lanes per neuron step through ``slots`` memory rows.

    ``groups[h]`` is the input vector of delay ``delays[h]``: for each line the
    leaf it reads, or None (no stochastic synapse reads the line at that delay:
    a constant 0).  ``banks[p]`` (banked order) lists the positions in the
    concatenated groups that lane ``p`` reaches, None beyond the last line.
    ``streams`` are every stream of the layer (an empty lane's stream is all
    ones, which never fires code 0).
    """

    lanes: int
    slots: int
    order: str
    delays: tuple[int, ...]
    groups: tuple[tuple[Leaf | None, ...], ...]
    banks: tuple[tuple[int | None, ...], ...]
    streams: tuple[StreamWire, ...]
    memory: WeightMemory
    word_width: int
    index_bits: int
    stream_bits: int
    line_bits: int
    part_width: int
    # stream_rule "tap": the stream of input position h * n_lines + j (line j at delay
    # delays[h]: its tap's), -1 where no stochastic synapse reads it; empty otherwise
    position_streams: tuple[int, ...] = ()

    @property
    def slot_bits(self) -> int:
        """Bits of the slot counter (and of the weight port's row address)."""
        return max(1, bits_for(self.slots))

    @property
    def control(self) -> tuple[tuple[str, int], ...]:
        """The step control's registers, ``(name, width)``: the running flag, the slot
        counter, and the valid and last-slot flags of the read, lane and sum stages."""
        flags = ("rd_valid", "rd_last", "b_valid", "b_last", "p_valid", "p_last", "a_last")
        return (("run", 1), ("slot", self.slot_bits), *((name, 1) for name in flags))

    @property
    def words_width(self) -> int:
        """Bits of a row's lane words (the aligned order's shared lines sit above them)."""
        return self.n_out * self.lanes * self.word_width

    @property
    def xvec_width(self) -> int:
        """Bits of all input groups together."""
        return len(self.groups) * self.n_lines

    @property
    def bank_width(self) -> int:
        """Bits a banked lane reaches: its bank in every group."""
        return len(self.groups) * -(-self.n_lines // self.lanes)

    @property
    def reach(self) -> int:
        """Inputs a lane's multiplexer selects among."""
        return {"compact": self.xvec_width, "banked": self.bank_width}.get(
            self.order, len(self.groups)
        )


@dataclass(frozen=True, eq=False)
class EventLayer(_Layer):
    """An event-driven layer: neurons in ``groups`` groups of ``lanes``, weight rows
    per input tap, and only the taps that spike are walked.

    ``events[e]`` is tap ``e``: the leaf (line, delay) whose ``x_j(t - d)`` says
    whether the tap spiked.  Per step the walk loads the taps ``chunk`` at a time
    (``chunks`` clocks), and for every spiking tap reads its ``groups`` rows (one
    per clock); each lane compares the word's code with its stream and adds +-1 into
    its neuron's count, in a register bank that rotates by one group per row, so
    the lane adders always meet the row's group.  Then ``groups`` clocks of
    neuron updates (the membranes rotate the same way), ``lanes`` at a time.
    ``streams`` are every stream of the layer (all ones when there is none: it
    fires code M, never code 0).  With ``row_register`` (the ``speed`` pipeline) the
    row's address is registered before the read and the row read from the memory
    once more before the lanes compare it (the tap rule's stream value follows), and
    the walk's end waits two clocks for them; a neuron update takes two stages, the
    first (decay, sum, saturation) a clock ahead on the next group: three more clocks
    per step, the walk's arithmetic off the memory's address, its clock-to-out off the
    lanes' path, and the threshold off the sum's.  With ``neuron_ram`` the counts,
    membranes and currents are memories of ``groups`` rows instead of banks: a row's
    counts are read as the row arrives and written with its lane bits, a neuron
    update's read a clock ahead; the step's spikes (and counts and membranes) shift
    into records for the outputs.  With ``capture`` (the ``speed`` pipeline, without
    delays or a recurrent edge) the layer takes its taps on ``in_valid`` into a register
    that shifts out a chunk per load, so no chunk multiplexer selects from the taps; the
    first layer (:attr:`takes_step`) does so on the clock the top accepts the step (the
    top registers none of its inputs) and starts its walk a clock later (``go``), as it
    would after the top's input register, so the clocks are the same.  With
    ``tail_loads`` (:meth:`~compress.hardware.styles.event.Event.tail_loads`) a chunk
    loads on the clock that reads the last row of the chunk before, when it had a
    spiking tap, instead of on a clock of its own.
    """

    lanes: int
    groups: int
    events: tuple[Leaf, ...]
    chunk: int
    chunks: int
    streams: tuple[StreamWire, ...]
    memory: WeightMemory
    word_width: int
    stream_bits: int
    v_width: int
    row_register: bool = False
    neuron_ram: bool = False
    capture: bool = False
    tail_loads: bool = False

    @property
    def slot_bits(self) -> int:
        """Bits of a row address (and of the weight port's)."""
        return max(1, bits_for(self.memory.depth))

    @property
    def takes_step(self) -> bool:
        """The first layer captures the top's inputs: the top keeps no input register."""
        return self.capture and self.index == 0

    @property
    def chunk_bits(self) -> int:
        """Bits of the chunk counter, which counts to ``chunks``."""
        return max(1, self.chunks.bit_length())

    @property
    def group_bits(self) -> int:
        """Bits of a group index."""
        return max(1, bits_for(self.groups))

    @property
    def slot_neurons(self) -> int:
        """Neurons the banks hold: ``groups * lanes`` (the last group may be padded)."""
        return self.groups * self.lanes

    @property
    def control(self) -> tuple[tuple[str, int], ...]:
        """The step control's registers, ``(name, width)``: the walk (running flag,
        chunk counter, the loaded chunk's base and pending taps, the group), the
        read, lane and done flags, and the neuron-update run and its group."""
        return (
            ("walking", 1),
            ("chunk", self.chunk_bits),
            ("base", self.chunk_bits),
            ("pend", self.chunk),
            ("grp", self.group_bits),
            ("rd_valid", 1),
            ("b_valid", 1),
            ("done_q", 1),
            ("lif_run", 1),
            ("lgrp", self.group_bits),
            ("valid_q", 1),
        )


@dataclass(frozen=True, eq=False)
class ConvLayer(_Layer):
    """A convolution layer: kernel rows in a memory, counts, membranes and currents in
    memories of ``rows`` rows (``groups`` output-channel groups x output positions,
    group-major), ``lanes`` output channels per row.

    Per step the walk loads the input spikes ``segment`` at a time (``segments`` per
    input row of the image) and visits, for every spike at ``(c, y, x)``, the
    ``slots = (ny, nx)`` (tap, output) pairs of ``y_table[y]`` and ``x_table[x]``
    (missing ones idle), one group per clock; then ``rows`` clocks of neuron updates.
    ``neurons[c]`` holds output channel ``c``'s constants (threshold, drive, reset),
    the same at every position.
    """

    lanes: int
    groups: int
    geometry: Any
    rows: int
    segment: int
    segments: int
    slots: tuple[int, int]
    y_table: tuple[tuple[tuple[int, int], ...], ...]
    x_table: tuple[tuple[tuple[int, int], ...], ...]
    streams: tuple[StreamWire, ...]
    memory: WeightMemory
    word_width: int
    stream_bits: int
    v_width: int

    @property
    def slot_bits(self) -> int:
        """Bits of a kernel-row address (and of the weight port's)."""
        return max(1, bits_for(self.memory.depth))

    @property
    def row_bits(self) -> int:
        """Bits of a count/membrane row address."""
        return max(1, bits_for(self.rows))

    @property
    def slot_width(self) -> int:
        """Bits of a geometry-table slot: ``{valid, kernel-row offset, count-row offset}``."""
        return 1 + self.slot_bits + self.row_bits

    def table_words(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The geometry ROMs ``(ytab, xtab)``: one word per input row (column), padded with
        zero words to a power of two; slot ``s`` at bits ``[s * slot_width +: slot_width]``
        holds ``{1, a * kw * groups, y' * W'}`` for a (tap row ``a``, output row ``y'``)
        pair (``{1, b * groups, x'}`` for a column)."""
        kw, ow = self.geometry.kernel_size[1], self.geometry.out_shape[2]
        width, rb = self.slot_width, self.row_bits

        def words(rows, kernel_step: int, out_step: int) -> tuple[int, ...]:
            depth = 1 << max(1, bits_for(len(rows)))
            out = []
            for n in range(depth):
                word = 0
                for slot, (tap, position) in enumerate(rows[n] if n < len(rows) else ()):
                    entry = (1 << (width - 1)) | (tap * kernel_step << rb) | position * out_step
                    word |= entry << (slot * width)
                out.append(word)
            return tuple(out)

        return (
            words(self.y_table, kw * self.groups, ow),
            words(self.x_table, self.groups, 1),
        )

    @property
    def group_bits(self) -> int:
        """Bits of a group index."""
        return max(1, bits_for(self.groups))

    @property
    def control(self) -> tuple[tuple[str, int], ...]:
        """The step control's registers, ``(name, width)``."""
        c, h, _ = self.geometry.in_shape
        loads = c * h * self.segments
        ny, nx = self.slots
        return (
            ("walking", 1),
            ("ld", max(1, loads.bit_length())),
            ("iy", max(1, bits_for(h))),
            ("iy_q", max(1, bits_for(h))),
            ("kbase", self.slot_bits),
            ("kb_q", self.slot_bits),
            ("pend", self.segment),
            ("sa", max(1, bits_for(ny))),
            ("sb", max(1, bits_for(nx))),
            ("grp", self.group_bits),
            ("lif_run", 1),
            ("nrow", self.row_bits),
            ("stage", 6 + 3 * self.row_bits),
            ("fresh", 1),
            ("valid_q", 1),
        )


@dataclass(frozen=True)
class InputEncoder:
    """The top's rate encoder: input ``j`` spikes when ``streams[j] <= its level``.

    ``lfsrs`` are the distinct seeds' registers (``enc_lfsr<r>``), advancing once
    per accepted step; ``streams[j]`` (``enc_r<j>``) reads one of them through a
    bit permutation, as :class:`~compress.hardware.encoder.RateEncoder` does.
    ``kind`` ``"vdc"``: no LFSRs or streams; one ``bits``-bit counter of the accepted
    steps, input ``j`` spiking when ``bitreverse(counter) XOR masks[j] < its level``.
    """

    bits: int
    lfsrs: tuple[Lfsr, ...]
    streams: tuple[StreamWire, ...]
    kind: str = "lfsr"
    masks: tuple[int, ...] = ()


@dataclass(frozen=True)
class Readout:
    """The top's class readout: sums of the last layer's counts over ``window`` steps
    (``sum_width`` bits each), their argmax (``class_width`` bits), then a restart;
    ``kind`` ``"membrane"`` reads the last layer's membranes at the window's last step,
    ``"membrane-sum"`` sums them (``v_width`` bits each)."""

    window: int
    sum_width: int
    class_width: int
    kind: str = "argmax"
    v_width: int = 0


def argmax_tree(n: int) -> tuple[tuple[tuple[int, int | None], ...], ...]:
    """The class readout's registered argmax tournament over ``n`` sums: per level, the
    pairs ``(a, b)`` of the previous level's entries (level 0: the sums in neuron
    order) that meet, ``b`` None where ``a`` passes alone.  ``b`` (the higher indices)
    wins only with a larger sum, so ties keep the lowest index, as a linear scan does;
    ``ceil(log2(n))`` levels, one comparison deep each."""
    levels, width = [], n
    while width > 1:
        levels.append(tuple((a, a + 1 if a + 1 < width else None) for a in range(0, width, 2)))
        width = (width + 1) // 2
    return tuple(levels)


@dataclass(frozen=True, eq=False)
class NetworkStructure:
    """The circuit of a whole network: its layers and the top's options."""

    top: str
    n_in: int
    n_out: int
    count_width: int
    latency: int
    locked: bool  # one step in flight at a time (a folded layer)
    weight_port: bool
    port_widths: dict[str, int]  # the weight port's signals (empty without one)
    layers: tuple[ParallelLayer | FoldedLayer | EventLayer, ...]
    encoder: InputEncoder | None = None
    readout: Readout | None = None
    events: EventInput | None = None

    @property
    def takes_step(self) -> bool:
        """The first layer takes the step's inputs itself (:attr:`EventLayer.takes_step`):
        the top keeps no input register."""
        return self.layers[0].takes_step

    def counter_nodes(self) -> Iterator[tuple[Any, Node]]:
        """Every counter node of the popcount trees, with its layer."""
        for layer in self.layers:
            for neuron in layer.neurons:
                for tree in (neuron.pos, neuron.neg):
                    for node in tree.nodes:
                        if node.counter:
                            yield layer, node

    @property
    def counters(self) -> tuple[tuple[str, int], ...]:
        """The (kind, inputs) of every counter module the popcount trees use, sorted."""
        return tuple(sorted({(node.kind, len(node.operands)) for _, node in self.counter_nodes()}))


@dataclass(frozen=True)
class EventInput:
    """The top's address-event input: ``ev_addr = {c, y, x}`` (``fields``: their bits,
    high to low) of an input of ``shape`` ``(C, H, W)``; beats set bits of the step being
    collected, a beat with ``ev_end`` closes it."""

    shape: tuple[int, int, int]
    fields: tuple[int, int, int]

    @property
    def width(self) -> int:
        """Bits of ``ev_addr`` (at least 1)."""
        return max(1, sum(self.fields))

    @property
    def index_bits(self) -> int:
        """Bits of an input index ``(c * H + y) * W + x`` (at least 1)."""
        return max(1, (int(np.prod(self.shape)) - 1).bit_length())


def popcount_tree(
    leaves: list[Leaf], levels: int, registered: tuple[int, ...], prefix: str
) -> Tree:
    """Pairwise adder tree over one-bit leaves; the levels in ``registered`` are registers.

    A level with an odd item out passes it on unchanged, unless the level is
    registered (then it is re-timed by a one-operand register node); nodes are
    named ``<prefix>_<level>_<position>``.
    """
    if not leaves:
        return Tree((), (), None)
    items = [(Operand(1, leaf=n), 1) for n in range(len(leaves))]  # (operand, largest value)
    nodes: list[Node] = []
    for level in range(1, levels + 1):
        is_reg = level in registered
        out = []
        for pos in range(0, len(items), 2):
            pair = items[pos : pos + 2]
            if len(pair) == 1 and not is_reg:
                out.append(pair[0])
                continue
            top = sum(t for _, t in pair)
            name = f"{prefix}_{level}_{pos // 2}"
            nodes.append(Node(name, top.bit_length(), tuple(o for o, _ in pair), is_reg))
            out.append((Operand(top.bit_length(), node=name), top))
        items = out
    ((result, _),) = items
    return Tree(tuple(leaves), tuple(nodes), result)


def compressor_tree(
    leaves: list[Leaf],
    levels: int,
    registered: tuple[int, ...],
    prefix: str,
    *,
    popcount: str,
    gated: bool,
) -> Tree:
    """Compressor tree over one-bit leaves (:mod:`compress.hardware.counters`).

    Levels ``1 .. levels - 1`` cut every column (bits of one weight) into counters
    (:func:`~compress.hardware.counters.column_groups`); level ``levels`` adds the at
    most two rows left.  A registered level registers its counters' outputs and, per
    column, the bits that pass it (``<prefix>_<level>_r<column>``); counters are
    ``<prefix>_<level>_<n>``, the final adder ``<prefix>_<levels>_0``.  ``gated``: the
    first level counts the synapses with their gates folded in (``count_and``).
    """
    if not leaves:
        return Tree((), (), None)
    first, later = counter_sizes(popcount, gated)
    n = len(leaves)
    cols: dict[int, list[Operand]] = {0: [Operand(1, leaf=i) for i in range(n)]}
    nodes: list[Node] = []
    for level in range(1, levels):
        is_reg = level in registered
        out: dict[int, list[Operand]] = {}
        count = 0
        for c in sorted(cols):
            bits, at = cols[c], 0
            size, fold = (first, gated) if level == 1 else (later, False)
            for m in column_groups(len(bits), size, first=fold):
                name = f"{prefix}_{level}_{count}"
                count += 1
                width = m.bit_length()
                kind = "count_and" if fold else "count"
                nodes.append(Node(name, width, tuple(bits[at : at + m]), is_reg, kind))
                at += m
                for b in range(width):
                    out.setdefault(c + b, []).append(Operand(1, node=name, bit=b))
            rest = bits[at:]
            if rest and is_reg:
                name = f"{prefix}_{level}_r{c}"
                nodes.append(Node(name, len(rest), (Operand(len(rest), bits=tuple(rest)),), True))
                rest = [Operand(1, node=name, bit=b) for b in range(len(rest))]
            out.setdefault(c, []).extend(rest)
        cols = {c: v for c, v in out.items() if v}
    width = n.bit_length()
    height = max(len(v) for v in cols.values())
    if height > 2:
        raise ValueError(
            f"a compressor tree of {levels} levels over {n} bits must leave at most two bits "
            f"a column for its adder, not {height}"
        )
    rows = tuple(
        Operand(
            width,
            bits=tuple(
                cols[c][r] if r < len(cols.get(c, ())) else Operand(1) for c in range(width)
            ),
        )
        for r in range(height)
    )
    if len(rows) == 1 and n == 1:
        rows = (rows[0].bits[0],)
    if len(rows) == 1 and levels not in registered:
        return Tree(tuple(leaves), tuple(nodes), rows[0])
    name = f"{prefix}_{levels}_0"
    nodes.append(Node(name, width, rows, levels in registered))
    return Tree(tuple(leaves), tuple(nodes), Operand(width, node=name))


def counter_module(top: str, kind: str, inputs: int) -> str:
    """The module of a ``kind`` counter of ``inputs`` bits: ``<top>_count<inputs>``, with
    ``_gated`` for ``count_and`` (each input ``x & g``)."""
    return f"{top}_count{inputs}{'_gated' if kind == 'count_and' else ''}"


def counter_table(inputs: int) -> str:
    """The counts of every ``inputs``-bit pattern, highest pattern first, as binary digits
    (``(inputs).bit_length()`` each): the ROM a counter's LUTs hold.

    Examples
    --------
    >>> counter_table(2)
    '10010100'
    """
    width = inputs.bit_length()
    return "".join(format(bin(p).count("1"), f"0{width}b") for p in reversed(range(1 << inputs)))


def split_comparators(
    k: int, pairs: list[tuple[int, int]], *, initial: dict[int, int], first: dict[int, int]
) -> tuple[tuple[Comparator, ...], tuple[Term, ...]]:
    """Comparators ``r <= m`` for (stream, level) pairs and the terms they share.

    A ``k``-bit comparison with a constant costs a carry chain on LUT4 families.
    Above :data:`SPLIT_ABOVE` bits it is split: with ``r = (h, l)`` and
    ``m = (a, b)``, ``r <= m`` is ``h < a | (h == a & l <= b)``.  The half
    comparisons (each narrow enough for one LUT) are shared by every comparator
    on the stream, so a comparator costs one 3-input gate, which the synthesis
    tools merge with the synapse's AND.  Terms that are constant for a given
    ``a`` or ``b`` are left out.  ``initial`` maps each stream to the value the
    terms are taken of at reset, which gives their ``init`` bits; ``first`` maps it
    to its value at step 0, which gives the comparators' ``init`` bits.
    """
    lo = (k + 1) // 2 if k > SPLIT_ABOVE else k
    hi = k - lo
    b_max = (1 << lo) - 1
    terms: dict[str, Term] = {}

    def term(s: int, high: bool, op: str, const: int) -> str:
        name = f"s{s}_{'h' if high else 'l'}{_OP_TAGS[op]}{const}"
        if name not in terms:
            value = initial[s] >> lo if high else initial[s] & b_max
            msb, lsb = (k - 1, lo) if high else (lo - 1, 0)
            terms[name] = Term(name, s, msb, lsb, op, const, int(_OPS[op](value, const)))
        return name

    comparators = []
    for s, m in pairs:
        a, b = m >> lo, m & b_max
        if hi == 0:
            products = ((),) if m == b_max else ((term(s, False, "<=", m),),)
        elif b == b_max and a == (1 << hi) - 1:  # r <= M: always (a baseline's full code)
            products = ((),)
        elif b == b_max:  # l <= b always holds: r <= m is h <= a
            products = ((term(s, True, "<=", a),),)
        else:
            both = (term(s, True, "==", a), term(s, False, "<=", b))
            products = ((term(s, True, "<", a),), both) if a > 0 else (both,)
        comparators.append(Comparator(f"cmp{s}_{m}", s, m, products, int(first[s] <= m)))
    return tuple(comparators), tuple(terms[name] for name in sorted(terms))


def _delays(layer: LayerPlan) -> tuple[tuple[DelayLine, ...], DelayRing | None, dict]:
    """The layer's delay buffers and where each (line, delay >= 1) a synapse uses is read."""
    used = sorted(
        {
            (int(j), int(layer.delays[i, j]))
            for i, j in zip(*np.nonzero((layer.classes != 0) & (layer.delays > 0)), strict=True)
        }
    )
    if not layer.delay_ram:
        lines = tuple(
            DelayLine(f"dl{j}", j, depth) for j, depth in enumerate(layer.line_depths) if depth
        )
        return lines, None, {(j, d): Tap(f"dl{j}", d - 1) for j, d in used}
    delayed = tuple(j for j, depth in enumerate(layer.line_depths) if depth)
    pos = {j: n for n, j in enumerate(delayed)}
    ring = DelayRing(delayed, max(layer.line_depths), tuple(sorted({d for _, d in used})))
    return (), ring, {(j, d): Tap(f"dr{d}", pos[j]) for j, d in used}


def stream_wires(layer: LayerPlan) -> tuple[StreamWire, ...]:
    """Every stream of the layer as a wire: its register and bit permutation."""
    width = layer.lfsr_width
    return tuple(
        StreamWire(s, f"stream{s}", d.register, tuple(d.perm[b] for b in range(width)))
        for s, d in enumerate(layer.stream_defs)
    )


def neuron_structure(layer: LayerPlan, i: int, classes: np.ndarray, leaf_of) -> Neuron:
    """Neuron ``i`` with popcount trees over the synapses of ``classes`` (``leaf_of(j)``)."""
    polarity: dict[int, list[Leaf]] = {1: [], -1: []}
    for j in np.flatnonzero(classes):
        polarity[int(layer.signs[i, j])].append(leaf_of(int(j)))
    regs = layer.registered_levels
    if layer.popcount == "adder":

        def tree(leaves: list[Leaf], prefix: str) -> Tree:
            return popcount_tree(leaves, layer.tree_levels, regs, prefix)
    else:
        gated = layer.style.gated_leaves

        def tree(leaves: list[Leaf], prefix: str) -> Tree:
            return compressor_tree(
                leaves, layer.tree_levels, regs, prefix, popcount=layer.popcount, gated=gated
            )

    return Neuron(
        index=i,
        theta=layer.thresholds[i],
        reset_sub=layer.reset == "subtract",
        model=layer.neuron,
        drive=layer.neuron.drives[i] if layer.neuron.drives else 0,
        v_reset=layer.neuron.v_resets[i] if layer.neuron.v_resets else 0,
        count_width=layer.count_width,
        v_width=layer.v_width,
        pos=tree(polarity[1], f"p{i}"),
        neg=tree(polarity[-1], f"n{i}"),
    )


def layer_fields(top: str, layer: LayerPlan) -> dict:
    """The fields every style's layer structure has (``_Layer``'s), as keywords."""
    lines, ring, taps = _delays(layer)
    k = layer.lfsr_width
    return {
        "index": layer.index,
        "style": layer.style.name,
        "module": f"{top}_layer{layer.index}",
        "n_inputs": layer.n_inputs,
        "n_lines": layer.n_in,
        "bias_line": layer.n_in - 1 if layer.bias else None,
        "recurrent": layer.recurrent,
        "n_out": layer.n_out,
        "k": layer.k,
        "random_bits": k,
        "code_scale": layer.code_scale,
        "count_width": layer.count_width,
        "pipeline": layer.pipeline,
        "latency": layer.latency,
        "tree_stages": layer.tree_stages,
        "synapses": layer.class_counts(),
        "lfsrs": tuple(
            Lfsr(f"lfsr{r}", k, seed, tuple(TAPS[k])) for r, seed in enumerate(layer.seeds)
        ),
        "lines": lines,
        "ring": ring,
        "taps": taps,
        "stream_rule": layer.stream_rule,
        "stream_block": layer.stream_block,
        "popcount": layer.popcount,
    }


@lru_cache(maxsize=16)  # the build renders a layer, then estimates and reports it
def chunk_registers(chunk: int, block: int) -> int:
    """LFSR registers an event layer's chunk of ``chunk`` taps can read under the ``tap``
    rule, chosen while the chunk loads: tap ``e = {base, low_i}`` (``C = max(1,
    bits_for(chunk))`` low bits) reads register ``e >> block``, so ``2**(C - block)``
    of them (one when ``C <= block``).

    Examples
    --------
    >>> chunk_registers(16, 3), chunk_registers(16, 4), chunk_registers(4, 3)
    (2, 1, 1)
    """
    return 1 << max(0, max(1, bits_for(chunk)) - block)


def chunk_register_table(
    chunk: int, chunks: int, block: int, registers: int
) -> tuple[tuple[int | None, ...], ...]:
    """For each of the :func:`chunk_registers` candidates ``v``, the register it holds
    while chunk ``c`` is walked: ``{c, v, B'd0} >> B`` (``B = block``), None past the
    last register.  Both emitters build their candidate registers from it.

    Examples
    --------
    >>> chunk_register_table(16, 2, 3, 3)
    ((0, 2), (1, None))
    """
    low_bits = max(1, bits_for(chunk))
    table = []
    for v in range(chunk_registers(chunk, block)):
        regs = [((c << low_bits) | (v << block)) >> block for c in range(chunks)]
        table.append(tuple(r if r < registers else None for r in regs))
    return tuple(table)


def at_most_one_terms(
    width: int,
) -> tuple[list[list[int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """The terms of "at most one of ``width`` bits is set" as a shallow tree rather than
    the carry chain of ``(x & (x - 1)) == 0``: the bits in fours, the pairs of bits within
    a four, and the pairs of fours (any bit of each); the answer is none of the pairs.
    Both emitters render it (``event.v.j2``'s ``rz``).

    Examples
    --------
    >>> at_most_one_terms(6)
    ([[0, 1, 2, 3], [4, 5]], [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3), (4, 5)], [(0, 1)])
    """
    fours = [list(range(q, min(q + 4, width))) for q in range(0, width, 4)]
    pairs = [(a, b) for g in fours for i, a in enumerate(g) for b in g[i + 1 :]]
    four_pairs = [(i, j) for i in range(len(fours)) for j in range(i + 1, len(fours))]
    return fours, pairs, four_pairs


@dataclass(frozen=True)
class LfsrRing:
    """An event layer's LFSRs as a ring (:func:`lfsr_ring`): ``length`` positions (the
    registers, then zero padding), rotated by ``step`` positions (the chunk's register
    candidates) at a time."""

    length: int
    step: int


def lfsr_ring(layer: EventLayer) -> LfsrRing | None:
    """The ``speed`` pipeline's ring of a ``tap``-rule event layer with several LFSRs
    (None otherwise): rather than choosing the chunk's register candidates from every
    register as the chunk loads (:func:`chunk_register_table`, a wide multiplexer),
    the walk rotates the registers as it loads chunks, so that candidate ``v`` of the
    chunk being walked is always at position ``v``.  It rotates at each load of a chunk
    ``c > 0`` and once at the walk's end, which brings every register back to its
    place before the LFSRs advance: ``chunks`` rotations of ``step`` positions are a
    whole turn of ``length = chunks * step``.  A register that spans chunks (``B``
    above the chunk's ``C`` bits, which chunks of 16 taps and ``B <= 4`` never have) or
    one no chunk reads leaves the choice to the multiplexer.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> layer = S(row_register=True, stream_rule="tap", streams=(0,), lfsrs=(0,) * 98,
    ...           chunk=16, chunks=49, stream_block=3)
    >>> lfsr_ring(layer)
    LfsrRing(length=98, step=2)
    """
    if not (
        layer.row_register
        and layer.stream_rule == "tap"
        and layer.streams
        and len(layer.lfsrs) > 1
        and layer.stream_block <= max(1, bits_for(layer.chunk))
    ):
        return None
    step = chunk_registers(layer.chunk, layer.stream_block)
    if len(layer.lfsrs) > layer.chunks * step:
        return None
    return LfsrRing(length=layer.chunks * step, step=step)


def layer_structure(
    top: str, layer: LayerPlan, weight_port: bool = False
) -> ParallelLayer | FoldedLayer | EventLayer:
    """The circuit of one layer of a plan whose top module is ``top`` (its style's)."""
    return layer.style.structure(top, layer, weight_port)


def encoder_structure(plan: NetworkPlan) -> InputEncoder | None:
    """The top's rate encoder (None without one)."""
    if plan.encoder is None:
        return None
    bits, seeds = plan.encoder.bits, []
    if plan.encoder.kind == "vdc":
        return InputEncoder(bits, (), (), "vdc", plan.encoder.masks)
    for seed, _ in plan.encoder.streams:
        if seed not in seeds:
            seeds.append(seed)
    lfsrs = tuple(
        Lfsr(f"enc_lfsr{r}", bits, seed, tuple(TAPS[bits])) for r, seed in enumerate(seeds)
    )
    streams = tuple(
        StreamWire(j, f"enc_r{j}", seeds.index(seed), tuple(perm))
        for j, (seed, perm) in enumerate(plan.encoder.streams)
    )
    return InputEncoder(bits, lfsrs, streams)


def network_structure(plan: NetworkPlan) -> NetworkStructure:
    """The circuit of ``plan``: every layer's structure and the top's options.

    Parameters
    ----------
    plan : NetworkPlan

    Returns
    -------
    NetworkStructure
    """
    return NetworkStructure(
        top=plan.top,
        n_in=plan.n_in,
        n_out=plan.n_out,
        count_width=plan.count_width,
        latency=plan.latency,
        locked=plan.locked,
        weight_port=plan.weight_port,
        port_widths=weight_port_widths(plan) if plan.weight_port else {},
        layers=tuple(
            _with_membranes(
                layer_structure(plan.top, layer, plan.weight_port and layer.has_memory),
                plan.reads_membranes and layer is plan.layers[-1],
            )
            for layer in plan.layers
        ),
        encoder=encoder_structure(plan),
        events=EventInput(plan.events, plan.event_fields) if plan.events is not None else None,
        readout=Readout(
            plan.window, plan.sum_width, plan.class_width, plan.readout, plan.layers[-1].v_width
        )
        if plan.window
        else None,
    )


def _with_membranes(layer, membranes: bool):
    """``layer`` with its ``out_v`` port (every neuron's membrane) when ``membranes``."""
    return replace(layer, membranes=True) if membranes else layer
