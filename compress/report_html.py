"""``report.html``: the build report as one offline page with inline SVG plots.

The plots are drawn with matplotlib (Agg) as SVG text with a fixed hash salt
and no date, so the same report gives the same page.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .report import MEASURED_HEADER, measured_rows, shape_label
from .rtl import _render

__all__ = ["render_html"]

_COLOURS = {"dropped": "#bbbbbb", "constant": "#4c9be8", "stochastic": "#e8894c"}


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": "sc-compress", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _classes_svg(layers: list[dict[str, Any]]) -> str:
    fig, ax = plt.subplots(figsize=(6, 2.8))
    names = [f"layer {la['index']}" for la in layers]
    bottom = [0] * len(layers)
    for kind, colour in _COLOURS.items():
        values = [la["synapses"][kind] for la in layers]
        ax.bar(names, values, bottom=bottom, color=colour, label=kind)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("synapses")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _svg(fig)


def _compare_svg(
    estimated: dict[str, Any], measured: dict[str, Any], dense: dict[str, Any] | None
) -> str:
    keys = ("luts", "ffs", "brams", "carries")
    bars = [("estimate", estimated, "#4c9be8"), ("compressed", measured, "#e8894c")]
    if dense:
        bars.append(("dense", dense, "#999999"))
    fig, ax = plt.subplots(figsize=(6, 2.8))
    width = 0.8 / len(bars)
    for n, (label, values, colour) in enumerate(bars):
        ax.bar(
            [i + (n - (len(bars) - 1) / 2) * width for i in range(len(keys))],
            [values[k] for k in keys],
            width=width,
            label=label,
            color=colour,
        )
    x = range(len(keys))
    ax.set_xticks(list(x), keys)
    ax.set_ylabel("cells")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _svg(fig)


def render_html(report: dict[str, Any]) -> str:
    """The page for a ``report.json`` dictionary (:func:`compress.report.build_report`)."""
    layers = report["layers"]
    header = [
        "layer",
        "n_in x n_out",
        "dropped",
        "constant",
        "stochastic",
        "memory bits",
        "lanes",
        "latency",
    ]
    rows = [
        [
            la["index"],
            shape_label(la),
            la["synapses"]["dropped"],
            la["synapses"]["constant"],
            la["synapses"]["stochastic"],
            la["memory_bits"],
            la["parallelism"],
            la["latency"],
        ]
        for la in layers
    ]
    measured = report.get("measured")
    dense = report.get("dense")
    rows_measured: list[list[Any]] = []
    compare = ""
    note = ""
    if measured:
        rows_measured = measured_rows(report)
        estimated = report["estimate"][measured["family"]]
        compare = _compare_svg(estimated, measured, dense["measured"] if dense else None)
        note = (
            f"Yosys synth_{measured['family']} -flatten"
            + (
                f"; Fmax from nextpnr on {measured['device']} {measured['package']} "
                "(design in a five-pin wrapper)"
                if "fmax_mhz" in measured
                else ""
            )
            + "."
        )
    return _render(
        "report.html.j2",
        top=report["top"],
        summary=(
            f"Latency {report['latency']} clocks, one step every {report['clocks_per_step']} "
            f"clock(s); out_counts {report['count_width']} bits per neuron."
        ),
        classes_svg=_classes_svg(layers),
        layer_header=header,
        layer_rows=rows,
        measured_header=MEASURED_HEADER,
        measured_rows=rows_measured,
        measured_note=note,
        dense=bool(dense),
        compare_svg=compare,
    )
