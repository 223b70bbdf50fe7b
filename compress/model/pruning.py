"""Weight, structural and stochastic-aware pruning.

The three passes keep the names, argument names, defaults and return shapes
of the seed API (``sc_neurocore.compression``) and differ from its reference
implementation only where SPEC section 3 says so:

* an unknown ``method`` is an error instead of a silent fallback;
* weights that were already zero are not counted as newly pruned;
* ``prune_neurons`` keeps the output layer's width unless asked, and takes
  separate thresholds for firing rates and weight norms;
* ``prune_stochastic`` turns a near-1 weight into a signed full-scale
  constant (a constant-1 gate) instead of zeroing it.

Every pass validates its input, never modifies it, and returns new arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from .validate import (
    check_finite,
    check_int,
    check_method,
    check_number,
    check_real,
    layer_arrays,
    row_blocks,
)

__all__ = [
    "LayerPruning",
    "PruningReport",
    "neuron_report",
    "prune_neurons",
    "prune_stochastic",
    "prune_weights",
]


@dataclass(frozen=True)
class LayerPruning:
    """What one pass did to one layer.

    Attributes
    ----------
    layer : int
        Layer index.
    params : int
        Weights in the layer before the pass.
    already_zero : int
        Weights that were zero before the pass.
    pruned : int
        Weights the pass removed: newly zeroed (weight passes) or removed
        with their neuron (structural pass).
    remaining : int
        Nonzero weights after the pass.
    sparsity : float
        Fraction of the layer's weights that are zero (or removed) after the pass.
    constant_zero : int
        Weights ``prune_stochastic`` turned into constant 0 (newly zeroed).
    constant_one : int
        Weights ``prune_stochastic`` turned into a signed full-scale constant.
    neurons : int
        Output neurons before the pass.
    pruned_neurons : int
        Output neurons removed by ``prune_neurons``.
    kept_neurons : tuple of int
        Indices (into the layer before the pass) of the neurons kept.
    """

    layer: int
    params: int
    already_zero: int
    pruned: int
    remaining: int
    sparsity: float
    constant_zero: int = 0
    constant_one: int = 0
    neurons: int = 0
    pruned_neurons: int = 0
    kept_neurons: tuple[int, ...] = ()


@dataclass(frozen=True)
class PruningReport:
    """Results of a pruning operation.

    The first six fields are the seed's.  ``original_params ==
    already_zero + pruned_params + remaining_params`` for the weight passes.

    Attributes
    ----------
    original_params : int
        Weights in all layers before the pass.
    pruned_params : int
        Weights the pass removed (already-zero weights are not counted).
    remaining_params : int
        Nonzero weights after the pass.
    sparsity : float
        Fraction of ``original_params`` that is zero or removed after the pass.
    original_neurons : int
        Output neurons of all layers before the pass (structural pass).
    pruned_neurons : int
        Output neurons removed (structural pass).
    already_zero : int
        Weights that were zero before the pass.
    constant_zero : int
        Weights turned into constant 0 by ``prune_stochastic``.
    constant_one : int
        Weights turned into signed full-scale constants by ``prune_stochastic``.
    layers : tuple of LayerPruning
        The same figures per layer.
    """

    original_params: int
    pruned_params: int
    remaining_params: int
    sparsity: float
    original_neurons: int = 0
    pruned_neurons: int = 0
    already_zero: int = 0
    constant_zero: int = 0
    constant_one: int = 0
    layers: tuple[LayerPruning, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        data = asdict(self)
        data["layers"] = [asdict(layer) for layer in self.layers]
        for layer in data["layers"]:
            layer["kept_neurons"] = list(layer["kept_neurons"])
        return data


def combine_reports(reports: Sequence[PruningReport]) -> PruningReport:
    """One report of a weight pass run layer by layer: ``reports[l]`` is layer ``l``'s.

    Used where a pass runs on each layer's matrix on its own (with a bias column
    the matrices do not chain).
    """
    layers = [
        replace(figures, layer=index)
        for index, report in enumerate(reports)
        for figures in report.layers
    ]
    return _summarise(layers)


def _summarise(layers: list[LayerPruning], **extra: int) -> PruningReport:
    original = sum(layer.params for layer in layers)
    pruned = sum(layer.pruned for layer in layers)
    remaining = sum(layer.remaining for layer in layers)
    already = sum(layer.already_zero for layer in layers)
    return PruningReport(
        original_params=original,
        pruned_params=pruned,
        remaining_params=remaining,
        sparsity=(original - remaining) / max(original, 1),
        already_zero=already,
        constant_zero=sum(layer.constant_zero for layer in layers),
        constant_one=sum(layer.constant_one for layer in layers),
        layers=tuple(layers),
        **extra,
    )


def _zero_at_or_below(w: np.ndarray, cutoff: float) -> tuple[np.ndarray, int, int]:
    """``w`` with ``|w| <= cutoff`` zeroed, the zeros before, the nonzeros after."""
    out = np.empty_like(w)
    already = remaining = 0
    for rows in row_blocks(w.shape):
        block = w[rows]
        magnitude = np.abs(block)
        keep = magnitude > cutoff
        target = out[rows]
        np.multiply(block, keep.astype(w.dtype), out=target)  # a float mask is fastest
        target += 0.0  # -0.0 -> +0.0
        already += int(np.count_nonzero(magnitude == 0))
        remaining += int(np.count_nonzero(keep))
    return out, already, remaining


def _weight_layer(
    index: int, w: np.ndarray, zero_after: int, *, already: int, **extra: int
) -> LayerPruning:
    return LayerPruning(
        layer=index,
        params=w.size,
        already_zero=already,
        pruned=zero_after - already,
        remaining=w.size - zero_after,
        sparsity=zero_after / w.size,
        neurons=w.shape[0],
        kept_neurons=tuple(range(w.shape[0])),
        **extra,
    )


def prune_weights(
    weights: Sequence[np.ndarray],
    threshold: float = 0.01,
    method: str = "magnitude",
) -> tuple[list[np.ndarray], PruningReport]:
    """Prune small weights from layer weight matrices.

    Parameters
    ----------
    weights : list of ndarray
        Weight matrices, each of shape ``(n_out, n_in)``.
    threshold : float
        Pruning threshold.  ``'magnitude'``: weights with ``|w| <= threshold``
        are zeroed.  ``'percentile'``: a percentile in ``[0, 100]``.
    method : {'magnitude', 'percentile'}
        ``'magnitude'`` prunes by absolute value.  ``'percentile'`` computes,
        per layer, the ``threshold``-th percentile (numpy's linear
        interpolation) of the layer's *nonzero* magnitudes and zeroes every
        weight at or below it.

    Returns
    -------
    pruned_weights : list of ndarray
        New arrays; the input is not modified.
    report : PruningReport
        Already-zero weights are counted in ``already_zero``, not in
        ``pruned_params``.

    Raises
    ------
    ValueError
        For an unknown method, a negative threshold, a percentile outside
        ``[0, 100]``, or weights that are not finite 2-D matrices that chain.

    Examples
    --------
    >>> import numpy as np
    >>> pruned, report = prune_weights([np.array([[0.005, -0.5], [0.0, 0.01]])])
    >>> pruned[0].tolist(), report.pruned_params, report.already_zero
    ([[0.0, -0.5], [0.0, 0.0]], 2, 1)
    """
    method = check_method(method, ("magnitude", "percentile"))
    if method == "magnitude":
        threshold = check_number(threshold, "threshold", low=0.0)
    else:
        threshold = check_number(threshold, "threshold (percentile)", low=0.0)
        if threshold > 100.0:
            raise ValueError(f"threshold (percentile) must be in [0, 100], not {threshold!r}")
    arrays = layer_arrays(weights)
    pruned: list[np.ndarray] = []
    layers: list[LayerPruning] = []
    for index, w in enumerate(arrays):
        if method == "percentile":
            magnitude = np.abs(w)
            nonzero = magnitude[magnitude > 0]
            cutoff = float(np.percentile(nonzero, threshold)) if nonzero.size else 0.0
        else:
            cutoff = threshold
        out, already, remaining = _zero_at_or_below(w, cutoff)
        pruned.append(out)
        layers.append(_weight_layer(index, w, w.size - remaining, already=already))
    return pruned, _summarise(layers)


def _check_rates(rates: Any, n_out: int, index: int) -> np.ndarray:
    arr = check_real(rates, "firing_rates", index)
    if arr.shape != (n_out,):
        raise ValueError(f"layer {index}: firing_rates must have shape ({n_out},), not {arr.shape}")
    check_finite(arr, "firing_rates", index)
    return arr


def prune_neurons(
    weights: Sequence[np.ndarray],
    firing_rates: Sequence[np.ndarray | None] | None = None,
    activity_threshold: float = 0.001,
    *,
    norm_threshold: float = 0.001,
    prune_output: bool = False,
) -> tuple[list[np.ndarray], PruningReport]:
    """Structural pruning: remove neurons with low firing rates.

    Removes whole rows of a layer's matrix (its output neurons) and the
    matching columns of the next layer's matrix, reducing layer width.

    Parameters
    ----------
    weights : list of ndarray
        Weight matrices ``[W1, W2, ...]``, ``W_i`` of shape ``(n_out, n_in)``.
    firing_rates : list of ndarray or None, optional
        Per-neuron firing rates of each layer.  A neuron is kept when its rate
        is above ``activity_threshold``.  The list may be shorter than
        ``weights`` and may hold ``None``: such layers use the weight norm.
    activity_threshold : float
        Firing-rate threshold (kept when ``rate > activity_threshold``).
    norm_threshold : float, keyword-only
        Weight-norm threshold for layers without firing rates: a neuron is kept
        when the L2 norm of its incoming weights (after earlier layers'
        columns were removed) is above it.
    prune_output : bool, keyword-only
        Also prune the last layer's neurons.  Off by default: the network's
        output width is part of its interface.

    Returns
    -------
    pruned_weights : list of ndarray
        New, narrower arrays.
    report : PruningReport
        ``pruned_params`` counts removed weights; each layer's
        ``kept_neurons`` lists the surviving row indices.

    Raises
    ------
    ValueError
        For bad weights or rates, negative thresholds, or a layer that would
        lose every neuron.
    """
    arrays = layer_arrays(weights)
    activity_threshold = check_number(activity_threshold, "activity_threshold")
    norm_threshold = check_number(norm_threshold, "norm_threshold", low=0.0)
    if firing_rates is not None:
        if isinstance(firing_rates, np.ndarray) or not isinstance(firing_rates, Sequence):
            raise ValueError(
                f"firing_rates must be a list of 1-D arrays, not {type(firing_rates).__name__}"
            )
        if len(firing_rates) > len(arrays):
            raise ValueError(
                f"firing_rates must have at most {len(arrays)} entries (one per layer), "
                f"not {len(firing_rates)}"
            )
    keeps = _kept_neurons(
        arrays,
        list(firing_rates or []),
        activity_threshold=activity_threshold,
        norm_threshold=norm_threshold,
        prune_output=prune_output,
    )
    out = []
    figures = []
    for index, (w, keep) in enumerate(zip(arrays, keeps)):
        rows = np.flatnonzero(keep)
        cols = np.arange(w.shape[1]) if index == 0 else np.flatnonzero(keeps[index - 1])
        after = w[np.ix_(rows, cols)]
        out.append(after)
        figures.append(
            LayerPruning(
                layer=index,
                params=w.size,
                already_zero=w.size - int(np.count_nonzero(w)),
                pruned=w.size - after.size,
                remaining=int(np.count_nonzero(after)),
                sparsity=(w.size - after.size) / w.size,
                neurons=w.shape[0],
                pruned_neurons=w.shape[0] - rows.size,
                kept_neurons=tuple(int(i) for i in rows),
            )
        )
    return out, neuron_report(figures)


def _kept_neurons(
    arrays: list[np.ndarray],
    rates: list,
    *,
    activity_threshold: float,
    norm_threshold: float,
    prune_output: bool,
) -> list[np.ndarray]:
    """Which neurons of each layer stay: by firing rate where given, else by the norm of
    their weights from the inputs that stay."""
    last = len(arrays) - 1
    keeps: list[np.ndarray] = []
    for index, w in enumerate(arrays):
        n_out = w.shape[0]
        if index == last and not prune_output:
            keep = np.ones(n_out, dtype=bool)
        elif index < len(rates) and rates[index] is not None:
            keep = _check_rates(rates[index], n_out, index) > activity_threshold
        else:
            inputs = w if index == 0 or keeps[-1].all() else w[:, keeps[-1]]
            keep = np.sqrt(np.einsum("ij,ij->i", inputs, inputs)) > norm_threshold
        if not keep.any():
            raise ValueError(
                f"layer {index}: neurons must keep at least one above the threshold, "
                f"not all {n_out} below it"
            )
        keeps.append(keep)
    return keeps


def neuron_report(figures: list[LayerPruning]) -> PruningReport:
    """The :class:`PruningReport` of a structural pass: its layers' figures summed."""
    original = sum(f.params for f in figures)
    removed = sum(f.pruned for f in figures)
    return PruningReport(
        original_params=original,
        pruned_params=removed,
        remaining_params=sum(f.remaining for f in figures),
        sparsity=removed / max(original, 1),
        original_neurons=sum(f.neurons for f in figures),
        pruned_neurons=sum(f.pruned_neurons for f in figures),
        already_zero=sum(f.already_zero for f in figures),
        layers=tuple(figures),
    )


