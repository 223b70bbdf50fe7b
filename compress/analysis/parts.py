"""FPGA parts: what each holds, whether a plan fits one, and the fastest design that fits.

:data:`PARTS` lists the parts ``build --fit`` and ``report`` know, with the
logic cells, flip-flops and block RAMs of their datasheets.  :func:`fit` sets a
plan's estimate (:func:`compress.analysis.estimate.estimate`) against a part;
:func:`choose` tries, layer by layer, fully parallel, folded and event-driven
hardware at several lane counts and keeps the combination with the fewest
worst-case clocks per step whose estimate fits the part with
:data:`LUT_HEADROOM` to spare, or says by how much the smallest one misses.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Any

from ..hardware.families import ICE40_HEADROOM, LUT_HEADROOM, PARTS, Part, family_of, part_of
from ..hardware.memory import weight_rows
from ..hardware.plan import (
    SPRAM_DEPTH,
    SPRAM_WIDTH,
    HardwareOptions,
    LayerPlan,
    LayerStyle,
    NetworkPlan,
    plan_network,
)
from ..hardware.styles import STYLES, Convolution, Event, style_for
from ..model.passes import CompressionResult
from .estimate import NO_PARTS, estimate, estimate_structures, layer_parts

__all__ = [
    "ACTIVITY",
    "ICE40_HEADROOM",
    "LUT_HEADROOM",
    "PARTS",
    "Choice",
    "Option",
    "Part",
    "choose",
    "fit",
    "part_of",
    "plan_hardware",
    "rank",
]


def _cells(part: Part, total: dict[str, Any]) -> int:
    """Logic cells a design needs: its LUTs, or on iCE40, whose logic cell holds one LUT
    and one flip-flop, its LUTs plus flip-flops (an upper bound: a flip-flop fed by a
    LUT shares its cell, but the shift and rotate registers of event and folded layers
    do not)."""
    if family_of(part.family).ff_in_logic_cell:
        return int(total["luts"]) + int(total["ffs"])
    return int(total["luts"])


def fit(plan: NetworkPlan, part: Part | str, figures: dict[str, Any] | None = None) -> dict:
    """Whether ``plan`` fits ``part``, by the estimate (or by measured ``figures``).

    Returns
    -------
    dict
        ``part``, ``family``, and for ``luts``, ``ffs`` and ``bram_bits``: what
        the design needs, what the part has and the percentage used; ``fits``
        and ``over`` (one line per resource the part lacks, with how much).
    """
    part = part_of(part) if isinstance(part, str) else part
    total = figures or estimate(plan, part.family)["total"]
    need = {
        "luts": _cells(part, total),
        "ffs": int(total["ffs"]),
        "bram_bits": int(total.get("bram_bits", total["brams"] * part.bram_bits)),
        "sprams": int(total.get("sprams", 0)),
    }
    have = {
        "luts": part.luts,
        "ffs": part.ffs,
        "bram_bits": part.memory_bits,
        "sprams": part.sprams,
    }
    names = {
        "luts": "logic cells",
        "ffs": "flip-flops",
        "bram_bits": "block-RAM bits",
        "sprams": "SB_SPRAM256KA blocks",
    }
    over = [
        f"{names[k]}: {need[k]:,} needed, {have[k]:,} on the {part.name}"
        + (f" ({100 * (need[k] - have[k]) / have[k]:.0f}% over)" if have[k] else "")
        for k in need
        if need[k] > have[k]
    ]
    return {
        "part": part.name,
        "family": part.family,
        **{
            k: {
                "need": need[k],
                "have": have[k],
                "used_percent": round(100 * need[k] / have[k], 1) if have[k] else None,
            }
            for k in need
        },
        "fits": not over,
        "over": over,
    }


#: Input activity (spike probability of every input line) ``choose`` ranks event layers
#: at: rate-coded digits spike about this often.
ACTIVITY = 0.15


@dataclass(frozen=True)
class Option:
    """One way to build a layer (one of a style's
    :meth:`~compress.hardware.ir.LayerStyle.fit_choices`): its parallelism, neuron
    lanes, SPRAM use, stream rule and neuron RAM, and the words for it."""

    parallelism: int | str
    neuron_lanes: int = 8
    spram: bool = False
    label: str = ""
    stream_rule: str = "code"
    neuron_ram: bool = False

    @property
    def style(self) -> type[LayerStyle]:
        """The style the option asks for."""
        return style_for(self.parallelism)


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` picked: the hardware options, their plan, its fit, the
    per-layer options, the expected clocks per step at :data:`ACTIVITY` and how
    many combinations were tried."""

    hardware: HardwareOptions
    plan: NetworkPlan
    fit: dict[str, Any]
    options: tuple[Option, ...]
    clocks_per_step: float
    tried: int


