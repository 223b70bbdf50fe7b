"""NIR import: graphs built with the nir package, checked against NIR's own semantics."""

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from click.testing import CliRunner  # noqa: E402

from compress import CompressionConfig, load_network  # noqa: E402
from compress.analysis.evaluate import plan_of  # noqa: E402
from compress.cli import main  # noqa: E402
from compress.hardware.golden import simulate  # noqa: E402
from compress.model.nir_import import import_nir, read_nir  # noqa: E402


def _lif(n, tau=4.0, threshold=1.0, v_leak=0.0, v_reset=0.0):
    return nir.LIF(
        tau=np.full(n, tau),
        r=np.ones(n),
        v_leak=np.full(n, v_leak),
        v_threshold=np.full(n, threshold),
        v_reset=np.full(n, v_reset),
    )


def _if(n, threshold, r=1.0):
    return nir.IF(
        r=np.full(n, r), v_threshold=np.asarray(threshold, dtype=float), v_reset=np.zeros(n)
    )


def nir_reference(layers, spikes, dt=1.0):
    """NIR semantics, Euler steps: I = W x + b; IF v += dt r I; spike v > theta; v = v_reset."""
    x = spikes.astype(float)
    for weight, bias, r, theta in layers:
        v = np.zeros(weight.shape[0])
        out = np.zeros((x.shape[0], weight.shape[0]), dtype=bool)
        for t in range(x.shape[0]):
            v = v + dt * r * (weight @ x[t] + bias)
            out[t] = v > theta
            v = np.where(out[t], 0.0, v)
        x = out.astype(float)
    return x.astype(bool)


def test_if_network_spikes_like_nir_on_the_golden_model():
    """Weights on the hardware's grid (+-1, 0) and thresholds on and off it: spike for spike."""
    rng = np.random.default_rng(0)
    w1 = rng.choice([-1.0, 0.0, 1.0], (6, 8))
    w2 = rng.choice([-1.0, 0.0, 1.0], (3, 6))
    b1 = rng.choice([-1.0, 0.0, 1.0], 6)
    th1 = np.array([1.0, 2.0, 0.5, 3.0, 1.5, 2.0])  # v > 1 and v >= 1 differ: the boundary
    th2 = np.array([1.0, 2.0, 2.5])
    graph = nir.NIRGraph.from_list(nir.Affine(w1, b1), _if(6, th1), nir.Linear(w2), _if(3, th2))
    net = import_nir(graph)
    assert net.sizes == (8, 6, 3) and net.layers[0].bias.tolist() == b1.tolist()
    x = rng.random((60, 8)) < 0.5
    want = nir_reference([(w1, b1, 1.0, th1), (w2, np.zeros(3), 1.0, th2)], x)
    trace = simulate(plan_of(net, CompressionConfig(bits=2)), x)
    assert np.array_equal(trace.spikes[-1], want)
    assert trace.spikes[-1].any() and not trace.spikes[-1].all()


def test_lif_maps_tau_to_a_leak_and_folds_gain_into_weights():
    w = np.array([[2.0, -1.0], [0.5, 4.0]])
    graph = nir.NIRGraph.from_list(nir.Linear(w), _lif(2, tau=8.0, threshold=0.3))
    layer = import_nir(graph, dt=2.0, reset="subtract").layers[0]  # dt/tau = 1/4
    assert layer.leak == 0.25 and layer.leak_shift is None and layer.reset == "subtract"
    assert np.allclose(layer.weights, w * 0.25) and layer.strict  # r dt / tau; v > theta
    assert np.allclose(layer.thresholds, [0.3, 0.3])
    plan = plan_of(import_nir(graph, dt=2.0), CompressionConfig(bits=8)).layers[0]
    # F = ceil(log2 4) + 6 guard bits + ceil(log2(1 / 0.3)) (the threshold is 0.3 counts);
    # theta = floor(0.3 / 1.0 * 2**10) + 1: v > 0.3 on the grid
    assert plan.neuron.frac_bits == 10 and plan.thresholds == (308, 308)
    assert (plan.neuron.leak.numerator, plan.neuron.leak.shift) == (1, 2)


