"""The board top around a build's network: PLL, power-on reset, UART link, LEDs.

:func:`board_files` renders ``hdl_templates/board.v.j2`` (the top, module
``<top>_board``) and the board's constraint file (``board.pcf.j2`` or
``board.lpf.j2``) for a build folder, a :class:`~compress.board.boards.Board`, the
clock the design runs at and the baud rate.  The protocol is
:mod:`compress.board.protocol`'s.
"""

from __future__ import annotations

import math
from typing import Any

from ..emit.render import render
from .boards import Board
from .protocol import CLASS, CLASS_LENGTH, HELLO, SAMPLE, VERSION, hello_of

__all__ = ["BAUD", "board_files", "check_build", "clocks_per_bit"]

#: Default baud rate of the board link.
BAUD = 115_200
#: Power-on reset: the network is held for ``2**RESET_BITS`` clocks after the PLL locks.
RESET_BITS = 16
#: Ports of the network the board top drives or reads; other outputs stay unread.
DRIVEN = ("clk", "rst", "in_valid", "in_ready", "in_features", "out_class", "class_valid")


def check_build(design: dict[str, Any]) -> None:
    """A build the board top can drive: a rate encoder (``in_features``) and a class
    readout, no weight port or address-event input (a one-line ``ValueError``)."""
    ports = design["ports"]
    hardware = design["build_options"]["hardware"]
    if "in_features" not in ports:
        raise ValueError(
            "board needs a build with --input-encoder rate (features in), not "
            f"{hardware['input_encoder'] or 'input spikes'}"
        )
    if "class_valid" not in ports:
        raise ValueError("board needs a build with a class readout (--readout argmax), not none")
    if "w_en" in ports:
        raise ValueError(
            "board needs a build without --weight-port (its weights are in the bitstream), "
            "not one whose weights are written after configuration"
        )
    if hardware["window"] > 65535 or design["n_in"] > 65535 or design["n_out"] > 256:
        raise ValueError(
            "board needs at most 65535 inputs and window steps and 256 classes, not "
            f"{design['n_in']} inputs, {hardware['window']} steps, {design['n_out']} classes"
        )


def clocks_per_bit(mhz: float, baud: int) -> int:
    """Clocks of one UART bit at ``mhz`` (at least 4: the receiver samples mid-bit)."""
    return max(4, round(mhz * 1e6 / baud))


def board_files(
    design: dict[str, Any],
    board: Board,
    *,
    mhz: float,
    baud: int = BAUD,
    ident: int,
    pll: dict[str, str] | None = None,
) -> dict[str, str]:
    """The board top (``<top>_board.v``) and the constraint file (``board.pcf`` or
    ``board.lpf``) of a build's ``design.json``.

    Parameters
    ----------
    design : dict
        The build's ``design.json`` (:func:`check_build` must accept it).
    board : Board
    mhz : float
        The clock the design runs at (the PLL's output, or the board's clock).
    baud : int
    ident : int
        The design id the hello frame carries (:func:`compress.board.protocol.design_id`).
    pll : dict, optional
        ``{"module", "ports"}`` of the PLL module (None: the board clock as is).
    """
    check_build(design)
    top, ports = design["top"], design["ports"]
    hardware = design["build_options"]["hardware"]
    n_in, n_out, bits = design["n_in"], design["n_out"], hardware["input_bits"]
    per = -(-bits // 8)
    window = hardware["window"]
    cb = ports["out_class"]
    features = [
        {
            "lo": j * bits,
            "hi": (j + 1) * bits - 1,
            "src_lo": j * per * 8,
            "src_hi": j * per * 8 + bits - 1,
        }
        for j in range(n_in)
    ]
    unused = [
        {"name": name, "width": width}
        for name, width in sorted(ports.items())
        if name not in DRIVEN and name.startswith("out_")
    ]
    wires = {"in_features": "in_features", "out_class": "out_class"}
    lines = [f".{name}({wires.get(name, name)})" for name in sorted(ports)]
    connections = ",\n".join(f"        {line}" for line in lines) + "\n    "
    leds, blink = len(board.leds), blink_bit(mhz)
    shown = [f"blink[{blink}]"]
    if leds > 1:
        width = min(leds - 1, cb)
        shown.insert(0, f"last_class[{width - 1}:0]")
        if leds - 1 > width:
            shown.insert(0, f"{leds - 1 - width}'d0")
    name = f"{top}_board"
    hello = hello_of(design, ident).frame()
    verilog = render(
        "board.v.j2",
        name=name,
        top=top,
        title=board.title,
        board_mhz=_mhz(board.clock_mhz),
        mhz=_mhz(mhz),
        pll=pll,
        reset=board.reset_pin is not None,
        reset_active_low=board.reset_active_low,
        baud=baud,
        clks_per_bit=clocks_per_bit(mhz, baud),
        reset_bits=RESET_BITS,
        version=VERSION,
        n_in=n_in,
        n_out=n_out,
        input_bits=bits,
        bytes_per_feature=per,
        feature_bytes=n_in * per,
        count_bits=max(n_in * per, window).bit_length() + 1,
        features=features,
        window=window,
        cb=cb,
        unused=unused,
        connections=connections,
        hello_bytes=list(hello),
        class_byte="last_class" if cb == 8 else f"{{{8 - cb}'d0, last_class}}",
        leds=leds,
        leds_active_low=board.leds_active_low,
        leds_expr="{" + ", ".join(shown) + "}" if len(shown) > 1 else shown[0],
        blink_bit=blink,
        blink_hz=f"{mhz * 1e6 / 2 ** (blink + 2):.1f}",
        commands={"hello": HELLO[0], "sample": SAMPLE[0], "class": CLASS[0]},
        class_length=CLASS_LENGTH,
    )
    pins = [("clk_in", board.clock_pin), ("uart_rx", board.rx), ("uart_tx", board.tx)]
    pins += [("btn", board.reset_pin)] if board.reset_pin else []
    pins += [(f"led[{i}]", pin) for i, pin in enumerate(board.leds)]
    constraints = render(
        f"board.{board.constraints}.j2",
        name=name,
        title=board.title,
        pins=pins,
        io_standard=board.io_standard,
        clock_mhz=_mhz(board.clock_mhz),
    )
    return {f"{name}.v": verilog, f"board.{board.constraints}": constraints}


def blink_bit(mhz: float) -> int:
    """The counter bit that blinks led[0] at about 1 Hz."""
    return max(1, int(math.log2(mhz * 1e6)) - 1)


def _mhz(value: float) -> str:
    """A frequency without a trailing ``.0``."""
    return f"{value:g}"
