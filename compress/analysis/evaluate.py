"""Accuracy of the hardware on the user's data, from the bit-exact golden model.

A sample's features go through the :class:`~compress.hardware.encoder.RateEncoder`, the
golden model runs ``steps`` steps from reset, and the class is the argmax
(lowest index on ties) of the last layer's counts summed over the steps
(``readout="counts"``), of its spike counts (``readout="spikes"``), of its
membranes after the last step (``"membrane"``, for an LI or CubaLI output) or of its
membranes summed (``"membrane-sum"``): the hardware readouts ``argmax``,
``membrane`` and ``membrane-sum`` give the same classes.  The golden model is the
RTL's, bit for bit, so this accuracy is the FPGA's.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..hardware.design import load_plan, read_design
from ..hardware.encoder import INPUT_STREAMS, RateEncoder
from ..hardware.golden import simulate
from ..hardware.plan import HardwareOptions, NetworkPlan, plan_network
from ..model.fields import option
from ..model.network import Network, load_network, read_npz
from ..model.passes import CompressionConfig, compress_network
from ..model.validate import check_int

__all__ = [
    "READOUTS",
    "Evaluation",
    "EvaluationSettings",
    "Subject",
    "compare",
    "evaluate",
    "load_data",
    "plan_of",
    "subject_of",
    "summary",
]

#: How the class is read out of the last layer.
READOUTS = ("counts", "spikes", "membrane", "membrane-sum")


@dataclass(frozen=True)
class EvaluationSettings:
    """How samples are encoded and classified (``evaluate``, ``sweep`` and ``optimize``).

    Attributes
    ----------
    steps : int or None
        Steps per sample; ``None``: the encoder's period, ``2**input_bits - 1``.
    seed, input_bits : int
        The rate encoder's stream seed and level width (:class:`RateEncoder`).
    readout : str
        One of :data:`READOUTS` (:func:`evaluate`).
    """

    steps: int | None = option(
        None, "Steps per sample [default: the encoder's period, 2**input-bits - 1].", int, low=1
    )
    seed: int = option(0, "Rate encoder seed (which LFSR streams the inputs use).", low=0)
    input_bits: int = option(
        8, "Rate encoder width: features become levels 0..2**B-1.", low=2, high=15
    )
    input_stream: str = option(
        "lfsr",
        "Rate encoder random values: lfsr, or vdc (low discrepancy; build --input-stream).",
        choices=INPUT_STREAMS,
    )
    readout: str = option(
        "counts",
        "Class = argmax of the last layer's summed counts or spikes, its membranes at the last "
        "step, or its summed membranes.",
        choices=READOUTS,
    )

    def encoder(self, n_in: int) -> RateEncoder:
        """The rate encoder of ``n_in`` inputs these settings describe."""
        return RateEncoder(n_in, self.input_bits, self.seed, self.input_stream)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What :func:`evaluate` measured.

    Attributes
    ----------
    predictions : ndarray of int64, shape (samples,)
    scores : ndarray of int64, shape (samples, n_out)
        Per class: the summed counts or the spike counts over the steps.
    accuracy : float or None
        Fraction of ``predictions == labels``; None without labels.
    rates : list of ndarray, shape (n_out,) per layer
        Mean spikes per step of every neuron over all samples and steps.
    steps : int
    readout : str
    clocks : ndarray of int64, shape (samples,)
        Clocks the hardware takes for each sample's ``steps`` steps at full rate
        (:meth:`~compress.hardware.plan.NetworkPlan.step_clocks` summed: an event
        layer's clocks follow the sample's spikes; 1 per step when fully parallel).
    """

    predictions: np.ndarray
    scores: np.ndarray
    accuracy: float | None
    rates: list[np.ndarray]
    steps: int
    readout: str
    clocks: np.ndarray

    @property
    def clocks_per_step(self) -> float:
        """Mean clocks per step over all samples."""
        return float(self.clocks.mean()) / self.steps

    @property
    def clocks_per_inference(self) -> float:
        """Mean clocks per sample (``steps`` steps)."""
        return float(self.clocks.mean())

    def layer_rates(self) -> list[float]:
        """Each layer's mean firing rate (spikes per neuron per step)."""
        return [float(r.mean()) for r in self.rates]


