"""Biases: one always-on input line per layer, compressed and classed like any synapse."""

import shutil

import numpy as np
import pytest

from compress import CompressionConfig, HardwareOptions, Layer, Network, load_network, save_network
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.golden import simulate
from compress.model.network import network_from_arrays


def _net() -> Network:
    w = np.array([[0.5, -0.25, 0.0], [0.0, 1.0, -0.5]])
    bias = np.array([0.375, -1.0])  # stochastic (code 3 of 7 at 4 bits) and constant -1
    return Network((Layer(w, threshold=100.0, bias=bias),))


def test_bias_round_trips_and_is_checked(tmp_path):
    save_network(_net(), tmp_path / "n.npz")
    assert load_network(tmp_path / "n.npz").layers[0].bias.tolist() == [0.375, -1.0]
    with pytest.raises(ValueError, match=r"^layer 0: bias must have shape \(2,\), not \(3,\)$"):
        network_from_arrays({"weights_0": np.ones((2, 3)), "bias_0": np.ones(3)})
    with pytest.raises(ValueError, match=r"^layer 0: bias must be finite, not nan at 1$"):
        network_from_arrays({"weights_0": np.ones((2, 3)), "bias_0": np.array([1.0, np.nan])})


def test_bias_is_a_synapse_of_the_layer(tmp_path):
    result = build(_net(), tmp_path / "b", CompressionConfig(bits=4))
    layer = result.plan.layers[0]
    assert (layer.n_in, layer.n_inputs, layer.bias) == (4, 3, True)
    assert layer.codes[:, 3].tolist() == [3, 7] and layer.signs[:, 3].tolist() == [1, -1]
    assert layer.class_counts() == {"dropped": 2, "constant": 2, "stochastic": 4}
    report = (tmp_path / "b" / "report.md").read_text()
    assert "| 0 | 3x2 (+bias) | 4 | 2 | 2 | 4 |" in report
    assert load_plan(tmp_path / "b").layers[0].bias


def test_golden_bias_counts_over_a_period():
    """No input spikes: over any M steps the counts are the bias codes exactly."""
    from compress import compress_network
    from compress.hardware.plan import plan_network

    plain = HardwareOptions(decorrelate=0)  # period 7 (decorrelated: 63, tests/test_decorrelate.py)
    plan = plan_network(compress_network(_net(), CompressionConfig(bits=4)), hardware=plain)
    counts = simulate(plan, np.zeros((21, 3), dtype=int)).counts[0]
    for start in (0, 5, 14):
        assert counts[start : start + 7].sum(axis=0).tolist() == [3, -7]


def test_bias_shares_the_full_scale():
    """A bias above every weight sets the layer's full scale (it stays exact)."""
    from compress import compress_network

    net = Network((Layer(np.array([[0.5, -0.5]]), bias=np.array([2.0])),))
    codes = compress_network(net, CompressionConfig(bits=4)).codes[0]
    assert codes.full_scale == 2.0 and codes.magnitudes.tolist() == [[2, 2, 7]]


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
@pytest.mark.parametrize(
    ("hardware", "emitter"),
    [
        (HardwareOptions(decorrelate=0), "jinja"),
        (HardwareOptions(pipeline="speed", decorrelate=0), "jinja"),
        (HardwareOptions(parallelism=1, decorrelate=0), "jinja"),
        (HardwareOptions(parallelism=2, fold_order="aligned", decorrelate=0), "jinja"),
        (HardwareOptions(decorrelate=0), "amaranth"),
    ],
    ids=["full", "speed", "folded-1", "aligned-2", "amaranth"],
)
def test_bias_on_verilog_is_exact_over_a_period(tmp_path, hardware, emitter):
    from compress.verify.cocotb_run import run_sim

    build(_net(), tmp_path / "b", CompressionConfig(bits=4), hardware, emitter=emitter)
    x = np.zeros((16, 3), dtype=bool)
    x[9:, 1] = True  # then line 1 joins
    tests, failures, counts = run_sim(tmp_path / "b", tmp_path / "w", inputs=x, gaps=0.2)
    assert (tests, failures) == (1, 0)
    assert counts[:7].sum(axis=0).tolist() == [3, -7]
