import dataclasses

import numpy as np
import pytest

from compress import CompressionConfig, Layer, Network, compress_network, example_network
from compress.hardware.golden import simulate
from compress.hardware.lfsr import TAPS, lfsr_sequence, permutations, stream_table
from compress.hardware.plan import STOCHASTIC, HardwareOptions, plan_network


@pytest.mark.parametrize("k", sorted(TAPS))
def test_lfsr_is_maximal_length(k):
    seq = lfsr_sequence(k, 1)
    assert sorted(seq.tolist()) == list(range(1, 2**k))


@pytest.mark.parametrize("k", [2, 3, 7])
def test_every_stream_visits_every_value_once(k):
    for perm in permutations(k):
        assert sorted(stream_table(k, 1, perm).tolist()) == list(range(1, 2**k))


def _random_net(sizes, seed=0, **fields):
    rng = np.random.default_rng(seed)
    return Network(
        tuple(Layer(rng.uniform(-1, 1, (o, i)), **fields) for i, o in zip(sizes, sizes[1:]))
    )


def test_no_neuron_has_two_equal_weight_streams_and_layers_share_none():
    w1, w2 = np.full((4, 41), 0.5), np.full((3, 4), 0.25)
    w1[:, 40] = w2[:, 3] = 1.0  # the full scale; every other synapse shares one code
    net = Network((Layer(w1), Layer(w2)))
    plan = plan_network(compress_network(net, CompressionConfig(bits=5)))
    seen = set()
    for layer in plan.layers:
        tables = layer.stream_tables()
        keys = {t.tobytes() for t in tables}
        assert len(keys) == len(tables) and not keys & seen
        seen |= keys
        for i in range(layer.n_out):
            cols = np.flatnonzero(layer.classes[i] == STOCHASTIC)
            pairs = {(tables[layer.streams[i, j]].tobytes(), layer.codes[i, j]) for j in cols}
            assert len(pairs) == cols.size
    assert len(plan.layers[0].stream_defs) == 40  # every synapse has the same code


def test_too_few_streams_is_a_clear_error():
    w = np.full((1, 10), 0.5)
    w[0, 9] = 1.0
    net = Network((Layer(w),))
    with pytest.raises(
        ValueError,
        match=r"^layer 0: random streams must number at least 9 "
        r"\(one per repeated code of a neuron\), not the \d+ left for 2-bit "
        r"LFSRs; use more weight bits$",
    ):
        plan = compress_network(net, CompressionConfig(bits=3))
        plan_network(plan, hardware=HardwareOptions(decorrelate=0))  # plain 2-bit LFSRs


def test_classes_and_threshold_units():
    w = np.array([[1.0, -1.0, 0.5, 0.0, -0.2]])
    plan = plan_network(
        compress_network(Network((Layer(w, threshold=2.6),)), CompressionConfig(bits=4))
    )
    layer = plan.layers[0]
    assert layer.codes.tolist() == [[7, 7, 4, 0, 1]]  # 0.5*7 = 3.5 -> 4 (half to even)
    assert layer.class_counts() == {"dropped": 1, "constant": 2, "stochastic": 2}
    assert layer.thresholds == (3,) and layer.threshold_unit == 1.0
    assert layer.count_width == 3  # range [-2, 2]


def test_golden_period_exactness():
    net = _random_net((12, 6, 3))
    plan = plan_network(compress_network(net, CompressionConfig(bits=5)))
    layer = plan.layers[0]
    x = np.random.default_rng(3).random(12) < 0.6
    trace = simulate(plan, np.repeat(x[None], 2 * layer.max_code + 4, axis=0))
    want = (layer.signs * layer.codes * x[None, :]).sum(axis=1)
    for start in (0, 4, 9):
        got = trace.counts[0][start : start + layer.max_code].sum(axis=0)
        assert got.tolist() == want.tolist()


def test_golden_hand_worked_lif_constants_delay_leak():
    # 2 inputs, 1 neuron: +1 constant from input 0 (delay 1), -1 constant from input 1.
    w = np.array([[1.0, -1.0]])
    layer = Layer(w, delays=np.array([[1.0, 0.0]]), threshold=2.0, leak_shift=1, reset="subtract")
    plan = plan_network(compress_network(Network((layer,)), CompressionConfig(bits=3)))
    x = np.array([[1, 0], [1, 0], [1, 0], [1, 1], [0, 0], [0, 0]])
    trace = simulate(plan, x)
    assert trace.counts[0][:, 0].tolist() == [0, 1, 1, 0, 1, 0]
    # F = 1 + 6 (the leak 2**-1 and 6 guard bits): v in 1/128 counts, halved each step
    # (rnd(v, 1) = (v + 1) >> 1): 0; 128; 128 - 64 + 128 = 192 (1.5 < 2: no spike); 96;
    # 96 - 48 + 128 = 176; 88
    assert plan.layers[0].neuron.frac_bits == 7 and plan.layers[0].thresholds == (256,)
    assert trace.membranes[0][:, 0].tolist() == [0, 128, 192, 96, 176, 88]
    assert not trace.spikes[0].any()
    # F = 0 is the integer neuron: the leak of 1 rounds to a whole unit, (1 + 1) >> 1 = 1
    integer = dataclasses.replace(layer, frac_bits=0)
    plan = plan_network(compress_network(Network((integer,)), CompressionConfig(bits=3)))
    trace = simulate(plan, x)
    assert plan.layers[0].thresholds == (2,)
    assert trace.membranes[0][:, 0].tolist() == [0, 1, 1, 0, 1, 0]
    # with threshold 1 every count of 1 fires and subtracts back to 0
    integer = dataclasses.replace(layer, frac_bits=0, threshold=1.0)
    plan = plan_network(compress_network(Network((integer,)), CompressionConfig(bits=3)))
    trace = simulate(plan, x)
    assert trace.membranes[0][:, 0].tolist() == [0] * 6
    assert trace.spikes[0][:, 0].tolist() == [False, True, True, False, True, False]


def test_golden_saturates():
    """Counts of -30 per step drive the membrane to the bottom of its range, where it
    stays; a wrapping membrane would jump to the top and fire."""
    layer = Layer(-np.ones((1, 30)), threshold=1.0)
    plan = plan_network(compress_network(Network((layer,)), CompressionConfig(bits=2)))
    lp = plan.layers[0]
    low = -(1 << (lp.v_width - 1))
    x = np.ones((400, 30), dtype=int)
    trace = simulate(plan, x)
    v = trace.membranes[0][:, 0]
    steps_to_bottom = -low // 30 + 1
    assert steps_to_bottom < 40  # it does saturate within the run
    assert v[: steps_to_bottom - 1].tolist() == [-30 * (t + 1) for t in range(steps_to_bottom - 1)]
    assert (v[steps_to_bottom - 1 :] == low).all() and not trace.spikes[0].any()


def test_spikes_input_errors():
    plan = plan_network(compress_network(example_network()))
    with pytest.raises(
        ValueError,
        match=r"^spikes must have shape \(steps, 16\) or \(batch, steps, 16\), not \(3, 4\)$",
    ):
        simulate(plan, np.zeros((3, 4)))
