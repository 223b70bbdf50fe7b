"""Markdown reports: ``report.md`` of a build, the compression report, and writing them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..measure.baseline import savings
from ..model.passes import CompressionResult
from .data import MEASURED_HEADER, compression_dict, measured_rows, or_dash, shape_label

__all__ = ["build_markdown", "compression_markdown", "write_reports"]


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


def build_markdown(report: dict[str, Any]) -> str:
    """``report.md`` of a hardware build (from :func:`~compress.report.data.build_report`)."""
    per_step = report["clocks_per_step"]
    lines = [
        f"# {report['top']}: sc-compress build report",
        "",
        f"Latency: {report['latency']} clocks; "
        + (
            "one step per clock; "
            if per_step == 1
            else f"one step every {per_step} clocks (folded layers); "
        )
        + f"out_counts: {report['count_width']} bits per neuron.",
        "",
        "## Compression steps",
        "",
        *_steps_table(report["compression"]["steps"]),
        "",
        "## Synapses by class",
        "",
        *_synapse_table(report["layers"]),
        "",
        "## Delays, widths, folding, latency",
        "",
        *_delay_table(report["layers"]),
        *_threshold_lines(report["layers"]),
        "",
        "## Estimated resources (analytical, no synthesis)",
        "",
        *_table(
            ["family", "LUT", "FF", "BRAM", "carry"],
            [
                [f, e["luts"], e["ffs"], e["brams"], e["carries"]]
                for f, e in sorted(report["estimate"].items())
            ],
        ),
        *_measured_markdown(report),
    ]
    return "\n".join(lines) + "\n"


def _synapse_table(layers: list[dict[str, Any]]) -> list[str]:
    header = ["layer", "n_in x n_out", "bits", "dropped", "constant", "stochastic"]
    header += ["memory bits", "LFSR bits", "streams"]
    rows = [
        [la["index"], shape_label(la), la["bits"]]
        + [la["synapses"][c] for c in ("dropped", "constant", "stochastic")]
        + [la["memory_bits"], la["lfsr_bits"], la["streams"]]
        for la in layers
    ]
    return _table(header, rows)


def _delay_table(layers: list[dict[str, Any]]) -> list[str]:
    header = ["layer", "delay lines", "max delay", "delay FF bits", "count width"]
    header += ["membrane width", "lanes per neuron", "slots", "latency"]
    keys = ("delay_lines", "max_delay", "delay_bits", "count_width", "v_width", "parallelism")
    rows = [
        [la["index"], *(la[k] for k in keys), la["slots"] or "", la["latency"]] for la in layers
    ]
    return _table(header, rows)


def _threshold_lines(layers: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Thresholds",
        "",
        "Counts are in units of one full-scale weight per step: "
        "threshold (count units) = round(threshold (weight units) / unit), at least 1.",
        "",
    ]
    for la in layers:
        pairs = ", ".join(
            f"{w:g} -> {c}"
            for w, c in zip(la["thresholds_weight_units"], la["thresholds_count_units"])
        )
        lines.append(f"- layer {la['index']} (unit {la['threshold_unit']:.6g}): {pairs}")
    return lines


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
                row += [base["luts"], base["ffs"], or_dash(saved.get("luts"))]
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


def _per_layer_measured(report: dict[str, Any]) -> list[str]:
    measured, dense = report["measured"], report.get("dense")
    family = measured["family"]
    with_dense = bool(dense) and "layers" in dense["measured"]
    header = ["layer", "LUT est", "LUT", "FF est", "FF", "BRAM est", "BRAM"]
    rows = []
    for index, (la, m) in enumerate(zip(report["layers"], measured["layers"], strict=True)):
        est = la["estimate"][family]
        row = [index, est["luts"], m["luts"], est["ffs"], m["ffs"], est["brams"], m["brams"]]
        if with_dense:
            base = dense["measured"]["layers"][index]
            row += [base["luts"], base["ffs"], or_dash(savings(m, base).get("luts"))]
        rows.append(row)
    if with_dense:
        header += ["dense LUT", "dense FF", "LUT saved (%)"]
    return [
        "",
        "Per layer (each layer synthesized on its own: its outputs are ports, so it keeps "
        "logic the whole design drops, such as the hidden layers' count registers):",
        "",
        *_table(header, rows),
    ]


def write_reports(folder: str | os.PathLike[str], report: dict[str, Any]) -> None:
    """Write ``report.json``, ``report.md`` and ``report.html`` of ``report`` into ``folder``."""
    from .html import render_html  # matplotlib: only when reports are written

    folder = Path(folder)
    (folder / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    (folder / "report.md").write_text(build_markdown(report))
    (folder / "report.html").write_text(render_html(report))
