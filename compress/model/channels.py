"""Structural pruning of a network with convolution layers: whole output channels.

A convolution layer's neurons come in channels that share one kernel, so the unit a
structural pass removes is a channel: its kernel slice, its bias and every position's
neuron, and in the next layer the matching input channel (a convolution's kernel
slice) or the columns of the channel's positions (a fully connected layer).  A
channel is kept when its mean firing rate over its positions (measured on the user's
data) is above the activity threshold, or, without rates, when the L2 norm of its
kernel over the input channels that stay is above the norm threshold; a fully
connected layer's neurons follow the usual rule (:func:`compress.prune_neurons`),
except one that feeds a convolution, whose neurons are its input positions.  The
output layer keeps its width.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .conv import Conv
from .network import Network
from .pruning import LayerPruning, PruningReport, neuron_report

__all__ = ["prune_channels"]


def _units(index: int, layer: Any, rates: Any, threshold: float, norm: float, keep_in):
    """Which units (channels or neurons) of ``layer`` stay."""
    conv = layer.conv
    if rates is not None:
        r = np.asarray(rates, dtype=np.float64).reshape(-1)
        if r.shape != (layer.n_out,):
            raise ValueError(
                f"layer {index}: firing_rates must have shape ({layer.n_out},), not {r.shape}"
            )
        return (r.reshape(conv.out_channels, -1).mean(axis=1) if conv else r) > threshold
    if conv:
        kernel = layer.weights[:, keep_in] if keep_in is not None else layer.weights
        return np.sqrt((kernel**2).reshape(conv.out_channels, -1).sum(axis=1)) > norm
    w = layer.weights if keep_in is None else layer.weights[:, keep_in]
    return np.sqrt((w**2).sum(axis=1)) > norm


def prune_channels(
    network: Network,
    firing_rates: Any = None,
    activity_threshold: float = 0.001,
    norm_threshold: float = 0.0,
) -> tuple[Network, PruningReport]:
    """Remove whole channels of convolution layers (and neurons of fully connected ones).

    Parameters
    ----------
    network : Network
    firing_rates : list of ndarray or None, optional
        Per-neuron rates of each layer (``n_out`` each; a channel's is the mean over its
        positions); ``None`` entries and missing layers use the weight norm.
    activity_threshold, norm_threshold : float

    Returns
    -------
    (Network, PruningReport)
        ``kept_neurons`` lists the surviving neurons of each layer.
    """
    rates = list(firing_rates or [])
    last = len(network.layers) - 1
    layers, figures = [], []
    keep_in: np.ndarray | None = None  # the previous layer's kept channels or neurons
    previous = None
    for index, layer in enumerate(network.layers):
        conv = layer.conv
        if conv is not None and conv.groups != 1 and index < last:
            raise ValueError(
                f"layer {index}: prune_neurons and firing_rates must be None for a grouped "
                f"convolution (groups {conv.groups}), not set"
            )
        cols = _inputs(layer, keep_in, previous)
        feeds_conv = index < last and network.layers[index + 1].conv is not None
        if index == last or (conv is None and feeds_conv):
            keep = np.ones(conv.out_channels if conv else layer.n_out, dtype=bool)
        else:
            r = rates[index] if index < len(rates) else None
            keep = _units(index, layer, r, activity_threshold, norm_threshold, cols)
            if not keep.any():
                raise ValueError(
                    f"layer {index}: {'channels' if conv else 'neurons'} must keep at least "
                    f"one above the threshold, not all {keep.size} below it"
                )
        pruned_layer = _narrow(layer, keep, cols)
        neurons = np.repeat(keep, layer.n_out // keep.size) if conv else keep
        before, after = layer.weights, pruned_layer.weights
        figures.append(
            LayerPruning(
                layer=index,
                params=int(before.size),
                already_zero=int(before.size - np.count_nonzero(before)),
                pruned=int(before.size - after.size),
                remaining=int(np.count_nonzero(after)),
                sparsity=(before.size - after.size) / before.size,
                neurons=layer.n_out,
                pruned_neurons=int(layer.n_out - neurons.sum()),
                kept_neurons=tuple(int(i) for i in np.flatnonzero(neurons)),
            )
        )
        layers.append(pruned_layer)
        keep_in, previous = keep, layer
    return Network(tuple(layers)), neuron_report(figures)


def _inputs(layer: Any, keep_in: np.ndarray | None, previous: Any) -> np.ndarray | None:
    """The inputs of ``layer`` that stay (``None``: all): input channels of a convolution,
    input lines of a fully connected layer (a convolution before it: its kept channels'
    positions)."""
    if keep_in is None or keep_in.all():
        return None
    if layer.conv is None and previous.conv is not None:
        return np.repeat(keep_in, previous.n_out // keep_in.size)
    return keep_in  # the previous layer's channels (a convolution feeds a convolution)


def _narrow(layer: Any, keep: np.ndarray, columns: np.ndarray | None) -> Any:
    """``layer`` with its kept units (``keep``) and its kept inputs (``columns``)."""
    conv = layer.conv
    neurons = np.repeat(keep, layer.n_out // keep.size) if conv else keep

    def rows(value: Any) -> Any:
        return value if value is None or np.ndim(value) == 0 else value[neurons]

    fields: dict[str, Any] = {
        "threshold": rows(layer.threshold),
        "drive": rows(layer.drive),
        "v_reset": rows(layer.v_reset),
    }
    if conv is not None:
        kernel = layer.weights[keep]
        in_shape = conv.in_shape
        if columns is not None:
            kernel = kernel[:, columns]
            in_shape = (int(columns.sum()), *in_shape[1:])
        fields.update(
            weights=kernel,
            bias=None if layer.bias is None else layer.bias[keep],
            conv=Conv(
                in_shape,
                int(keep.sum()),
                conv.kernel_size,
                conv.stride,
                conv.padding,
                conv.dilation,
                conv.groups,
            ),
        )
    else:
        w = layer.weights[keep]
        fields.update(
            weights=w if columns is None else w[:, columns],
            bias=None if layer.bias is None else layer.bias[keep],
            delays=None
            if layer.delays is None
            else (layer.delays[keep] if columns is None else layer.delays[keep][:, columns]),
            recurrent=None if layer.recurrent is None else layer.recurrent[keep][:, keep],
        )
    return dataclasses.replace(layer, **fields)