def evaluate(
    plan: NetworkPlan,
    features: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    steps: int | None = None,
    encoder: RateEncoder | None = None,
    readout: str = "counts",
    batch: int = 256,
) -> Evaluation:
    """Classify ``features`` with the hardware's golden model.

    Parameters
    ----------
    plan : NetworkPlan
    features : ndarray, shape (samples, n_in), or (samples, steps, n_in)
        Values in [0, 1], rate-encoded by ``encoder``; or event data: the input
        spikes of every step (0 or 1, as an event camera gives them), fed as they are
        (``steps`` and ``encoder`` are then not used).
    labels : ndarray of int, shape (samples,), optional
    steps : int, optional
        Steps per sample (default: the encoder's period, 255 at 8 bits).
    encoder : RateEncoder, optional
        Default: ``RateEncoder(n_in)`` (8 bits, seed 0).
    readout : {"counts", "spikes", "membrane", "membrane-sum"}
    batch : int
        Samples simulated together (memory: ``batch * steps * n_in`` bytes and more).

    Returns
    -------
    Evaluation
    """
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {', '.join(READOUTS)}, not {readout!r}")
    batch = check_int(batch, "batch", low=1)
    x = np.asarray(features)
    events = x.ndim == 3
    if events:
        _check_events(x, plan)
        steps = x.shape[1]
    else:
        encoder = encoder or RateEncoder(plan.n_in)
        if encoder.n_in != plan.n_in:
            raise ValueError(f"encoder must have {plan.n_in} inputs, not {encoder.n_in}")
        steps = check_int(steps if steps is not None else encoder.period, "steps", low=1)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(
                f"features must be a non-empty 2-D array (samples, inputs), not {x.shape}"
            )
        encoder.levels(x)  # checks range and width before any work
    y = None if labels is None else _labels(labels, x.shape[0], plan.n_out)
    scores = np.zeros((x.shape[0], plan.n_out), dtype=np.int64)
    spikes = [np.zeros(layer.n_out, dtype=np.int64) for layer in plan.layers]
    clocks = np.zeros(x.shape[0], dtype=np.int64)
    for start in range(0, x.shape[0], batch):
        chunk = x[start : start + batch]
        inputs = chunk.astype(bool) if events else encoder.encode(chunk, steps)
        trace = simulate(plan, inputs)
        if readout == "membrane":  # the membranes after the last step (LI outputs)
            scores[start : start + len(chunk)] = trace.membranes[-1][:, -1]
        else:
            last = {
                "counts": trace.counts,
                "spikes": trace.spikes,
                "membrane-sum": trace.membranes,
            }[readout][-1]
            scores[start : start + len(chunk)] = last.sum(axis=1)
        if plan.locked:  # one step in flight: each step's latency
            clocks[start : start + len(chunk)] = plan.step_clocks(
                [inputs, *trace.spikes[:-1]], trace.spikes
            ).sum(axis=-1)
        else:
            clocks[start : start + len(chunk)] = steps
        for total, s in zip(spikes, trace.spikes, strict=True):
            total += s.sum(axis=(0, 1))
    predictions = np.argmax(scores, axis=1)  # lowest index on ties
    accuracy = None if y is None else float(np.mean(predictions == y))
    rates = [total / (x.shape[0] * steps) for total in spikes]
    return Evaluation(predictions, scores, accuracy, rates, steps, readout, clocks)


def _check_events(x: np.ndarray, plan: NetworkPlan) -> None:
    """Event data: ``(samples, steps, n_in)`` of 0 and 1, for a plan that takes spikes."""
    if x.shape[0] == 0 or x.shape[1] == 0 or x.shape[2] != plan.n_in:
        raise ValueError(
            f"spikes must have shape (samples, steps, {plan.n_in}) with samples and steps, "
            f"not {x.shape}"
        )
    if x.dtype.kind not in "biuf" or not np.isin(x, (0, 1)).all():
        raise ValueError("spikes must be 0 or 1, not other values")
    if plan.encoder is not None:
        raise ValueError(
            "spikes must go to a design that takes spikes, not one with an input encoder "
            "(it takes feature levels)"
        )


