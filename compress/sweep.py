"""Accuracy versus cost: sweeps over compression settings and a search for the cheapest design.

A *point* is one :class:`~compress.model.passes.CompressionConfig` with one
:class:`~compress.hardware.plan.HardwareOptions`.  :func:`run_point` compresses the
network, plans it, estimates its LUT/FF/BRAM for every family
(:mod:`compress.analysis.estimate`), optionally synthesizes it with Yosys for one family,
and evaluates its accuracy on the data with the bit-exact golden model
(:mod:`compress.analysis.evaluate`).  :func:`run_points` runs many points on a local
process pool or on an existing Dask cluster (``scheduler="tcp://..."``,
``dask.distributed``), and caches every finished point in ``cache/<key>.json``
under the sweep's folder, the key a hash of the model, the data and the point,
so a rerun or an interrupted sweep resumes where it stopped.

:func:`optimize` searches per-layer bits and pruning greedily (one layer's
setting changes per round: the change with the most estimated LUTs saved per
accuracy point lost wins, while the accuracy stays within ``max_drop`` points of
the uncompressed network)
for the fewest estimated LUTs on one family, or with a part for the fastest design
that fits it (every point then also ranked against the part as ``build --fit``
builds it).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .analysis.estimate import estimate_structures, layer_parts
from .analysis.evaluate import evaluate
from .hardware.encoder import RateEncoder
from .hardware.families import FAMILIES
from .hardware.plan import DECORRELATE_BITS, HardwareOptions, plan_network
from .hardware.styles import style_for
from .model.network import Network, network_arrays, write_npz
from .model.passes import CompressionConfig, LayerCompression, compress_network

__all__ = [
    "Point",
    "SweepData",
    "fit_words",
    "grid",
    "optimize",
    "optimize_round_line",
    "optimize_summary",
    "pareto",
    "read_optimize",
    "run_point",
    "run_points",
    "sweep_summary",
    "write_optimize",
    "write_sweep",
]

#: Bumped when a point's figures change meaning: cached points of other versions are redone.
CACHE_VERSION = 1
#: Bumped when ``--fit``'s choices change (a part's point: its fit and clocks): cached
#: points of a part are redone, the others kept.  2: event layers with neuron RAM;
#: 3: the family's popcount trees (compressor trees on Xilinx).
FIT_VERSION = 3


@dataclass(frozen=True)
class Point:
    """One setting to try: compression and hardware options."""

    config: CompressionConfig
    hardware: HardwareOptions = dataclasses.field(default_factory=HardwareOptions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (the cache key is a hash of it)."""
        return {
            "compression": dataclasses.asdict(self.config),
            "hardware": dataclasses.asdict(self.hardware),
        }

    def label(self) -> str:
        """A short human-readable name: bits, pruning and per-layer overrides."""
        c = self.config
        parts = [f"{c.bits}b"]
        if c.prune_percentile is not None:
            parts.append(f"p{c.prune_percentile:g}%")
        if c.prune_threshold is not None:
            parts.append(f"t{c.prune_threshold:g}")
        if c.min_popcount_bits is not None:
            parts.append(f"mp{c.min_popcount_bits:g}")
        for index, o in c.layers:
            fields = [
                f"{name}={value:g}"
                for name, value in dataclasses.asdict(o).items()
                if value is not None
            ]
            parts.append(f"L{index}(" + ",".join(fields) + ")")
        lanes = self.hardware.parallelism
        tags = [style_for(v).tag(v) for v in (lanes if isinstance(lanes, tuple) else (lanes,))]
        if any(tags):
            parts.append(",".join(tag or "full" for tag in tags))
        if self.hardware.decorrelate != DECORRELATE_BITS:
            parts.append(f"decorrelate={self.hardware.decorrelate}")
        return " ".join(parts)


