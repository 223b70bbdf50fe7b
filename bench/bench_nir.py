"""NIR's networks on sc-compress (issue 19): the figures of the closing note and the README.

``--lif``     the NIR paper's LIF task: Norse's graph, dt = 1e-4, the task's input column;
              our spike steps beside every platform's CSV.
``--compare`` firing against the independent NIR reference simulator
              (``tests/nir_reference.py``) on random input spikes, per layer: the
              expected-value model (fixed point only) and the golden model (random streams,
              8 bits): spike agreement, rate correlation and mean rate error.
``--cost``    Yosys LUT/FF of a 64-32 layer: today's integer neuron with a shift leak
              against F fractional bits, a non-power-of-two leak and a synaptic current
              (iCE40 and Xilinx).
``--fit``     the paper's graphs (and Braille) through ``build --fit up5k`` and nextpnr.

Run ``python bench/bench_nir.py --all`` (``--cost`` and ``--fit`` synthesize: minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from nir_reference import NIRReference  # noqa: E402

from compress import CompressionConfig, Layer, Network  # noqa: E402
from compress.analysis.evaluate import plan_of  # noqa: E402
from compress.build import build  # noqa: E402
from compress.hardware.golden import expected, simulate  # noqa: E402
from compress.hardware.plan import HardwareOptions  # noqa: E402
from compress.measure.cells import resources  # noqa: E402
from compress.measure.synth import place_and_route, synthesize  # noqa: E402
from compress.model.nir_import import import_nir, read_nir  # noqa: E402

PAPER = ROOT.parent / "shared" / "nir-paper"
WORK = Path("bench_out") / "nir"
DT = 1e-4


def lif_task() -> None:
    """Spike steps of the LIF task: ours and every platform's."""
    import nir  # noqa: F401  (read_nir needs it)

    task = np.loadtxt(PAPER / "lif_task" / "lif_exact.csv", delimiter=",")
    plan = plan_of(read_nir(PAPER / "lif_norse.nir", dt=DT), CompressionConfig())
    ours = np.flatnonzero(simulate(plan, task[:, :1].astype(np.int8)).spikes[0][:, 0])
    layer = plan.layers[0]
    print(
        f"LIF task: F = {layer.neuron.frac_bits}, leak {layer.neuron.leak.numerator}/"
        f"2**{layer.neuron.leak.shift} (error {layer.neuron.leak.error:.1e}), "
        f"theta {layer.thresholds[0]} grid units"
    )
    print("| simulator / platform | spike steps |\n|---|---|")
    print(f"| sc-compress (golden model and RTL) | {', '.join(map(str, ours))} |")
    for path in sorted((PAPER / "lif_task").glob("*.csv")):
        steps = np.flatnonzero(np.loadtxt(path, delimiter=",")[:, 2] > 0.5)
        print(f"| {path.stem.removeprefix('lif_')} | {', '.join(map(str, steps))} |")


def _snntorch(kind: str, seed: int):
    from test_nir import _graph

    return _graph(kind, seed)


def _graphs():
    import nir

    yield "two_lif_neurons", nir.read(PAPER / "two_lif_neurons.nir"), None, ["lif1", "lif2"]
    for name, reset in (
        ("braille_noDelay_bias_zero", None),
        ("braille_noDelay_noBias_subtract", "subtract"),
    ):
        yield name, nir.read(PAPER / f"{name}.nir"), reset, ["lif1.lif", "lif2"]
    for kind in ("leaky-0.8", "leaky-0.9", "leaky-0.97", "synaptic", "rleaky", "li-out"):
        yield f"snnTorch {kind}", _snntorch(kind, len(kind)), None, ["hidden", "out"]


def _rows(graph, names, reset, x, model):
    net = import_nir(graph, dt=DT, reset=reset)
    plan = plan_of(net, CompressionConfig())
    trace = expected(plan, x) if model == "expected" else simulate(plan, x)
    ref = NIRReference(graph, dt=DT, reset=reset or "zero").run(x)
    out = []
    for index, name in enumerate(names):
        layer = plan.layers[index]
        if not layer.neuron.spiking:  # LI: membranes, in weight units
            lsb = layer.threshold_unit * 2.0**-layer.neuron.frac_bits
            v, want = trace.membranes[index] * lsb, ref[name]
            corr = float(np.corrcoef(v.ravel(), want.ravel())[0, 1])
            scale = float(np.abs(want).mean()) or 1.0
            out.append((index, "membrane", corr, float(np.abs(v - want).mean()) / scale, None))
            continue
        got, want = trace.spikes[index], ref[name] > 0.5
        rates, want_rates = got.mean(axis=0), want.mean(axis=0)
        corr = (
            float(np.corrcoef(rates, want_rates)[0, 1])
            if rates.std() and want_rates.std()
            else float(np.allclose(rates, want_rates))
        )
        out.append(
            (
                index,
                f"{want.mean():.3f}",
                corr,
                float(np.abs(rates - want_rates).mean()),
                float((got == want).mean()),
            )
        )
    return out


