"""Maximal-length LFSRs and the random streams derived from them.

This module is the one place that defines the random numbers of the
hardware; the golden model and the Verilog both use it.

Register: a ``k``-bit Fibonacci LFSR shifting left.  With state bits
``s[k-1..0]`` and the 1-based taps of :data:`TAPS` (Xilinx XAPP052), the next
state is ``((s << 1) | xor(s[t - 1] for t in taps)) & M`` with ``M = 2**k - 1``.
It visits every value ``1..M`` once per period ``M`` (tested for every ``k``).

Stream: a fixed bit permutation of one register's state,
``r(t) bit b = s(t) bit perm[b]``.  A permutation of a maximal-length state
again visits every value ``1..M`` once per period, which keeps the
period-exactness of SPEC section 4.  Permutations are tried in the order
rotations by ``0..k-1``, then bit-reversal followed by the same rotations.
"""

from __future__ import annotations

from functools import cache

import numpy as np

__all__ = ["TAPS", "block_bits", "lfsr_sequence", "next_state", "permutations", "stream_table"]

#: 1-based feedback taps of a maximal-length Fibonacci LFSR, by width.
TAPS: dict[int, tuple[int, ...]] = {
    1: (1,),
    2: (2, 1),
    3: (3, 2),
    4: (4, 3),
    5: (5, 3),
    6: (6, 5),
    7: (7, 6),
    8: (8, 6, 5, 4),
    9: (9, 5),
    10: (10, 7),
    11: (11, 9),
    12: (12, 6, 4, 1),
    13: (13, 4, 3, 1),
    14: (14, 5, 3, 1),
    15: (15, 14),
}


def next_state(state: int, width: int) -> int:
    """The state after ``state`` of the ``width``-bit LFSR."""
    mask = (1 << width) - 1
    if width == 1:
        return state
    feedback = 0
    for tap in TAPS[width]:
        feedback ^= (state >> (tap - 1)) & 1
    return ((state << 1) | feedback) & mask


@cache
def _sequence_from_one(width: int) -> np.ndarray:
    period = (1 << width) - 1
    out = np.empty(period, dtype=np.int32)
    state = 1
    for t in range(period):
        out[t] = state
        state = next_state(state, width)
    if state != 1 or len(set(out.tolist())) != period:
        raise AssertionError(f"taps of width {width} are not maximal-length")
    out.setflags(write=False)
    return out


def lfsr_sequence(width: int, seed: int) -> np.ndarray:
    """States ``s(0) = seed, s(1), ..., s(M - 1)`` of the ``width``-bit LFSR."""
    base = _sequence_from_one(width)
    start = int(np.flatnonzero(base == seed)[0])
    return np.roll(base, -start)


def permutations(width: int) -> list[tuple[int, ...]]:
    """Candidate bit permutations: rotations, then reversed rotations."""
    rotations = [tuple((b + r) % width for b in range(width)) for r in range(width)]
    reflections = [tuple((width - 1 - b + r) % width for b in range(width)) for r in range(width)]
    seen: list[tuple[int, ...]] = []
    for perm in rotations + reflections:
        if perm not in seen:
            seen.append(perm)
    return seen


@cache
def block_bits(width: int) -> int:
    """``B``: the most permutations of a ``width``-bit register that make a power of two,
    ``2**B <= len(permutations(width))`` (a register feeding a block of streams whose
    number splits into register and permutation bits)."""
    return len(permutations(width)).bit_length() - 1


def permute(values: np.ndarray, perm: tuple[int, ...]) -> np.ndarray:
    """Apply ``r bit b = s bit perm[b]`` to every value in ``values``."""
    out = np.zeros_like(values)
    for b, src in enumerate(perm):
        out |= ((values >> src) & 1) << b
    return out


def stream_table(width: int, seed: int, perm: tuple[int, ...]) -> np.ndarray:
    """The stream's values at steps ``0..M-1`` (then it repeats)."""
    return permute(lfsr_sequence(width, seed), perm)