@dataclass(frozen=True, eq=False)
class SweepData:
    """What every point is evaluated on: the network, the data and the evaluation settings."""

    network: Network
    x: np.ndarray
    y: np.ndarray
    steps: int | None = None
    seed: int = 0
    input_bits: int = 8
    readout: str = "counts"
    input_stream: str = "lfsr"

    def digest(self) -> str:
        """Hash of the network, the data and the evaluation settings."""
        h = hashlib.sha256()
        buffer = io.BytesIO()
        write_npz(buffer, network_arrays(self.network))
        h.update(buffer.getvalue())
        for array in (self.x, self.y):
            arr = np.ascontiguousarray(array)
            h.update(str((arr.dtype.str, arr.shape)).encode())
            h.update(arr.tobytes())
        settings = [self.steps, self.seed, self.input_bits, self.readout]
        if self.input_stream != "lfsr":  # earlier caches stay valid
            settings.append(self.input_stream)
        h.update(json.dumps(settings).encode())
        return h.hexdigest()


def grid(
    bits: Sequence[int] = (8,),
    prune_percentiles: Sequence[float | None] = (None,),
    min_popcount_bits: Sequence[float | None] = (None,),
    parallelism: Sequence[int | str] = ("full",),
    *,
    layer_options: dict[int, dict[str, Sequence[Any]]] | None = None,
    decorrelate: Sequence[int] = (DECORRELATE_BITS,),
) -> list[Point]:
    """Every combination of the given settings (a full factorial grid).

    ``layer_options`` maps a layer to per-layer settings to cross as well, e.g.
    ``{0: {"prune_percentile": [0, 50, 80]}, 1: {"bits": [4, 6]}}``.
    """
    layer_axes: list[tuple[int, str, Sequence[Any]]] = [
        (index, name, values)
        for index, fields in sorted((layer_options or {}).items())
        for name, values in sorted(fields.items())
    ]
    points = []
    for b, p, m, lanes, dec, *layer_values in itertools.product(
        bits,
        prune_percentiles,
        min_popcount_bits,
        parallelism,
        decorrelate,
        *(a[2] for a in layer_axes),
    ):
        overrides: dict[int, dict[str, Any]] = {}
        for (index, name, _), value in zip(layer_axes, layer_values, strict=True):
            overrides.setdefault(index, {})[name] = value
        config = CompressionConfig(
            bits=b, prune_percentile=p, min_popcount_bits=m, layers=overrides
        )
        points.append(Point(config, HardwareOptions(parallelism=lanes, decorrelate=dec)))
    return points


def run_point(
    data: SweepData,
    point: Point,
    synth: str | None = None,
    work: str | None = None,
    part: str | None = None,
) -> dict[str, Any]:
    """Compress, plan, estimate (every family), optionally synthesize, and evaluate ``point``.

    Returns a JSON-ready dict: the point, ``accuracy``, the synapse classes,
    ``estimate`` per family, ``synth`` (Yosys figures of ``synth``'s family), ``fit``
    (with ``part``: how the fastest layer styles fit it,
    :func:`compress.analysis.parts.rank`) and ``error`` when the point cannot be
    built (then no figures).  With ``part`` the accuracy and the estimates are those
    of the design ``build --fit`` makes when it fits (its stream rules change the
    random streams, so the counts), else of ``point.hardware``'s.
    """
    row: dict[str, Any] = {"point": point.to_dict(), "label": point.label()}
    try:
        compression = compress_network(data.network, point.config)
        plan = plan_network(compression, "sc_network", point.hardware)
    except ValueError as exc:
        return {**row, "error": str(exc)}
    if part:  # the design build --fit makes is the one evaluated and estimated
        from .analysis.parts import rank

        row["fit"], fitted = rank(compression, part, point.hardware)
        if fitted is not None:
            plan = plan_network(compression, "sc_network", fitted)
    encoder = RateEncoder(plan.n_in, data.input_bits, data.seed, data.input_stream)
    result = evaluate(plan, data.x, data.y, steps=data.steps, encoder=encoder, readout=data.readout)
    classes = [layer.class_counts() for layer in plan.layers]
    structures = [layer_parts(plan, layer) for layer in plan.layers]  # once for all families
    row.update(
        accuracy=result.accuracy,
        synapses={k: sum(c[k] for c in classes) for k in ("dropped", "constant", "stochastic")},
        bits=[layer.bits for layer in plan.layers],
        estimate={
            family: estimate_structures(plan, structures, family)["total"] for family in FAMILIES
        },
    )
    if synth:
        row["synth"] = _synthesize(data, point, synth, work, part)
    return row


