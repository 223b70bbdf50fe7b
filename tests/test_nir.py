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
    # F = ceil(log2 4) + 4 guard bits; theta = floor(0.3 / 1.0 * 2**6) + 1: v > 0.3 on the grid
    assert plan.neuron.frac_bits == 6 and plan.thresholds == (20, 20)
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
            lambda: [nir.Conv2d(np.array([4, 4]), np.ones((1, 1, 2, 2)), 1, 0, 1, 1, np.zeros(1))],
            r"not Conv2d \(it would need a convolution layer style",
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
