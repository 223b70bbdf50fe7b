"""cocotb test: a board top (``<top>_board``) through its UART, as a host would talk to it.

Run by :func:`compress.board.sim.run_board_sim`.  The test drives ``uart_rx`` and
decodes ``uart_tx`` at ``SC_CLKS_PER_BIT`` clocks a bit.  Either it sends the hello
command and every sample of ``SC_SAMPLES`` (a ``.npy`` of feature levels) and
writes what came back to ``SC_RESULTS/board.json``, or, with ``SC_PTY`` set, it
opens a pseudo-terminal, writes its name to that file and carries bytes between
it and the UART until the host closes it: the host runtime then talks to the
simulated board as to a serial port.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge
from cocotb.utils import get_sim_time

from .protocol import CLASS_LENGTH, HELLO, HELLO_LENGTH, sample_bytes

BIT = int(os.environ.get("SC_CLKS_PER_BIT", "8"))


async def _send(dut, data: bytes) -> None:
    """Bytes into ``uart_rx``: a start bit, 8 data bits (least significant first), a
    stop bit each."""
    for value in data:
        for bit in (0, *((value >> i) & 1 for i in range(8)), 1):
            dut.uart_rx.value = bit
            await ClockCycles(dut.clk_in, BIT)


async def _receive(dut, into: list[int]) -> None:
    """Every byte ``uart_tx`` sends, sampled in the middle of its bits, into ``into``."""
    while True:
        await FallingEdge(dut.uart_tx)
        await ClockCycles(dut.clk_in, BIT // 2)
        value = 0
        for i in range(8):
            await ClockCycles(dut.clk_in, BIT)
            value |= int(dut.uart_tx.value) << i
        await ClockCycles(dut.clk_in, BIT)
        assert int(dut.uart_tx.value) == 1, f"byte {len(into)}: stop bit must be 1, not 0"
        into.append(value)


async def _wait_for(dut, received: list[int], count: int, limit: int) -> None:
    """Clock until ``received`` holds ``count`` bytes (at most ``limit`` clocks)."""
    for _ in range(limit):
        if len(received) >= count:
            return
        await ClockCycles(dut.clk_in, BIT)
    raise AssertionError(f"board must answer {count} bytes, not {len(received)}")


async def _start(dut) -> list[int]:
    """Clock, idle line, released button, the power-on reset; the receiver running."""
    cocotb.start_soon(Clock(dut.clk_in, 10, unit="ns").start())
    dut.uart_rx.value = 1
    if os.environ.get("SC_BUTTON"):
        dut.btn.value = int(os.environ["SC_BUTTON"]) - 1  # the released level
    await ClockCycles(dut.clk_in, 64)
    received: list[int] = []
    cocotb.start_soon(_receive(dut, received))
    return received


@cocotb.test()
async def board_link(dut):
    """The hello frame, then one class per sample, each as fast as the link allows."""
    received = await _start(dut)
    results = Path(os.environ["SC_RESULTS"])
    if os.environ.get("SC_PTY"):
        await _bridge(dut, received, results)
        return
    levels = np.load(os.environ["SC_SAMPLES"])
    bits = int(os.environ["SC_INPUT_BITS"])
    limit = int(os.environ["SC_LIMIT"])
    await _send(dut, HELLO)
    await _wait_for(dut, received, HELLO_LENGTH, limit)
    hello = received[:HELLO_LENGTH]
    classes, clocks = [], []
    for sample in levels:
        start = len(received)
        begin = get_sim_time(unit="ns")
        await _send(dut, sample_bytes(sample, bits))
        await _wait_for(dut, received, start + CLASS_LENGTH, limit)
        frame = received[start : start + CLASS_LENGTH]
        assert frame[0] == ord("C"), f"class frame must start with C, not {frame}"
        classes.append(frame[1])
        clocks.append((get_sim_time(unit="ns") - begin) / 10)
    (results / "board.json").write_text(
        json.dumps({"hello": hello, "classes": classes, "clocks": clocks})
    )


async def _bridge(dut, received: list[int], results: Path) -> None:
    """Bytes between a pseudo-terminal and the UART until the host hangs up (or
    ``SC_PTY`` seconds pass)."""
    import termios
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    os.set_blocking(master, False)
    (results / "pty").write_text(os.ttyname(slave))
    deadline = time.monotonic() + float(os.environ["SC_PTY"])
    sent = 0
    opened = False
    while time.monotonic() < deadline:
        if sent < len(received):
            os.write(master, bytes(received[sent:]))
            sent = len(received)
        try:
            data = os.read(master, 4096)
        except BlockingIOError:
            data = b""
        except OSError:  # the host closed the port
            if opened:
                break
            data = b""
        if data:
            opened = True
            await _send(dut, data)
        else:
            await ClockCycles(dut.clk_in, 16 * BIT)
        if (results / "hangup").exists():
            break
    os.close(master)
    os.close(slave)
