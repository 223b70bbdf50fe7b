"""Weight and delay quantization.

``quantize_weights`` and ``quantize_delays`` keep the seed API's names,
arguments, defaults and return shapes; out-of-range arguments are errors
rather than silently clamped.  ``quantize_codes`` returns what the hardware
needs: integer sign-magnitude codes and the per-layer scale.

The relation between the two weight functions, exact in floating point::

    c = quantize_codes(weights, bits)[l]
    quantize_weights(weights, bits, symmetric=True)[l] == c.values()
        == np.clip(c.signs * c.magnitudes * c.scale, -c.full_scale, c.full_scale)

with ``c.scale == c.full_scale / c.max_code``, ``c.max_code == 2**(bits-1) - 1``
and ``c.full_scale == max(max|w|, 1e-8)``.  A code ``m`` stands for the
stochastic-computing probability ``m / max_code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .validate import (
    check_bits,
    check_finite,
    check_int,
    check_real,
    layer_arrays,
    row_blocks,
)

__all__ = ["LayerCodes", "max_code", "quantize_codes", "quantize_delays", "quantize_weights"]

#: Largest delay a float holds exactly (whole steps); far beyond any buffer.
MAX_DELAY_STEPS = 1 << 53
#: Smallest full scale, so an all-zero layer still has a usable scale (seed).
MIN_FULL_SCALE = 1e-8


@dataclass(frozen=True, eq=False)
class LayerCodes:
    """Sign-magnitude weight codes of one layer.

    Attributes
    ----------
    signs : ndarray of int8, shape (n_out, n_in)
        -1, 0 or +1 (0 exactly where the magnitude code is 0).
    magnitudes : ndarray of int32, shape (n_out, n_in)
        Codes in ``0 .. max_code``; probability ``m / max_code``.
    bits : int
        Total bits per weight: one sign bit and ``bits - 1`` magnitude bits.
    scale : float
        Weight value of one code step, ``full_scale / max_code``.
    full_scale : float
        Weight value of the full-scale code (probability 1).
    """

    signs: np.ndarray
    magnitudes: np.ndarray
    bits: int
    scale: float
    full_scale: float

    def __post_init__(self) -> None:
        self.signs.setflags(write=False)
        self.magnitudes.setflags(write=False)

    @property
    def max_code(self) -> int:
        """Largest magnitude code, ``M = 2**(bits-1) - 1`` (:func:`max_code`)."""
        return max_code(self.bits)

    def values(self) -> np.ndarray:
        """Float weights these codes stand for (equal to ``quantize_weights``)."""
        values = self.signs * (self.magnitudes * self.scale)
        return np.clip(values, -self.full_scale, self.full_scale)


def max_code(bits: int) -> int:
    """``M = 2**(bits-1) - 1``: the largest magnitude code of ``bits``-bit weights, the
    full-scale code and the period of their ``bits - 1``-bit LFSRs.

    Examples
    --------
    >>> max_code(8)
    127
    """
    return (1 << (bits - 1)) - 1


def layer_full_scale(w: np.ndarray) -> float:
    """Full-scale magnitude of a layer: ``max(max|w|, 1e-8)`` (probability 1)."""
    return max(float(w.max()), -float(w.min()), MIN_FULL_SCALE)


def _codes(w: np.ndarray, bits: int) -> LayerCodes:
    top = max_code(bits)
    full_scale = layer_full_scale(w)
    scale = full_scale / top
    signs = np.empty(w.shape, dtype=np.int8)
    magnitudes = np.empty(w.shape, dtype=np.int32)
    for rows in row_blocks(w.shape):
        rounded = np.round(w[rows] / scale)
        np.sign(rounded, out=signs[rows], casting="unsafe")
        np.abs(rounded, out=rounded)
        np.minimum(rounded, top, out=magnitudes[rows], casting="unsafe")
    return LayerCodes(signs, magnitudes, bits, scale, full_scale)


def _symmetric(w: np.ndarray, bits: int) -> np.ndarray:
    """``quantize_codes(...).values()`` computed directly, block by block."""
    full_scale = layer_full_scale(w)
    scale = full_scale / max_code(bits)
    out = np.empty(w.shape, dtype=np.float64)
    for rows in row_blocks(w.shape):
        target = out[rows]
        np.divide(w[rows], scale, out=target)
        np.round(target, out=target)
        target *= scale
        np.clip(target, -full_scale, full_scale, out=target)
    return out


def quantize_codes(weights: Sequence[np.ndarray], bits: int = 8) -> list[LayerCodes]:
    """Quantize weight matrices to sign-magnitude integer codes.

    Symmetric quantization with ``M = 2**(bits-1) - 1`` levels per sign:
    ``m = round_half_even(|w| / scale)`` with ``scale = max|w| / M``.

    Parameters
    ----------
    weights : list of ndarray
        Weight matrices ``(n_out, n_in)``.
    bits : int
        Total bits per weight, an integer in ``[2, 16]``.

    Returns
    -------
    list of LayerCodes
        One per layer; ``codes.values()`` equals ``quantize_weights``.

    Examples
    --------
    >>> import numpy as np
    >>> c = quantize_codes([np.array([[0.5, -1.0, 0.1]])], bits=3)[0]
    >>> c.magnitudes.tolist(), c.signs.tolist(), c.max_code
    ([[2, 3, 0]], [[1, -1, 0]], 3)
    """
    bits = check_bits(bits)
    return [_codes(w, bits) for w in layer_arrays(weights)]


def quantize_weights(
    weights: Sequence[np.ndarray],
    bits: int = 8,
    symmetric: bool = True,
) -> list[np.ndarray]:
    """Quantize weight matrices to fixed point with the given bit width.

    Parameters
    ----------
    weights : list of ndarray
        Float weight matrices.
    bits : int
        Target bit width, an integer in ``[2, 16]`` (default 8).
    symmetric : bool
        Symmetric quantization around zero (default True): step
        ``max|w| / (2**(bits-1) - 1)``, zeros stay zero.  Otherwise
        ``2**bits`` levels spread from ``min(w)`` to ``max(w)``.
        Rounding is half to even in both.

    Returns
    -------
    list of ndarray
        Quantized weights, float64, with discrete values.

    Raises
    ------
    ValueError
        For ``bits`` outside ``[2, 16]`` or not an integer, or bad weights.
    """
    bits = check_bits(bits)
    arrays = layer_arrays(weights)
    if symmetric:
        return [_symmetric(w, bits) for w in arrays]
    out = []
    for w in arrays:
        low = float(w.min())
        span = max(float(w.max()) - low, MIN_FULL_SCALE)
        step = span / ((1 << bits) - 1)
        out.append(np.round((w - low) / step) * step + low)
    return out


def quantize_delays(
    delays: np.ndarray,
    resolution: int = 1,
    max_delay: int | None = None,
) -> np.ndarray:
    """Quantize continuous delays to an integer grid.

    Parameters
    ----------
    delays : ndarray
        Non-negative delays, in steps.
    resolution : int
        Grid step, an integer >= 1.  ``2`` rounds to ``{0, 2, 4, ...}``,
        halving the buffer depth.  Rounding is half to even on the grid.
    max_delay : int, optional
        Largest delay kept; snapped down to the grid, then delays are
        clamped to it.

    Returns
    -------
    ndarray of int64
        Quantized delays, multiples of ``resolution``.

    Raises
    ------
    ValueError
        For negative or non-finite delays, ``resolution < 1`` or a negative
        ``max_delay``.

    Examples
    --------
    >>> import numpy as np
    >>> quantize_delays(np.array([0.4, 2.5, 3.0, 7.9]), resolution=2, max_delay=5).tolist()
    [0, 2, 4, 4]
    """
    resolution = check_int(resolution, "resolution", low=1)
    arr = check_real(delays, "delays")
    check_finite(arr, "delays")
    if arr.size and arr.min() < 0:
        index = np.unravel_index(int(np.argmin(arr)), arr.shape)
        at = tuple(int(i) for i in index) if arr.ndim != 1 else int(index[0])
        raise ValueError(f"delays must be non-negative, not {float(arr[index])!r} at {at}")
    q = np.round(arr / resolution) * resolution  # float first: 1e30 must not wrap
    if max_delay is not None:
        max_delay = check_int(max_delay, "max_delay", low=0)
        np.minimum(q, (max_delay // resolution) * resolution, out=q)
    if q.size and q.max() > MAX_DELAY_STEPS:
        raise ValueError(f"delays must be at most 2**53 steps, not {float(q.max())!r}")
    return q.astype(np.int64)
