"""Verilog of a plan through the Jinja2 templates (the default emitter).

:func:`~compress.hardware.structure.network_structure` decides the circuit;
this module only spells it: each structure element becomes a name, a width
and a Verilog expression, and the templates in ``hdl_templates/``
lay them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..hardware.memory import bits_for
from ..hardware.neuron import GUARD, Decay
from ..hardware.plan import NetworkPlan
from ..hardware.structure import (
    Comparator,
    ConvLayer,
    EventLayer,
    FoldedLayer,
    Leaf,
    Lfsr,
    NetworkStructure,
    Neuron,
    Node,
    Operand,
    ParallelLayer,
    Term,
    Tree,
    argmax_tree,
    at_most_one_terms,
    chunk_register_table,
    counter_module,
    counter_table,
    lfsr_ring,
    network_structure,
)
from ..hardware.styles import STYLES
from ..hardware.styles.conv import CONV_FIXED
from ..hardware.styles.event import event_fixed
from .render import render

__all__ = ["comparator_text", "counter_verilog", "render_rtl", "term_text"]


def _plural(n: int, noun: str) -> str:
    """``1 stage``, ``2 stages``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _ports(entries: list[tuple[str, int | None, str, str, bool]]) -> list[dict[str, Any]]:
    """Aligned port declarations from (direction, width, name, comment, unused) entries
    (width None: a scalar; a vector keeps its range even at one bit, as its selects need).

    ``unused`` marks ports whose bits the logic may leave unread (the template wraps them
    in a Verilator waiver).
    """
    ranges = ["" if width is None else f"[{width - 1}:0]" for _, width, _, _, _ in entries]
    rw = max(len(r) for r in ranges)
    names = [
        name + ("," if n < len(entries) - 1 else "") for n, (_, _, name, _, _) in enumerate(entries)
    ]
    nw = max(len(name) for name in names)
    out = []
    flags = [unused for *_, unused in entries]
    for n, ((direction, _, _, comment, unused), rng, name) in enumerate(
        zip(entries, ranges, names)
    ):
        text = f"{direction:<6} wire {rng:<{rw}} {name}"
        if comment:
            text = f"{text:<{13 + rw + nw}}  // {comment}"
        out.append(
            {
                "text": text.rstrip(),
                "notes": [],
                # one waiver around each run of ports the logic may leave unread
                "waive_on": unused and (n == 0 or not flags[n - 1]),
                "waive_off": unused and (n == len(flags) - 1 or not flags[n + 1]),
            }
        )
    return out


def _layer_ports(layer: ParallelLayer | FoldedLayer, weight_port: bool) -> list[dict[str, Any]]:
    entries = [
        ("input", None, "clk", "", False),
        ("input", None, "rst", "", False),
        ("input", None, "in_valid", "", False),
        (
            "input",
            layer.n_inputs,
            "in_spikes",
            "lines whose synapses were all dropped are unused",
            True,
        ),
        ("output", None, "out_valid", "", False),
        ("output", layer.n_out, "out_spikes", "", False),
        ("output", layer.n_out * layer.count_width, "out_counts", "", False),
    ]
    if layer.membranes:
        v_width = layer.neurons[0].v_width
        entries.append(("output", layer.n_out * v_width, "out_v", "every neuron's membrane", False))
    if weight_port:
        entries += [
            ("input", None, "w_en", "write row w_addr of the weight memory", False),
            ("input", layer.slot_bits, "w_addr", "", False),
            ("input", layer.memory.width, "w_data", "", False),
        ]
    return _ports(entries)


#: What each generated name means, for the legend at the top of a layer's file.
_LEGEND = {
    "lfsr": ("lfsr<r>", "LFSR register r (its state; lfsr<r>_next2: two advances ahead)"),
    "stream": ("stream<s>", "random stream s: the bits of an LFSR in a fixed order"),
    "term": (
        "s<s>_<h|l><op><c>",
        "stream s's high or low half compared with c (op: le <=, lt <, eq ==)",
    ),
    "cmp": ("cmp<s>_<m>", "stream s <= m, from those terms: one stochastic weight bit"),
    "dl": ("dl<j>", "delay line of input j: bit d-1 is x_j(t - d)"),
    "dr": ("dr<d>", "x(t - d) of the delayed lines, read from the RAM ring"),
    "tree": (
        "p<i>_<l>_<k>, n<i>_<l>_<k>",
        "node k of level l of neuron i's positive, negative popcount tree",
    ),
    "ctree": (
        "p<i>_<l>_<k>, n<i>_<l>_<k>",
        "counter k of level l of neuron i's positive, negative compressor tree (u_: its "
        "instance; _r<c>: column c's bits re-timed; the last level: the two rows' adder)",
    ),
    "count": ("count<i>, v<i>", "neuron i's count (positive - negative) and membrane"),
    "x_q": ("x_q, xvec", "the step's latched inputs; x(t - d) for every delay group"),
    "lanes": ("pos_q, neg_q", "lane bits of a slot (input AND stream <= code), by sign"),
    "acc": ("part<i>, acc<i>", "neuron i's lanes summed per slot, accumulated over the step"),
    "taps": (
        "x_q, taps",
        "the previous step's inputs (into the delay lines); x_j(t - d) of every tap",
    ),
    "rows": ("pos_q, neg_q", "lane bits of a row (stream <= code), by sign"),
    "walk": ("chunk, pend, grp", "the walk: next chunk, its taps still to read, the row's group"),
    "row": ("raddr, row, walk_end", "the row's address and data, registered; the walk's end"),
    "bank": ("acc, vbank, spk", "every neuron's count, membrane and spike, group 0 at the head"),
    "nram": ("cmem, vmem", "neuron RAM: counts and membranes, one row per group"),
    "nrec": ("spk, cnt_rec", "the step's spikes and counts by group, wired to out_*"),
    "conv_walk": (
        "pend, sa, sb, grp",
        "the walk: a segment's spikes still to visit, the row and column slot, the group",
    ),
    "conv_rows": (
        "cmem, vmem, imem",
        "counts, membranes, currents: row g*positions + position, a lane per channel",
    ),
    "conv_rec": ("spk_rec, cnt_rec", "the step's spikes and counts by row, wired to out_*"),
}


def _legend(keys: list[str]) -> list[str]:
    width = max(len(_LEGEND[k][0]) for k in keys)
    return [f"{_LEGEND[k][0]:<{width}}  {_LEGEND[k][1]}" for k in keys]


def _layer_legend(layer: ParallelLayer | FoldedLayer | EventLayer) -> list[str]:
    keys = ["lfsr"] if layer.lfsrs else []
    if isinstance(layer, ConvLayer):
        return _legend([*keys, "conv_walk", "rows", "conv_rows", "conv_rec"])
    if isinstance(layer, EventLayer):
        keys += ["taps", "walk"] + ["row"] * layer.row_register
        keys += ["dl"] * bool(layer.lines) + ["dr"] * bool(layer.ring)
        return _legend([*keys, "rows", *(("nram", "nrec") if layer.neuron_ram else ("bank",))])
    if isinstance(layer, FoldedLayer):
        keys += ["x_q"]
    else:
        keys += ["stream"] * bool(layer.streams) + ["term"] * bool(layer.terms)
        keys += ["cmp"] * bool(layer.comparators)
    keys += ["dl"] * bool(layer.lines) + ["dr"] * bool(layer.ring)
    if any(n.pos.nodes or n.neg.nodes for n in layer.neurons):
        compressor = any(node.counter for n in layer.neurons for node in n.pos.nodes + n.neg.nodes)
        keys.append("ctree" if compressor else "tree")
    if isinstance(layer, FoldedLayer):
        keys += ["lanes", "acc"]
    return _legend([*keys, "count"])


