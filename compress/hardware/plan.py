"""The hardware plan: a pure pass from a compressed network to what the RTL builds.

Every synapse falls in one class (SPEC section 4): *dropped* (code 0),
*constant* (code ``M``: a wire into the popcount) or *stochastic*
(``0 < m < M``: ``[r(t) <= m] & x``).  The plan assigns each stochastic
synapse a random stream (:mod:`compress.hardware.lfsr`) so that no two stochastic
synapses of one neuron with the same code share a stream, and no two layers
share a stream; it sizes the delay buffers, the count and membrane registers,
converts thresholds to count units and fixes the pipeline latency.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..model.passes import CompressionResult
from ..model.quantization import max_code
from ..model.validate import check_int, options_of
from .encoder import RateEncoder
from .lfsr import TAPS, permutations, stream_table
from .neuron import INTEGER_NEURON, NeuronPlan, decay_of, frac_bits_for

__all__ = [
    "CONSTANT",
    "DELAY_RAM_MIN_BITS",
    "DROPPED",
    "EVENT_CHUNK",
    "EVENT_FIXED",
    "EVENT_LANES",
    "FOLD_ORDERS",
    "PIPELINES",
    "SPRAM_DEPTH",
    "SPRAM_WIDTH",
    "STOCHASTIC",
    "HardwareOptions",
    "LayerPlan",
    "NetworkPlan",
    "Stream",
    "check_top",
    "fold_slots",
    "plan_network",
    "registered_levels",
]

DROPPED, CONSTANT, STOCHASTIC = 0, 1, 2
#: Membrane registers are at most this wide.
MAX_VW = 32
#: Delay buffers of at least this many bits (sum of the lines' depths) become a RAM ring.
DELAY_RAM_MIN_BITS = 1024
#: Clocks a folded layer adds to its slots: latch, memory read, lane bits, partial
#: sums, accumulate, neuron (see ``hdl_templates/folded.v.j2``).
FOLD_LATENCY = 5
#: Event layers: clocks a step costs besides its chunks, events and neuron groups
#: (latch, done, then the neuron updates start a clock later and out_valid a clock
#: after them; see ``hdl_templates/event.v.j2``).
EVENT_FIXED = 3
#: Event layers look for spiking input taps this many at a time (one clock per chunk).
EVENT_CHUNK = 16
#: Default of :attr:`HardwareOptions.neuron_lanes`: neurons an event layer updates per clock.
EVENT_LANES = 8
#: One SB_SPRAM256KA (iCE40 UltraPlus): 16384 words of 16 bits.
SPRAM_DEPTH, SPRAM_WIDTH = 16384, 16
#: Default of :attr:`HardwareOptions.decorrelate`: layers of at most 4 weight bits (period 7)
#: draw decorrelated random values (digits at 4 bits: 93.3% -> 96.3%; at 5-8 bits it does
#: not help a 255-step evaluation).
DECORRELATE_BITS = 4
#: Input encoders the top can have (``None``: the top takes spikes).
INPUT_ENCODERS = (None, "rate")
#: Class readouts the top can have (``None``: counts and spikes only): the argmax of the
#: last layer's counts summed over the window, of its membranes at the window's last step
#: (for a leaky-integrator output, LI or CubaLI), or of its membranes summed.
READOUTS = (None, "argmax", "membrane", "membrane-sum")
#: Pipelining presets: how often the popcount trees are registered, by name.
#: ``area`` spends the fewest flip-flops; ``speed`` also registers the
#: comparators and the count (for slow LUT4 parts such as the iCE40 UP5K).
PIPELINES = {"area": 3, "speed": 2}


@dataclass(frozen=True)
class Stream:
    """A random stream: LFSR register ``register`` seen through ``perm``."""

    register: int
    perm: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class LayerPlan:
    """Everything the RTL and the golden model need for one layer.

    Attributes
    ----------
    index, n_in, n_out : int
        ``n_in`` counts the layer's input *lines*: its inputs, plus the
        always-on bias line (the last one) when ``bias``.
    bits : int
        Weight bits; ``k = bits - 1`` magnitude bits, ``max_code = 2**k - 1``.
    signs, codes : ndarray (n_out, n_in)
        Sign (-1, 0, +1) and magnitude code of every synapse.
    delays : ndarray of int64 (n_out, n_in)
        Delay of every synapse in steps (0 where dropped).
    streams : ndarray of int32 (n_out, n_in)
        Index into ``stream_defs`` for stochastic synapses, -1 elsewhere.
    seeds : tuple of int
        Seed (state at step 0) of each LFSR register of this layer.
    stream_defs : tuple of Stream
    line_depths : tuple of int
        Delay-buffer depth of each input line (largest delay on the line).
    count_width : int
        Signed width of the count ``c_i(t)``.
    v_width : int
        Signed width of the membrane; sums saturate to its range.
    thresholds : tuple of int
        Thresholds in count units.
    threshold_unit : float
        Weight value of one count unit (the layer's full scale).
    reset : str
    neuron : NeuronPlan
        The fixed-point neuron arithmetic (:mod:`compress.hardware.neuron`):
        ``F``, the leaks' digits, drives, reset values, current; the thresholds
        and ``v_width`` are in units of ``2**-F`` counts.
    recurrent : int
        Lines ``n_in - bias - recurrent .. n_in - bias - 1`` carry the layer's own
        spikes of the previous step (a recurrent edge); 0 without one.
    tree_levels : int
        Adder-tree levels of the widest popcount.
    tree_stages : int
        Registered tree stages (``len(registered_levels)``) of the popcount of
        all synapses (fully parallel) or of the constant synapses (folded).
    latency : int
        Clocks from a step entering the layer to its spikes leaving it:
        the tree stages plus the neuron stage (count, membrane and spike
        registers, fed by the last tree levels and ``P - N``), plus a count
        stage with the ``speed`` pipeline.
    pipeline : str
        A key of :data:`PIPELINES`.
    parallelism : int or None
        ``None``: fully parallel.  Otherwise the layer is folded: each neuron
        has ``parallelism`` lanes, which step through its stochastic synapses.
    slots : int
        Folded: clocks per step in which the lanes read weight words,
        ``ceil(max stochastic synapses of a neuron / P)`` (at least 1); 0 when
        fully parallel.  The LFSRs still advance once per step and every
        synapse keeps its stream, so folding never changes a count.
    schedule : ndarray of int32 (n_out, slots, parallelism) or None
        Folded: the input line of the synapse that neuron ``i``'s lane ``p``
        handles in slot ``s``, or -1 for an empty slot (see :data:`FOLD_ORDERS`).
    fold_order : str
        One of :data:`FOLD_ORDERS`.
    constants : bool
        Full-scale codes are constant synapses (wires); ``False`` gives them
        comparators too (``r <= M`` is always 1): the uncompressed baseline.
    delay_ram : bool
        The delay buffers are one RAM ring (depth: the largest delay; one
        registered read per delay value in use) instead of a shift register
        per line; chosen when they hold at least ``delay_ram_bits`` bits.
    bias : bool
        Line ``n_in - 1`` is the bias line: 1 at every step, never delayed.
    event_lanes : int or None
        Event-driven layer (``parallelism="event"``): its neurons are updated
        ``event_lanes`` at a time (:attr:`event_groups` groups); per step it walks
        only the input taps (line, delay) whose spike is 1 and reads their weight
        rows, so its clocks per step follow the input activity
        (:meth:`event_clocks`).  Every synapse keeps its random stream: the
        counts equal the fully parallel layer's.
    spram : bool
        The event layer's weight memory is SB_SPRAM256KA blocks (iCE40
        UltraPlus), which the bitstream cannot initialise: the weights are
        written through the weight port after configuration.
    decorrelated : bool
        The random values come from ``2k``-bit LFSRs (period ``P = 2**2k - 1``)
        instead of ``k``-bit ones, compared with the code scaled by ``2**k + 1``
        (``{m, m}``): ``P = M (2**k + 1)``, so over any ``P`` steps a stochastic
        synapse with constant input contributes exactly ``m (2**k + 1)`` ones,
        the rate ``m / M`` again; short weight streams no longer alias with
        nearly periodic spike trains.  Only for ``k <= 7`` (LFSRs up to 15 bits).
    """

    index: int
    n_in: int
    n_out: int
    bits: int
    signs: np.ndarray
    codes: np.ndarray
    delays: np.ndarray
    streams: np.ndarray
    seeds: tuple[int, ...]
    stream_defs: tuple[Stream, ...]
    line_depths: tuple[int, ...]
    count_width: int
    v_width: int
    thresholds: tuple[int, ...]
    threshold_unit: float
    reset: str
    tree_levels: int
    tree_stages: int
    latency: int
    pipeline: str = "area"
    parallelism: int | None = None
    slots: int = 0
    schedule: np.ndarray | None = None
    fold_order: str = "compact"
    delay_ram: bool = False
    constants: bool = True
    bias: bool = False
    decorrelated: bool = False
    event_lanes: int | None = None
    spram: bool = False
    neuron: NeuronPlan = INTEGER_NEURON
    recurrent: int = 0

    @property
    def lfsr_width(self) -> int:
        """Bits of the layer's LFSRs and random values: ``2k`` when decorrelated, else ``k``."""
        return 2 * self.k if self.decorrelated else self.k

    @property
    def period(self) -> int:
        """Period of the random values, ``2**lfsr_width - 1`` (``M`` unless decorrelated)."""
        return (1 << self.lfsr_width) - 1

    @property
    def code_scale(self) -> int:
        """What a code is multiplied by before it is compared: ``2**k + 1`` or 1."""
        return (1 << self.k) + 1 if self.decorrelated else 1

    @property
    def levels(self) -> np.ndarray:
        """The value each synapse's random value is compared with: ``codes * code_scale``."""
        return self.codes.astype(np.int64) * self.code_scale

    @property
    def n_inputs(self) -> int:
        """Width of the layer's ``in_spikes``: its input lines less the recurrent and
        bias lines."""
        return self.n_in - int(self.bias) - self.recurrent

    @property
    def folded(self) -> bool:
        """Whether the layer is folded (``parallelism`` lanes per neuron, ``slots`` clocks)."""
        return self.parallelism is not None

    @property
    def event(self) -> bool:
        """Whether the layer is event-driven (neuron lanes, rows per spiking input tap)."""
        return self.event_lanes is not None

    @property
    def style(self) -> str:
        """``"full"``, ``"folded"`` or ``"event"``."""
        return "event" if self.event else "folded" if self.folded else "full"

    @property
    def has_memory(self) -> bool:
        """Whether the RTL reads weight codes from a memory (folded and event layers)."""
        return self.folded or self.event

    @property
    def parallelism_label(self) -> int | str:
        """What ``design.json`` and ``report.json`` call the layer's parallelism:
        ``"full"``, ``"event"`` or the folded lane count ``P``."""
        return "event" if self.event else "full" if self.parallelism is None else self.parallelism

    @property
    def stream_bits(self) -> int:
        """Bits of a weight word's stream number (folded and event rows)."""
        return (len(self.stream_defs) - 1).bit_length()

    @property
    def event_word_width(self) -> int:
        """Bits of an event row's word: ``{stream, sign, code}``."""
        return self.stream_bits + 1 + self.k

    @property
    def event_groups(self) -> int:
        """Event layer: neuron groups, ``ceil(n_out / event_lanes)`` (0 otherwise)."""
        return -(-self.n_out // self.event_lanes) if self.event_lanes else 0

    @property
    def event_taps(self) -> tuple[tuple[int, int], ...]:
        """Event layer: the (line, delay) pairs some kept synapse reads, ascending;
        tap ``e``'s weight rows are ``e * event_groups + g``."""
        kept = self.codes > 0
        pairs = {(int(j), int(self.delays[i, j])) for i, j in zip(*np.nonzero(kept), strict=True)}
        return tuple(sorted(pairs))

    @property
    def event_chunks(self) -> int:
        """Event layer: chunks of :data:`EVENT_CHUNK` taps scanned per step (at least 1)."""
        return max(1, -(-len(self.event_taps) // EVENT_CHUNK))

    def event_clocks(self, active: np.ndarray | int) -> np.ndarray | int:
        """Clocks of an event layer's step with ``active`` spiking taps:
        ``EVENT_FIXED + chunks + groups * (active + 1)`` (one clock per chunk scanned,
        ``groups`` rows per spiking tap, ``groups`` neuron updates)."""
        return EVENT_FIXED + self.event_chunks + self.event_groups * (active + 1)

    def active_taps(self, inputs: np.ndarray) -> np.ndarray:
        """Event layer: spiking taps per step for input spikes ``(..., steps, n_inputs)``
        (the bias tap is always active; history before step 0 is 0)."""
        x = np.asarray(inputs, dtype=bool)
        steps = x.shape[-2]
        out = np.zeros(x.shape[:-1], dtype=np.int64)
        for j, d in self.event_taps:
            if self.bias and j == self.n_in - 1:
                out += 1
                continue
            if d >= steps:
                continue
            out[..., d:] += x[..., : steps - d, j]
        return out

    @property
    def delay_values(self) -> tuple[int, ...]:
        """The distinct delays of the stochastic synapses, ascending (0 always first)."""
        stochastic = self.classes == STOCHASTIC
        return tuple(sorted({0, *self.delays[stochastic].tolist()}))

    @property
    def register_every(self) -> int:
        """The popcount tree is registered after every this many levels."""
        return PIPELINES[self.pipeline]

    @property
    def registered_levels(self) -> tuple[int, ...]:
        """The popcount-tree levels that are registered (see :func:`registered_levels`)."""
        return registered_levels(self.tree_levels, self.pipeline)

    @property
    def k(self) -> int:
        """Magnitude bits, the LFSR width."""
        return self.bits - 1

    @property
    def max_code(self) -> int:
        """``M``: full-scale code and LFSR period (:func:`compress.model.quantization.max_code`)."""
        return max_code(self.bits)

    @property
    def classes(self) -> np.ndarray:
        """Class of every synapse: DROPPED, CONSTANT or STOCHASTIC."""
        out = np.full(self.codes.shape, STOCHASTIC, dtype=np.int8)
        out[self.codes == 0] = DROPPED
        if self.constants:
            out[self.codes == self.max_code] = CONSTANT
        return out

    def stream_tables(self) -> np.ndarray:
        """Values of every stream over one period, shape ``(n_streams, period)``."""
        if not self.stream_defs:
            return np.zeros((0, self.period), dtype=np.int32)
        width = self.lfsr_width
        return np.stack(
            [stream_table(width, self.seeds[s.register], s.perm) for s in self.stream_defs]
        )

    def class_counts(self) -> dict[str, int]:
        """Synapses per class."""
        classes = self.classes
        return {
            "dropped": int(np.count_nonzero(classes == DROPPED)),
            "constant": int(np.count_nonzero(classes == CONSTANT)),
            "stochastic": int(np.count_nonzero(classes == STOCHASTIC)),
        }


@dataclass(frozen=True, eq=False)
class NetworkPlan:
    """The hardware plan of a whole network.

    ``weight_port``: the top has a write port into the folded layers' weight
    memories (``w_en``, ``w_layer``, ``w_addr``, ``w_data``), see
    :func:`compress.hardware.memory.weight_port_widths`.  ``encoder``: the top takes
    ``in_features`` (levels ``0..2**B - 1``) instead of ``in_spikes`` and encodes
    them in hardware, as :class:`~compress.hardware.encoder.RateEncoder` does.
    ``window``: the top has the class readout: the last layer's counts summed over
    ``window`` steps give ``out_class`` (argmax, lowest index on ties), ``class_valid``
    and ``out_sums``; then the network restarts from its reset state for the next window.
    """

    top: str
    layers: tuple[LayerPlan, ...]
    weight_port: bool = False
    encoder: RateEncoder | None = None
    window: int | None = None
    readout: str = "argmax"

    @property
    def reads_membranes(self) -> bool:
        """Whether the class readout reads the last layer's membranes (``readout``
        ``"membrane"`` or ``"membrane-sum"``), not its counts."""
        return bool(self.window) and self.readout != "argmax"

    @property
    def n_in(self) -> int:
        """Network inputs: the width of ``in_spikes`` (without an encoder)."""
        return self.layers[0].n_inputs

    @property
    def input_width(self) -> int:
        """Bits of the input port: ``in_spikes``, or ``in_features`` (``n_in * B``)."""
        return self.n_in * (self.encoder.bits if self.encoder else 1)

    @property
    def sum_width(self) -> int:
        """Signed bits of a readout value: a count (or a membrane) summed over ``window``
        steps, or one membrane."""
        if self.readout == "membrane":
            return self.layers[-1].v_width
        base = self.layers[-1].v_width if self.readout == "membrane-sum" else self.count_width
        return base + max(1, ((self.window or 1) - 1).bit_length())

    def whole_windows(self, steps: int) -> int:
        """``steps`` rounded up to whole readout windows (unchanged without a readout)."""
        return -(-steps // self.window) * self.window if self.window else steps

    @property
    def class_width(self) -> int:
        """Bits of ``out_class``."""
        return max(1, (self.n_out - 1).bit_length())

    def input_spikes(self, stimulus: np.ndarray) -> np.ndarray:
        """The first layer's spikes for a stimulus: spikes as given, or with the encoder
        the spikes of the levels ``stimulus`` (``(steps, n_in)``), from step 0 of its LFSRs
        (again at every readout window)."""
        if self.encoder is None:
            return np.asarray(stimulus, dtype=bool)
        if not self.window:
            return self.encoder.spikes_of_levels(stimulus)
        levels = np.asarray(stimulus)  # the encoder restarts with every readout window
        chunks = [
            self.encoder.spikes_of_levels(levels[start : start + self.window])
            for start in range(0, len(levels), self.window)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.n_in), dtype=bool)

    @property
    def n_out(self) -> int:
        """Width of ``out_spikes``."""
        return self.layers[-1].n_out

    @property
    def count_width(self) -> int:
        """``CW``: bits per neuron in ``out_counts``."""
        return self.layers[-1].count_width

    @property
    def latency(self) -> int:
        """Clocks from an accepted input step to its ``out_valid``.

        A step accepted by rising edge ``c`` (``in_valid && in_ready`` high
        there) has ``out_valid`` high at rising edge ``c + latency``: one clock
        for the input register, then each layer's latency.
        """
        return 1 + sum(layer.latency for layer in self.layers)

    @property
    def locked(self) -> bool:
        """Whether one step is in flight at a time (a folded or event-driven layer, or a
        recurrent edge: a step needs the previous step's spikes)."""
        return any(layer.has_memory or layer.recurrent for layer in self.layers)

    @property
    def has_memory(self) -> bool:
        """Whether a layer reads its weights from a memory (the top's ``MEM_DIR``)."""
        return any(layer.has_memory for layer in self.layers)

    @property
    def variable(self) -> bool:
        """Whether the latency depends on the input activity (an event-driven layer);
        :attr:`latency` is then the worst case and :meth:`step_clocks` the exact one."""
        return any(layer.event for layer in self.layers)

    @property
    def clocks_per_step(self) -> int:
        """Clocks between accepted steps at full rate: 1 when fully parallel; with a
        folded or event layer, ``latency`` (``in_ready`` rises with the step's
        ``out_valid``; the worst case with an event layer, see :meth:`step_clocks`)."""
        return self.latency if self.locked else 1

    def step_clocks(
        self,
        layer_inputs: Sequence[np.ndarray],
        layer_spikes: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Exact latency of every step: ``1 + sum`` of the layers' clocks.

        Parameters
        ----------
        layer_inputs : sequence of ndarray
            Each layer's input spikes, ``(..., steps, n_inputs)``: the network's
            input spikes, then each earlier layer's spikes (the golden model's).
        layer_spikes : sequence of ndarray, optional
            Each layer's own spikes (the golden model's); needed by a recurrent event
            layer, whose recurrent taps spike with its previous step's spikes.

        Returns
        -------
        ndarray of int64, ``(..., steps)``
            Clocks from an accepted step to its ``out_valid``; with a folded or
            event layer also the clocks until the next step can be accepted.
        """
        steps = np.asarray(layer_inputs[0]).shape[-2]
        if self.window and steps > self.window:  # every window restarts from reset
            return np.concatenate(
                [
                    self.step_clocks(
                        [x[..., start : start + self.window, :] for x in layer_inputs],
                        None
                        if layer_spikes is None
                        else [s[..., start : start + self.window, :] for s in layer_spikes],
                    )
                    for start in range(0, steps, self.window)
                ],
                axis=-1,
            )
        total = np.ones(np.asarray(layer_inputs[0]).shape[:-1], dtype=np.int64)
        for index, (layer, inputs) in enumerate(zip(self.layers, layer_inputs, strict=True)):
            if layer.event:
                if layer.recurrent:
                    if layer_spikes is None:
                        raise ValueError(
                            f"layer_spikes must be given for the recurrent event layer {index}, "
                            "not None"
                        )
                    own = np.asarray(layer_spikes[index])
                    before = np.zeros_like(own)
                    before[..., 1:, :] = own[..., :-1, :]
                    inputs = np.concatenate([np.asarray(inputs), before], axis=-1)
                total = total + layer.event_clocks(layer.active_taps(inputs))
            else:
                total = total + layer.latency
        return total


def registered_levels(levels: int, pipeline: str) -> tuple[int, ...]:
    """Registered levels of a ``levels``-level popcount tree under ``pipeline``.

    Every ``PIPELINES[pipeline]``-th level; the ``speed`` pipeline also
    registers the top level, so the count stage starts from registers.
    """
    every = PIPELINES[pipeline]
    out = list(range(every, levels + 1, every))
    if pipeline == "speed" and levels and levels % every:
        out.append(levels)
    return tuple(out)


class _StreamPool:
    """Hands out streams no earlier layer used, register by register."""

    def __init__(self) -> None:
        self.used: dict[int, set[bytes]] = {}

    def take(self, width: int, count: int, layer: int) -> tuple[tuple[int, ...], list[Stream]]:
        used = self.used.setdefault(width, set())
        period = (1 << width) - 1
        seeds: list[int] = []
        streams: list[Stream] = []
        start = (layer * 37) % period  # decorrelate layers: different seeds first
        for offset in range(period):
            seed = (start + offset) % period + 1
            if len(streams) == count:
                break
            fresh = []
            for perm in permutations(width):
                key = stream_table(width, seed, perm).tobytes()
                if key not in used:
                    used.add(key)
                    fresh.append(perm)
                if len(streams) + len(fresh) == count:
                    break
            if fresh:
                streams += [Stream(len(seeds), perm) for perm in fresh]
                seeds.append(seed)
        if len(streams) < count:
            raise ValueError(
                f"layer {layer}: random streams must number at least {count} (one per "
                f"repeated code of a neuron), not the {len(streams)} left for {width}-bit "
                "LFSRs; use more weight bits"
            )
        return tuple(seeds), streams


def _lane(value: object, index: int | None) -> int | str | None:
    """One layer's parallelism as None, "full", "event" or a positive int."""
    if value is None or (isinstance(value, str) and value in ("full", "event")):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if value >= 1:
            return int(value)
    where = "" if index is None else f"layer {index}: "
    raise ValueError(
        f"{where}parallelism must be a positive integer, 'full' or 'event', not {value!r}"
    )


def _parallelism(value: int | str | tuple | None, n_layers: int) -> list[int | str | None]:
    """One lane count (None: fully parallel; "event": event-driven) per layer, from
    :attr:`HardwareOptions.parallelism` (already checked and normalised by :func:`_lane`)."""
    values = list(value) if isinstance(value, tuple) else [value] * n_layers
    if len(values) != n_layers:
        raise ValueError(f"parallelism must list {n_layers} layers, not {len(values)}")
    return [None if v in (None, "full") else v if v == "event" else int(v) for v in values]


def _per_layer(value: int | tuple, n_layers: int, name: str) -> list[int]:
    """``value`` for every layer (a tuple lists one per layer)."""
    values = list(value) if isinstance(value, tuple) else [value] * n_layers
    if len(values) != n_layers:
        raise ValueError(f"{name} must list {n_layers} layers, not {len(values)}")
    return values


def fold_slots(widest: int, lanes: int) -> int:
    """Slots per step of a folded layer: ``ceil(widest / lanes)``, at least 1."""
    return max(1, math.ceil(widest / lanes))


#: How a folded layer spreads a neuron's synapses over its lanes.
#: ``compact``: in input order, lane by lane within a slot; any lane may hold any
#: input (an n_in-way input multiplexer per lane), slots = ceil(max synapses / P).
#: ``banked``: lane p holds the inputs j with j % P == p (an n_in/P-way multiplexer),
#: slots = the most synapses of any neuron in any bank (more when pruning is uneven).
#: ``aligned``: slot s lane p is the same input line for every neuron (the (s*P + p)-th
#: line that any stochastic synapse uses), so one multiplexer per lane serves all
#: neurons; slots = ceil(live lines / P), whatever each neuron dropped.
FOLD_ORDERS = ("compact", "banked", "aligned")


def _schedule(stochastic: np.ndarray, lanes: int, order: str) -> np.ndarray:
    """Each neuron's stochastic synapses in its lanes' slots (see :data:`FOLD_ORDERS`)."""
    n_out = stochastic.shape[0]
    if order == "aligned":
        live = np.flatnonzero(stochastic.any(axis=0))
        slots = fold_slots(live.size, lanes)
        out = np.full((n_out, slots * lanes), -1, dtype=np.int32)
        out[:, : live.size] = np.where(stochastic[:, live], live[None, :], -1)
        return out.reshape(n_out, slots, lanes)
    if order == "compact":
        slots = fold_slots(int(stochastic.sum(axis=1).max()), lanes)
    else:
        banks = np.zeros((n_out, lanes), dtype=np.int64)
        for p in range(lanes):
            banks[:, p] = stochastic[:, p::lanes].sum(axis=1)
        slots = max(1, int(banks.max()))
    out = np.full((n_out, slots, lanes), -1, dtype=np.int32)
    for i in range(n_out):
        cols = np.flatnonzero(stochastic[i])
        if order == "compact":
            out[i].reshape(-1)[: cols.size] = cols  # slot-major: s * lanes + p
        else:
            for p in range(lanes):
                bank = cols[cols % lanes == p]
                out[i, : bank.size, p] = bank
    return out


def _assign_streams(codes: np.ndarray, stochastic: np.ndarray) -> tuple[np.ndarray, int]:
    """The n-th stochastic synapse of a neuron with a given code gets stream n."""
    streams = np.full(codes.shape, -1, dtype=np.int32)
    needed = 0
    for i in range(codes.shape[0]):
        cols = np.flatnonzero(stochastic[i])
        if cols.size == 0:
            continue
        row_codes = codes[i, cols]
        order = np.argsort(row_codes, kind="stable")
        sorted_codes = row_codes[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
        rank = np.arange(cols.size) - np.repeat(starts, np.diff(np.r_[starts, cols.size]))
        streams[i, cols[order]] = rank
        needed = max(needed, int(rank.max()) + 1)
    return streams, needed


def _synapse_delays(index: int, layer: Any, codes: np.ndarray) -> np.ndarray:
    """Whole-step delay of every synapse (0 where dropped; the bias line never delayed)."""
    delays = np.zeros(codes.shape, dtype=np.int64)
    if layer.delays is not None:
        if not np.array_equal(layer.delays, np.round(layer.delays)):
            raise ValueError(
                f"layer {index}: delays must be whole steps, not fractions; "
                "run quantize_delays first"
            )
        delays = np.zeros(codes.shape, dtype=np.int64)
        delays[:, : layer.n_in] = layer.delays.astype(np.int64)
    delays[codes == 0] = 0
    return delays


def _widest(mask: np.ndarray, signs: np.ndarray) -> int:
    """The most synapses of ``mask`` any neuron has of one sign (at least 1)."""
    return max(
        int(np.count_nonzero(mask & (signs > 0), axis=1).max()),
        int(np.count_nonzero(mask & (signs < 0), axis=1).max()),
        1,
    )


def _grid(values: np.ndarray, unit: float, frac: int) -> np.ndarray:
    """Weight-unit ``values`` on the ``2**-frac`` count grid (nearest)."""
    return np.round(np.asarray(values, dtype=np.float64) * 2**frac / unit).astype(np.int64)


def _thresholds(
    index: int, layer: Any, codes: np.ndarray, unit: float, frac: int
) -> tuple[int, ...]:
    """Thresholds in units of ``2**-frac`` counts, compared with ``>=``: with
    ``strict`` NIR's ``v > theta`` exactly on the grid (``floor(theta) + 1``), else
    the nearest grid value; every one ``2**frac`` when every synapse is dropped
    (the count is 0); each small enough for a membrane of at most :data:`MAX_VW` bits."""
    if not codes.any() and not layer.drives.any():
        return (1 << frac,) * layer.n_out
    scaled = np.asarray(layer.thresholds, dtype=np.float64) * 2**frac / unit
    grid = np.floor(scaled) + 1 if layer.strict else np.round(scaled)
    thresholds = tuple(max(1, int(t)) for t in grid)
    if max(thresholds).bit_length() + 2 > MAX_VW:
        raise ValueError(
            f"layer {index}: threshold must be below 2**{MAX_VW - 2} units of 2**-{frac} "
            f"counts, not {max(thresholds)} (= {float(layer.thresholds.max())!r} / {unit!r})"
        )
    return thresholds


def _bits_signed(values: Any) -> int:
    """Bits of a signed register that holds every one of ``values``."""
    return max((max(int(v), -int(v) - 1).bit_length() + 1 for v in values), default=1)


def _widths(
    index: int, layer: Any, codes: np.ndarray, unit: float, count_width: int, frac: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int, int]:
    """``(thresholds, drives, v_resets, i_width, v_width)`` of a layer at ``F = frac``;
    a ``ValueError`` when they need more than :data:`MAX_VW` bits."""
    leak, syn = layer.leak_fraction, layer.syn_leak
    thresholds = _thresholds(index, layer, codes, unit, frac)
    drives = tuple(int(d) for d in _grid(layer.drives, unit, frac))
    v_resets = tuple(int(r) for r in _grid(layer.v_resets, unit, frac))
    u_width = count_width + frac
    i_width = 0
    if syn is not None:  # steady state of a constant count c: c / syn_leak
        i_width = u_width + (math.ceil(math.log2(1 / syn)) if syn > 0 else 8) + 1
        u_width = i_width
    v_width = max(u_width + 2, max(thresholds).bit_length() + 2, _bits_signed(drives) + 1)
    v_width = max(v_width, _bits_signed(v_resets) + 1)
    if not layer.spiking:  # a leaky integrator holds u / leak; it saturates beyond
        v_width = min(MAX_VW, v_width + (math.ceil(math.log2(1 / leak)) if leak else 8))
    if v_width > MAX_VW or i_width > MAX_VW - 2:
        raise ValueError(
            f"layer {index}: frac_bits must leave the membrane at most {MAX_VW} bits, "
            f"not {frac} (it needs {max(v_width, i_width + 2)}); give the layer fewer "
            "fractional bits"
        )
    return thresholds, drives, v_resets, i_width, v_width


def _neuron_plan(
    index: int, layer: Any, codes: np.ndarray, unit: float, count_width: int
) -> tuple[NeuronPlan, tuple[int, ...], int]:
    """The layer's fixed-point neuron, thresholds and membrane width (SPEC section 4)."""
    leak = layer.leak_fraction
    syn = layer.syn_leak
    # thresholds are not among them: a strict one is exact on any grid, and the
    # others are rounded to the grid of the membrane's own precision
    constants = np.concatenate([layer.drives, layer.v_resets]) / unit
    if layer.frac_bits is not None:
        frac = layer.frac_bits
    else:
        scale = float(np.min(layer.thresholds)) / unit if layer.spiking and codes.any() else 1.0
        frac = frac_bits_for([f for f in (leak, syn) if f], constants, scale)
    while True:  # an automatic F gives way where the membrane would pass MAX_VW bits
        try:
            thresholds, drives, v_resets, i_width, v_width = _widths(
                index, layer, codes, unit, count_width, frac
            )
        except ValueError:
            if layer.frac_bits is not None or frac == 0:
                raise
            frac -= 1
            continue
        break
    neuron = NeuronPlan(
        frac_bits=frac,
        leak=None if not leak else decay_of(leak),
        syn=None if not syn else decay_of(syn),
        syn_current=syn is not None,
        i_width=i_width,
        drives=drives if any(drives) else (),
        v_resets=v_resets if any(v_resets) and layer.reset == "zero" else (),
        spiking=bool(layer.spiking),
    )
    return neuron, thresholds, v_width


def _latency(index: int, *, tree_stages: int, pipeline: str, slots: int, folded: bool) -> int:
    """Clocks through the layer (an event layer's worst case is set by the caller);
    a folded layer's constants must be summed in time."""
    if not folded:
        return tree_stages + (2 if pipeline == "speed" else 1)
    if tree_stages > slots + FOLD_LATENCY - 2:
        raise ValueError(
            f"layer {index}: the constant synapses' popcount must take at most "
            f"{slots + FOLD_LATENCY - 2} clocks, not {tree_stages}; use a smaller parallelism"
        )
    return slots + FOLD_LATENCY


def _plan_layer(
    index: int,
    result: CompressionResult,
    pool: _StreamPool,
    *,
    hardware: HardwareOptions,
    parallelism: int | str | None,
    neuron_lanes: int = EVENT_LANES,
    spram: bool = False,
) -> LayerPlan:
    """The plan of layer ``index`` of ``result`` (streams taken from ``pool``;
    ``parallelism="event"``: an event-driven layer of ``neuron_lanes`` lanes)."""
    event = parallelism == "event"
    if event:
        parallelism = None
    layer, codes_obj = result.network.layers[index], result.codes[index]
    codes = np.array(codes_obj.magnitudes, dtype=np.int32)
    signs = np.array(codes_obj.signs, dtype=np.int8)
    k, full, constants = codes_obj.bits - 1, codes_obj.max_code, hardware.constants
    delays = _synapse_delays(index, layer, codes)
    stochastic = (codes > 0) & ((codes < full) | (not constants))
    count_width = max(_widest(codes > 0, signs).bit_length() + 1, 2)
    # Streams do not depend on the parallelism: a folded layer computes the same counts.
    streams, needed = _assign_streams(codes, stochastic)
    decorrelated = codes_obj.bits <= hardware.decorrelate and 2 * k <= max(TAPS)
    width = 2 * k if decorrelated else k
    seeds, stream_defs = pool.take(width, needed, index) if needed else ((), [])
    schedule = (
        None if parallelism is None else _schedule(stochastic, parallelism, hardware.fold_order)
    )
    # a folded layer has a popcount tree over its constant synapses only; an event layer
    # none (a constant's code M always passes its comparator)
    if event:
        tree_mask = np.zeros_like(stochastic)
    elif parallelism is None:
        tree_mask = codes > 0
    else:
        tree_mask = (codes == full) & constants
    tree_widest = _widest(tree_mask, signs)
    neuron, thresholds, v_width = _neuron_plan(
        index, layer, codes, codes_obj.full_scale, count_width
    )
    tree_levels = math.ceil(math.log2(tree_widest)) if tree_widest > 1 else 0
    tree_stages = len(registered_levels(tree_levels, hardware.pipeline))
    slots = 0 if schedule is None else schedule.shape[1]
    latency = _latency(
        index,
        tree_stages=tree_stages,
        pipeline=hardware.pipeline,
        slots=slots,
        folded=parallelism is not None,
    )
    line_depths = tuple(int(d) for d in delays.max(axis=0))
    plan = LayerPlan(
        index=index,
        n_in=codes.shape[1],
        bias=layer.bias is not None,
        decorrelated=decorrelated,
        n_out=layer.n_out,
        bits=codes_obj.bits,
        signs=signs,
        codes=codes,
        delays=delays,
        streams=streams,
        seeds=seeds,
        stream_defs=tuple(stream_defs),
        line_depths=line_depths,
        count_width=count_width,
        v_width=v_width,
        thresholds=thresholds,
        threshold_unit=codes_obj.full_scale,
        reset=layer.reset,
        neuron=neuron,
        recurrent=layer.n_recurrent,
        tree_levels=tree_levels,
        tree_stages=tree_stages,
        latency=latency,
        pipeline=hardware.pipeline,
        parallelism=parallelism,
        slots=slots,
        schedule=schedule,
        fold_order=hardware.fold_order if parallelism is not None else "compact",
        constants=constants,
        delay_ram=max(line_depths) >= 2 and sum(line_depths) >= hardware.delay_ram_bits,
        event_lanes=min(neuron_lanes, layer.n_out) if event else None,
        spram=event and spram,
    )
    if event:  # the worst case: every tap spikes
        plan = replace(plan, latency=int(plan.event_clocks(len(plan.event_taps))))
    return plan


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
        LUT4 parts.  Results are identical; only the latency differs.
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
    input_encoder : {None, "rate"}
        ``"rate"``: the top takes ``in_features`` (``n_in`` unsigned levels of
        ``input_bits`` bits, input 0 in the low bits) and turns each into one
        spike per step in hardware, bit for bit as ``sc-compress evaluate``'s
        :class:`~compress.hardware.encoder.RateEncoder` (``input_bits``,
        ``input_seed``) does; ``None`` (default): the top takes ``in_spikes``.
    input_bits, input_seed : int
        The rate encoder's level width (2..15) and stream seed.
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
    spram : bool or sequence of bool (one per layer)
        Event layers keep their weight rows in SB_SPRAM256KA blocks (iCE40
        UltraPlus: four of 16384 x 16 bits, 1 Mbit) instead of block RAM.  The
        bitstream cannot initialise them, so this needs ``weight_port``: the
        weights are written after configuration (simulation models start from
        the ``.hex`` files).  A layer's rows must fit one bank: at most
        :data:`SPRAM_DEPTH` rows of at most ``4 * SPRAM_WIDTH`` bits.
    """

    pipeline: str = "area"
    parallelism: int | str | Sequence[int | str | None] | None = None
    fold_order: str = "compact"
    weight_port: bool = False
    delay_ram_bits: int = DELAY_RAM_MIN_BITS
    constants: bool = True
    decorrelate: int = DECORRELATE_BITS
    input_encoder: str | None = None
    input_bits: int = 8
    input_seed: int = 0
    readout: str | None = None
    window: int = 64
    neuron_lanes: int | Sequence[int] = EVENT_LANES
    spram: bool | Sequence[bool] = False

    def __post_init__(self) -> None:
        if isinstance(self.spram, (list, tuple)):
            for i, v in enumerate(self.spram):
                if not isinstance(v, (bool, np.bool_)):
                    raise ValueError(f"layer {i}: spram must be True or False, not {v!r}")
            object.__setattr__(self, "spram", tuple(bool(v) for v in self.spram))
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
            raise ValueError(
                f"input_encoder must be one of {INPUT_ENCODERS[1]!r} or None, "
                f"not {self.input_encoder!r}"
            )
        object.__setattr__(
            self, "input_bits", check_int(self.input_bits, "input_bits", low=2, high=max(TAPS))
        )
        object.__setattr__(self, "input_seed", check_int(self.input_seed, "input_seed", low=0))
        limit = self.decorrelate
        if isinstance(limit, (bool, np.bool_)):
            limit = 8 if limit else 0
        if not isinstance(limit, numbers.Integral) or not 0 <= limit <= 16:
            raise ValueError(f"decorrelate must be weight bits in 0..16 or a bool, not {limit!r}")
        object.__setattr__(self, "decorrelate", int(limit))
        flags = ("weight_port", "constants") + (() if isinstance(self.spram, tuple) else ("spram",))
        for name in flags:
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, not {value!r}")
            object.__setattr__(self, name, bool(value))
        if self.pipeline not in PIPELINES:
            raise ValueError(
                f"pipeline must be one of {', '.join(PIPELINES)}, not {self.pipeline!r}"
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


def _check_spram(layers: tuple[LayerPlan, ...], hardware: HardwareOptions) -> None:
    """SPRAM weight memories: written through the weight port, one bank of blocks each,
    at most four blocks in all (an UltraPlus has four)."""
    if not hardware.weight_port:
        raise ValueError(
            "spram needs weight_port: SB_SPRAM256KA cannot be initialised by the bitstream, "
            "so the weights are written through the port, not loaded at configuration"
        )
    if not any(layer.event for layer in layers):
        raise ValueError("spram needs an event layer (parallelism 'event'), not none")
    blocks = 0
    for layer in layers:
        if not layer.spram:
            continue
        rows = max(1, len(layer.event_taps)) * layer.event_groups
        width = layer.event_lanes * layer.event_word_width
        if rows > SPRAM_DEPTH or width > 4 * SPRAM_WIDTH:
            raise ValueError(
                f"layer {layer.index}: an SPRAM weight memory must be at most {SPRAM_DEPTH} "
                f"rows of {4 * SPRAM_WIDTH} bits, not {rows} rows of {width} bits; "
                "change neuron_lanes"
            )
        blocks += -(-width // SPRAM_WIDTH)
    if blocks > 4:
        raise ValueError(
            f"SPRAM weight memories must need at most 4 SB_SPRAM256KA blocks, not {blocks}"
        )


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


def plan_network(
    result: CompressionResult,
    top: str = "sc_network",
    hardware: HardwareOptions | None = None,
) -> NetworkPlan:
    """Plan the hardware of a compressed network.

    Parameters
    ----------
    result : CompressionResult
        From :func:`compress.compress_network`.
    top : str
        Name of the top module (a Verilog identifier).
    hardware : HardwareOptions, optional
        Pipelining, folding, weight port and delay buffers; fully parallel
        ``area`` hardware by default.

    Returns
    -------
    NetworkPlan
    """
    hardware = options_of(hardware, HardwareOptions, "hardware")
    check_top(top)
    encoder = None
    if hardware.input_encoder == "rate":
        n_in = result.network.layers[0].n_in
        encoder = RateEncoder(n_in, hardware.input_bits, hardware.input_seed)
    n_layers = len(result.codes)
    lanes = _parallelism(hardware.parallelism, n_layers)
    neuron_lanes = _per_layer(hardware.neuron_lanes, n_layers, "neuron_lanes")
    sprams = _per_layer(hardware.spram, n_layers, "spram")
    pool = _StreamPool()
    layers = tuple(
        _plan_layer(
            i,
            result,
            pool,
            hardware=hardware,
            parallelism=lanes[i],
            neuron_lanes=neuron_lanes[i],
            spram=sprams[i],
        )
        for i in range(n_layers)
    )
    if hardware.weight_port and not any(layer.has_memory for layer in layers):
        raise ValueError(
            "weight_port needs a folded or event layer (parallelism P or 'event'), "
            "not only fully parallel ones"
        )
    if any(sprams):
        _check_spram(layers, hardware)
    window = hardware.window if hardware.readout else None
    readout = hardware.readout or "argmax"
    return NetworkPlan(top, layers, hardware.weight_port, encoder, window, readout)
