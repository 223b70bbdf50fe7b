"""The sections of a build report, as data that the Markdown and HTML pages both lay out.

One list of :class:`Section` (title, paragraphs, a table, a bullet list, captioned
sub-tables, notes) built from ``report.json``: ``report.md`` and ``report.html``
hold the same figures because they render the same sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..measure.baseline import savings
from .data import MEASURED_HEADER, clock_reached, measured_rows, or_dash, shape_label

__all__ = ["Section", "Table", "build_sections", "steps_table", "summary_line"]


@dataclass(frozen=True)
class Table:
    """A table: column names and rows of cells; ``caption`` is shown above it."""

    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """One section of a report; ``key`` names it (HTML ids) and ``plot`` which figure
    the HTML page shows in it ("" for none)."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None
    items: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    plot: str = ""


def steps_table(steps: list[dict[str, Any]]) -> Table:
    """The compression steps that ran and what each pruned."""
    rows = []
    for step in steps:
        r = step["report"]
        if r is None:
            rows.append((step["name"], "-", "-", "-", "-", "-"))
        else:
            rows.append(
                (
                    step["name"],
                    r["pruned_params"],
                    r["pruned_neurons"],
                    r["constant_zero"],
                    r["constant_one"],
                    f"{r['sparsity']:.1%}",
                )
            )
    header = ("step", "pruned weights", "pruned neurons", "constant 0", "constant 1")
    return Table((*header, "sparsity after"), tuple(rows))


def _synapses(layers: list[dict[str, Any]]) -> Table:
    header = ("layer", "n_in x n_out", "bits", "dropped", "constant", "stochastic")
    classes = ("dropped", "constant", "stochastic")
    rows = tuple(
        (
            la["index"],
            shape_label(la),
            la["bits"],
            *(la["synapses"][c] for c in classes),
            la["memory_bits"],
            la["lfsr_bits"],
            la["streams"],
        )
        for la in layers
    )
    return Table((*header, "memory bits", "LFSR bits", "streams"), rows)


def _delays(layers: list[dict[str, Any]]) -> Table:
    header = ("layer", "delay lines", "max delay", "delay FF bits", "count width")
    keys = ("delay_lines", "max_delay", "delay_bits", "count_width", "v_width", "parallelism")
    rows = tuple(
        (la["index"], *(la[k] for k in keys), la.get("slots", ""), la["latency"]) for la in layers
    )
    return Table((*header, "membrane width", "lanes per neuron", "slots", "latency"), rows)


def _thresholds(layers: list[dict[str, Any]]) -> Section:
    items, rows = [], []
    for la in layers:
        neuron = la["neuron"]
        frac = neuron["frac_bits"]
        grid = la["threshold_unit"] * 2.0**-frac
        runs: list[list] = []  # equal neighbours once, with how many
        for w, c in zip(la["thresholds_weight_units"], la["thresholds_count_units"]):
            if runs and runs[-1][:2] == [w, c]:
                runs[-1][2] += 1
            else:
                runs.append([w, c, 1])
        pairs = ", ".join(
            f"{w:g} -> {c} ({c * grid:.6g})" + (f" x{n}" if n > 1 else "") for w, c, n in runs
        )
        items.append(f"layer {la['index']} (grid {grid:.6g}): {pairs}")
        rows.append(
            (
                la["index"],
                neuron["model"] + (", recurrent" if neuron["recurrent"] else ""),
                frac,
                _decay(neuron["leak"]),
                _decay(neuron["syn_leak"]),
                "yes" if neuron["drives"] else "-",
                "v - theta" if la["neuron"]["reset"] == "subtract" else "v_reset",
                "v > theta" if neuron["strict"] else "v >= theta",
            )
        )
    return Section(
        "thresholds",
        "Neurons and thresholds",
        paragraphs=(
            "Membranes and currents are fixed point with F fractional bits: in units of "
            "2**-F full-scale weights (the grid). A decay 1 - K/2**L is K's signed digits "
            "added and rounded to nearest; its error is against the graph's dt/tau. "
            "A threshold on the grid is compared with >=: a strict one (NIR's v > theta) is "
            "floor(theta / grid) + 1, exact on the grid; otherwise round(theta / grid).",
        ),
        table=Table(
            (
                "layer",
                "model",
                "F",
                "leak K/2**L (digits, error)",
                "current decay",
                "drive",
                "reset",
                "fires",
            ),
            tuple(rows),
        ),
        items=tuple(items),
    )


def _decay(d: dict[str, Any] | None) -> str:
    if d is None:
        return "-"
    digits = len(d["digits"])
    plural = "s" if digits > 1 else ""
    return f"{d['numerator']}/2**{d['shift']} ({digits} digit{plural}, {d['relative_error']:.1e})"


def _per_layer(report: dict[str, Any]) -> Table:
    measured, dense = report["measured"], report.get("dense")
    family = measured["family"]
    with_dense = bool(dense) and "layers" in dense["measured"]
    header = ["layer", "LUT est", "LUT", "FF est", "FF", "BRAM est", "BRAM"]
    rows = []
    for index, (la, m) in enumerate(zip(report["layers"], measured["layers"], strict=True)):
        est = la["estimate"][family]
        row = [index, est["luts"], m["luts"], est["ffs"], m["ffs"], est["brams"], m["brams"]]
        if with_dense:
            base = dense["measured"]["layers"][index]
            row += [base["luts"], base["ffs"], or_dash(savings(m, base).get("luts"))]
        rows.append(tuple(row))
    if with_dense:
        header += ["dense LUT", "dense FF", "LUT saved (%)"]
    caption = (
        "Per layer (each layer synthesized on its own: its outputs are ports, so it keeps "
        "logic the whole design drops, such as the hidden layers' count registers):"
    )
    return Table(tuple(header), tuple(rows), caption)


