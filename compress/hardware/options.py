"""How a compressed network becomes hardware: the options the planner reads.

:class:`HardwareOptions` checks every option as it is made (a bad value is a
one-line ``ValueError`` naming the option); :func:`check_top` checks the top
module's name.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.fields import option
from ..model.validate import check_int
from .counters import POPCOUNTS
from .encoder import INPUT_STREAMS
from .ir import PIPELINES
from .lfsr import TAPS
from .streams import STREAM_RULES
from .styles import style_for
from .styles.event import EVENT_LANES
from .styles.folded import FOLD_ORDERS

__all__ = [
    "DECORRELATE_BITS",
    "DELAY_RAM_MIN_BITS",
    "INPUT_ENCODERS",
    "READOUTS",
    "HardwareOptions",
    "check_top",
]

#: Delay buffers of at least this many bits (sum of the lines' depths) become a RAM ring.
DELAY_RAM_MIN_BITS = 1024
#: Default of :attr:`HardwareOptions.decorrelate`: layers of at most 4 weight bits (period 7)
#: draw decorrelated random values (digits at 4 bits: 93.3% -> 96.3%; at 5-8 bits it does
#: not help a 255-step evaluation).
DECORRELATE_BITS = 4
#: Input encoders the top can have (``None``: the top takes spikes).
INPUT_ENCODERS = (None, "rate", "events")
#: Class readouts the top can have (``None``: counts and spikes only): the argmax of the
#: last layer's counts summed over the window, of its membranes at the window's last step
#: (for a leaky-integrator output, LI or CubaLI), or of its membranes summed.
READOUTS = (None, "argmax", "membrane", "membrane-sum")


def _lane(value: object, index: int | None) -> int | str | None:
    """One layer's parallelism, checked against the styles (a plain int or str)."""
    style_for(value, index)
    return int(value) if isinstance(value, numbers.Integral) else value


