"""The bit-exact golden model (SPEC section 4): the one source of truth.

Given a :class:`~compress.plan.NetworkPlan` and input spikes of shape
``(steps, n_in)``, :func:`simulate` returns every layer's signed counts
``c_i(t)``, membranes and spikes.  It is vectorised over synapses (each step
is a handful of numpy operations over all synapses of a layer) and over
neurons; layers run one after the other because a layer's spikes at step
``t`` are the next layer's inputs at step ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .plan import CONSTANT, DROPPED, LayerPlan, NetworkPlan

__all__ = ["Trace", "layer_counts", "neuron_update", "simulate"]


@dataclass(frozen=True, eq=False)
class Trace:
    """What every layer computed at every step.

    Attributes
    ----------
    counts : list of ndarray of int64, shape (steps, n_out)
        Signed counts ``c_i(t)``.
    membranes : list of ndarray of int64, shape (steps, n_out)
        Membrane after the step's update (after reset).
    spikes : list of ndarray of bool, shape (steps, n_out)
    """

    counts: list[np.ndarray]
    membranes: list[np.ndarray]
    spikes: list[np.ndarray]


def layer_counts(layer: LayerPlan, inputs: np.ndarray) -> np.ndarray:
    """Signed counts of one layer for input spikes ``(steps, n_inputs)``.

    With a bias the always-on line (1 at every step) is appended as line ``n_in - 1``.
    """
    steps = inputs.shape[0]
    if layer.bias:
        inputs = np.hstack([inputs, np.ones((steps, 1), dtype=inputs.dtype)])
    classes = layer.classes
    neuron, line = np.nonzero(classes != DROPPED)
    sign = layer.signs[neuron, line].astype(np.int64)
    code = layer.codes[neuron, line]
    delay = layer.delays[neuron, line]
    stream = layer.streams[neuron, line]
    constant = classes[neuron, line] == CONSTANT
    tables = layer.stream_tables()
    period = layer.max_code
    depth = int(delay.max()) if delay.size else 0
    padded = np.zeros((steps + depth, layer.n_in), dtype=np.int64)
    padded[depth:] = inputs
    stream_safe = np.where(constant, 0, stream)
    out = np.zeros((steps, layer.n_out), dtype=np.int64)
    for t in range(steps):
        x = padded[t + depth - delay, line]
        if tables.shape[0]:
            r = tables[stream_safe, t % period]
            bit = constant | (r <= code)
        else:
            bit = constant
        out[t] = np.bincount(neuron, weights=sign * x * bit, minlength=layer.n_out)
    return out


def neuron_update(layer: LayerPlan, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer LIF over all steps: ``(membranes, spikes)`` for ``counts``."""
    steps = counts.shape[0]
    theta = np.asarray(layer.thresholds, dtype=np.int64)
    high = (1 << (layer.v_width - 1)) - 1
    low = -(1 << (layer.v_width - 1))
    v = np.zeros(layer.n_out, dtype=np.int64)
    membranes = np.empty((steps, layer.n_out), dtype=np.int64)
    spikes = np.empty((steps, layer.n_out), dtype=bool)
    for t in range(steps):
        if layer.leak_shift is not None:
            v = v - (v >> layer.leak_shift)
        v = np.clip(v + counts[t], low, high)
        fire = v >= theta
        if layer.reset == "subtract":
            v = np.where(fire, v - theta, v)
        else:
            v = np.where(fire, 0, v)
        membranes[t] = v
        spikes[t] = fire
    return membranes, spikes


def simulate(plan: NetworkPlan, spikes: np.ndarray) -> Trace:
    """Run the golden model.

    Parameters
    ----------
    plan : NetworkPlan
    spikes : array_like of bool or {0, 1}, shape (steps, n_in)
        Input spikes, one row per step; history before step 0 is 0.

    Returns
    -------
    Trace
    """
    x = np.asarray(spikes)
    if x.ndim != 2 or x.shape[1] != plan.n_in:
        raise ValueError(f"spikes must have shape (steps, {plan.n_in}), not {x.shape}")
    if not np.isin(x, (0, 1)).all():
        raise ValueError("spikes must be 0 or 1, not other values")
    x = x.astype(np.int64)
    counts, membranes, outs = [], [], []
    for layer in plan.layers:
        c = layer_counts(layer, x)
        v, s = neuron_update(layer, c)
        counts.append(c)
        membranes.append(v)
        outs.append(s)
        x = s.astype(np.int64)
    return Trace(counts, membranes, outs)