def _options(part: Part) -> list[Option]:
    """Every style's choices (:data:`~compress.hardware.styles.STYLES`), in order; a style
    with a weight memory's again with the ``tap`` stream rule (words without stream
    numbers: smaller memories, one shared stream multiplexer); on a family whose
    flip-flops take logic cells (iCE40), every event choice again with neuron RAM."""
    out = []
    for cls in STYLES.values():
        for label, values in cls.fit_choices(spram=part.sprams > 0):
            out.append(Option(**values, label=label))
            if cls.has_memory:
                out.append(Option(**values, label=f"{label}, tap streams", stream_rule="tap"))
    if family_of(part.family).ff_in_logic_cell:  # flip-flops cost logic cells: neuron RAM
        out += [
            dataclasses.replace(o, neuron_ram=True, label=f"{o.label}, neuron RAM")
            for o in out
            if o.style is Event
        ]
    return out


def plan_hardware(hardware: HardwareOptions, options: tuple[Option, ...]) -> HardwareOptions:
    """``hardware`` with one :class:`Option` per layer (SPRAM turns the weight port on)."""
    spram = tuple(o.spram for o in options)
    return dataclasses.replace(
        hardware,
        parallelism=tuple(o.parallelism for o in options),
        fold_order="aligned",
        neuron_lanes=tuple(o.neuron_lanes for o in options),
        spram=spram,
        neuron_ram=tuple(o.neuron_ram for o in options),
        stream_rule=tuple(o.stream_rule for o in options),
        weight_port=any(spram)
        or (hardware.weight_port and any(o.style.has_memory for o in options)),
    )


def choose(
    result: CompressionResult,
    part: Part | str,
    hardware: HardwareOptions | None = None,
    top: str = "sc_network",
    *,
    activity: float = ACTIVITY,
    max_combinations: int = 500_000,
) -> Choice:
    """The fastest layer styles and lanes whose estimate fits ``part``.

    Every layer may take any of every style's choices
    (:meth:`~compress.hardware.ir.LayerStyle.fit_choices`): fully parallel, folded
    (aligned order, ``P`` in :data:`compress.hardware.styles.folded.FIT_LANES`) or
    event-driven (:data:`compress.hardware.styles.event.FIT_LANES` neuron lanes; on
    an UltraPlus also with its weight rows in SPRAM, which turns the weight port
    on: the weights are written after configuration).  A combination fits when
    its logic cells stay within :data:`LUT_HEADROOM` of the part's and its
    flip-flops, block-RAM bits and SPRAM blocks within the part's; among those
    the fewest expected clocks per step wins (every input tap spiking with
    probability ``activity``; then the fewest LUTs).  The other options of
    ``hardware`` (pipeline, encoder, readout, ...) are kept; with an ``auto`` popcount
    (``None``) both adder trees and the family's compressor trees are tried
    (:func:`_popcount_search`).

    Raises
    ------
    ValueError
        When nothing fits: the message names the smallest combination and by how
        much it misses the part.
    """
    part = part_of(part) if isinstance(part, str) else part
    found, hardware = _popcount_search(
        result, part, hardware or HardwareOptions(), top, activity, max_combinations
    )
    options, per_option, layer_ok = found.options, found.per_option, found.layer_ok
    best, smallest, tried, budget = found.best, found.smallest, found.tried, found.budget
    n_layers = len(result.codes)
    if best is None:
        chosen = tuple(options[o] for o in smallest[1])
        plan = plan_network(result, top, plan_hardware(hardware, chosen))
        report = fit(plan, part)
        labels = ", ".join(o.label for o in chosen)
        misses = "; ".join(report["over"]) or (
            f"logic cells: {report['luts']['need']:,} estimated, more than "
            f"{budget['luts'] / part.luts:.0%} of the {part.name}'s {part.luts:,}"
        )
        rows = [
            min(
                math.prod(weight_rows(entry[0].layers[i]))
                for entry, ok in zip(per_option, layer_ok, strict=True)
                if entry and ok[i] and entry[0].layers[i].style.name in ("event", "conv")
            )
            for i in range(n_layers)
        ]
        holds = part.memory_bits + part.sprams * SPRAM_DEPTH * SPRAM_WIDTH
        raise ValueError(
            f"design must fit the {part.name} ({part.title}), but nothing does: the smallest "
            f"of {tried} combinations of layer styles ({labels}) needs {misses}; the weights "
            f"alone need at least {sum(rows):,} bits as event rows (every synapse one word), "
            f"the {part.name} holds {holds:,} in block RAM and SPRAM"
            + _spram_refusals(part, per_option, layer_ok, options)
        )
    chosen = tuple(options[o] for o in best[1])
    chosen_hardware = plan_hardware(hardware, chosen)
    plan = plan_network(result, top, chosen_hardware)
    return Choice(chosen_hardware, plan, fit(plan, part), chosen, best[2], tried)


