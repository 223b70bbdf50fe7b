"""Decorrelated random values: 2k-bit LFSRs compared with codes x (2**k + 1)."""

import json
import shutil

import numpy as np
import pytest

from compress import CompressionConfig, HardwareOptions, Layer, Network, compress_network
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.golden import simulate
from compress.hardware.plan import plan_network


def _net():
    rng = np.random.default_rng(3)
    w = rng.uniform(-1, 1, (5, 9))
    w[0, :3] = [1.0, -1.0, 0.0]  # constants and a dropped synapse
    return Network((Layer(w, threshold=100.0),))


def test_decorrelated_plan():
    result = compress_network(_net(), CompressionConfig(bits=4))
    layer = plan_network(result, hardware=HardwareOptions(decorrelate=True)).layers[0]
    assert (layer.k, layer.lfsr_width, layer.period, layer.code_scale) == (3, 6, 63, 9)
    assert layer.stream_tables().shape[1] == 63
    wide = compress_network(_net(), CompressionConfig(bits=9))
    assert not plan_network(wide, hardware=HardwareOptions(decorrelate=True)).layers[0].decorrelated


def test_golden_is_exact_over_the_long_period():
    result = compress_network(_net(), CompressionConfig(bits=4))
    layer = plan_network(result, hardware=HardwareOptions(decorrelate=True)).layers[0]
    x = np.random.default_rng(1).random(9) < 0.7
    counts = simulate(
        plan_network(result, hardware=HardwareOptions(decorrelate=True)), np.repeat(x[None], 140, 0)
    ).counts[0]
    want = (layer.signs * layer.codes * x[None, :]).sum(axis=1) * 9  # m (2**k + 1) per period
    for start in (0, 5, 63):
        assert counts[start : start + 63].sum(axis=0).tolist() == want.tolist()
    # the rate is the plain layer's: over 63 = 9 * 7 steps the plain layer counts the same
    plain = simulate(plan_network(result), np.repeat(x[None], 63, 0)).counts[0]
    assert plain.sum(axis=0).tolist() == want.tolist()


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
@pytest.mark.parametrize(
    ("hardware", "emitter"),
    [
        (HardwareOptions(decorrelate=True), "jinja"),
        (HardwareOptions(decorrelate=True, pipeline="speed"), "jinja"),
        (HardwareOptions(decorrelate=True, parallelism=2), "jinja"),
        (HardwareOptions(decorrelate=True, parallelism=3, fold_order="aligned"), "jinja"),
        (HardwareOptions(decorrelate=True), "amaranth"),
    ],
    ids=["full", "speed", "folded", "aligned", "amaranth"],
)
def test_decorrelated_verilog_is_exact_over_the_long_period(tmp_path, hardware, emitter):
    from compress.verify.cocotb_run import run_sim

    build(_net(), tmp_path / "b", CompressionConfig(bits=4), hardware, emitter=emitter)
    plan = load_plan(tmp_path / "b")
    layer = plan.layers[0]
    assert layer.decorrelated and layer.period == 63
    design = json.loads((tmp_path / "b" / "design.json").read_text())
    assert (
        design["layers"][0]["lfsr"]["width"] == 6
        and "m * 9 ones" in design["layers"][0]["exactness"]
    )
    tests, failures, counts = run_sim(
        tmp_path / "b", tmp_path / "w", steps=130, seed=4, rate=0.6, gaps=0.2, constant=True
    )
    assert (tests, failures) == (1, 0)
    x = np.random.default_rng(4).random((1, 9))[0] < 0.6  # the row the test held
    want = (layer.signs * layer.codes * x[None, :]).sum(axis=1) * 9
    for start in (0, 7, 63):
        assert counts[start : start + 63].sum(axis=0).tolist() == want.tolist()