def _synthesize(
    data: SweepData, point: Point, family: str, work: str | None, part: str | None
) -> dict[str, int]:
    from .build import build
    from .measure.cells import resources
    from .measure.synth import synthesize

    folder = Path(tempfile.mkdtemp(prefix="sweep_", dir=work))
    try:
        build(data.network, folder / "b", point.config, point.hardware, part=part)
        return resources(synthesize(folder / "b", family))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _key(digest: str, point: Point, synth: str | None, part: str | None = None) -> str:
    fields = [CACHE_VERSION, digest, point.to_dict(), synth] + ([part, FIT_VERSION] if part else [])
    text = json.dumps(fields, sort_keys=True)  # keys without a part are those of before
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _run_one(args: tuple[SweepData, Point, str | None, str | None, str | None]) -> dict[str, Any]:
    return run_point(*args)


def _worker_signals() -> None:
    """A pool worker ignores Ctrl-C (the terminal sends it to the whole process group):
    the parent stops the pool, so an interrupt prints one message, not one per worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """SIGTERM raises ``SystemExit`` in the block (main thread only), so the ``with`` of a
    process pool unwinds and terminates its workers instead of leaving them orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


#: Thread-count variables of the BLAS libraries numpy may use.
_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """One BLAS thread in the worker processes started in the block (as Dask does): one
    process per core with several BLAS threads each runs several times slower."""
    saved = {name: os.environ.get(name) for name in _BLAS_THREADS}
    os.environ.update({name: "1" for name in _BLAS_THREADS})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_points(
    data: SweepData,
    points: Iterable[Point],
    cache: str | os.PathLike[str],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    synth: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    part: str | None = None,
) -> list[dict[str, Any]]:
    """Run every point (cached ones are read back), in order.

    Parameters
    ----------
    data : SweepData
    points : iterable of Point
    cache : path
        Folder of finished points (``<key>.json``); created when missing.
    jobs : int
        Local worker processes (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler to run the points on.
    synth : str, optional
        Also synthesize every point with Yosys for this family.
    progress : callable, optional
        Called with ``(done, total)`` as points finish.
    part : str, optional
        Also rank every point against this part (:func:`run_point`'s ``fit``).
    """
    points = list(points)
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    digest = data.digest()
    keys = [_key(digest, p, synth, part) for p in points]
    results: dict[int, dict[str, Any]] = {}
    todo = []
    for n, key in enumerate(keys):
        path = cache / f"{key}.json"
        if path.exists():
            results[n] = json.loads(path.read_text())
        else:
            todo.append(n)
    done = len(results)
    if progress:
        progress(done, len(points))

    def finish(n: int, row: dict[str, Any]) -> None:
        nonlocal done
        text = json.dumps({**row, "cached_key": keys[n]}, sort_keys=True)
        tmp = cache / f".{keys[n]}.{os.getpid()}.tmp"
        tmp.write_text(text)
        os.replace(tmp, cache / f"{keys[n]}.json")
        results[n] = json.loads(text)  # the same data a cached rerun reads back
        done += 1
        if progress:
            progress(done, len(points))

    work = str(cache)
    if todo and scheduler:
        from distributed import Client, as_completed

        with Client(scheduler) as client:
            shared = client.scatter(data, broadcast=True)
            futures = {
                client.submit(run_point, shared, points[n], synth, None, part, pure=False): n
                for n in todo
            }
            for future in as_completed(futures):
                finish(futures[future], future.result())
    elif todo and jobs > 1:
        with (
            _single_threaded_blas(),
            _exit_on_sigterm(),
            multiprocessing.get_context("spawn").Pool(jobs, initializer=_worker_signals) as pool,
        ):  # leaving the block (done, Ctrl-C, SIGTERM, an error) terminates the workers
            args = [(data, points[n], synth, work, part) for n in todo]
            for n, row in zip(todo, pool.imap(_run_one, args), strict=True):
                finish(n, row)
    else:
        for n in todo:
            finish(n, run_point(data, points[n], synth, work, part))
    return [results[n] for n in range(len(points))]


