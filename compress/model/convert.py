"""ANN-to-SNN conversion: a trained ReLU MLP or CNN to a rate-coded spiking Network.

The standard rate-coding conversion (Diehl et al. 2015; Rueckauer et al. 2017):

1. Run the ReLU MLP on calibration inputs (values in [0, 1], the rate
   encoder's range) and take each layer's activation scale ``lambda_l``: the
   ``percentile`` (default 99.9) of its positive activations (``lambda_0 = 1``,
   the largest input rate).
2. Normalise layer by layer: ``W'_l = W_l * lambda_{l-1} / lambda_l`` and
   ``b'_l = b_l / lambda_l``, so a neuron's activation ``lambda_l`` maps to one
   spike per step.
3. Integrate-and-fire neurons with threshold 1, no leak and reset by
   subtraction (which keeps the residue, so rates track activations).

Assumptions: ReLU hidden layers; the output layer is read out by its summed
counts (``evaluate --readout counts``), so its activation function does not
matter; inputs are rates in [0, 1].  The hardware counts in units of each
layer's full scale ``fs = max|W'|, |b'|``: the threshold becomes
``round(1 / fs)`` count units, exact only when ``1 / fs`` is close to an
integer; :func:`convert_mlp` returns the relative threshold rounding error of
every layer so a user can see it (a layer whose largest weight is below a
tenth of the threshold rounds by under 5%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .conv import Conv
from .network import Layer, Network
from .validate import check_number, layer_arrays

__all__ = ["Conversion", "convert_cnn", "convert_mlp"]


@dataclass(frozen=True, eq=False)
class Conversion:
    """A converted network and what the conversion measured.

    Attributes
    ----------
    network : Network
    scales : tuple of float
        ``lambda_l`` of every layer (the activation that becomes one spike per step).
    threshold_error : tuple of float
        Per layer ``|round(1/fs) - 1/fs| / (1/fs)`` with ``round`` at least 1:
        how far the hardware's threshold is from 1 after rounding to counts.
    """

    network: Network
    scales: tuple[float, ...]
    threshold_error: tuple[float, ...]


def convert_mlp(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray | None],
    calibration: np.ndarray,
    *,
    percentile: float = 99.9,
) -> Conversion:
    """Convert a ReLU MLP (``y = relu(W x + b)`` per hidden layer) to a spiking Network.

    Parameters
    ----------
    weights : list of ndarray, shape (n_out, n_in) each
    biases : list of ndarray (n_out,) or None, one per layer
    calibration : ndarray, shape (samples, n_in)
        Inputs in [0, 1] the activation scales are measured on (a few hundred
        training samples suffice).
    percentile : float
        Percentile of the positive activations taken as a layer's scale.

    Returns
    -------
    Conversion
    """
    arrays = layer_arrays(list(weights))
    if len(biases) != len(arrays):
        raise ValueError(f"biases must number {len(arrays)} (one per layer), not {len(biases)}")
    percentile = check_number(percentile, "percentile", low=0.0, low_open=True)
    if percentile > 100:
        raise ValueError(f"percentile must be in (0, 100], not {percentile!r}")
    x = np.asarray(calibration, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != arrays[0].shape[1] or x.shape[0] == 0:
        raise ValueError(
            f"calibration must have shape (samples, {arrays[0].shape[1]}), not {x.shape}"
        )
    if x.min() < 0 or x.max() > 1:
        raise ValueError("calibration inputs must be in [0, 1] (rates), not outside it")
    return convert_cnn(arrays, biases, x, percentile=percentile)


def convert_cnn(
    layers: Sequence[np.ndarray | tuple[np.ndarray, Conv]],
    biases: Sequence[np.ndarray | None],
    calibration: np.ndarray,
    *,
    percentile: float = 99.9,
) -> Conversion:
    """Convert a ReLU network of convolutions and fully connected layers, as
    :func:`convert_mlp` does (a scale per layer, IF neurons with threshold 1 and
    reset by subtraction); a convolution keeps its kernel and its per-channel bias.

    Parameters
    ----------
    layers : list of ndarray (n_out, n_in) or (kernel, Conv)
        A fully connected layer's weights, or a convolution's kernel
        ``(out_channels, in_channels, kh, kw)`` and geometry; activations are numbered
        channel-major (NIR's ``Flatten``), so a fully connected layer after a
        convolution reads its output as ``(c * H' + y) * W' + x``.
    biases : list of ndarray or None
        One per layer (a convolution's: one per output channel).
    calibration : ndarray, shape (samples, n_in)
        Inputs in [0, 1], channel-major.
    percentile : float

    Returns
    -------
    Conversion
    """
    percentile = check_number(percentile, "percentile", low=0.0, low_open=True)
    if percentile > 100:
        raise ValueError(f"percentile must be in (0, 100], not {percentile!r}")
    if len(biases) != len(layers):
        raise ValueError(f"biases must number {len(layers)} (one per layer), not {len(biases)}")
    activation = np.asarray(calibration, dtype=np.float64)
    if activation.ndim != 2 or activation.min() < 0 or activation.max() > 1:
        raise ValueError("calibration must be (samples, n_in) rates in [0, 1], not otherwise")
    out, scales, errors = [], [], []
    previous = 1.0
    for index, spec in enumerate(layers):
        conv = spec[1] if isinstance(spec, tuple) else None
        w = np.asarray(spec[0] if conv is not None else spec, dtype=np.float64)
        rows = w.shape[0]
        b = np.zeros(rows) if biases[index] is None else np.asarray(biases[index], float)
        if b.shape != (rows,):
            raise ValueError(f"layer {index}: bias must have shape ({rows},), not {b.shape}")
        if conv is not None:
            per = conv.n_out // conv.out_channels
            activation = conv.apply(w, activation) + np.repeat(b, per)
        else:
            activation = activation @ w.T + b
        activation = np.maximum(activation, 0.0)
        positive = activation[activation > 0]
        scale = float(np.percentile(positive, percentile)) if positive.size else 1.0
        w_norm, b_norm = w * previous / scale, b / scale
        full = max(float(np.abs(w_norm).max()), float(np.abs(b_norm).max()))
        ratio = 1.0 / full if full > 0 else 1.0
        errors.append(abs(max(1, round(ratio)) - ratio) / ratio)
        out.append(
            Layer(
                w_norm,
                threshold=1.0,
                reset="subtract",
                bias=b_norm if biases[index] is not None else None,
                conv=conv,
            )
        )
        scales.append(scale)
        previous = scale
    return Conversion(Network(tuple(out)), tuple(scales), tuple(errors))
