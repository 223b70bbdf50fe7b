"""Boards as data: the part, its package, the clock, UART and LED pins of each.

:data:`BOARDS` comes from ``compress/data/boards.json``; a user adds a board by
writing an entry of the same shape to a JSON file and passing it as
``sc-compress board --board-file FILE`` (:func:`load_boards`).  An entry:

``title``
    Words for the board.
``part``
    A part of :data:`compress.hardware.families.PARTS` (the ``--fit`` budget).
``family``, ``device``, ``package``, ``speed``
    nextpnr's flavour (``ice40``, ``ecp5``), device flag (``up5k``, ``25k``),
    package and (ECP5) speed grade.
``clock``
    ``{"pin", "mhz"}``: the board's oscillator.
``uart``
    ``{"rx", "tx"}``: the FPGA's receive and transmit pins (a USB-serial bridge's).
``leds``, ``leds_active_low``
    LED pins (the first blinks, the others show the last class), and their polarity.
``reset``
    ``{"pin", "active_low"}`` of a button that resets the network, or null.
``constraints``
    ``pcf`` (iCE40) or ``lpf`` (ECP5); ``io_standard`` the LPF's IO_TYPE.
``program``
    The command that programs the board, ``{bitstream}`` standing for the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from ..hardware.families import PARTS

__all__ = ["BOARDS", "Board", "board_of", "load_boards"]

#: nextpnr flavours a board can name, with their constraint file format.
FORMATS = {"ice40": "pcf", "ecp5": "lpf"}


@dataclass(frozen=True)
class Board:
    """One board (see the module docstring for the fields)."""

    name: str
    title: str
    part: str
    family: str
    device: str
    package: str
    clock_pin: str
    clock_mhz: float
    rx: str
    tx: str
    leds: tuple[str, ...]
    leds_active_low: bool
    reset_pin: str | None
    reset_active_low: bool
    constraints: str
    program: str
    speed: str | None = None
    io_standard: str = "LVCMOS33"

    @classmethod
    def from_entry(cls, name: str, entry: dict[str, Any]) -> Board:
        """The board of a JSON entry, checked: a bad field is a one-line error naming
        the board and the field."""

        def need(key: str, kind: type | tuple[type, ...]) -> Any:
            value = entry.get(key)
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                raise ValueError(f"board {name}: {key} must be given, not {value!r}")
            return value

        family = need("family", str)
        if family not in FORMATS:
            raise ValueError(f"board {name}: family must be ice40 or ecp5, not {family!r}")
        part = need("part", str)
        if part not in PARTS:
            raise ValueError(f"board {name}: part must be one of {', '.join(PARTS)}, not {part!r}")
        clock, uart = need("clock", dict), need("uart", dict)
        mhz = clock.get("mhz")
        if not isinstance(mhz, (int, float)) or isinstance(mhz, bool) or not 1 <= mhz <= 500:
            raise ValueError(f"board {name}: clock mhz must be a frequency in 1..500, not {mhz!r}")
        leds = need("leds", list)
        if not leds or not all(isinstance(p, str) for p in leds):
            raise ValueError(f"board {name}: leds must list at least one pin, not {leds!r}")
        reset = entry.get("reset")
        if reset is not None and not isinstance(reset, dict):
            raise ValueError(f"board {name}: reset must be a pin entry or null, not {reset!r}")
        constraints = need("constraints", str)
        if constraints != FORMATS[family]:
            raise ValueError(
                f"board {name}: constraints must be {FORMATS[family]} for {family}, "
                f"not {constraints!r}"
            )
        program = need("program", str)
        if "{bitstream}" not in program:
            raise ValueError(f"board {name}: program must name {{bitstream}}, not {program!r}")
        for key, pins in (("clock", clock), ("uart", uart)):
            for pin in ("pin",) if key == "clock" else ("rx", "tx"):
                if not isinstance(pins.get(pin), str):
                    raise ValueError(f"board {name}: {key} {pin} must be a pin, not {pins!r}")
        return cls(
            name=name,
            title=need("title", str),
            part=part,
            family=family,
            device=need("device", str),
            package=need("package", str),
            clock_pin=clock["pin"],
            clock_mhz=float(mhz),
            rx=uart["rx"],
            tx=uart["tx"],
            leds=tuple(leds),
            leds_active_low=bool(entry.get("leds_active_low", False)),
            reset_pin=reset["pin"] if reset else None,
            reset_active_low=bool(reset.get("active_low", True)) if reset else True,
            constraints=constraints,
            program=program,
            speed=entry.get("speed"),
            io_standard=entry.get("io_standard", "LVCMOS33"),
        )


def load_boards(path: str | Path | None = None) -> dict[str, Board]:
    """The boards of a JSON file (the bundled ones without ``path``)."""
    if path is None:
        text = (importlib_resources.files("compress") / "data" / "boards.json").read_text()
        where = "compress/data/boards.json"
    else:
        where = str(path)
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ValueError(f"board file must be readable, not {where} ({exc.strerror})") from None
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"board file must be JSON, not {where} ({exc.msg})") from None
    if not isinstance(entries, dict):
        raise ValueError(f"board file must hold an object of boards, not {where}")
    return {name: Board.from_entry(name, entry) for name, entry in entries.items()}


@cache
def _bundled() -> dict[str, Board]:
    return load_boards()


BOARDS = _bundled()


def board_of(name: str, path: str | Path | None = None) -> Board:
    """The board called ``name`` (from ``path``'s boards, then the bundled ones)."""
    boards = {**BOARDS, **(load_boards(path) if path else {})}
    if name not in boards:
        raise ValueError(f"board must be one of {', '.join(sorted(boards))}, not {name!r}")
    return boards[name]
