"""Render the Verilog of a :class:`~compress.hardware.plan.NetworkPlan`.

Python computes every name, width and expression; the Jinja2 templates in
``hdl_templates`` only lay them out (StrictUndefined, so a missing value is an
error that names the template).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..hardware.lfsr import TAPS
from ..hardware.plan import CONSTANT, STOCHASTIC, LayerPlan, NetworkPlan
from .render import render

__all__ = ["BLOCK_RAM_MIN_BITS", "fold_words", "render_rtl"]


@dataclass
class _Item:
    expr: str  # a signal name or a 1-bit expression
    width: int
    top: int  # largest value it can hold


def _extend(item: _Item, width: int) -> str:
    if item.width == width:
        return item.expr
    return f"{{{width - item.width}'b0, {item.expr}}}"


def _tree(
    leaves: list[str],
    levels: int,
    registered_levels: tuple[int, ...],
    prefix: str,
    nodes: list[dict[str, Any]],
) -> _Item | None:
    """Pairwise adder tree over 1-bit leaves; the levels in ``registered_levels`` are registers."""
    if not leaves:
        return None
    items = [_Item(leaf, 1, 1) for leaf in leaves]
    for level in range(1, levels + 1):
        registered = level in registered_levels
        out: list[_Item] = []
        for pos in range(0, len(items), 2):
            pair = items[pos : pos + 2]
            top = sum(item.top for item in pair)
            width = top.bit_length()
            if len(pair) == 2:
                expr = f"{_extend(pair[0], width)} + {_extend(pair[1], width)}"
            elif registered:
                expr = pair[0].expr
            else:
                out.append(pair[0])
                continue
            name = f"{prefix}_{level}_{pos // 2}"
            nodes.append({"name": name, "width": width, "expr": expr, "reg": registered})
            out.append(_Item(name, width, top))
        items = out
    (result,) = items
    return result


#: Comparators wider than this are split into a high and a low half.
SPLIT_ABOVE = 4

_OPS = {"<=": int.__le__, "==": int.__eq__, "<": int.__lt__}


def _comparators(
    k: int, pairs: list[tuple[int, int]], initial: dict[int, int]
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Comparator wires ``r <= m`` for (stream, code) pairs and the registered terms they use.

    A ``k``-bit comparison with a constant costs a carry chain on LUT4 families.
    Above :data:`SPLIT_ABOVE` bits it is split: with ``r = (h, l)`` and
    ``m = (a, b)``, ``r <= m`` is ``h < a | (h == a & l <= b)``.  The half
    comparisons (each narrow enough for one LUT) are shared by every comparator
    on the stream, so a comparator costs one 3-input gate, which the synthesis
    tools merge with the synapse's AND.  Terms that are constant for a given
    ``a`` or ``b`` are left out.

    ``initial`` maps each stream to the value the terms are taken of at reset,
    which gives their ``init`` bits (used when they are registers).
    """
    lo = (k + 1) // 2 if k > SPLIT_ABOVE else k
    hi = k - lo
    b_max = (1 << lo) - 1
    terms: dict[str, dict[str, Any]] = {}
    comparators = []

    def term(s: int, part: str, op: str, const: int) -> str:
        tag = {"<=": "le", "==": "eq", "<": "lt"}[op]
        name = f"s{s}_{part}{tag}{const}"
        if name not in terms:
            if part == "h":
                select, value, width = f"[{k - 1}:{lo}]", initial[s] >> lo, hi
            else:
                select, value, width = f"[{lo - 1}:0]", initial[s] & b_max, lo
            terms[name] = {
                "name": name,
                "expr": f"stream{s}{select} {op} {width}'d{const}",
                "init": int(_OPS[op](value, const)),
            }
        return name

    for s, m in pairs:
        a, b = m >> lo, m & b_max
        if hi == 0:
            expr = "1'b1" if m == b_max else term(s, "l", "<=", m)
        elif b == b_max and a == (1 << hi) - 1:  # r <= M: always (a baseline's full code)
            expr = "1'b1"
        elif b == b_max:  # l <= b always holds: r <= m is h <= a
            expr = term(s, "h", "<=", a)
        else:
            expr = f"{term(s, 'h', '==', a)} & {term(s, 'l', '<=', b)}"
            if a > 0:
                expr = f"{term(s, 'h', '<', a)} | ({expr})"
        comparators.append({"name": f"cmp{s}_{m}", "expr": expr})
    return comparators, [terms[name] for name in sorted(terms)]


