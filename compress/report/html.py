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

from ..emit.render import render
from .data import MEASURED_HEADER, measured_rows, shape_label

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
    """The page for a ``report.json`` dictionary (:func:`compress.report.data.build_report`)."""
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
    return render(
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


def _sweep_svg(
    rows: list[dict[str, Any]], front: list[int], family: str, reference: float | None
) -> str:
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ok = [(n, r) for n, r in enumerate(rows) if "error" not in r and r.get("accuracy") is not None]
    ax.scatter(
        [r["estimate"][family]["luts"] for _, r in ok],
        [100 * r["accuracy"] for _, r in ok],
        s=14,
        color="#4c9be8",
        label="points",
    )
    ax.plot(
        [rows[n]["estimate"][family]["luts"] for n in front],
        [100 * rows[n]["accuracy"] for n in front],
        "o-",
        color="#e8894c",
        markersize=5,
        label="Pareto front",
    )
    if reference is not None:
        ax.axhline(100 * reference, color="#999999", linestyle="--", label="uncompressed")
    ax.set_xlabel(f"estimated LUTs ({family})")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(family)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _svg(fig)


def sweep_page(
    rows: list[dict[str, Any]], fronts: dict[str, list[int]], reference: dict[str, Any]
) -> str:
    """``sweep.html``: accuracy versus estimated LUTs per family, the Pareto fronts
    marked, and every point in a table."""
    accuracy = reference.get("accuracy")
    plots = [
        {"family": family, "svg": _sweep_svg(rows, front, family, accuracy)}
        for family, front in sorted(fronts.items())
    ]
    families = sorted(fronts)
    header = ["point", "accuracy", *[f"{f} LUT" for f in families], "Pareto front", "error"]
    table = []
    for n, row in enumerate(rows):
        acc = row.get("accuracy")
        table.append(
            [
                row["label"],
                "-" if acc is None else f"{100 * acc:.2f}%",
                *[row["estimate"][f]["luts"] if "estimate" in row else "-" for f in families],
                ", ".join(f for f in families if n in fronts[f]) or "",
                row.get("error", ""),
            ]
        )
    summary = f"{len(rows)} points"
    if accuracy is not None:
        summary += f"; uncompressed accuracy {100 * accuracy:.2f}% ({reference.get('label', '')})"
    return render("sweep.html.j2", summary=summary, plots=plots, header=header, rows=table)
