"""``sc-compress build``: compressed network -> output folder.

The build is an ordered list of steps (compress, plan, render, write); the
folder is assembled in a temporary directory beside ``out`` and moved into
place, so a failed build never leaves a half-written folder.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .emit.amaranth import LINT_WAIVERS, render_amaranth
from .emit.render import render
from .emit.verilog import fold_words, render_rtl
from .hardware.plan import (
    STOCHASTIC,
    HardwareOptions,
    LayerPlan,
    NetworkPlan,
    Stream,
    check_top,
    plan_network,
)
from .model.limits import DEFAULT_LIMITS, Limits
from .model.network import Network, network_arrays, write_npz
from .model.passes import CompressionConfig, CompressionResult, compress_network
from .model.validate import options_of
from .report.data import build_markdown, build_report

#: Verilog emitters: Jinja2 text (default, scales to large layers) or Amaranth components.
EMITTERS = {"jinja": render_rtl, "amaranth": render_amaranth}

__all__ = ["BuildResult", "build", "load_plan", "mem_words", "memory_bits", "write_folder"]


@dataclass(frozen=True, eq=False)
class BuildResult:
    """What :func:`build` produced."""

    out: Path
    plan: NetworkPlan
    compression: CompressionResult
    files: tuple[str, ...]


#: How a layer's ``mem/layer<l>.hex`` is laid out, by kind of layer.
MEM_FORMATS = {
    "parallel": "one word per stochastic synapse, neuron-major then input order: "
    "{input index, sign (1 = negative), code[k-1:0]}; not read by the RTL (the codes are "
    "constants of the comparators)",
    "folded": "one row per slot, read by the RTL with $readmemh; lane p of neuron i at bits "
    "[(i*P + p)*W +: W]: {input (delay group * n_in + line), stream, sign (1 = negative), "
    "code[k-1:0]}; 0 is an empty lane",
}


def mem_words(layer: LayerPlan) -> tuple[int, list[int]]:
    """Weight-memory contents of a layer: ``(word width, words)``.

    A folded layer's memory has one row per slot (:func:`compress.emit.verilog.fold_words`).
    A fully parallel layer's has one word per stochastic synapse, neuron-major
    then input order: ``{input index, sign (1 = negative), code}`` with the
    code in the low ``k`` bits, the sign above it and the input index in the
    high bits.
    """
    if layer.folded:
        _, row_width, rows = fold_words(layer)
        return row_width, rows
    index_bits = max(1, (layer.n_in - 1).bit_length())
    width = index_bits + 1 + layer.k
    words = []
    for i, j in zip(*np.nonzero(layer.classes == STOCHASTIC)):
        sign = int(layer.signs[i, j] < 0)
        words.append((int(j) << (layer.k + 1)) | (sign << layer.k) | int(layer.codes[i, j]))
    return width, words


def _hex(width: int, words: list[int]) -> str:
    digits = (width + 3) // 4
    return "".join(f"{w:0{digits}x}\n" for w in words)


def _model_arrays(compression: CompressionResult, plan: NetworkPlan) -> dict[str, np.ndarray]:
    arrays = dict(network_arrays(compression.network))
    for layer in plan.layers:
        arrays[f"codes_{layer.index}"] = layer.codes
        arrays[f"signs_{layer.index}"] = layer.signs
        arrays[f"streams_{layer.index}"] = layer.streams
        arrays[f"synapse_delays_{layer.index}"] = layer.delays
        if layer.folded:
            arrays[f"schedule_{layer.index}"] = layer.schedule
    return arrays


def load_plan(out: str | os.PathLike[str]) -> NetworkPlan:
    """Rebuild the :class:`NetworkPlan` of a build folder from its
    ``design.json`` and ``model.npz`` (what the simulations check against)."""
    out = Path(out)
    design = json.loads((out / "design.json").read_text())
    with np.load(out / "model.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    layers = []
    for d in design["layers"]:
        index = d["index"]
        lfsr = d["lfsr"]
        layers.append(
            LayerPlan(
                index=index,
                n_in=d["n_in"] + int(d.get("bias", False)),
                bias=d.get("bias", False),
                decorrelated=d.get("decorrelated", False),
                n_out=d["n_out"],
                bits=d["bits"],
                signs=arrays[f"signs_{index}"],
                codes=arrays[f"codes_{index}"],
                delays=arrays[f"synapse_delays_{index}"],
                streams=arrays[f"streams_{index}"],
                seeds=tuple(lfsr["seeds"]),
                stream_defs=tuple(Stream(s["register"], tuple(s["perm"])) for s in lfsr["streams"]),
                line_depths=tuple(d["line_depths"]),
                count_width=d["count_width"],
                v_width=d["v_width"],
                thresholds=tuple(d["thresholds"]),
                threshold_unit=d["threshold_unit"],
                leak_shift=d["leak_shift"],
                reset=d["reset"],
                tree_levels=d["tree_levels"],
                tree_stages=d["tree_stages"],
                latency=d["latency"],
                pipeline=d["pipeline"],
                parallelism=None if d["parallelism"] == "full" else d["parallelism"],
                slots=d["slots"],
                schedule=arrays.get(f"schedule_{index}"),
                fold_order=d["fold_order"],
                delay_ram=d["delay_ram"],
                constants=d["constants"],
            )
        )
    return NetworkPlan(design["top"], tuple(layers), design.get("weight_port", False))


def _core(plan: NetworkPlan, rtl: list[str], waivers: list[str]) -> str:
    """The FuseSoC core.  An uncompressed baseline (every code a comparator) is in the
    library ``baseline``, so it never shadows the compressed design's VLNV."""
    mem = [f"mem/layer{layer.index}.hex" for layer in plan.layers if layer.folded]
    filesets = "rtl, mem" if mem else "rtl"
    baseline = not all(layer.constants for layer in plan.layers)
    return render(
        "core.j2",
        top=plan.top,
        library="baseline" if baseline else "generated",
        description=("Uncompressed baseline of the stochastic" if baseline else "Stochastic")
        + f"-computing SNN {plan.top} generated by sc-compress",
        rtl=rtl,
        mem=mem,
        waivers=waivers,
        filesets=filesets,
        lint_filesets=filesets + (", waivers" if waivers else ""),
    )