def _measured(report: dict[str, Any]) -> Section:
    measured, dense = report["measured"], report.get("dense")
    notes = []
    for name, m in (("compressed", measured), ("dense", (dense or {}).get("measured", {}))):
        if "pnr_error" in m:
            notes.append(f"nextpnr ({name}, {m['device']} {m['package']}): {m['pnr_error']}")
    if "fmax_mhz" in measured:
        notes.append(
            f"Fmax: nextpnr on {measured['device']} {measured['package']}, the design in a "
            f"few-pin wrapper; {measured['logic_cells']}/{measured['logic_cells_available']} "
            "logic cells."
        )
    clock = report.get("clock")
    if clock:
        notes.append(
            f"build --clock {clock['target_mhz']:g}: the {clock['pipeline']} pipeline, the "
            f"first to reach it (placed and routed: {clock_reached(clock)})."
        )
    if dense:
        notes.append(
            "Dense: the source network with compression off (same bits and hardware options, "
            "no pruning, every nonzero code a comparator); "
            f"synapses {dense['synapses']} -> {report['synapses']}, memory bits "
            f"{dense['memory_bits']} -> {report['memory_bits']}."
        )
    return Section(
        "measured",
        f"Measured (Yosys synth_{measured['family']} -flatten)",
        table=Table(MEASURED_HEADER, tuple(tuple(r) for r in measured_rows(report))),
        tables=(_per_layer(report),) if "layers" in measured else (),
        notes=tuple(notes),
        plot="compare",
    )


def _cost(estimates: dict[str, Any]) -> str:
    return ", ".join(
        f"{f} {e['luts']} LUT, {e['ffs']} FF, {e['carries']} carry"
        for f, e in sorted(estimates.items())
    )


def _encoder_notes(report: dict[str, Any]) -> tuple[str, ...]:
    notes = []
    encoder, readout = report.get("encoder"), report.get("readout")
    if encoder:
        notes.append(
            f"The totals include the input rate encoder ({encoder['bits']}-bit levels, "
            f"seed {encoder['seed']}): {_cost(encoder['estimate'])}."
        )
    if readout:
        notes.append(
            f"The totals include the class readout (argmax over {readout['window']}-step "
            f"windows): {_cost(readout['estimate'])}."
        )
    return tuple(notes)


def build_sections(report: dict[str, Any]) -> list[Section]:
    """Every section of a build report (``report.json``), in page order."""
    layers = report["layers"]
    estimates = tuple(
        (f, e["luts"], e["ffs"], e["brams"], e["carries"])
        for f, e in sorted(report["estimate"].items())
    )
    sections = [
        Section("steps", "Compression steps", table=steps_table(report["compression"]["steps"])),
        Section("synapses", "Synapses by class", table=_synapses(layers), plot="classes"),
        Section("delays", "Delays, widths, folding, latency", table=_delays(layers)),
        _thresholds(layers),
        Section(
            "estimate",
            "Estimated resources (analytical, no synthesis)",
            table=Table(("family", "LUT", "FF", "BRAM", "carry"), estimates),
            notes=_encoder_notes(report),
            plot="estimate",
        ),
    ]
    if report.get("fit"):
        sections.append(_fit(report))
    if report.get("measured"):
        sections.append(_measured(report))
    return sections


def _fit(report: dict[str, Any]) -> Section:
    """Whether the estimate fits each known part (``build --fit``'s part first)."""
    fits, chosen = report["fit"], report.get("part")

    def used(entry: dict[str, Any]) -> str:
        if not entry["have"]:
            return "-" if not entry["need"] else f"{entry['need']:,} (none)"
        return f"{entry['need']:,} / {entry['have']:,} ({entry['used_percent']:.0f}%)"

    names = sorted(fits, key=lambda name: name != chosen)
    rows = tuple(
        (
            name + (" (build --fit)" if name == chosen else ""),
            used(fits[name]["luts"]),
            used(fits[name]["ffs"]),
            used(fits[name]["bram_bits"]),
            used(fits[name]["sprams"]),
            "yes" if fits[name]["fits"] else "no",
        )
        for name in names
    )
    notes = ()
    if chosen and fits[chosen]["over"]:
        notes = tuple(fits[chosen]["over"])
    return Section(
        "fit",
        "Fits which part? (estimate)",
        paragraphs=(
            "The estimate against each part's logic cells, flip-flops, block-RAM bits and "
            "SPRAM blocks (iCE40 UltraPlus); place and route decides (report --synth --pnr).",
        ),
        table=Table(("part", "logic cells", "FF", "block-RAM bits", "SPRAM", "fits"), rows),
        notes=notes,
    )


def summary_line(report: dict[str, Any]) -> str:
    """The report's first line: latency, step rate, count width."""
    per_step = report["clocks_per_step"]
    event = any(la.get("style") == "event" for la in report["layers"])
    if per_step == 1:
        rate = "one step per clock; "
    elif event:
        rate = (
            f"one step every {per_step} clocks at most (event layers: fewer when fewer "
            "inputs spike); "
        )
    else:
        rate = f"one step every {per_step} clocks (folded layers); "
    return (
        f"Latency: {report['latency']} clocks; {rate}"
        f"out_counts: {report['count_width']} bits per neuron."
    )
