"""FPGA parts: what each holds, whether a plan fits one, and the fastest design that fits.

:data:`PARTS` lists the parts ``build --fit`` and ``report`` know, with the
logic cells, flip-flops and block RAMs of their datasheets.  :func:`fit` sets a
plan's estimate (:func:`compress.analysis.estimate.estimate`) against a part;
:func:`choose` tries, layer by layer, fully parallel, folded and event-driven
hardware at several lane counts and keeps the combination with the fewest
worst-case clocks per step whose estimate fits the part with
:data:`LUT_HEADROOM` to spare, or says by how much the smallest one misses.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any

from ..hardware.plan import HardwareOptions, NetworkPlan, plan_network
from ..model.passes import CompressionResult
from .estimate import estimate

__all__ = ["LUT_HEADROOM", "PARTS", "Choice", "Part", "choose", "fit", "part_of"]

#: ``choose`` keeps this fraction of a part's logic cells free: the estimate's error
#: (up to 15% on the calibration set) and room for the placer.
LUT_HEADROOM = 0.8


@dataclass(frozen=True)
class Part:
    """An FPGA part.

    Attributes
    ----------
    name : str
        What ``--fit`` takes (``up5k``).
    title : str
    family : {"ice40", "ecp5", "xilinx"}
    luts, ffs : int
        Logic cells (LUT4 on iCE40 and ECP5, LUT6 on Xilinx) and flip-flops.
    brams : int
        Block RAMs: SB_RAM40_4K (4 kbit), DP16KD (18 kbit) or RAMB36 (36 kbit).
    bram_bits : int
        Bits of one block RAM.
    pnr : tuple of (str, str) or None
        nextpnr's device flag and package (None: no open place and route).
    """

    name: str
    title: str
    family: str
    luts: int
    ffs: int
    brams: int
    bram_bits: int
    pnr: tuple[str, str] | None

    @property
    def memory_bits(self) -> int:
        """Block-RAM bits of the part."""
        return self.brams * self.bram_bits


#: The parts ``build --fit`` and ``report --part`` know (datasheet figures).
PARTS = {
    p.name: p
    for p in (
        Part(
            "up5k", "Lattice iCE40 UltraPlus UP5K", "ice40", 5280, 5280, 30, 4096, ("up5k", "sg48")
        ),
        Part("hx8k", "Lattice iCE40 HX8K", "ice40", 7680, 7680, 32, 4096, ("hx8k", "ct256")),
        Part(
            "ecp5-25k",
            "Lattice ECP5 LFE5U-25F",
            "ecp5",
            24288,
            24288,
            56,
            18432,
            ("25k", "CABGA256"),
        ),
        Part(
            "ecp5-45k",
            "Lattice ECP5 LFE5U-45F",
            "ecp5",
            43848,
            43848,
            108,
            18432,
            ("45k", "CABGA256"),
        ),
        Part(
            "ecp5-85k",
            "Lattice ECP5 LFE5U-85F",
            "ecp5",
            83640,
            83640,
            208,
            18432,
            ("85k", "CABGA381"),
        ),
        Part("xc7a35t", "AMD Xilinx Artix-7 XC7A35T", "xilinx", 20800, 41600, 50, 36864, None),
    )
}


def part_of(name: str) -> Part:
    """The part called ``name``; ``ValueError`` names the known ones."""
    if name not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {name!r}")
    return PARTS[name]


def fit(plan: NetworkPlan, part: Part | str, figures: dict[str, Any] | None = None) -> dict:
    """Whether ``plan`` fits ``part``, by the estimate (or by measured ``figures``).

    Returns
    -------
    dict
        ``part``, ``family``, and for ``luts``, ``ffs`` and ``bram_bits``: what
        the design needs, what the part has and the percentage used; ``fits``
        and ``over`` (one line per resource the part lacks, with how much).
    """
    part = part_of(part) if isinstance(part, str) else part
    total = figures or estimate(plan, part.family)["total"]
    need = {
        "luts": int(total["luts"]),
        "ffs": int(total["ffs"]),
        "bram_bits": int(total.get("bram_bits", total["brams"] * part.bram_bits)),
    }
    have = {"luts": part.luts, "ffs": part.ffs, "bram_bits": part.memory_bits}
    names = {"luts": "logic cells", "ffs": "flip-flops", "bram_bits": "block-RAM bits"}
    over = [
        f"{names[k]}: {need[k]:,} needed, {have[k]:,} on the {part.name} "
        f"({100 * (need[k] - have[k]) / have[k]:.0f}% over)"
        for k in need
        if need[k] > have[k]
    ]
    return {
        "part": part.name,
        "family": part.family,
        **{
            k: {"need": need[k], "have": have[k], "used_percent": round(100 * need[k] / have[k], 1)}
            for k in need
        },
        "fits": not over,
        "over": over,
    }


#: Per-layer options ``choose`` tries: fully parallel, folded (aligned order) and event-driven.
FOLD_LANES = (32, 16, 8, 4, 2, 1)
EVENT_LANES = (64, 32, 16, 8, 4, 2, 1)


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` picked: the hardware options, their plan and its fit."""

    hardware: HardwareOptions
    plan: NetworkPlan
    fit: dict[str, Any]
    tried: int


