"""Markdown reports: ``report.md`` of a build, the compression report, and writing them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..model.passes import CompressionResult
from .data import compression_dict
from .sections import Table, build_sections, steps_table, summary_line

__all__ = ["build_markdown", "compression_markdown", "write_reports"]


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.rows]
    return lines


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
    lines += _table(steps_table(compression_dict(result)["steps"]))
    lines += ["", "## Synapses by class", ""]
    summary = result.summary()
    rows = [
        [
            r["layer"],
            "kernel " + "x".join(map(str, r["kernel"]))
            if "kernel" in r
            else "x".join(str(s) for s in reversed(r["shape"])),
            r["synapses"],
            r["dropped"],
            r["constant"],
            r["stochastic"],
        ]
        for r in summary
    ]
    total = [sum(r[i] for r in rows) for i in (2, 3, 4, 5)]
    rows.append(["total", "", *total])
    header = ("layer", "n_in x n_out", "synapses", "dropped", "constant", "stochastic")
    lines += _table(Table(header, tuple(tuple(r) for r in rows)))
    for r in (r for r in summary if "kernel" in r):
        stands = r["stands_for"]
        bias = "(bias included) " if r["synapses"] > np.prod(r["kernel"]) else ""
        lines.append(
            f"\nLayer {r['layer']} is a convolution: its {r['synapses']:,} kernel weights "
            f"{bias}stand for {stands['synapses']:,} synapses ({stands['dropped']:,} "
            f"dropped, {stands['constant']:,} constant, {stands['stochastic']:,} stochastic)."
        )
    return "\n".join(lines) + "\n"


def build_markdown(report: dict[str, Any]) -> str:
    """``report.md`` of a hardware build (from :func:`~compress.report.data.build_report`)."""
    lines = [f"# {report['top']}: sc-compress build report", "", summary_line(report)]
    for section in build_sections(report):
        lines += ["", f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        if section.table:
            lines += _table(section.table)
        lines += [f"- {item}" for item in section.items]
        for table in section.tables:
            lines += ["", table.caption, "", *_table(table)]
        for note in section.notes:
            lines += ["", note]
    return "\n".join(lines) + "\n"


def write_reports(folder: str | os.PathLike[str], report: dict[str, Any]) -> None:
    """Write ``report.json``, ``report.md`` and ``report.html`` of ``report`` into ``folder``."""
    from .html import render_html  # matplotlib: only when reports are written

    folder = Path(folder)
    (folder / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    (folder / "report.md").write_text(build_markdown(report))
    (folder / "report.html").write_text(render_html(report))
