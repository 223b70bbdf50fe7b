"""Convolutional NIR graphs: Conv2d, SumPool2d, AvgPool2d and Flatten imported as
convolution layers that keep their kernels, checked against the independent reference."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from click.testing import CliRunner  # noqa: E402
from nir_reference import NIRReference  # noqa: E402

from compress import CompressionConfig, Network, load_network, save_network  # noqa: E402
from compress.analysis.evaluate import plan_of  # noqa: E402
from compress.cli import main  # noqa: E402
from compress.hardware.golden import expected  # noqa: E402
from compress.hardware.plan import plan_network  # noqa: E402
from compress.model.conv import pool_matrix  # noqa: E402
from compress.model.nir_import import import_nir, read_nir  # noqa: E402
from compress.model.passes import compress_network  # noqa: E402

PAPER = Path(__file__).resolve().parents[2] / "shared" / "nir-paper"
needs_paper = pytest.mark.skipif(not PAPER.is_dir(), reason=f"needs {PAPER}")


def _if(shape, threshold=1.0):
    return nir.IF(r=np.ones(shape), v_threshold=np.full(shape, threshold), v_reset=np.zeros(shape))


def _typed(node, shape):
    node.input_type = {"input": np.array(shape)}
    return node


def small_cnn(seed=0, average=False, groups=1):
    """Input 2x8x8 -> Conv2d 4 (3x3, padding 1) -> IF -> SumPool2d 2 -> Conv2d 3 ->
    IF -> SumPool2d (or AvgPool2d) 2 -> Flatten -> Affine 5 -> IF."""
    rng = np.random.default_rng(seed)
    pool2 = nir.AvgPool2d if average else nir.SumPool2d
    nodes = {
        "input": nir.Input(np.array([2, 8, 8])),
        "conv1": _typed(  # nir types a grouped Conv2d's input by weight.shape[1]
            nir.Conv2d(
                np.array([8, 8]),
                rng.uniform(-0.6, 0.9, (4, 2 // groups, 3, 3)),
                1,
                1,
                1,
                groups,
                rng.uniform(0, 0.1, 4),
            ),
            [2, 8, 8],
        ),
        "if1": _if((4, 8, 8)),
        "pool1": _typed(
            nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0])), [4, 8, 8]
        ),
        "conv2": nir.Conv2d(
            np.array([4, 4]), rng.uniform(-0.4, 0.6, (3, 4, 3, 3)), 1, 1, 1, 1, np.zeros(3)
        ),
        "if2": _if((3, 4, 4)),
        "pool2": _typed(pool2(np.array([2, 2]), np.array([2, 2]), np.array([0, 0])), [3, 4, 4]),
        "flat": nir.Flatten({"input": np.array([3, 2, 2])}, 0),
        "fc": nir.Affine(rng.uniform(-0.5, 0.8, (5, 12)), np.full(5, 0.02)),
        "if3": _if(5),
        "output": nir.Output(np.array([5])),
    }
    order = list(nodes)
    return nir.NIRGraph(nodes, list(zip(order, order[1:])), type_check=False)


def test_convolutions_keep_their_kernels_and_pooling_folds_in():
    graph = small_cnn()
    net = import_nir(graph)
    assert net.sizes == (128, 256, 48, 5)
    first, second, third = net.layers
    assert first.conv.out_shape == (4, 8, 8) and first.weights.shape == (4, 2, 3, 3)
    assert np.allclose(first.bias, graph.nodes["conv1"].bias)  # one per channel
    # SumPool2d 2 then Conv2d 3x3 padding 1: a 6x6 kernel of stride 2 and padding 2
    assert second.conv.kernel_size == (6, 6) and second.conv.stride == (2, 2)
    assert second.conv.padding == (2, 2) and second.conv.in_shape == (4, 8, 8)
    kernel = graph.nodes["conv2"].weight
    assert np.allclose(second.weights[:, :, ::2, ::2], kernel)
    assert np.allclose(second.weights[:, :, 1::2, 1::2], kernel)
    # SumPool2d then Flatten then Affine: one dense matrix
    fc = graph.nodes["fc"].weight
    assert third.conv is None
    assert np.allclose(third.weights, fc @ pool_matrix((3, 4, 4), (2, 2), (2, 2)))
    assert "conv 2x8x8 -> 4x8x8, kernel 3x3 stride 1" in first.summary()


@pytest.mark.parametrize(("average", "groups"), [(False, 1), (True, 2)])
def test_imported_convolutions_follow_the_reference_simulator(average, groups):
    """Layer by layer, fed the reference's spikes: the expected-value model of each imported
    layer (a convolution unrolled, 16 bits) spikes as the independent NIR simulator does."""
    graph = small_cnn(seed=groups, average=average, groups=groups)
    dense = import_nir(graph, frac_bits=8).dense()  # IF: F = 8 carries the mean count
    x = (np.random.default_rng(7).random((60, 128)) < 0.3).astype(np.int8)
    ref = NIRReference(graph).run(x)
    for layer, name in zip(dense.layers, ["if1", "if2", "if3"], strict=True):
        ours = expected(plan_of(Network((layer,)), CompressionConfig(bits=16)), x)
        want = ref[name] > 0.5
        assert want.mean() > 0.02, name  # the comparison saw spikes
        assert (ours.spikes[0] == want).mean() >= 0.99, name
        x = want.astype(np.int8)


def test_a_convolution_network_saves_loads_and_compresses_its_kernels(tmp_path):
    net = import_nir(small_cnn())
    save_network(net, tmp_path / "n.npz")
    back = load_network(tmp_path / "n.npz")
    assert back.layers[1].conv == net.layers[1].conv
    assert np.array_equal(back.layers[1].weights, net.layers[1].weights)
    result = compress_network(back, CompressionConfig(bits=6, prune_percentile=50))
    kernel = result.network.layers[0].weights
    assert kernel.shape == (4, 2, 3, 3) and 0.4 <= (kernel == 0).mean() <= 0.6
    assert result.codes[0].magnitudes.shape == (4, 18 + 1)  # taps and the bias column
    first = result.summary()[0]
    assert first["kernel"] == [4, 2, 3, 3] and first["synapses"] == 4 * 18 + 4
    kept = result.network.layers[0]
    unrolled = kept.conv.unroll(kept.weights)
    stands = first["stands_for"]
    per = 8 * 8  # the bias stands for one synapse per output position
    assert stands["synapses"] == int((kept.conv.taps() >= 0).sum()) + 4 * per
    biases = 0 if kept.bias is None else np.count_nonzero(kept.bias)
    assert stands["synapses"] - stands["dropped"] == np.count_nonzero(unrolled) + biases * per
    plan = plan_network(result)  # the kernel stays a kernel in hardware too
    assert plan.layers[0].style.name == "conv" and plan.layers[0].codes.shape == (4, 18 + 1)


def _chain(*named):
    names = [name for name, _ in named]
    return nir.NIRGraph(dict(named), list(zip(names, names[1:])), type_check=False)


@pytest.mark.parametrize(
    ("middle", "pattern"),
    [
        (
            [("fc", nir.Linear(2 * np.eye(16)))],
            r"^NIR node 'conv': a Conv2d must be fed by a neuron node, the Input or one "
            r"pooling, not through fc$",
        ),
        (
            [
                (
                    "pool",
                    _typed(
                        nir.SumPool2d(np.array([3, 3]), np.array([2, 2]), np.zeros(2)), [1, 4, 4]
                    ),
                )
            ],
            r"^NIR node 'conv': a pooling before a convolution must have stride == kernel_size",
        ),
    ],
)
def test_convolutions_after_other_synapses_are_refused(middle, pattern):
    conv = _typed(
        nir.Conv2d(np.array([4, 4]), np.ones((1, 1, 2, 2)), 1, 0, 1, 1, np.zeros(1)), [1, 4, 4]
    )
    graph = _chain(
        ("input", nir.Input(np.array([1, 4, 4]))),
        ("if0", _if((1, 4, 4))),
        *middle,
        ("conv", conv),
        ("if1", _if(9)),
        ("output", nir.Output(np.array([9]))),
    )
    with pytest.raises(ValueError, match=pattern):
        import_nir(graph)


@needs_paper
def test_the_papers_cnn_imports(tmp_path):
    """cnn_sinabs.nir: three convolutions (the second SumPool2d folded into the third's
    kernel), the last pooling folded into the first Affine; the CLI says so."""
    net = read_nir(PAPER / "cnn_sinabs.nir")
    assert net.sizes == (2312, 4096, 4096, 512, 256, 10)
    shapes = [la.weights.shape for la in net.layers]
    assert shapes == [(16, 2, 5, 5), (16, 16, 3, 3), (8, 16, 6, 6), (256, 512), (10, 256)]
    kernel_weights = sum(la.weights.size for la in net.layers[:3])
    synapses = sum(int((la.conv.taps() >= 0).sum()) for la in net.layers[:3])
    assert kernel_weights == 800 + 2304 + 4608 and synapses > 100 * kernel_weights
    res = CliRunner().invoke(
        main, ["import", str(PAPER / "cnn_sinabs.nir"), "-o", str(tmp_path / "c.npz")]
    )
    assert res.exit_code == 0, res.output
    assert "layer 2: IF, conv 16x16x16 -> 8x8x8, kernel 6x6 stride 2" in res.output
    res = CliRunner().invoke(
        main,
        ["build", str(tmp_path / "c.npz"), "-o", str(tmp_path / "b"), "--layer-parallelism", "0=2"],
    )
    assert res.exit_code == 1 and "layer 0: a convolution layer must have parallelism" in res.stderr
    assert not (tmp_path / "b").exists()
    res = CliRunner().invoke(
        main,
        ["import", str(PAPER / "cnn_sinabs.nir"), "--dense", "-o", str(tmp_path / "d.npz")],
    )
    assert res.exit_code == 1, res.output
    assert (
        "--dense must give at most 4,194,304 weights (unroll small networks only), not "
        "28,477,952" in res.stderr
    )
    assert not (tmp_path / "d.npz").exists()


@pytest.mark.parametrize(
    ("arrays", "pattern"),
    [
        (
            {"weights_0": np.ones((2, 1, 3, 3)), "conv_0": np.arange(5)},
            r"^layer 0: conv must be 13 integers, not int64 of shape \(5,\)$",
        ),
        (
            {
                "weights_0": np.ones((2, 1, 2, 2)),
                "conv_0": np.array([1, 4, 4, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1]),
            },
            r"^layer 0: weights must be the kernel \(2, 1, 3, 3\) of its convolution, "
            r"not shape \(2, 1, 2, 2\)$",
        ),
        (
            {
                "weights_0": np.ones((2, 1, 3, 3)),
                "conv_0": np.array([1, 4, 4, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1]),
                "bias_0": np.ones(8),
            },
            r"^layer 0: bias must have one value per output channel, shape \(2,\), not \(8,\)$",
        ),
    ],
)
def test_bad_convolution_files_are_named(arrays, pattern):
    from compress.model.network import network_from_arrays

    with pytest.raises(ValueError, match=pattern):
        network_from_arrays(arrays)


def test_a_small_cnn_unrolled_builds_and_is_proven_on_the_rtl(tmp_path):
    """``import --dense`` unrolls a small CNN into fully connected layers, which build and
    pass ``sim`` (cocotb against the golden model); ``evaluate`` takes images (N, C, H, W)."""
    import shutil

    if shutil.which("iverilog") is None:
        pytest.skip("needs iverilog")
    nir.write(tmp_path / "cnn.nir", small_cnn())
    runner = CliRunner()
    res = runner.invoke(
        main, ["import", str(tmp_path / "cnn.nir"), "--dense", "-o", str(tmp_path / "n.npz")]
    )
    assert res.exit_code == 0, res.output
    assert load_network(tmp_path / "n.npz").sizes == (128, 256, 48, 5)
    assert all(layer.conv is None for layer in load_network(tmp_path / "n.npz").layers)
    build_args = ["build", str(tmp_path / "n.npz"), "-o", str(tmp_path / "b"), "--bits", "6"]
    res = runner.invoke(main, [*build_args, "--parallelism", "event", "--neuron-lanes", "8"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["sim", str(tmp_path / "b"), "--steps", "24"])
    assert res.exit_code == 0, res.output
    assert "every count, spike and latency equal the golden model" in res.output
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.random((6, 2, 8, 8)), y=rng.integers(0, 5, 6))
    res = runner.invoke(main, ["evaluate", str(tmp_path / "b"), "--data", str(tmp_path / "d.npz")])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("6 samples, 255 steps each")


def test_structural_pruning_removes_whole_channels():
    """prune_neurons / firing rates on a network with convolutions remove whole output
    channels: the pruned network is the original's unrolled matrices with those
    neurons' rows and the next layer's columns taken out."""
    net = import_nir(small_cnn())
    rates = [np.full(256, 0.2), np.full(48, 0.2)]
    rates[0][64:128] = 0.0  # channel 1 of the first convolution never fires
    rates[1][16:32] = 0.0  # channel 1 of the second
    result = compress_network(net, CompressionConfig(bits=16, firing_rates=rates))
    pruned = result.network
    assert [la.weights.shape for la in pruned.layers] == [(3, 2, 3, 3), (2, 3, 6, 6), (5, 32)]
    assert pruned.sizes == (128, 192, 32, 5)
    report = result.steps[0].report.layers
    assert report[0].kept_neurons == tuple(range(64)) + tuple(range(128, 256))
    assert report[1].pruned_neurons == 16 and report[2].pruned_neurons == 0
    full = [la.dense() for la in net.layers]
    keep0 = np.r_[0:64, 128:256]
    keep1 = np.r_[0:16, 32:48]
    want = [
        full[0].weights[keep0],
        full[1].weights[keep1][:, keep0],
        full[2].weights[:, keep1],
    ]

    def rows(layer, weights, keep):
        pick = {
            name: getattr(layer, name)[keep]
            for name in ("bias", "threshold", "v_reset")
            if getattr(layer, name) is not None and np.ndim(getattr(layer, name))
        }
        return dataclasses.replace(layer, weights=weights, **pick)

    kept = [keep0, keep1, np.arange(5)]
    plain = compress_network(
        Network(tuple(rows(la, w, k) for la, w, k in zip(full, want, kept, strict=True))),
        CompressionConfig(bits=16),
    ).network
    for ours, theirs in zip(pruned.dense().layers, plain.layers, strict=True):
        np.testing.assert_allclose(ours.weights, theirs.weights)
    with pytest.raises(ValueError, match=r"^layer 0: channels must keep at least one above"):
        compress_network(net, CompressionConfig(prune_neurons=100.0))
