"""Report data: ``report.json`` of a build or a compression run, and reading it back."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from ..analysis.estimate import estimate_structures, layer_parts
from ..analysis.parts import PARTS, fit
from ..hardware.design import layer_dict, read_build_json, read_design, style_dict
from ..hardware.families import FAMILIES
from ..hardware.memory import mem_words
from ..hardware.neuron import describe
from ..model.passes import CompressionResult

__all__ = [
    "MEASURED_HEADER",
    "REPORT_SCHEMA",
    "build_report",
    "clock_reached",
    "compression_dict",
    "measured_rows",
    "or_dash",
    "read_report",
    "shape_label",
]


def clock_reached(clock: dict[str, Any]) -> str:
    """What each pipeline ``build --clock`` tried reached, from ``report.json``'s
    ``clock``: ``"area 26.5 MHz, speed 39.1 MHz"``."""
    return ", ".join(f"{p} {f:.1f} MHz" for p, f in clock["fmax_mhz"].items())


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


#: Version of report.json's layout; bumped when a field changes meaning or goes away.
REPORT_SCHEMA = "sc-compress/report/2"


#: The fields of a layer report.json takes from design.json's (:func:`layer_dict`).
SHARED = (
    "index",
    "n_in",
    "recurrent",
    "n_out",
    "bias",
    "bits",
    "synapses",  # the bias synapses included
    "count_width",
    "v_width",
    "threshold_unit",
    "latency",
    "pipeline",
    "popcount",
)


def _layer_report(layer: Any, net_layer: Any) -> dict[str, Any]:
    width, words = mem_words(layer)
    design = layer_dict(layer)
    return {
        **{key: design[key] for key in SHARED},
        "memory_bits": width * len(words),
        "memory_word_width": width,
        "delay_lines": sum(1 for d in layer.line_depths if d),
        "delay_bits": int(sum(layer.line_depths)),
        "max_delay": max(layer.line_depths),
        "lfsr_registers": len(layer.seeds),
        "lfsr_bits": len(layer.seeds) * layer.lfsr_width,
        "streams": len(layer.stream_defs),
        "thresholds_weight_units": [float(t) for t in net_layer.thresholds],
        "thresholds_count_units": list(layer.thresholds),
        "neuron": {
            **describe(layer.neuron),
            "strict": bool(net_layer.strict),
            "reset": layer.reset,
            "recurrent": layer.recurrent,
        },
        **style_dict(layer),  # as design.json has it
    }


def build_report(
    plan: Any, compression: CompressionResult, part: str | None = None
) -> dict[str, Any]:
    """``report.json`` of a hardware build: per layer synapses by class, memory
    bits, delay buffers, widths, threshold conversion and latency; the estimate for
    every family, with what the input encoder and the class readout add; whether the
    estimate fits each part of :data:`compress.analysis.parts.PARTS` (``part``: the
    one the build was fitted to, ``build --fit``)."""
    layers = [
        _layer_report(layer, net_layer)
        for layer, net_layer in zip(plan.layers, compression.network.layers)
    ]
    structures = [layer_parts(plan, layer) for layer in plan.layers]
    estimates = {f: estimate_structures(plan, structures, f) for f in FAMILIES}
    for index, la in enumerate(layers):
        la["estimate"] = {f: estimates[f]["layers"][index] for f in FAMILIES}
    live = sum(la["synapses"]["constant"] + la["synapses"]["stochastic"] for la in layers)
    encoder = readout = None
    if plan.encoder:
        encoder = {
            "bits": plan.encoder.bits,
            "seed": plan.encoder.seed,
            "stream": plan.encoder.kind,
        }
        encoder["estimate"] = {f: estimates[f]["encoder"] for f in FAMILIES}
    if plan.window:
        readout = {"window": plan.window}
        readout["estimate"] = {f: estimates[f]["readout"] for f in FAMILIES}
    return {
        "schema": REPORT_SCHEMA,
        "synapses": live,
        "memory_bits": sum(la["memory_bits"] for la in layers),
        "estimate": {f: estimates[f]["total"] for f in FAMILIES},
        "encoder": encoder,
        "readout": readout,
        "top": plan.top,
        "latency": plan.latency,
        "clocks_per_step": plan.clocks_per_step,
        "count_width": plan.count_width,
        "compression": compression_dict(compression),
        "layers": layers,
        "part": part,
        "fit": {name: fit(plan, p, estimates[p.family]["total"]) for name, p in PARTS.items()},
    }


def shape_label(layer: dict[str, Any]) -> str:
    """``n_in x n_out`` of a report layer, ``(+recurrent)`` with its own spikes as more
    input lines, ``(+bias)`` when it has the bias line, and a convolution's kernel (its
    synapse counts are then kernel weights, each standing for up to ``H' W'`` synapses)."""
    extra = " (+recurrent)" if layer.get("recurrent") else ""
    if "conv" in layer:
        kernel = "x".join(map(str, layer["conv"]["kernel"]))
        extra += f" (conv kernel {kernel}: {layer['conv']['synapses']:,} synapses)"
    return f"{layer['n_in']}x{layer['n_out']}" + extra + (" (+bias)" if layer.get("bias") else "")


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
        rows.append(["saved (%)", *(or_dash(saved.get(k)) for k in keys), "-"])
    return rows


def read_report(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """``report.json`` of the build folder ``folder`` (whose ``design.json`` must be sound).

    Raises
    ------
    ValueError
        When either file is missing, not JSON, or not sc-compress's.
    """
    read_design(folder)
    data, path = read_build_json(folder, "report.json")
    if not isinstance(data, dict) or "synapses" not in data:
        raise ValueError(f"{path} must be an sc-compress report, not other JSON")
    return data


def or_dash(value: object) -> object:
    return "-" if value is None else value