def _difference(pos: str | None, neg: str | None, width: int) -> str:
    """``pos - neg`` without dead terms (either may be missing)."""
    if pos and neg:
        return f"{pos} - {neg}"
    if pos:
        return pos
    return f"-{neg}" if neg else f"{width}'sd0"


def _extend(expr: str, width: int, target: int) -> str:
    """``expr`` (``width`` bits, unsigned) zero-extended to ``target`` bits."""
    return expr if width == target else f"{{{target - width}'b0, {expr}}}"


def _x(layer: ParallelLayer | FoldedLayer, leaf: Leaf, source: str) -> str:
    """``x_j(t - d)`` of a leaf: the bias line's 1, a bit of ``source`` or a delay tap."""
    if leaf.line == layer.bias_line:
        return "1'b1"
    if leaf.delay == 0:
        return f"{source}[{leaf.line}]"
    tap = layer.taps[(leaf.line, leaf.delay)]
    return f"{tap.signal}[{tap.bit}]"


def _leaf(layer: ParallelLayer | FoldedLayer, leaf: Leaf, source: str) -> str:
    x = _x(layer, leaf, source)
    return f"{x} & {leaf.comparator}" if leaf.comparator else x


def _operand(tree: Tree, operand: Operand, leaves: list[str]) -> str:
    if operand.bits:
        return _vector([_operand(tree, o, leaves) for o in operand.bits])
    if operand.leaf is not None:
        return leaves[operand.leaf]
    if operand.node is None:
        return "1'b0"
    return operand.node if operand.bit is None else f"{operand.node}[{operand.bit}]"


def _vector(items: list[str]) -> str:
    """``{items[-1], ..., items[0]}`` (one item alone)."""
    return "{" + ", ".join(reversed(items)) + "}" if len(items) > 1 else items[0]


def _counter(
    top: str,
    layer: ParallelLayer | FoldedLayer,
    tree: Tree,
    node: Node,
    source: str,
    leaves: list[str],
    out: str,
) -> str:
    """The instance of counter ``node`` of ``tree`` (``leaves``: its leaves' expressions),
    its count on ``out``: a gated counter takes its synapses' inputs and comparators
    apart."""
    module = counter_module(top, node.kind, len(node.operands))
    if node.kind == "count_and":
        synapses = [tree.leaves[o.leaf] for o in node.operands]
        x = _vector([_x(layer, leaf, source) for leaf in synapses])
        g = _vector([leaf.comparator or "1'b1" for leaf in synapses])
        return f"{module} u_{node.name} (.x({x}), .g({g}), .y({out}));"
    x = _vector([_operand(tree, o, leaves) for o in node.operands])
    return f"{module} u_{node.name} (.x({x}), .y({out}));"


def _nodes(
    top: str, layer: ParallelLayer | FoldedLayer, tree: Tree, source: str
) -> list[dict[str, Any]]:
    leaves = [_leaf(layer, leaf, source) for leaf in tree.leaves]
    out = []
    for node in tree.nodes:
        entry = {"name": node.name, "width": node.width, "reg": node.registered, "inst": ""}
        if node.counter:
            y = f"{node.name}_y" if node.registered else node.name
            entry["inst"] = _counter(top, layer, tree, node, source, leaves, y)
            entry["expr"] = y
        else:
            parts = [_extend(_operand(tree, o, leaves), o.width, node.width) for o in node.operands]
            entry["expr"] = " + ".join(parts)
        out.append(entry)
    return out


def _total(layer: ParallelLayer | FoldedLayer, tree: Tree, source: str, width: int) -> str | None:
    """A tree's sum as a signed ``width``-bit term (None without leaves)."""
    if tree.result is None:
        return None
    leaves = [_leaf(layer, leaf, source) for leaf in tree.leaves]
    expr = _operand(tree, tree.result, leaves)
    return f"$signed({_extend(expr, tree.result.width, width)})"


def _lfsr(lfsr: Lfsr) -> dict[str, Any]:
    return {
        "name": lfsr.name,
        "seed": lfsr.seed,
        "taps": "".join("1" if (b + 1) in lfsr.taps else "0" for b in reversed(range(lfsr.width))),
    }


def term_text(term: Term) -> str:
    """The Verilog expression of a comparator term."""
    return f"stream{term.stream}[{term.msb}:{term.lsb}] {term.op} {term.width}'d{term.const}"


def comparator_text(comparator: Comparator) -> str:
    """The Verilog expression of a comparator over its terms."""
    products = comparator.products
    if products == ((),):
        return "1'b1"
    if len(products) == 1:
        return " & ".join(products[0])
    return " | ".join(p[0] if len(p) == 1 else f"({' & '.join(p)})" for p in products)


def _digit_masks(decay: Decay | None) -> tuple[int, int]:
    """``(POS, NEG)`` bit masks of a decay's signed digits (0, 0 without one)."""
    if decay is None:
        return 0, 0
    pos = sum(1 << e for sign, e in decay.digits if sign > 0)
    neg = sum(1 << e for sign, e in decay.digits if sign < 0)
    return pos, neg


def neuron_parameters(neuron: Neuron) -> str:
    """The ``{top}_neuron`` parameters of a neuron (``CW`` ... ``RESET_SUB``), the
    arithmetic of :mod:`compress.hardware.neuron` as Verilog parameters."""
    model = neuron.model
    lpos, lneg = _digit_masks(model.leak)
    spos, sneg = _digit_masks(model.syn)
    return (
        f".CW({neuron.count_width}), .VW({neuron.v_width}), .IW({max(1, model.i_width)}), "
        f".F({model.frac_bits}), .LEAK({int(model.leak is not None)}), "
        f".L({model.leak.shift if model.leak else 0}), .LPOS(32'h{lpos:x}), .LNEG(32'h{lneg:x}), "
        f".SYN({int(model.syn_current)}), .SYN_LEAK({int(model.syn is not None)}), "
        f".SL({model.syn.shift if model.syn else 0}), .SPOS(32'h{spos:x}), .SNEG(32'h{sneg:x}), "
        f".SPIKING({int(model.spiking)}), .RESET_SUB({int(neuron.reset_sub)})"
    )


def _neuron(neuron: Neuron, speed: bool = False) -> dict[str, Any]:
    cw, vw, i = neuron.count_width, neuron.v_width, neuron.index
    frac = neuron.model.frac_bits
    count = f"$signed({{{{{vw - cw}{{count{i}[{cw - 1}]}}}}, count{i}}})"
    if frac:
        count = f"({count} <<< {frac})"
    pre = int(speed and neuron.plain)
    params = (
        f"{neuron_parameters(neuron)}, .THETA({neuron.theta}), .DRIVE({neuron.drive}), "
        f".VRESET({neuron.v_reset}), .PRE({pre})"
    )
    return {
        "index": i,
        "count": f"count{i}",
        "v": f"v{i}",
        "v_width": vw,
        "theta": neuron.theta,
        # (count << F) - theta at the membrane's width: the count sign-extended first
        "ctheta_expr": f"{count} - {vw}'sd{neuron.theta}",
        "params": params,
    }


