"""Compressor-tree popcounts: how a column of equal-weight bits is cut into counters.

A popcount can be built as a pairwise adder tree (``"adder"``, every node a
``+``) or as a compressor tree of generalized parallel counters: each counter
takes up to ``m`` bits of one weight and gives ``m.bit_length()`` bits of
rising weights, one LUT per output bit, until every weight (column) holds at
most two bits; one carry-chain adder then sums the two rows.  ``"lut6"`` cuts
for 6-input LUTs (Xilinx): the first counters take three synapses with their
``x & [r <= m]`` gates folded in (six inputs), later ones six bits.  ``"lut4"``
cuts for 4-input LUTs (iCE40, ECP5): two synapses, then full adders (three
bits).  Layers without comparators (a folded layer's constant synapses) start
with the later size.

The counters are their own modules (``(* keep_hierarchy *)``), so synthesis
maps each to its LUTs instead of re-deriving the tree (Kumm and Zipf, FPL 2014;
Preusser, FPL 2017).  This module is pure: it only plans column heights, and
:func:`compress.hardware.structure.popcount_tree` wires the counters.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["POPCOUNTS", "column_groups", "compressor_levels", "counter_sizes"]

#: The popcount kinds, by name: a pairwise adder tree, or compressor trees for 4- and
#: 6-input LUTs.
POPCOUNTS = ("adder", "lut4", "lut6")


def counter_sizes(popcount: str, gated: bool) -> tuple[int, int]:
    """(first-level, later) counter inputs for ``popcount``; ``gated``: the first level's
    bits are synapses ``x & [r <= m]`` (two signals each).

    Examples
    --------
    >>> counter_sizes("lut6", True), counter_sizes("lut6", False), counter_sizes("lut4", True)
    ((3, 6), (6, 6), (2, 3))
    """
    if popcount not in POPCOUNTS[1:]:
        raise ValueError(f"popcount must be one of {', '.join(POPCOUNTS[1:])}, not {popcount!r}")
    inputs = int(popcount[3:])
    later = 6 if inputs == 6 else 3
    return (inputs // 2 if gated else later), later


def column_groups(height: int, size: int, *, first: bool) -> list[int]:
    """Counter sizes for a column of ``height`` bits in one stage (bits left over pass on).

    The first level of a gated tree counts every synapse (its gate folded into the
    counter; a lone one stays a plain bit).  Later levels cut while more than two bits
    remain, ``size`` bits at a time, the rest (three or more) in one smaller counter.
    (Cutting the rest into fives and threes only, which remove more bits per LUT, saved
    1 % of the LUTs of a 64x32 layer on Xilinx for one more level and 5 % more
    flip-flops.)

    Examples
    --------
    >>> column_groups(7, 3, first=True), column_groups(7, 6, first=False)
    ([3, 3], [6])
    >>> column_groups(2, 6, first=False), column_groups(10, 6, first=False)
    ([], [6, 4])
    >>> column_groups(9, 3, first=False)
    [3, 3, 3]
    """
    if first:
        return [min(size, height - i) for i in range(0, height, size) if height - i > 1]
    groups, left = [], height
    while left > 2:
        take = min(size, left)
        groups.append(take)
        left -= take
    return groups


def _stage(heights: dict[int, int], size: int, first: bool) -> dict[int, int]:
    out: dict[int, int] = {}
    for c, h in heights.items():
        groups = column_groups(h, size, first=first)
        out[c] = out.get(c, 0) + h - sum(groups)
        for m in groups:
            for b in range(m.bit_length()):
                out[c + b] = out.get(c + b, 0) + 1
    return out


@lru_cache(maxsize=64)
def compressor_levels(widest: int, popcount: str, gated: bool) -> int:
    """Levels of the compressor trees of a layer whose widest one sums ``widest`` bits:
    the counter stages and the final adder (0 for at most one bit), enough for every
    narrower tree too (the cuts are greedy, so a narrower tree may need one more stage).

    Examples
    --------
    >>> [compressor_levels(n, "lut6", True) for n in (1, 2, 3, 32, 64)]
    [0, 2, 2, 6, 6]
    """
    return max((_levels(n, popcount, gated) for n in range(2, widest + 1)), default=0)


def _levels(bits: int, popcount: str, gated: bool) -> int:
    first, later = counter_sizes(popcount, gated)
    heights, stages = {0: bits}, 0
    while (stages == 0 and gated) or max(heights.values()) > 2:
        heights = _stage(heights, first if stages == 0 else later, gated and stages == 0)
        stages += 1
    return stages + 1
