"""The FPGA families: one object each, in one registry every part of the tool reads."""

from __future__ import annotations

import pytest

from compress.analysis.estimate import estimate
from compress.analysis.parts import PARTS as FIT_PARTS
from compress.hardware.families import FAMILIES, PARTS, Family, family_of, part_of
from compress.measure.cells import BRAM_CELLS, CARRY_CELLS, FF_CELLS, LUT_CELLS, resources


def test_every_family_is_one_complete_object():
    assert list(FAMILIES) == ["ice40", "ecp5", "xilinx"]
    for name, family in FAMILIES.items():
        assert isinstance(family, Family) and family.name == name
        assert family.synth == f"synth_{name}" and family.lut_inputs in (4, 6)
        assert family.brams and family.lut_cells and family.ff_cells and family.carry_cells
        assert 0 < family.headroom <= 1
        assert (family.pnr is None) == (family.pnr_cell is None) == (family.pnr_default is None)
        assert all(part.family == name for part in family.parts)


def test_parts_come_from_the_families():
    """``--fit``'s parts are the families' parts; a part's nextpnr device is its family's."""
    assert FIT_PARTS is PARTS
    assert {p.name for f in FAMILIES.values() for p in f.parts} == set(PARTS)
    for part in PARTS.values():
        assert (part.pnr is None) == (family_of(part.family).pnr is None)
    assert part_of("up5k").sprams == 4


def test_the_cell_counter_knows_every_familys_cells():
    for family in FAMILIES.values():
        for prefix in family.lut_cells:
            assert prefix in LUT_CELLS
        assert set(family.ff_cells) <= set(FF_CELLS)
        assert set(family.brams) <= set(BRAM_CELLS)
        assert set(family.carry_cells) <= set(CARRY_CELLS)
    stat = {"num_cells": 4, "num_cells_by_type": {"LUT6": 1, "FDRE": 1, "CARRY4": 1, "RAMB18E1": 1}}
    assert resources(stat) == {"luts": 1, "ffs": 1, "brams": 1, "carries": 1, "cells": 4}


@pytest.mark.parametrize("name", ["", "ICE40", "gowin", "xc7"])
def test_an_unknown_family_or_part_is_named(name):
    with pytest.raises(ValueError, match=r"^family must be one of ice40, ecp5, xilinx, not "):
        family_of(name)
    with pytest.raises(ValueError, match=r"^part must be one of up5k, hx8k, ecp5-25k"):
        part_of(name)


def test_the_estimate_reads_the_familys_memories():
    """iCE40 has no LUT RAM: a small writable memory is a block RAM there, LUT RAM elsewhere."""
    from compress import CompressionConfig, HardwareOptions, example_network
    from compress.hardware.plan import plan_network
    from compress.model.passes import compress_network

    result = compress_network(example_network(), CompressionConfig())
    plan = plan_network(result, hardware=HardwareOptions(parallelism=2, weight_port=True))
    ice40, ecp5 = estimate(plan, "ice40")["total"], estimate(plan, "ecp5")["total"]
    assert not FAMILIES["ice40"].lut_ram and FAMILIES["ecp5"].lut_ram
    assert ice40["brams"] > ecp5["brams"]
    with pytest.raises(ValueError, match=r"^family must be one of ice40, ecp5, xilinx, not 'x'"):
        estimate(plan, "x")
