"""The rate encoder, the batched golden model and `sc-compress evaluate`."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from compress import CompressionConfig, Layer, Network, example_network, save_network
from compress.analysis.evaluate import evaluate, plan_of
from compress.build import build
from compress.cli import main
from compress.hardware.encoder import RateEncoder
from compress.hardware.golden import simulate
from compress.hardware.plan import HardwareOptions


@pytest.mark.parametrize("bits", [3, 5, 8])
def test_encoder_is_exact_over_a_period(bits):
    encoder = RateEncoder(12, bits, seed=3)
    m = encoder.period
    x = np.random.default_rng(bits).random((5, 12))
    x[0, :2] = [0.0, 1.0]
    spikes = encoder.encode(x, 2 * m + 4)
    q = encoder.levels(x)
    for start in (0, 4, m):
        assert (spikes[:, start : start + m].sum(axis=1) == q).all()
    assert not spikes[0, :, 0].any() and spikes[0, :, 1].all()
    assert len({t.tobytes() for t in encoder.tables}) == 12  # no two inputs share a stream


def test_encoder_streams_are_fixed_by_bits_seed_and_width():
    assert RateEncoder(4, 8, 1).streams == RateEncoder(4, 8, 1).streams
    assert RateEncoder(4, 8, 1).streams != RateEncoder(4, 8, 2).streams
    assert RateEncoder(10, 8).streams[:4] == RateEncoder(4, 8).streams
    with pytest.raises(
        ValueError,
        match=r"^input bits must give at least 30 distinct streams, not the 6 of 2-bit LFSRs",
    ):
        RateEncoder(30, 2)
    with pytest.raises(ValueError, match=r"^features must be in \[0, 1\], not 1\.5$"):
        RateEncoder(2).levels(np.array([[0.5, 1.5]]))
    with pytest.raises(
        ValueError, match=r"^features must have 2 columns \(one per input\), not shape \(1, 3\)$"
    ):
        RateEncoder(2).levels(np.ones((1, 3)))


def test_batched_golden_equals_one_sample_at_a_time():
    plan = plan_of(example_network(), CompressionConfig(bits=6, prune_percentile=20))
    x = np.random.default_rng(2).random((7, 30, 16)) < 0.4
    batch = simulate(plan, x)
    for b in range(7):
        one = simulate(plan, x[b])
        for layer in range(2):
            assert np.array_equal(batch.counts[layer][b], one.counts[layer])
            assert np.array_equal(batch.spikes[layer][b], one.spikes[layer])
            assert np.array_equal(batch.membranes[layer][b], one.membranes[layer])


def _identity(threshold: float = 1.0) -> Network:
    """Output j counts input j's spikes: the class is the feature with the highest level;
    with threshold 1 it spikes with input j, with a high threshold never."""
    return Network((Layer(np.eye(4), threshold=threshold),))


def test_evaluate_reads_out_the_argmax_of_the_summed_counts():
    plan = plan_of(_identity(), CompressionConfig(bits=8))
    x = np.random.default_rng(4).random((50, 4))
    encoder = RateEncoder(4)
    levels = encoder.levels(x)
    result = evaluate(plan, x, np.argmax(levels, axis=1), encoder=encoder)
    assert result.steps == 255 and np.array_equal(result.scores, levels)  # exact over a period
    assert result.accuracy == 1.0
    assert np.allclose(result.rates[0], levels.mean(axis=0) / 255)  # spikes follow the inputs
    silent = plan_of(_identity(1000.0), CompressionConfig(bits=8))
    spikes = evaluate(silent, x, readout="spikes", steps=10)
    assert spikes.accuracy is None and spikes.scores.max() == 0  # threshold 1000: no spikes
    assert (spikes.predictions == 0).all()  # ties: the lowest index


def test_evaluate_refuses_bad_data():
    plan = plan_of(_identity(), CompressionConfig())
    with pytest.raises(
        ValueError, match=r"^labels must be in 0\.\.3 \(the output neurons\), not 4$"
    ):
        evaluate(plan, np.zeros((2, 4)), np.array([0, 4]))
    with pytest.raises(
        ValueError,
        match=r"^readout must be one of counts, spikes, membrane, membrane-sum, not 'votes'$",
    ):
        evaluate(plan, np.zeros((2, 4)), readout="votes")


def test_cli_evaluate_build_and_model(tmp_path):
    net = _identity()
    save_network(net, tmp_path / "net.npz")
    x = np.random.default_rng(5).random((40, 4))
    y = np.argmax(RateEncoder(4).levels(x), axis=1)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    runner = CliRunner()
    res = runner.invoke(
        main, ["evaluate", str(tmp_path / "net.npz"), "--data", str(tmp_path / "data.npz")]
    )
    assert res.exit_code == 0, res.output
    assert "accuracy (compressed hardware): 100.00%" in res.output
    build(net, tmp_path / "b", CompressionConfig(bits=6))
    res = runner.invoke(
        main,
        [
            "evaluate",
            str(tmp_path / "b"),
            "--data",
            str(tmp_path / "data.npz"),
            "--json",
            "--steps",
            "63",
        ],
    )
    assert res.exit_code == 0, res.output
    figures = json.loads(res.output)
    assert (
        figures["steps"] == 63 and figures["samples"] == 40 and figures["uncompressed"]["bits"] == 6
    )
    assert 0.0 <= figures["accuracy"] <= 1.0 and len(figures["firing_rates"]) == 1
    np.savez(tmp_path / "bad.npz", x=x * 2)
    res = runner.invoke(
        main, ["evaluate", str(tmp_path / "net.npz"), "--data", str(tmp_path / "bad.npz")]
    )
    assert res.exit_code == 1 and "features must be in [0, 1], not" in res.stderr


def test_evaluate_reports_the_event_layers_clocks(tmp_path):
    """Clocks per inference: the plan's per-step rule on the sample's own spikes; a sample
    that spikes more costs more clocks; fully parallel: one clock per step."""
    net = Network((Layer(np.eye(4), threshold=1.0),))
    config = CompressionConfig(bits=8)
    full = plan_of(net, config)
    event = plan_of(net, config, HardwareOptions(parallelism="event", neuron_lanes=2))
    x = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.5, 0.0, 0.0, 0.0]])
    steps = 20
    assert evaluate(full, x, steps=steps).clocks.tolist() == [steps] * 3
    result = evaluate(event, x, steps=steps)
    layer = event.layers[0]
    spikes = RateEncoder(4).encode(x, steps)
    want = (1 + layer.style.clocks(layer, spikes)).sum(axis=1)
    assert result.clocks.tolist() == want.tolist()
    idle = np.zeros((steps, 4), dtype=bool)
    assert result.clocks[0] == (1 + layer.style.clocks(layer, idle)).sum()  # no spikes: the floor
    assert result.clocks[1] == steps * event.latency  # every input spikes: the worst case
    assert result.clocks[0] < result.clocks[2] < result.clocks[1]
    assert result.clocks_per_inference == pytest.approx(result.clocks.mean())


def test_event_data_is_fed_as_it_is(tmp_path):
    """``spikes`` (samples, steps, C, H, W) go into the golden model unchanged: the classes
    are the argmax of its summed counts; the CLI reads them from the data file."""
    import numpy as np
    from click.testing import CliRunner

    from compress import CompressionConfig, example_network, example_path
    from compress.analysis.evaluate import evaluate, load_data, plan_of
    from compress.cli import main
    from compress.hardware.golden import simulate

    plan = plan_of(example_network(), CompressionConfig())
    rng = np.random.default_rng(3)
    spikes = (rng.random((5, 40, 1, 4, 4)) < 0.3).astype(np.uint8)  # 16 inputs as 1x4x4
    labels = rng.integers(0, plan.n_out, 5)
    np.savez(tmp_path / "ev.npz", spikes=spikes, y=labels)
    x, y = load_data(tmp_path / "ev.npz")
    assert x.shape == (5, 40, 16) and np.array_equal(y, labels)
    result = evaluate(plan, x, y)
    want = simulate(plan, x.astype(bool)).counts[-1].sum(axis=1).argmax(axis=1)
    assert result.steps == 40 and np.array_equal(result.predictions, want)
    res = CliRunner().invoke(
        main, ["evaluate", str(example_path()), "--data", str(tmp_path / "ev.npz")]
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith("5 samples, 40 steps each, readout counts, event data")
    with pytest.raises(ValueError, match=r"^spikes must be 0 or 1, not other values$"):
        evaluate(plan, x * 2)
    np.savez(tmp_path / "both.npz", spikes=spikes, x=np.zeros((5, 16)))
    with pytest.raises(ValueError, match=r"^data file must hold x .* or spikes, not both"):
        load_data(tmp_path / "both.npz")


def test_a_reference_that_cannot_be_planned_never_blocks_the_evaluation(tmp_path):
    """Nothing pruned, ~85 equal codes per neuron need more streams than 3-bit LFSRs have
    (42): the reference falls back to LFSRs twice as wide; the pruned build itself is
    evaluated."""
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.05, 1, (6, 600)) * rng.choice([-1, 1], (6, 600))
    net = Network((Layer(weights, threshold=2.0),))
    config = CompressionConfig(bits=4, prune_percentile=92)
    hardware = HardwareOptions(decorrelate=0)
    from compress.analysis.evaluate import compare, reference_of, subject_of, summary

    with pytest.raises(ValueError, match="random streams must number at least"):
        plan_of(net, config.uncompressed(), hardware)
    plan, note = reference_of(net, config, hardware)
    assert plan is not None and plan.layers[0].decorrelated
    assert note.startswith("uncompressed reference on decorrelated LFSRs (layer 0: random")
    build(net, tmp_path / "b", config, hardware)
    subject = subject_of(tmp_path / "b", config)
    x = rng.random((20, 600))
    _, figures = compare(subject, x, rng.integers(0, 6, 20), steps=32, encoder=RateEncoder(600))
    assert figures["uncompressed_accuracy"] is not None
    assert note in summary(figures)
