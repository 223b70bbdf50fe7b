"""What ``sc-compress build`` prints: a few lines on what was built, not the whole report.

The layer table of ``report.md`` has a column per threshold and per option; a user
who ran ``build --fit`` first wants to know what the fit chose (each layer's style,
lanes and stream rule), the clocks per step, and what the design needs of the part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..hardware.families import PARTS
from ..hardware.plan import NetworkPlan
from .data import clock_reached

__all__ = ["build_summary"]


def build_summary(plan: NetworkPlan, report: dict[str, Any], out: str | Path) -> str:
    """The summary of the build in ``out``: its plan and its ``report.json`` (``report``).

    One line for the network, one per layer (size, bits, style and lanes, stream rule,
    compressor trees, synapses by class, clocks), the clocks per step, the estimate on
    the part the build was fitted to (else on every family), the pipeline ``--clock``
    chose and where the full report is.
    """
    sizes = "-".join(str(n) for n in [plan.layers[0].n_inputs, *(la.n_out for la in plan.layers)])
    part = report.get("part")
    head = f"{plan.top}: {len(plan.layers)} layer{'s' if len(plan.layers) > 1 else ''}, {sizes}"
    if part:
        head += f"; fitted to the {part} ({PARTS[part].title})"
    lines = [head]
    for layer in plan.layers:
        counts = layer.class_counts()
        rule = ", tap streams" if layer.stream_rule == "tap" else ""
        if layer.popcount != "adder" and layer.tree_levels:
            rule += f", {layer.popcount} compressor trees"
        lines.append(
            f"layer {layer.index}: {layer.n_inputs}x{layer.n_out}, {layer.bits} bits, "
            f"{layer.style.describe()}{rule}; {counts['stochastic']:,} stochastic, "
            f"{counts['constant']:,} constant, {counts['dropped']:,} dropped synapses; "
            f"{_clocks(layer)}"
        )
    variable = any(layer.style.variable for layer in plan.layers)
    lines.append(
        f"clocks per step: at most {report['clocks_per_step']:,}"
        + (" (event and convolution layers: fewer when fewer inputs spike)" if variable else "")
    )
    if part:
        fit = report["fit"][part]
        cells = "logic cells" if fit["family"] == "ice40" else "LUTs"
        lines.append(
            f"estimate on the {part}: {_use(fit['luts'], cells)}, {_use(fit['ffs'], 'FF')}, "
            f"{_use(fit['bram_bits'], 'block-RAM bits')}"
            + (f", {_use(fit['sprams'], 'SPRAM blocks')}" if fit["sprams"]["have"] else "")
        )
    else:
        lines.append(
            "estimate: "
            + "; ".join(
                f"{family} {figures['luts']:,} LUT, {figures['ffs']:,} FF, "
                f"{figures['bram_bits']:,} block-RAM bits"
                for family, figures in report["estimate"].items()
            )
        )
    clock = report.get("clock")
    if clock:
        lines.append(
            f"clock {clock['target_mhz']:g} MHz: the {clock['pipeline']} pipeline "
            f"(placed and routed: {clock_reached(clock)})"
        )
    out = Path(out)
    lines.append(f"report: {out / 'report.md'} (and report.html, report.json, design.json)")
    return "\n".join(lines)


def _clocks(layer) -> str:
    if layer.style.variable:
        return f"up to {layer.latency:,} clocks per step"
    return f"latency {layer.latency} clock{'s' if layer.latency != 1 else ''}"


def _use(entry: dict[str, Any], what: str) -> str:
    percent = entry.get("used_percent")
    share = f" ({percent:.0f}%)" if percent is not None else ""
    return f"{entry['need']:,} of {entry['have']:,} {what}{share}"
