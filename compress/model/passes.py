"""Network-level compression: an ordered list of named, pure steps.

Each step maps a :class:`~compress.model.network.Network` to a new one and a
report; :func:`compress_network` runs the steps a :class:`CompressionConfig`
asks for, in a fixed order:

1. ``prune_neurons``     structural pruning by weight norm (hidden layers)
2. ``prune_weights``     magnitude or percentile pruning
3. ``prune_stochastic``  near-0 weights to 0, near-1 weights to full scale
4. ``quantize_delays``   delays to whole steps on a ``delay_resolution`` grid
5. ``quantize_weights``  sign-magnitude codes of ``bits`` bits (always last)

A layer's bias is one more synapse per neuron (an always-on input line): the
weight-pruning, stochastic-pruning and quantization steps see it as the last
column of the layer's matrix (:attr:`compress.model.network.Layer.synapses`), so it
shares the layer's full scale and is counted like any other synapse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .channels import prune_channels
from .fields import option
from .network import Network
from .pruning import (
    PruningReport,
    combine_reports,
    prune_neurons,
    prune_stochastic,
    prune_weights,
)
from .quantization import (
    LayerCodes,
    layer_full_scale,
    max_code,
    quantize_codes,
    quantize_delays,
)
from .validate import check_bits, check_finite, check_int, check_number, options_of

__all__ = [
    "LAYER_FIELDS",
    "CompressionConfig",
    "CompressionResult",
    "LayerCompression",
    "StepResult",
    "compress_network",
]


#: The settings a layer may override (hls4ml-style per-layer configuration).
LAYER_FIELDS = ("bits", "prune_threshold", "prune_percentile", "min_popcount_bits")


@dataclass(frozen=True)
class LayerCompression:
    """One layer's overrides of a :class:`CompressionConfig`; ``None`` keeps the global value.

    Setting ``prune_threshold`` or ``prune_percentile`` replaces the layer's
    weight pruning, whichever the global config uses (``prune_threshold=0``
    turns it off for the layer).  See :class:`CompressionConfig` for each
    field's meaning.
    """

    bits: int | None = None
    prune_threshold: float | None = None
    prune_percentile: float | None = None
    min_popcount_bits: float | None = None

    def __post_init__(self) -> None:
        if self.bits is not None:
            object.__setattr__(self, "bits", check_bits(self.bits))
        _check_pruning(self)


def _check_pruning(obj: Any) -> None:
    """Check and store as plain floats the pruning fields a config and a layer override share."""
    set_ = object.__setattr__
    if obj.prune_threshold is not None and obj.prune_percentile is not None:
        raise ValueError(
            "prune_threshold and prune_percentile must not both be set, "
            f"not {obj.prune_threshold!r} and {obj.prune_percentile!r}"
        )
    if obj.prune_threshold is not None:
        set_(obj, "prune_threshold", check_number(obj.prune_threshold, "prune_threshold", low=0.0))
    if obj.prune_percentile is not None:
        value = check_number(obj.prune_percentile, "prune_percentile", low=0.0)
        if value > 100:
            raise ValueError(f"prune_percentile must be in [0, 100], not {value!r}")
        set_(obj, "prune_percentile", value)
    if obj.min_popcount_bits is not None:
        value = check_number(obj.min_popcount_bits, "min_popcount_bits", low=0.0)
        set_(obj, "min_popcount_bits", value)


def _layer_overrides(value: object) -> tuple[tuple[int, LayerCompression], ...]:
    """``{layer: LayerCompression or dict}`` (or pairs, as JSON stores them) as sorted pairs."""
    items = value.items() if isinstance(value, dict) else value
    try:
        pairs = [(index, override) for index, override in items]
    except (TypeError, ValueError):
        raise ValueError(f"layers must map layer indices to overrides, not {value!r}") from None
    out = {}
    for index, override in pairs:
        index = check_int(index, "layers (layer index)", low=0)
        if isinstance(override, dict):
            unknown = sorted(set(override) - set(LAYER_FIELDS))
            if unknown:
                raise ValueError(
                    f"layer {index}: overrides must be {', '.join(LAYER_FIELDS)}, "
                    f"not {unknown[0]!r}"
                )
            override = LayerCompression(**override)
        if not isinstance(override, LayerCompression):
            raise ValueError(
                f"layer {index}: override must be a LayerCompression or a dict, "
                f"not {type(override).__name__}"
            )
        out[index] = override
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class CompressionConfig:
    """What to compress and how.

    Attributes
    ----------
    bits : int
        Total weight bits (sign + ``bits - 1`` magnitude bits), in ``[2, 16]``.
    prune_threshold : float or None
        Magnitude pruning: zero ``|w| <= prune_threshold``.
    prune_percentile : float or None
        Percentile pruning over each layer's nonzero magnitudes.
    min_popcount_bits : float or None
        Stochastic pruning threshold (expected popcount bits).
    bitstream_length : int or None
        ``L`` for stochastic pruning; ``None`` means the LFSR period
        ``2**(bits-1) - 1``.
    prune_neurons : float or None
        Weight-norm threshold for structural pruning of hidden layers.
    firing_rates : sequence of sequences of float, optional
        Measured firing rates (spikes per step) of each layer's neurons, e.g.
        :attr:`compress.analysis.evaluate.Evaluation.rates` on the user's data; hidden
        neurons whose rate is at most ``activity_threshold`` are removed (the
        seed's ``prune_neurons(weights, firing_rates)``).  Stored as tuples.
    activity_threshold : float
        Firing-rate threshold for ``firing_rates`` (default 0.001).
    delay_resolution : int
        Delay grid step (1 keeps every whole step).
    max_delay : int or None
        Largest delay kept.
    layers : mapping of int to LayerCompression (or dict), optional
        Per-layer overrides of ``bits``, ``prune_threshold``,
        ``prune_percentile`` and ``min_popcount_bits``, e.g.
        ``{1: LayerCompression(bits=6, prune_percentile=0)}``; stored as
        sorted ``(layer, LayerCompression)`` pairs.  :meth:`for_layer` gives a
        layer's effective settings.
    """

    bits: int = option(
        8,
        "Total weight bits (sign + magnitude), 2..16.",
        layer=("L=B", "Weight bits of layer L (repeatable), e.g. --layer-bits 1=6."),
    )
    prune_threshold: float | None = option(
        None,
        "Magnitude pruning: zero |w| <= T.",
        float,
        layer=("L=T", "Magnitude pruning of layer L instead of the global pruning (0: none)."),
    )
    prune_percentile: float | None = option(
        None,
        "Percentile pruning over each layer's nonzero magnitudes.",
        float,
        layer=("L=P", "Percentile pruning of layer L instead of the global pruning."),
    )
    min_popcount_bits: float | None = option(
        None,
        "Stochastic pruning: constant-ize weights below X popcount bits.",
        float,
        layer=("L=X", "Stochastic pruning threshold of layer L."),
    )
    bitstream_length: int | None = option(
        None, "L for stochastic pruning [default: the LFSR period].", int
    )
    prune_neurons: float | None = option(
        None, "Remove hidden neurons whose weight norm is <= A.", float
    )
    firing_rates: Any = None
    activity_threshold: float = 0.001
    delay_resolution: int = option(1, "Delay grid step.")
    max_delay: int | None = option(None, "Clamp delays to this.", int)
    layers: Any = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", _layer_overrides(self.layers))
        # Every field is checked and stored as a plain Python int or float, so numpy
        # scalars (np.int64(8)) are accepted and the config stays JSON-ready.
        set_ = object.__setattr__
        set_(self, "bits", check_bits(self.bits))
        _check_pruning(self)
        if self.bitstream_length is not None:
            set_(
                self,
                "bitstream_length",
                check_int(self.bitstream_length, "bitstream_length", low=1),
            )
        if self.prune_neurons is not None:
            set_(self, "prune_neurons", check_number(self.prune_neurons, "prune_neurons", low=0.0))
        set_(
            self,
            "activity_threshold",
            check_number(self.activity_threshold, "activity_threshold", low=0.0),
        )
        if self.firing_rates is not None:
            rates = []
            for index, layer_rates in enumerate(self.firing_rates):
                if layer_rates is None:
                    rates.append(None)
                    continue
                arr = np.asarray(layer_rates, dtype=np.float64).reshape(-1)
                check_finite(arr, "firing_rates", index)
                rates.append(tuple(float(r) for r in arr))
            set_(self, "firing_rates", tuple(rates))
        set_(self, "delay_resolution", check_int(self.delay_resolution, "delay_resolution", low=1))
        if self.max_delay is not None:
            set_(self, "max_delay", check_int(self.max_delay, "max_delay", low=0))

    @property
    def max_code(self) -> int:
        """Largest magnitude code ``M = 2**(bits-1) - 1`` (the LFSR period) of ``bits``."""
        return max_code(self.bits)

    def uncompressed(self) -> CompressionConfig:
        """The reference of this config: the same bits (per layer too) and delay grid,
        nothing pruned."""
        return CompressionConfig(
            bits=self.bits,
            delay_resolution=self.delay_resolution,
            max_delay=self.max_delay,
            layers={i: LayerCompression(bits=o.bits) for i, o in self.layers if o.bits is not None},
        )

    def for_layer(self, index: int) -> LayerCompression:
        """Layer ``index``'s effective ``bits``, pruning and ``min_popcount_bits``."""
        override = dict(self.layers).get(index, LayerCompression())
        if override.prune_threshold is not None or override.prune_percentile is not None:
            threshold, percentile = override.prune_threshold, override.prune_percentile
        else:
            threshold, percentile = self.prune_threshold, self.prune_percentile
        return LayerCompression(
            bits=self.bits if override.bits is None else override.bits,
            prune_threshold=threshold,
            prune_percentile=percentile,
            min_popcount_bits=self.min_popcount_bits
            if override.min_popcount_bits is None
            else override.min_popcount_bits,
        )


@dataclass(frozen=True, eq=False)
class StepResult:
    """One step's name, its output network, and its report (if it prunes)."""

    name: str
    network: Network
    report: PruningReport | None


@dataclass(frozen=True, eq=False)
class CompressionResult:
    """The compressed network, its weight codes, and every step's result.

    Attributes
    ----------
    network : Network
        Quantized weights (``codes[l].values()``) and whole-step delays.
    codes : tuple of LayerCodes
        Sign-magnitude codes per layer, of :attr:`Layer.synapses`: with a bias,
        its code is the last column.
    steps : tuple of StepResult
        Every step that ran, in order.
    config : CompressionConfig
    """

    network: Network
    codes: tuple[LayerCodes, ...]
    steps: tuple[StepResult, ...]
    config: CompressionConfig

    def summary(self) -> list[dict[str, Any]]:
        """Per-layer figures of the final network: synapses by code class.  A convolution
        layer's are its kernel weights (and bias); ``kernel`` gives its shape and
        ``stands_for`` the synapses (output neuron, input) its weights stand for, by class."""
        rows = []
        for index, c in enumerate(self.codes):
            m = c.magnitudes
            classes = {
                "dropped": m == 0,
                "constant": m == c.max_code,
                "stochastic": (m > 0) & (m < c.max_code),
            }
            row = {
                "layer": index,
                "shape": [int(s) for s in m.shape],
                "synapses": int(m.size),
                **{name: int(np.count_nonzero(mask)) for name, mask in classes.items()},
                "scale": c.scale,
            }
            layer = self.network.layers[index]
            if layer.conv is not None:
                reach = _reach(layer)
                row["kernel"] = [int(s) for s in layer.weights.shape]
                row["stands_for"] = {
                    "synapses": int(reach.sum()),
                    **{name: int(reach[mask].sum()) for name, mask in classes.items()},
                }
            rows.append(row)
        return rows


def _reach(layer: Any) -> np.ndarray:
    """How many synapses (output neuron, input) each column of a convolution layer's
    :attr:`~compress.model.network.Layer.synapses` stands for: a tap, at every output
    position where it reads inside the input; the bias, at every position."""
    conv = layer.conv
    per = conv.out_shape[1] * conv.out_shape[2]
    inside = (conv.taps() >= 0).reshape(conv.out_channels, per, conv.n_taps).sum(axis=1)
    if layer.bias is not None:
        inside = np.hstack([inside, np.full((conv.out_channels, 1), per)])
    return inside


def _step_neurons(net: Network, cfg: CompressionConfig) -> tuple[Network, PruningReport]:
    if any(layer.conv is not None for layer in net.layers):  # whole channels
        norm = 0.0 if cfg.prune_neurons is None else cfg.prune_neurons
        return prune_channels(net, cfg.firing_rates, cfg.activity_threshold, norm)
    # The norm is of the incoming weights (the seed's rule); a pruned neuron's bias goes too.
    # With measured firing rates a layer's neurons are kept when their rate is above
    # activity_threshold (layers without rates fall back to the norm).
    rates = None if cfg.firing_rates is None else [np.asarray(r) for r in cfg.firing_rates]
    norm = 0.0 if cfg.prune_neurons is None else cfg.prune_neurons
    _, report = prune_neurons(net.weights, rates, cfg.activity_threshold, norm_threshold=norm)
    layers = []
    prev_keep: np.ndarray | None = None
    for layer, figures in zip(net.layers, report.layers):
        keep = np.asarray(figures.kept_neurons, dtype=np.intp)
        cols = slice(None) if prev_keep is None else prev_keep
        delays = None if layer.delays is None else layer.delays[keep][:, cols]

        def rows(value: np.ndarray | None, keep: np.ndarray = keep) -> np.ndarray | None:
            return value if value is None or value.ndim == 0 else value[keep]

        recurrent = None if layer.recurrent is None else layer.recurrent[keep][:, keep]
        layers.append(
            dataclasses.replace(
                layer,
                weights=layer.weights[keep][:, cols],
                delays=delays,
                threshold=rows(layer.threshold),
                bias=rows(layer.bias),
                drive=rows(layer.drive),
                v_reset=rows(layer.v_reset),
                recurrent=recurrent,
            )
        )
        prev_keep = keep
    return Network(tuple(layers)), report


def _each_layer(
    net: Network, func: Callable[[int, np.ndarray], tuple[list[np.ndarray], PruningReport]]
) -> tuple[Network, PruningReport]:
    """A weight pass on each layer's synapses (weights and bias column) on its own."""
    results = [func(index, synapses) for index, synapses in enumerate(net.synapses)]
    pruned = [arrays[0] for arrays, _ in results]
    return net.with_synapses(pruned), combine_reports([report for _, report in results])


def _step_weights(net: Network, cfg: CompressionConfig) -> tuple[Network, PruningReport]:
    def prune(index: int, synapses: np.ndarray) -> tuple[list[np.ndarray], PruningReport]:
        layer = cfg.for_layer(index)
        if layer.prune_percentile is not None:
            return prune_weights([synapses], layer.prune_percentile, "percentile")
        if layer.prune_threshold is not None:
            return prune_weights([synapses], layer.prune_threshold, "magnitude")
        return prune_weights([synapses], 0.0, "magnitude")  # zeros only: nothing new pruned

    return _each_layer(net, prune)


def _step_stochastic(net: Network, cfg: CompressionConfig) -> tuple[Network, PruningReport]:
    def prune(index: int, synapses: np.ndarray) -> tuple[list[np.ndarray], PruningReport]:
        layer = cfg.for_layer(index)
        bits = layer.bits or cfg.bits
        length = cfg.bitstream_length or max_code(bits)  # the layer's LFSR period
        minimum = 0.0 if layer.min_popcount_bits is None else layer.min_popcount_bits
        return prune_stochastic([synapses], length, minimum, scale=layer_full_scale(synapses))

    return _each_layer(net, prune)


def _step_delays(net: Network, cfg: CompressionConfig) -> tuple[Network, None]:
    layers = []
    for layer in net.layers:
        if layer.delays is None:
            layers.append(layer)
            continue
        q = quantize_delays(layer.delays, cfg.delay_resolution, cfg.max_delay)
        layers.append(dataclasses.replace(layer, delays=q if q.any() else None))
    return Network(tuple(layers)), None


Step = Callable[[Network, CompressionConfig], tuple[Network, PruningReport | None]]


def _steps(cfg: CompressionConfig) -> list[tuple[str, Step]]:
    steps: list[tuple[str, Step]] = []
    if cfg.prune_neurons is not None or cfg.firing_rates is not None:
        steps.append(("prune_neurons", _step_neurons))
    layers = [cfg.for_layer(index) for index, _ in cfg.layers] + [cfg.for_layer(-1)]
    if any(la.prune_threshold is not None or la.prune_percentile is not None for la in layers):
        steps.append(("prune_weights", _step_weights))
    if any(la.min_popcount_bits is not None for la in layers):
        steps.append(("prune_stochastic", _step_stochastic))
    steps.append(("quantize_delays", _step_delays))
    return steps


def compress_network(
    network: Network, config: CompressionConfig | None = None
) -> CompressionResult:
    """Run the compression steps ``config`` asks for, then quantize.

    Parameters
    ----------
    network : Network
        The float network; it is not modified.
    config : CompressionConfig, optional
        Defaults to quantization only (8 bits, whole-step delays).

    Returns
    -------
    CompressionResult
        The compressed network, its codes and every step's report.
    """
    cfg = options_of(config, CompressionConfig, "config")
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, not {type(network).__name__}")
    for index, _ in cfg.layers:
        if index >= len(network.layers):
            raise ValueError(
                f"layers must override layers 0..{len(network.layers) - 1}, not layer {index}"
            )
    results: list[StepResult] = []
    current = network
    for name, step in _steps(cfg):
        current, report = step(current, cfg)
        results.append(StepResult(name, current, report))
    codes = tuple(
        quantize_codes([s], cfg.for_layer(index).bits)[0]
        for index, s in enumerate(current.synapses)
    )
    current = current.with_synapses(c.values() for c in codes)
    results.append(StepResult("quantize_weights", current, None))
    return CompressionResult(current, codes, tuple(results), cfg)