def _source(layer: ParallelLayer | FoldedLayer | EventLayer) -> str:
    """Where a layer's undelayed input lines are: ``in_spikes``, or ``lines`` (``in_spikes``
    and the layer's own spikes of the previous step) with a recurrent edge."""
    return "lines" if layer.recurrent else "in_spikes"


def _delay_context(layer: ParallelLayer | FoldedLayer, source: str) -> dict[str, Any]:
    lines = [
        {
            "name": line.name,
            "depth": line.depth,
            "next": f"{source}[{line.line}]"
            if line.depth == 1
            else f"{{{line.name}[{line.depth - 2}:0], {source}[{line.line}]}}",
        }
        for line in layer.lines
    ]
    ring = layer.ring
    if ring is None:
        return {"lines": lines, "ram": None}
    return {
        "lines": lines,
        "ram": {
            "lines": list(ring.lines),
            "depth": ring.depth,
            "bits": ring.bits,
            "addr_bits": ring.addr_bits,
            "count_bits": ring.count_bits,
            "write_expr": "{" + ", ".join(f"{source}[{j}]" for j in reversed(ring.lines)) + "}",
            "reads": [{"delay": d} for d in ring.delays],
        },
    }


def _common(top: str, layer: ParallelLayer | FoldedLayer) -> dict[str, Any]:
    bias = layer.bias_line is not None
    return {
        "top": top,
        "name": layer.module,
        "index": layer.index,
        "n_in": layer.n_inputs,
        "lines_n": layer.n_lines,
        "recurrent": layer.recurrent,
        "membranes": layer.membranes,
        "n_x": layer.n_inputs + layer.recurrent,
        "x_source": _source(layer),
        "bias_note": f" and the always-on bias line {layer.bias_line}" if bias else "",
        "n_out": layer.n_out,
        "k": layer.k,
        "rk": layer.random_bits,
        "decorrelation_note": (
            f", {layer.random_bits}-bit LFSRs compared with codes x {layer.code_scale}"
            if layer.decorrelated
            else ""
        ),
        "cw": layer.count_width,
        "inputs_phrase": _plural(layer.n_inputs, "input"),
        "neurons_phrase": _plural(layer.n_out, "neuron"),
        "stages_phrase": _plural(
            layer.tree_stages,
            "compressor-tree stage" if layer.popcount != "adder" else "adder-tree stage",
        ),
        "legend": _layer_legend(layer),
        "pipeline": layer.pipeline,
        "synapses": layer.synapses,
        "latency": layer.latency,
        "tree_stages": layer.tree_stages,
        "registers": [_lfsr(lfsr) for lfsr in layer.lfsrs],
    }


def _tap_stream(layer: FoldedLayer | EventLayer | ConvLayer, sel: str, width: int) -> dict | None:
    """The ``tap`` stream rule's selection (``macros.j2``'s ``tap_stream``): stream ``sel``
    (``width`` bits) is register ``sel >> B`` through permutation ``sel % 2**B``; None
    under the ``code`` rule or without streams."""
    if layer.stream_rule != "tap" or not layer.streams:
        return None
    block = layer.stream_block
    registers = [lfsr.name for lfsr in layer.lfsrs]
    reg_bits = bits_for(len(registers)) if len(registers) > 1 else 0
    sw = block + reg_bits
    perms = [
        "{" + ", ".join(f"treg[{b}]" for b in reversed(layer.streams[q].bits)) + "}"
        for q in range(1 << block)
    ]
    if sw == 0:
        tsel = None
    elif width >= sw:
        tsel = "tsel_all" if width == sw else f"tsel_all[{sw - 1}:0]"
    else:
        tsel = _extend("tsel_all", width, sw)
    return {
        "sw": sw,
        "sel_all": sel,
        "sel_width": width,
        "sel": tsel,
        "registers": registers,
        "register_sel": f"tsel[{sw - 1}:{block}]" if reg_bits else "",
        "case_sel": f"tsel[{block - 1}:0]" if block else None,
        "cases": [{"q": q, "bits": block, "expr": e} for q, e in enumerate(perms)],
        "register_bits": reg_bits,
        "block": block,
    }


def _ring_context(layer: EventLayer, rk: int) -> dict | None:
    """``event.v.j2``'s LFSR ring (:func:`compress.hardware.structure.lfsr_ring`): each
    position's register (the LFSRs, then zero padding), seed, advance and source."""
    ring = lfsr_ring(layer)
    if ring is None:
        return None
    lfsrs = [_lfsr(lfsr) for lfsr in layer.lfsrs]
    names = [r["name"] for r in lfsrs]
    names += [f"lfsr_pad{p}" for p in range(ring.length - len(lfsrs))]
    for r in lfsrs:
        r["next"] = (
            r["name"]
            if rk == 1
            else (f"{{{r['name']}[{rk - 2}:0], ^({r['name']} & {rk}'b{r['taps']})}}")
        )
    return {
        "cells": [
            {
                "name": name,
                "seed": lfsrs[p]["seed"] if p < len(lfsrs) else 0,
                "src": names[(p + ring.step) % ring.length],
            }
            for p, name in enumerate(names)
        ],
        "lfsrs": lfsrs,
        "rotate": "(load | done) & ~c0",
        "step": ring.step,
        "pads": ring.length - len(lfsrs),
    }


def _chunk_registers(tap: dict | None, layer: EventLayer, low_bits: int) -> dict | None:
    """An event layer's ``tap`` selection with the chunk's registers chosen ahead
    (:func:`compress.hardware.structure.chunk_register_table`): the row picks
    ``low_i[C-1:B]``'s (a 2**(C-B)-way choice instead of one among every register),
    under the speed pipeline as it issues, into a register (``pick_ahead``)."""
    if tap is None or len(tap["registers"]) < 2:
        return tap
    block, names = tap["block"], tap["registers"]
    table = chunk_register_table(layer.chunk, layer.chunks, block, len(names))
    cands = [
        [{"chunk": c, "name": names[r]} for c, r in enumerate(regs) if r is not None]
        for regs in table
    ]
    ring = lfsr_ring(layer)
    return {
        **tap,
        "cands": cands,
        # the ring's first positions hold the chunk's candidates; else registers of their own
        "cand_names": [names[v] if ring else f"tcand{v}" for v in range(len(cands))],
        "ring": ring is not None,
        "cand_pick": f"low_i[{low_bits - 1}:{block}]" if len(cands) > 1 else "",
        "pick_ahead": layer.row_register,
        "cand_pick_bits": low_bits - block,
        "chunk_bits": layer.chunk_bits,
    }


def _stream_expr(layer: ParallelLayer | FoldedLayer, wire: Any, suffix: str = "") -> str:
    if wire.bits == tuple(range(layer.random_bits)):  # the identity order: the register itself
        return f"lfsr{wire.register}{suffix}"
    bits = reversed(range(layer.random_bits))
    return "{" + ", ".join(f"lfsr{wire.register}{suffix}[{wire.bits[b]}]" for b in bits) + "}"