def test_delays_become_rows_or_columns():
    graph = nir.NIRGraph.from_list(
        nir.Delay(np.array([0.0, 2.0, 4.0])),
        nir.Linear(np.ones((2, 3))),
        nir.Delay(np.array([2.0, 0.0])),
        _if(2, [1.0, 1.0]),
    )
    delays = import_nir(graph, dt=2.0).layers[0].delays
    assert delays.tolist() == [[1.0, 2.0, 3.0], [0.0, 1.0, 2.0]]


@pytest.mark.parametrize(
    ("nodes", "pattern"),
    [
        (
            lambda: [nir.Linear(np.ones((2, 2))), _lif(2, tau=0.5)],
            r"tau must be at least dt=1\.0 \(one Euler step\), not 0\.5",
        ),
        (
            lambda: [
                nir.Linear(np.ones((2, 2))),
                nir.LIF(
                    tau=np.array([2.0, 3.0]),
                    r=np.ones(2),
                    v_leak=np.zeros(2),
                    v_threshold=np.ones(2),
                    v_reset=np.zeros(2),
                ),
            ],
            r"tau must be one value for all 2 neurons, not 2\.0\.\.3\.0 \(a layer has one leak\)",
        ),
        (
            lambda: [nir.Linear(np.ones((2, 2))), nir.Threshold(np.ones(2))],
            r"not Threshold \(it would need a neuron node to carry it",
        ),
        (
            lambda: [
                nir.Linear(np.ones((2, 2))),
                nir.LI(tau=np.full(2, 4.0), r=np.ones(2), v_leak=np.zeros(2)),
                nir.Linear(np.ones((2, 2))),
                _if(2, [1.0, 1.0]),
            ],
            r"LI must be the output layer without a recurrent edge, not feed spikes on",
        ),
        (
            lambda: [_lif(2), nir.Linear(np.ones((2, 2)))],
            r"Output must be fed by one neuron node, not '[a-z0-9]+' Linear "
            r"\(synapses must feed a neuron node, not the output\)",
        ),
    ],
)
def test_unsupported_graphs_are_refused_with_the_node(nodes, pattern):
    with pytest.raises(ValueError, match=r"^NIR node '[a-z_0-9]+'[: ].*" + pattern):
        import_nir(nir.NIRGraph.from_list(*nodes()))


def test_skip_connections_are_refused():
    nodes = {
        "input": nir.Input(np.array([2])),
        "a": nir.Linear(np.ones((2, 2))),
        "lif1": _lif(2),
        "b": nir.Linear(np.ones((2, 2))),
        "skip": nir.Linear(np.ones((2, 2))),
        "lif2": _lif(2),
        "output": nir.Output(np.array([2])),
    }
    edges = [
        ("input", "a"),
        ("a", "lif1"),
        ("lif1", "b"),
        ("b", "lif2"),
        ("input", "skip"),
        ("skip", "lif2"),
        ("lif2", "output"),
    ]
    graph = nir.NIRGraph(nodes, edges, type_check=False)
    with pytest.raises(
        ValueError,
        match=r"^NIR node 'input' must feed one neuron node, not 2 \(lif1, lif2\): "
        r"branches are not supported",
    ):
        import_nir(graph)


def test_several_synapse_nodes_into_one_neuron_are_summed():
    nodes = {
        "input": nir.Input(np.array([2])),
        "a": nir.Linear(np.array([[1.0, 0.0], [0.0, 2.0]])),
        "b": nir.Affine(np.array([[0.5, 0.5], [0.0, 1.0]]), np.array([0.1, 0.0])),
        "s": nir.Scale(np.array([2.0, 3.0])),
        "lif": _if(2, [1.0, 1.0]),
        "output": nir.Output(np.array([2])),
    }
    edges = [("input", "a"), ("input", "b"), ("a", "s"), ("b", "s"), ("s", "lif")]
    edges.append(("lif", "output"))
    layer = import_nir(nir.NIRGraph(nodes, edges, type_check=False)).layers[0]
    assert np.allclose(layer.weights, [[3.0, 1.0], [0.0, 9.0]])
    assert np.allclose(layer.bias, [0.2, 0.0])