@dataclass(frozen=True)
class HardwareOptions:
    """How a compressed network becomes hardware (what :func:`plan_network` builds).

    Attributes
    ----------
    pipeline : {"area", "speed"}
        ``area`` (default): popcount trees registered every 3 levels, the
        fewest flip-flops.  ``speed``: trees registered every 2 levels, the
        comparators registered ahead of time from the LFSRs' next states, and
        a count stage before the neurons (one more clock per layer); for slow
        LUT4 parts.  In an event layer: the row's address, the row and its tap
        registered, and two-stage neuron updates (three more clocks per step).
        Results are identical; only the latency differs.
    parallelism : int, "full", None, or a sequence of them (one per layer)
        Synapse lanes per neuron: ``None`` or ``"full"`` for a fully parallel
        layer (one step per clock), an integer ``P >= 1`` for a folded one
        (weight words from block RAM, ``slots + FOLD_LATENCY`` clocks per step).
    fold_order : {"compact", "banked", "aligned"}
        How folded layers spread synapses over lanes (:data:`FOLD_ORDERS`).
    weight_port : bool
        Add a write port into the folded layers' weight memories, so weights can
        be reloaded at run time without synthesis (needs a folded layer).
    delay_ram_bits : int
        A layer whose delay buffers hold at least this many bits (and whose
        largest delay is at least 2) gets a RAM ring instead of shift registers.
    constants : bool
        Full-scale codes become wires (default).  ``False`` gives every nonzero
        code a comparator: the uncompressed baseline reports compare against.
    decorrelate : int or bool
        Layers of at most this many weight bits draw their random values from
        LFSRs twice as wide (:attr:`LayerPlan.decorrelated`; ``True`` means 8,
        every layer that can; ``False`` or 0 none; default
        :data:`DECORRELATE_BITS`, 4): the counts change (the golden model
        follows), the rates do not.  On digits 4-bit layers gain 3 points of
        accuracy from it; above 4 bits the longer period is not covered by a
        255-step evaluation and accuracy drops (README).
    input_encoder : {None, "rate", "events"}
        ``"rate"``: the top takes ``in_features`` (``n_in`` unsigned levels of
        ``input_bits`` bits, input 0 in the low bits) and turns each into one
        spike per step in hardware, bit for bit as ``sc-compress evaluate``'s
        :class:`~compress.hardware.encoder.RateEncoder` (``input_bits``,
        ``input_seed``) does.  ``"events"``: the top takes address events, an
        event camera's interface: a valid/ready stream (``ev_valid``, ``ev_ready``)
        of input addresses ``ev_addr = {channel, y, x}`` (the first convolution's
        input shape; a fully connected first layer's input index), each beat one
        spike of the step being collected, and a beat with ``ev_end`` closes the
        step (its address is ignored) and is taken when the network takes a step.
        ``None`` (default): the top takes ``in_spikes``.
    input_bits, input_seed : int
        The rate encoder's level width (2..15) and stream seed.
    input_stream : {"lfsr", "vdc"}
        The rate encoder's random values (:class:`~compress.hardware.encoder.RateEncoder`'s
        ``kind``): LFSR streams, or the low-discrepancy van der Corput sequence.
    readout : {None, "argmax", "membrane", "membrane-sum"}
        ``"argmax"``: the top sums the last layer's counts over ``window`` steps
        and presents ``out_class`` (lowest index on ties), ``class_valid`` and
        ``out_sums``, then restarts the network from reset for the next window,
        so each window is one sample as ``sc-compress evaluate`` runs it.
        ``"membrane"``: the same with the last layer's membranes at the window's
        last step (an LI or CubaLI output read by its membrane); ``"membrane-sum"``:
        its membranes summed over the window.
    window : int
        Steps per readout window (default 64).
    neuron_lanes : int or sequence of int
        Neurons an event-driven layer (``parallelism="event"``) updates per clock
        (default :data:`EVENT_LANES`; at most the layer's neurons): each weight row
        holds that many neurons' synapses from one input tap.
    stream_rule : {"code", "tap"} or sequence of them (one per layer)
        How a stochastic synapse's random stream is chosen
        (:mod:`compress.hardware.streams`): ``"code"`` (default) ranks a neuron's
        synapses of one code and stores the stream number in memory words; ``"tap"``
        gives every input tap its own stream, found from the row the layer reads, so
        memory words hold only sign and code.
    spram : bool or sequence of bool (one per layer)
        Event layers keep their weight rows in SB_SPRAM256KA blocks (iCE40
        UltraPlus: four of 16384 x 16 bits, 1 Mbit) instead of block RAM.  The
        bitstream cannot initialise them, so this needs ``weight_port``: the
        weights are written after configuration (simulation models start from
        the ``.hex`` files).  A layer's rows must fit one bank: at most
        :data:`SPRAM_DEPTH` rows of at most ``4 * SPRAM_WIDTH`` bits.
    popcount : {None, "adder", "lut4", "lut6"}
        How the popcount trees of fully parallel layers (and a folded layer's constant
        synapses) add (:mod:`compress.hardware.counters`): a pairwise adder tree, or a
        compressor tree of counters, one LUT per output bit, cut for 4-input (iCE40,
        ECP5) or 6-input (Xilinx) LUTs, with the synapses' gates folded into the first
        counters; the same counts, fewer LUTs on many layers.  ``None`` (default):
        ``"adder"``, or under ``--fit`` adder trees or the family's
        :attr:`~compress.hardware.families.Family.popcount`, whichever the estimate
        finds smaller.
    neuron_ram : bool or sequence of bool (one per layer)
        Event layers keep their neurons' counts, membranes and currents in block
        RAM, one row per neuron group (``neuron_lanes`` wide), instead of rotating
        flip-flop banks: the same clocks and counts for a fraction of the
        flip-flops (a part short of logic cells, the iCE40's).  Needs at least two
        neuron groups (``neuron_lanes`` below the layer's neurons).
    """

    pipeline: str = option(
        "area",
        "area: fewest flip-flops; speed: registered comparators and counts, adder trees "
        "registered every 2 levels (one more clock per layer), for slow LUT4 parts like the UP5K; "
        "event layers register the row's address and data and update neurons in two stages "
        "(three more clocks per step).",
        choices=tuple(PIPELINES),
    )
    parallelism: int | str | Sequence[int | str | None] | None = option(
        None,
        "Synapse lanes per neuron for every layer: 'full' (fully parallel, one step per "
        "clock), P >= 1 (folded: weight words in block RAM, ceil(synapses / P) clocks per step) "
        "or 'event' (event-driven: neurons time-multiplexed --neuron-lanes at a time, weight "
        "rows per input line, only spiking inputs cost clocks).",
        str,
        none="full",
        layer=(
            "L=P",
            "Override --parallelism for layer L (repeatable), e.g. --layer-parallelism 1=full.",
        ),
    )
    fold_order: str = option(
        "compact",
        "Folded layers: compact (fewest clocks, any lane reads any input) or banked (lane p "
        "reads inputs j % P == p: much smaller input multiplexers) or aligned (every neuron's "
        "lane reads the same line: one multiplexer per lane; dropped synapses cost clocks).",
        choices=FOLD_ORDERS,
    )
    stream_rule: str | Sequence[str] = option(
        "code",
        "How a synapse's random stream is chosen: code (the n-th synapse of a neuron with a "
        "code reads stream n; memory words store the stream number) or tap (one stream per "
        "input tap, found from the row read: memory words hold only sign and code, and no two "
        "synapses of a neuron share a stream).",
        choices=STREAM_RULES,
    )
    popcount: str | None = option(
        None,
        "How popcount trees add: adder (a pairwise adder tree) or a compressor tree of "
        "counters, one LUT per output bit, for 4-input (lut4: iCE40, ECP5) or 6-input "
        "(lut6: Xilinx) LUTs, the synapses' gates folded into the first counters; auto: "
        "adder, or with --fit adder or the family's compressor trees, whichever the "
        "estimate finds smaller.",
        choices=POPCOUNTS,
        none="auto",
    )
    weight_port: bool = option(
        False,
        "Add w_en/w_layer/w_addr/w_data to write the folded layers' weight memories at run "
        "time (no re-synthesis).",
    )
    delay_ram_bits: int = option(
        DELAY_RAM_MIN_BITS,
        "Delay buffers holding at least this many bits become a RAM ring buffer instead of "
        "shift registers.",
        low=1,
    )
    constants: bool = True
    decorrelate: int = option(
        DECORRELATE_BITS,
        "Layers of at most BITS weight bits draw random values from LFSRs twice as wide "
        "(compared with the code scaled by 2**k+1): same rates, no aliasing with periodic spike "
        "trains; 4 helps 4-bit layers.",
        low=0,
        high=16,
        metavar="BITS",
    )
    input_encoder: str | None = option(
        None,
        "rate: the top takes in_features (levels of --input-bits bits per input) and "
        "rate-encodes them in hardware, bit for bit as evaluate's encoder does; events: the "
        "top takes address events (ev_valid/ev_ready/ev_addr = {channel, y, x}, ev_end closes "
        "a step), an event camera's interface.",
        choices=INPUT_ENCODERS[1:],
        none="none",
    )
    input_bits: int = option(8, "Level width of the hardware rate encoder.", low=2, high=max(TAPS))
    input_stream: str = option(
        "lfsr",
        "Random values of the rate encoder: lfsr (maximal-length LFSR streams) or vdc (a "
        "bit-reversed step counter XOR a per-input mask: low discrepancy, even short windows "
        "spike at the level's rate).",
        choices=INPUT_STREAMS,
    )
    input_seed: int = option(
        0, "Stream seed of the hardware rate encoder (evaluate's --seed).", low=0
    )
    readout: str | None = option(
        None,
        "argmax: the top sums the last layer's counts over --window steps and gives "
        "out_class/class_valid/out_sums, then restarts the network for the next window; "
        "membrane: the argmax of the last layer's membranes at the window's end (an LI or "
        "CubaLI output); membrane-sum: of its membranes summed over the window.",
        choices=READOUTS[1:],
        none="none",
    )
    window: int = option(64, "Steps per readout window (one sample).", low=1, high=1 << 20)
    neuron_lanes: int | Sequence[int] = option(
        EVENT_LANES,
        "Event-driven layers: neurons updated per clock (each weight row holds that many "
        "neurons' synapses from one input).",
        low=1,
    )
    spram: bool | Sequence[bool] = option(
        False,
        "Event layers' weight rows in the iCE40 UltraPlus's SB_SPRAM256KA blocks (needs "
        "--weight-port: the bitstream cannot initialise SPRAM, the weights are written after "
        "configuration).",
    )
    neuron_ram: bool | Sequence[bool] = option(
        False,
        "Event layers' counts, membranes and currents in block RAM, one row per neuron "
        "group, instead of flip-flops (needs neuron_lanes below the layer's neurons).",
    )

    def layer_value(self, name: str, index: int) -> Any:
        """Option ``name`` of layer ``index`` (a per-layer option given once: the same
        for every layer)."""
        value = getattr(self, name)
        return value[index] if isinstance(value, tuple) else value

    def __post_init__(self) -> None:
        for name in ("spram", "neuron_ram"):
            values = getattr(self, name)
            if isinstance(values, (list, tuple)):
                for i, v in enumerate(values):
                    if not isinstance(v, (bool, np.bool_)):
                        raise ValueError(f"layer {i}: {name} must be True or False, not {v!r}")
                object.__setattr__(self, name, tuple(bool(v) for v in values))
        lanes = self.neuron_lanes
        if isinstance(lanes, (list, tuple)):
            object.__setattr__(
                self,
                "neuron_lanes",
                tuple(check_int(v, "neuron_lanes", low=1, layer=i) for i, v in enumerate(lanes)),
            )
        else:
            object.__setattr__(self, "neuron_lanes", check_int(lanes, "neuron_lanes", low=1))
        if self.readout not in READOUTS:
            names = ", ".join(repr(r) for r in READOUTS[1:])
            raise ValueError(f"readout must be one of {names} or None, not {self.readout!r}")
        object.__setattr__(self, "window", check_int(self.window, "window", low=1, high=1 << 20))
        if self.input_encoder not in INPUT_ENCODERS:
            names = ", ".join(repr(e) for e in INPUT_ENCODERS[1:])
            raise ValueError(
                f"input_encoder must be one of {names} or None, not {self.input_encoder!r}"
            )
        object.__setattr__(
            self, "input_bits", check_int(self.input_bits, "input_bits", low=2, high=max(TAPS))
        )
        object.__setattr__(self, "input_seed", check_int(self.input_seed, "input_seed", low=0))
        if self.input_stream not in INPUT_STREAMS:
            raise ValueError(
                f"input_stream must be one of {', '.join(INPUT_STREAMS)}, not {self.input_stream!r}"
            )
        limit = self.decorrelate
        if isinstance(limit, (bool, np.bool_)):
            limit = 8 if limit else 0
        if not isinstance(limit, numbers.Integral) or not 0 <= limit <= 16:
            raise ValueError(f"decorrelate must be weight bits in 0..16 or a bool, not {limit!r}")
        object.__setattr__(self, "decorrelate", int(limit))
        per_layer = ("spram", "neuron_ram")  # a tuple was checked above
        flags = (
            "weight_port",
            "constants",
            *(n for n in per_layer if not isinstance(getattr(self, n), tuple)),
        )
        for name in flags:
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, not {value!r}")
            object.__setattr__(self, name, bool(value))
        if self.pipeline not in PIPELINES:
            raise ValueError(
                f"pipeline must be one of {', '.join(PIPELINES)}, not {self.pipeline!r}"
            )
        rules = self.stream_rule
        for i, rule in enumerate(rules if isinstance(rules, (list, tuple)) else [rules]):
            if rule not in STREAM_RULES:
                where = f"layer {i}: " if isinstance(rules, (list, tuple)) else ""
                raise ValueError(
                    f"{where}stream_rule must be one of {', '.join(STREAM_RULES)}, not {rule!r}"
                )
        if isinstance(rules, (list, tuple)):
            object.__setattr__(self, "stream_rule", tuple(str(r) for r in rules))
        if self.popcount is not None and self.popcount not in POPCOUNTS:
            raise ValueError(
                f"popcount must be one of {', '.join(POPCOUNTS)} or None, not {self.popcount!r}"
            )
        if self.fold_order not in FOLD_ORDERS:
            raise ValueError(
                f"fold_order must be one of {', '.join(FOLD_ORDERS)}, not {self.fold_order!r}"
            )
        bits = self.delay_ram_bits
        if isinstance(bits, bool) or not isinstance(bits, numbers.Integral) or bits < 1:
            raise ValueError(f"delay_ram_bits must be a positive integer, not {bits!r}")
        object.__setattr__(self, "delay_ram_bits", int(bits))
        # Plain ints and strings (numpy scalars accepted), a tuple for a list: hashable and
        # JSON-ready like every other field.
        lanes = self.parallelism
        if isinstance(lanes, (list, tuple)):
            object.__setattr__(self, "parallelism", tuple(_lane(v, i) for i, v in enumerate(lanes)))
        else:
            object.__setattr__(self, "parallelism", _lane(lanes, None))


