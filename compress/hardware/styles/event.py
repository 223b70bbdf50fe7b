"""The event-driven layer style: neurons time-multiplexed, only spiking inputs walked.

The neurons are updated ``lanes`` at a time (``groups`` groups); per step the layer
walks only the input taps (line, delay) whose spike is 1 and reads their weight
rows, so its clocks per step follow the input activity (:meth:`Event.step_clocks`).
Every synapse keeps its random stream: the counts equal the fully parallel layer's.
Template ``hdl_templates/event.v.j2``; Amaranth component ``EventLayer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..ir import LayerPlan, LayerStyle
from ..memory import BLOCK_RAM_MIN_BITS, pack_rows
from ..streams import kept_taps
from ..structure import EventLayer, Leaf, WeightMemory, layer_fields, neuron_structure
from ..structure import stream_wires as all_stream_wires

__all__ = [
    "EVENT_CHUNK",
    "EVENT_FIXED",
    "EVENT_LANES",
    "FIT_LANES",
    "SPRAM_DEPTH",
    "SPRAM_WIDTH",
    "Event",
    "captures",
    "event_fixed",
    "event_words",
]

#: Event layers: clocks a step costs besides its chunks, events and neuron groups
#: (latch, done, then the neuron updates start a clock later and out_valid a clock
#: after them; see ``hdl_templates/event.v.j2``).
EVENT_FIXED = 3


def captures(layer: LayerPlan, lines: tuple, ring: object) -> bool:
    """Whether an event layer takes its taps into a shift register as its step starts
    (:attr:`~compress.hardware.structure.EventLayer.capture`): under the ``speed``
    pipeline, without delay buffers or a recurrent edge (whose taps read registers of
    earlier steps)."""
    return layer.pipeline == "speed" and not lines and ring is None and not layer.recurrent


def event_fixed(speed: bool) -> int:
    """A step's fixed clocks: :data:`EVENT_FIXED`, three more under the ``speed``
    pipeline (the registered address and row and the neuron update's first stage,
    :attr:`~compress.hardware.structure.EventLayer.row_register`)."""
    return EVENT_FIXED + 3 * int(speed)


#: Event layers look for spiking input taps this many at a time (one clock per chunk).
EVENT_CHUNK = 16
#: Default of :attr:`HardwareOptions.neuron_lanes`: neurons an event layer updates per clock.
EVENT_LANES = 8
#: Neuron lanes ``--fit`` tries.
FIT_LANES = (128, 64, 32, 16, 8, 4, 2, 1)
#: One SB_SPRAM256KA (iCE40 UltraPlus): 16384 words of 16 bits.
SPRAM_DEPTH, SPRAM_WIDTH = 16384, 16


@dataclass(frozen=True)
class Event(LayerStyle):
    """An event-driven layer.

    Attributes
    ----------
    lanes : int
        Neurons updated per clock (at most ``n_out``); each weight row holds that
        many neurons' synapses from one input tap.
    spram : bool
        The weight memory is SB_SPRAM256KA blocks (iCE40 UltraPlus), which the
        bitstream cannot initialise: the weights are written through the weight
        port after configuration.
    neuron_ram : bool
        The counts, membranes and currents are block RAMs of one row per neuron
        group, read a clock ahead and written back, rather than rotating flip-flop
        banks (at least two groups: a group's row is written before it is read
        again).  The clocks and counts are the same.
    """

    lanes: int
    spram: bool = False
    neuron_ram: bool = False

    name = "event"
    has_memory = True
    variable = True
    template = "event.v.j2"
    component = "EventLayer"
    choice = "'event'"
    memory_format = (
        "one row per (input tap e, neuron group g) at address e * groups + g, read by "
        "the RTL with $readmemh; lane p (neuron g * lanes + p) at bits [p*W +: W]: "
        "{stream, sign (1 = negative), code[k-1:0]}, every synapse stored (code 0: dropped; "
        "code M: constant, which always passes)"
    )

    @classmethod
    def accepts(cls, value: object) -> bool:
        return isinstance(value, str) and value == "event"

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
    ) -> Event:
        lanes = min(hardware.layer_value("neuron_lanes", index), n_out)
        neuron_ram = hardware.layer_value("neuron_ram", index)
        if neuron_ram and lanes >= n_out:
            raise ValueError(
                f"layer {index}: neuron_ram needs at least 2 neuron groups, not 1 "
                f"({n_out} neurons in neuron_lanes {lanes}); use fewer lanes"
            )
        return cls(lanes, hardware.layer_value("spram", index), neuron_ram)

    @classmethod
    def fit_choices(cls, spram: bool) -> list[tuple[str, dict[str, Any]]]:
        """Every :data:`FIT_LANES` count, and on a part with SPRAM each again in SPRAM."""
        out = [(f"event {n} lanes", {"parallelism": "event", "neuron_lanes": n}) for n in FIT_LANES]
        if spram:
            out += [
                (
                    f"event {n} lanes in SPRAM",
                    {"parallelism": "event", "neuron_lanes": n, "spram": True},
                )
                for n in FIT_LANES
            ]
        return out

    @classmethod
    def from_fields(cls, fields: dict[str, Any], arrays: dict[str, np.ndarray]) -> Event:
        event = fields["event"]
        return cls(event["lanes"], event.get("spram", False), event.get("neuron_ram", False))

    @classmethod
    def tag(cls, value: Any) -> str:
        return "event"

    def check_emitter(self, layer: LayerPlan, emitter: str) -> None:
        if emitter == "amaranth" and self.spram:
            raise ValueError(
                f"layer {layer.index}: emitter must be jinja for SPRAM weight rows, not "
                "amaranth (Amaranth cannot give SB_SPRAM256KA a simulation model)"
            )

    def describe(self) -> str:
        return (
            f"event {self.lanes} lanes"
            + (" in SPRAM" if self.spram else "")
            + (", neuron RAM" if self.neuron_ram else "")
        )

    def tree_mask(self, codes: np.ndarray, max_code: int, constants: bool) -> np.ndarray:
        """None: a constant's code ``M`` always passes its comparator, so constants
        are rows like the others."""
        return np.zeros(codes.shape, dtype=bool)

    # -- the walk ---------------------------------------------------------------------

    def groups(self, layer: LayerPlan) -> int:
        """Neuron groups, ``ceil(n_out / lanes)``."""
        return -(-layer.n_out // self.lanes)

    def taps(self, layer: LayerPlan) -> tuple[tuple[int, int], ...]:
        """The (line, delay) pairs some kept synapse reads, ascending; tap ``e``'s weight
        rows are ``e * groups + g``."""
        return _taps(layer)

    def chunks(self, layer: LayerPlan) -> int:
        """Chunks of :data:`EVENT_CHUNK` taps scanned per step (at least 1)."""
        return max(1, -(-len(self.taps(layer)) // EVENT_CHUNK))

    def word_width(self, layer: LayerPlan) -> int:
        """Bits of a row's word: ``{stream, sign, code}``."""
        return layer.stream_bits + 1 + layer.k

    def fixed(self, layer: LayerPlan) -> int:
        """A step's fixed clocks (:func:`event_fixed`)."""
        return event_fixed(layer.pipeline == "speed")

    def step_clocks(
        self, layer: LayerPlan, active: np.ndarray | float, loads: np.ndarray | float
    ) -> np.ndarray | float:
        """Clocks of a step with ``active`` spiking taps and ``loads`` chunk loads that
        take a clock of their own: ``fixed + loads + groups * (active + 1)``
        (:meth:`fixed`; ``groups`` rows per spiking tap, ``groups`` neuron updates;
        ``loads``: :meth:`chunk_loads`)."""
        return self.fixed(layer) + loads + self.groups(layer) * (active + 1)

    def tap_spikes(self, layer: LayerPlan, inputs: np.ndarray) -> np.ndarray:
        """Whether each tap spikes, ``(..., steps, chunks * chunk)`` for input spikes
        ``(..., steps, lines)`` (the bias tap always; history before step 0 is 0; the
        last chunk's padding never)."""
        x = np.asarray(inputs, dtype=bool)
        steps = x.shape[-2]
        out = np.zeros((*x.shape[:-1], self.chunks(layer) * EVENT_CHUNK), dtype=bool)
        for e, (j, d) in enumerate(self.taps(layer)):
            if layer.bias and j == layer.n_in - 1:
                out[..., e] = True
            elif d < steps:
                out[..., d:, e] = x[..., : steps - d, j]
        return out

    def active_taps(self, layer: LayerPlan, inputs: np.ndarray) -> np.ndarray:
        """Spiking taps per step for input spikes ``(..., steps, lines)``."""
        return self.tap_spikes(layer, inputs).sum(axis=-1, dtype=np.int64)

    def tail_loads(self, layer: LayerPlan) -> bool:
        """Whether a chunk loads on the clock that reads the last row of the chunk before
        it: with one neuron group, where a clock per chunk is a large part of a step
        (with more, the loads' few clocks are not worth the longer control path)."""
        return self.groups(layer) == 1

    def chunk_loads(self, layer: LayerPlan, inputs: np.ndarray) -> np.ndarray | int:
        """Chunk loads per step that take a clock of their own: every chunk's, or with
        :meth:`tail_loads` the first chunk's and each one after a chunk with no
        spiking tap."""
        if not self.tail_loads(layer):
            return self.chunks(layer)
        return self._loads(layer, self.tap_spikes(layer, inputs))

    def _loads(self, layer: LayerPlan, spikes: np.ndarray) -> np.ndarray:
        """:meth:`chunk_loads` with :meth:`tail_loads`, from :meth:`tap_spikes`."""
        busy = spikes.reshape(*spikes.shape[:-1], self.chunks(layer), EVENT_CHUNK).any(axis=-1)
        return 1 + (~busy[..., :-1]).sum(axis=-1, dtype=np.int64)

    # -- the style's interface -------------------------------------------------------

    def expected_clocks(self, layer: LayerPlan, activity: float) -> float:
        """The bias tap always spikes, every other tap with probability ``activity``
        (independently: a chunk has none with the product of their odds)."""
        p = np.full(self.chunks(layer) * EVENT_CHUNK, 0.0)
        p[: len(self.taps(layer))] = activity
        for e, (j, _) in enumerate(self.taps(layer)):
            if layer.bias and j == layer.n_in - 1:
                p[e] = 1.0
        idle = np.prod(1.0 - p.reshape(-1, EVENT_CHUNK), axis=1)
        loads = 1.0 + idle[:-1].sum() if self.tail_loads(layer) else self.chunks(layer)
        return float(self.step_clocks(layer, p.sum(), loads))

    def latency(self, layer: LayerPlan, *, tree_stages: int, pipeline: str) -> int:
        """The worst case: every tap spikes (with :meth:`tail_loads` each chunk loads
        behind the rows of the one before)."""
        loads = 1 if self.tail_loads(layer) else self.chunks(layer)
        return int(self.step_clocks(layer, len(self.taps(layer)), loads))

    def clocks(self, layer: LayerPlan, inputs: np.ndarray) -> np.ndarray | int:
        spikes = self.tap_spikes(layer, inputs)  # once for the taps and the loads
        active = spikes.sum(axis=-1, dtype=np.int64)
        loads = self._loads(layer, spikes) if self.tail_loads(layer) else self.chunks(layer)
        return self.step_clocks(layer, active, loads)

    def structure(self, top: str, layer: LayerPlan, weight_port: bool) -> EventLayer:
        none = np.zeros(layer.n_in, dtype=bool)
        neurons = tuple(
            neuron_structure(layer, i, none, lambda j: Leaf(j, 0)) for i in range(layer.n_out)
        )
        word_width, row_width, rows = event_words(layer)
        common = layer_fields(top, layer)
        memory = WeightMemory(
            file=f"mem/layer{layer.index}.hex",
            width=row_width,
            depth=len(rows),
            rows=tuple(rows),
            block=row_width * len(rows) >= BLOCK_RAM_MIN_BITS and not self.spram,
            writable=weight_port,
            spram=self.spram,
        )
        return EventLayer(
            **common,
            neurons=neurons,
            lanes=self.lanes,
            groups=self.groups(layer),
            events=tuple(Leaf(j, d) for j, d in self.taps(layer)),
            chunk=EVENT_CHUNK,
            chunks=self.chunks(layer),
            streams=all_stream_wires(layer),
            memory=memory,
            word_width=word_width,
            stream_bits=layer.stream_bits,
            v_width=layer.v_width,
            row_register=layer.pipeline == "speed",
            neuron_ram=self.neuron_ram,
            capture=captures(layer, common["lines"], common["ring"]),
            tail_loads=self.tail_loads(layer),
        )

    def memory(self, layer: LayerPlan) -> tuple[int, list[int]]:
        _, row_width, rows = event_words(layer)
        return row_width, rows

    def weight_rows(self, layer: LayerPlan) -> tuple[int, int]:
        return max(1, len(self.taps(layer))) * self.groups(layer), event_words(layer)[1]

    def fields(self, layer: LayerPlan) -> dict[str, Any]:
        """The lanes, taps and clocks per step (``design.json``'s ``"event"``)."""
        chunks, groups = self.chunks(layer), self.groups(layer)
        return {
            "event": {
                "lanes": self.lanes,
                "groups": groups,
                "taps": [[j, d] for j, d in self.taps(layer)],
                "chunk": EVENT_CHUNK,
                "chunks": chunks,
                "clocks": f"{self.fixed(layer)} + "
                + ("chunk loads" if self.tail_loads(layer) else str(chunks))
                + f" + {groups} * (spiking taps + 1)",
                "clocks_rule": "a tap (line j, delay d) spikes at step t when x_j(t - d) = 1 "
                "(the bias tap always); the walk loads the taps in chunks, reads every "
                "spiking tap's rows (one per group and clock), then updates the neurons "
                "(one group per clock); a chunk loads on a clock of its own, or with one "
                "group on the clock that reads the last row of the chunk before it (chunk "
                "loads: the first chunk and each after a chunk with no spiking tap)",
                "worst_clocks": layer.latency,
                "spram": self.spram,
                "neuron_ram": self.neuron_ram,
            }
        }

    @classmethod
    def check(cls, layers: tuple[LayerPlan, ...], hardware: Any) -> None:
        """Neuron RAM needs an event layer; SPRAM weight memories: written through the
        weight port, one bank of blocks each, at most four blocks in all (an UltraPlus
        has four)."""
        rams = (
            hardware.neuron_ram
            if isinstance(hardware.neuron_ram, tuple)
            else (hardware.neuron_ram,)
        )
        if any(rams) and not any(isinstance(layer.style, cls) for layer in layers):
            raise ValueError("neuron_ram needs an event layer (parallelism 'event'), not none")
        sprams = hardware.spram if isinstance(hardware.spram, tuple) else (hardware.spram,)
        if not any(sprams):
            return
        if not hardware.weight_port:
            raise ValueError(
                "spram needs weight_port: SB_SPRAM256KA cannot be initialised by the "
                "bitstream, so the weights are written through the port, not loaded at "
                "configuration"
            )
        if not any(isinstance(layer.style, cls) for layer in layers):
            raise ValueError("spram needs an event layer (parallelism 'event'), not none")
        blocks = 0
        for layer in layers:
            style = layer.style
            if not isinstance(style, cls) or not style.spram:
                continue
            rows = max(1, len(style.taps(layer))) * style.groups(layer)
            width = style.lanes * style.word_width(layer)
            if rows > SPRAM_DEPTH or width > 4 * SPRAM_WIDTH:
                raise ValueError(
                    f"layer {layer.index}: an SPRAM weight memory must be at most "
                    f"{SPRAM_DEPTH} rows of {4 * SPRAM_WIDTH} bits, not {rows} rows of "
                    f"{width} bits; change neuron_lanes"
                )
            blocks += -(-width // SPRAM_WIDTH)
        if blocks > 4:
            raise ValueError(
                f"SPRAM weight memories must need at most 4 SB_SPRAM256KA blocks, not {blocks}"
            )


@lru_cache(maxsize=16)
def _taps(layer: LayerPlan) -> tuple[tuple[int, int], ...]:
    return kept_taps(layer.codes, layer.delays)


def event_words(layer: LayerPlan) -> tuple[int, int, list[int]]:
    """The event layer's weight memory: ``(word width, row width, rows)``.

    Row ``e * G + g`` (``G``: the layer's groups) holds the synapses of input tap
    ``e`` (a line and a delay) into the neurons of group ``g``: lane ``p`` (neuron
    ``g * lanes + p``) at bits ``p * W``, ``{stream, sign (1 = negative), code}``.
    The layout is dense: a dropped synapse (or a neuron beyond ``n_out``) is a 0
    word, which never fires.  Dense rows cost ``W`` bits per dropped synapse; a
    sparse row would need a neuron index of ``ceil(log2(n_out))`` bits on every kept
    synapse instead, larger whenever fewer than about
    ``log2(n_out) / (W + log2(n_out))`` of the synapses are dropped (a 50%-pruned
    784-128 layer: 13-bit dense words beat 20-bit sparse ones by 35%), and would
    break the fixed lane-per-neuron wiring.
    """
    width, row_width, rows = _event_rows(layer)
    return width, row_width, list(rows)


@lru_cache(maxsize=8)
def _event_rows(layer: LayerPlan) -> tuple[int, int, tuple[int, ...]]:
    style, k = layer.style, layer.k
    lanes, groups = style.lanes, style.groups(layer)
    width = style.word_width(layer)
    # the stream number, unless the stream rule finds it from the row (no field)
    streams = np.maximum(layer.streams, 0).astype(np.int64) * bool(layer.stream_bits)
    words = (streams << (k + 1)) | ((layer.signs < 0).astype(np.int64) << k) | layer.codes
    taps = style.taps(layer)
    if not taps:  # every synapse dropped: one group of empty rows keeps the memory real
        return width, lanes * width, (0,) * groups
    j, d = np.array(taps).T
    on = (layer.codes[:, j] > 0) & (layer.delays[:, j] == d)
    lane_words = np.zeros((groups * lanes, len(taps)), dtype=np.int64)  # neurons past n_out: 0
    lane_words[: layer.n_out] = np.where(on, words[:, j], 0)
    rows = lane_words.reshape(groups, lanes, len(taps)).transpose(2, 0, 1).reshape(-1, lanes)
    return width, lanes * width, pack_rows(rows, width)