def build(
    network: Network,
    out: str | os.PathLike[str],
    config: CompressionConfig | None = None,
    hardware: HardwareOptions | None = None,
    *,
    top: str = "sc_network",
    force: bool = False,
    emitter: str = "jinja",
    limits: Limits | None = None,
) -> BuildResult:
    """Compress ``network`` and write the hardware build folder ``out``.

    Parameters
    ----------
    network : Network
        The float network (not modified).
    out : path-like
        Output folder: ``rtl/*.v``, ``mem/*.hex``, ``model.npz``,
        ``design.json``, ``report.json``, ``report.md`` and ``<top>.core``.
    config : CompressionConfig, optional
        Compression options; the default only quantizes to 8 bits.
    hardware : HardwareOptions, optional
        Pipelining, folding (parallelism, fold order), weight port and delay
        buffers; fully parallel ``area`` hardware by default.
    top : str
        Top module name.
    force : bool
        Replace a non-empty ``out``.
    emitter : {"jinja", "amaranth"}
        How the Verilog is written: Jinja2 templates (default; a 784-128-10
        network takes about a second) or the Amaranth components of
        ``compress.emit.components`` (several seconds per thousand synapses;
        fully parallel layers only).  Both give the same hardware, checked
        against the golden model.
    limits : Limits, optional
        Largest network, delay and memory accepted (:class:`compress.model.limits.Limits`);
        checked before anything large is allocated.

    Returns
    -------
    BuildResult

    Raises
    ------
    FileExistsError
        When ``out`` is not empty and ``force`` is false.
    ValueError
        For an invalid network or option, or one over ``limits`` (nothing is written).
    TypeError
        When ``network``, ``config``, ``hardware`` or ``limits`` is not of its type.
    """
    out = Path(out)
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, not {type(network).__name__}")
    config = options_of(config, CompressionConfig, "config")
    hardware = options_of(hardware, HardwareOptions, "hardware")
    limits = limits or DEFAULT_LIMITS
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, not {type(limits).__name__}")
    check_top(top)
    if emitter not in EMITTERS:
        raise ValueError(f"emitter must be one of {', '.join(EMITTERS)}, not {emitter!r}")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"output folder must be a folder, not the file {str(out)!r}")
    if out.exists() and any(out.iterdir()) and not force:
        raise FileExistsError(
            f"output folder must be empty or new, not {str(out)!r} (use --force to replace it)"
        )
    limits.check("synapses", sum(w.size for w in network.weights), "network: synapses")
    compression = compress_network(network, config)
    for index, layer in enumerate(compression.network.layers):
        if layer.delays is not None:
            limits.check("delay", int(layer.delays.max()), f"layer {index}: delays (steps)")
    plan = plan_network(compression, top, hardware)
    limits.check("memory_bits", memory_bits(plan), "design: delay-buffer and weight-memory bits")
    rtl = EMITTERS[emitter](plan)
    files: dict[str, str | bytes] = {f"rtl/{name}": text for name, text in sorted(rtl.items())}
    if emitter == "amaranth":
        files["rtl/lint.vlt"] = LINT_WAIVERS.replace("{top}", top)
    mems = [mem_words(layer) for layer in plan.layers]
    for layer, (width, words) in zip(plan.layers, mems):
        files[f"mem/layer{layer.index}.hex"] = _hex(width, words)
    design = plan.to_dict()
    design["mem"] = [
        {
            "file": f"mem/layer{layer.index}.hex",
            "word_width": width,
            "words": len(words),
            "format": MEM_FORMATS["folded" if layer.folded else "parallel"],
        }
        for layer, (width, words) in zip(plan.layers, mems)
    ]
    design["rtl"] = sorted(f"rtl/{name}" for name in rtl)
    design["build_options"] = {
        "compression": dataclasses.asdict(compression.config),
        "hardware": dataclasses.asdict(hardware),
        "emitter": emitter,
    }
    report = build_report(plan, compression)
    files["design.json"] = json.dumps(design, indent=2, sort_keys=True) + "\n"
    files["report.json"] = json.dumps(report, indent=2, sort_keys=True) + "\n"
    files["report.md"] = build_markdown(report)
    from .report.html import render_html  # matplotlib: imported only when a build runs

    files["report.html"] = render_html(report)
    files[f"{top}.core"] = _core(
        plan, design["rtl"], sorted(f for f in files if f.endswith(".vlt"))
    )
    files["model.npz"] = _npz_bytes(_model_arrays(compression, plan))
    files["source.npz"] = _npz_bytes(dict(network_arrays(network)))
    write_folder(out, files)
    return BuildResult(out, plan, compression, tuple(sorted(files)))


def memory_bits(plan: NetworkPlan) -> int:
    """Bits of storage the design holds: delay buffers and folded weight memories."""
    total = 0
    for layer in plan.layers:
        total += sum(layer.line_depths)
        if layer.folded:
            total += layer.slots * fold_words(layer)[1]
    return total


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    write_npz(buffer, arrays)
    return buffer.getvalue()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit`` for the block, so its clean-up runs (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_folder(out: Path, files: dict[str, str | bytes]) -> None:
    """Write ``files`` (relative path: content) as the folder ``out``, all or nothing.

    The files go to a hidden temporary folder beside ``out``, which is then
    renamed into place (replacing ``out``).  Folders and files get the modes the
    umask gives any new ones.  Any error, Ctrl-C or SIGTERM removes the
    temporary folder and leaves ``out`` as it was.
    """
    with _terminate_as_exit():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            mode = 0o777 & ~_umask()
            os.chmod(tmp, mode)  # mkdtemp makes 0700 folders; a build is for everyone
            for rel, content in files.items():
                path = tmp / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    path.write_text(content)
            if out.exists():
                shutil.rmtree(out)
            os.replace(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
