"""Reports of a compression run, as plain data and as Markdown text."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from ..model.passes import CompressionResult

__all__ = ["compression_dict", "compression_markdown"]


def compression_dict(result: CompressionResult) -> dict[str, Any]:
    """Every step's report and the final per-layer synapse classes, JSON-ready."""
    cfg = result.config
    return {
        "config": dataclasses.asdict(cfg),
        "steps": [
            {"name": s.name, "report": None if s.report is None else s.report.to_dict()}
            for s in result.steps
        ],
        "layers": result.summary(),
    }


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return lines


def _steps_table(steps: list[dict[str, Any]]) -> list[str]:
    """The compression steps that ran and what each pruned (from :func:`compression_dict`)."""
    rows = []
    for step in steps:
        r = step["report"]
        if r is None:
            rows.append([step["name"], "-", "-", "-", "-", "-"])
        else:
            rows.append(
                [
                    step["name"],
                    r["pruned_params"],
                    r["pruned_neurons"],
                    r["constant_zero"],
                    r["constant_one"],
                    f"{r['sparsity']:.1%}",
                ]
            )
    return _table(
        ["step", "pruned weights", "pruned neurons", "constant 0", "constant 1", "sparsity after"],
        rows,
    )


def compression_markdown(result: CompressionResult) -> str:
    """A Markdown page: the steps that ran and the synapse classes per layer."""
    cfg = result.config
    lines = [
        "# Compression report",
        "",
        f"Weights: {cfg.bits} bits (sign + {cfg.bits - 1} magnitude bits, "
        f"codes 0..{cfg.max_code})"
        + "".join(f"; layer {i}: {o.bits} bits" for i, o in cfg.layers if o.bits is not None)
        + ".",
        "",
        "## Steps",
        "",
    ]
    lines += _steps_table(compression_dict(result)["steps"])
    lines += ["", "## Synapses by class", ""]
    rows = [
        [
            r["layer"],
            "x".join(str(s) for s in reversed(r["shape"])),
            r["synapses"],
            r["dropped"],
            r["constant"],
            r["stochastic"],
        ]
        for r in result.summary()
    ]
    total = [sum(r[i] for r in rows) for i in (2, 3, 4, 5)]
    rows.append(["total", "", *total])
    lines += _table(
        ["layer", "n_in x n_out", "synapses", "dropped", "constant", "stochastic"], rows
    )
    return "\n".join(lines) + "\n"


#: Version of report.json's layout; bumped when a field changes meaning or goes away.
REPORT_SCHEMA = "sc-compress/report/2"


def build_report(plan: Any, compression: CompressionResult) -> dict[str, Any]:
    """``report.json`` of a hardware build: per layer synapses by class, memory
    bits, delay buffers, widths, threshold conversion and latency."""
    from ..hardware.memory import mem_words

    layers = []
    for layer, net_layer in zip(plan.layers, compression.network.layers):
        width, words = mem_words(layer)
        layers.append(
            {
                "index": layer.index,
                "n_in": layer.n_inputs,
                "n_out": layer.n_out,
                "bias": layer.bias,
                "bits": layer.bits,
                "synapses": layer.class_counts(),  # the bias synapses included
                "memory_bits": width * len(words),
                "memory_word_width": width,
                "delay_lines": sum(1 for d in layer.line_depths if d),
                "delay_bits": int(sum(layer.line_depths)),
                "max_delay": max(layer.line_depths),
                "lfsr_registers": len(layer.seeds),
                "lfsr_bits": len(layer.seeds) * layer.k,
                "streams": len(layer.stream_defs),
                "count_width": layer.count_width,
                "v_width": layer.v_width,
                "threshold_unit": layer.threshold_unit,
                "thresholds_weight_units": [float(t) for t in net_layer.thresholds],
                "thresholds_count_units": list(layer.thresholds),
                "latency": layer.latency,
                "parallelism": "full" if layer.parallelism is None else layer.parallelism,
                "slots": layer.slots,
                "pipeline": layer.pipeline,
            }
        )
    from ..analysis.estimate import FAMILIES, estimate_structures, layer_parts

    structures = [layer_parts(plan, layer) for layer in plan.layers]
    estimates = {f: estimate_structures(plan, structures, f) for f in FAMILIES}
    for index, la in enumerate(layers):
        la["estimate"] = {f: estimates[f]["layers"][index] for f in FAMILIES}
    live = sum(la["synapses"]["constant"] + la["synapses"]["stochastic"] for la in layers)
    return {
        "schema": REPORT_SCHEMA,
        "synapses": live,
        "memory_bits": sum(la["memory_bits"] for la in layers),
        "estimate": {f: estimates[f]["total"] for f in FAMILIES},
        "top": plan.top,
        "latency": plan.latency,
        "clocks_per_step": plan.clocks_per_step,
        "count_width": plan.count_width,
        "compression": compression_dict(compression),
        "layers": layers,
    }