def pareto(rows: Sequence[dict[str, Any]], family: str) -> list[int]:
    """Indices of the rows on the accuracy-versus-LUT Pareto front of ``family``:
    no other row has fewer or as many LUTs and a higher or equal accuracy, with one strict."""
    scored = [
        (n, r["estimate"][family]["luts"], r["accuracy"])
        for n, r in enumerate(rows)
        if "error" not in r and r.get("accuracy") is not None
    ]
    front = []
    for n, luts, acc in scored:
        dominated = any(
            (o_luts <= luts and o_acc >= acc) and (o_luts < luts or o_acc > acc)
            for _, o_luts, o_acc in scored
        )
        if not dominated:
            front.append(n)
    return sorted(front, key=lambda n: rows[n]["estimate"][family]["luts"])


def write_sweep(
    out: str | os.PathLike[str], rows: list[dict[str, Any]], reference: dict[str, Any]
) -> None:
    """``sweep.json``, ``sweep.csv`` and ``sweep.html`` (accuracy versus LUTs per family)."""
    out = Path(out)
    fronts = {family: pareto(rows, family) for family in FAMILIES}
    data = {"reference": reference, "points": rows, "pareto": fronts}
    (out / "sweep.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [
        "label",
        "accuracy",
        *[f"{f}_{k}" for f in FAMILIES for k in ("luts", "ffs", "brams")],
    ]
    writer.writerow([*header, "synth_luts", "pareto", "error"])
    for n, row in enumerate(rows):
        figures = [
            row["estimate"][f][k] if "estimate" in row else ""
            for f in FAMILIES
            for k in ("luts", "ffs", "brams")
        ]
        on = ",".join(f for f in FAMILIES if n in fronts[f])
        accuracy = row.get("accuracy")
        writer.writerow(
            [
                row["label"],
                "" if accuracy is None else f"{accuracy:.4f}",
                *figures,
                row.get("synth", {}).get("luts", ""),
                on,
                row.get("error", ""),
            ]
        )
    (out / "sweep.csv").write_text(buffer.getvalue())
    from .report.html import sweep_page

    (out / "sweep.html").write_text(sweep_page(rows, fronts, reference))


#: Accuracy points a change is charged at least, so changes that lose nothing (or gain)
#: rank by the LUTs they save.
MIN_LOSS = 0.1

#: ``optimize`` with a part takes a change that saves clocks per step only when it saves at
#: least this share of them per accuracy point lost: pruning an MNIST layer from 60% to 70%
#: saved 0.5% of its clocks for 2 points.
MIN_CLOCK_GAIN = 0.01