@dataclass(frozen=True)
class _Search:
    """What :func:`_search` found: the options, each option's plan and estimate, where
    each may go, the part's budget, the best fitting combination ``(key, combo, clocks,
    need, size)`` (None when nothing fits), the smallest ``(size, combo)`` and the count
    of combinations tried."""

    part: Part
    options: list[Option]
    per_option: list[tuple[NetworkPlan, dict[str, Any]] | None]
    layer_ok: list[list[bool]]
    budget: dict[str, float]
    best: tuple[Any, ...] | None
    smallest: tuple[float, tuple[int, ...]]
    tried: int


def _search(
    result: CompressionResult,
    part: Part,
    hardware: HardwareOptions,
    top: str,
    activity: float,
    max_combinations: int,
) -> _Search:
    """:func:`choose`'s search: every option planned and estimated, every undominated
    combination of them tried against the part's budget."""
    n_layers = len(result.codes)
    options = _options(part)
    per_option: list[tuple[NetworkPlan, dict[str, Any]] | None] = []
    layer_ok: list[list[bool]] = []
    convs = [layer.conv is not None for layer in result.network.layers]
    for option in options:
        # a convolution layer takes only the convolution style's options, the others only
        # the rest: where an option does not apply, the layer is planned with one that does
        # and never chosen with it
        applies = [(option.style is Convolution) == conv for conv in convs]
        stand_in = {True: Option("conv", option.neuron_lanes), False: Option("full")}
        trial = plan_hardware(
            hardware,
            tuple(
                dataclasses.replace(option, spram=False, neuron_ram=False)
                if fits
                else stand_in[conv]
                for fits, conv in zip(applies, convs, strict=True)
            ),
        )
        try:
            plan = plan_network(result, top, trial)
        except ValueError:  # too few tap streams for a layer's taps: the option is out
            if option.stream_rule != "tap":
                raise
            per_option.append(None)
            layer_ok.append([False] * n_layers)
            continue
        ok = applies
        if option.neuron_ram:  # each layer of two or more neuron groups
            ok = [fits and la.style.groups(la) > 1 for fits, la in zip(applies, plan.layers)]
            plan = _restyled(plan, ok, neuron_ram=True)
        if option.spram:  # each layer's rows in SPRAM when they fit one bank
            ok = [fits and _spram_fits(layer) for fits, layer in zip(ok, plan.layers)]
            plan = dataclasses.replace(_restyled(plan, ok, spram=True), weight_port=True)
        structures = [  # a stand-in layer is never chosen: its parts are not counted
            layer_parts(plan, la) if fits else NO_PARTS
            for la, fits in zip(plan.layers, applies, strict=True)
        ]
        per_option.append((plan, estimate_structures(plan, structures, part.family)))
        layer_ok.append(ok)
    budget = {  # iCE40's LUTs + flip-flops bound the cells already: less headroom on top
        "luts": part.luts * family_of(part.family).headroom,
        "ffs": part.ffs,
        "bram_bits": part.memory_bits,
        "sprams": part.sprams,
    }
    base = per_option[0][1]
    extras = {k: base["total"][k] - sum(la[k] for la in base["layers"]) for k in ("luts", "ffs")}
    memory = [option.style.has_memory for option in options]  # once, not per combination
    expected = [
        [la.style.expected_clocks(la, activity) for la in entry[0].layers] if entry else []
        for entry in per_option
    ]
    best, smallest, tried = None, None, 0
    choices = [
        _undominated(
            [o for o in range(len(options)) if layer_ok[o][i]],
            lambda o, i=i: (
                expected[o][i],
                *(per_option[o][1]["layers"][i][k] for k in ("luts", "ffs", "bram_bits", "sprams")),
            ),
            memory,
        )
        for i in range(n_layers)
    ]
    for combo in itertools.islice(itertools.product(*choices), max_combinations):
        tried += 1
        layers = [per_option[o][1]["layers"][i] for i, o in enumerate(combo)]
        locked = any(memory[o] for o in combo)
        total = {
            "luts": sum(la["luts"] for la in layers) + extras["luts"],
            "ffs": sum(la["ffs"] for la in layers) + extras["ffs"] + int(locked),
        }
        need = {
            "luts": _cells(part, total),
            "ffs": total["ffs"],
            "bram_bits": sum(la["bram_bits"] for la in layers),
            "sprams": sum(la["sprams"] for la in layers),
        }
        clocks = 1 + sum(expected[o][i] for i, o in enumerate(combo)) if locked else 1.0
        size = max(need[k] / budget[k] if budget[k] else need[k] * 1e9 for k in need)
        if smallest is None or size < smallest[0]:
            smallest = (size, combo)
        if all(need[k] <= budget[k] for k in need):
            key = (clocks, need["luts"])
            if best is None or key < best[0]:
                best = (key, combo, clocks, need, size)
    return _Search(part, options, per_option, layer_ok, budget, best, smallest, tried)


