"""Measured resources of a build folder and of its uncompressed baseline.

:func:`measure` runs Yosys (``synth_<family> -flatten``) on a build folder and,
when asked, nextpnr on the design in its five-pin wrapper
(:func:`compress.measure.synth.io_wrapper`) for Fmax.  :func:`dense_baseline` rebuilds
the folder's source network with compression off: the same bits, delays and
hardware options, no pruning, and every nonzero code a comparator (no
constant wires).  :func:`savings` compares the two.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..build import build
from ..hardware.plan import HardwareOptions
from ..model.network import load_network
from ..model.passes import CompressionConfig
from ..progress import Stages
from ..report.data import savings
from .synth import FAMILIES, place_and_route, synthesize

__all__ = [
    "PNR_DEVICES",
    "dense_baseline",
    "layer_resources",
    "measure",
    "resources",
    "savings",
]

#: nextpnr's default device and package per family (Fmax is measured on these).
PNR_DEVICES = {"ice40": ("up5k", "sg48"), "ecp5": ("25k", "CABGA256")}

_LUTS = ("SB_LUT4", "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6")
_FFS = ("SB_DFF", "TRELLIS_FF", "FD")
_BRAMS = ("SB_RAM40_4K", "DP16KD", "RAMB18E1", "RAMB36E1")
_CARRIES = ("SB_CARRY", "CCU2C", "CARRY4")


def resources(stat: dict[str, Any]) -> dict[str, int]:
    """LUTs, flip-flops, block RAMs and carry cells of a Yosys ``stat -json``."""
    cells = stat["num_cells_by_type"]

    def count(prefixes: tuple[str, ...]) -> int:
        return sum(n for cell, n in cells.items() if cell.startswith(prefixes))

    return {
        "luts": count(_LUTS),
        "ffs": count(_FFS),
        "brams": sum(cells.get(cell, 0) for cell in _BRAMS),
        "carries": count(_CARRIES),
        "cells": int(stat["num_cells"]),
    }


def layer_resources(folder: str | Path, family: str) -> list[dict[str, int]]:
    """Per-layer Yosys figures: each layer module synthesized on its own, flattened.

    The same flow as the whole design's (:func:`measure`), but a layer's
    outputs are ports, so logic the whole design drops stays (the hidden
    layers' count registers, for one): the layers add up to a little more than
    the whole.
    """
    design = json.loads((Path(folder) / "design.json").read_text())
    return [
        resources(synthesize(folder, family, top=f"{design['top']}_layer{layer['index']}"))
        for layer in design["layers"]
    ]


def measure(
    folder: str | Path,
    family: str,
    *,
    pnr: bool = False,
    per_layer: bool = False,
    device: str | None = None,
    package: str | None = None,
    stages: Stages | None = None,
) -> dict[str, Any]:
    """Yosys cells (and with ``pnr`` nextpnr's Fmax) of the build folder ``folder``.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`compress.build.build`.
    family : {"ice40", "ecp5", "xilinx"}
    pnr : bool
        Also place and route (iCE40 and ECP5 only) on ``device``/``package``
        (default :data:`PNR_DEVICES`).
    per_layer : bool
        Also synthesize each layer on its own for ``layers``: per-layer figures
        (:func:`layer_resources`).
    stages : Stages, optional
        Shows each tool run and its elapsed time on a terminal.

    Returns
    -------
    dict
        ``family``, ``luts``, ``ffs``, ``brams``, ``carries``, ``cells`` and,
        with ``pnr``, ``device``, ``package`` and either ``fmax_mhz``,
        ``logic_cells``, ``logic_cells_available`` or ``pnr_error`` (nextpnr's
        errors, e.g. when the design does not fit).
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")
    if pnr and family not in PNR_DEVICES:
        raise ValueError(
            f"pnr needs a family nextpnr supports ({', '.join(PNR_DEVICES)}), not {family!r}"
        )
    stages = stages or Stages(quiet=True)
    name = Path(folder).name
    with stages.stage(f"{name}: Yosys {FAMILIES[family]}"):
        result: dict[str, Any] = {"family": family, **resources(synthesize(folder, family))}
    if per_layer:
        with stages.stage(f"{name}: Yosys {FAMILIES[family]}, each layer on its own"):
            result["layers"] = layer_resources(folder, family)
    if pnr:
        device = device or PNR_DEVICES[family][0]
        package = package or PNR_DEVICES[family][1]
        with stages.stage(f"{name}: Yosys {FAMILIES[family]} in the five-pin wrapper"):
            synthesize(folder, family, wrap=True)
        result.update(device=device, package=package)
        try:
            with stages.stage(f"{name}: nextpnr-{family} on {device} {package}"):
                placed = place_and_route(folder, family, device, package)
        except RuntimeError as exc:  # e.g. the design does not fit the device
            result["pnr_error"] = str(exc)
        else:
            result.update(
                fmax_mhz=round(placed.fmax_mhz, 2),
                logic_cells=placed.used,
                logic_cells_available=placed.available,
            )
    return result


def dense_baseline(folder: str | Path, out: str | Path | None = None) -> Path:
    """Build the folder's source network with compression off; return the new folder.

    Same weight bits, delay grid and hardware options as the build in
    ``folder``; no pruning; full-scale codes get comparators instead of wires.
    The baseline goes to ``out`` (default ``folder/dense``), replacing it.
    """
    folder = Path(folder)
    design = json.loads((folder / "design.json").read_text())
    if "build_options" not in design or not (folder / "source.npz").exists():
        raise FileNotFoundError(
            f"{folder} must hold source.npz and design.json build_options, not a build "
            "from an older sc-compress; rebuild it"
        )
    options = design["build_options"]
    compression = options["compression"]
    config = CompressionConfig(**compression).uncompressed()
    hardware = dict(options["hardware"], constants=False)
    target = Path(out) if out is not None else folder / "dense"
    build(
        load_network(folder / "source.npz"),
        target,
        config,
        HardwareOptions(**hardware),
        top=design["top"],
        force=True,
    )
    return target