#: Settings :func:`optimize` tries for each layer.
OPTIMIZE_BITS = (3, 4, 5, 6, 7, 8)
OPTIMIZE_PERCENTILES = tuple(float(p) for p in range(0, 96, 5))
OPTIMIZE_POPCOUNTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def optimize(
    data: SweepData,
    cache: str | os.PathLike[str],
    *,
    max_drop: float,
    family: str | None = None,
    part: str | None = None,
    bits: int = 8,
    bits_choices: Sequence[int] = OPTIMIZE_BITS,
    percentile_choices: Sequence[float] = OPTIMIZE_PERCENTILES,
    popcount_choices: Sequence[float] = OPTIMIZE_POPCOUNTS,
    decorrelate: int = DECORRELATE_BITS,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    float_accuracy: float | None = None,
    on_round: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Point, dict[str, Any], list[dict[str, Any]]]:
    """The point with the fewest estimated LUTs on ``family`` within ``max_drop`` points,
    or with ``part`` the fastest design that fits the part.

    The drop is counted from the uncompressed SNN's accuracy, or with ``float_accuracy``
    (the float network's accuracy on the same data, a fraction) from that: a bound on
    what the whole conversion and compression cost, not compression alone.

    Starts from the uncompressed network at ``bits`` (the reference accuracy);
    each round tries, for every layer, every other bits, pruning percentile and
    stochastic-pruning choice (the other layers as they are), and keeps the one
    change with the most LUTs saved per accuracy point lost (at least
    :data:`MIN_LOSS` points charged) among those that save LUTs and keep the
    accuracy at least ``reference - max_drop / 100``; it stops when none does.
    Spending the budget slowly, in small steps (percentiles every 5 points),
    beat taking the biggest saving first on digits (README).

    With ``part`` (a name of :data:`compress.analysis.parts.PARTS`; ``family`` is
    then its family) every point is also ranked against the part as ``build --fit``
    would build it (:func:`compress.analysis.parts.rank`: every layer style and lane
    count, fastest first), and a round's change is scored differently: while nothing
    fits, by how much it shrinks the smallest combination's share of the part; once
    the design fits, only changes that still fit count, by the share of expected
    clocks per step they save per accuracy point lost (at least
    :data:`MIN_CLOCK_GAIN`), and when none saves clocks by
    the LUTs of the chosen combination they save without losing accuracy (the part
    holds the design already: accuracy is not spent on LUTs alone).  Compression
    then buys a faster layer style (more lanes, or fully parallel) or makes room for
    one.

    ``on_round`` gets every round's history entry as it ends (round 0: the
    reference), with ``"points"`` (tried that round) and ``"seconds"`` added, and a
    last entry with ``"stop": True`` when no change qualifies: a log line per round.

    Returns
    -------
    (Point, dict, list of dict)
        The winner, its figures, and every round's figures (the search history).

    Raises
    ------
    ValueError
        With ``part``, when no point the search reaches within the bound fits it.
    """
    if part is not None:
        from .analysis.parts import part_of

        part_family = part_of(part).family  # names the parts when ``part`` is unknown
        if family not in (None, part_family):
            raise ValueError(
                f"family must be the {part} part's {part_family!r} or left out, not {family!r}"
            )
        family = part_family
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")
    n_layers = len(data.network.layers)
    hardware = HardwareOptions(decorrelate=decorrelate)
    start = Point(CompressionConfig(bits=bits), hardware)  # nothing pruned
    (reference,) = run_points(data, [start], cache, jobs=1, part=part)
    if float_accuracy is not None and not 0 <= float_accuracy <= 1:
        raise ValueError(f"float_accuracy must be a fraction in [0, 1], not {float_accuracy!r}")
    bound = reference["accuracy"] if float_accuracy is None else float_accuracy
    floor = bound - max_drop / 100
    if reference["accuracy"] < floor:
        raise ValueError(
            f"max_drop must leave room for the uncompressed SNN, which reaches "
            f"{100 * reference['accuracy']:.2f}%, not {max_drop:g} points below the float "
            f"network's {100 * bound:.2f}% (convert more accurately, or allow more drop)"
        )
    settings = {
        i: {"bits": bits, "prune_percentile": 0.0, "min_popcount_bits": 0.0}
        for i in range(n_layers)
    }
    axes = (
        ("bits", bits_choices),
        ("prune_percentile", percentile_choices),
        ("min_popcount_bits", popcount_choices),
    )
    best, best_row = start, reference
    history = [{"round": 0, "label": start.label(), **_figures(reference, family)}]
    if on_round:
        on_round({**history[0], "points": 1, "seconds": 0.0})
    for round_ in itertools.count(1):
        began = time.perf_counter()
        candidates = []
        for index in range(n_layers):
            for name, choices in axes:
                for value in choices:
                    if value == settings[index][name]:
                        continue
                    trial = {i: dict(s) for i, s in settings.items()}
                    trial[index][name] = value
                    candidates.append((trial, _point(bits, trial, hardware)))
        rows = run_points(
            data,
            [p for _, p in candidates],
            cache,
            jobs=jobs,
            scheduler=scheduler,
            progress=progress,
            part=part,
        )
        scored = []
        for n, row in enumerate(rows):
            if "error" in row or row["accuracy"] < floor:
                continue
            # accuracy points lost (a gain counts as a tiny loss)
            lost = max(100 * (best_row["accuracy"] - row["accuracy"]), MIN_LOSS)
            gain = _gain(best_row, row, family) if part is None else _fit_gain(best_row, row, lost)
            if gain is not None:  # saved per point lost
                scored.append((gain[0], gain[1] / lost, gain[1], n))
        seconds = round(time.perf_counter() - began, 1)
        if not scored:
            if on_round:
                stop = {"round": round_, "stop": True, "points": len(rows), "seconds": seconds}
                on_round({**stop, **({"part": part} if part else {})})
            break
        *_, n = max(scored)
        settings, best, best_row = candidates[n][0], candidates[n][1], rows[n]
        history.append({"round": round_, "label": best.label(), **_figures(best_row, family)})
        if on_round:
            on_round({**history[-1], "points": len(rows), "seconds": seconds})
    if part is not None and not best_row["fit"]["fits"]:
        fit = best_row["fit"]
        raise ValueError(
            f"design must fit the {part} within {max_drop:g} points, but no point the search "
            f"reached does: the smallest, {best.label()} (accuracy "
            f"{100 * best_row['accuracy']:.2f}%), needs {100 * fit['size']:.0f}% of the "
            f"part's budget as {', '.join(fit['styles'])} (allow more drop, or a larger part)"
        )
    figures = {**best_row, "reference_accuracy": reference["accuracy"]}
    if float_accuracy is not None:
        figures["float_accuracy"] = float_accuracy
    if part is not None:
        figures["part"] = part
    return best, figures, history


