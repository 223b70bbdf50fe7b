import numpy as np
import pytest

from compress import PruningReport, prune_neurons, prune_stochastic, prune_weights


def test_magnitude_hand_worked():
    w = np.array([[0.005, -0.5, 0.01], [0.0, -0.011, 0.02]])
    pruned, report = prune_weights([w], threshold=0.01)
    assert pruned[0].tolist() == [[0.0, -0.5, 0.0], [0.0, -0.011, 0.02]]
    assert report == PruningReport(
        original_params=6,
        pruned_params=2,
        remaining_params=3,
        sparsity=0.5,
        already_zero=1,
        layers=report.layers,
    )
    assert report.layers[0].pruned == 2 and report.layers[0].already_zero == 1


def test_default_threshold_is_seed():
    pruned, _ = prune_weights([np.array([[0.01, 0.0101]])])
    assert pruned[0].tolist() == [[0.0, 0.0101]]


def test_percentile_over_nonzero_magnitudes():
    w = np.array([[0.0, 0.0, 1.0, -2.0], [3.0, 4.0, 0.0, -5.0]])
    # nonzero magnitudes 1..5; 50th percentile = 3.0; |w| <= 3 zeroed
    pruned, report = prune_weights([w], threshold=50, method="percentile")
    assert pruned[0].tolist() == [[0.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, -5.0]]
    assert report.pruned_params == 3 and report.already_zero == 3
    assert report.remaining_params == 2 and report.sparsity == 6 / 8


def test_percentile_per_layer():
    a = np.array([[1.0, 2.0]])
    b = np.array([[10.0], [20.0]])
    pruned, _ = prune_weights(
        [b.T.reshape(1, 2) * 0 + a, np.array([[10.0], [20.0]])], 0, "percentile"
    )
    assert pruned[0].tolist() == [[0.0, 2.0]]
    assert pruned[1].tolist() == [[0.0], [20.0]]


def test_all_zero_layer_percentile():
    pruned, report = prune_weights([np.zeros((2, 2))], 50, "percentile")
    assert not pruned[0].any() and report.pruned_params == 0 and report.sparsity == 1.0


def test_inputs_not_modified_and_new_arrays():
    w = np.array([[0.001, 0.5]])
    before = w.copy()
    pruned, _ = prune_weights([w], 0.01)
    assert np.array_equal(w, before) and pruned[0] is not w


def test_prune_weights_keeps_float32():
    pruned, _ = prune_weights([np.ones((2, 2), np.float32)])
    assert pruned[0].dtype == np.float32


def test_integer_weights_accepted():
    pruned, _ = prune_weights([np.array([[0, 1, 2]])], threshold=1)
    assert pruned[0].tolist() == [[0.0, 0.0, 2.0]]


def test_multi_layer_totals():
    w1 = np.array([[0.001, 0.5], [0.3, 0.0], [1.0, 0.002]])
    w2 = np.array([[0.5, 0.004, 0.7]])
    _, report = prune_weights([w1, w2], 0.01)
    assert [layer.pruned for layer in report.layers] == [2, 1]
    assert report.original_params == 9 and report.pruned_params == 3
    assert report.remaining_params == 5 and report.already_zero == 1


# ---- prune_neurons ---------------------------------------------------------


def test_neurons_by_norm_removes_row_and_next_column():
    w1 = np.array([[1.0, 1.0], [0.0, 0.0005], [2.0, 0.0]])
    w2 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, report = prune_neurons([w1, w2])
    assert out[0].tolist() == [[1.0, 1.0], [2.0, 0.0]]
    assert out[1].tolist() == [[1.0, 3.0], [4.0, 6.0]]
    assert report.pruned_neurons == 1 and report.original_neurons == 5
    assert report.original_params == 12 and report.pruned_params == 4
    assert report.remaining_params == 7
    assert report.sparsity == 4 / 12
    assert report.layers[0].kept_neurons == (0, 2) and report.layers[1].kept_neurons == (0, 1)


def test_output_layer_kept_unless_asked():
    w1 = np.array([[1.0, 1.0], [2.0, 2.0]])
    w2 = np.array([[1.0, 1.0], [0.0, 0.0]])
    out, _ = prune_neurons([w1, w2])
    assert out[1].shape == (2, 2)
    out, report = prune_neurons([w1, w2], prune_output=True)
    assert out[1].tolist() == [[1.0, 1.0]] and report.pruned_neurons == 1


def test_neurons_by_firing_rate_and_separate_norm_threshold():
    w1 = np.array([[1.0], [1.0], [1.0]])
    w2 = np.array([[1.0, 1.0, 1.0], [0.1, 0.1, 0.1]])
    w3 = np.array([[1.0, 1.0]])
    rates = [np.array([0.5, 0.0005, 0.2])]  # layer 1 falls back to norms
    out, report = prune_neurons([w1, w2, w3], rates, activity_threshold=0.001, norm_threshold=0.15)
    assert out[0].shape == (2, 1)
    # row 1 of w2 loses column 1: norm sqrt(0.02) ~ 0.141 <= 0.15, pruned
    assert out[1].tolist() == [[1.0, 1.0]]
    assert out[2].tolist() == [[1.0]]
    assert [f.pruned_neurons for f in report.layers] == [1, 1, 0]


def test_neurons_norm_is_after_column_removal():
    w1 = np.array([[1.0], [0.0]])
    w2 = np.array([[0.0, 5.0], [1.0, 0.0]])
    w3 = np.ones((1, 2))
    out, _ = prune_neurons([w1, w2, w3])
    assert out[1].tolist() == [[1.0]]  # neuron 0 of layer 1 only had the pruned input


