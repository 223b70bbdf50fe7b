"""The rate encoder: feature values in [0, 1] to input spikes, exactly as hardware can.

Feature ``j`` of a sample is quantized to a level ``q_j = round(x_j * M)`` with
``M = 2**bits - 1`` (``bits`` is the encoder's input width, 8 by default), and
at step ``t`` input ``j`` spikes when ``r_j(t) <= q_j``.  ``r_j`` is a random
stream of a ``bits``-wide maximal-length LFSR (:mod:`compress.hardware.lfsr`): register
seed ``seeds[register_j]`` seen through the bit permutation ``perm_j``.  So
over any ``M`` consecutive steps input ``j`` spikes exactly ``q_j`` times (``q =
0`` never, ``q = M`` at every step), the same period-exactness the weights have.

With ``kind="vdc"`` the random value is low-discrepancy instead:
``r_j(t) = bitreverse(t mod 2**bits) XOR mask_j`` (a van der Corput sequence of the
step count, digitally shifted by a per-input mask), and input ``j`` spikes when
``r_j(t) < q_j``.  Every ``2**bits`` consecutive steps hold every value once, so input
``j`` spikes exactly ``q_j`` times in them, and every aligned window of ``2**k``
steps as evenly as it can be: a short window's spike count is within one of
``q_j * 2**k / 2**bits``, where the LFSR's wanders by its square root.  On digits this
takes 64 steps to within 0.6 points of the float network (LFSR: 2.4 points).
``mask_j`` is the top ``bits`` bits of a 32-bit integer hash of ``(j, seed)``
(:func:`_mix`, the finalizer of MurmurHash3: well-spread masks, fixed by ``(bits,
seed)``).
A hardware encoder of that kind is one ``bits``-bit step counter and a comparator
per input.  :attr:`RateEncoder.tables` holds ``r_j(t) + 1``, so both kinds spike
when the table value is at most the level.

Which LFSR stream each input gets is fixed by ``(bits, seed, n_in)``:
:meth:`RateEncoder.streams` walks LFSR seeds from ``1 + (37 * seed) mod M``
upwards and, for each, the permutations of :func:`compress.hardware.lfsr.permutations`
in order, keeping every stream whose values differ from all earlier ones, until
there is one per input.  A hardware encoder built from the same seeds and
permutations reproduces every spike (the LFSRs start at their seeds at reset and
advance once per step).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..model.validate import check_finite, check_int, check_real
from .lfsr import TAPS, permutations, stream_table

__all__ = ["INPUT_STREAMS", "RateEncoder"]

#: Kinds of random values a rate encoder compares levels with (``RateEncoder.kind``).
INPUT_STREAMS = ("lfsr", "vdc")


@dataclass(frozen=True)
class RateEncoder:
    """Features in [0, 1] to spikes, period-exact (see the module docstring).

    Attributes
    ----------
    n_in : int
        Features (network inputs).
    bits : int
        Input width: features become levels ``0 .. 2**bits - 1``; in [2, 15].
    seed : int
        Chooses the LFSR seeds the inputs' streams start from, or the masks of the
        ``vdc`` kind (non-negative).
    kind : {"lfsr", "vdc"}
        Maximal-length LFSR streams (``r <= q``), or the low-discrepancy van der
        Corput sequence (``r < q``; see the module docstring).
    """

    n_in: int
    bits: int = 8
    seed: int = 0
    kind: str = "lfsr"

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_in", check_int(self.n_in, "n_in", low=1))
        object.__setattr__(self, "bits", check_int(self.bits, "input bits", low=2, high=max(TAPS)))
        object.__setattr__(self, "seed", check_int(self.seed, "seed", low=0))
        if self.kind not in INPUT_STREAMS:
            raise ValueError(
                f"input stream must be one of {', '.join(INPUT_STREAMS)}, not {self.kind!r}"
            )
        if self.kind == "lfsr":
            self.streams  # noqa: B018  (refuses too many inputs for the width now)

    @property
    def max_level(self) -> int:
        """``M = 2**bits - 1``: the largest level."""
        return (1 << self.bits) - 1

    @property
    def period(self) -> int:
        """Steps after which the random values repeat: ``M`` (LFSR) or ``2**bits`` (vdc)."""
        return self.max_level + (self.kind == "vdc")

    @cached_property
    def masks(self) -> tuple[int, ...]:
        """The ``vdc`` kind's per-input masks (see the module docstring)."""
        return tuple(_mix(j, self.seed) >> (32 - self.bits) for j in range(self.n_in))

    @cached_property
    def streams(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """``(LFSR seed, bit permutation)`` of each input's stream, all distinct."""
        period, width = self.period, self.bits
        seen: set[bytes] = set()
        out: list[tuple[int, tuple[int, ...]]] = []
        start = (37 * self.seed) % period
        for offset in range(period):
            register = (start + offset) % period + 1
            for perm in permutations(width):
                key = stream_table(width, register, perm).tobytes()
                if key not in seen:
                    seen.add(key)
                    out.append((register, perm))
                    if len(out) == self.n_in:
                        return tuple(out)
        raise ValueError(
            f"input bits must give at least {self.n_in} distinct streams, not the {len(out)} "
            f"of {width}-bit LFSRs; use more input bits"
        )

    @cached_property
    def tables(self) -> np.ndarray:
        """``r_j(t)`` over one period, shape ``(n_in, period)`` (``vdc``: ``r_j(t) + 1``, so
        both kinds spike when the table value is at most the level)."""
        if self.kind == "vdc":
            t = np.arange(self.period)
            reversed_t = np.zeros_like(t)
            for b in range(self.bits):
                reversed_t |= ((t >> b) & 1) << (self.bits - 1 - b)
            masks = np.array(self.masks, dtype=np.int64)
            return (reversed_t[None, :] ^ masks[:, None]) + 1
        return np.stack([stream_table(self.bits, seed, perm) for seed, perm in self.streams])

    def levels(self, features: np.ndarray) -> np.ndarray:
        """Levels ``round(x * M)`` (half to even) of features in [0, 1], int64, same shape."""
        x = check_real(features, "features")
        check_finite(x, "features")
        if x.shape[-1:] != (self.n_in,):
            raise ValueError(
                f"features must have {self.n_in} columns (one per input), not shape {x.shape}"
            )
        if x.size and (x.min() < 0 or x.max() > 1):
            bad = x.min() if x.min() < 0 else x.max()
            raise ValueError(f"features must be in [0, 1], not {float(bad)!r}")
        return np.round(x * self.max_level).astype(np.int64)

    def spikes_of_levels(self, levels: np.ndarray, start: int = 0) -> np.ndarray:
        """Spikes of a level sequence, one row per step: ``(steps, n_in)`` ints in
        ``0..M`` give bool ``(steps, n_in)``, step ``t`` at phase ``start + t`` (what the
        hardware encoder does with ``in_features``, its LFSRs advancing once per step)."""
        q = np.asarray(levels)
        if q.ndim != 2 or q.shape[1] != self.n_in:
            raise ValueError(f"levels must have shape (steps, {self.n_in}), not {q.shape}")
        if q.size and (q.min() < 0 or q.max() > self.max_level):
            raise ValueError(
                f"levels must be in 0..{self.max_level}, not {int(q.min())}..{int(q.max())}"
            )
        phases = (start + np.arange(q.shape[0])) % self.period
        return self.tables[:, phases].T <= q

    def encode(self, features: np.ndarray, steps: int, start: int = 0) -> np.ndarray:
        """Spikes of steps ``start .. start + steps - 1``: bool ``(samples, steps, n_in)``.

        ``features`` is ``(samples, n_in)`` (or ``(n_in,)`` for one sample, giving
        ``(steps, n_in)``).  Every sample starts from the encoder's reset state.
        """
        steps = check_int(steps, "steps", low=1)
        q = self.levels(features)
        phases = (start + np.arange(steps)) % self.period
        r = self.tables[:, phases].T  # (steps, n_in)
        return r[None, :, :] <= q[..., None, :] if q.ndim == 2 else r <= q[None, :]


def _mix(j: int, seed: int) -> int:
    """A 32-bit hash of ``(j, seed)``: ``h = (j + 1) * 0x9E3779B9 + seed * 0x85EBCA6B``
    modulo ``2**32``, then MurmurHash3's finalizer (``h ^= h >> 16; h *= 0x85EBCA6B;
    h ^= h >> 13; h *= 0xC2B2AE35; h ^= h >> 16``)."""
    mask = 0xFFFFFFFF
    h = ((j + 1) * 0x9E3779B9 + seed * 0x85EBCA6B) & mask
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    return h ^ (h >> 16)