def _gain(current: dict[str, Any], row: dict[str, Any], family: str) -> tuple[int, float] | None:
    """``optimize``'s score of a change without a part: the estimated LUTs it saves."""
    saved = current["estimate"][family]["luts"] - row["estimate"][family]["luts"]
    return (0, saved) if saved > 0 else None


def _fit_gain(
    current: dict[str, Any], row: dict[str, Any], lost: float
) -> tuple[int, float] | None:
    """``optimize``'s score of a change with a part that costs ``lost`` accuracy points,
    ``(priority, gain)``: while the design does not fit, the share of the part it frees;
    once it fits, the share of clocks per step it saves (priority 1), else the share of
    LUTs it saves at the same clocks and no loss of accuracy."""
    now, then = current["fit"], row["fit"]
    if not now["fits"]:
        freed = now["size"] - then["size"]
        return (0, freed) if freed > 0 else None
    if not then["fits"]:
        return None
    clocks = (now["clocks_per_step"] - then["clocks_per_step"]) / now["clocks_per_step"]
    if clocks > 1e-9:  # worth it only at MIN_CLOCK_GAIN of the clocks per point lost
        return (1, clocks) if clocks / lost >= MIN_CLOCK_GAIN else None
    luts = (now["luts"] - then["luts"]) / max(now["luts"], 1)
    if clocks < -1e-9 or luts <= 0 or row["accuracy"] < current["accuracy"]:
        return None  # LUTs alone are not worth accuracy: the part holds the design already
    return (0, luts)


def optimize_round_line(entry: dict[str, Any], family: str) -> str:
    """One log line for an ``optimize`` round (its ``on_round`` entry)."""
    took = f"{entry['points']} point{'s' if entry['points'] != 1 else ''}, {entry['seconds']:.0f} s"
    if entry.get("stop"):
        saves = f"helps on the {entry['part']}" if "part" in entry else "saves LUTs"
        return f"optimize round {entry['round']}: no change {saves} within the bound ({took}): done"
    return (
        f"optimize round {entry['round']}: {entry['label']}: accuracy "
        f"{100 * entry['accuracy']:.2f}%, {entry['luts']:,} estimated {family} LUTs"
        + (f"; {fit_words(entry['fit'])}" if "fit" in entry else "")
        + f" ({took})"
    )


def fit_words(fit: dict[str, Any]) -> str:
    """A point's :func:`~compress.analysis.parts.rank` in words."""
    styles = " + ".join(fit["styles"])
    if fit["fits"]:
        return f"fits as {styles}, {fit['clocks_per_step']:,.1f} clocks per step"
    return f"does not fit: the smallest, {styles}, needs {100 * fit['size']:.0f}% of the part"