def prune_stochastic(
    weights: Sequence[np.ndarray],
    bitstream_length: int = 256,
    min_popcount_bits: float = 1.0,
    *,
    scale: float | Sequence[float] = 1.0,
) -> tuple[list[np.ndarray], PruningReport]:
    """Stochastic-aware pruning: score weights by bitstream contribution.

    A weight encodes the probability ``p = clip(|w| / scale, 0, 1)``; its
    importance is ``min(p, 1 - p) * bitstream_length``, the expected number
    of popcount bits it changes per inference.  A weight whose importance is
    below ``min_popcount_bits`` becomes a constant: 0 when ``p < 0.5``, and
    ``sign(w) * scale`` when ``p >= 0.5`` (a constant-1 gate in hardware).

    Parameters
    ----------
    weights : list of ndarray
        Weight matrices.
    bitstream_length : int
        Bitstream length ``L`` (a positive integer).
    min_popcount_bits : float
        Minimum expected popcount contribution to keep a weight stochastic.
    scale : float or list of float, keyword-only
        Full-scale magnitude (probability 1), one for all layers or one per
        layer.  Defaults to 1, as in the seed; hardware builds pass each
        layer's quantization full scale.

    Returns
    -------
    pruned_weights : list of ndarray
        New arrays; near-0 weights are 0 and near-1 weights are ``±scale``.
    report : PruningReport
        ``constant_zero`` (newly zeroed, equal to ``pruned_params``) and
        ``constant_one`` (snapped to ``±scale``) are counted separately.

    Raises
    ------
    ValueError
        For bad weights, ``bitstream_length < 1``, a negative
        ``min_popcount_bits`` or a non-positive ``scale``.

    Examples
    --------
    >>> import numpy as np
    >>> pruned, report = prune_stochastic([np.array([[0.001, -0.999, 0.5]])])
    >>> pruned[0].tolist(), report.constant_zero, report.constant_one
    ([[0.0, -1.0, 0.5]], 1, 1)
    """
    bitstream_length = check_int(bitstream_length, "bitstream_length", low=1)
    min_popcount_bits = check_number(min_popcount_bits, "min_popcount_bits", low=0.0)
    arrays = layer_arrays(weights)
    if isinstance(scale, Sequence) or isinstance(scale, np.ndarray):
        if len(scale) != len(arrays):
            raise ValueError(
                f"scale must have one entry per layer ({len(arrays)}), not {len(scale)}"
            )
        scales = [check_number(s, "scale", low=0.0, low_open=True) for s in scale]
    else:
        scales = [check_number(scale, "scale", low=0.0, low_open=True)] * len(arrays)
    pruned: list[np.ndarray] = []
    layers: list[LayerPruning] = []
    for index, (w, scale) in enumerate(zip(arrays, scales)):
        out = np.empty_like(w)
        counts = np.zeros(4, dtype=np.int64)  # zero before, zero after, to one, nonzero
        for rows in row_blocks(w.shape):
            block = w[rows]
            p = np.abs(block)
            counts[0] += np.count_nonzero(p == 0)
            if scale != 1.0:
                p /= scale
            np.clip(p, 0.0, 1.0, out=p)
            importance = np.subtract(1.0, p)
            np.minimum(p, importance, out=importance)
            importance *= bitstream_length
            constant = importance < min_popcount_bits
            high = p >= 0.5
            to_one = constant & high
            keep = ~constant
            target = out[rows]
            np.multiply(block, keep.astype(w.dtype), out=target)
            target += np.copysign(scale, block) * to_one.astype(w.dtype)
            target += 0.0  # -0.0 -> +0.0
            counts[2] += np.count_nonzero(to_one)
            counts[3] += np.count_nonzero(target)
        already, _, to_one_count, nonzero = (int(c) for c in counts)
        zero_after = w.size - nonzero
        layers.append(
            _weight_layer(
                index,
                w,
                zero_after,
                already=already,
                constant_zero=zero_after - already,
                constant_one=to_one_count,
            )
        )
        pruned.append(out)
    return pruned, _summarise(layers)
