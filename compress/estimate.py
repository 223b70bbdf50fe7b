"""Analytical resource estimate of a hardware plan (no synthesis).

The estimate walks the same structures the Verilog is rendered from (the
render contexts of :mod:`compress.rtl`), so it sees every register, adder,
comparator, multiplexer and memory the design contains:

* flip-flops are counted register by register, leaving out what Yosys
  removes (the hidden layers' count registers nothing reads, folded lanes
  that never hold a synapse, memory read registers inside block RAM);
* block RAMs follow Yosys' mapping of each memory (constant columns of a
  read-only memory removed, then the cheapest block configuration);
* LUTs are a per-family linear model over structural features (adder bits,
  comparators, multiplexer inputs, neurons, LFSR bits), its coefficients
  fitted on the calibration set (:mod:`compress.calibration`,
  ``compress/data/calibration.json``).
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources as importlib_resources
from typing import Any

import numpy as np

from .plan import CONSTANT, STOCHASTIC, LayerPlan, NetworkPlan
from .rtl import BLOCK_RAM_MIN_BITS, _fold_fields, _folded_context, _layer_context, fold_words

__all__ = [
    "BRAM_CONFIGS",
    "FAMILIES",
    "FEATURES",
    "HOLDOUT_LUT_TOLERANCE",
    "LUT_TOLERANCE",
    "estimate",
    "estimate_structures",
    "family_cost",
    "layer_structure",
]

#: Block-RAM shapes (width, depth) per family and primitive, as Yosys maps memories.
BRAM_CONFIGS = {
    "ice40": {"SB_RAM40_4K": ((16, 256), (8, 512), (4, 1024), (2, 2048))},
    "ecp5": {"DP16KD": ((36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384))},
    "xilinx": {
        "RAMB36E1": ((72, 512), (36, 1024), (18, 2048), (9, 4096), (4, 8192), (2, 16384)),
        "RAMB18E1": ((36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384)),
    },
}

#: Relative LUT error the estimate is held to on the calibration set (the target).
LUT_TOLERANCE = 0.15
#: ... and on the held-out designs the fit never saw.  Measured worst case 21%
#: (a compact-folded dense layer on iCE40); the 15% target is not reached there yet.
HOLDOUT_LUT_TOLERANCE = 0.25

#: The families the estimate covers.
FAMILIES = tuple(BRAM_CONFIGS)

#: The structural features of the LUT model, in order.
FEATURES = (
    "adder_bits",  # bits of every popcount adder, P - N subtractor and accumulator
    "leaves",  # popcount inputs (synapses into a tree)
    "comparator_terms",  # constant-comparator terms and comparators (fully parallel)
    "neuron_bits",  # membrane bits of every neuron (LIF arithmetic)
    "mux_inputs",  # inputs of every input-line and stream multiplexer (folded)
    "lane_compares",  # stream <= code comparator bits of the folded lanes
    "rom_logic_bits",  # bits of small read-only weight memories that become logic
    "registered_bits",  # pipeline-register bits inside the popcount trees and count stage
)


def _bram_blocks(width: int, depth: int, family: str) -> int:
    """Blocks Yosys uses for a ``width x depth`` memory: the fewest block bits, then the
    fewest blocks (so RAMB18 only when it wastes less than RAMB36)."""
    options = []
    for shapes in BRAM_CONFIGS[family].values():
        size = shapes[0][0] * shapes[0][1]
        blocks = min(math.ceil(width / w) * math.ceil(depth / d) for w, d in shapes)
        options.append((blocks * size, blocks))
    return min(options)[1]


def _constant_columns(rows: list[int], width: int) -> int:
    """Bits that change between rows; Yosys drops the constant ones from a ROM."""
    if not rows:
        return 0
    size = (width + 7) // 8
    bits = np.unpackbits(
        np.frombuffer(b"".join(r.to_bytes(size, "little") for r in rows), dtype=np.uint8).reshape(
            len(rows), size
        ),
        axis=1,
        bitorder="little",
    )[:, :width]
    return int(np.count_nonzero(bits.min(axis=0) != bits.max(axis=0)))


def _tree_features(nodes: list[dict[str, Any]]) -> tuple[int, int]:
    """(adder bits, registered bits) of rendered popcount-tree nodes."""
    adders = sum(n["width"] for n in nodes if "+" in n["expr"])
    registered = sum(n["width"] for n in nodes if n["reg"])
    return adders, registered


def layer_structure(plan: NetworkPlan, layer: LayerPlan) -> dict[str, Any]:
    """What one layer contains, independent of the family.

    Returns
    -------
    dict
        ``features`` (the LUT model's inputs), ``ffs`` (flip-flops outside
        memories), ``memories`` (``(width, depth, reads, block)`` per memory:
        block when the RTL asks for block RAM) and ``memory_read_ffs`` (read
        registers that stay flip-flops unless their memory is a block RAM).
    """
    last = layer.index == len(plan.layers) - 1
    n, cw, vw, k = layer.n_out, layer.count_width, layer.v_width, layer.k
    classes = layer.classes
    ffs = len(layer.seeds) * k + 1 + (vw + 1) * n  # LFSRs, valid, membranes, spikes
    features = dict.fromkeys(FEATURES, 0)
    features["neuron_bits"] = vw * n
    memories: list[tuple[int, int, int, bool, bool]] = []
    if layer.delay_ram:
        depth = max(layer.line_depths)
        delayed = sum(1 for d in layer.line_depths if d)
        reads = sorted({int(d) for d in layer.delays[(classes != 0) & (layer.delays > 0)]})
        ffs += max(1, (depth - 1).bit_length()) + depth.bit_length()
        ffs += delayed * (1 in reads) + sum(1 for d in reads if d > 1)
        ram_reads = sum(1 for d in reads if d > 1)
        if ram_reads:
            block = depth * delayed >= BLOCK_RAM_MIN_BITS
            memories.append((delayed, depth, ram_reads, block, False))
    else:
        ffs += sum(layer.line_depths)
    if not layer.folded:
        context = _layer_context(plan.top, layer)
        adders, registered = _tree_features(context["nodes"])
        ffs += registered + layer.tree_stages + (cw * n if last else 0)
        features["adder_bits"] = adders + cw * n  # trees, then P - N
        features["leaves"] = int(np.count_nonzero(classes != 0))
        features["comparator_terms"] = len(context["comparators"]) + len(context["terms"])
        features["registered_bits"] = registered
        if layer.pipeline == "speed":
            features["registered_bits"] += (cw + vw) * n
            ffs += len(context["comparators"]) + len(context["terms"]) + 1
            ffs += (cw + vw) * n + (cw * n if last else 0)
        return {"features": features, "ffs": ffs, "memories": memories}
    context = _folded_context(plan.top, layer)
    lanes = layer.parallelism
    adders, registered = _tree_features(context["nodes"])
    used = layer.schedule >= 0
    rows_i, _, cols_p = np.nonzero(used)
    negative = layer.signs[rows_i, layer.schedule[used]] < 0
    lanes_used = [(int(i), int(p)) for i, p in zip(rows_i, cols_p, strict=True)]
    lane_pos = {lane for lane, neg in zip(lanes_used, negative, strict=True) if not neg}
    lane_neg = {lane for lane, neg in zip(lanes_used, negative, strict=True) if neg}
    n_lanes = len(set(lanes_used))
    part = context["part_width"]
    ffs += 1 + context["slot_bits"] + 7  # run, slot, valid and last flags
    ffs += int(np.count_nonzero((classes != 0).any(axis=0)))  # x_q lines in use
    ffs += len(lane_pos) + len(lane_neg) + (part + cw) * n + registered
    ffs += cw * n if last else 0
    _, row_width, rows = fold_words(layer)
    width = row_width if plan.weight_port else _constant_columns(rows, row_width)
    memories.append((width, layer.slots, 1, bool(context["block_ram"]), not plan.weight_port))
    if not context["block_ram"] and not plan.weight_port:
        features["rom_logic_bits"] = width * layer.slots
    reach = {
        "compact": context["xvec_width"],
        "banked": context["bank_width"],
        "aligned": context["groups"],
    }[layer.fold_order]
    features["adder_bits"] = adders + cw * n * 2 + part * n  # trees, acc, count, partial sums
    features["leaves"] = int(np.count_nonzero(classes == CONSTANT)) + lanes * n
    features["mux_inputs"] = _lane_mux_inputs(layer, rows, reach, plan.weight_port)
    if layer.fold_order == "aligned":
        features["mux_inputs"] += lanes * context["groups"] * layer.n_in
    features["lane_compares"] = n_lanes * k
    assert int(np.count_nonzero(classes == STOCHASTIC)) == int(used.sum())
    return {"features": features, "ffs": ffs, "memories": memories}


def _lane_mux_inputs(layer: LayerPlan, rows: list[int], reach: int, writable: bool) -> int:
    """Input-line and stream multiplexer inputs of every folded lane.

    A lane's multiplexers select with its word's input and stream fields.  In a
    read-only memory Yosys drops the bits of a lane's fields that never change,
    so the multiplexer only spans ``2**changing bits`` inputs (on a dense layer
    the compact order's low input bits are constant per lane).
    """
    lanes, k = layer.parallelism, layer.k
    index_bits, stream_bits = _fold_fields(layer)
    width = index_bits + stream_bits + 1 + k
    mask = (1 << width) - 1
    total = 0
    for lane in range(layer.n_out * lanes):
        if writable:
            changing_index, changing_stream = index_bits, stream_bits
        else:
            words = [(row >> (lane * width)) & mask for row in rows]
            ones, zeros = 0, 0
            for word in words:
                ones |= word
                zeros |= ~word & mask
            changing = ones & zeros
            changing_index = bin(changing >> (k + 1 + stream_bits)).count("1")
            changing_stream = bin((changing >> (k + 1)) & ((1 << stream_bits) - 1)).count("1")
        if not any((row >> (lane * width)) & mask for row in rows):
            continue  # a lane that never holds a synapse is removed
        total += min(reach, 1 << changing_index) if reach > 1 else 0
        total += (1 << changing_stream) * k if changing_stream else 0
    return total


def family_cost(structure: dict[str, Any], family: str) -> tuple[int, int]:
    """(flip-flops, block RAMs) of a :func:`layer_structure` on ``family``.

    Memories the RTL marks for block RAM become blocks, once per read port, and
    so do the other writable memories on iCE40 (it has no LUT RAM); small
    read-only memories become logic, and LUT RAMs keep their read registers in
    flip-flops.
    """
    ffs, brams = structure["ffs"], 0
    for width, depth, reads, block, rom in structure["memories"]:
        if block or (family == "ice40" and not rom):
            brams += reads * _bram_blocks(width, depth, family)
        else:
            ffs += reads * width
    return ffs, brams


@cache
def _coefficients() -> dict[str, dict[str, float]]:
    path = importlib_resources.files("compress") / "data" / "lut_model.json"
    return json.loads(path.read_text())


def estimate(plan: NetworkPlan, family: str) -> dict[str, Any]:
    """LUTs, flip-flops and block RAMs of ``plan`` on ``family``, per layer and in total.

    Parameters
    ----------
    plan : NetworkPlan
    family : {"ice40", "ecp5", "xilinx"}

    Returns
    -------
    dict
        ``{"family", "layers": [{"luts", "ffs", "brams"}, ...], "total": {...}}``;
        the total adds the top's input register and step lock.
    """
    if family not in BRAM_CONFIGS:
        raise ValueError(f"family must be one of {', '.join(BRAM_CONFIGS)}, not {family!r}")
    structures = [layer_structure(plan, layer) for layer in plan.layers]
    return estimate_structures(plan, structures, family)


def estimate_structures(
    plan: NetworkPlan, structures: list[dict[str, Any]], family: str
) -> dict[str, Any]:
    """:func:`estimate` from :func:`layer_structure` results (computed once for all families)."""
    coefficients = _coefficients()[family]
    layers = []
    for structure in structures:
        features = structure["features"]
        ffs, brams = family_cost(structure, family)
        luts = coefficients["intercept"] + sum(
            coefficients[name] * features[name] for name in FEATURES
        )
        layers.append({"luts": max(0, round(luts)), "ffs": ffs, "brams": brams})
    first = plan.layers[0]
    top_ffs = 1 + int(np.count_nonzero((first.classes != 0).any(axis=0))) + int(plan.folded)
    total = {
        "luts": sum(la["luts"] for la in layers),
        "ffs": sum(la["ffs"] for la in layers) + top_ffs,
        "brams": sum(la["brams"] for la in layers),
    }
    return {"family": family, "layers": layers, "total": total}