def shape_label(layer: dict[str, Any]) -> str:
    """``n_in x n_out`` of a report layer, ``(+bias)`` when it has the bias line."""
    return f"{layer['n_in']}x{layer['n_out']}" + (" (+bias)" if layer.get("bias") else "")


def build_markdown(report: dict[str, Any]) -> str:
    """``report.md`` of a hardware build (from :func:`build_report`)."""
    lines = [
        f"# {report['top']}: sc-compress build report",
        "",
        f"Latency: {report['latency']} clocks; "
        + (
            "one step per clock; "
            if report["clocks_per_step"] == 1
            else f"one step every {report['clocks_per_step']} clocks (folded layers); "
        )
        + f"out_counts: {report['count_width']} bits per neuron.",
        "",
        "## Compression steps",
        "",
        *_steps_table(report["compression"]["steps"]),
        "",
        "## Synapses by class",
        "",
    ]
    rows = [
        [
            la["index"],
            shape_label(la),
            la["bits"],
            la["synapses"]["dropped"],
            la["synapses"]["constant"],
            la["synapses"]["stochastic"],
            la["memory_bits"],
            la["lfsr_bits"],
            la["streams"],
        ]
        for la in report["layers"]
    ]
    lines += _table(
        [
            "layer",
            "n_in x n_out",
            "bits",
            "dropped",
            "constant",
            "stochastic",
            "memory bits",
            "LFSR bits",
            "streams",
        ],
        rows,
    )
    lines += ["", "## Delays, widths, folding, latency", ""]
    rows = [
        [
            la["index"],
            la["delay_lines"],
            la["max_delay"],
            la["delay_bits"],
            la["count_width"],
            la["v_width"],
            la["parallelism"],
            la["slots"] or "",
            la["latency"],
        ]
        for la in report["layers"]
    ]
    lines += _table(
        [
            "layer",
            "delay lines",
            "max delay",
            "delay FF bits",
            "count width",
            "membrane width",
            "lanes per neuron",
            "slots",
            "latency",
        ],
        rows,
    )
    lines += [
        "",
        "## Thresholds",
        "",
        "Counts are in units of one full-scale weight per step: "
        "threshold (count units) = round(threshold (weight units) / unit), at least 1.",
        "",
    ]
    for la in report["layers"]:
        pairs = ", ".join(
            f"{w:g} -> {c}"
            for w, c in zip(la["thresholds_weight_units"], la["thresholds_count_units"])
        )
        lines.append(f"- layer {la['index']} (unit {la['threshold_unit']:.6g}): {pairs}")
    lines += ["", "## Estimated resources (analytical, no synthesis)", ""]
    lines += _table(
        ["family", "LUT", "FF", "BRAM", "carry"],
        [
            [f, e["luts"], e["ffs"], e["brams"], e["carries"]]
            for f, e in sorted(report["estimate"].items())
        ],
    )
    lines += _measured_markdown(report)
    return "\n".join(lines) + "\n"


