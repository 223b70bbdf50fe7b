"""Synthesize the calibration set and fit the estimator's LUT and carry models.

``.venv/bin/python tools/calibrate.py`` synthesizes, for the three families,
every design of :data:`compress.analysis.calibration.CALIBRATION` that
``compress/data/calibration.json`` has no figures for yet (``--all``: every
design again; about 40 s a design on two cores), stores the figures, then fits
the per-family LUT coefficients of :mod:`compress.analysis.estimate` and writes
``compress/data/lut_model.json``.  ``--fit-only`` refits from the stored JSON.
``--holdout`` synthesizes the missing :data:`compress.analysis.calibration.HOLDOUT`
designs and never refits: run it once the model is final, so the held-out
figures stay unseen by the fit; ``--no-fit`` synthesizes the missing calibration
designs without refitting, and ``--fit-feature NAME`` then fits only NAME's LUT and
carry coefficients (on the designs that have it, the others kept).  ``--errors`` only prints the
estimate's LUT, FF and block-RAM error on every stored design.  Commit both files.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from compress.analysis.calibration import CALIBRATION, HOLDOUT
from compress.build import build
from compress.hardware.families import FAMILIES
from compress.measure.cells import resources
from compress.measure.synth import synthesize

WORK = Path("bench_out/calibration")
DATA = Path(__file__).resolve().parents[1] / "compress" / "data"
OUT = DATA / "calibration.json"
MODEL = DATA / "lut_model.json"
#: Prior LUTs per feature unit (LUT4 families, LUT6); the fit stays near them.
PRIORS = {
    "lut4": {
        "rom_logic_bits": 0.1,
        "lut_ram_bits": 0.1,
        "registered_bits": 0.3,
        "adder_bits": 1.0,
        "leaves": 0.3,
        "comparator_terms": 1.5,
        "neuron_bits": 4.0,
        "line_muxes": 0.9,
        "stream_muxes": 0.9,
        "lane_compares": 1.5,
        "rom_lane_compares": 1.5,
        "walk_taps": 3.0,
        "encoder_bits": 1.0,
        "readout_bits": 1.0,
        "counter_luts": 1.0,
        "row_adder_bits": 1.0,
        "counter_registered_bits": 0.2,
        "intercept": 0.0,
    },
    "lut6": {
        "rom_logic_bits": 0.05,
        "lut_ram_bits": 0.05,
        "registered_bits": 0.2,
        "adder_bits": 0.8,
        "leaves": 0.2,
        "comparator_terms": 1.0,
        "neuron_bits": 3.0,
        "line_muxes": 0.5,
        "stream_muxes": 0.5,
        "lane_compares": 1.0,
        "rom_lane_compares": 1.0,
        "walk_taps": 2.0,
        "encoder_bits": 0.8,
        "readout_bits": 0.8,
        "counter_luts": 1.0,
        "row_adder_bits": 1.0,
        "counter_registered_bits": 0.2,
        "intercept": 0.0,
    },
}
#: Weight of the pull towards the priors against the relative fit error.
RIDGE = 0.05
#: Reweighting rounds of :func:`_solve` (0: plain least squares).
MINIMAX_ROUNDS = 100


def run(args: tuple[int, str]) -> tuple[str, str, dict]:
    index, family = args
    design = (CALIBRATION + HOLDOUT)[index]
    WORK.mkdir(parents=True, exist_ok=True)
    folder = WORK / f"{design.name}_{family}"
    build(design.build_network(), folder, design.config, design.hardware, force=True)
    return design.name, family, resources(synthesize(folder, family))


def _carry_prior(family: str) -> dict[str, float]:
    """Carry cells per feature unit: one per adder or comparator bit on iCE40
    (SB_CARRY), per two on ECP5 (CCU2C), per four on Xilinx (CARRY4)."""
    per_bit = {"ice40": 1.0, "ecp5": 0.5, "xilinx": 0.25}[family]
    prior = dict.fromkeys([*PRIORS["lut4"]], 0.0)
    for name, bits in (
        ("adder_bits", 1.0),
        ("neuron_bits", 2.0),
        ("lane_compares", 1.0),
        ("rom_lane_compares", 1.0),
        ("encoder_bits", 1.0),
        ("readout_bits", 0.5),
    ):
        prior[name] = bits * per_bit
    return prior


def _solve(rows: list, measured: list[float], prior: dict[str, float], names: list[str]) -> dict:
    """Relative least squares pulled towards ``prior``, reweighted towards the worst
    designs (Lawson's iteration, :data:`MINIMAX_ROUNDS` rounds): the fit bounds the
    largest relative error rather than the mean one."""
    import numpy as np

    scale = np.array([max(prior[n], 0.1) for n in names])
    a = np.array(rows) / np.array(measured)[:, None]
    weights = np.full(len(rows), 1.0 / len(rows))
    ridge = RIDGE * np.diag(1 / scale)
    target = RIDGE * np.array([prior[n] for n in names]) / scale
    for _ in range(MINIMAX_ROUNDS + 1):
        root = np.sqrt(weights * len(rows))[:, None]
        coefficients, *_ = np.linalg.lstsq(
            np.vstack([a * root, ridge]), np.concatenate([root[:, 0], target]), rcond=None
        )
        residual = np.abs(a @ coefficients - 1)
        weights = weights * (residual + 1e-9)
        weights /= weights.sum()
    return {n: round(float(c), 4) for n, c in zip(names, coefficients, strict=True)}


def _rows(figures: dict[str, dict[str, dict]], family: str) -> tuple[list, list, list]:
    """Every stored calibration design's model inputs on ``family`` (its features and
    layer count), measured LUTs and measured carry cells."""
    import numpy as np

    from compress.analysis.estimate import FEATURES, family_features, layer_parts, top_features
    from compress.hardware.plan import plan_network
    from compress.model.passes import compress_network

    rows, luts, carries = [], [], []
    for design in CALIBRATION:
        measured = figures.get(design.name, {}).get(family)
        if measured is None:
            continue
        plan = plan_network(
            compress_network(design.build_network(), design.config),
            "sc_network",
            design.hardware,
        )
        x = np.zeros(len(FEATURES) + 1)
        for layer in plan.layers:
            features = family_features(layer_parts(plan, layer), family)
            x[: len(FEATURES)] += [features[f] for f in FEATURES]
            x[-1] += 1
        top = top_features(plan)
        x[: len(FEATURES)] += [top[f] for f in FEATURES]
        rows.append(x)
        luts.append(measured["luts"])
        carries.append(measured["carries"])
    return rows, luts, carries


def fit_feature(figures: dict[str, dict[str, dict]], feature: str) -> dict:
    """The stored model with only ``feature``'s LUT and carry coefficients refitted, per
    family: relative least squares on the designs that have the feature, every other
    coefficient kept (a feature added after the last full fit); never below zero (a
    feature counts parts, it does not remove any)."""
    import numpy as np

    from compress.analysis.estimate import FEATURES

    names = [*FEATURES, "intercept"]
    model = json.loads(MODEL.read_text())
    at = names.index(feature)
    for family in sorted(FAMILIES):
        rows, luts, carries = _rows(figures, family)
        for kind, measured in (("luts", luts), ("carries", carries)):
            coefficients = np.array([model[family][kind].get(n, 0.0) for n in names])
            coefficients[at] = 0.0
            x = np.array([row for row in rows if row[at]])
            m = np.array([v for row, v in zip(rows, measured, strict=True) if row[at]], float)
            u = x[:, at] / m
            value = u @ (1 - x @ coefficients / m) / (u @ u)
            model[family][kind][feature] = round(max(0.0, float(value)), 4)  # no part removes
    return model


def fit(figures: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per-family LUT and carry coefficients (see :func:`_solve`)."""
    from compress.analysis.estimate import FEATURES

    names = [*FEATURES, "intercept"]
    model = {}
    for family in sorted(FAMILIES):
        rows, luts, carries = _rows(figures, family)
        model[family] = {
            "luts": _solve(rows, luts, PRIORS["lut6" if family == "xilinx" else "lut4"], names),
            "carries": _solve(rows, carries, _carry_prior(family), names),
        }
    return model


