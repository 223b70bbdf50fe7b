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


def test_lif_maps_tau_to_a_leak_shift_and_folds_gain_into_weights():
    w = np.array([[2.0, -1.0], [0.5, 4.0]])
    graph = nir.NIRGraph.from_list(nir.Linear(w), _lif(2, tau=8.0, threshold=0.3))
    layer = import_nir(graph, dt=2.0, reset="subtract").layers[0]  # dt/tau = 1/4: shift 2
    assert layer.leak_shift == 2 and layer.reset == "subtract"
    assert np.allclose(layer.weights, w * 0.25)  # r dt / tau
    full = 1.0  # largest |weight| after the gain: NIR's v > 0.3 becomes v >= 1 count unit
    assert np.allclose(layer.thresholds, [full, full])


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
        (lambda: [nir.Linear(np.ones((2, 2))), _lif(2, v_leak=0.1)], r"v_leak must be 0"),
        (
            lambda: [nir.Linear(np.ones((2, 2))), _lif(2, v_reset=0.5)],
            r"v_reset must be 0, not 0\.5",
        ),
        (
            lambda: [nir.Linear(np.ones((2, 2))), _lif(2, tau=3.0)],
            r"tau must give dt/tau = 2\*\*-s for one integer s in 1\.\.31 "
            r"\(within 2%\), not tau=3\.0",
        ),
        (
            lambda: [
                nir.Linear(np.ones((2, 2))),
                nir.CubaLIF(
                    tau_syn=np.ones(2) * 4,
                    tau_mem=np.ones(2) * 4,
                    r=np.ones(2),
                    v_leak=np.zeros(2),
                    v_threshold=np.ones(2),
                ),
            ],
            r"must be Linear, Affine, Delay, LIF or IF, not CubaLIF",
        ),
        (lambda: [nir.Linear(np.ones((2, 2))), nir.Threshold(np.ones(2))], r"not Threshold"),
        (
            lambda: [nir.Linear(np.ones((2, 2)))],
            r"synapses must feed a LIF or IF node, not the output",
        ),
        (lambda: [_lif(2)], r"LIF must follow a Linear or Affine node, not start a layer"),
    ],
)
def test_unsupported_graphs_are_refused_with_the_node(nodes, pattern):
    with pytest.raises(ValueError, match=r"^NIR node '[a-z_]+'[: ].*" + pattern):
        import_nir(nir.NIRGraph.from_list(*nodes()))


def test_branches_are_refused():
    nodes = {
        "input": nir.Input(np.array([2])),
        "a": nir.Linear(np.ones((2, 2))),
        "b": nir.Linear(np.ones((2, 2))),
        "lif": _lif(2),
        "output": nir.Output(np.array([2])),
    }
    edges = [("input", "a"), ("input", "b"), ("a", "lif"), ("b", "lif"), ("lif", "output")]
    graph = nir.NIRGraph(nodes, edges, type_check=False)
    with pytest.raises(
        ValueError, match=r"^NIR node 'input' must be on a single chain, not a branch"
    ):
        import_nir(graph)


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
    assert net.layers[0].reset == "subtract" and net.layers[0].leak_shift == 1
    res = runner.invoke(main, ["build", str(tmp_path / "m.nir"), "-o", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    (tmp_path / "bad.nir").write_text("not hdf5")
    res = runner.invoke(main, ["import", str(tmp_path / "bad.nir"), "-o", str(tmp_path / "x.npz")])
    assert res.exit_code == 1 and "NIR file must be readable by nir.read" in res.stderr
    assert not (tmp_path / "x.npz").exists()
