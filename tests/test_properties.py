"""Hypothesis properties of the compression passes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from compress import (
    prune_neurons,
    prune_stochastic,
    prune_weights,
    quantize_codes,
    quantize_delays,
    quantize_weights,
)

finite = st.floats(-4.0, 4.0, allow_nan=False, allow_subnormal=False)
bits = st.integers(2, 16)


@st.composite
def networks(draw):
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=4))
    return [
        draw(arrays(np.float64, (n_out, n_in), elements=finite))
        for n_in, n_out in zip(sizes, sizes[1:])
    ]


def _copy(ws):
    return [w.copy() for w in ws]


@settings(max_examples=60, deadline=None)
@given(networks(), st.floats(0, 5), st.floats(0, 100), st.integers(1, 512), st.floats(0, 50))
def test_inputs_never_modified(ws, t, pct, length, bits_min):
    before = _copy(ws)
    prune_weights(ws, t)
    prune_weights(ws, pct, "percentile")
    prune_stochastic(ws, length, bits_min)
    prune_neurons(ws, [np.ones(w.shape[0]) for w in ws])
    quantize_weights(ws, 5)
    quantize_weights(ws, 5, symmetric=False)
    quantize_codes(ws, 5)
    assert all(np.array_equal(a, b) for a, b in zip(ws, before))


@settings(max_examples=60, deadline=None)
@given(networks(), st.floats(0, 5), st.integers(1, 512), st.floats(0, 50))
def test_sparsity_in_unit_interval_and_accounting(ws, t, length, bits_min):
    for _, report in (prune_weights(ws, t), prune_stochastic(ws, length, bits_min)):
        assert 0.0 <= report.sparsity <= 1.0
        assert (
            report.already_zero + report.pruned_params + report.remaining_params
            == report.original_params
        )


@settings(max_examples=60, deadline=None)
@given(networks(), st.floats(0, 5), st.floats(0, 5))
def test_more_threshold_never_prunes_less(ws, a, b):
    low, high = sorted((a, b))
    p_low, r_low = prune_weights(ws, low)
    p_high, r_high = prune_weights(ws, high)
    assert r_high.pruned_params >= r_low.pruned_params
    for x, y in zip(p_low, p_high):
        assert not np.any((x == 0) & (y != 0))


@settings(max_examples=60, deadline=None)
@given(networks(), st.floats(0, 100), st.floats(0, 100))
def test_more_percentile_never_prunes_less(ws, a, b):
    low, high = sorted((a, b))
    assert (
        prune_weights(ws, high, "percentile")[1].pruned_params
        >= prune_weights(ws, low, "percentile")[1].pruned_params
    )


@settings(max_examples=60, deadline=None)
@given(networks(), st.integers(1, 512), st.floats(0, 50), st.floats(0, 50))
def test_more_popcount_bits_never_keeps_more(ws, length, a, b):
    low, high = sorted((a, b))
    r_low = prune_stochastic(ws, length, low)[1]
    r_high = prune_stochastic(ws, length, high)[1]
    assert r_high.constant_zero + r_high.constant_one >= r_low.constant_zero + r_low.constant_one


@settings(max_examples=80, deadline=None)
@given(networks(), bits)
def test_symmetric_values_on_grid_zeros_stay(ws, b):
    for w, q, c in zip(ws, quantize_weights(ws, b), quantize_codes(ws, b)):
        steps = q / c.scale
        assert np.allclose(steps, np.round(steps), rtol=0, atol=1e-6)
        assert np.all(np.abs(np.round(steps)) <= c.max_code)
        assert np.all(q[w == 0] == 0)
        assert np.all(np.abs(q) <= c.full_scale)


@settings(max_examples=80, deadline=None)
@given(networks(), bits)
def test_asymmetric_values_on_grid(ws, b):
    for w, q in zip(ws, quantize_weights(ws, b, symmetric=False)):
        step = max(w.max() - w.min(), 1e-8) / (2**b - 1)
        levels = (q - w.min()) / step
        assert np.allclose(levels, np.round(levels), atol=1e-6)
        assert levels.min() > -1e-6 and levels.max() < 2**b - 1 + 1e-6


@settings(max_examples=80, deadline=None)
@given(networks(), bits, st.booleans())
def test_quantization_idempotent(ws, b, symmetric):
    once = quantize_weights(ws, b, symmetric)
    twice = quantize_weights(once, b, symmetric)
    for x, y in zip(once, twice):
        scale = max(float(np.abs(x).max()), 1e-8)
        assert np.allclose(x, y, rtol=0, atol=scale * 1e-9)


@settings(max_examples=80, deadline=None)
@given(networks(), bits)
def test_codes_round_trip(ws, b):
    codes = quantize_codes(ws, b)
    again = quantize_codes([c.values() for c in codes], b)
    for c, d, q in zip(codes, again, quantize_weights(ws, b)):
        assert np.array_equal(c.values(), q)
        assert np.array_equal(c.magnitudes, d.magnitudes)
        assert np.array_equal(c.signs, d.signs)
        assert np.all((c.signs == 0) == (c.magnitudes == 0))


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 100)),
    st.integers(1, 8),
    st.one_of(st.none(), st.integers(0, 60)),
)
def test_delays_on_grid_and_bounded(d, resolution, max_delay):
    q = quantize_delays(d, resolution, max_delay)
    assert np.all(q % resolution == 0) and np.all(q >= 0)
    if max_delay is not None:
        assert np.all(q <= max_delay)
    assert np.array_equal(quantize_delays(q, resolution, max_delay), q)
