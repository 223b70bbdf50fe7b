"""Per-layer compression settings (hls4ml-style), from Python and the CLI."""

import dataclasses
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from compress import (
    CompressionConfig,
    HardwareOptions,
    compress_network,
    example_network,
)
from compress.build import build
from compress.cli import main
from compress.hardware.design import load_plan
from compress.model.network import save_network
from compress.model.passes import LayerCompression


def test_for_layer_merges_overrides():
    cfg = CompressionConfig(
        bits=8,
        prune_percentile=50,
        min_popcount_bits=1.0,
        layers={1: {"bits": 4, "prune_threshold": 0.0}, 0: LayerCompression(min_popcount_bits=3.0)},
    )
    assert [i for i, _ in cfg.layers] == [0, 1]
    assert cfg.for_layer(0) == LayerCompression(8, None, 50.0, 3.0)
    assert cfg.for_layer(1) == LayerCompression(4, 0.0, None, 1.0)
    assert cfg.for_layer(2) == LayerCompression(8, None, 50.0, 1.0)
    again = CompressionConfig(**json.loads(json.dumps(dataclasses.asdict(cfg))))
    assert again == cfg


def test_overrides_are_checked():
    with pytest.raises(ValueError, match=r"^bits must be in \[2, 16\], not 1$"):
        CompressionConfig(layers={0: {"bits": 1}})
    with pytest.raises(ValueError, match=r"^layer 0: overrides must be bits, prune_threshold, "):
        CompressionConfig(layers={0: {"bitz": 4}})
    with pytest.raises(ValueError, match=r"^layers must override layers 0\.\.1, not layer 3$"):
        compress_network(example_network(), CompressionConfig(layers={3: {"bits": 4}}))


def test_each_layer_gets_its_own_bits_and_pruning():
    cfg = CompressionConfig(
        bits=8, prune_percentile=60, layers={1: {"bits": 5, "prune_threshold": 0}}
    )
    result = compress_network(example_network(), cfg)
    assert [c.bits for c in result.codes] == [8, 5]
    plain = compress_network(example_network(), CompressionConfig(bits=5))
    assert np.array_equal(result.codes[1].magnitudes, plain.codes[1].magnitudes)  # not pruned
    layers = result.steps[0].report.layers
    assert layers[0].pruned > 0 and layers[1].pruned == 0


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
@pytest.mark.parametrize("parallelism", ["full", 2])
def test_mixed_bits_network_matches_golden_on_verilog(tmp_path, parallelism):
    from compress.verify.cocotb_run import run_sim

    cfg = CompressionConfig(
        bits=6, layers={0: {"bits": 4}, 1: {"bits": 9, "min_popcount_bits": 1.0}}
    )
    result = build(example_network(), tmp_path / "b", cfg, HardwareOptions(parallelism=parallelism))
    assert [la.bits for la in result.plan.layers] == [4, 9]
    tests, failures, _ = run_sim(tmp_path / "b", tmp_path / "w", steps=30)
    assert (tests, failures) == (1, 0)
    assert [la.bits for la in load_plan(tmp_path / "b").layers] == [4, 9]


def test_dense_baseline_keeps_per_layer_bits(tmp_path):
    from compress.flows import dense_baseline

    cfg = CompressionConfig(prune_percentile=50, layers={1: {"bits": 5}})
    build(example_network(), tmp_path / "o", cfg)
    base = load_plan(dense_baseline(tmp_path / "o"))
    assert [la.bits for la in base.layers] == [8, 5]


def test_cli_layer_options(tmp_path):
    save_network(example_network(), tmp_path / "n.npz")
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "build",
            str(tmp_path / "n.npz"),
            "-o",
            str(tmp_path / "o"),
            "--prune-percentile",
            "40",
            "--layer-bits",
            "1=5",
            "--layer-prune-threshold",
            "1=0",
            "--layer-min-popcount-bits",
            "0=1",
        ],
    )
    assert res.exit_code == 0, res.output
    design = json.loads((tmp_path / "o" / "design.json").read_text())
    assert [la["bits"] for la in design["layers"]] == [8, 5]
    assert design["build_options"]["compression"]["layers"] == [
        [
            0,
            {
                "bits": None,
                "prune_threshold": None,
                "prune_percentile": None,
                "min_popcount_bits": 1.0,
            },
        ],
        [
            1,
            {
                "bits": 5,
                "prune_threshold": 0.0,
                "prune_percentile": None,
                "min_popcount_bits": None,
            },
        ],
    ]
    for args, pattern in [
        (["--layer-bits", "1:5"], r"--layer-bits must be L=VALUE, not '1:5'"),
        (["--layer-bits", "1=five"], r"--layer-bits 1 must be an integer, not 'five'"),
        (["--layer-bits", "4=5"], r"--layer-\* options must name layers 0\.\.1, not layer 4"),
        (
            ["--layer-prune-percentile", "0=200"],
            r"prune_percentile must be in \[0, 100\], not 200\.0",
        ),
    ]:
        res = runner.invoke(
            main, ["build", str(tmp_path / "n.npz"), "-o", str(tmp_path / "x"), *args]
        )
        assert res.exit_code == 2, res.output
        import re

        assert re.search(pattern, res.stderr), res.stderr
        assert not (tmp_path / "x").exists()


def _silent_neuron_network():
    """Hidden neuron 1 only receives negative weights: it never fires."""
    w1 = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, 0.5]])
    w2 = np.array([[1.0, 1.0, -1.0], [0.5, -1.0, 1.0]])
    from compress import Layer, Network

    return Network((Layer(w1, threshold=1.0), Layer(w2, threshold=1.0)))


def test_prune_neurons_with_measured_firing_rates():
    from compress.analysis.evaluate import evaluate, plan_of

    net = _silent_neuron_network()
    x = np.random.default_rng(0).random((20, 2))
    rates = evaluate(plan_of(net, CompressionConfig()), x).rates
    assert rates[0][1] == 0 and rates[0][0] > 0 and rates[0][2] > 0
    result = compress_network(net, CompressionConfig(firing_rates=rates, activity_threshold=0.0))
    assert result.network.sizes == (2, 2, 2)  # hidden neuron 1 gone, the output kept
    assert result.steps[0].name == "prune_neurons" and result.steps[0].report.pruned_neurons == 1
    assert np.allclose(result.network.layers[1].weights, [[1.0, -1.0], [0.5, 1.0]], atol=0.01)


def test_cli_prune_inactive(tmp_path):
    save_network(_silent_neuron_network(), tmp_path / "n.npz")
    np.savez(tmp_path / "d.npz", x=np.random.default_rng(1).random((20, 2)))
    runner = CliRunner()
    args = ["compress", str(tmp_path / "n.npz"), "--json"]
    res = runner.invoke(
        main, [*args, "--prune-inactive", "0", "--rates-data", str(tmp_path / "d.npz")]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert [la["shape"] for la in report["layers"]] == [[2, 2], [2, 2]]
    res = runner.invoke(main, [*args, "--prune-inactive", "0"])
    assert (
        res.exit_code == 2
        and "--prune-inactive and --rates-data must be given together" in res.stderr
    )
