"""The board top simulated: cocotb on Icarus drives its UART as a host would
(:mod:`compress.board.cocotb_board`)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..hardware.design import load_plan, read_design
from .boards import Board
from .protocol import design_id
from .top import board_files

__all__ = ["SIM_CLKS_PER_BIT", "run_board_sim", "simulated_board"]

#: Clocks per UART bit in simulation (the hardware's follow from its clock and baud).
SIM_CLKS_PER_BIT = 8


def _prepare(build: Path, work: Path, board: Board) -> tuple[list[Path], str]:
    """The board top rendered into ``work`` and the network's memories copied beside it
    (simulators read them from their working directory); returns the sources and the
    top module."""
    design = read_design(build)
    work.mkdir(parents=True, exist_ok=True)
    files = board_files(design, board, mhz=board.clock_mhz, ident=design_id(build))
    for name, text in files.items():
        (work / name).write_text(text)
    if (build / "mem").is_dir():
        shutil.copytree(build / "mem", work / "mem", dirs_exist_ok=True)
    top = f"{design['top']}_board"
    sources = [build / f for f in design["rtl"]] + [work / f"{top}.v"]
    return sources, top


def _run(build: Path, work: Path, board: Board, env: dict[str, str]) -> None:
    from cocotb_tools.runner import get_runner

    sources, top = _prepare(build, work, board)
    runner = get_runner("icarus")
    runner.build(
        sources=sources,
        hdl_toplevel=top,
        build_dir=work,
        timescale=("1ns", "1ps"),
        parameters={"CLKS_PER_BIT": SIM_CLKS_PER_BIT, "RESET_BITS": 3},
        always=True,
        log_file=work / "build.log",
    )
    button = {"SC_BUTTON": str(int(board.reset_active_low) + 1)} if board.reset_pin else {}
    runner.test(
        test_module="compress.board.cocotb_board",
        hdl_toplevel=top,
        build_dir=work,
        test_dir=work,
        extra_env={
            "SC_RESULTS": str(work),
            "SC_CLKS_PER_BIT": str(SIM_CLKS_PER_BIT),
            **button,
            **env,
        },
        results_xml=str(work / "results.xml"),
        log_file=work / "test.log",
    )


def run_board_sim(
    build: str | os.PathLike[str],
    work: str | os.PathLike[str],
    board: Board,
    x: np.ndarray,
) -> dict[str, Any]:
    """Send the hello command and every sample of ``x`` (features in [0, 1], as
    ``evaluate`` takes them) to the simulated board top of ``build``.

    Returns
    -------
    dict
        ``hello`` (the 12 bytes), ``classes`` (one per sample) and ``clocks`` (from
        each sample's first byte sent to its class received).
    """
    build, work = Path(build).resolve(), Path(work).resolve()
    plan = load_plan(build)
    levels = plan.encoder.levels(np.atleast_2d(x))
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "samples.npy", levels)
    limit = 64 * (len(levels[0]) * 20 + plan.latency * plan.window + 1000)
    env = {
        "SC_SAMPLES": str(work / "samples.npy"),
        "SC_INPUT_BITS": str(plan.encoder.bits),
        "SC_LIMIT": str(limit),
    }
    (work / "board.json").unlink(missing_ok=True)
    _run(build, work, board, env)
    if not (work / "board.json").exists():
        raise RuntimeError(f"the board simulation must answer, not fail: see {work / 'test.log'}")
    return json.loads((work / "board.json").read_text())


@contextmanager
def simulated_board(
    build: str | os.PathLike[str],
    work: str | os.PathLike[str],
    board: Board,
    *,
    seconds: float = 300.0,
) -> Iterator[str]:
    """The simulated board top of ``build`` behind a pseudo-terminal: yields the
    terminal's path, which the host runtime opens as a serial port; the simulation
    ends when the block does (or after ``seconds``)."""
    build, work = Path(build).resolve(), Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for name in ("pty", "hangup"):
        (work / name).unlink(missing_ok=True)
    failure: list[BaseException] = []

    def target() -> None:
        try:
            _run(build, work, board, {"SC_PTY": str(seconds)})
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    path = _wait(lambda: (work / "pty").exists() or not thread.is_alive(), 120.0)
    if not path or not (work / "pty").exists():
        raise RuntimeError(
            f"the simulated board must open its terminal, not stop: see {work / 'test.log'}"
            + (f" ({failure[0]})" if failure else "")
        )
    try:
        yield (work / "pty").read_text().strip()
    finally:
        (work / "hangup").write_text("")
        thread.join(timeout=60)


def _wait(ready: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.05)
    return False
