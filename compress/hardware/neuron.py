"""Fixed-point neuron arithmetic (SPEC section 4): one definition for the plan, the golden
model and both emitters.

A layer's membrane ``v`` (and, for a current-based neuron, its synaptic current ``i``)
is a signed integer in units of ``2**-F`` of one full-scale synapse (``F`` fractional
bits, :attr:`NeuronPlan.frac_bits`).  Per step, with the layer's signed count ``c``::

    i <- sat_IW(i - rnd(i, Ks, Ls) + (c << F))           current-based (CubaLIF, CubaLI)
    u  = i   (current-based)   or   c << F   (otherwise)
    s  = sat_VW(v - rnd(v, K, L) + drive + u)            no leak (IF): v
    fire = spiking and s >= theta
    v <- fire ? (reset_sub ? s - theta : v_reset) : s

    rnd(x, K, L) = (2**(G-1) + sum over K's signed digits s 2**e of
                    s ((x << G) >>> (L - e))) >>> G

``>>>`` is an arithmetic shift (floor division).  ``rnd`` is ``x * K / 2**L`` rounded to
the nearest integer (ties up) with :data:`GUARD` guard bits ``G``: every partial
product is floored at ``2**-G`` units, so its adder is only ``G + 2`` bits wider than
the membrane, and the error is below ``1/2 + digits * 2**-G`` units per step, nearly
unbiased (a drift-free random walk, where truncation would drift).  With one digit
(a power-of-two leak ``2**-s``: ``K = 1``, ``L = s``) it is exactly
``(x + 2**(s-1)) >>> s``.  ``K / 2**L`` is the sum of the fewest signed powers of two
within ``2**-LEAK_BITS`` of the graph's ``dt / tau`` (typically 2-4 digits).
Every constant (``theta``, ``drive``, ``v_reset``) is rounded to the grid;
:func:`describe` states each rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GUARD",
    "INTEGER_NEURON",
    "LEAK_BITS",
    "MAX_FRAC_BITS",
    "Decay",
    "NeuronPlan",
    "csd",
    "decay_of",
    "describe",
    "frac_bits_for",
    "neuron_step",
]

#: A leak factor ``K / 2**L`` is within ``2**-LEAK_BITS`` of the graph's ``dt / tau``, relative.
LEAK_BITS = 9
#: Guard bits of a decay's partial products: each term ``x * 2**(e - L)`` is floored at
#: ``2**-GUARD`` units, so the adders are ``GUARD`` bits wider than the membrane, not ``L``.
GUARD = 4
#: Most fractional bits a membrane may carry.
MAX_FRAC_BITS = 16
#: Automatic ``F``: the rounding of the leak may drift the membrane by at most
#: ``2**-F / (dt/tau)`` count units; ``F`` makes that at most ``2**-GUARD_BITS`` of a
#: count or of the threshold, whichever is smaller (6: on
#: snnTorch-style graphs the spikes then agree with a float simulation, 4 let them drift).
GUARD_BITS = 6


def csd(value: int) -> tuple[tuple[int, int], ...]:
    """Canonical signed digits of ``value >= 0``: ``((sign, exponent), ...)`` with
    ``value = sum(sign * 2**exponent)``, no two non-zero digits adjacent."""
    digits, exponent = [], 0
    while value:
        if value & 1:
            sign = 2 - (value & 3)  # 01 -> +1, 11 -> -1
            digits.append((sign, exponent))
            value -= sign
        value >>= 1
        exponent += 1
    return tuple(digits)


@dataclass(frozen=True)
class Decay:
    """Multiplication by ``1 - K / 2**L``: ``x <- x - rnd(x * K, L)`` (module docstring).

    Attributes
    ----------
    numerator : int
        ``K`` (odd, or 1), ``0 < K <= 2**L``.
    shift : int
        ``L``.
    fraction : float
        The graph's exact ``dt / tau`` that ``K / 2**L`` approximates.
    """

    numerator: int
    shift: int
    fraction: float

    @property
    def digits(self) -> tuple[tuple[int, int], ...]:
        """``K``'s canonical signed digits ``(sign, exponent)``: one adder each but the first."""
        return csd(self.numerator)

    @property
    def error(self) -> float:
        """Relative error of ``K / 2**L`` against :attr:`fraction`."""
        return abs(self.numerator / 2**self.shift - self.fraction) / self.fraction

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``x - rnd(x * K, L)`` on int64 arrays (``>>`` floors, as ``>>>`` does): the
        terms ``(x << G) >> (L - e)`` of the digits, their sum from ``2**(G-1)``, ``>> G``."""
        wide = x << GUARD
        total = np.full_like(x, 1 << (GUARD - 1))
        for sign, e in self.digits:
            total = total + sign * (wide >> (self.shift - e))
        return x - (total >> GUARD)


def decay_of(fraction: float) -> Decay:
    """The :class:`Decay` for a loss of ``fraction`` (``dt / tau``, in ``(0, 1]``) per step:
    signed powers of two taken greedily (the nearest to what is left) until ``K / 2**L`` is
    within ``2**-LEAK_BITS`` of ``fraction``, relative: the fewest adders for the accuracy
    (``2**-s`` is one digit, ``K = 1, L = s``)."""
    if not (0 < fraction <= 1):
        raise ValueError(f"leak must be in (0, 1], not {fraction!r}")
    terms: list[tuple[int, int]] = []
    rest = fraction
    while abs(rest) > fraction * 2.0**-LEAK_BITS and len(terms) < 8:
        low = math.floor(math.log2(abs(rest)))
        e = low if abs(rest) - 2.0**low <= 2.0 ** (low + 1) - abs(rest) else low + 1
        sign = 1 if rest > 0 else -1
        terms.append((sign, e))
        rest -= sign * 2.0**e
    shift = max(0, -min(e for _, e in terms))
    numerator = sum(sign << (e + shift) for sign, e in terms)
    while numerator % 2 == 0 and shift > 0:
        numerator, shift = numerator // 2, shift - 1
    return Decay(int(numerator), int(shift), float(fraction))


def frac_bits_for(leaks: list[float], constants: np.ndarray, scale: float = 1.0) -> int:
    """Automatic ``F``: enough for each leak (``ceil(log2(1/leak)) + GUARD_BITS``, plus
    ``ceil(log2(1/scale))`` when the threshold is below one count, ``scale`` being the
    smallest threshold in count units: the rounding then moves the membrane by at most
    ``2**-GUARD_BITS`` of the threshold) and for the constants (in count units) to sit
    on the grid, at most 8 bits for them; 0 for an integer neuron without a leak."""
    small = max(0, math.ceil(math.log2(1 / scale))) if 0 < scale < 1 else 0
    bits = [math.ceil(math.log2(1 / f)) + GUARD_BITS + small for f in leaks if f > 0]
    c = np.asarray(constants, dtype=np.float64).reshape(-1)
    for f in range(9):
        if np.allclose(c * 2**f, np.round(c * 2**f), rtol=0, atol=1e-9):
            bits.append(f)
            break
    else:
        bits.append(8)
    return min(MAX_FRAC_BITS, max(bits, default=0))


@dataclass(frozen=True)
class NeuronPlan:
    """A layer's neuron arithmetic, every constant an integer on the ``2**-F`` grid.

    Attributes
    ----------
    frac_bits : int
        ``F``.
    leak : Decay or None
        The membrane's decay; None: none (IF, LI without leak).
    syn : Decay or None
        The synaptic current's decay (current-based neurons); None: no current.
    syn_current : bool
        Whether the layer has a synaptic current register (CubaLIF, CubaLI).
    i_width : int
        Bits of the current register (0 without one).
    drives : tuple of int
        Per neuron, added to the membrane every step (NIR's ``v_leak`` term).
    v_resets : tuple of int
        Per neuron, the membrane after a spike with reset ``"zero"``.
    spiking : bool
        False for a leaky integrator (LI, CubaLI): never fires; read by its membrane.
    """

    frac_bits: int = 0
    leak: Decay | None = None
    syn: Decay | None = None
    syn_current: bool = False
    i_width: int = 0
    drives: tuple[int, ...] = ()
    v_resets: tuple[int, ...] = ()
    spiking: bool = True

    @property
    def plain(self) -> bool:
        """No current, no drive, reset to 0, spiking: the neuron the speed pipeline
        pre-subtracts the threshold for."""
        return (
            not self.syn_current
            and self.spiking
            and not any(self.drives)
            and not any(self.v_resets)
        )

    @property
    def model(self) -> str:
        """NIR's name for the neuron: ``LIF``, ``IF``, ``LI``, ``CubaLIF`` or ``CubaLI``."""
        if self.syn_current:
            return "CubaLIF" if self.spiking else "CubaLI"
        if not self.spiking:
            return "LI"
        return "LIF" if self.leak is not None else "IF"


#: The integer neuron without a leak, current, drive or reset value (``F = 0``).
INTEGER_NEURON = NeuronPlan()


def _sat(x: np.ndarray, width: int) -> np.ndarray:
    return np.clip(x, -(1 << (width - 1)), (1 << (width - 1)) - 1)


def neuron_step(
    neuron: NeuronPlan,
    *,
    v: np.ndarray,
    i: np.ndarray,
    count: np.ndarray,
    thetas: np.ndarray,
    v_width: int,
    reset_sub: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of the module docstring's arithmetic on int64 arrays ``(..., n_out)``:
    ``(v, i, fire)`` after it."""
    u = count.astype(np.int64) << neuron.frac_bits
    if neuron.syn_current:
        decayed = i if neuron.syn is None else neuron.syn.apply(i)
        i = _sat(decayed + u, neuron.i_width)
        u = i
    leaked = v if neuron.leak is None else neuron.leak.apply(v)
    drive = np.asarray(neuron.drives or 0, dtype=np.int64)
    s = _sat(leaked + drive + u, v_width)
    if not neuron.spiking:
        return s, i, np.zeros(s.shape, dtype=bool)
    fire = s >= thetas
    after = s - thetas if reset_sub else np.asarray(neuron.v_resets or 0, dtype=np.int64)
    return np.where(fire, after, s), i, fire


def describe(neuron: NeuronPlan) -> dict:
    """``design.json``'s account of the arithmetic: ``F``, each decay's ``K``, ``L``, signed
    digits and error against the graph's ``dt / tau``."""

    def decay(d: Decay | None) -> dict | None:
        if d is None:
            return None
        return {
            "fraction": d.fraction,
            "numerator": d.numerator,
            "shift": d.shift,
            "digits": [list(x) for x in d.digits],
            "relative_error": d.error,
            "rule": f"x <- x - rnd(x, {d.numerator}, {d.shift}), guard bits {GUARD}",
        }

    return {
        "model": neuron.model,
        "frac_bits": neuron.frac_bits,
        "leak": decay(neuron.leak),
        "syn_leak": decay(neuron.syn),
        "syn_current": neuron.syn_current,
        "i_width": neuron.i_width,
        "drives": list(neuron.drives),
        "v_resets": list(neuron.v_resets),
        "spiking": neuron.spiking,
    }


def from_description(d: dict | None) -> NeuronPlan:
    """The inverse of :func:`describe` (``None``: an integer neuron of an older plan)."""
    if d is None:
        return INTEGER_NEURON

    def decay(x: dict | None) -> Decay | None:
        return None if x is None else Decay(x["numerator"], x["shift"], x["fraction"])

    return NeuronPlan(
        frac_bits=d["frac_bits"],
        leak=decay(d["leak"]),
        syn=decay(d["syn_leak"]),
        syn_current=d["syn_current"],
        i_width=d["i_width"],
        drives=tuple(d["drives"]),
        v_resets=tuple(d["v_resets"]),
        spiking=d["spiking"],
    )
