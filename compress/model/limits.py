"""Size limits: what a build refuses, before allocating, unless the caller raises them.

A network file can declare arrays of any shape, and a delay of ``1e9`` steps
is one number; either would make the loader, the golden model or the
Verilog ask for gigabytes.  Every check here happens before the memory is
allocated, and every message names the limit, the value, and the CLI option
(or :class:`Limits` field) that raises it.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from .fields import option

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True)
class Limits:
    """What a load or build accepts.

    Attributes
    ----------
    synapses : int
        Synapses (weight-matrix elements) of a whole network, and elements of
        any one array of a network file.  Default 4,194,304 (a 784-128-10
        network has 101,632).
    delay : int
        Largest synaptic delay in steps, after quantization.  Default 4096.
    memory_bits : int
        Delay-buffer bits plus weight-memory bits of a whole design.
        Default 2**26 (64 Mbit, more block RAM than the largest ECP5 has).
    """

    synapses: int = option(
        1 << 22,
        "Refuse networks (and network-file arrays) with more synapses.",
        low=1,
        name="limit-synapses",
    )
    delay: int = option(
        4096, "Refuse delays longer than this many steps.", low=1, name="limit-delay"
    )
    memory_bits: int = option(
        1 << 26,
        "Refuse designs whose delay buffers and weight memories hold more bits.",
        low=1,
        name="limit-memory-bits",
    )

    def __post_init__(self) -> None:
        for name in ("synapses", "delay", "memory_bits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"limits.{name} must be a positive integer, not {value!r}")
            object.__setattr__(self, name, int(value))

    @staticmethod
    def option(name: str) -> str:
        """How a user raises limit ``name``: the CLI option and the field."""
        return f"--limit-{name.replace('_', '-')} or Limits({name}=...)"

    def check(self, name: str, value: Any, what: str) -> None:
        """Raise ``ValueError`` when ``value`` exceeds limit ``name``; ``what`` names it."""
        limit = getattr(self, name)
        if value > limit:
            raise ValueError(
                f"{what} must be at most {limit:,} (raise it with {self.option(name)}), "
                f"not {value:,}"
            )


#: The limits used when a caller gives none.
DEFAULT_LIMITS = Limits()