def _point(bits: int, settings: dict[int, dict[str, Any]], hardware: HardwareOptions) -> Point:
    layers = {index: LayerCompression(**s) for index, s in settings.items()}
    return Point(CompressionConfig(bits=bits, layers=layers), hardware)


def _figures(row: dict[str, Any], family: str) -> dict[str, Any]:
    fit = {"fit": row["fit"]} if "fit" in row else {}
    return {"accuracy": row["accuracy"], **row["estimate"][family], **fit}


def write_optimize(
    folder: str | os.PathLike[str],
    best: Point,
    figures: dict[str, Any],
    history: list[dict[str, Any]],
    *,
    max_drop: float,
    family: str,
) -> Path:
    """Write ``optimize.json`` (the winner, its figures, the search history and the part
    it was fitted to, or null) into the winner's build folder ``folder``; return its path."""
    path = Path(folder) / "optimize.json"
    record = {
        "winner": best.to_dict(),
        "label": best.label(),
        "figures": figures,
        "history": history,
        "max_drop": max_drop,
        "family": family,
        "part": figures.get("part"),
    }
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def read_optimize(path: str | os.PathLike[str]) -> tuple[Point, str | None]:
    """The winner an ``optimize.json`` records (its compression options and
    decorrelation) and the part it was fitted to (``optimize --fit``; None without),
    to build it again: ``sc-compress build MODEL --from-optimize PATH``.

    Raises
    ------
    ValueError
        When the file is not an ``optimize.json`` (named with the field that is wrong).
    """
    try:
        record = json.loads(Path(path).read_text())
        winner = record["winner"]
        config = CompressionConfig(**winner["compression"])
        hardware = HardwareOptions(decorrelate=winner["hardware"]["decorrelate"])
        part = record.get("part")
        if part is not None and not isinstance(part, str):
            raise TypeError(f"part must be a part's name, not {part!r}")
    except (OSError, ValueError, KeyError, TypeError) as exc:  # JSON, UTF-8, fields
        raise ValueError(
            f"optimize file must be an optimize.json with a winner, not {str(path)!r} ({exc})"
        ) from exc
    return Point(config, hardware), part


def sweep_summary(rows: list[dict[str, Any]], reference: dict[str, Any]) -> str:
    """What ``sc-compress sweep`` prints: the points, the uncompressed accuracy and the ten
    points with the fewest estimated iCE40 LUTs."""
    lines = [f"{len(rows)} points; uncompressed accuracy {100 * reference['accuracy']:.2f}%"]
    best = [r for r in rows if "error" not in r]
    for row in sorted(best, key=lambda r: r["estimate"]["ice40"]["luts"])[:10]:
        lines.append(
            f"  {row['label']:<40} accuracy {100 * row['accuracy']:6.2f}%  "
            + "  ".join(f"{f} {row['estimate'][f]['luts']} LUT" for f in sorted(row["estimate"]))
        )
    return "\n".join(lines)


def optimize_summary(
    best: Point, figures: dict[str, Any], history: list[dict[str, Any]], family: str, bits: int
) -> str:
    """What ``sc-compress optimize`` prints: the reference, the winner and its saving."""
    ref, acc = figures["reference_accuracy"], figures["accuracy"]
    first, luts = history[0]["luts"], figures["estimate"][family]["luts"]
    against = (
        f"float network: accuracy {100 * figures['float_accuracy']:.2f}% (the bound's base)\n"
        if "float_accuracy" in figures
        else ""
    )
    fitted = (
        f"\non the {figures['part']}: uncompressed {fit_words(history[0]['fit'])}; winner "
        f"{fit_words(figures['fit'])}"
        if "part" in figures
        else ""
    )
    return (
        against
        + (
            f"uncompressed ({bits} bits): accuracy {100 * ref:.2f}%, {first} estimated {family} "
            f"LUTs\nwinner: {best.label()}: accuracy {100 * acc:.2f}% ({100 * (acc - ref):+.2f} "
            f"points), {luts} LUTs ({100 * (1 - luts / first):.1f}% fewer)"
        )
        + fitted
    )
