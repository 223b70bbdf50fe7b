"""The hardware plan's data: what one layer and the whole network are in hardware.

:class:`LayerPlan` and :class:`NetworkPlan` are the frozen IR that the planner
(:mod:`compress.hardware.plan`) produces and every later pass reads: the
structure, the golden model, the emitters, the estimator and the reports.  A
layer's *style* (fully parallel, folded, event-driven) is one object of a
:class:`LayerStyle` subclass, one module each in :mod:`compress.hardware.styles`;
everything that differs between styles is a method of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..model.quantization import max_code
from .encoder import RateEncoder
from .lfsr import block_bits, stream_table
from .neuron import INTEGER_NEURON, NeuronPlan

__all__ = [
    "CONSTANT",
    "DROPPED",
    "PIPELINES",
    "STOCHASTIC",
    "LayerPlan",
    "LayerStyle",
    "NetworkPlan",
    "Stream",
    "kept_taps",
    "registered_levels",
    "tap_streams",
]

DROPPED, CONSTANT, STOCHASTIC = 0, 1, 2
#: Pipelining presets: how often the popcount trees are registered, by name.
#: ``area`` spends the fewest flip-flops; ``speed`` also registers the
#: comparators and the count (for slow LUT4 parts such as the iCE40 UP5K).
PIPELINES = {"area": 3, "speed": 2}


class LayerStyle:
    """How a layer is built in hardware: the base of every layer style.

    A style is a frozen dataclass holding its own plan fields (a folded layer's
    lanes and schedule, an event layer's neuron lanes), so a layer cannot mix two
    styles' fields.  One subclass per style, one module each, listed once in
    :data:`compress.hardware.styles.STYLES`; the CLI's choices, ``--fit``'s search,
    the sweep labels, ``load_plan``, the reports and the fuzz read that list.  What
    differs between styles is a method here: the plan fields (:meth:`planned`), the
    popcount tree's synapses, the clocks of a step, the circuit
    (:meth:`structure`), the weight-memory rows, the serialisation, and the names
    of the Jinja2 template and the Amaranth component (in ``hdl_templates/``).

    Attributes
    ----------
    name : str
        The style's name (``design.json``'s ``"style"``, the CLI's word).
    has_memory : bool
        The RTL reads the weight codes from a memory (a ``$readmemh`` file).
    variable : bool
        The clocks of a step depend on the input activity (:meth:`clocks`).
    template : str
        The layer's Jinja2 template in ``hdl_templates/``.
    component : str
        The layer's Amaranth component in :mod:`hdl_templates.components`.
    memory_format : str
        What ``mem/layer<l>.hex`` holds (``design.json``).
    gated_leaves : bool
        The popcount's leaves are synapses ``x & [r <= m]`` (a compressor tree folds
        the gates into its first counters).
    """

    name: ClassVar[str]
    has_memory: ClassVar[bool] = False
    gated_leaves: ClassVar[bool] = False
    variable: ClassVar[bool] = False
    template: ClassVar[str]
    component: ClassVar[str]
    memory_format: ClassVar[str]
    #: How the option value is written in the ``parallelism must be ...`` error.
    choice: ClassVar[str]

    @classmethod
    def accepts(cls, value: object) -> bool:
        """Whether a ``parallelism`` value asks for this style."""
        raise NotImplementedError

    @classmethod
    def planned(
        cls,
        value: Any,
        *,
        index: int,
        stochastic: np.ndarray,
        n_out: int,
        hardware: Any,
        geometry: Any = None,
    ) -> LayerStyle:
        """The style's plan fields for layer ``index`` (``value``: its ``parallelism``;
        ``stochastic``: its stochastic synapses; ``hardware``: the options; ``geometry``:
        a convolution layer's :class:`~compress.model.conv.Conv`, None otherwise).
        A style that cannot build the layer raises a ``ValueError``."""
        raise NotImplementedError

    @classmethod
    def from_fields(cls, fields: dict[str, Any], arrays: dict[str, np.ndarray]) -> LayerStyle:
        """The style of a ``design.json`` layer entry and ``model.npz``'s arrays."""
        raise NotImplementedError

    @classmethod
    def fit_choices(cls, spram: bool) -> list[tuple[str, dict[str, Any]]]:
        """What ``--fit``'s search tries of this style: ``(words, per-layer options)``
        pairs (``parallelism`` and what else the style reads; ``spram``: the part has
        SB_SPRAM256KA blocks)."""
        return []

    @classmethod
    def tag(cls, value: Any) -> str:
        """The ``parallelism`` value ``value`` in a sweep point's label ("" if the default)."""
        return ""

    @property
    def label(self) -> int | str:
        """What ``design.json`` and the reports call the layer's parallelism."""
        return self.name

    def describe(self) -> str:
        """The style in words (``--fit``'s choices, the reports)."""
        return self.name

    def tree_mask(self, codes: np.ndarray, max_code: int, constants: bool) -> np.ndarray:
        """The synapses the layer's popcount trees sum (all kept ones by default)."""
        return codes > 0

    def tap_streams(
        self, codes: np.ndarray, delays: np.ndarray, stochastic: np.ndarray
    ) -> tuple[np.ndarray, int]:
        """The ``tap`` stream rule's streams and their number: one stream per input tap
        (:func:`tap_streams`), whatever the style."""
        return tap_streams(codes, delays, stochastic)

    def latency(self, layer: LayerPlan, *, tree_stages: int, pipeline: str) -> int:
        """Clocks through the layer (the worst case when :attr:`variable`)."""
        raise NotImplementedError

    def clocks(self, layer: LayerPlan, inputs: np.ndarray) -> np.ndarray | int:
        """Clocks of every step for the layer's input lines ``(..., steps, lines)``
        (the recurrent lines included); ``layer.latency`` unless :attr:`variable`."""
        return layer.latency

    def check_emitter(self, layer: LayerPlan, emitter: str) -> None:
        """Raise a ``ValueError`` when ``emitter`` (``"jinja"`` or ``"amaranth"``) cannot
        write this layer."""

    def expected_clocks(self, layer: LayerPlan, activity: float) -> float:
        """Clocks per step when every input tap spikes with probability ``activity``."""
        return float(layer.latency)

    def structure(self, top: str, layer: LayerPlan, weight_port: bool) -> Any:
        """The layer's circuit (:mod:`compress.hardware.structure`)."""
        raise NotImplementedError

    def memory(self, layer: LayerPlan) -> tuple[int, list[int]]:
        """``(word width, words)`` of ``mem/layer<l>.hex``."""
        raise NotImplementedError

    def weight_rows(self, layer: LayerPlan) -> tuple[int, int]:
        """``(depth, width)`` of the weight memory the RTL reads ((0, 0): none)."""
        return 0, 0

    def fields(self, layer: LayerPlan) -> dict[str, Any]:
        """The style's entries of the layer in ``design.json``."""
        return {}

    def arrays(self, layer: LayerPlan) -> dict[str, np.ndarray]:
        """The style's per-layer arrays of ``model.npz``."""
        return {}

    @classmethod
    def check(cls, layers: tuple[LayerPlan, ...], hardware: Any) -> None:
        """Network-wide checks of the options this style reads (run for every style of
        the registry, whether a layer has it or not)."""


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
    style : LayerStyle
        How the layer is built (:mod:`compress.hardware.styles`): fully parallel,
        folded or event-driven, with the style's own fields (a folded layer's lanes,
        slots and schedule; an event layer's neuron lanes and SPRAM); a combination
        of fields no style has cannot be built.
    constants : bool
        Full-scale codes are constant synapses (wires); ``False`` gives them
        comparators too (``r <= M`` is always 1): the uncompressed baseline.
    delay_ram : bool
        The delay buffers are one RAM ring (depth: the largest delay; one
        registered read per delay value in use) instead of a shift register
        per line; chosen when they hold at least ``delay_ram_bits`` bits.
    bias : bool
        Line ``n_in - 1`` is the bias line: 1 at every step, never delayed.
    decorrelated : bool
        The random values come from ``2k``-bit LFSRs (period ``P = 2**2k - 1``)
        instead of ``k``-bit ones, compared with the code scaled by ``2**k + 1``
        (``{m, m}``): ``P = M (2**k + 1)``, so over any ``P`` steps a stochastic
        synapse with constant input contributes exactly ``m (2**k + 1)`` ones,
        the rate ``m / M`` again; short weight streams no longer alias with
        nearly periodic spike trains.  Only for ``k <= 7`` (LFSRs up to 15 bits).
    popcount : str
        How the popcount trees add (:data:`~compress.hardware.counters.POPCOUNTS`):
        ``"adder"``, a pairwise adder tree, or a compressor tree of counters cut for
        4- or 6-input LUTs (``"lut4"``, ``"lut6"``).
    stream_rule : str
        ``"code"``: the n-th stochastic synapse of a neuron with a given code reads
        stream n, and a memory word stores its stream number.  ``"tap"``: a synapse
        reads the stream of its input tap (:func:`~compress.hardware.streams.tap_streams`),
        which the hardware derives from the tap's position, so memory words hold only
        sign and code; stream ``s`` is then register ``s >> stream_block`` through
        permutation ``s % 2**stream_block`` (:data:`~compress.hardware.lfsr.permutations`).
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
    style: LayerStyle
    pipeline: str = "area"
    delay_ram: bool = False
    constants: bool = True
    bias: bool = False
    decorrelated: bool = False
    neuron: NeuronPlan = INTEGER_NEURON
    recurrent: int = 0
    stream_rule: str = "code"
    popcount: str = "adder"

    @property
    def conv(self) -> Any:
        """A convolution layer's geometry (:class:`~compress.model.conv.Conv`; its
        ``signs``, ``codes``, ``delays`` and ``streams`` are then its kernel rows,
        ``(out_channels, taps [+ 1 bias])``), or ``None``."""
        return getattr(self.style, "geometry", None)

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
    def has_memory(self) -> bool:
        """Whether the RTL reads the layer's weight codes from a memory (its style's)."""
        return self.style.has_memory

    @property
    def stream_bits(self) -> int:
        """Bits of a weight word's stream number (folded, event and conv rows; 0 under
        the ``"tap"`` rule, whose streams follow from the row)."""
        if self.stream_rule == "tap":
            return 0
        return (len(self.stream_defs) - 1).bit_length()

    @property
    def stream_block(self) -> int:
        """``B``: under the ``"tap"`` rule every register feeds ``2**B`` streams, the
        first ``2**B`` of :func:`~compress.hardware.lfsr.permutations`."""
        return block_bits(self.lfsr_width)

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
    ``events``: the top takes address events (``ev_valid``, ``ev_ready``, ``ev_addr``,
    ``ev_end``) of an input of this ``(C, H, W)`` shape instead of ``in_spikes``
    (:attr:`event_fields`).
    """

    top: str
    layers: tuple[LayerPlan, ...]
    weight_port: bool = False
    encoder: RateEncoder | None = None
    window: int | None = None
    readout: str = "argmax"
    events: tuple[int, int, int] | None = None

    @property
    def event_fields(self) -> tuple[int, int, int]:
        """Bits of ``ev_addr``'s channel, y and x fields (0 for a size-1 axis), high to
        low: ``ev_addr = {c, y, x}``."""
        if self.events is None:
            raise ValueError("event_fields needs an event input (events), not None")
        return tuple(max(0, (n - 1).bit_length()) for n in self.events)

    @property
    def event_width(self) -> int:
        """Bits of ``ev_addr`` (at least 1)."""
        return max(1, sum(self.event_fields))

    def event_address(self, index: np.ndarray | int) -> np.ndarray | int:
        """``ev_addr`` of input ``index`` (``(c * H + y) * W + x``): ``{c, y, x}``."""
        _, h, w = self.events
        _, yb, xb = self.event_fields
        c, rest = np.divmod(index, h * w)
        y, x = np.divmod(rest, w)
        return (c << (yb + xb)) | (y << xb) | x

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
        """Bits of the input port: ``in_spikes``, ``in_features`` (``n_in * B``), or an
        address-event beat ``{ev_end, ev_addr}``."""
        if self.events is not None:
            return 1 + self.event_width
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
        return any(layer.style.variable for layer in self.layers)

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
            if not layer.style.variable:
                total = total + layer.latency
                continue
            if layer.recurrent:
                if layer_spikes is None:
                    raise ValueError(
                        f"layer_spikes must be given for the recurrent {layer.style.name} "
                        f"layer {index}, not None"
                    )
                own = np.asarray(layer_spikes[index])
                before = np.zeros_like(own)
                before[..., 1:, :] = own[..., :-1, :]
                inputs = np.concatenate([np.asarray(inputs), before], axis=-1)
            total = total + layer.style.clocks(layer, inputs)
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


def kept_taps(codes: np.ndarray, delays: np.ndarray) -> tuple[tuple[int, int], ...]:
    """The (line, delay) pairs some kept synapse reads, ascending: a layer's input taps."""
    i, j = np.nonzero(codes > 0)
    if not len(i):
        return ()
    span = int(delays.max()) + 1
    keys = np.unique(j.astype(np.int64) * span + delays[i, j])  # sorted by line, then delay
    return tuple(zip((keys // span).tolist(), (keys % span).tolist(), strict=True))


def tap_streams(
    codes: np.ndarray, delays: np.ndarray, stochastic: np.ndarray
) -> tuple[np.ndarray, int]:
    """The ``tap`` rule of a fully connected layer: a stochastic synapse reads stream
    ``e``, the index of its (line, delay) in :func:`kept_taps`.  Returns the streams
    (-1 where not stochastic) and how many there are (one per tap)."""
    taps = kept_taps(codes, delays)
    streams = np.full(codes.shape, -1, dtype=np.int32)
    i, j = np.nonzero(stochastic)
    if len(i):  # a stochastic synapse is kept: its (line, delay) is among the sorted taps
        span = int(delays.max()) + 1
        keys = np.array([line * span + delay for line, delay in taps], dtype=np.int64)
        streams[i, j] = np.searchsorted(keys, j.astype(np.int64) * span + delays[i, j])
    return streams, len(taps)
