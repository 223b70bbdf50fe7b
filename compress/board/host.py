"""The host runtime: talk to a board running a build's bitstream over its serial port.

:class:`BoardLink` opens the port (``pyserial``: a device, a pseudo-terminal or a
``serial_for_url`` URL), checks the hello frame against the build (its shape and
design id: a wrong bitstream is a one-line error), and classifies samples; :func:`run`
sends a data set and measures accuracy and throughput (``sc-compress run``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..hardware.design import load_plan, read_design
from .protocol import (
    CLASS,
    CLASS_LENGTH,
    HELLO,
    HELLO_LENGTH,
    Hello,
    design_id,
    hello_of,
    sample_bytes,
)
from .top import BAUD

__all__ = ["BoardLink", "RunResult", "run"]


class BoardLink:
    """A board's link.

    Parameters
    ----------
    port : str
        A serial device (``/dev/ttyUSB1``), a pseudo-terminal, or a pyserial URL
        (``loop://``, ``socket://host:port``).
    baud : int
    timeout : float
        Seconds to wait for an answer before a ``TimeoutError``.
    """

    def __init__(self, port: str, baud: int = BAUD, timeout: float = 5.0) -> None:
        import serial

        self.port, self.timeout = port, timeout
        try:
            self.serial = serial.serial_for_url(port, baudrate=baud, timeout=timeout)
        except (serial.SerialException, ValueError) as exc:
            raise OSError(f"port must open, not {port} ({exc})") from None
        self.serial.reset_input_buffer()

    def __enter__(self) -> BoardLink:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the port."""
        self.serial.close()

    def _read(self, count: int, what: str) -> bytes:
        data = self.serial.read(count)
        if len(data) != count:
            raise TimeoutError(
                f"board at {self.port} must answer {what} with {count} bytes within "
                f"{self.timeout:g} s, not {len(data)}: is the bitstream loaded and the baud "
                "rate the board's?"
            )
        return data

    def hello(self) -> Hello:
        """Ask the board who it is."""
        self.serial.write(HELLO)
        return Hello.parse(self._read(HELLO_LENGTH, "the hello command"))

    def check(self, build: str | os.PathLike[str]) -> Hello:
        """The board's hello, which must be ``build``'s (its shape and design id)."""
        said = self.hello()
        expected = hello_of(read_design(build), design_id(build))
        if said != expected:
            raise ValueError(
                f"board at {self.port} must run {build} (design id {expected.design_id:08x}, "
                f"{expected.n_in} inputs, {expected.n_out} classes), not design id "
                f"{said.design_id:08x} with {said.n_in} inputs and {said.n_out} classes: "
                "load this build's bitstream"
            )
        return said

    def classify(self, levels: np.ndarray, input_bits: int) -> int:
        """One sample's class (``levels``: its feature levels)."""
        self.serial.write(sample_bytes(levels, input_bits))
        frame = self._read(CLASS_LENGTH, "a sample")
        if frame[:1] != CLASS:
            raise ValueError(f"board at {self.port} must answer a sample with C, not {frame!r}")
        return frame[1]


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` measured."""

    classes: np.ndarray
    accuracy: float | None
    seconds: float
    samples_per_second: float
    hello: Hello


def run(
    build: str | os.PathLike[str],
    port: str,
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    baud: int = BAUD,
    timeout: float = 5.0,
) -> RunResult:
    """Send every sample of ``x`` (features in [0, 1]) to the board running ``build``.

    The hello frame is checked first.  Returns the classes, the accuracy against
    ``y`` (when given), and the throughput the host measured.
    """
    plan = load_plan(build)
    if plan.encoder is None:
        raise ValueError(f"{build} must have an input encoder (--input-encoder rate), not none")
    levels = plan.encoder.levels(np.atleast_2d(x))
    with BoardLink(port, baud, timeout) as link:
        hello = link.check(Path(build))
        start = time.perf_counter()
        classes = np.array([link.classify(row, plan.encoder.bits) for row in levels])
        seconds = time.perf_counter() - start
    accuracy = None if y is None else float(np.mean(classes == np.asarray(y)))
    return RunResult(classes, accuracy, seconds, len(classes) / max(seconds, 1e-9), hello)
