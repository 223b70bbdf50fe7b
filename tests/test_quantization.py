import numpy as np
import pytest

from compress import quantize_codes, quantize_delays, quantize_weights


def test_symmetric_hand_worked():
    w = np.array([[1.0, -0.5, 0.25, 0.0, 0.1]])
    q = quantize_weights([w], bits=3)[0]  # step 1/3
    assert np.allclose(q, [[1.0, -2 / 3, 1 / 3, 0.0, 0.0]])


def test_symmetric_round_half_to_even():
    w = np.array([[3.0, 0.5, 1.5, 2.5]])  # step 1.0 at bits=3
    assert quantize_weights([w], bits=3)[0].tolist() == [[3.0, 0.0, 2.0, 2.0]]


def test_asymmetric_hand_worked():
    w = np.array([[0.0, 1.0, 3.0]])
    q = quantize_weights([w], bits=2, symmetric=False)[0]  # 4 levels: 0, 1, 2, 3
    assert q.tolist() == [[0.0, 1.0, 3.0]]
    q = quantize_weights([np.array([[-1.0, 0.2, 1.0]])], bits=2, symmetric=False)[0]
    assert np.allclose(q, [[-1.0, 1 / 3, 1.0]])


def test_all_zero_layer():
    q = quantize_weights([np.zeros((2, 2))])[0]
    assert not q.any()
    c = quantize_codes([np.zeros((2, 2))])[0]
    assert not c.magnitudes.any() and not c.signs.any()


def test_codes_hand_worked_and_relation():
    w = np.array([[0.5, -1.0, 0.1, -0.26]])
    c = quantize_codes([w], bits=3)[0]
    assert c.magnitudes.tolist() == [[2, 3, 0, 1]]
    assert c.signs.tolist() == [[1, -1, 0, -1]]
    assert c.max_code == 3 and c.full_scale == 1.0 and c.scale == 1 / 3
    assert np.array_equal(c.values(), quantize_weights([w], bits=3)[0])
    assert np.array_equal(
        c.values(), np.clip(c.signs * c.magnitudes * c.scale, -c.full_scale, c.full_scale)
    )


def test_codes_are_read_only():
    c = quantize_codes([np.ones((1, 1))])[0]
    with pytest.raises(ValueError):
        c.magnitudes[0, 0] = 3


@pytest.mark.parametrize(
    ("bits", "message"),
    [
        (1, r"^bits must be in \[2, 16\], not 1$"),
        (17, r"^bits must be in \[2, 16\], not 17$"),
        (8.0, r"^bits must be an integer, not 8\.0$"),
        (True, r"^bits must be an integer, not True$"),
    ],
)
@pytest.mark.parametrize("func", [quantize_weights, quantize_codes])
def test_bits_errors(func, bits, message):
    with pytest.raises(ValueError, match=message):
        func([np.ones((1, 1))], bits)


def test_numpy_integer_bits_accepted():
    assert quantize_codes([np.ones((1, 1))], np.int64(4))[0].max_code == 7


def test_delays_hand_worked():
    d = np.array([0.4, 0.5, 1.5, 2.5, 3.0, 7.9])
    assert quantize_delays(d).tolist() == [0, 0, 2, 2, 3, 8]
    assert quantize_delays(d, resolution=2).tolist() == [0, 0, 2, 2, 4, 8]
    # max_delay 5 snaps down to the grid: 4
    assert quantize_delays(d, resolution=2, max_delay=5).tolist() == [0, 0, 2, 2, 4, 4]
    assert quantize_delays(d, max_delay=2).tolist() == [0, 0, 2, 2, 2, 2]
    assert quantize_delays(d).dtype == np.int64


def test_delays_2d_and_not_modified():
    d = np.array([[1.2, 0.0], [3.6, 2.0]])
    before = d.copy()
    assert quantize_delays(d).tolist() == [[1, 0], [4, 2]]
    assert np.array_equal(d, before)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.array([1.0, -0.2]),), r"^delays must be non-negative, not -0.2 at 1$"),
        (
            (np.array([[1.0], [-1.0]]),),
            r"^delays must be non-negative, not -1.0 at \(1, 0\)$",
        ),
        ((np.array([np.nan]),), r"^delays must be finite, not nan at 0$"),
        ((np.array([1.0]), 0), r"^resolution must be at least 1, not 0$"),
        ((np.array([1.0]), 1.5), r"^resolution must be an integer, not 1\.5$"),
        ((np.array([1.0]), 1, -1), r"^max_delay must be at least 0, not -1$"),
        ((np.array(["a"]),), r"^delays must be a real numeric array, not dtype <U1$"),
    ],
)
def test_delays_errors(args, message):
    with pytest.raises(ValueError, match=message):
        quantize_delays(*args)
