"""The one cell counter: LUTs, flip-flops, block RAMs and carry cells of a Yosys ``stat -json``.

Every measured figure (reports, sweeps, benches, tests, the calibration)
counts cells here, so they all agree on which primitive is what.
"""

from __future__ import annotations

from typing import Any

from ..hardware.families import FAMILIES

__all__ = ["BRAM_CELLS", "CARRY_CELLS", "FF_CELLS", "LUT_CELLS", "resources"]

#: Cell-name prefixes per kind, of every family (:data:`~compress.hardware.families.FAMILIES`).
LUT_CELLS = tuple(c for f in FAMILIES.values() for c in f.lut_cells)
FF_CELLS = tuple(c for f in FAMILIES.values() for c in f.ff_cells)
#: Block-RAM primitives (exact names).
BRAM_CELLS = tuple(c for f in FAMILIES.values() for c in f.brams)
CARRY_CELLS = tuple(c for f in FAMILIES.values() for c in f.carry_cells)


def resources(stat: dict[str, Any]) -> dict[str, int]:
    """LUTs, flip-flops, block RAMs, carry cells and all cells of a Yosys ``stat -json``.

    Examples
    --------
    >>> resources({"num_cells": 5, "num_cells_by_type": {"SB_LUT4": 3, "SB_DFFE": 2}})
    {'luts': 3, 'ffs': 2, 'brams': 0, 'carries': 0, 'cells': 5}
    """
    cells = stat["num_cells_by_type"]

    def count(prefixes: tuple[str, ...]) -> int:
        return sum(n for cell, n in cells.items() if cell.startswith(prefixes))

    return {
        "luts": count(LUT_CELLS),
        "ffs": count(FF_CELLS),
        "brams": sum(cells.get(cell, 0) for cell in BRAM_CELLS),
        "carries": count(CARRY_CELLS),
        "cells": int(stat["num_cells"]),
    }