def _delays(
    layer: LayerPlan, source: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[tuple[int, int], str]]:
    """The layer's delay buffers: shift-register lines, or a RAM ring (``layer.delay_ram``).

    ``source`` is the vector shifted in at each accepted step (``in_spikes`` in a
    fully parallel layer, ``x_q`` in a folded one).  Returns the shift-register
    lines, the RAM context (or None) and the Verilog of ``x(t - d)`` for every
    (line, delay >= 1) a synapse uses.
    """
    used = sorted(
        {
            (int(j), int(layer.delays[i, j]))
            for i, j in zip(*np.nonzero((layer.classes != 0) & (layer.delays > 0)), strict=True)
        }
    )
    if not layer.delay_ram:
        lines = []
        for j, depth in enumerate(layer.line_depths):
            if depth:
                name = f"dl{j}"
                src = f"{source}[{j}]"
                nxt = src if depth == 1 else f"{{{name}[{depth - 2}:0], {src}}}"
                lines.append({"name": name, "depth": depth, "next": nxt})
        return lines, None, {(j, d): f"dl{j}[{d - 1}]" for j, d in used}
    delayed = [j for j, depth in enumerate(layer.line_depths) if depth]
    pos = {j: n for n, j in enumerate(delayed)}
    depth = max(layer.line_depths)
    ram = {
        "lines": delayed,
        "depth": depth,
        "bits": depth * len(delayed),
        "addr_bits": max(1, _bits_for(depth)),
        "count_bits": depth.bit_length(),
        "write_expr": "{" + ", ".join(f"{source}[{j}]" for j in reversed(delayed)) + "}",
        "reads": [{"delay": d} for d in sorted({d for _, d in used})],
    }
    return [], ram, {(j, d): f"dr{d}[{pos[j]}]" for j, d in used}


def _registers(layer: LayerPlan) -> list[dict[str, Any]]:
    k = layer.lfsr_width
    return [
        {
            "name": f"lfsr{r}",
            "seed": seed,
            "taps": "".join("1" if (b + 1) in TAPS[k] else "0" for b in reversed(range(k))),
        }
        for r, seed in enumerate(layer.seeds)
    ]


def _neuron(layer: LayerPlan, i: int) -> dict[str, Any]:
    return {
        "index": i,
        "count": f"count{i}",
        "v": f"v{i}",
        "v_width": layer.v_width,
        "theta": layer.thresholds[i],
        # count - theta at the membrane's width: the count sign-extended first
        "ctheta_expr": f"$signed({{{{{layer.v_width - layer.count_width}{{count{i}"
        f"[{layer.count_width - 1}]}}}}, count{i}}}) - {layer.v_width}'sd{layer.thresholds[i]}",
        "leak": layer.leak_shift or 0,
        "reset_sub": int(layer.reset == "subtract"),
    }


def _line(layer: LayerPlan, j: int, source: str) -> str:
    """Input line ``j`` now: a bit of ``source``, or the bias line's constant 1."""
    return "1'b1" if layer.bias and j == layer.n_in - 1 else f"{source}[{j}]"


def _common(top: str, layer: LayerPlan) -> dict[str, Any]:
    return {
        "top": top,
        "name": f"{top}_layer{layer.index}",
        "index": layer.index,
        "n_in": layer.n_inputs,  # the in_spikes port
        "lines_n": layer.n_in,  # input lines, the bias line included
        "bias_note": f" and the always-on bias line {layer.n_in - 1}" if layer.bias else "",
        "n_out": layer.n_out,
        "k": layer.k,  # code bits
        "rk": layer.lfsr_width,  # random-value bits
        "decorrelation_note": (
            f", {layer.lfsr_width}-bit LFSRs compared with codes x {layer.code_scale}"
            if layer.decorrelated
            else ""
        ),
        "cw": layer.count_width,
        "pipeline": layer.pipeline,
        "synapses": layer.class_counts(),
        "latency": layer.latency,
        "tree_stages": layer.tree_stages,
        "registers": _registers(layer),
    }