def compare(steps: int = 500) -> None:
    """The firing table: each graph on random input spikes (rate 0.3)."""
    print(
        "| network | layer | reference rate | model | rate correlation | mean rate error "
        "| spike agreement |\n|---|---|---|---|---|---|---|"
    )
    for name, graph, reset, names in _graphs():
        n_in = import_nir(graph, dt=DT, reset=reset).sizes[0]
        x = (np.random.default_rng(1).random((steps, n_in)) < 0.3).astype(np.int8)
        for model in ("expected", "golden"):
            for index, rate, corr, err, agree in _rows(graph, names, reset, x, model):
                agree_text = "-" if agree is None else f"{agree:.4f}"
                what = "rel. membrane error" if rate == "membrane" else ""
                print(
                    f"| {name} | {index} | {rate} | {model} | {corr:.4f} | {err:.4f} {what}"
                    f"| {agree_text} |"
                )


def _cost_network(variant: str) -> Network:
    rng = np.random.default_rng(5)
    w = rng.uniform(-1, 1, (32, 64))
    fields = {
        "integer, shift leak (F = 0)": {"leak_shift": 4, "frac_bits": 0},
        "shift leak, F auto": {"leak_shift": 4},
        "leak 0.04, F auto": {"leak": 0.04},
        "CubaLIF 0.1/0.45, F auto": {"leak": 0.1, "syn_leak": 0.45},
    }[variant]
    return Network((Layer(w, threshold=2.0, **fields),))


COST_VARIANTS = (
    "integer, shift leak (F = 0)",
    "shift leak, F auto",
    "leak 0.04, F auto",
    "CubaLIF 0.1/0.45, F auto",
)


def cost(families: list[str]) -> None:
    """Yosys cells of one 64-32 layer per neuron arithmetic."""
    print("| neuron | F | membrane bits | " + " | ".join(f"{f} LUT/FF" for f in families))
    print("|---|---|---|" + "---|" * len(families))
    for variant in COST_VARIANTS:
        out = WORK / ("cost_" + "".join(c for c in variant if c.isalnum()))
        result = build(_cost_network(variant), out, CompressionConfig(bits=8), force=True)
        layer = result.plan.layers[0]
        cells = []
        for family in families:
            r = resources(synthesize(out, family))
            cells.append(f"{r['luts']}/{r['ffs']}")
        print(f"| {variant} | {layer.neuron.frac_bits} | {layer.v_width} | " + " | ".join(cells))


def fit_up5k() -> None:
    """The paper's graphs through build --fit up5k, synthesized and placed on the UP5K."""
    print("| network | style | LUT | FF | cells placed | MHz |\n|---|---|---|---|---|---|")
    for name, reset in (
        ("two_lif_neurons", None),
        ("braille_noDelay_bias_zero", None),
        ("braille_noDelay_noBias_subtract", "subtract"),
    ):
        net = read_nir(PAPER / f"{name}.nir", dt=DT, reset=reset)
        for label, hardware, part in (("--fit up5k", HardwareOptions(), "up5k"),):
            out = WORK / f"fit_{name}_{label.strip('-').replace(' ', '_')}"
            start = time.perf_counter()
            result = build(net, out, CompressionConfig(), hardware, part=part, force=True)
            r = resources(synthesize(out, "ice40", wrap=True))
            try:
                pnr = place_and_route(out, "ice40", "up5k", "sg48")
                placed, mhz = f"{pnr.used}/{pnr.available}", f"{pnr.fmax_mhz:.1f}"
            except RuntimeError as exc:
                placed, mhz = f"does not place ({str(exc).splitlines()[0][:60]})", "-"
            styles = ",".join(layer.style.name for layer in result.plan.layers)
            print(
                f"| {name} | {label} ({styles}) | {r['luts']} | {r['ffs']} | {placed} | {mhz} |"
                f"  <!-- {time.perf_counter() - start:.0f} s -->"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lif", action="store_true")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--families", nargs="+", default=["ice40", "xilinx"])
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.lif or args.all:
        lif_task()
    if args.compare or args.all:
        compare()
    if args.cost or args.all:
        cost(args.families)
    if args.fit or args.all:
        fit_up5k()
    if not any((args.lif, args.compare, args.cost, args.fit, args.all)):
        parser.print_help()


if __name__ == "__main__":
    main()
