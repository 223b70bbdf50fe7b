import dataclasses

import numpy as np
import pytest

from compress import (
    CompressionConfig,
    Layer,
    Network,
    compress_network,
    example_network,
    load_network,
    save_network,
)
from compress.model.network import network_from_arrays


def test_layer_arrays_are_frozen_copies():
    w = np.ones((2, 3))
    layer = Layer(w)
    w[0, 0] = 5
    assert layer.weights[0, 0] == 1
    with pytest.raises(ValueError):
        layer.weights[0, 0] = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.reset = "subtract"


def test_network_shapes_chain():
    with pytest.raises(
        ValueError,
        match=r"^layer 1: weights must have n_in == 2 "
        r"\(n_out of layer 0\), not 3$",
    ):
        Network((Layer(np.ones((2, 3))), Layer(np.ones((1, 3)))))
    net = Network((Layer(np.ones((2, 3))), Layer(np.ones((1, 2)))))
    assert net.sizes == (3, 2, 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"delays": np.ones((1, 2))},
            r"^layer 0: delays must have the weights' shape "
            r"\(2, 2\), not \(1, 2\)$",
        ),
        (
            {"delays": -np.ones((2, 2))},
            r"^layer 0: delays must be non-negative, "
            r"not -1.0 at \(0, 0\)$",
        ),
        (
            {"threshold": np.ones(3)},
            r"^layer 0: threshold must be a scalar or have shape "
            r"\(2,\), not shape \(3,\)$",
        ),
        ({"threshold": 0.0}, r"^layer 0: threshold must be positive, not 0\.0$"),
        (
            {"threshold": np.nan},
            r"^layer 0: threshold must be finite, not nan "
            r"at \(\)$",
        ),
        ({"leak_shift": 0}, r"^layer 0: leak_shift must be in \[1, 31\], not 0$"),
        ({"reset": "hold"}, r"^layer 0: reset must be 'zero' or 'subtract', not 'hold'$"),
    ],
)
def test_layer_errors(fields, message):
    with pytest.raises(ValueError, match=message):
        Network((Layer(np.ones((2, 2)), **fields),))


def test_empty_network():
    with pytest.raises(ValueError, match=r"^layers must be a non-empty sequence, not empty$"):
        Network(())


def test_npz_round_trip_and_determinism(tmp_path):
    net = example_network()
    save_network(net, tmp_path / "a.npz")
    save_network(load_network(tmp_path / "a.npz"), tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    again = load_network(tmp_path / "a.npz")
    for x, y in zip(net.layers, again.layers):
        assert np.array_equal(x.weights, y.weights)
        assert np.array_equal(x.delays, y.delays)
        assert np.array_equal(x.threshold, y.threshold)
        assert (x.leak_shift, x.reset) == (y.leak_shift, y.reset)


def test_npz_minimal_and_errors(tmp_path):
    np.savez(
        tmp_path / "m.npz",
        weights_0=np.ones((3, 4)),
        weights_1=np.ones((2, 3)),
        threshold_1=np.array([1.0, 2.0]),
        leak_shift_0=np.array(3),
    )
    net = load_network(tmp_path / "m.npz")
    assert net.sizes == (4, 3, 2) and net.layers[0].leak_shift == 3
    assert net.layers[0].delays is None and net.layers[1].thresholds.tolist() == [1.0, 2.0]
    with pytest.raises(
        ValueError,
        match=r"^npz keys must be one of weights_<l>, delays_<l>, "
        r"threshold_<l>, leak_shift_<l>, reset_<l>, bias_<l>, leak_<l>, syn_leak_<l>, "
        r"drive_<l>, v_reset_<l>, spiking_<l>, strict_<l>, frac_bits_<l>, recurrent_<l>, conv_<l>, "
        r"not 'weight_0' \(did you mean weights_<l>\?\)$",
    ):
        network_from_arrays({"weight_0": np.ones((1, 1))})
    with pytest.raises(ValueError, match=r"^layer 1: weights_1 must be present, not missing$"):
        network_from_arrays(
            {
                "weights_0": np.ones((1, 1)),
                "delays_1": np.ones((1, 1)),
                "weights_2": np.ones((1, 1)),
            }
        )
    with pytest.raises(
        ValueError,
        match=r"^layer 0: leak_shift must be a scalar integer, "
        r"not float64 of shape \(\)$",
    ):
        network_from_arrays({"weights_0": np.ones((1, 1)), "leak_shift_0": np.array(2.0)})


def test_example_has_every_class():
    net = example_network()
    assert net.sizes == (16, 12, 4)
    result = compress_network(net)
    for row in result.summary():
        assert row["dropped"] and row["constant"] and row["stochastic"]
    assert all(layer.delays is not None and layer.delays.any() for layer in net.layers)
    assert any((layer.weights < 0).any() for layer in net.layers)


def test_compress_network_neurons_slices_delays_and_thresholds():
    w1 = np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 0.5]])
    w2 = np.array([[1.0, 2.0, 3.0]])
    d1 = np.array([[1.0, 0.0], [2.0, 2.0], [0.0, 3.0]])
    d2 = np.array([[1.0, 2.0, 3.0]])
    net = Network((Layer(w1, d1, np.array([1.0, 2.0, 3.0])), Layer(w2, d2)))
    result = compress_network(net, CompressionConfig(prune_neurons=0.1))
    first, second = result.network.layers
    assert first.delays.tolist() == [[1, 0], [0, 3]]
    assert first.thresholds.tolist() == [1.0, 3.0]
    assert second.delays.tolist() == [[1, 3]]
    assert result.steps[0].name == "prune_neurons"