def _parallel_context(top: str, layer: ParallelLayer, weight_port: bool) -> dict[str, Any]:
    speed = layer.speed
    # The speed pipeline registers the terms and the comparators ahead of time: the
    # terms are taken of the stream two steps ahead (from the LFSRs' next2 states),
    # loaded whenever the LFSRs advance, and the comparators of the terms, one step
    # later; so every comparator register equals its comparison on the current value.
    suffix = "_next2" if speed else ""
    streams = [{"name": s.name, "expr": _stream_expr(layer, s, suffix)} for s in layer.streams]
    valids = []
    prev = "in_valid"
    for stage in range(1, layer.tree_stages + 1):
        valids.append({"name": f"tree_valid{stage}", "prev": prev})
        prev = f"tree_valid{stage}"
    nodes: list[dict[str, Any]] = []
    neurons = []
    cw = layer.count_width
    source = _source(layer)
    for neuron in layer.neurons:
        nodes += _nodes(top, layer, neuron.pos, source)
        nodes += _nodes(top, layer, neuron.neg, source)
        pos = _total(layer, neuron.pos, source, cw)
        neg = _total(layer, neuron.neg, source, cw)
        neurons.append({**_neuron(neuron, speed), "count_expr": _difference(pos, neg, cw)})
    return {
        **_common(top, layer),
        **_delay_context(layer, "in_spikes"),
        "ports": _layer_ports(layer, weight_port=False),
        "streams_phrase": _plural(len(layer.streams), "LFSR stream"),
        "speed": speed,
        "streams": streams,
        "terms": [{"name": t.name, "expr": term_text(t), "init": t.init} for t in layer.terms],
        "comparators": [
            {"name": c.name, "expr": comparator_text(c), "init": c.init} for c in layer.comparators
        ],
        "valids": valids,
        "count_valid": "count_valid",
        "count_valid_prev": prev,
        "nodes": nodes,
        "neurons": neurons,
    }


def _xvec_expr(layer: FoldedLayer) -> str:
    groups = []
    for group in reversed(layer.groups):
        if group[0] is not None and group[0].delay == 0:
            groups.append("{1'b1, x_q}" if layer.bias_line is not None else "x_q")
            continue
        bits = [_x(layer, leaf, "x_q") if leaf else "1'b0" for leaf in reversed(group)]
        groups.append("{" + ", ".join(bits) + "}")
    return "{" + ", ".join(groups) + "}" if len(groups) > 1 else groups[0]


def _banks_expr(layer: FoldedLayer) -> str:
    if not layer.banks:
        return ""
    bits = [
        f"xvec[{n}]" if n is not None else "1'b0"
        for bank in reversed(layer.banks)
        for n in reversed(bank)
    ]
    return "{" + ", ".join(bits) + "}"