def test_neurons_all_pruned_is_an_error():
    with pytest.raises(
        ValueError,
        match=r"^layer 0: neurons must keep at least one above "
        r"the threshold, not all 2 below it$",
    ):
        prune_neurons([np.zeros((2, 2)), np.ones((1, 2))])


def test_neurons_rates_errors():
    w = [np.ones((2, 2)), np.ones((1, 2))]
    with pytest.raises(
        ValueError,
        match=r"^layer 0: firing_rates must have shape \(2,\), "
        r"not \(3,\)$",
    ):
        prune_neurons(w, [np.ones(3)])
    with pytest.raises(
        ValueError,
        match=r"^firing_rates must have at most 2 entries "
        r"\(one per layer\), not 3$",
    ):
        prune_neurons(w, [np.ones(2)] * 3)
    with pytest.raises(
        ValueError,
        match=r"^layer 0: firing_rates must be finite, "
        r"not nan at 1$",
    ):
        prune_neurons(w, [np.array([1.0, np.nan])])
    with pytest.raises(
        ValueError,
        match=r"^firing_rates must be a list of 1-D arrays, "
        r"not ndarray$",
    ):
        prune_neurons(w, np.ones(2))


# ---- prune_stochastic -------------------------------------------------------


def test_stochastic_near_one_becomes_signed_full_scale():
    w = np.array([[0.001, -0.999, 0.5, 0.998, 0.0, 1.7]])
    out, report = prune_stochastic([w], bitstream_length=256, min_popcount_bits=1.0)
    # importance: 0.256, 0.256, 128, 0.512, 0, 0 (clipped)
    assert out[0].tolist() == [[0.0, -1.0, 0.5, 1.0, 0.0, 1.0]]
    assert report.constant_zero == 1 and report.pruned_params == 1
    assert report.constant_one == 3 and report.already_zero == 1
    assert report.remaining_params == 4


def test_stochastic_scale():
    w = np.array([[0.02, -3.99, 2.0]])
    out, report = prune_stochastic([w], 256, 4.0, scale=4.0)
    # p = 0.005 (1.28 bits), 0.9975 (0.64 bits), 0.5
    assert out[0].tolist() == [[0.0, -4.0, 2.0]]
    assert report.constant_one == 1


def test_stochastic_exact_half_boundary():
    # importance exactly L/2 at p = 0.5 with tiny L: p >= 0.5 goes to one
    out, _ = prune_stochastic([np.array([[0.5, -0.5, 0.49]])], 1, 1.0)
    assert out[0].tolist() == [[1.0, -1.0, 0.0]]


def test_stochastic_per_layer_scales():
    out, _ = prune_stochastic(
        [np.array([[1.999]]), np.array([[0.999]])], 256, 1.0, scale=[2.0, 1.0]
    )
    assert out[0].tolist() == [[2.0]] and out[1].tolist() == [[1.0]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bitstream_length": 0}, r"^bitstream_length must be at least 1, not 0$"),
        ({"bitstream_length": 2.5}, r"^bitstream_length must be an integer, not 2\.5$"),
        ({"min_popcount_bits": -1}, r"^min_popcount_bits must be at least 0, not -1\.0$"),
        ({"scale": 0.0}, r"^scale must be greater than 0, not 0\.0$"),
        ({"scale": [1.0, 2.0]}, r"^scale must have one entry per layer \(1\), not 2$"),
    ],
)
def test_stochastic_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        prune_stochastic([np.ones((1, 1))], **kwargs)


# ---- shared validation -----------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([], r"^weights must be a non-empty list of 2-D arrays, not an empty list$"),
        (np.ones((2, 2)), r"^weights must be a list of 2-D arrays, not ndarray$"),
        (
            [np.ones(3)],
            r"^layer 0: weights must be a 2-D array \(n_out, n_in\), "
            r"not 1-D with shape \(3,\)$",
        ),
        (
            [np.ones((0, 3))],
            r"^layer 0: weights must have at least one row and column, "
            r"not shape \(0, 3\)$",
        ),
        (
            [np.ones((2, 3)), np.ones((2, 3))],
            r"^layer 1: weights must have n_in == 2 "
            r"\(n_out of layer 0\), not 3$",
        ),
        (
            [np.ones((2, 2)), np.array([[1.0, np.inf]])],
            r"^layer 1: weights must be finite, not inf at \(0, 1\)$",
        ),
        (
            [np.array([[np.nan]])],
            r"^layer 0: weights must be finite, "
            r"not nan at \(0, 0\)$",
        ),
        (
            [np.ones((1, 1), complex)],
            r"^layer 0: weights must be a real numeric array, "
            r"not dtype complex128$",
        ),
    ],
)
@pytest.mark.parametrize("func", [prune_weights, prune_stochastic, prune_neurons])
def test_weight_errors(func, weights, message):
    with pytest.raises(ValueError, match=message):
        func(weights)


def test_huge_finite_weights_are_fine():
    w = np.full((2, 2), 1e308)
    pruned, _ = prune_weights([w])
    assert np.array_equal(pruned[0], w)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.01, "l1"), r"^method must be 'magnitude' or 'percentile', not 'l1'$"),
        ((-0.1,), r"^threshold must be at least 0, not -0\.1$"),
        ((101, "percentile"), r"^threshold \(percentile\) must be in \[0, 100\], not 101\.0$"),
        ((float("nan"),), r"^threshold must be finite, not nan$"),
        (("0.1",), r"^threshold must be a real number, not '0\.1'$"),
    ],
)
def test_prune_weights_errors(args, message):
    with pytest.raises(ValueError, match=message):
        prune_weights([np.ones((1, 1))], *args)


def test_report_to_dict_is_json_ready():
    import json

    _, report = prune_neurons([np.ones((2, 2)), np.ones((1, 2))])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["layers"][0]["kept_neurons"] == [0, 1]