#: Longest top-module name: file names (``<top>_layer<l>.v``) must stay under 255 bytes.
MAX_TOP_LENGTH = 128

#: Reserved words of Verilog-2005 and SystemVerilog-2017 (IEEE 1364-2005 annex B,
#: IEEE 1800-2017 annex B): a module may not be called any of them.
VERILOG_KEYWORDS = frozenset(
    """
    accept_on alias always always_comb always_ff always_latch and assert assign assume
    automatic before begin bind bins binsof bit break buf bufif0 bufif1 byte case casex casez
    cell chandle checker class clocking cmos config const constraint context continue cover
    covergroup coverpoint cross deassign default defparam design disable dist do edge else end
    endcase endchecker endclass endclocking endconfig endfunction endgenerate endgroup
    endinterface endmodule endpackage endprimitive endprogram endproperty endsequence
    endspecify endtable endtask enum event eventually expect export extends extern final
    first_match for force foreach forever fork forkjoin function generate genvar global
    highz0 highz1 if iff ifnone ignore_bins illegal_bins implements implies import incdir
    include initial inout input inside instance int integer interconnect interface
    intersect join join_any join_none large let liblist library local localparam logic
    longint macromodule matches medium modport module nand negedge nettype new nexttime nmos
    nor noshowcancelled not notif0 notif1 null or output package packed parameter pmos
    posedge primitive priority program property protected pull0 pull1 pulldown pullup
    pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase randsequence rcmos real
    realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran rtranif0
    rtranif1 s_always s_eventually s_nexttime s_until s_until_with scalared sequence
    shortint shortreal showcancelled signed small soft solve specify specparam static string
    strong strong0 strong1 struct super supply0 supply1 sync_accept_on sync_reject_on table
    tagged task this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0
    tri1 triand trior trireg type typedef union unique unique0 unsigned until until_with
    untyped use uwire var vectored virtual void wait wait_order wand weak weak0 weak1 while
    wildcard wire with within wor xnor xor
    """.split()
)


def check_top(top: object) -> str:
    """Return ``top`` if it can name the top module (and its files); else ``ValueError``."""
    if not isinstance(top, str) or not top.isidentifier() or not top.isascii():
        raise ValueError(f"top must be a Verilog identifier, not {top!r}")
    if top in VERILOG_KEYWORDS:
        raise ValueError(f"top must not be a Verilog or SystemVerilog keyword, not {top!r}")
    if len(top) > MAX_TOP_LENGTH:
        raise ValueError(f"top must be at most {MAX_TOP_LENGTH} characters, not {len(top)}")
    return top