def rank(
    result: CompressionResult,
    part: Part | str,
    hardware: HardwareOptions | None = None,
    top: str = "sc_network",
    *,
    activity: float = ACTIVITY,
    max_combinations: int = 500_000,
) -> tuple[dict[str, Any], HardwareOptions | None]:
    """How well a compressed network fits ``part``: :func:`choose`'s search, as figures,
    and the hardware options it would build (None when nothing fits).

    Returns
    -------
    (dict, HardwareOptions or None)
        JSON-ready figures: ``fits``; ``size``, the smallest combination's largest
        share of the part's budget (its LUT headroom, flip-flops, block RAM and SPRAM:
        above 1 nothing fits); ``styles``, the labels of the fastest fitting
        combination or, when nothing fits, the smallest; and when it fits
        ``clocks_per_step`` (at ``activity``), ``luts``, ``ffs``, ``bram_bits`` and
        ``sprams`` of the chosen one.  Then ``hardware`` with the chosen options
        (:func:`plan_hardware`), as :func:`choose` returns it.
    """
    part = part_of(part) if isinstance(part, str) else part
    found, hardware = _popcount_search(
        result, part, hardware or HardwareOptions(), top, activity, max_combinations
    )
    size, combo = found.smallest
    out: dict[str, Any] = {"fits": found.best is not None, "size": round(size, 6)}
    if found.best is None:
        return {**out, "styles": [found.options[o].label for o in combo]}, None
    _, combo, clocks, need, _ = found.best
    figures = {
        **out,
        "styles": [found.options[o].label for o in combo],
        "clocks_per_step": round(clocks, 6),
        **{k: int(v) for k, v in need.items()},
    }
    return figures, plan_hardware(hardware, tuple(found.options[o] for o in combo))