#: Columns of the measured-resources table (report.md and report.html).
MEASURED_HEADER = ("design", "LUT", "FF", "BRAM", "carry", "Fmax (MHz)")


def measured_rows(report: dict[str, Any]) -> list[list[Any]]:
    """Rows of the measured-resources table: estimate, compressed, dense, saved."""
    measured = report["measured"]
    keys = ("luts", "ffs", "brams", "carries")
    estimated = report["estimate"][measured["family"]]
    rows = [
        ["estimate", *(estimated[k] for k in keys), "-"],
        ["compressed", *(measured[k] for k in keys), measured.get("fmax_mhz", "-")],
    ]
    dense = report.get("dense")
    if dense:
        base = dense["measured"]
        rows.append(["dense", *(base[k] for k in keys), base.get("fmax_mhz", "-")])
        saved = report["savings"]
        rows.append(["saved (%)", *(_or_dash(saved.get(k)) for k in keys), "-"])
    return rows


def _measured_markdown(report: dict[str, Any]) -> list[str]:
    measured = report.get("measured")
    if not measured:
        return []
    dense = report.get("dense")
    lines = ["", f"## Measured (Yosys synth_{measured['family']} -flatten)", ""]
    lines += _table(list(MEASURED_HEADER), measured_rows(report))
    if "layers" in measured:
        family = measured["family"]
        header = ["layer", "LUT est", "LUT", "FF est", "FF", "BRAM est", "BRAM"]
        rows = []
        for index, (la, m) in enumerate(zip(report["layers"], measured["layers"], strict=True)):
            est = la["estimate"][family]
            row = [index, est["luts"], m["luts"], est["ffs"], m["ffs"], est["brams"], m["brams"]]
            if dense and "layers" in dense["measured"]:
                base = dense["measured"]["layers"][index]
                saved = savings(m, base)
                row += [base["luts"], base["ffs"], _or_dash(saved.get("luts"))]
            rows.append(row)
        if dense and "layers" in dense["measured"]:
            header += ["dense LUT", "dense FF", "LUT saved (%)"]
        lines += [
            "",
            "Per layer (each layer synthesized on its own: its outputs are ports, so it keeps "
            "logic the whole design drops, such as the hidden layers' count registers):",
            "",
        ]
        lines += _table(header, rows)
    for name, m in (("compressed", measured), ("dense", (dense or {}).get("measured", {}))):
        if "pnr_error" in m:
            lines += ["", f"nextpnr ({name}, {m['device']} {m['package']}): {m['pnr_error']}"]
    if "fmax_mhz" in measured:
        lines += [
            "",
            f"Fmax: nextpnr on {measured['device']} {measured['package']}, the design in a "
            f"five-pin wrapper; {measured['logic_cells']}/{measured['logic_cells_available']} "
            "logic cells.",
        ]
    if dense:
        lines += [
            "",
            "Dense: the source network with compression off (same bits and hardware options, "
            "no pruning, every nonzero code a comparator); "
            f"synapses {dense['synapses']} -> {report['synapses']}, memory bits "
            f"{dense['memory_bits']} -> {report['memory_bits']}.",
        ]
    return lines


def savings(compressed: dict[str, Any], dense: dict[str, Any]) -> dict[str, float | None]:
    """Percent saved by compression for every figure both sides have."""
    out: dict[str, float | None] = {}
    for key in ("luts", "ffs", "brams", "carries", "memory_bits", "synapses"):
        if key in compressed and key in dense:
            base = dense[key]
            out[key] = round(100.0 * (base - compressed[key]) / base, 1) if base else None
    return out


def _or_dash(value: object) -> object:
    return "-" if value is None else value


def write_reports(folder: str | os.PathLike[str], report: dict[str, Any]) -> None:
    """Write ``report.json``, ``report.md`` and ``report.html`` of ``report`` into ``folder``."""
    from .html import render_html

    folder = Path(folder)
    (folder / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    (folder / "report.md").write_text(build_markdown(report))
    (folder / "report.html").write_text(render_html(report))
