"""The bitstream of a build on a board: Yosys, nextpnr at a PLL frequency the design
meets, and the packer (all from pip: YoWASP).

:func:`make_board` places the board top once at the board's own clock to learn the
design's Fmax, has the part's PLL tool (``icepll``, ``ecppll``) make the fastest
clock within :data:`MARGIN` of it, places again at that frequency, this time
failing when timing is not met, and packs the bitstream.  The output folder holds
the bitstream, the sources, the constraint file, ``board.json`` and
``board.md`` (timing, utilisation, sizes, build time) and ``program.txt`` (the
command that programs the board, printed, not run); it is written beside and
moved into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..analysis.estimate import estimate
from ..analysis.parts import fit, part_of
from ..hardware.design import load_plan, read_design
from ..hardware.families import family_of
from ..measure.synth import find_tool
from .boards import Board
from .protocol import design_id
from .top import BAUD, board_files, check_build

__all__ = ["MARGIN", "PLL_RANGE", "BoardResult", "make_board"]

#: The PLL frequency is at most this share of the design's Fmax at the board clock.
MARGIN = 0.9
#: Output frequencies (MHz) each family's PLL tool can make.
PLL_RANGE = {"ice40": (16.0, 275.0), "ecp5": (3.125, 400.0)}
#: The PLL module's ports: (input, output, lock), by family.
PLL_PORTS = {"ice40": ("clock_in", "clock_out", "locked"), "ecp5": ("clkin", "clkout0", "locked")}


@dataclass(frozen=True)
class BoardResult:
    """What :func:`make_board` made: where, the clock, timing, utilisation and sizes."""

    folder: str
    board: str
    part: str
    board_mhz: float
    fmax_board_mhz: float
    pll_mhz: float
    fmax_mhz: float
    cells_used: int
    cells_available: int
    cell: str
    brams: int
    bitstream: str
    bitstream_bytes: int
    seconds: float
    program: str
    baud: int


def _run(command: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        errors = [line for line in proc.stderr.splitlines() if "ERROR" in line]
        last = (errors or proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"{what} must succeed, not fail: {last}")
    return proc


def _synth(folder: Path, board: Board, top: str, sources: list[str]) -> None:
    command = family_of(board.family).synth
    script = f"read_verilog {' '.join(sources)}; {command} -top {top} -json board_netlist.json"
    _run([*find_tool("yosys"), "-q", "-p", script], folder, f"Yosys {command}")


def _pnr(folder: Path, board: Board, mhz: float, *, must_meet: bool) -> dict[str, Any]:
    """nextpnr on the netlist at ``mhz``; its report (``must_meet``: fail when the
    design does not meet ``mhz``)."""
    flavour = family_of(board.family).pnr
    out = ["--asc", "board.asc"] if board.family == "ice40" else ["--textcfg", "board.config"]
    speed = ["--speed", board.speed] if board.speed else []
    command = [
        *find_tool(f"nextpnr-{flavour}"),
        f"--{board.device}",
        "--package",
        board.package,
        *speed,
        f"--{board.constraints}",
        f"board.{board.constraints}",
        "--json",
        "board_netlist.json",
        *out,
        "--freq",
        f"{mhz:g}",
        "--report",
        "board_pnr.json",
        "--quiet",
        *([] if must_meet else ["--timing-allow-fail"]),
    ]
    proc = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    report_path = folder / "board_pnr.json"
    if proc.returncode:
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        achieved = _fmax(report)
        errors = [line for line in proc.stderr.splitlines() if "ERROR" in line]
        if must_meet and achieved and achieved < mhz:
            raise ValueError(
                f"board {board.name}: the design must meet {mhz:g} MHz on the {board.part}, "
                f"not {achieved:.2f} MHz (nextpnr); nothing written"
            )
        said = " ".join(errors or proc.stderr.strip().splitlines()[-2:] or ["no message"])
        cells = re.search(r"of (\d+) (\w+)s", said)
        if "utilisation limit" in said:
            raise ValueError(
                f"board {board.name}: the design must fit the {board.part}, not exceed what "
                "nextpnr can place (at its utilisation limit); build it smaller; nothing written"
            )
        if cells:
            raise ValueError(
                f"board {board.name}: the design must fit the {board.part}, not need "
                f"{int(cells.group(1)):,} {cells.group(2)} (nextpnr); build it smaller; "
                "nothing written"
            )
        raise RuntimeError(f"nextpnr-{flavour} must place the design, not fail: {said}")
    return json.loads(report_path.read_text())


def _fmax(report: dict[str, Any]) -> float:
    clocks = report.get("fmax", {})
    return min((c["achieved"] for c in clocks.values()), default=0.0)


def _pll(folder: Path, board: Board, module: str, target: float) -> tuple[float, dict[str, str]]:
    """The PLL module for the fastest frequency at most ``target`` MHz: its achieved
    frequency and its instance's ports."""
    low, high = PLL_RANGE[board.family]
    if target < low:
        raise ValueError(
            f"board {board.name}: the design must run at {low:g} MHz or more (the "
            f"{board.family} PLL's lowest), not at most {target:.2f} MHz ({MARGIN:.0%} of its Fmax)"
        )
    request = min(target, high)
    for _ in range(40):
        if board.family == "ice40":
            command = [
                "-i",
                f"{board.clock_mhz:g}",
                "-o",
                f"{request:.3f}",
                "-p",
                "-m",
                "-f",
                "pll.v",
            ]
            proc = _run([*find_tool("icepll"), *command, "-n", module], folder, "icepll")
            found = re.search(r"F_PLLOUT:\s*([\d.]+) MHz \(achieved\)", proc.stdout)
        else:
            command = ["-i", f"{board.clock_mhz:g}", "-o", f"{request:.3f}", "-f", "pll.v"]
            proc = _run([*find_tool("ecppll"), *command, "-n", module], folder, "ecppll")
            found = re.search(r"clkout0 frequency: ([\d.]+) MHz", proc.stdout)
        if not found:
            raise RuntimeError(f"the PLL tool must report its frequency, not {proc.stdout!r}")
        achieved = float(found.group(1))
        if achieved <= target + 1e-6:
            clk_in, clk_out, lock = PLL_PORTS[board.family]
            ports = f".{clk_in}(clk_in), .{clk_out}(clk), .{lock}(locked)"
            return achieved, {"module": module, "ports": ports}
        request *= 0.99
    raise ValueError(f"board {board.name}: no PLL setting at most {target:.2f} MHz")


