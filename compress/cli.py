"""The ``sc-compress`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .build import build as build_folder
from .examples import EXAMPLES, example_path
from .network import load_network, save_network
from .passes import CompressionConfig, compress_network
from .plan import HardwareOptions
from .report import compression_dict, compression_markdown

__all__ = ["main"]


def _config(**options: object) -> CompressionConfig:
    try:
        return CompressionConfig(**options)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _lane_value(text: str, what: str) -> int | str:
    if text == "full":
        return text
    try:
        return int(text)
    except ValueError:
        raise click.BadParameter(f"{what} must be 'full' or an integer, not {text!r}") from None


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


def compression_options(func):  # type: ignore[no-untyped-def]
    """The compression options shared by ``compress`` and ``build``."""
    options = [
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
            "--delay-resolution", type=int, default=1, show_default=True, help="Delay grid step."
        ),
        click.option("--max-delay", type=int, default=None, help="Clamp delays to this."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


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
def compress(model: Path, output: Path | None, as_json: bool, **options: object) -> None:
    """Compress MODEL.npz and print what each step did."""
    config = _config(**options)
    try:
        network = load_network(model)
        result = compress_network(network, config)
    except ValueError as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    if output is not None:
        save_network(result.network, output)
    if as_json:
        click.echo(json.dumps(compression_dict(result), indent=2, sort_keys=True))
    else:
        click.echo(compression_markdown(result), nl=False)


@main.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", type=click.Choice(EXAMPLES), default=EXAMPLES[0], show_default=True)
def example(output: Path, name: str) -> None:
    """Write a bundled example network to OUTPUT (.npz)."""
    output.write_bytes(example_path(name).read_bytes())
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
@click.option("--top", default="sc_network", show_default=True, help="Top module name.")
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
    "clock) or P >= 1 (folded: weight words in block RAM, ceil(synapses / P) clocks per step).",
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
    "--weight-port",
    is_flag=True,
    help="Add w_en/w_layer/w_addr/w_data to write the folded layers' weight memories "
    "at run time (no re-synthesis).",
)
@compression_options
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
    delay_ram_bits: int,
    weight_port: bool,
    **options: object,
) -> None:
    """Compress MODEL.npz and generate its Verilog, memories and reports."""
    config = _config(**options)
    network = load_network(model)
    lanes = _lanes(parallelism, layer_parallelism, len(network.layers))
    try:
        hardware = HardwareOptions(
            pipeline=pipeline,
            parallelism=lanes,
            fold_order=fold_order,
            weight_port=weight_port,
            delay_ram_bits=delay_ram_bits,
        )
        result = build_folder(
            network, output, config, hardware, top=top, force=force, emitter=emitter
        )
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(f"{model}: {exc}") from exc
    click.echo((output / "report.md").read_text(), nl=False)
    click.echo(f"\nwrote {len(result.files)} files to {output}")


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--target",
    type=click.Choice(["ice40", "ecp5", "xilinx"]),
    required=True,
    help="FPGA family to measure for.",
)
@click.option("--synth", is_flag=True, help="Run Yosys and record LUT, FF, BRAM and carry cells.")
@click.option("--pnr", is_flag=True, help="Also run nextpnr (ice40, ecp5) and record Fmax.")
@click.option(
    "--dense/--no-dense",
    default=True,
    show_default=True,
    help="With --synth: build and measure the uncompressed baseline too (OUT/dense).",
)
@click.option("--device", default=None, help="nextpnr device (default up5k / 25k).")
@click.option("--package", default=None, help="nextpnr package (default sg48 / CABGA256).")
def report(
    out: Path,
    target: str,
    synth: bool,
    pnr: bool,
    dense: bool,
    device: str | None,
    package: str | None,
) -> None:
    """Measure the build folder OUT and rewrite its report.json, report.md and report.html."""
    from .measure import dense_baseline, measure, savings
    from .report import write_reports

    data = json.loads((out / "report.json").read_text())
    if pnr and not synth:
        raise click.UsageError("--pnr needs --synth")
    try:
        if synth:
            data["measured"] = measure(
                out, target, pnr=pnr, per_layer=True, device=device, package=package
            )
            if dense:
                base = dense_baseline(out)
                base_report = json.loads((base / "report.json").read_text())
                measured = measure(
                    base, target, pnr=pnr, per_layer=True, device=device, package=package
                )
                data["dense"] = {
                    "folder": "dense",
                    "synapses": base_report["synapses"],
                    "memory_bits": base_report["memory_bits"],
                    "measured": measured,
                }
                mine = {**data["measured"], "synapses": data["synapses"]}
                mine["memory_bits"] = data["memory_bits"]
                theirs = {**measured, "synapses": base_report["synapses"]}
                theirs["memory_bits"] = base_report["memory_bits"]
                data["savings"] = savings(mine, theirs)
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    write_reports(out, data)
    click.echo((out / "report.md").read_text(), nl=False)