def _undominated(indices: list[int], figures, memory: list[bool]) -> list[int]:
    """The options of one layer no other option beats: an option with memory is dropped
    when another one has no more clocks and no more of any resource (and less of one);
    the costs add up over layers, so a dropped option is in no best combination.
    Options without memory stay (a design of only those runs one step per clock)."""
    values = {o: figures(o) for o in indices}
    kept = []
    for o in indices:
        beaten = memory[o] and any(
            p != o
            and all(a <= b for a, b in zip(values[p], values[o], strict=True))
            and values[p] != values[o]
            for p in indices
        )
        if not beaten:
            kept.append(o)
    return kept


def _spram_refusals(part: Part, per_option, layer_ok, options) -> str:
    """Why SPRAM was no option for the layers it could have held: the narrowest event
    rows each got, against one bank of blocks (``""`` without SPRAM on the part)."""
    if not part.sprams:
        return ""
    out = []
    n_layers = len(layer_ok[0])
    for i in range(n_layers):
        if any(ok[i] and o.spram for ok, o in zip(layer_ok, options, strict=True)):
            continue
        shapes = [
            weight_rows(entry[0].layers[i])
            for entry, o in zip(per_option, options, strict=True)
            if entry and o.spram and entry[0].layers[i].style.name == "event"
        ]
        if shapes:
            # the narrowest rows that are few enough, else the fewest
            depth, width = min(shapes, key=lambda s: (s[0] > SPRAM_DEPTH, s[1], s[0]))
            which = "narrowest rows that are few enough" if depth <= SPRAM_DEPTH else "fewest rows"
            out.append(
                f"layer {i}'s event rows must be at most {SPRAM_DEPTH:,} rows of "
                f"{4 * SPRAM_WIDTH} bits for one bank of SB_SPRAM256KA blocks, not {depth:,} "
                f"rows of {width} bits (its {which})"
            )
    return ("; SPRAM was ruled out: " + "; ".join(out)) if out else ""


def _popcount_search(
    result: CompressionResult,
    part: Part,
    hardware: HardwareOptions,
    top: str,
    activity: float,
    max_combinations: int,
) -> tuple[_Search, HardwareOptions]:
    """:func:`_search` with ``hardware``'s popcount, or for an ``auto`` one (None) with
    adder trees and with the family's compressor trees
    (:attr:`~compress.hardware.families.Family.popcount`), the better kept: the fastest
    fitting design, then the fewest estimated LUTs (logic cells on iCE40), adder trees
    on a tie; when neither fits, the smaller."""
    if hardware.popcount is not None:
        return _search(result, part, hardware, top, activity, max_combinations), hardware
    tries = []
    for popcount in dict.fromkeys(("adder", family_of(part.family).popcount)):
        trial = dataclasses.replace(hardware, popcount=popcount)
        tries.append((_search(result, part, trial, top, activity, max_combinations), trial))

    def rank(entry: tuple[_Search, HardwareOptions]) -> tuple:
        found = entry[0]
        return (0, found.best[0]) if found.best is not None else (1, found.smallest[0])

    return min(tries, key=rank)


def _restyled(plan: NetworkPlan, ok: list[bool], **fields: Any) -> NetworkPlan:
    """``plan`` with the styles of the layers ``ok`` marks given ``fields``."""
    layers = tuple(
        dataclasses.replace(la, style=dataclasses.replace(la.style, **fields)) if fits else la
        for la, fits in zip(plan.layers, ok, strict=True)
    )
    return dataclasses.replace(plan, layers=layers)


def _spram_fits(layer: LayerPlan) -> bool:
    """Whether an event layer's rows fit one bank of SB_SPRAM256KA blocks."""
    if getattr(layer.style, "spram", None) is None:  # SPRAM is an event layer's
        return False
    depth, width = weight_rows(layer)
    return depth <= SPRAM_DEPTH and width <= 4 * SPRAM_WIDTH
