"""The memory format: what each layer's ``mem/layer<l>.hex`` holds and how its rows are laid out.

A folded layer reads its stochastic synapses from a weight memory, one row per
slot (:func:`fold_words`); a fully parallel layer's codes are constants of its
comparators, and its memory file only documents them (:func:`mem_words`).  The
Verilog, the Amaranth components, the estimator, the reports and the
testbenches all read the rows from here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .plan import STOCHASTIC, LayerPlan, NetworkPlan

__all__ = [
    "BLOCK_RAM_MIN_BITS",
    "MEM_FORMATS",
    "bank_size",
    "bits_for",
    "event_words",
    "fold_fields",
    "fold_words",
    "hex_text",
    "lane_line_bits",
    "mem_words",
    "memory_bits",
    "weight_port_widths",
    "weight_rows",
]

#: Folded weight memories of at least this many bits get ``(* ram_style = "block" *)``;
#: smaller ones are left to the synthesis tool (LUT RAM or logic).
BLOCK_RAM_MIN_BITS = 4096

#: How a layer's ``mem/layer<l>.hex`` is laid out, by kind of layer (``design.json``).
MEM_FORMATS = {
    "parallel": "one word per stochastic synapse, neuron-major then input order: "
    "{input index, sign (1 = negative), code[k-1:0]}; not read by the RTL (the codes are "
    "constants of the comparators)",
    "folded": "one row per slot, read by the RTL with $readmemh; lane p of neuron i at bits "
    "[(i*P + p)*W +: W]: {input (delay group * n_in + line), stream, sign (1 = negative), "
    "code[k-1:0]}; 0 is an empty lane",
    "event": "one row per (input tap e, neuron group g) at address e * groups + g, read by "
    "the RTL with $readmemh; lane p (neuron g * lanes + p) at bits [p*W +: W]: "
    "{stream, sign (1 = negative), code[k-1:0]}, every synapse stored (code 0: dropped; "
    "code M: constant, which always passes)",
}


def bits_for(n: int) -> int:
    """Bits of an index into ``n`` things (0 for a single thing)."""
    return (n - 1).bit_length()


def fold_words(layer: LayerPlan) -> tuple[int, int, list[int]]:
    """The folded weight memory of ``layer``: ``(word width, row width, rows)``.

    Row ``s`` holds, for neuron ``i`` and lane ``p``, the word of the synapse
    ``layer.schedule[i, s, p]`` at bits ``(i * P + p) * W``:
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
    lanes, k = layer.parallelism, layer.k
    delay_index = {d: n for n, d in enumerate(layer.delay_values)}
    index_bits, stream_bits = fold_fields(layer)
    width = index_bits + stream_bits + 1 + k
    rows = []
    for s in range(layer.slots):
        row = 0
        for i in range(layer.n_out):
            for p in range(lanes):
                j = int(layer.schedule[i, s, p])
                if j < 0:
                    continue
                flat = _lane_index(layer, delay_index[int(layer.delays[i, j])], j)
                word = (
                    (((flat << stream_bits) | int(layer.streams[i, j])) << (k + 1))
                    | (int(layer.signs[i, j] < 0) << k)
                    | int(layer.codes[i, j])
                )
                row |= word << ((i * lanes + p) * width)
        if layer.fold_order == "aligned":
            base, line_bits = layer.n_out * lanes * width, lane_line_bits(layer)
            for p in range(lanes):
                row |= max(0, int(layer.schedule[:, s, p].max())) << (base + p * line_bits)
        rows.append(row)
    shared = lanes * lane_line_bits(layer) if layer.fold_order == "aligned" else 0
    return width, layer.n_out * lanes * width + shared, tuple(rows)


def event_words(layer: LayerPlan) -> tuple[int, int, list[int]]:
    """The event layer's weight memory: ``(word width, row width, rows)``.

    Row ``e * G + g`` (``G = layer.event_groups``) holds the synapses of input tap
    ``e`` (``layer.event_taps[e]``: a line and a delay) into the neurons of group
    ``g``: lane ``p`` (neuron ``g * lanes + p``) at bits ``p * W``,
    ``{stream, sign (1 = negative), code}``.  The layout is dense: a dropped
    synapse (or a neuron beyond ``n_out``) is a 0 word, which never fires.  Dense
    rows cost ``W`` bits per dropped synapse; a sparse row would need a neuron
    index of ``ceil(log2(n_out))`` bits on every kept synapse instead, larger
    whenever fewer than about ``log2(n_out) / (W + log2(n_out))`` of the synapses
    are dropped (a 50%-pruned 784-128 layer: 13-bit dense words beat 20-bit sparse
    ones by 35%), and would break the fixed lane-per-neuron wiring.
    """
    width, row_width, rows = _event_rows(layer)
    return width, row_width, list(rows)