#: The board top's own logic besides the sample's feature bytes (UART, link, reset,
#: LEDs), measured on the iCEBreaker: about this many LUTs and flip-flops.
LINK_LUTS, LINK_FFS = 200, 120


def _check_fit(build: Path, design: dict[str, Any], board: Board) -> None:
    """Refuse, before any tool runs, a design the estimate says the board's part cannot
    hold (the network, the board top's feature bytes and its link; on iCE40 only when
    the larger of its LUTs and flip-flops is over, as they may share cells)."""
    part = part_of(board.part)
    total = dict(estimate(load_plan(build), part.family)["total"])
    bits = design["build_options"]["hardware"]["input_bits"]
    total["luts"] += LINK_LUTS
    total["ffs"] += LINK_FFS + design["n_in"] * 8 * -(-bits // 8)
    plan = load_plan(build)
    report = fit(plan, part, total)
    if not report["fits"] and family_of(part.family).ff_in_logic_cell:
        # LUTs + flip-flops bound an iCE40's cells from above; nextpnr decides unless even
        # the lower bound, the larger of the two, is over
        lower = {**total, "luts": max(total["luts"], total["ffs"]) - total["ffs"]}
        report = {**fit(plan, part, lower), "over": report["over"]}
    if not report["fits"]:
        raise ValueError(
            f"board {board.name}: the design must fit the {part.name} by the estimate, not need "
            f"{'; '.join(report['over'])} (build it with --fit {part.name}); nothing written"
        )


def make_board(
    build: str | os.PathLike[str],
    board: Board,
    out: str | os.PathLike[str] | None = None,
    *,
    baud: int = BAUD,
    stages: Any = None,
) -> BoardResult:
    """Build ``build``'s bitstream for ``board`` into ``out`` (default
    ``BUILD/board_<name>``).

    Parameters
    ----------
    build : path
        A build folder with a rate encoder and a class readout (:func:`check_build`).
    board : Board
    out : path, optional
    baud : int
        The link's baud rate.
    stages : compress.progress.Stages, optional
        Shows each tool's stage and time.

    Raises
    ------
    ValueError
        When the build cannot drive a board, or the design cannot meet a clock the
        PLL can make (the message gives the figures); nothing is written.
    """
    started = time.perf_counter()
    build = Path(build)
    design = read_design(build)
    check_build(design)
    _check_fit(build, design, board)
    out = Path(out) if out is not None else build / f"board_{board.name}"
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for folder in ("rtl", "mem"):
            if (build / folder).is_dir():
                shutil.copytree(build / folder, tmp / folder)
        ident = design_id(build)
        top = f"{design['top']}_board"
        sources = [*design["rtl"], f"{top}.v"]
        stage = stages.stage if stages is not None else (lambda name: nullcontext())
        # once at the board's clock: the design's Fmax
        for name, text in board_files(
            design, board, mhz=board.clock_mhz, baud=baud, ident=ident
        ).items():
            (tmp / name).write_text(text)
        with stage(f"Yosys {family_of(board.family).synth} (board clock)"):
            _synth(tmp, board, top, sources)
        with stage(f"nextpnr-{board.family} at {board.clock_mhz:g} MHz"):
            first = _fmax(_pnr(tmp, board, board.clock_mhz, must_meet=False))
        # again at the PLL's frequency, which timing must meet
        mhz, pll = _pll(tmp, board, f"{design['top']}_pll", first * MARGIN)
        files = board_files(design, board, mhz=mhz, baud=baud, ident=ident, pll=pll)
        for name, text in files.items():
            (tmp / name).write_text(text)
        with stage(f"Yosys {family_of(board.family).synth} with the PLL"):
            _synth(tmp, board, top, [*sources, "pll.v"])
        with stage(f"nextpnr-{board.family} at {mhz:g} MHz"):
            report = _pnr(tmp, board, mhz, must_meet=True)
        with stage("pack"):
            if board.family == "ice40":
                bitstream = "board.bin"
                _run([*find_tool("icepack"), "board.asc", bitstream], tmp, "icepack")
            else:
                bitstream = "board.bit"
                _run(
                    [*find_tool("ecppack"), "--input", "board.config", "--bit", bitstream],
                    tmp,
                    "ecppack",
                )
        cell = family_of(board.family).pnr_cell
        used = report["utilization"]
        brams = sum(
            int(v["used"])
            for k, v in used.items()
            if k in ("ICESTORM_RAM", "DP16KD", "ICESTORM_SPRAM")
        )
        result = BoardResult(
            folder=str(out),
            board=board.name,
            part=board.part,
            board_mhz=board.clock_mhz,
            fmax_board_mhz=round(first, 2),
            pll_mhz=mhz,
            fmax_mhz=round(_fmax(report), 2),
            cells_used=int(used[cell]["used"]),
            cells_available=int(used[cell]["available"]),
            cell=cell,
            brams=brams,
            bitstream=bitstream,
            bitstream_bytes=(tmp / bitstream).stat().st_size,
            seconds=round(time.perf_counter() - started, 1),
            program=board.program.format(bitstream=bitstream),
            baud=baud,
        )
        (tmp / "board.json").write_text(json.dumps(asdict(result), indent=2) + "\n")
        (tmp / "board.md").write_text(summary(result) + "\n")
        (tmp / "program.txt").write_text(result.program + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summary(result: BoardResult) -> str:
    """A few lines on what :func:`make_board` made."""
    return (
        f"{result.board} ({result.part}): Fmax {result.fmax_board_mhz:.2f} MHz at the board's "
        f"{result.board_mhz:g} MHz; PLL {result.pll_mhz:g} MHz, met ({result.fmax_mhz:.2f} MHz)\n"
        f"{result.cells_used:,} of {result.cells_available:,} {result.cell}, "
        f"{result.brams} block RAM(s); {result.bitstream} {result.bitstream_bytes:,} bytes; "
        f"{result.seconds:.0f} s; UART {result.baud} baud\n"
        f"program the board: {result.program}"
    )
