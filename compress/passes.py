"""Network-level compression: an ordered list of named, pure steps.

Each step maps a :class:`~compress.network.Network` to a new one and a
report; :func:`compress_network` runs the steps a :class:`CompressionConfig`
asks for, in a fixed order:

1. ``prune_neurons``     structural pruning by weight norm (hidden layers)
2. ``prune_weights``     magnitude or percentile pruning
3. ``prune_stochastic``  near-0 weights to 0, near-1 weights to full scale
4. ``quantize_delays``   delays to whole steps on a ``delay_resolution`` grid
5. ``quantize_weights``  sign-magnitude codes of ``bits`` bits (always last)

A layer's bias is one more synapse per neuron (an always-on input line): the
weight-pruning, stochastic-pruning and quantization steps see it as the last
column of the layer's matrix (:attr:`compress.network.Layer.synapses`), so it
shares the layer's full scale and is counted like any other synapse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import check_bits, check_int, check_number
from .network import Network
from .pruning import (
    PruningReport,
    combine_reports,
    prune_neurons,
    prune_stochastic,
    prune_weights,
)
from .quantization import LayerCodes, layer_full_scale, quantize_codes, quantize_delays

__all__ = ["CompressionConfig", "CompressionResult", "StepResult", "compress_network"]


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
    delay_resolution : int
        Delay grid step (1 keeps every whole step).
    max_delay : int or None
        Largest delay kept.
    """

    bits: int = 8
    prune_threshold: float | None = None
    prune_percentile: float | None = None
    min_popcount_bits: float | None = None
    bitstream_length: int | None = None
    prune_neurons: float | None = None
    delay_resolution: int = 1
    max_delay: int | None = None

    def __post_init__(self) -> None:
        # Every field is checked and stored as a plain Python int or float, so numpy
        # scalars (np.int64(8)) are accepted and the config stays JSON-ready.
        set_ = object.__setattr__
        set_(self, "bits", check_bits(self.bits))
        if self.prune_threshold is not None and self.prune_percentile is not None:
            raise ValueError(
                "prune_threshold and prune_percentile must not both be set, "
                f"not {self.prune_threshold!r} and {self.prune_percentile!r}"
            )
        if self.prune_threshold is not None:
            set_(
                self,
                "prune_threshold",
                check_number(self.prune_threshold, "prune_threshold", low=0.0),
            )
        if self.prune_percentile is not None:
            value = check_number(self.prune_percentile, "prune_percentile", low=0.0)
            if value > 100:
                raise ValueError(f"prune_percentile must be in [0, 100], not {value!r}")
            set_(self, "prune_percentile", value)
        if self.min_popcount_bits is not None:
            value = check_number(self.min_popcount_bits, "min_popcount_bits", low=0.0)
            set_(self, "min_popcount_bits", value)
        if self.bitstream_length is not None:
            set_(
                self,
                "bitstream_length",
                check_int(self.bitstream_length, "bitstream_length", low=1),
            )
        if self.prune_neurons is not None:
            set_(self, "prune_neurons", check_number(self.prune_neurons, "prune_neurons", low=0.0))
        set_(self, "delay_resolution", check_int(self.delay_resolution, "delay_resolution", low=1))
        if self.max_delay is not None:
            set_(self, "max_delay", check_int(self.max_delay, "max_delay", low=0))

    @property
    def max_code(self) -> int:
        """Largest magnitude code ``M = 2**(bits-1) - 1`` (the LFSR period)."""
        return (1 << (self.bits - 1)) - 1


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
        """Per-layer figures of the final network: synapses by code class."""
        rows = []
        for index, c in enumerate(self.codes):
            m = c.magnitudes
            rows.append(
                {
                    "layer": index,
                    "shape": [int(s) for s in m.shape],
                    "synapses": int(m.size),
                    "dropped": int(np.count_nonzero(m == 0)),
                    "constant": int(np.count_nonzero(m == c.max_code)),
                    "stochastic": int(np.count_nonzero((m > 0) & (m < c.max_code))),
                    "scale": c.scale,
                }
            )
        return rows


def _step_neurons(net: Network, cfg: CompressionConfig) -> tuple[Network, PruningReport]:
    # The norm is of the incoming weights (the seed's rule); a pruned neuron's bias goes too.
    _, report = prune_neurons(net.weights, None, norm_threshold=cfg.prune_neurons)
    layers = []
    prev_keep: np.ndarray | None = None
    for layer, figures in zip(net.layers, report.layers):
        keep = np.asarray(figures.kept_neurons, dtype=np.intp)
        cols = slice(None) if prev_keep is None else prev_keep
        delays = None if layer.delays is None else layer.delays[keep][:, cols]
        threshold = layer.threshold if layer.threshold.ndim == 0 else layer.threshold[keep]
        layers.append(
            dataclasses.replace(
                layer,
                weights=layer.weights[keep][:, cols],
                delays=delays,
                threshold=threshold,
                bias=None if layer.bias is None else layer.bias[keep],
            )
        )
        prev_keep = keep
    return Network(tuple(layers)), report


def _each_layer(
    net: Network, func: Callable[[np.ndarray], tuple[list[np.ndarray], PruningReport]]
) -> tuple[Network, PruningReport]:
    """A weight pass on each layer's synapses (weights and bias column) on its own."""
    results = [func(synapses) for synapses in net.synapses]
    pruned = [arrays[0] for arrays, _ in results]
    return net.with_synapses(pruned), combine_reports([report for _, report in results])


def _step_weights(net: Network, cfg: CompressionConfig) -> tuple[Network, PruningReport]:
    if cfg.prune_percentile is not None:
        value, method = cfg.prune_percentile, "percentile"
    else:
        value, method = cfg.prune_threshold, "magnitude"
    return _each_layer(net, lambda s: prune_weights([s], value, method))


def _step_stochastic(net: Network, cfg: CompressionConfig) -> tuple[Network, PruningReport]:
    length = cfg.bitstream_length or cfg.max_code
    return _each_layer(
        net,
        lambda s: prune_stochastic([s], length, cfg.min_popcount_bits, scale=layer_full_scale(s)),
    )


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
    if cfg.prune_neurons is not None:
        steps.append(("prune_neurons", _step_neurons))
    if cfg.prune_threshold is not None or cfg.prune_percentile is not None:
        steps.append(("prune_weights", _step_weights))
    if cfg.min_popcount_bits is not None:
        steps.append(("prune_stochastic", _step_stochastic))
    steps.append(("quantize_delays", _step_delays))
    return steps


def config_of(config: object) -> CompressionConfig:
    """``config`` if it is a :class:`CompressionConfig` (``None``: the default one)."""
    if config is None:
        return CompressionConfig()
    if not isinstance(config, CompressionConfig):
        hint = " (use CompressionConfig(**options))" if isinstance(config, dict) else ""
        raise TypeError(f"config must be a CompressionConfig, not {type(config).__name__}{hint}")
    return config


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
    cfg = config_of(config)
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, not {type(network).__name__}")
    results: list[StepResult] = []
    current = network
    for name, step in _steps(cfg):
        current, report = step(current, cfg)
        results.append(StepResult(name, current, report))
    codes = tuple(quantize_codes([s], cfg.bits)[0] for s in current.synapses)
    current = current.with_synapses(c.values() for c in codes)
    results.append(StepResult("quantize_weights", current, None))
    return CompressionResult(current, codes, tuple(results), cfg)
