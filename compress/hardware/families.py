"""FPGA families and parts: everything sc-compress knows about a target, in one registry.

A :class:`Family` is one object: its Yosys synthesis command, its LUT size, its
block-RAM primitives and their shapes, the cell names Yosys gives its LUTs,
flip-flops, carries and block RAMs, whether it has LUT RAM and whether a logic cell
holds a flip-flop beside its LUT, how much of it ``--fit`` fills, nextpnr's flavour,
cell kind and default device, and its :class:`Part` s (datasheet figures).  The
estimator, ``--fit``, synthesis, place and route, the cell counter, the reports and
the CLI read :data:`FAMILIES` and :data:`PARTS`; adding a family is an entry here
(and its LUT-model coefficients, fitted by ``tools/calibrate.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FAMILIES",
    "ICE40_HEADROOM",
    "LUT_HEADROOM",
    "PARTS",
    "Family",
    "Part",
    "family_of",
    "part_of",
]

#: ``--fit`` keeps this fraction of a part's logic cells free: the estimate's error
#: (up to 15% on the calibration set) and room for the placer.
LUT_HEADROOM = 0.8
#: ... on iCE40, of its logic cells against the estimate's LUTs plus flip-flops (the sum
#: overstated placed cells by 2% on an event design; 64-32-10 fully parallel, at 98% of an
#: UP5K by the sum, did not place).
ICE40_HEADROOM = 0.95


@dataclass(frozen=True)
class Part:
    """An FPGA part.

    Attributes
    ----------
    name : str
        What ``--fit`` takes (``up5k``).
    title : str
    family : str
        A key of :data:`FAMILIES`.
    luts, ffs : int
        Logic cells (LUT4 on iCE40 and ECP5, LUT6 on Xilinx) and flip-flops.
    brams : int
        Block RAMs: SB_RAM40_4K (4 kbit), DP16KD (18 kbit) or RAMB36 (36 kbit).
    bram_bits : int
        Bits of one block RAM.
    pnr : tuple of (str, str) or None
        nextpnr's device flag and package (None: no open place and route).
    sprams : int
        SB_SPRAM256KA blocks (16384 x 16 bits; iCE40 UltraPlus only).
    """

    name: str
    title: str
    family: str
    luts: int
    ffs: int
    brams: int
    bram_bits: int
    pnr: tuple[str, str] | None
    sprams: int = 0

    @property
    def memory_bits(self) -> int:
        """Block-RAM bits of the part."""
        return self.brams * self.bram_bits


@dataclass(frozen=True)
class Family:
    """An FPGA family.

    Attributes
    ----------
    name : str
        ``ice40``, ``ecp5``, ``xilinx``: the CLI's ``--target`` and the estimate's key.
    title : str
    synth : str
        The Yosys command (``synth_ice40``); run with ``-flatten``.
    lut_inputs : int
        Inputs of the family's LUT (4 or 6).
    brams : dict of str to tuple of (int, int)
        Block-RAM primitives and their (width, depth) shapes, as Yosys maps memories.
    lut_cells, ff_cells, carry_cells : tuple of str
        Cell-name prefixes of Yosys's LUTs, flip-flops and carry cells.
    lut_ram : bool
        Small writable memories may become LUT RAM (iCE40: none, they take block RAM).
    ff_in_logic_cell : bool
        A logic cell holds one LUT and one flip-flop (iCE40), so a design needs its
        LUTs plus its flip-flops in cells (an upper bound).
    headroom : float
        The fraction of the logic cells ``--fit`` fills at most.
    pnr : str or None
        nextpnr's flavour (``nextpnr-<pnr>``); None: no open place and route.
    pnr_cell : str or None
        The logic-cell kind nextpnr's report counts.
    pnr_default : tuple of (str, str) or None
        The device and package Fmax is measured on when none is given.
    parts : tuple of Part
    counter_luts : dict of str to int
        LUTs Yosys maps each compressor-tree counter module to (``count<m>``,
        ``count_and<m>``: :mod:`compress.hardware.counters`), measured on the modules
        alone (they are kept apart in synthesis, so the figure holds in any design;
        ``tests/test_synth.py`` measures them again).
    popcount : str
        The compressor trees ``--fit`` tries beside adder trees when ``--popcount`` is
        ``auto`` (:data:`~compress.hardware.counters.POPCOUNTS`), keeping the smaller
        estimate: the kind measured smaller on the family (``bench/bench_hw.py
        --popcount``).
    shift_register_min : int or None
        Yosys maps a chain of at least this many registers that only copy one another
        to a LUT shift register (Xilinx SRL16E: no flip-flops); None: never.
    """

    name: str
    title: str
    synth: str
    lut_inputs: int
    brams: dict[str, tuple[tuple[int, int], ...]]
    lut_cells: tuple[str, ...]
    ff_cells: tuple[str, ...]
    carry_cells: tuple[str, ...]
    lut_ram: bool
    ff_in_logic_cell: bool
    headroom: float
    pnr: str | None
    pnr_cell: str | None
    pnr_default: tuple[str, str] | None
    parts: tuple[Part, ...]
    counter_luts: dict[str, int]
    popcount: str = "adder"
    shift_register_min: int | None = None


_ICE40 = Family(
    name="ice40",
    title="Lattice iCE40",
    synth="synth_ice40",
    lut_inputs=4,
    brams={"SB_RAM40_4K": ((16, 256), (8, 512), (4, 1024), (2, 2048))},
    lut_cells=("SB_LUT4",),
    ff_cells=("SB_DFF",),
    carry_cells=("SB_CARRY",),
    lut_ram=False,
    ff_in_logic_cell=True,
    headroom=ICE40_HEADROOM,
    pnr="ice40",
    pnr_cell="ICESTORM_LC",
    pnr_default=("up5k", "sg48"),
    parts=(
        Part(
            "up5k",
            "Lattice iCE40 UltraPlus UP5K",
            "ice40",
            5280,
            5280,
            30,
            4096,
            ("up5k", "sg48"),
            sprams=4,
        ),
        Part("hx8k", "Lattice iCE40 HX8K", "ice40", 7680, 7680, 32, 4096, ("hx8k", "ct256")),
    ),
    counter_luts={
        "count2": 2,
        "count3": 2,
        "count4": 3,
        "count5": 8,
        "count6": 9,
        "count_and2": 2,
        "count_and3": 4,
    },
    popcount="lut4",
)
_ECP5 = Family(
    name="ecp5",
    title="Lattice ECP5",
    synth="synth_ecp5",
    lut_inputs=4,
    brams={"DP16KD": ((36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384))},
    lut_cells=("LUT4",),
    ff_cells=("TRELLIS_FF",),
    carry_cells=("CCU2C",),
    lut_ram=True,
    ff_in_logic_cell=False,
    headroom=LUT_HEADROOM,
    pnr="ecp5",
    pnr_cell="TRELLIS_COMB",
    pnr_default=("25k", "CABGA256"),
    parts=tuple(
        Part(
            f"ecp5-{size}",
            f"Lattice ECP5 LFE5U-{size[:-1]}F",
            "ecp5",
            luts,
            luts,
            brams,
            18432,
            (size, package),
        )
        for size, luts, brams, package in (
            ("25k", 24288, 56, "CABGA256"),
            ("45k", 43848, 108, "CABGA256"),
            ("85k", 83640, 208, "CABGA381"),
        )
    ),
    counter_luts={
        "count2": 2,
        "count3": 2,
        "count4": 3,
        "count5": 6,
        "count6": 12,
        "count_and2": 2,
        "count_and3": 8,
    },
    popcount="lut4",
)
_XILINX = Family(
    name="xilinx",
    title="AMD Xilinx 7 series",
    synth="synth_xilinx",
    lut_inputs=6,
    brams={
        "RAMB36E1": ((72, 512), (36, 1024), (18, 2048), (9, 4096), (4, 8192), (2, 16384)),
        "RAMB18E1": ((36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384)),
    },
    lut_cells=("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"),
    ff_cells=("FD",),
    carry_cells=("CARRY4",),
    lut_ram=True,
    ff_in_logic_cell=False,
    headroom=LUT_HEADROOM,
    pnr=None,
    pnr_cell=None,
    pnr_default=None,
    parts=(Part("xc7a35t", "AMD Xilinx Artix-7 XC7A35T", "xilinx", 20800, 41600, 50, 36864, None),),
    counter_luts={
        "count2": 2,
        "count3": 2,
        "count4": 3,
        "count5": 3,
        "count6": 3,
        "count_and2": 2,
        "count_and3": 2,
    },
    popcount="lut6",
    shift_register_min=3,
)

#: Every family by name (the estimate's, synthesis's and the CLI's order).
FAMILIES: dict[str, Family] = {f.name: f for f in (_ICE40, _ECP5, _XILINX)}
#: The parts ``build --fit`` and ``report --part`` know (datasheet figures), by name.
PARTS: dict[str, Part] = {p.name: p for f in FAMILIES.values() for p in f.parts}


def family_of(name: str) -> Family:
    """The family called ``name``; ``ValueError`` names the known ones."""
    if name not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {name!r}")
    return FAMILIES[name]


def part_of(name: str) -> Part:
    """The part called ``name``; ``ValueError`` names the known ones."""
    if name not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {name!r}")
    return PARTS[name]
