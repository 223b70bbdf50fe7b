"""``report.html``: the build report as one offline page with inline SVG plots.

The plots are drawn with matplotlib (Agg) as SVG text with a fixed hash salt
and no date, so the same report gives the same page.
"""

from __future__ import annotations

import io
import re
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from ..emit.render import render
from .sections import Section, Table, build_sections, summary_line

__all__ = ["render_html"]

_COLOURS = {"dropped": "#bbbbbb", "constant": "#4c9be8", "stochastic": "#e8894c"}


_SVG_ID = re.compile(r'\bid="([^"]+)"')


def _svg(fig: Any, prefix: str) -> str:
    """The figure as inline SVG, every ``id`` (and reference to one) prefixed with
    ``prefix``, so several plots on one page keep their ids unique."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": "sc-compress", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    for name in sorted(set(_SVG_ID.findall(text)), key=len, reverse=True):
        text = text.replace(f'id="{name}"', f'id="{prefix}-{name}"')
        text = text.replace(f"#{name})", f"#{prefix}-{name})").replace(
            f'href="#{name}"', f'href="#{prefix}-{name}"'
        )
    return text


#: Axis labels of the resource kinds, in plot order.
_KINDS = (("luts", "LUT"), ("ffs", "FF"), ("brams", "BRAM"), ("carries", "carry"))


def _classes_svg(layers: list[dict[str, Any]]) -> str:
    fig, ax = plt.subplots(figsize=(6, 2.8))
    names = [f"layer {la['index']}" for la in layers]
    bottom = [0] * len(layers)
    for kind, colour in _COLOURS.items():
        values = [la["synapses"][kind] for la in layers]
        ax.bar(names, values, bottom=bottom, color=colour, label=kind)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("synapses")
    ax.set_title("Synapses by class (all families)", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _svg(fig, "plot-classes")


def _grouped_svg(bars: list[tuple[str, dict[str, Any], str]], title: str, prefix: str) -> str:
    """Grouped bars of LUT, FF, BRAM and carry cells, one bar per (label, values, colour)."""
    fig, ax = plt.subplots(figsize=(6, 2.8))
    width = 0.8 / len(bars)
    for n, (label, values, colour) in enumerate(bars):
        ax.bar(
            [i + (n - (len(bars) - 1) / 2) * width for i in range(len(_KINDS))],
            [values[key] for key, _ in _KINDS],
            width=width,
            label=label,
            color=colour,
        )
    ax.set_xticks(list(range(len(_KINDS))), [name for _, name in _KINDS])
    ax.set_ylabel("cells")
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _svg(fig, prefix)


def _plots(report: dict[str, Any]) -> dict[str, str]:
    """The figures of the page by section ``plot`` key."""
    colours = ("#4c9be8", "#e8894c", "#6bbf59")
    estimates = [(f, e, c) for (f, e), c in zip(sorted(report["estimate"].items()), colours)]
    plots = {
        "classes": _classes_svg(report["layers"]),
        "estimate": _grouped_svg(
            estimates, "Estimated cells: " + ", ".join(f for f, _, _ in estimates), "plot-estimate"
        ),
    }
    measured, dense = report.get("measured"), report.get("dense")
    if measured:
        family = measured["family"]
        bars = [
            ("estimate", report["estimate"][family], "#4c9be8"),
            ("compressed", measured, "#e8894c"),
        ]
        if dense:
            bars.append(("dense", dense["measured"], "#999999"))
        plots["compare"] = _grouped_svg(
            bars, f"{family}: estimated versus measured (Yosys)", "plot-compare"
        )
    return plots


def _escaped(section: Section) -> dict[str, Any]:
    def table(t: Table | None) -> dict[str, Any] | None:
        if t is None:
            return None
        return {
            "caption": escape(t.caption),
            "header": [escape(h) for h in t.header],
            "rows": [[escape(str(cell)) for cell in row] for row in t.rows],
        }

    return {
        "key": section.key,
        "title": escape(section.title),
        "paragraphs": [escape(p) for p in section.paragraphs],
        "table": table(section.table),
        "bullets": [escape(i) for i in section.items],
        "tables": [table(t) for t in section.tables],
        "notes": [escape(n) for n in section.notes],
        "plot": section.plot,
    }


def render_html(report: dict[str, Any]) -> str:
    """The page for a ``report.json`` dictionary (:func:`compress.report.data.build_report`):
    every section of ``report.md`` (:func:`compress.report.sections.build_sections`) with
    its figures."""
    sections = [_escaped(s) for s in build_sections(report)]
    return render(
        "report.html.j2",
        top=escape(report["top"]),
        summary=escape(summary_line(report)),
        sections=sections,
        plots=_plots(report),
        measured=bool(report.get("measured")),
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
    return _svg(fig, f"plot-{family}")


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