def _labels(labels: np.ndarray, samples: int, classes: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.shape != (samples,) or y.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be {samples} integers (one per sample), not {y.dtype} of shape {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= classes):
        bad = int(y.min()) if y.min() < 0 else int(y.max())
        raise ValueError(f"labels must be in 0..{classes - 1} (the output neurons), not {bad}")
    return y.astype(np.int64)


def load_data(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """``(x, y)`` of a data file: ``x`` (samples x inputs, in [0, 1]), optional ``y`` (labels);
    or event data ``spikes`` ``(samples, steps, ...)``, returned as ``(samples, steps, inputs)``.

    Images ``x`` of shape ``(samples, C, H, W)`` (or any shape past the samples) are
    flattened channel-major, the order in which a convolution layer numbers its inputs.

    Raises
    ------
    ValueError
        For a file that is not an ``.npz``, other keys, or a missing ``x``.
    """
    arrays = read_npz(Path(path))
    unknown = sorted(set(arrays) - {"x", "y", "spikes"})
    if unknown:
        raise ValueError(f"data keys must be x (or spikes) and y, not {unknown[0]!r}")
    if ("x" in arrays) == ("spikes" in arrays):
        raise ValueError("data file must hold x (samples x inputs) or spikes, not both or none")
    if "spikes" in arrays:  # event data: (samples, steps, C, H, W) or (samples, steps, inputs)
        spikes = arrays["spikes"]
        if spikes.ndim < 3 or spikes.dtype.kind not in "biuf":
            raise ValueError(
                f"spikes must be numeric (samples, steps, inputs...), not {spikes.dtype} of "
                f"shape {spikes.shape}"
            )
        return spikes.reshape(spikes.shape[0], spikes.shape[1], -1), arrays.get("y")
    x = arrays["x"]
    if x.dtype.kind not in "fiub":
        raise ValueError(f"x must be a real numeric array, not dtype {x.dtype}")
    if x.ndim > 2:  # images: (samples, C, H, W), channel-major as every layer numbers them
        x = x.reshape(x.shape[0], -1)
    return x.astype(np.float64), arrays.get("y")


def plan_of(
    network: Network, config: CompressionConfig, hardware: HardwareOptions | None = None
) -> NetworkPlan:
    """The hardware plan of ``network`` compressed with ``config`` (fully parallel by default;
    only the options that change counts, such as ``decorrelate``, matter to evaluation)."""
    return plan_network(compress_network(network, config), "sc_network", hardware)


@dataclass(frozen=True, eq=False)
class Subject:
    """What an evaluation compares: a plan and the plan of its source left uncompressed
    (``None`` when even the fallbacks of :func:`reference_of` cannot plan it; ``note``
    then says why, or which fallback was used)."""

    plan: NetworkPlan
    reference: NetworkPlan | None
    config: CompressionConfig
    note: str = ""


def reference_of(
    source: Network, config: CompressionConfig, hardware: HardwareOptions
) -> tuple[NetworkPlan | None, str]:
    """The uncompressed reference's plan, and a note: nothing pruned keeps many equal
    codes in a neuron, which may need more random streams than short LFSRs have; the
    reference then takes LFSRs twice as wide (the same rates), and when that fails too
    there is none.  The reference never makes its subject unevaluable."""
    uncompressed = config.uncompressed()
    try:
        return plan_of(source, uncompressed, hardware), ""
    except ValueError as first:
        wider = dataclasses.replace(hardware, decorrelate=16)
        try:
            plan = plan_of(source, uncompressed, wider)
        except ValueError:
            return None, f"no uncompressed reference: {first}"
        return plan, f"uncompressed reference on decorrelated LFSRs ({first})"


def subject_of(
    model: str | os.PathLike[str] | Network,
    config: CompressionConfig,
    hardware: HardwareOptions | None = None,
) -> Subject:
    """The plan to evaluate and its uncompressed reference.

    ``model`` is a build folder (its own plan, compression options and
    ``decorrelate``; ``config`` and ``hardware`` are ignored) or a network
    (compressed with ``config``, planned with ``hardware``).
    """
    hardware = hardware or HardwareOptions()
    if isinstance(model, Network):
        source, plan = model, plan_of(model, config, hardware)
    else:
        design = read_design(model)
        if "build_options" not in design:
            raise ValueError(f"{model} must be a build with build_options, not an older build")
        plan, source = load_plan(model), load_network(Path(model) / "source.npz")
        options = design["build_options"]
        config = CompressionConfig(**options["compression"])
        hardware = HardwareOptions(decorrelate=options["hardware"].get("decorrelate", 0))
    reference, note = reference_of(source, config, hardware)
    return Subject(plan, reference, config, note)


def compare(
    subject: Subject,
    features: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    steps: int | None = None,
    encoder: RateEncoder,
    readout: str = "counts",
) -> tuple[Evaluation, dict]:
    """Evaluate the subject and its uncompressed reference on the same encoded samples.

    Returns
    -------
    evaluation : Evaluation
        The compressed plan's.
    figures : dict
        JSON-ready: samples, steps, readout, encoder, both accuracies, the
        uncompressed options, every neuron's and layer's firing rate.
    """
    options = {"steps": steps, "encoder": encoder, "readout": readout}
    mine = evaluate(subject.plan, features, labels, **options)
    base = (
        evaluate(subject.reference, features, labels, **options)
        if subject.reference is not None
        else None
    )
    figures = {
        "samples": int(features.shape[0]),
        "steps": mine.steps,
        "readout": readout,
        "encoder": None if np.ndim(features) == 3 else {"bits": encoder.bits, "seed": encoder.seed},
        "accuracy": mine.accuracy,
        "uncompressed_accuracy": base.accuracy if base is not None else None,
        "uncompressed": dataclasses.asdict(subject.config.uncompressed()),
        "uncompressed_note": subject.note,
        "firing_rates": [[round(float(r), 6) for r in rates] for rates in mine.rates],
        "layer_rates": mine.layer_rates(),
        "clocks_per_step": round(mine.clocks_per_step, 3),
        "clocks_per_inference": round(mine.clocks_per_inference, 1),
        "worst_clocks_per_step": subject.plan.clocks_per_step,
    }
    return mine, figures


def summary(figures: dict) -> str:
    """What ``sc-compress evaluate`` prints for :func:`compare`'s ``figures``: the
    samples and encoder, both accuracies, every layer's firing rate and the clocks."""
    encoder = figures["encoder"]
    source = (
        "event data (spikes as given)"
        if encoder is None
        else f"rate encoder {encoder['bits']} bits seed {encoder['seed']}"
    )
    lines = [
        f"{figures['samples']} samples, {figures['steps']} steps each, readout "
        f"{figures['readout']}, {source}"
    ]
    accuracy, base = figures["accuracy"], figures["uncompressed_accuracy"]
    if accuracy is None:
        lines.append("no labels (y) in the data: accuracy not computed")
    else:
        bits = figures["uncompressed"]["bits"]
        lines.append(f"accuracy (compressed hardware): {100 * accuracy:.2f}%")
        if base is not None:
            lines.append(
                f"accuracy (uncompressed, {bits} bits, nothing pruned): {100 * base:.2f}% "
                f"({100 * (base - accuracy):+.2f} points lost to compression)"
            )
    if figures.get("uncompressed_note"):
        lines.append(figures["uncompressed_note"])
    lines += [
        f"layer {index}: mean firing rate {rate:.4f} spikes per neuron per step"
        for index, rate in enumerate(figures["layer_rates"])
    ]
    lines.append(
        f"hardware clocks: {figures['clocks_per_step']:.1f} per step on this data (worst case "
        f"{figures['worst_clocks_per_step']}), {figures['clocks_per_inference']:.0f} per "
        f"inference of {figures['steps']} steps"
    )
    return "\n".join(lines)