@lru_cache(maxsize=8)  # the build renders a layer, then estimates its resources
def _layer_context(top: str, layer: LayerPlan) -> dict[str, Any]:
    k = layer.lfsr_width  # the random values' width (the comparators')
    classes = layer.classes
    speed = layer.pipeline == "speed"
    # The speed pipeline registers the terms and the comparators ahead of time: the
    # terms are taken of the stream two steps ahead (from the LFSRs' next2 states),
    # loaded whenever the LFSRs advance, and the comparators of the terms, one step
    # later; so every comparator register equals its comparison on the current value.
    source = "_next2" if speed else ""
    streams = [
        {
            "name": f"stream{s}",
            "expr": "{"
            + ", ".join(f"lfsr{d.register}{source}[{d.perm[b]}]" for b in reversed(range(k)))
            + "}",
        }
        for s, d in enumerate(layer.stream_defs)
    ]
    lines, ram, tap = _delays(layer, "in_spikes")
    stochastic = classes == STOCHASTIC
    levels = layer.levels  # the codes as compared: scaled when decorrelated
    pairs = sorted(set(zip(layer.streams[stochastic].tolist(), levels[stochastic].tolist())))
    tables = layer.stream_tables()
    initial = {s: int(t[(1 if speed else 0) % len(t)]) for s, t in enumerate(tables)}
    comparators, cmp_terms = _comparators(k, pairs, initial)
    # A stream whose every comparison is constant (r <= M in the baseline) needs no wire.
    read = {t["expr"].split("[", 1)[0] for t in cmp_terms}
    streams = [s for s in streams if s["name"] in read]
    for c, (s, m) in zip(comparators, pairs):
        c["init"] = int(tables[s][0] <= m)
    valids = []
    prev = "in_valid"
    for stage in range(1, layer.tree_stages + 1):
        valids.append({"name": f"tree_valid{stage}", "prev": prev})
        prev = f"tree_valid{stage}"
    valids.append({"name": "count_valid", "prev": prev})
    nodes: list[dict[str, Any]] = []
    neurons = []
    cw = layer.count_width
    for i in range(layer.n_out):
        polarity: dict[int, list[str]] = {1: [], -1: []}
        for j in np.flatnonzero(classes[i] != 0):
            d = int(layer.delays[i, j])
            x = _line(layer, int(j), "in_spikes") if d == 0 else tap[(int(j), d)]
            if classes[i, j] == CONSTANT:
                leaf = x
            else:
                leaf = f"{x} & cmp{layer.streams[i, j]}_{levels[i, j]}"
            polarity[int(layer.signs[i, j])].append(leaf)
        regs = layer.registered_levels
        pos = _tree(polarity[1], layer.tree_levels, regs, f"p{i}", nodes)
        neg = _tree(polarity[-1], layer.tree_levels, regs, f"n{i}", nodes)
        terms = [
            "$signed(" + (_extend(item, cw) if item else f"{cw}'d0") + ")" for item in (pos, neg)
        ]
        neurons.append({**_neuron(layer, i), "count_expr": f"{terms[0]} - {terms[1]}"})
    return {
        **_common(top, layer),
        "speed": speed,
        "streams": streams,
        "lines": lines,
        "ram": ram,
        "terms": cmp_terms,
        "comparators": comparators,
        "valids": valids[:-1],
        "count_valid": "count_valid",
        "count_valid_prev": valids[-1]["prev"],
        "nodes": nodes,
        "neurons": neurons,
    }


#: Folded weight memories of at least this many bits get ``(* ram_style = "block" *)``;
#: smaller ones are left to the synthesis tool (LUT RAM or logic).
BLOCK_RAM_MIN_BITS = 4096


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
    index_bits, stream_bits = _fold_fields(layer)
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
            base, line_bits = layer.n_out * lanes * width, _line_bits(layer)
            for p in range(lanes):
                row |= max(0, int(layer.schedule[:, s, p].max())) << (base + p * line_bits)
        rows.append(row)
    shared = lanes * _line_bits(layer) if layer.fold_order == "aligned" else 0
    return width, layer.n_out * lanes * width + shared, tuple(rows)