def test_cli_import_and_build_from_nir(tmp_path):
    graph = nir.NIRGraph.from_list(nir.Affine(np.eye(3), np.zeros(3)), _lif(3, tau=2.0))
    nir.write(tmp_path / "m.nir", graph)
    assert read_nir(tmp_path / "m.nir").sizes == (3, 3)
    runner = CliRunner()
    res = runner.invoke(
        main,
        ["import", str(tmp_path / "m.nir"), "-o", str(tmp_path / "n.npz"), "--reset", "subtract"],
    )
    assert res.exit_code == 0, res.output
    net = load_network(tmp_path / "n.npz")
    assert net.layers[0].reset == "subtract" and net.layers[0].leak == 0.5
    res = runner.invoke(main, ["build", str(tmp_path / "m.nir"), "-o", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    (tmp_path / "bad.nir").write_text("not hdf5")
    res = runner.invoke(main, ["import", str(tmp_path / "bad.nir"), "-o", str(tmp_path / "x.npz")])
    assert res.exit_code == 1 and "NIR file must be readable by nir.read" in res.stderr
    assert not (tmp_path / "x.npz").exists()


# --- NIR's neuron models against the independent reference simulator -------------------

from pathlib import Path  # noqa: E402

from nir_reference import NIRReference  # noqa: E402

from compress.hardware.golden import expected  # noqa: E402

DT = 1e-4
PAPER = Path(__file__).resolve().parents[2] / "shared" / "nir-paper"
#: The NIR paper's graphs sit in ../shared beside the checkout (CI has them there).
needs_paper = pytest.mark.skipif(
    not PAPER.is_dir(), reason=f"needs the NIR paper's graphs in {PAPER}"
)


def _leaky(n, beta, threshold=1.0):
    """snnTorch's Leaky as its NIR export writes it: tau = dt / (1 - beta), r = tau / dt."""
    tau = DT / (1 - beta)
    return nir.LIF(
        tau=np.full(n, tau),
        r=np.full(n, tau / DT),
        v_leak=np.zeros(n),
        v_threshold=np.full(n, threshold),
        v_reset=np.zeros(n),
    )


def _synaptic(n, alpha, beta, threshold=1.0, spiking=True):
    """snnTorch's Synaptic as its NIR export writes it (CubaLIF; CubaLI without spikes)."""
    tau_syn, tau_mem = DT / (1 - alpha), DT / (1 - beta)
    common = dict(
        tau_syn=np.full(n, tau_syn),
        tau_mem=np.full(n, tau_mem),
        r=np.full(n, tau_mem / DT),
        v_leak=np.zeros(n),
        w_in=np.full(n, tau_syn / DT),
    )
    if not spiking:
        return nir.CubaLI(**common)
    return nir.CubaLIF(**common, v_threshold=np.full(n, threshold), v_reset=np.zeros(n))


def _graph(kind, seed):
    """Input(10) -> Affine -> hidden(24) -> Linear -> output(6), snnTorch-style."""
    rng = np.random.default_rng(seed)
    w1, b1 = rng.uniform(-0.6, 0.6, (24, 10)), rng.uniform(-0.05, 0.1, 24)
    w2 = rng.uniform(-0.5, 0.5, (6, 24))
    nodes = {"input": nir.Input(np.array([10])), "fc1": nir.Affine(w1, b1)}
    edges = [("input", "fc1"), ("fc1", "hidden"), ("hidden", "fc2"), ("fc2", "out")]
    if kind.startswith("leaky"):
        beta = float(kind.split("-")[1])
        nodes["hidden"], nodes["out"] = _leaky(24, beta), _leaky(6, beta)
    elif kind == "synaptic":
        nodes["hidden"], nodes["out"] = _synaptic(24, 0.7, 0.9), _synaptic(6, 0.6, 0.85)
    elif kind == "rleaky":
        nodes["hidden"], nodes["out"] = _leaky(24, 0.9), _leaky(6, 0.85)
        nodes["rec"] = nir.Linear(rng.uniform(-0.3, 0.3, (24, 24)))
        edges += [("hidden", "rec"), ("rec", "hidden")]
    elif kind == "li-out":
        nodes["hidden"], nodes["out"] = (
            _synaptic(24, 0.5, 0.9),
            _synaptic(6, 0.5, 0.9, spiking=False),
        )
    nodes["fc2"] = nir.Linear(w2)
    nodes["output"] = nir.Output(np.array([6]))
    edges.append(("out", "output"))
    return nir.NIRGraph(nodes, edges, type_check=False)


def _compare(graph, names, x, reset="zero"):
    """Per layer: (spike agreement, rate correlation, membrane error before the first
    disagreeing spike, its bound) of the expected-value model against the reference."""
    net = import_nir(graph, dt=DT, reset=reset)
    plan = plan_of(net, CompressionConfig(bits=16))
    ours = expected(plan, x)
    ref = NIRReference(graph, dt=DT, reset=reset).run(x)
    rows = []
    for index, (name, layer) in enumerate(zip(names, plan.layers, strict=True)):
        lsb = layer.threshold_unit * 2.0**-layer.neuron.frac_bits
        v = ours.membranes[index] * lsb
        want_v = ref[name + ".v"]
        spiking = layer.neuron.spiking
        want_s = ref[name] > 0.5 if spiking else np.zeros_like(ours.spikes[index])
        differ = np.flatnonzero((ours.spikes[index] != want_s).any(axis=1))
        upto = differ[0] if differ.size else len(x)
        if index:  # a layer is only comparable while its inputs agree
            upto = min(upto, rows[-1]["upto"])
        error = np.abs(v[:upto] - want_v[:upto]).max() if upto else 0.0
        # rounding: the decays (half a unit each per step), the count and the drive
        # (half a unit each), accumulated over 1 / leak steps
        roundings = 2 + (layer.neuron.syn_current) + bool(layer.neuron.drives)
        leak = layer.neuron.leak.fraction if layer.neuron.leak else 1 / len(x)
        gain = 1 / layer.neuron.syn.fraction if layer.neuron.syn else 1
        # and the decays' own error (2**-9 of dt/tau at most) scales the membrane
        decay = sum(d.error for d in (layer.neuron.leak, layer.neuron.syn) if d is not None)
        bound = roundings * 0.5 * lsb * gain / leak + (2 * decay + 1e-4) * np.abs(want_v).max()
        rates, want_rates = ours.spikes[index].mean(axis=0), want_s.mean(axis=0)
        agree = float((ours.spikes[index] == want_s).mean())
        corr = (
            float(np.corrcoef(rates, want_rates)[0, 1]) if rates.std() and want_rates.std() else 1.0
        )
        rows.append({"agree": agree, "corr": corr, "error": error, "bound": bound, "upto": upto})
        x = want_s.astype(np.int8)
    return rows


@pytest.mark.parametrize(
    "kind", ["leaky-0.8", "leaky-0.95", "leaky-0.97", "synaptic", "rleaky", "li-out"]
)
def test_expected_value_model_follows_the_reference_simulator(kind):
    graph = _graph(kind, seed=len(kind))
    x = (np.random.default_rng(1).random((400, 10)) < 0.3).astype(np.int8)
    rows = _compare(graph, ["hidden", "out"], x)
    for row in rows:
        assert row["error"] <= row["bound"], row
        assert row["agree"] >= 0.97 and row["corr"] >= 0.9, row
    assert rows[0]["upto"] > 50  # the comparison saw spikes before any disagreement


@needs_paper
def test_lif_task_spikes_at_the_exact_solutions_steps(tmp_path):
    """The NIR paper's LIF task: Norse's graph, dt = 1e-4, the task's input column:
    spikes at steps 460, 510, 710 and 760, as the exact solution; then the same on
    the RTL (cocotb, Icarus) through ``sc-compress sim --data``."""
    task = np.loadtxt(PAPER / "lif_task" / "lif_exact.csv", delimiter=",")
    spikes = task[:, :1].astype(np.int8)
    net = read_nir(PAPER / "lif_norse.nir", dt=DT)
    plan = plan_of(net, CompressionConfig())
    trace = simulate(plan, spikes)
    assert np.flatnonzero(trace.spikes[0][:, 0]).tolist() == [460, 510, 710, 760]
    assert np.flatnonzero(task[:, 2]).tolist() == [460, 510, 710, 760]
    runner = CliRunner()
    res = runner.invoke(
        main,
        ["import", str(PAPER / "lif_norse.nir"), "--dt", "1e-4", "-o", str(tmp_path / "n.npz")],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["build", str(tmp_path / "n.npz"), "-o", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    np.savez(tmp_path / "task.npz", spikes=spikes)
    res = runner.invoke(main, ["sim", str(tmp_path / "b"), "--data", str(tmp_path / "task.npz")])
    assert res.exit_code == 0, res.output
    assert "1000 steps, every count, spike and latency equal the golden model" in res.output
    design = (tmp_path / "b" / "design.json").read_text()
    assert '"model": "LIF"' in design and '"frac_bits": 11' in design


@needs_paper
@pytest.mark.parametrize(
    ("name", "reset", "style"),
    [
        ("two_lif_neurons", None, "full"),
        ("two_lif_neurons", None, "event"),
        ("braille_noDelay_bias_zero", None, "full"),
        ("braille_noDelay_bias_zero", None, "event"),
        ("braille_noDelay_noBias_subtract", "subtract", "full"),
        ("braille_noDelay_noBias_subtract", "subtract", "event"),
        ("braille_noDelay_noBias_subtract", "subtract", "4"),
        ("braille_noDelay_bias_zero", None, "event amaranth"),
        ("braille_noDelay_noBias_subtract", "subtract", "full amaranth"),
    ],
)
def test_paper_graphs_build_and_prove_on_icarus(tmp_path, name, reset, style):
    runner = CliRunner()
    args = ["import", str(PAPER / f"{name}.nir"), "--dt", "1e-4", "-o", str(tmp_path / "n.npz")]
    res = runner.invoke(main, args + (["--reset", reset] if reset else []))
    assert res.exit_code == 0, res.output
    parallelism, _, emitter = style.partition(" ")
    build_args = ["build", str(tmp_path / "n.npz"), "-o", str(tmp_path / "b")]
    build_args += ["--parallelism", parallelism, "--emitter", emitter or "jinja"]
    res = runner.invoke(main, build_args)
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["sim", str(tmp_path / "b"), "--steps", "120"])
    assert res.exit_code == 0, res.output
    assert "every count, spike and latency equal the golden model" in res.output


@needs_paper
def test_bench_nir_prints_the_lif_task_and_the_firing_table():
    """``bench/bench_nir.py --lif --compare`` (the README's tables) runs and says what
    the tests prove."""
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "bench" / "bench_nir.py"
    proc = subprocess.run(
        [sys.executable, str(bench), "--lif", "--compare"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| sc-compress (golden model and RTL) | 460, 510, 710, 760 |" in proc.stdout
    assert "| braille_noDelay_bias_zero | 0 |" in proc.stdout
    assert "| snnTorch rleaky | 1 |" in proc.stdout


def test_flatten_and_a_recurrent_affine_with_bias():
    """Flatten between 1-D nodes passes through; a recurrent Affine's bias joins the
    layer's bias and its weights become the recurrent lines, and the imported layer
    follows the reference simulator."""
    rng = np.random.default_rng(3)
    w, wr, br = rng.uniform(-0.6, 0.6, (5, 4)), rng.uniform(-0.4, 0.4, (5, 5)), np.full(5, 0.05)
    nodes = {
        "input": nir.Input(np.array([4])),
        "flat": nir.Flatten({"input": np.array([4])}, 0),
        "fc": nir.Linear(w),
        "lif": _leaky(5, 0.9),
        "rec": nir.Affine(wr, br),
        "output": nir.Output(np.array([5])),
    }
    edges = [("input", "flat"), ("flat", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif")]
    edges.append(("lif", "output"))
    graph = nir.NIRGraph(nodes, edges, type_check=False)
    layer = import_nir(graph, dt=DT).layers[0]
    assert np.allclose(layer.weights, w) and np.allclose(layer.recurrent, wr)  # gain 1
    assert np.allclose(layer.bias, br)
    x = (np.random.default_rng(1).random((300, 4)) < 0.4).astype(np.int8)
    (row,) = _compare(graph, ["lif"], x)
    assert row["error"] <= row["bound"] and row["agree"] >= 0.97, row