def _options() -> list[tuple[str, int | str, int]]:
    """(label, parallelism, neuron lanes) of every per-layer option."""
    out = [("full", "full", 8)]
    out += [(f"folded P={p}", p, 8) for p in FOLD_LANES]
    out += [(f"event {n} lanes", "event", n) for n in EVENT_LANES]
    return out


def choose(
    result: CompressionResult,
    part: Part | str,
    hardware: HardwareOptions | None = None,
    top: str = "sc_network",
    *,
    max_combinations: int = 20000,
) -> Choice:
    """The fastest layer styles and lanes whose estimate fits ``part``.

    Every layer may be fully parallel, folded (aligned order, ``P`` in
    :data:`FOLD_LANES`) or event-driven (:data:`EVENT_LANES` neuron lanes).  A
    combination fits when its logic cells stay within :data:`LUT_HEADROOM` of
    the part's and its flip-flops and block-RAM bits within the part's; among
    those the fewest worst-case clocks per step wins (then the fewest LUTs).
    The other options of ``hardware`` (pipeline, encoder, readout, weight port,
    ...) are kept.

    Raises
    ------
    ValueError
        When nothing fits: the message names the smallest combination and by how
        much it misses the part.
    """
    part = part_of(part) if isinstance(part, str) else part
    hardware = hardware or HardwareOptions()
    n_layers = len(result.codes)
    options = _options()
    per_option = []  # per option: its plan (every layer in that style) and estimate
    for _, parallelism, lanes in options:
        trial = dataclasses.replace(
            hardware,
            parallelism=parallelism,
            fold_order="aligned",
            neuron_lanes=lanes,
            weight_port=hardware.weight_port and parallelism != "full",
        )
        plan = plan_network(result, top, trial)
        per_option.append((plan, estimate(plan, part.family)))
    budget = {"luts": part.luts * LUT_HEADROOM, "ffs": part.ffs, "bram_bits": part.memory_bits}
    extras = {
        k: per_option[0][1]["total"][k] - sum(la[k] for la in per_option[0][1]["layers"])
        for k in ("luts", "ffs")
    }
    best, smallest, tried = None, None, 0
    combos = itertools.product(range(len(options)), repeat=n_layers)
    for combo in itertools.islice(combos, max_combinations):
        tried += 1
        layers = [per_option[o][1]["layers"][i] for i, o in enumerate(combo)]
        need = {
            "luts": sum(la["luts"] for la in layers) + extras["luts"],
            "ffs": sum(la["ffs"] for la in layers)
            + extras["ffs"]
            + (1 if any(c for c in combo) else 0),
            "bram_bits": sum(la["bram_bits"] for la in layers),
        }
        plans = [per_option[o][0].layers[i] for i, o in enumerate(combo)]
        locked = any(p.has_memory for p in plans)
        clocks = 1 + sum(p.latency for p in plans) if locked else 1
        size = max(need[k] / budget[k] for k in need)
        if smallest is None or size < smallest[0]:
            smallest = (size, combo)
        if all(need[k] <= budget[k] for k in need):
            key = (clocks, need["luts"])
            if best is None or key < best[0]:
                best = (key, combo)
    if best is None:
        combo = smallest[1]
        plan = _combined(result, top, hardware, options, combo)
        report = fit(plan, part)
        labels = ", ".join(options[o][0] for o in combo)
        misses = "; ".join(report["over"]) or (
            f"logic cells: {report['luts']['need']:,} needed, more than "
            f"{LUT_HEADROOM:.0%} of the {part.name}'s {part.luts:,}"
        )
        raise ValueError(
            f"design must fit the {part.name} ({part.title}), but nothing does: the smallest "
            f"of {tried} combinations of layer styles ({labels}) needs {misses}"
        )
    combo = best[1]
    plan = _combined(result, top, hardware, options, combo)
    return Choice(plan_hardware(hardware, options, combo), plan, fit(plan, part), tried)


def plan_hardware(
    hardware: HardwareOptions, options: list[tuple[str, int | str, int]], combo: tuple[int, ...]
) -> HardwareOptions:
    """``hardware`` with the layer styles and lanes of ``combo``."""
    styles = tuple(options[o][1] for o in combo)
    memory = any(s != "full" for s in styles)
    return dataclasses.replace(
        hardware,
        parallelism=styles,
        fold_order="aligned",
        neuron_lanes=tuple(options[o][2] for o in combo),
        weight_port=hardware.weight_port and memory,
    )


def _combined(result, top, hardware, options, combo) -> NetworkPlan:
    return plan_network(result, top, plan_hardware(hardware, options, combo))