@lru_cache(maxsize=8)
def _event_rows(layer: LayerPlan) -> tuple[int, int, tuple[int, ...]]:
    lanes, groups, k = layer.event_lanes, layer.event_groups, layer.k
    width = layer.event_word_width
    streams = np.maximum(layer.streams, 0).astype(np.int64)
    words = ((streams << (k + 1)) | ((layer.signs < 0).astype(np.int64) << k) | layer.codes).astype(
        object
    )
    rows = []
    for j, d in layer.event_taps:
        on = (layer.codes[:, j] > 0) & (layer.delays[:, j] == d)
        for g in range(groups):
            row = 0
            for p in range(lanes):
                i = g * lanes + p
                if i < layer.n_out and on[i]:
                    row |= int(words[i, j]) << (p * width)
            rows.append(row)
    if not rows:  # every synapse dropped: one group of empty rows keeps the memory real
        rows = [0] * groups
    return width, lanes * width, tuple(rows)


def lane_line_bits(layer: LayerPlan) -> int:
    """Bits of an aligned lane's shared line number."""
    return max(1, bits_for(layer.n_in))


def bank_size(layer: LayerPlan) -> int:
    """Inputs a folded lane can reach per delay group: all of them (compact) or one bank."""
    if layer.fold_order == "banked":
        return -(-layer.n_in // layer.parallelism)
    if layer.fold_order == "aligned":
        return 1
    return layer.n_in


def _lane_index(layer: LayerPlan, group: int, j: int) -> int:
    """A word's input field: delay group and line, within the lane's reach."""
    if layer.fold_order == "banked":
        return group * bank_size(layer) + j // layer.parallelism
    return group * bank_size(layer) + (0 if layer.fold_order == "aligned" else j)


def fold_fields(layer: LayerPlan) -> tuple[int, int]:
    """Bits of a folded word's input and stream fields (aligned: 0 with one delay group)."""
    reach = len(layer.delay_values) * bank_size(layer)
    index_bits = bits_for(reach) if layer.fold_order == "aligned" else max(1, bits_for(reach))
    return index_bits, layer.stream_bits


def mem_words(layer: LayerPlan) -> tuple[int, list[int]]:
    """Weight-memory contents of a layer: ``(word width, words)``.

    A folded layer's memory has one row per slot (:func:`fold_words`).  A fully
    parallel layer's has one word per stochastic synapse, neuron-major then
    input order: ``{input index, sign (1 = negative), code}`` with the code in
    the low ``k`` bits, the sign above it and the input index in the high bits.
    """
    if layer.folded:
        _, row_width, rows = fold_words(layer)
        return row_width, rows
    if layer.event:
        _, row_width, rows = event_words(layer)
        return row_width, rows
    index_bits = max(1, bits_for(layer.n_in))
    width = index_bits + 1 + layer.k
    words = []
    for i, j in zip(*np.nonzero(layer.classes == STOCHASTIC)):
        sign = int(layer.signs[i, j] < 0)
        words.append((int(j) << (layer.k + 1)) | (sign << layer.k) | int(layer.codes[i, j]))
    return width, words


def hex_text(width: int, words: list[int]) -> str:
    """``$readmemh`` text: one word per line, ``ceil(width / 4)`` hex digits each."""
    digits = (width + 3) // 4
    return "".join(f"{w:0{digits}x}\n" for w in words)


def weight_rows(layer: LayerPlan) -> tuple[int, int]:
    """``(depth, width)`` of a folded or event layer's weight memory ((0, 0) otherwise)."""
    if layer.folded:
        return layer.slots, fold_words(layer)[1]
    if layer.event:
        return max(1, len(layer.event_taps)) * layer.event_groups, event_words(layer)[1]
    return 0, 0


def memory_bits(plan: NetworkPlan) -> int:
    """Bits of storage the design holds: delay buffers and weight memories."""
    total = 0
    for layer in plan.layers:
        depth, width = weight_rows(layer)
        total += sum(layer.line_depths) + depth * width
    return total


def weight_port_widths(plan: NetworkPlan) -> dict[str, int]:
    """Widths of the weight port's signals: enable, layer select, row address, row data."""
    shapes = [weight_rows(layer) for layer in plan.layers if layer.has_memory]
    return {
        "w_en": 1,
        "w_layer": max(1, bits_for(len(plan.layers))),
        "w_addr": max(max(1, bits_for(depth)) for depth, _ in shapes),
        "w_data": max(width for _, width in shapes),
    }