def _folded_neurons(
    top: str, layer: FoldedLayer
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cw, lanes, part_width = layer.count_width, layer.lanes, layer.part_width
    nodes: list[dict[str, Any]] = []
    neurons = []
    for neuron in layer.neurons:
        n = _neuron(neuron)
        i = neuron.index
        nodes += _nodes(top, layer, neuron.pos, "x_q")
        nodes += _nodes(top, layer, neuron.neg, "x_q")
        pos, neg = (_total(layer, t, "x_q", cw) for t in (neuron.pos, neuron.neg))
        constant = _difference(pos, neg, cw) if pos or neg else ""
        acc = f"acc{i}"
        n["count_expr"] = (
            acc if not constant else f"{acc} - {neg}" if not pos else f"{acc} + {constant}"
        )
        ones = [f"{{{part_width - 1}'d0, pos_q[{i * lanes + p}]}}" for p in range(lanes)]
        minus = [f"{{{part_width - 1}'d0, neg_q[{i * lanes + p}]}}" for p in range(lanes)]
        n["part_expr"] = f"$signed({' + '.join(ones)}) - $signed({' + '.join(minus)})"
        part = f"part{i}"
        if part_width < cw:
            n["part_ext"] = f"{{{{{cw - part_width}{{{part}[{part_width - 1}]}}}}, {part}}}"
        else:
            n["part_ext"] = part
        neurons.append(n)
    return nodes, neurons


def _position_streams(layer: FoldedLayer) -> dict[str, str] | None:
    """Under the ``tap`` rule, the stream of every input position as one vector (``svec``,
    position n at bits ``[n*rk +: rk]``; all ones where no stochastic synapse reads it)
    and the banked lanes' slices of it (``sbanks``), each indexed like the input bits."""
    if not layer.position_streams:
        return None
    rk = layer.random_bits
    ones = f"{{{rk}{{1'b1}}}}"
    entries = [
        _stream_expr(layer, layer.streams[s]) if s >= 0 else ones
        for s in reversed(layer.position_streams)
    ]
    banks = [
        f"svec[{n * rk} +: {rk}]" if n is not None else ones
        for bank in reversed(layer.banks)
        for n in reversed(bank)
    ]
    return {
        "svec_expr": "{" + ", ".join(entries) + "}" if len(entries) > 1 else entries[0],
        "sbanks_expr": "{" + ", ".join(banks) + "}" if banks else "",
    }


def _folded_context(top: str, layer: FoldedLayer, weight_port: bool) -> dict[str, Any]:
    rk, lanes = layer.random_bits, layer.lanes
    streams = [_stream_expr(layer, s) for s in reversed(layer.streams)] or [
        f"{{{rk}{{1'b1}}}}"  # no streams: r = all ones never fires an empty lane (code 0)
    ]
    aligned = layer.order == "aligned"
    nodes, neurons = _folded_neurons(top, layer)
    return {
        **_common(top, layer),
        **_delay_context(layer, "x_q"),
        "weight_port": weight_port,
        "ports": _layer_ports(layer, weight_port),
        "lanes_phrase": _plural(lanes, "synapse lane"),
        "slots_phrase": _plural(layer.slots, "slot"),
        "lanes": lanes,
        "slots": layer.slots,
        "slot_bits": layer.slot_bits,
        "xvec_width": layer.xvec_width,
        "banked": layer.order == "banked",
        "aligned": aligned,
        "row_layout": f"{layer.n_out} neurons x {lanes} lanes x W"
        + (f", then {lanes} lane lines x {layer.line_bits} bits" if aligned else ""),
        "groups": len(layer.groups),
        "line_bits": layer.line_bits,
        "words_width": layer.words_width,
        "fold_order": layer.order,
        "bank_width": layer.bank_width,
        "banks_expr": _banks_expr(layer),
        "xvec_expr": _xvec_expr(layer),
        "streams_width": max(1, len(layer.streams)) * rk,
        "tap_stream": _position_streams(layer),
        "level_expr": "{code, code}" if layer.decorrelated else "code",  # m * (2**k + 1)
        "streams_expr": "{" + ", ".join(streams) + "}" if len(streams) > 1 else streams[0],
        "word_width": layer.word_width,
        "mem_width": layer.memory.width,
        "mem_file": layer.memory.file,
        "block_ram": layer.memory.block,
        "stream_bits": layer.stream_bits,
        "index_bits": layer.index_bits,
        "part_width": layer.part_width,
        "nodes": nodes,
        "neurons": neurons,
    }


def _rotate(bank: str, head: str, total: int, group: int) -> str:
    """``bank`` (``total`` bits) rotated by one group of ``group`` bits, ``head`` at the top."""
    if total == group:
        return head
    return f"{{{head}, {bank}[{total - 1}:{group}]}}"


def _spram_context(layer: EventLayer) -> dict[str, Any] | None:
    """The SB_SPRAM256KA blocks of an event layer's weight memory (None: block RAM)."""
    memory = layer.memory
    if not memory.spram:
        return None
    blocks, width, address = memory.spram_blocks, memory.width, layer.slot_bits
    pad = blocks * 16 - width
    return {
        "blocks": blocks,
        "din": f"{{{pad}'b0, w_data}}" if pad else "w_data",
        "address": f"{{{14 - address}'b0, sp_addr}}" if address < 14 else "sp_addr",
    }


def _event_rom(
    name: str, values: list[int], width: int, lanes: int, index: str = "lgrp"
) -> dict[str, Any]:
    """A per-lane constant ROM of an event layer: lane ``p`` holds ``values[p::lanes]``
    (two's complement, ``width`` bits), read at the neuron group ``index``."""
    mask = (1 << width) - 1
    expr = ", ".join(f"{name}_rom{p}[{index}]" for p in reversed(range(lanes)))
    return {
        "name": name,
        "width": width,
        "depth": len(values) // lanes,
        "lanes": [
            {"index": p, "words": [f"{width}'h{v & mask:x}" for v in values[p::lanes]]}
            for p in range(lanes)
        ],
        "expr": f"{{{expr}}}" if lanes > 1 else f"{name}_rom0[{index}]",
    }


def _event_context(top: str, layer: EventLayer, weight_port: bool) -> dict[str, Any]:
    rk, lanes, groups = layer.random_bits, layer.lanes, layer.groups
    cw, vw, slots = layer.count_width, layer.v_width, layer.slot_neurons
    streams = [_stream_expr(layer, s) for s in reversed(layer.streams)] or [
        f"{{{rk}{{1'b1}}}}"  # no streams: all ones fires code M, never code 0
    ]
    bits = [_x(layer, leaf, _source(layer)) for leaf in reversed(layer.events)]
    pad = layer.chunks * layer.chunk - len(bits)
    taps = ([f"{pad}'b0"] if pad else []) + bits
    low_bits = max(1, bits_for(layer.chunk))
    masks = [f"{sum(1 << n for n in range(layer.chunk) if n >> b & 1):x}" for b in range(low_bits)]
    tap_width = layer.chunk_bits + low_bits
    addr_full = tap_width + groups.bit_length() + 1
    addr = f"{{{addr_full - tap_width}'d0, base, low_i}} * {addr_full}'d{groups}"
    if groups > 1:
        addr += f" + {{{addr_full - layer.group_bits}'d0, grp}}"
    neuron = layer.neurons[0]
    model = neuron.model
    iw = max(1, model.i_width)
    pad = slots - layer.n_out
    roms = [_event_rom("theta", [n.theta for n in layer.neurons] + [1] * pad, vw + 1, lanes)]
    if model.drives:  # read by the neuron update's first stage: a group ahead when staged
        index = "lgrp"  # staged, a group ahead (group 0 on the clock before the updates)
        if layer.row_register:
            index = "ngrp" if groups > 1 else f"{layer.group_bits}'d0"
        drives = [n.drive for n in layer.neurons] + [0] * pad
        roms.append(_event_rom("drive", drives, vw, lanes, index))
    if model.v_resets and not neuron.reset_sub:
        resets = [n.v_reset for n in layer.neurons] + [0] * pad
        roms.append(_event_rom("vreset", resets, vw, lanes))
    names = {rom["name"] for rom in roms}
    staged = layer.row_register  # the speed pipeline: registered rows, two-stage neurons
    return {
        **_common(top, layer),
        **_delay_context(layer, "x_q"),
        "drive_ahead": staged and groups > 1 and bool(model.drives),
        "sum_params": neuron_parameters(neuron).replace(".SPIKING(1)", ".SPIKING(0)"),
        "fire_params": (
            f".CW(1), .VW({vw}), .IW(1), .F(0), .LEAK(0), .L(0), .LPOS(32'h0), .LNEG(32'h0), "
            ".SYN(0), .SYN_LEAK(0), .SL(0), .SPOS(32'h0), .SNEG(32'h0), "
            f".SPIKING({int(model.spiking)}), .RESET_SUB({int(neuron.reset_sub)})"
        ),
        "weight_port": weight_port,
        "ports": _layer_ports(layer, weight_port),
        "groups_phrase": _plural(groups, "group"),
        "lanes_phrase": _plural(lanes, "neuron lane"),
        "taps_phrase": _plural(len(layer.events), "input tap"),
        "max_code": (1 << layer.k) - 1,
        "lanes": lanes,
        "groups": groups,
        "chunk": layer.chunk,
        "chunks": layer.chunks,
        "chunk_bits": layer.chunk_bits,
        "group_bits": layer.group_bits,
        "slot_bits": layer.slot_bits,
        "low_bits": low_bits,
        "low_masks": masks,
        "taps_expr": "{" + ", ".join(taps) + "}" if len(taps) > 1 else taps[0],
        "chunk_select": (
            f"tq[{layer.chunk - 1}:0]"
            if layer.capture
            else "taps"
            if layer.chunks == 1
            else f"taps[{{chunk[{bits_for(layer.chunks) - 1}:0], {low_bits}'d0}} +: {layer.chunk}]"
        ),
        "capture": layer.capture,
        "tail_loads": layer.tail_loads,
        "one_loaded": _at_most_one("loaded", layer.chunk),
        "one_rest": _at_most_one("rest", layer.chunk),
        "one_pend": _at_most_one("pend", layer.chunk),
        "takes_step": layer.takes_step,
        "ring": _ring_context(layer, rk),
        "addr_full": addr_full,
        "addr_expr": addr,
        # staged, the row's stream is selected from its tap registered with its address
        "tap_stream": _chunk_registers(
            _tap_stream(layer, "tap_r" if staged else "{base, low_i}", tap_width),
            layer,
            low_bits,
        ),
        "tap_enable": "rissue" if staged else "issue",
        "tap_width": tap_width,
        "fixed": event_fixed(layer.row_register),
        "row_register": layer.row_register,
        "depth": layer.memory.depth,
        "streams_width": max(1, len(layer.streams)) * rk,
        "streams_expr": "{" + ", ".join(streams) + "}" if len(streams) > 1 else streams[0],
        "level_expr": "{code, code}" if layer.decorrelated else "code",  # m * (2**k + 1)
        "word_width": layer.word_width,
        "mem_width": layer.memory.width,
        "mem_file": layer.memory.file,
        "block_ram": layer.memory.block,
        "spram": _spram_context(layer),
        "stream_bits": layer.stream_bits,
        "vw": vw,
        "slot_neurons": slots,
        "roms": roms,
        "syn": model.syn_current,
        "iw": iw,
        "i_in": (
            f"{'irow' if layer.neuron_ram else 'ibank'}[g*{iw} +: {iw}]"
            if model.syn_current
            else f"{iw}'sd0"
        ),
        "neuron_ram": layer.neuron_ram,
        # the neuron RAM's reads of unwritten rows read row G, never written (0)
        "zero_bits": bits_for(groups + 1),
        "caddr_wide": _widen("caddr", layer.group_bits, bits_for(groups + 1)),
        "uaddr_wide": _widen("uaddr", layer.group_bits, bits_for(groups + 1)),
        "bgrp_wide": _widen("bgrp", layer.group_bits, bits_for(groups + 1)),
        "lgrp_wide": _widen("lgrp", layer.group_bits, bits_for(groups + 1)),
        "uaddr_expr": _update_address(layer),
        "theta_in": "thetas[g*(VW+1) +: VW+1]",
        "drive_in": "drives[g*VW +: VW]" if "drive" in names else f"{vw}'sd0",
        "vreset_in": "vresets[g*VW +: VW]" if "vreset" in names else f"{vw}'sd0",
        "rotate_i": _rotate("ibank", "i_next", slots * iw, lanes * iw),
        "neuron_params": neuron_parameters(neuron),
        "rotate_acc": _rotate("acc", "acc_next", slots * cw, lanes * cw),
        "rotate_acc_keep": _rotate("acc", f"acc[{lanes * cw - 1}:0]", slots * cw, lanes * cw),
        "rotate_v": _rotate("vbank", "v_next", slots * vw, lanes * vw),
        "rotate_spk": _rotate("spk", "fire", slots, lanes),
    }


def _at_most_one(name: str, width: int) -> str:
    """Verilog: ``name`` (``width`` bits) has at most one bit set
    (:func:`~compress.hardware.structure.at_most_one_terms`)."""
    fours, pairs, four_pairs = at_most_one_terms(width)
    anys = ["(" + " | ".join(f"{name}[{b}]" for b in g) + ")" for g in fours]
    terms = [f"({name}[{a}] & {name}[{b}])" for a, b in pairs]
    terms += [f"({anys[i]} & {anys[j]})" for i, j in four_pairs]
    return "~(" + " | ".join(terms) + ")" if terms else "1'b1"


def _widen(name: str, width: int, wide: int) -> str:
    """``name`` (``width`` bits) zero-extended to ``wide`` bits."""
    return name if wide == width else f"{{{wide - width}'d0, {name}}}"


def _update_address(layer: EventLayer) -> str:
    """The row a neuron-RAM event layer's updates read: the group updated next, one
    ahead of ``lgrp``; 0 otherwise.  Under the speed pipeline, whose first stage runs a
    clock ahead, two ahead (group 1 on ``pre_lif``), and the expression is that
    address's next value, for a register: 1 after ``done_q``, 2 after ``pre_lif``,
    ``lgrp + 3`` during the updates."""
    gb, last = layer.group_bits, layer.groups - 1
    if not layer.row_register:
        return f"(lif_run & (lgrp != {gb}'d{last})) ? lgrp + {gb}'d1 : {gb}'d0"
    ahead = f"(lif_run & (lgrp < {gb}'d{last - 2})) ? lgrp + {gb}'d3 : " if last > 2 else ""
    return f"done_q ? {gb}'d1 : pre_lif ? {gb}'d{2 if last > 1 else 0} : {ahead}{gb}'d0"


def _select(name: str, index: str, slots: int, width: int) -> str:
    """Slot ``index`` of a ``slots``-slot table word (the whole word with one slot)."""
    return f"{index}*{width} +: {width}" if slots > 1 else f"{width - 1}:0"


def _rec_expr(rec: str, layer: ConvLayer, width: int) -> str:
    """``out_*`` in neuron order from a record: neuron ``(c, position)`` is lane
    ``c % lanes`` of row ``(c // lanes) * positions + position``."""
    oc = layer.geometry.out_channels
    per, lanes = layer.rows // layer.groups, layer.lanes
    parts = []
    for c in reversed(range(oc)):
        g, p = divmod(c, lanes)
        for q in reversed(range(per)):
            at = ((g * per + q) * lanes + p) * width
            parts.append(f"{rec}[{at}]" if width == 1 else f"{rec}[{at + width - 1}:{at}]")
    if len(parts) == 1:
        return parts[0]
    # 16 per line: Verilator refuses lines of more than 40,000 tokens (4096 counts)
    lines = [", ".join(parts[n : n + 16]) for n in range(0, len(parts), 16)]
    return "{" + ",\n        ".join(lines) + "}"


def _shift(rec: str, new: str, rows: int, width: int) -> str:
    """``rec`` (``rows`` rows of ``width`` bits) shifted down one row, ``new`` on top."""
    return new if rows == 1 else f"{{{new}, {rec}[{rows * width - 1}:{width}]}}"


def _segments(layer: ConvLayer) -> list[str]:
    """The walk's segments: segment ``r`` is input row ``r // segments``'s part
    ``r % segments`` (zero-padded to a segment), then zeros up to a power of two."""
    c, h, w = layer.geometry.in_shape
    seg, segs = layer.segment, layer.segments
    loads = c * h * segs
    out = []
    for r in range(1 << max(1, loads.bit_length())):
        if r >= loads:
            out.append(f"{seg}'d0")
            continue
        row, part = divmod(r, segs)
        low = row * w + part * seg
        width = min(seg, w - part * seg)
        bits = f"in_spikes[{low}]" if width == 1 else f"in_spikes[{low + width - 1}:{low}]"
        out.append(bits if width == seg else f"{{{seg - width}'b0, {bits}}}")
    return out


def _conv_context(top: str, layer: ConvLayer, weight_port: bool) -> dict[str, Any]:
    geo = layer.geometry
    c, h, w = geo.in_shape
    oc, oh, ow = geo.out_shape
    kh, kw = geo.kernel_size
    rk, lanes, groups, rows = layer.random_bits, layer.lanes, layer.groups, layer.rows
    cw, vw = layer.count_width, layer.v_width
    positions = rows // groups
    ny, nx = layer.slots
    kb, rb, gb = layer.slot_bits, layer.row_bits, layer.group_bits
    yb, xtb = max(1, bits_for(h)), max(1, bits_for(w))
    ysw = xsw = layer.slot_width
    ywords, xwords = layer.table_words()
    ytab = [f"{ny * ysw}'h{v:x}" for v in ywords]
    xtab = [f"{nx * xsw}'h{v:x}" for v in xwords]
    seg, segs = layer.segment, layer.segments
    low_bits = max(1, bits_for(seg))
    masks = [f"{sum(1 << n for n in range(seg) if n >> b & 1):x}" for b in range(low_bits)]
    loads = c * h * segs
    streams = [_stream_expr(layer, s) for s in reversed(layer.streams)] or [f"{{{rk}{{1'b1}}}}"]
    bias = layer.bias_line is not None
    bias_base = c * kh * kw * groups
    neuron = layer.neurons[0]
    model = neuron.model
    iw = max(1, model.i_width)
    pad = groups * lanes - oc
    roms = [
        _event_rom("theta", [n.theta for n in layer.neurons] + [1] * pad, vw + 1, lanes, "s2_grp")
    ]
    if model.drives:
        drives = [n.drive for n in layer.neurons] + [0] * pad
        roms.append(_event_rom("drive", drives, vw, lanes, "s2_grp"))
    if model.v_resets and not neuron.reset_sub:
        resets = [n.v_reset for n in layer.neurons] + [0] * pad
        roms.append(_event_rom("vreset", resets, vw, lanes, "s2_grp"))
    names = {rom["name"] for rom in roms}
    return {
        **_common(top, layer),
        "weight_port": weight_port,
        "ports": _layer_ports(layer, weight_port),
        "c": c,
        "h": h,
        "w": w,
        "oc": oc,
        "oh": oh,
        "ow": ow,
        "kh": kh,
        "kw": kw,
        "sy": geo.stride[0],
        "sx": geo.stride[1],
        "py": geo.padding[0],
        "px": geo.padding[1],
        "dy": geo.dilation[0],
        "dx": geo.dilation[1],
        "bias": bias,
        "bias_base": bias_base,
        "bias_addr": f"{kb}'d{bias_base} + {_extend('lgrp', gb, kb)}",
        "groups_phrase": _plural(groups, "group"),
        "lanes_phrase": _plural(lanes, "lane"),
        "max_code": (1 << layer.k) - 1,
        "lanes": lanes,
        "groups": groups,
        "rows": rows,
        "positions": positions,
        "loads": loads,
        "ny": ny,
        "nx": nx,
        "visits": ny * nx * groups,
        "fixed": CONV_FIXED,
        "ytab": ytab,
        "xtab": xtab,
        "ysw": ysw,
        "xsw": xsw,
        "ys_select": _select("yrow", "sa", ny, ysw),
        "xs_select": _select("xrow", "sb", nx, xsw),
        "iy_index": "iy_q",
        "seg": seg,
        "segs": segs,
        "sgb": max(1, bits_for(segs)),
        "ixb": max(1, w.bit_length()),
        "xtb": xtb,
        "yb": yb,
        "xseg": _segments(layer),
        "kb": kb,
        "rb": rb,
        "gb": gb,
        "pb": max(1, bits_for(positions)),
        "sab": max(1, bits_for(ny)),
        "sbb": max(1, bits_for(nx)),
        "ld_bits": max(1, loads.bit_length()),
        "kstep": kh * kw * groups,
        "tap_stream": _tap_stream(layer, "raddr", kb),
        "grp_k": _extend("grp", gb, kb),
        "low_bits": low_bits,
        "low_masks": masks,
        "clear_next": f"clr + {rb}'d1"
        if rows == 1 << rb
        else f"((clr == {rb}'d{rows - 1}) ? {rb}'d0 : clr + {rb}'d1)",
        "depth": layer.memory.depth,
        "streams_width": max(1, len(layer.streams)) * rk,
        "streams_expr": "{" + ", ".join(streams) + "}" if len(streams) > 1 else streams[0],
        "level_expr": "{code, code}" if layer.decorrelated else "code",
        "word_width": layer.word_width,
        "mem_width": layer.memory.width,
        "mem_file": layer.memory.file,
        "block_ram": layer.memory.block,
        "stream_bits": layer.stream_bits,
        "vw": vw,
        "roms": roms,
        "syn": model.syn_current,
        "iw": iw,
        "i_in": f"fresh ? {iw}'sd0 : idata[g*{iw} +: {iw}]" if model.syn_current else f"{iw}'sd0",
        "theta_in": "thetas[g*(VW+1) +: VW+1]",
        "drive_in": "drives[g*VW +: VW]" if "drive" in names else f"{vw}'sd0",
        "vreset_in": "vresets[g*VW +: VW]" if "vreset" in names else f"{vw}'sd0",
        "neuron_params": neuron_parameters(neuron),
        "shift_spk": _shift("spk_rec", "fire", rows, lanes),
        "shift_cnt": _shift("cnt_rec", "c_next", rows, lanes * cw),
        "shift_v": _shift("v_rec", "v_next", rows, lanes * vw),
        "spikes_expr": _rec_expr("spk_rec", layer, 1),
        "counts_expr": _rec_expr("cnt_rec", layer, cw),
        "v_expr": _rec_expr("v_rec", layer, vw),
    }


def _top_layer(
    layer: ParallelLayer | FoldedLayer | EventLayer, last: bool, weight_port: bool
) -> dict:
    index, folded = layer.index, STYLES[layer.style].has_memory
    return {
        "index": index,
        "module": layer.module,
        "n_out": layer.n_out,
        "cw": layer.count_width,
        "in_valid": _first_input(layer, "in_valid & in_ready", "l0_in_valid")
        if index == 0
        else f"l{index - 1}_valid",
        "in_spikes": _first_input(layer, "in_spikes", "l0_in_spikes")
        if index == 0
        else f"l{index - 1}_spikes",
        "last": last,
        "membranes": layer.membranes,
        "vw": layer.neurons[0].v_width,
        "mem_file": f"layer{index}.hex" if folded else "",
        "write": weight_port and folded,
        "addr_bits": layer.slot_bits if folded else 0,
        "data_bits": layer.memory.width if folded else 0,
    }


def _first_input(layer: ParallelLayer | FoldedLayer | EventLayer, captured: str, held: str) -> str:
    """The first layer's input: the top's own signal when the layer captures it
    (:attr:`EventLayer.takes_step`), else the top's register of it."""
    return captured if layer.takes_step else held


def _top_ports(structure: NetworkStructure, plan: NetworkPlan) -> list[dict[str, Any]]:
    cw, widths = structure.count_width, structure.port_widths
    entries = [
        ("input", None, "clk", "", False),
        ("input", None, "rst", "", False),
        ("input", None, "in_valid", "", False),
        ("output", None, "in_ready", "", False),
        (
            ("input", structure.n_in * structure.encoder.bits, "in_features", "", False)
            if structure.encoder
            else ("input", structure.n_in, "in_spikes", "", False)
        ),
    ]
    if structure.events:
        entries[2:5] = [
            ("input", None, "ev_valid", "", False),
            ("output", None, "ev_ready", "", False),
            (
                "input",
                structure.events.width,
                "ev_addr",
                "{channel, y, x}",
                not any(structure.events.fields),  # a single input: no address bits
            ),
            ("input", None, "ev_end", "this beat closes the step (no address)", False),
        ]
    entries += [
        ("output", None, "out_valid", "", False),
        ("output", structure.n_out, "out_spikes", "", False),
        ("output", structure.n_out * cw, "out_counts", "", False),
    ]
    if plan.window:
        entries += [
            ("output", None, "class_valid", "a window's class and sums, one clock", False),
            ("output", plan.class_width, "out_class", "", False),
            ("output", plan.n_out * plan.sum_width, "out_sums", "", False),
        ]
    if structure.weight_port:
        entries += [
            ("input", None, "w_en", "", False),
            ("input", widths["w_layer"], "w_layer", "", True),
            ("input", widths["w_addr"], "w_addr", "narrower memories use the low bits", True),
            ("input", widths["w_data"], "w_data", "", True),
        ]
    ports = _ports(entries)
    if structure.weight_port:
        ports[-4]["notes"] = [  # above w_en
            "Weight reload: while idle, w_en writes w_data into row w_addr of layer w_layer's",
            'weight memory (rows and their format: design.json "mem"); later steps use it.',
        ]
    return ports


def _encoder_context(structure: NetworkStructure) -> dict[str, Any] | None:
    encoder = structure.encoder
    if encoder is None:
        return None
    bits = encoder.bits
    streams = []
    for wire in encoder.streams:
        register = encoder.lfsrs[wire.register].name
        if wire.bits == tuple(range(bits)):
            expr = register
        else:
            expr = (
                "{" + ", ".join(f"{register}[{wire.bits[b]}]" for b in reversed(range(bits))) + "}"
            )
        streams.append({"name": wire.name, "expr": expr})
    if encoder.kind == "vdc":
        compares = [
            f"((enc_v ^ {bits}'d{mask}) < in_features[{j * bits + bits - 1}:{j * bits}])"
            for j, mask in reversed(list(enumerate(encoder.masks)))
        ]
        return {
            "bits": bits,
            "vdc": True,
            "reversed": "{" + ", ".join(f"enc_t[{b}]" for b in range(bits)) + "}",
            "registers": [],
            "streams": [],
            "spikes_expr": "{" + ", ".join(compares) + "}" if len(compares) > 1 else compares[0],
        }
    compares = [
        f"(enc_r{j} <= in_features[{j * bits + bits - 1}:{j * bits}])"
        for j in reversed(range(structure.n_in))
    ]
    return {
        "bits": bits,
        "vdc": False,
        "registers": [_lfsr(lfsr) for lfsr in encoder.lfsrs],
        "streams": streams,
        "spikes_expr": "{" + ", ".join(compares) + "}" if len(compares) > 1 else compares[0],
    }


def _events_context(structure: NetworkStructure) -> dict[str, Any] | None:
    """The address-event input: ``ev_addr``'s fields, the input index and the range check."""
    events = structure.events
    if events is None:
        return None
    c, h, w = events.shape
    wide = events.width + h.bit_length() + w.bit_length() + 1
    fields, low = [], 0
    for name, bits in reversed(list(zip("cyx", events.fields, strict=True))):
        if bits:
            fields.append({"name": name, "bits": bits, "low": low, "high": low + bits - 1})
        low += bits
    have = {f["name"]: f for f in fields}

    def operand(name: str) -> str:
        return _extend(f"ev_{name}", have[name]["bits"], wide) if name in have else ""

    index = ""
    for name, size in (("c", 1), ("y", h), ("x", w)):
        term = operand(name)
        if index:
            index = f"({index}) * {wide}'d{size}" if size > 1 else index
            index = f"{index} + {term}" if term else index
        else:
            index = term
    inside = [
        f"(ev_{n} < {have[n]['bits']}'d{size})"
        for n, size in zip("cyx", (c, h, w))
        if n in have and size < 1 << have[n]["bits"]
    ]
    return {
        "c": c,
        "h": h,
        "w": w,
        "fields": list(reversed(fields)),
        "wide": wide,
        "index_expr": index or f"{wide}'d0",
        "index_bits": events.index_bits,
        "inside": " & ".join(inside) or "1'b1",
    }


def _readout_context(plan: NetworkPlan) -> dict[str, Any] | None:
    if not plan.window:
        return None
    sw, cb, n_out = plan.sum_width, plan.class_width, plan.n_out
    if plan.reads_membranes:
        cw, last = plan.layers[-1].v_width, f"l{len(plan.layers) - 1}_v"
    else:
        cw, last = plan.count_width, f"l{len(plan.layers) - 1}_counts"

    def extended(i: int) -> str:
        field = f"{last}[{i * cw + cw - 1}:{i * cw}]"
        if sw == cw:
            return f"$signed({field})"
        return f"$signed({{{{{sw - cw}{{{last}[{i * cw + cw - 1}]}}}}, {field}}})"

    neurons = [{"index": i, "count": extended(i)} for i in range(n_out)]
    # the registered argmax tournament: level 0 reads out_sums_q, level k its winners
    levels, tree = [], argmax_tree(n_out)
    for k, pairs in enumerate(tree, start=1):
        nodes = []
        for j, (a, b) in enumerate(pairs):
            av, ai = _entry(k - 1, a, sw, cb)
            bv, bi = _entry(k - 1, b, sw, cb) if b is not None else ("", "")
            nodes.append({"j": j, "av": av, "ai": ai, "bv": bv, "bi": bi})
        # the final winner's value is never compared again: only its index is kept
        levels.append({"k": k, "nodes": nodes, "value": k < len(tree)})
    return {
        "what": {
            "argmax": "Window sums of the last layer's counts",
            "membrane": "The last layer's membranes at the window's last step",
            "membrane-sum": "Window sums of the last layer's membranes",
        }[plan.readout],
        "accumulate": plan.readout != "membrane",
        "window": plan.window,
        "wb": plan.window.bit_length(),
        "sw": sw,
        "cb": cb,
        "n_out": n_out,
        "neurons": neurons,
        "levels": levels,
        "best": f"t{len(levels)}_i0" if levels else f"{cb}'d0",
        "sums_expr": "{" + ", ".join(f"sum{i}" for i in reversed(range(n_out))) + "}",
    }


def _entry(level: int, index: int, sw: int, cb: int) -> tuple[str, str]:
    """Value and class index of entry ``index`` of the argmax tournament's ``level``
    (level 0: ``out_sums_q``, neuron ``index``)."""
    if level == 0:
        return f"$signed(out_sums_q[{index * sw + sw - 1}:{index * sw}])", f"{cb}'d{index}"
    return f"t{level}_v{index}", f"t{level}_i{index}"


#: Each layer style's template context, by style name (its template is the style's).
CONTEXTS: dict[str, Callable[[str, Any, bool], dict[str, Any]]] = {
    "full": _parallel_context,
    "folded": _folded_context,
    "event": _event_context,
    "conv": _conv_context,
}


def counter_verilog(top: str, kind: str, inputs: int) -> tuple[str, str]:
    """``(module name, Verilog)`` of the ``kind`` counter of ``inputs`` bits
    (:func:`~compress.hardware.structure.counter_module`, ``count.v.j2``)."""
    name = counter_module(top, kind, inputs)
    text = render(
        "count.v.j2",
        name=name,
        m=inputs,
        w=inputs.bit_length(),
        gated=kind == "count_and",
        table=counter_table(inputs),
    )
    return name, text


def render_rtl(plan: NetworkPlan) -> dict[str, str]:
    """Verilog files of ``plan``: ``{file name: text}``, one module per file."""
    structure = network_structure(plan)
    top = structure.top
    files = {
        f"{top}_lfsr.v": render("lfsr.v.j2", top=top),
        f"{top}_lif.v": render("lif.v.j2", top=top),
        f"{top}_neuron.v": render("neuron.v.j2", top=top),
        f"{top}_decay.v": render("decay.v.j2", top=top, guard=GUARD),
    }
    for kind, inputs in structure.counters:
        name, text = counter_verilog(top, kind, inputs)
        files[f"{name}.v"] = text
    for layer in structure.layers:
        context = CONTEXTS[layer.style](top, layer, plan.weight_port)
        files[f"{layer.module}.v"] = render(STYLES[layer.style].template, **context)
    last = len(structure.layers) - 1
    files[f"{top}.v"] = render(
        "top.v.j2",
        top=top,
        sizes="-".join(str(n) for n in (plan.n_in, *(layer.n_out for layer in plan.layers))),
        latency=structure.latency,
        locked=structure.locked,
        memory=plan.has_memory,
        variable=plan.variable,
        weight_port=structure.weight_port,
        ports=_top_ports(structure, plan),
        encoder=_encoder_context(structure),
        events=_events_context(structure),
        readout=_readout_context(plan),
        reset="net_rst" if plan.window else "rst",
        wp=structure.port_widths,
        kind="one step at a time (folded, event-driven or recurrent layers)"
        if structure.locked
        else "fully parallel, one step per clock",
        n_in=structure.n_in,
        n_out=structure.n_out,
        cw=structure.count_width,
        capture=structure.takes_step,
        layers=[
            _top_layer(layer, layer.index == last, structure.weight_port)
            for layer in structure.layers
        ],
        last=f"l{last}",
    )
    return files
