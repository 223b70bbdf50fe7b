"""The board link's framed protocol (version :data:`VERSION`), over a UART at 8N1.

The host sends one command byte, then its data; the board answers with a frame
that starts with the same letter:

``H`` (hello)
    The board answers ``H``, the protocol version, the design's shape and its id:
    ``n_in`` (2 bytes), ``n_out`` (1), the input bits ``B`` (1), the window ``T``
    (2) and the design id (4; :func:`design_id`), little endian: 12 bytes.  The
    host checks them before it sends a sample (a wrong bitstream is an error).
``S`` (sample)
    Then ``n_in`` features, each a level ``0 .. 2**B - 1`` in ``ceil(B / 8)``
    bytes (little endian), feature 0 first.  The board runs one window of ``T``
    steps on it (the rate encoder and the argmax readout in the network) and
    answers ``C`` and the class (1 byte): 2 bytes.

Any other command byte is ignored.  The board's LEDs: the first blinks (the clock
runs), the others show the last class's low bits.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["HELLO", "SAMPLE", "VERSION", "Hello", "design_id", "hello_of", "sample_bytes"]

#: Protocol version, in the hello frame.
VERSION = 1
#: Command and answer letters.
HELLO, SAMPLE, CLASS = b"H", b"S", b"C"
#: Bytes of the hello answer and of the class answer.
HELLO_LENGTH, CLASS_LENGTH = 12, 2


@dataclass(frozen=True)
class Hello:
    """What a hello frame says: the protocol version and the design's shape and id."""

    version: int
    n_in: int
    n_out: int
    input_bits: int
    window: int
    design_id: int

    @classmethod
    def parse(cls, frame: bytes) -> Hello:
        """The hello of a 12-byte answer (a ``ValueError`` when it is not one)."""
        if len(frame) != HELLO_LENGTH or frame[:1] != HELLO:
            raise ValueError(f"hello frame must be {HELLO_LENGTH} bytes from H, not {frame!r}")
        version, n_in, n_out, bits, window, ident = struct.unpack("<BHBBHI", frame[1:])
        return cls(version, n_in, n_out, bits, window, ident)

    def frame(self) -> bytes:
        """The 12 bytes the board sends."""
        return HELLO + struct.pack(
            "<BHBBHI",
            self.version,
            self.n_in,
            self.n_out,
            self.input_bits,
            self.window,
            self.design_id,
        )


def design_id(build: str | Path) -> int:
    """A build's 32-bit id: the first 4 bytes (little endian) of the SHA-256 of its
    ``design.json`` and ``model.npz`` (the same network and options, the same id)."""
    digest = hashlib.sha256()
    for name in ("design.json", "model.npz"):
        digest.update(Path(build, name).read_bytes())
    return int.from_bytes(digest.digest()[:4], "little")


def hello_of(design: dict[str, Any], ident: int) -> Hello:
    """The hello a build's board sends (``design``: its ``design.json``)."""
    hardware = design["build_options"]["hardware"]
    return Hello(
        VERSION, design["n_in"], design["n_out"], hardware["input_bits"], hardware["window"], ident
    )


def sample_bytes(levels: np.ndarray, input_bits: int) -> bytes:
    """The ``S`` command for one sample's feature levels."""
    levels = np.asarray(levels, dtype=np.int64)
    if levels.ndim != 1 or levels.min(initial=0) < 0 or levels.max(initial=0) >> input_bits:
        raise ValueError(
            f"features must be one sample of levels 0..{(1 << input_bits) - 1}, not "
            f"shape {levels.shape} in {levels.min(initial=0)}..{levels.max(initial=0)}"
        )
    per = -(-input_bits // 8)
    return SAMPLE + b"".join(int(v).to_bytes(per, "little") for v in levels)
