"""What the CLI's commands do beyond parsing options: the baseline build and a measured report.

:func:`dense_baseline` builds the uncompressed baseline of a build folder
(:func:`compress.measure.baseline.dense_options`: same bits, hardware options
and emitter, no pruning, no constant wires).  :func:`measure_build` runs
Yosys (and nextpnr) on a build and on its baseline and returns the report data
with the measured figures and what compression saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .build import build
from .hardware.design import read_design
from .measure.baseline import dense_options, savings
from .measure.figures import measure
from .model.network import load_network
from .progress import Stages

__all__ = ["dense_baseline", "measure_build"]


def dense_baseline(folder: str | Path, out: str | Path | None = None) -> Path:
    """Build the folder's source network with compression off; return the new folder.

    Same weight bits, delay grid, hardware options and emitter as the build in
    ``folder``; no pruning; full-scale codes get comparators instead of wires.
    The baseline goes to ``out`` (default ``folder/dense``), replacing it.

    Raises
    ------
    ValueError
        When ``folder`` is not a build, or one from an older sc-compress.
    """
    folder = Path(folder)
    design = read_design(folder)
    if not (folder / "source.npz").exists():
        raise ValueError(f"{folder} must hold source.npz, not a build from an older sc-compress")
    config, hardware, emitter = dense_options(design)
    target = Path(out) if out is not None else folder / "dense"
    network = load_network(folder / "source.npz")
    build(network, target, config, hardware, top=design["top"], force=True, emitter=emitter)
    return target


def measure_build(
    folder: str | Path,
    report: dict[str, Any],
    family: str,
    *,
    pnr: bool = False,
    dense: bool = True,
    device: str | None = None,
    package: str | None = None,
    stages: Stages | None = None,
) -> dict[str, Any]:
    """``report`` (the build's ``report.json``) with measured figures added.

    Adds ``measured`` (:func:`compress.measure.figures.measure`, per layer too)
    and, with ``dense``, the baseline's figures (``dense``, built in
    ``folder/dense``) and ``savings`` (percent saved per figure).
    """
    stages = stages or Stages(quiet=True)
    options = {"pnr": pnr, "per_layer": True, "device": device, "package": package}
    data = dict(report, measured=measure(folder, family, stages=stages, **options))
    if not dense:
        return data
    with stages.stage("building the uncompressed baseline (OUT/dense)"):
        base = dense_baseline(folder)
    base_report = json.loads((base / "report.json").read_text())
    measured = measure(base, family, stages=stages, **options)
    data["dense"] = {
        "folder": "dense",
        "synapses": base_report["synapses"],
        "memory_bits": base_report["memory_bits"],
        "measured": measured,
    }
    mine = {**data["measured"], "synapses": data["synapses"], "memory_bits": data["memory_bits"]}
    theirs = {**measured, "synapses": base_report["synapses"]}
    theirs["memory_bits"] = base_report["memory_bits"]
    data["savings"] = savings(mine, theirs)
    return data
