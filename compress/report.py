"""Reports of a compression run, as plain data and as Markdown text."""

from __future__ import annotations

from typing import Any

from .passes import CompressionResult

__all__ = ["compression_dict", "compression_markdown"]


def compression_dict(result: CompressionResult) -> dict[str, Any]:
    """Every step's report and the final per-layer synapse classes, JSON-ready."""
    cfg = result.config
    return {
        "config": {key: getattr(cfg, key) for key in cfg.__dataclass_fields__},
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


def compression_markdown(result: CompressionResult) -> str:
    """A Markdown page: the steps that ran and the synapse classes per layer."""
    cfg = result.config
    lines = [
        "# Compression report",
        "",
        f"Weights: {cfg.bits} bits (sign + {cfg.bits - 1} magnitude bits, "
        f"codes 0..{cfg.max_code}).",
        "",
        "## Steps",
        "",
    ]
    rows = []
    for step in result.steps:
        r = step.report
        if r is None:
            rows.append([step.name, "-", "-", "-", "-", "-"])
        else:
            rows.append(
                [
                    step.name,
                    r.pruned_params,
                    r.pruned_neurons,
                    r.constant_zero,
                    r.constant_one,
                    f"{r.sparsity:.1%}",
                ]
            )
    lines += _table(
        ["step", "pruned weights", "pruned neurons", "constant 0", "constant 1", "sparsity after"],
        rows,
    )
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
