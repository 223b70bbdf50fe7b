"""The folded layer style: ``P`` synapse lanes per neuron, weight words from a memory.

Each neuron's stochastic synapses are spread over its lanes' slots (the
*schedule*, :data:`FOLD_ORDERS`); a step takes ``slots + FOLD_LATENCY`` clocks, and
the constant synapses have a popcount tree of their own.  The LFSRs still advance
once per step and every synapse keeps its stream, so folding never changes a count.
Template ``hdl_templates/folded.v.j2``; Amaranth component ``FoldedLayer``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..ir import CONSTANT, LayerPlan, LayerStyle
from ..memory import BLOCK_RAM_MIN_BITS, bits_for, pack_rows
from ..structure import (
    FoldedLayer,
    Leaf,
    WeightMemory,
    layer_fields,
    neuron_structure,
    stream_wires,
)

__all__ = [
    "FIT_LANES",
    "FOLD_LATENCY",
    "FOLD_ORDERS",
    "Folded",
    "bank_size",
    "fold_fields",
    "fold_slots",
    "fold_words",
    "lane_line_bits",
]

#: Clocks a folded layer adds to its slots: latch, memory read, lane bits, partial
#: sums, accumulate, neuron (see ``hdl_templates/folded.v.j2``).
FOLD_LATENCY = 5

#: How a folded layer spreads a neuron's synapses over its lanes.
#: ``compact``: in input order, lane by lane within a slot; any lane may hold any
#: input (an n_in-way input multiplexer per lane), slots = ceil(max synapses / P).
#: ``banked``: lane p holds the inputs j with j % P == p (an n_in/P-way multiplexer),
#: slots = the most synapses of any neuron in any bank (more when pruning is uneven).
#: ``aligned``: slot s lane p is the same input line for every neuron (the (s*P + p)-th
#: line that any stochastic synapse uses), so one multiplexer per lane serves all
#: neurons; slots = ceil(live lines / P), whatever each neuron dropped.
FOLD_ORDERS = ("compact", "banked", "aligned")
#: Lanes ``--fit`` tries (in the aligned order: one multiplexer per lane for all neurons).
FIT_LANES = (32, 16, 8, 4, 2, 1)


def fold_slots(widest: int, lanes: int) -> int:
    """Slots per step of a folded layer: ``ceil(widest / lanes)``, at least 1."""
    return max(1, math.ceil(widest / lanes))


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


@dataclass(frozen=True, eq=False)
class Folded(LayerStyle):
    """A folded layer.

    Attributes
    ----------
    lanes : int
        ``P``: synapse lanes per neuron.
    order : str
        One of :data:`FOLD_ORDERS`.
    schedule : ndarray of int32 (n_out, slots, lanes)
        The input line of the synapse that neuron ``i``'s lane ``p`` handles in
        slot ``s``, or -1 for an empty slot.
    """

    lanes: int
    order: str
    schedule: np.ndarray

    name = "folded"
    has_memory = True
    template = "folded.v.j2"
    component = "FoldedLayer"
    choice = "a positive integer"
    memory_format = (
        "one row per slot, read by the RTL with $readmemh; lane p of neuron i at bits "
        "[(i*P + p)*W +: W]: {input (delay group * n_in + line), stream, sign (1 = negative), "
        "code[k-1:0]}; 0 is an empty lane"
    )

    @classmethod
    def accepts(cls, value: object) -> bool:
        return (
            isinstance(value, numbers.Integral)
            and not isinstance(value, (bool, np.bool_))
            and value >= 1
        )

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
    ) -> Folded:
        lanes = int(value)
        return cls(lanes, hardware.fold_order, _schedule(stochastic, lanes, hardware.fold_order))

    @classmethod
    def fit_choices(cls, spram: bool) -> list[tuple[str, dict[str, Any]]]:
        return [(f"folded P={p}", {"parallelism": p}) for p in FIT_LANES]

    @classmethod
    def from_fields(cls, fields: dict[str, Any], arrays: dict[str, np.ndarray]) -> Folded:
        return cls(fields["parallelism"], fields["fold_order"], arrays["schedule"])

    @classmethod
    def tag(cls, value: Any) -> str:
        return f"P{value}"

    @property
    def slots(self) -> int:
        """Clocks per step in which the lanes read weight words (at least 1)."""
        return int(self.schedule.shape[1])

    @property
    def label(self) -> int:
        return self.lanes

    def describe(self) -> str:
        return f"folded P={self.lanes}"

    def tree_mask(self, codes: np.ndarray, max_code: int, constants: bool) -> np.ndarray:
        """The constant synapses only (the lanes walk the stochastic ones)."""
        return (codes == max_code) & constants

    def latency(self, layer: LayerPlan, *, tree_stages: int, pipeline: str) -> int:
        if tree_stages > self.slots + FOLD_LATENCY - 2:
            raise ValueError(
                f"layer {layer.index}: the constant synapses' popcount must take at most "
                f"{self.slots + FOLD_LATENCY - 2} clocks, not {tree_stages}; use a smaller "
                "parallelism"
            )
        return self.slots + FOLD_LATENCY

    def structure(self, top: str, layer: LayerPlan, weight_port: bool) -> FoldedLayer:
        common = layer_fields(top, layer)
        constant = layer.classes == CONSTANT
        neurons = tuple(
            neuron_structure(layer, i, constant[i], lambda j, i=i: Leaf(j, int(layer.delays[i, j])))
            for i in range(layer.n_out)
        )
        word_width, row_width, rows = fold_words(layer)
        index_bits, stream_bits = fold_fields(layer)
        memory = WeightMemory(
            file=f"mem/layer{layer.index}.hex",
            width=row_width,
            depth=self.slots,
            rows=tuple(rows),
            block=row_width * self.slots >= BLOCK_RAM_MIN_BITS,
            writable=weight_port,
        )
        return FoldedLayer(
            **common,
            neurons=neurons,
            lanes=self.lanes,
            slots=self.slots,
            order=self.order,
            delays=layer.delay_values,
            groups=_groups(layer, common["taps"]),
            banks=_banks(layer),
            streams=stream_wires(layer),
            memory=memory,
            word_width=word_width,
            index_bits=index_bits,
            stream_bits=stream_bits,
            line_bits=lane_line_bits(layer),
            # a neuron's partial sum is at most its widest polarity's synapses, which the
            # count holds: never wider than the count
            part_width=min(self.lanes.bit_length() + 1, layer.count_width),
            position_streams=_position_streams(layer),
        )

    def memory(self, layer: LayerPlan) -> tuple[int, list[int]]:
        _, row_width, rows = fold_words(layer)
        return row_width, rows

    def weight_rows(self, layer: LayerPlan) -> tuple[int, int]:
        return self.slots, fold_words(layer)[1]

    def fields(self, layer: LayerPlan) -> dict[str, Any]:
        return {"slots": self.slots, "fold_order": self.order}

    def arrays(self, layer: LayerPlan) -> dict[str, np.ndarray]:
        return {"schedule": self.schedule}


def _groups(layer: LayerPlan, taps: dict) -> tuple[tuple[Leaf | None, ...], ...]:
    groups = []
    for d in layer.delay_values:
        if d == 0:
            groups.append(tuple(Leaf(j, 0) for j in range(layer.n_in)))
        else:
            groups.append(tuple(Leaf(j, d) if (j, d) in taps else None for j in range(layer.n_in)))
    return tuple(groups)


def _banks(layer: LayerPlan) -> tuple[tuple[int | None, ...], ...]:
    """Banked order: the positions in the groups lane ``p`` reaches (lines ``j % P == p``)."""
    if layer.style.order != "banked":
        return ()
    lanes, n_groups, size = layer.style.lanes, len(layer.delay_values), bank_size(layer)
    return tuple(
        tuple(
            g * layer.n_in + b * lanes + p if b * lanes + p < layer.n_in else None
            for g in range(n_groups)
            for b in range(size)
        )
        for p in range(lanes)
    )


def fold_words(layer: LayerPlan) -> tuple[int, int, list[int]]:
    """The folded weight memory of ``layer``: ``(word width, row width, rows)``.

    Row ``s`` holds, for neuron ``i`` and lane ``p``, the word of the synapse
    ``layer.style.schedule[i, s, p]`` at bits ``(i * P + p) * W``:
    ``{input, stream, sign (1 = negative), code}``.  ``input`` says where the
    lane finds the synapse's ``x(t - d)``: the delay group (the index of ``d`` in
    ``layer.delay_values``) times the lane's reach plus the line within it
    (compact: any line; banked: line ``j // P`` of lane ``p``'s bank; aligned:
    the delay group only, the line being the lane's, shared by all neurons and
    stored above the words at bits ``n_out * P * W + p * LB``).
    Empty slots are 0 (code 0 never fires: LFSR values are at least 1).
    """
    width, row_width, rows = _fold_rows(layer)
    return width, row_width, list(rows)


@lru_cache(maxsize=8)  # read by the RTL, the memory file, the ports and the estimate
def _fold_rows(layer: LayerPlan) -> tuple[int, int, tuple[int, ...]]:
    style, k = layer.style, layer.k
    lanes, schedule = style.lanes, np.asarray(style.schedule)
    index_bits, stream_bits = fold_fields(layer)
    width = index_bits + stream_bits + 1 + k
    n_out, slots = layer.n_out, style.slots
    valid = schedule >= 0  # (neuron, slot, lane): the synapse's input line, -1 for none
    j = np.where(valid, schedule, 0)
    i = np.arange(n_out)[:, None, None]
    values = np.array(layer.delay_values, dtype=np.int64)
    group = np.argmax(layer.delays[i, j][..., None] == values, axis=-1).astype(np.int64)
    size = bank_size(layer)
    if style.order == "banked":
        flat = group * size + j // lanes
    elif style.order == "aligned":
        flat = group * size
    else:
        flat = group * size + j
    streams = layer.streams[i, j].astype(np.int64) * bool(stream_bits)
    words = (
        (((flat << stream_bits) | streams) << (k + 1))
        | ((layer.signs[i, j] < 0).astype(np.int64) << k)
        | layer.codes[i, j].astype(np.int64)
    )
    words = np.where(valid, words, 0)
    rows = pack_rows(words.transpose(1, 0, 2).reshape(slots, n_out * lanes), width)
    shared = 0
    if style.order == "aligned":  # each lane's line, shared by all neurons, above the words
        base, line_bits = n_out * lanes * width, lane_line_bits(layer)
        lines = np.maximum(schedule.max(axis=0), 0)
        above = pack_rows(lines, line_bits)
        rows = tuple(r | (s << base) for r, s in zip(rows, above, strict=True))
        shared = lanes * line_bits
    return width, n_out * lanes * width + shared, rows


def _position_streams(layer: LayerPlan) -> tuple[int, ...]:
    """Under the ``tap`` rule, the stream of every input position (``h * n_in + j``: line
    ``j`` at delay ``delay_values[h]``), read from the plan's streams (every synapse of a
    tap reads the same one), -1 where no stochastic synapse reads it."""
    if layer.stream_rule != "tap":
        return ()
    group = {d: h for h, d in enumerate(layer.delay_values)}
    out = [-1] * (len(group) * layer.n_in)
    for i, j in zip(*np.nonzero(layer.streams >= 0), strict=True):
        out[group[int(layer.delays[i, j])] * layer.n_in + j] = int(layer.streams[i, j])
    return tuple(out)


def lane_line_bits(layer: LayerPlan) -> int:
    """Bits of an aligned lane's shared line number."""
    return max(1, bits_for(layer.n_in))


def bank_size(layer: LayerPlan) -> int:
    """Inputs a folded lane can reach per delay group: all of them (compact) or one bank."""
    if layer.style.order == "banked":
        return -(-layer.n_in // layer.style.lanes)
    if layer.style.order == "aligned":
        return 1
    return layer.n_in


def fold_fields(layer: LayerPlan) -> tuple[int, int]:
    """Bits of a folded word's input and stream fields (aligned: 0 with one delay group)."""
    reach = len(layer.delay_values) * bank_size(layer)
    aligned = layer.style.order == "aligned"
    index_bits = bits_for(reach) if aligned else max(1, bits_for(reach))
    return index_bits, layer.stream_bits
