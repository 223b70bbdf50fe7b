"""What the CLI's commands do beyond parsing options: the baseline build, a measured
report and a build for a clock.

:func:`dense_baseline` builds the uncompressed baseline of a build folder
(:func:`compress.measure.baseline.dense_options`: same bits, hardware options
and emitter, no pruning, no constant wires).  :func:`measure_build` runs
Yosys (and nextpnr) on a build and on its baseline and returns the report data
with the measured figures and what compression saved.  :func:`build_for_clock`
fits a design to a part with the cheapest pipeline whose placed design reaches a
clock (``build --fit PART --clock MHZ``).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from .analysis.parts import part_of
from .build import BuildResult, build
from .hardware.design import read_design
from .measure.baseline import dense_options, savings
from .measure.figures import measure
from .model.network import load_network
from .progress import Stages

__all__ = ["CLOCK_PIPELINES", "build_for_clock", "dense_baseline", "measure_build"]

#: The pipelines ``build --clock`` tries, fewest flip-flops first.
CLOCK_PIPELINES = ("area", "speed")


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


def build_for_clock(
    network: Any,
    out: str | Path,
    config: Any = None,
    hardware: Any = None,
    *,
    part: str,
    clock: float,
    stages: Stages | None = None,
    **options: Any,
) -> tuple[BuildResult, dict[str, Any]]:
    """Build ``network`` fitted to ``part`` with the first pipeline of
    :data:`CLOCK_PIPELINES` whose placed design reaches ``clock`` MHz.

    Each pipeline's design is fitted (:func:`compress.analysis.parts.choose`), built in
    a scratch folder, synthesized and placed and routed on the part (Yosys, nextpnr:
    the few-pin wrapper of every measured Fmax); the first that reaches the clock is
    built into ``out``, its ``report.json`` holding the measured figures and
    ``clock`` (the target, each tried pipeline's Fmax, the one chosen).

    Parameters
    ----------
    network, out, config, hardware
        As :func:`compress.build.build` (``hardware``'s pipeline is replaced).
    part : str
        A part with open place and route (iCE40 or ECP5).
    clock : float
        The clock in MHz.
    stages : Stages, optional
        Shows each tool run on a terminal.
    **options
        :func:`compress.build.build`'s other keywords (``top``, ``force``, ...).

    Returns
    -------
    (BuildResult, dict)
        The build and its ``clock`` record.

    Raises
    ------
    ValueError
        When the part has no open place and route, the clock is not positive, or no
        pipeline reaches the clock (the message gives each one's Fmax); nothing is
        written then.
    """
    from .hardware.plan import HardwareOptions
    from .report.data import read_report
    from .report.markdown import write_reports

    chosen = part_of(part)
    if chosen.pnr is None:
        raise ValueError(
            f"clock needs place and route on the part, but the {part} ({chosen.title}) has "
            "no open place and route (nextpnr); give an iCE40 or ECP5 part"
        )
    if not clock > 0:
        raise ValueError(f"clock must be a positive frequency in MHz, not {clock!r}")
    device, package = chosen.pnr
    hardware = hardware or HardwareOptions()
    stages = stages or Stages(quiet=True)
    tried: dict[str, float] = {}
    trial_options = {k: v for k, v in options.items() if k != "force"}
    with tempfile.TemporaryDirectory(prefix="sc_clock_") as scratch:
        for pipeline in CLOCK_PIPELINES:
            trial = Path(scratch) / pipeline
            with stages.stage(f"fitting the {pipeline} pipeline to the {part}"):
                build(
                    network,
                    trial,
                    config,
                    dataclasses.replace(hardware, pipeline=pipeline),
                    part=part,
                    **trial_options,
                )
            figures = measure(
                trial, chosen.family, pnr=True, device=device, package=package, stages=stages
            )
            if "fmax_mhz" not in figures:
                raise ValueError(
                    f"the {pipeline} pipeline must place on the {part}, not fail: "
                    f"{figures.get('pnr_error', 'no Fmax')}"
                )
            tried[pipeline] = figures["fmax_mhz"]
            if figures["fmax_mhz"] >= clock:
                break
        else:
            reached = ", ".join(f"the {p} pipeline {f:.1f} MHz" for p, f in tried.items())
            raise ValueError(
                f"design must reach {clock:g} MHz on the {part}, but no pipeline does: {reached}"
            )
    record = {"target_mhz": clock, "fmax_mhz": tried, "pipeline": pipeline}
    result = build(
        network,
        out,
        config,
        dataclasses.replace(hardware, pipeline=pipeline),
        part=part,
        **options,
    )
    write_reports(out, dict(read_report(out), measured=figures, clock=record))
    return result, record
