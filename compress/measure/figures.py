"""Measured resources of a build folder.

:func:`measure` runs Yosys (``synth_<family> -flatten``) on a build folder and,
when asked, nextpnr on the design in its few-pin wrapper
(:func:`compress.measure.synth.io_wrapper`) for Fmax; cells are counted by
:func:`compress.measure.cells.resources`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..hardware.design import read_design
from ..hardware.families import FAMILIES, family_of
from ..progress import Stages
from .cells import resources
from .synth import place_and_route, synthesize

__all__ = ["layer_resources", "measure"]


def layer_resources(folder: str | Path, family: str) -> list[dict[str, int]]:
    """Per-layer Yosys figures: each layer module synthesized on its own, flattened.

    The same flow as the whole design's (:func:`measure`), but a layer's
    outputs are ports, so logic the whole design drops stays (the hidden
    layers' count registers, for one): the layers add up to a little more than
    the whole.
    """
    design = read_design(folder)
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
    family : str
        A key of :data:`compress.hardware.families.FAMILIES`.
    pnr : bool
        Also place and route (iCE40 and ECP5 only) on ``device``/``package``
        (default: the family's :attr:`~compress.hardware.families.Family.pnr_default`).
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
    target = family_of(family)  # a ValueError names the families
    if pnr and target.pnr_default is None:
        placeable = ", ".join(f.name for f in FAMILIES.values() if f.pnr_default)
        raise ValueError(f"pnr needs a family nextpnr supports ({placeable}), not {family!r}")
    stages = stages or Stages(quiet=True)
    name = Path(folder).name
    with stages.stage(f"{name}: Yosys {target.synth}"):
        result: dict[str, Any] = {"family": family, **resources(synthesize(folder, family))}
    if per_layer:
        with stages.stage(f"{name}: Yosys {target.synth}, each layer on its own"):
            result["layers"] = layer_resources(folder, family)
    if pnr:
        device = device or target.pnr_default[0]
        package = package or target.pnr_default[1]
        with stages.stage(f"{name}: Yosys {target.synth} in the few-pin wrapper"):
            synthesize(folder, family, wrap=True)
        result.update(device=device, package=package)
        try:
            with stages.stage(f"{name}: nextpnr-{target.pnr} on {device} {package}"):
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