def errors(figures: dict[str, dict[str, dict]]) -> None:
    """Print the estimate's error against every stored design's figures."""
    from compress.analysis.estimate import estimate
    from compress.hardware.plan import plan_network
    from compress.model.passes import compress_network

    print("| design | set | family | LUT | FF | block RAM (estimate / Yosys) |")
    print("|---|---|---|---|---|---|")
    for group, designs in (("fit", CALIBRATION), ("holdout", HOLDOUT)):
        for design in designs:
            if design.name not in figures:
                continue
            plan = plan_network(
                compress_network(design.build_network(), design.config),
                "sc_network",
                design.hardware,
            )
            for family, measured in sorted(figures[design.name].items()):
                total = estimate(plan, family)["total"]
                lut = (total["luts"] - measured["luts"]) / measured["luts"]
                ff = (total["ffs"] - measured["ffs"]) / max(1, measured["ffs"])
                print(
                    f"| {design.name} | {group} | {family} | {lut:+.0%} | {ff:+.0%} | "
                    f"{total['brams']} / {measured['brams']} |"
                )


def main() -> None:
    figures: dict[str, dict[str, dict]] = {} if "--all" in sys.argv else json.loads(OUT.read_text())
    if "--errors" in sys.argv:
        errors(figures)
        return
    if "--fit-feature" in sys.argv:  # one new feature, the rest of the model kept
        feature = sys.argv[sys.argv.index("--fit-feature") + 1]
        MODEL.write_text(json.dumps(fit_feature(figures, feature), indent=2, sort_keys=True) + "\n")
        return
    if "--fit-only" not in sys.argv:
        holdout = "--holdout" in sys.argv
        chosen = HOLDOUT if holdout else CALIBRATION
        wanted = {d.name for d in chosen}
        jobs = [
            (i, f)
            for i, design in enumerate(CALIBRATION + HOLDOUT)
            for f in sorted(FAMILIES)
            if design.name in wanted and f not in figures.get(design.name, {})
        ]
        with ProcessPoolExecutor(max_workers=2) as pool:
            for name, family, res in pool.map(run, jobs):
                figures.setdefault(name, {})[family] = res
                print(name, family, res, flush=True, file=sys.stderr)
                OUT.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
        if holdout or "--no-fit" in sys.argv:
            return
    MODEL.write_text(json.dumps(fit(figures), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