def _line_bits(layer: LayerPlan) -> int:
    """Bits of an aligned lane's shared line number."""
    return max(1, _bits_for(layer.n_in))


def _bank_size(layer: LayerPlan) -> int:
    """Inputs a lane can reach per delay group: all of them (compact) or one bank."""
    if layer.fold_order == "banked":
        return -(-layer.n_in // layer.parallelism)
    if layer.fold_order == "aligned":
        return 1
    return layer.n_in


def _lane_index(layer: LayerPlan, group: int, j: int) -> int:
    """A word's input field: delay group and line, within the lane's reach."""
    if layer.fold_order == "banked":
        return group * _bank_size(layer) + j // layer.parallelism
    return group * _bank_size(layer) + (0 if layer.fold_order == "aligned" else j)


def _fold_fields(layer: LayerPlan) -> tuple[int, int]:
    """Bits of a folded word's input and stream fields (aligned: 0 with one delay group)."""
    reach = len(layer.delay_values) * _bank_size(layer)
    index_bits = _bits_for(reach) if layer.fold_order == "aligned" else max(1, _bits_for(reach))
    return index_bits, _bits_for(len(layer.stream_defs))


def _bits_for(n: int) -> int:
    """Bits of an index into ``n`` things (0 for a single thing)."""
    return (n - 1).bit_length()


@lru_cache(maxsize=8)
def _folded_context(top: str, layer: LayerPlan) -> dict[str, Any]:
    cw, lanes = layer.count_width, layer.parallelism
    classes = layer.classes
    context = _common(top, layer)
    neurons = [_neuron(layer, i) for i in range(layer.n_out)]
    lines, ram, tap = _delays(layer, "x_q")
    groups = []
    for d in reversed(layer.delay_values):
        if d == 0:
            groups.append("{1'b1, x_q}" if layer.bias else "x_q")
            continue
        bits = [tap.get((j, d), "1'b0") for j in reversed(range(layer.n_in))]
        groups.append("{" + ", ".join(bits) + "}")
    xvec_width = len(layer.delay_values) * layer.n_in
    rk = layer.lfsr_width
    streams = [
        "{" + ", ".join(f"lfsr{d.register}[{d.perm[b]}]" for b in reversed(range(rk))) + "}"
        for d in reversed(layer.stream_defs)
    ] or [f"{{{rk}{{1'b1}}}}"]  # no streams: r = all ones never fires an empty lane (code 0)
    word_width, mem_width, _ = fold_words(layer)
    groups_n = len(layer.delay_values)
    bank = _bank_size(layer)
    if layer.fold_order == "banked":  # lane p reaches the lines j with j % P == p
        banks = []
        for p in reversed(range(lanes)):
            for g in reversed(range(groups_n)):
                for b in reversed(range(bank)):
                    j = b * lanes + p
                    banks.append(f"xvec[{g * layer.n_in + j}]" if j < layer.n_in else "1'b0")
        banks_expr = "{" + ", ".join(banks) + "}"
    else:
        banks_expr = ""
    aligned = layer.fold_order == "aligned"
    # A neuron's partial sum is at most its widest polarity's synapses, which the count
    # holds: never wider than the count.
    part_width = min(lanes.bit_length() + 1, cw)
    nodes: list[dict[str, Any]] = []
    regs = layer.registered_levels
    for n in neurons:
        i = n["index"]
        polarity: dict[int, list[str]] = {1: [], -1: []}
        for j in np.flatnonzero(classes[i] == CONSTANT):
            d = int(layer.delays[i, j])
            x = _line(layer, int(j), "x_q") if d == 0 else tap[(int(j), d)]
            polarity[int(layer.signs[i, j])].append(x)
        pos = _tree(polarity[1], layer.tree_levels, regs, f"p{i}", nodes)
        neg = _tree(polarity[-1], layer.tree_levels, regs, f"n{i}", nodes)
        n["const_expr"] = " - ".join(
            "$signed(" + (_extend(item, cw) if item else f"{cw}'d0") + ")" for item in (pos, neg)
        )
        ones = [f"{{{part_width - 1}'d0, pos_q[{i * lanes + p}]}}" for p in range(lanes)]
        minus = [f"{{{part_width - 1}'d0, neg_q[{i * lanes + p}]}}" for p in range(lanes)]
        n["part_expr"] = f"$signed({' + '.join(ones)}) - $signed({' + '.join(minus)})"
        part = f"part{i}"
        if part_width < cw:
            n["part_ext"] = f"{{{{{cw - part_width}{{{part}[{part_width - 1}]}}}}, {part}}}"
        else:
            n["part_ext"] = part
    context.update(
        lanes=lanes,
        slots=layer.slots,
        slot_bits=max(1, _bits_for(layer.slots)),
        lines=lines,
        ram=ram,
        xvec_width=xvec_width,
        banked=layer.fold_order == "banked",
        aligned=aligned,
        row_layout=f"{layer.n_out} neurons x {lanes} lanes x W"
        + (f", then {lanes} lane lines x {_line_bits(layer)} bits" if aligned else ""),
        groups=groups_n,
        line_bits=_line_bits(layer),
        words_width=layer.n_out * lanes * word_width,
        fold_order=layer.fold_order,
        bank_width=groups_n * bank,
        banks_expr=banks_expr,
        xvec_expr="{" + ", ".join(groups) + "}" if len(groups) > 1 else groups[0],
        streams_width=max(1, len(layer.stream_defs)) * rk,
        level_expr="{code, code}" if layer.decorrelated else "code",  # m * (2**k + 1)
        streams_expr="{" + ", ".join(streams) + "}" if len(streams) > 1 else streams[0],
        word_width=word_width,
        mem_width=mem_width,
        mem_file=f"mem/layer{layer.index}.hex",
        block_ram=mem_width * layer.slots >= BLOCK_RAM_MIN_BITS,
        stream_bits=_fold_fields(layer)[1],
        index_bits=_fold_fields(layer)[0],
        part_width=part_width,
        nodes=nodes,
        neurons=neurons,
    )
    return context


def render_rtl(plan: NetworkPlan) -> dict[str, str]:
    """Verilog files of ``plan``: ``{file name: text}``, one module per file."""
    top = plan.top
    files = {
        f"{top}_lfsr.v": render("lfsr.v.j2", top=top),
        f"{top}_lif.v": render("lif.v.j2", top=top),
    }
    layers = []
    for layer in plan.layers:
        if layer.folded:
            context = _folded_context(top, layer)
            files[f"{context['name']}.v"] = render(
                "folded.v.j2", **context, weight_port=plan.weight_port
            )
        else:
            context = _layer_context(top, layer)
            files[f"{context['name']}.v"] = render("layer.v.j2", **context)
        index = layer.index
        layers.append(
            {
                "index": index,
                "module": context["name"],
                "n_out": layer.n_out,
                "cw": layer.count_width,
                "in_valid": "l0_in_valid" if index == 0 else f"l{index - 1}_valid",
                "in_spikes": "l0_in_spikes" if index == 0 else f"l{index - 1}_spikes",
                "last": index == len(plan.layers) - 1,
                "mem_file": f"layer{index}.hex" if layer.folded else "",
                "write": plan.weight_port and layer.folded,
                "addr_bits": max(1, _bits_for(layer.slots)) if layer.folded else 0,
                "data_bits": fold_words(layer)[1] if layer.folded else 0,
            }
        )
    files[f"{top}.v"] = render(
        "top.v.j2",
        top=top,
        sizes="-".join(str(n) for n in (plan.n_in, *(layer.n_out for layer in plan.layers))),
        latency=plan.latency,
        locked=any(layer.folded for layer in plan.layers),
        weight_port=plan.weight_port,
        wp=plan.weight_port_widths() if plan.weight_port else {},
        kind="with folded layers, one step at a time"
        if any(layer.folded for layer in plan.layers)
        else "fully parallel, one step per clock",
        n_in=plan.n_in,
        n_out=plan.n_out,
        cw=plan.count_width,
        layers=layers,
        last=f"l{len(plan.layers) - 1}",
    )
    return files