def test_compress_network_pipeline_order_and_codes():
    net = example_network()
    cfg = CompressionConfig(bits=6, prune_threshold=0.1, min_popcount_bits=2.0, delay_resolution=2)
    result = compress_network(net, cfg)
    assert [s.name for s in result.steps] == [
        "prune_weights",
        "prune_stochastic",
        "quantize_delays",
        "quantize_weights",
    ]
    for layer, codes in zip(result.network.layers, result.codes):
        assert np.array_equal(layer.weights, codes.values())
        assert codes.bits == 6
        assert layer.delays is None or np.all(layer.delays % 2 == 0)
    assert np.array_equal(net.layers[0].weights, example_network().layers[0].weights)


def test_config_errors():
    with pytest.raises(
        ValueError,
        match=r"^prune_threshold and prune_percentile must not "
        r"both be set, not 0\.1 and 50$",
    ):
        CompressionConfig(prune_threshold=0.1, prune_percentile=50)
    with pytest.raises(ValueError, match=r"^bits must be in \[2, 16\], not 20$"):
        CompressionConfig(bits=20)


@pytest.mark.parametrize(
    ("key", "value", "pattern"),
    [
        ("leak_0", np.array(1.5), r"^layer 0: leak must be a number in \(0, 1\], not 1\.5$"),
        ("leak_0", np.array(0.0), r"^layer 0: leak must be a number in \(0, 1\], not 0\.0$"),
        (
            "syn_leak_0",
            np.array(-0.1),
            r"^layer 0: syn_leak must be a number in \[0, 1\], not -0\.1$",
        ),
        (
            "frac_bits_0",
            np.array(20),
            r"^layer 0: frac_bits must be in \[0, 16\], not 20$",
        ),
        (
            "frac_bits_0",
            np.array(2.5),
            r"^layer 0: frac_bits must be a scalar integer, not float64 of shape \(\)$",
        ),
        (
            "recurrent_0",
            np.ones((3, 2)),
            r"^layer 0: recurrent must have shape \(3, 3\), not \(3, 2\)$",
        ),
        ("drive_0", np.array([0.1, np.nan, 0.0]), r"^layer 0: drive must be finite, not nan at 1$"),
        (
            "v_reset_0",
            np.ones(2),
            r"^layer 0: v_reset must be a scalar or have shape \(3,\), not shape \(2,\)$",
        ),
        (
            "spiking_0",
            np.array(1),
            r"^layer 0: spiking must be a scalar bool, not int64 of shape \(\)$",
        ),
        (
            "leak_shift_0",
            np.array(2),
            r"^layer 0: leak and leak_shift must not both be set, not 0\.25 and 2$",
        ),
    ],
)
def test_npz_neuron_model_keys_are_checked(key, value, pattern):
    arrays = {"weights_0": np.ones((3, 4)), "leak_0": np.array(0.25), key: value}
    if key == "leak_0":
        arrays[key] = value
    with pytest.raises(ValueError, match=pattern):
        network_from_arrays(arrays)


def test_npz_neuron_model_keys_round_trip(tmp_path):
    layer = Layer(
        np.ones((3, 4)),
        threshold=1.5,
        leak=0.04,
        syn_leak=0.3,
        drive=np.array([0.1, 0.0, -0.2]),
        v_reset=-0.5,
        strict=True,
        frac_bits=9,
        recurrent=np.eye(3) * 0.5,
        bias=np.ones(3) * 0.1,
    )
    out = Layer(np.ones((2, 3)), leak=0.1, spiking=False)
    save_network(Network((layer, out)), tmp_path / "m.npz")
    back, back_out = load_network(tmp_path / "m.npz").layers
    assert back.leak == 0.04 and back.syn_leak == 0.3 and back.frac_bits == 9
    assert back.spiking and not back_out.spiking and back.strict and float(back.v_reset) == -0.5
    assert np.array_equal(back.drive, layer.drive) and np.array_equal(
        back.recurrent, layer.recurrent
    )
    assert back.synapses.shape == (3, 4 + 3 + 1)  # weights, recurrent lines, the bias line


def test_a_leaky_integrator_only_as_the_last_layer():
    li = Layer(np.ones((3, 4)), leak=0.1, spiking=False)
    Network((Layer(np.ones((4, 2))), li))  # the output: read by its membrane
    with pytest.raises(
        ValueError, match=r"^layer 0: spiking must be True for a layer that feeds another"
    ):
        Network((li, Layer(np.ones((2, 3)))))
    with pytest.raises(ValueError, match=r"^layer 0: recurrent must be None for a leaky"):
        Layer(np.ones((3, 4)), spiking=False, recurrent=np.eye(3)).check(0)
