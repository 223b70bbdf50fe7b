"""Sizing a layer's neuron: its fractional bits, thresholds, constants and widths.

Thresholds, drives and reset values go onto the ``2**-F`` count grid; the
membrane (and the current of a CubaLIF neuron) get the widths their values need,
at most :data:`MAX_VW` bits; an automatic ``F`` gives way where it would pass them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .neuron import NeuronPlan, decay_of, frac_bits_for

__all__ = ["MAX_VW", "neuron_plan"]

#: Membrane registers are at most this wide.
MAX_VW = 32


def _grid(values: np.ndarray, unit: float, frac: int) -> np.ndarray:
    """Weight-unit ``values`` on the ``2**-frac`` count grid (nearest)."""
    return np.round(np.asarray(values, dtype=np.float64) * 2**frac / unit).astype(np.int64)


def _thresholds(
    index: int, layer: Any, codes: np.ndarray, unit: float, frac: int
) -> tuple[int, ...]:
    """Thresholds in units of ``2**-frac`` counts, compared with ``>=``: with
    ``strict`` NIR's ``v > theta`` exactly on the grid (``floor(theta) + 1``), else
    the nearest grid value; every one ``2**frac`` when every synapse is dropped
    (the count is 0); each small enough for a membrane of at most :data:`MAX_VW` bits."""
    if not codes.any() and not layer.drives.any():
        return (1 << frac,) * layer.n_out
    scaled = np.asarray(layer.thresholds, dtype=np.float64) * 2**frac / unit
    grid = np.floor(scaled) + 1 if layer.strict else np.round(scaled)
    thresholds = tuple(max(1, int(t)) for t in grid)
    if max(thresholds).bit_length() + 2 > MAX_VW:
        raise ValueError(
            f"layer {index}: threshold must be below 2**{MAX_VW - 2} units of 2**-{frac} "
            f"counts, not {max(thresholds)} (= {float(layer.thresholds.max())!r} / {unit!r})"
        )
    return thresholds


def _bits_signed(values: Any) -> int:
    """Bits of a signed register that holds every one of ``values``."""
    return max((max(int(v), -int(v) - 1).bit_length() + 1 for v in values), default=1)


def _widths(
    index: int, layer: Any, codes: np.ndarray, unit: float, count_width: int, frac: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int, int]:
    """``(thresholds, drives, v_resets, i_width, v_width)`` of a layer at ``F = frac``;
    a ``ValueError`` when they need more than :data:`MAX_VW` bits."""
    leak, syn = layer.leak_fraction, layer.syn_leak
    thresholds = _thresholds(index, layer, codes, unit, frac)
    drives = tuple(int(d) for d in _grid(layer.drives, unit, frac))
    v_resets = tuple(int(r) for r in _grid(layer.v_resets, unit, frac))
    u_width = count_width + frac
    i_width = 0
    if syn is not None:  # steady state of a constant count c: c / syn_leak
        i_width = u_width + (math.ceil(math.log2(1 / syn)) if syn > 0 else 8) + 1
        u_width = i_width
    v_width = max(u_width + 2, max(thresholds).bit_length() + 2, _bits_signed(drives) + 1)
    v_width = max(v_width, _bits_signed(v_resets) + 1)
    if not layer.spiking:  # a leaky integrator holds u / leak; it saturates beyond
        v_width = min(MAX_VW, v_width + (math.ceil(math.log2(1 / leak)) if leak else 8))
    if v_width > MAX_VW or i_width > MAX_VW - 2:
        raise ValueError(
            f"layer {index}: frac_bits must leave the membrane at most {MAX_VW} bits, "
            f"not {frac} (it needs {max(v_width, i_width + 2)}); give the layer fewer "
            "fractional bits"
        )
    return thresholds, drives, v_resets, i_width, v_width


def neuron_plan(
    index: int, layer: Any, codes: np.ndarray, unit: float, count_width: int
) -> tuple[NeuronPlan, tuple[int, ...], int]:
    """The layer's fixed-point neuron, thresholds and membrane width (SPEC section 4):
    ``(neuron, thresholds, v_width)``."""
    leak = layer.leak_fraction
    syn = layer.syn_leak
    # thresholds are not among them: a strict one is exact on any grid, and the
    # others are rounded to the grid of the membrane's own precision
    constants = np.concatenate([layer.drives, layer.v_resets]) / unit
    if layer.frac_bits is not None:
        frac = layer.frac_bits
    else:
        scale = float(np.min(layer.thresholds)) / unit if layer.spiking and codes.any() else 1.0
        frac = frac_bits_for([f for f in (leak, syn) if f], constants, scale)
    while True:  # an automatic F gives way where the membrane would pass MAX_VW bits
        try:
            thresholds, drives, v_resets, i_width, v_width = _widths(
                index, layer, codes, unit, count_width, frac
            )
        except ValueError:
            if layer.frac_bits is not None or frac == 0:
                raise
            frac -= 1
            continue
        break
    neuron = NeuronPlan(
        frac_bits=frac,
        leak=None if not leak else decay_of(leak),
        syn=None if not syn else decay_of(syn),
        syn_current=syn is not None,
        i_width=i_width,
        drives=drives if any(drives) else (),
        v_resets=v_resets if any(v_resets) and layer.reset == "zero" else (),
        spiking=bool(layer.spiking),
    )
    return neuron, thresholds, v_width
