"""The uncompressed baseline a build is measured against, and what compression saved.

The baseline is the build's source network with compression off: the same
weight bits, delay grid, hardware options and emitter; no pruning; every
nonzero code a comparator (no constant wires).  :func:`dense_options` reads
them from a build's ``design.json``; ``compress.flows.dense_baseline`` builds it.
"""

from __future__ import annotations

from typing import Any

from ..hardware.plan import HardwareOptions
from ..model.passes import CompressionConfig

__all__ = ["dense_options", "savings"]


def dense_options(design: dict[str, Any]) -> tuple[CompressionConfig, HardwareOptions, str]:
    """(compression, hardware, emitter) of the uncompressed baseline of a build.

    Raises
    ------
    ValueError
        When ``design`` has no ``build_options`` (a build from an older sc-compress).
    """
    if "build_options" not in design:
        raise ValueError(
            "design.json must hold build_options, not a build from an older sc-compress; rebuild it"
        )
    options = design["build_options"]
    config = CompressionConfig(**options["compression"]).uncompressed()
    hardware = HardwareOptions(**dict(options["hardware"], constants=False))
    return config, hardware, options.get("emitter", "jinja")


def savings(compressed: dict[str, Any], dense: dict[str, Any]) -> dict[str, float | None]:
    """Percent saved by compression for every figure both sides have.

    Examples
    --------
    >>> savings({"luts": 30, "ffs": 5}, {"luts": 120, "ffs": 0, "brams": 1})
    {'luts': 75.0, 'ffs': None}
    """
    out: dict[str, float | None] = {}
    for key in ("luts", "ffs", "brams", "carries", "memory_bits", "synapses"):
        if key in compressed and key in dense:
            base = dense[key]
            out[key] = round(100.0 * (base - compressed[key]) / base, 1) if base else None
    return out
