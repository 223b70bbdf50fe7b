"""Test vectors of a build: input steps and the golden model's outputs, as ``$readmemh`` files.

Every build carries ``tb/stimulus.hex`` (one ``in_spikes`` word per step) and
``tb/expected.hex`` (one ``{out_spikes, out_counts}`` word per step, from
:func:`compress.hardware.golden.simulate`), which the exported testbench
(``tb/tb_<top>.v``) replays and checks on any simulator.
"""

from __future__ import annotations

import numpy as np

from .golden import readout, run
from .memory import hex_text
from .plan import NetworkPlan

__all__ = [
    "TB_RATE",
    "TB_SEED",
    "TB_STEPS",
    "class_words",
    "event_beats",
    "expected_words",
    "input_words",
    "random_steps",
    "random_stimulus",
    "vector_files",
]

#: Default steps, seed and input spike probability of a build's test vectors.
TB_STEPS = 64
TB_SEED = 0
TB_RATE = 0.3


def random_steps(
    n_in: int, steps: int, *, seed: int = TB_SEED, rate: float = TB_RATE
) -> np.ndarray:
    """``steps`` rows of ``n_in`` input spikes, each 1 with probability ``rate`` (seeded)."""
    return np.random.default_rng(seed).random((steps, n_in)) < rate


def random_stimulus(
    plan: NetworkPlan, steps: int, *, seed: int = TB_SEED, rate: float = TB_RATE
) -> np.ndarray:
    """``steps`` seeded input rows for ``plan``: spikes (probability ``rate``), or with an
    input encoder levels drawn uniformly from ``0..2**B - 1``."""
    if plan.encoder is None:
        return random_steps(plan.n_in, steps, seed=seed, rate=rate)
    rng = np.random.default_rng(seed)
    return rng.integers(0, plan.encoder.max_level + 1, (steps, plan.n_in))


def input_words(plan: NetworkPlan, stimulus: np.ndarray) -> list[int]:
    """Each step's input port value: ``in_spikes`` bits, or ``in_features`` levels
    (input ``j`` in bits ``j*B +: B``)."""
    width = plan.encoder.bits if plan.encoder else 1
    rows = np.asarray(stimulus, dtype=np.int64)
    return [sum(int(v) << (j * width) for j, v in enumerate(row) if v) for row in rows]


def event_beats(plan: NetworkPlan, stimulus: np.ndarray) -> list[int]:
    """The address-event beats of input spikes ``(steps, n_in)``: per step one
    ``{ev_end = 0, ev_addr}`` word per spike (ascending input index), then the
    ``{ev_end = 1, 0}`` word that closes the step."""
    end = 1 << plan.event_width
    beats = []
    for row in np.asarray(stimulus, dtype=bool):
        beats += [int(plan.event_address(int(j))) for j in np.flatnonzero(row)]
        beats.append(end)
    return beats


def expected_words(plan: NetworkPlan, spikes: np.ndarray) -> list[int]:
    """The golden model's ``{out_spikes, out_counts}`` of every step, as integers.

    ``out_counts`` packs neuron ``i`` in bits ``i*CW +: CW`` (two's complement);
    ``out_spikes`` sits above it.
    """
    trace = run(plan, spikes)
    cw, n_out = plan.count_width, plan.n_out
    mask = (1 << cw) - 1
    words = []
    for counts, fired in zip(trace.counts[-1].tolist(), trace.spikes[-1].tolist()):
        word = 0
        for i, (count, spike) in enumerate(zip(counts, fired)):
            word |= (int(count) & mask) << (i * cw) | int(spike) << (n_out * cw + i)
        words.append(word)
    return words


def class_words(plan: NetworkPlan, spikes: np.ndarray) -> list[int]:
    """The golden model's ``{out_sums, out_class}`` of every readout window."""
    trace = run(plan, spikes)
    classes, sums = readout(plan, trace.counts[-1], trace.membranes[-1])
    sw, cb = plan.sum_width, plan.class_width
    mask = (1 << sw) - 1
    words = []
    for winner, row in zip(classes.tolist(), sums.tolist()):
        packed = sum((int(v) & mask) << (i * sw) for i, v in enumerate(row))
        words.append(packed << cb | int(winner))
    return words


def vector_files(plan: NetworkPlan, stimulus: np.ndarray) -> dict[str, str]:
    """``tb/stimulus.hex`` and ``tb/expected.hex`` of ``stimulus`` (``(steps, n_in)``:
    spikes, or levels with an input encoder), and with a class readout
    ``tb/classes.hex`` (one ``{out_sums, out_class}`` word per window)."""
    out_width = plan.n_out * (plan.count_width + 1)
    spikes = plan.input_spikes(stimulus)
    words = event_beats(plan, stimulus) if plan.events else input_words(plan, stimulus)
    files = {
        "tb/stimulus.hex": hex_text(plan.input_width, words),
        "tb/expected.hex": hex_text(out_width, expected_words(plan, spikes)),
    }
    if plan.window:
        width = plan.n_out * plan.sum_width + plan.class_width
        files["tb/classes.hex"] = hex_text(width, class_words(plan, spikes))
    return files
