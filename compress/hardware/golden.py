"""The bit-exact golden model (SPEC section 4): the one source of truth.

Given a :class:`~compress.hardware.plan.NetworkPlan` and input spikes of shape
``(steps, n_in)`` or ``(batch, steps, n_in)``, :func:`simulate` returns every
layer's signed counts ``c_i(t)``, membranes and spikes.  Each step of a layer
is one matrix product per delay value (the step's signed weight bits against
the batch's delayed inputs); layers run one after the other because a layer's
spikes at step ``t`` are the next layer's inputs at step ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .neuron import neuron_step
from .plan import CONSTANT, DROPPED, LayerPlan, NetworkPlan

__all__ = [
    "Trace",
    "expected",
    "layer_counts",
    "neuron_update",
    "readout",
    "run",
    "simulate",
]


@dataclass(frozen=True, eq=False)
class Trace:
    """What every layer computed at every step.

    Attributes
    ----------
    counts : list of ndarray of int64, shape (steps, n_out) or (batch, steps, n_out)
        Signed counts ``c_i(t)``.
    membranes : list of ndarray of int64, same shapes
        Membrane after the step's update (after reset).
    spikes : list of ndarray of bool, same shapes
    """

    counts: list[np.ndarray]
    membranes: list[np.ndarray]
    spikes: list[np.ndarray]


def layer_counts(layer: LayerPlan, inputs: np.ndarray) -> np.ndarray:
    """Signed counts of one layer for input spikes ``(batch, steps, n_inputs)``.

    With a bias the always-on line (1 at every step) is appended as line ``n_in - 1``.
    A convolution layer's are :func:`_conv_counts`.  Otherwise, per step ``t`` and
    delay value ``d`` the counts are ``x(t - d) @ W_d(t).T``,
    where ``W_d(t)[i, j]`` is synapse ``(i, j)``'s signed weight bit ``s_ij b_ij(t)``
    (1 for constants, ``[r_ij(t) <= m_ij * code_scale]`` for stochastic synapses) if its delay
    is ``d``, else 0; history before step 0 is 0.  The products are float32
    sums of at most ``n_in`` terms of +-1: exact.  Returns int64
    ``(batch, steps, n_out)``.
    """
    if layer.conv is not None:
        return _conv_counts(layer, inputs)
    batch, steps, _ = inputs.shape
    x = inputs.astype(np.float32)
    if layer.bias:
        x = np.concatenate([x, np.ones((batch, steps, 1), dtype=np.float32)], axis=2)
    classes = layer.classes
    period = layer.period
    out = np.zeros((batch, steps, layer.n_out), dtype=np.float32)
    tables = layer.stream_tables()
    phases = np.arange(min(steps, period))
    for delay in sorted(set(layer.delays[classes != DROPPED].tolist())):
        neuron, line = np.nonzero((classes != DROPPED) & (layer.delays == delay))
        values = _signed_bits(layer, neuron, line, phases, tables).astype(np.float32)
        matrix = np.zeros((layer.n_out, layer.n_in), dtype=np.float32)
        for t in range(delay, steps):
            matrix[neuron, line] = values[t % period]
            out[:, t] += x[:, t - delay] @ matrix.T
    return out.astype(np.int64)


def _patches(layer: LayerPlan, x: np.ndarray) -> np.ndarray:
    """A convolution layer's input taps: ``x`` ``(..., n_inputs)`` gathered into
    ``(..., positions, taps)`` (0 in the padding; groups are 1 in hardware)."""
    conv = layer.conv
    _, oh, ow = conv.out_shape
    taps = conv.taps()[: oh * ow]
    padded = np.concatenate([x, np.zeros((*x.shape[:-1], 1), dtype=x.dtype)], axis=-1)
    return padded[..., taps]


def _conv_apply(layer: LayerPlan, x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``(..., n_out)``: the convolution of ``x`` ``(..., n_inputs)`` with the kernel rows
    ``kernel`` ``(out_channels, taps [+ 1])`` (a bias column adds to every position)."""
    n_taps = layer.conv.n_taps
    out = _patches(layer, x) @ kernel[:, :n_taps].T.astype(x.dtype)  # (..., positions, C)
    if layer.bias:
        out = out + kernel[:, n_taps].astype(x.dtype)
    return np.swapaxes(out, -1, -2).reshape(*x.shape[:-1], layer.n_out)


def _conv_counts(layer: LayerPlan, inputs: np.ndarray) -> np.ndarray:
    """Signed counts of a convolution layer: per step ``t`` the convolution of ``x(t)``
    with the kernel of signed weight bits ``s b(t)`` (a synapse reads its kernel weight's
    stream), exact float32 sums of +-1.  Returns int64 ``(batch, steps, n_out)``."""
    batch, steps, _ = inputs.shape
    x = inputs.astype(np.float32)
    neuron, line = np.nonzero(layer.classes != DROPPED)
    phases = np.arange(min(steps, layer.period))
    values = _signed_bits(layer, neuron, line, phases, layer.stream_tables()).astype(np.float32)
    out = np.zeros((batch, steps, layer.n_out), dtype=np.float32)
    kernel = np.zeros(layer.codes.shape, dtype=np.float32)
    for t in range(steps):
        kernel[neuron, line] = values[t % layer.period]
        out[:, t] = _conv_apply(layer, x[:, t], kernel)
    return out.astype(np.int64)


def _signed_bits(
    layer: LayerPlan, neuron: np.ndarray, line: np.ndarray, phases: np.ndarray, tables
) -> np.ndarray:
    """``s_ij b_ij(t)`` of the synapses ``(neuron, line)`` at every phase: int64
    ``(phases, synapses)`` (1 for constants, ``[r_ij(t) <= level]`` for stochastic ones)."""
    classes = layer.classes[neuron, line]
    sign = layer.signs[neuron, line].astype(np.int64)
    constant = classes == CONSTANT
    if tables.shape[0]:
        stream = np.where(constant, 0, layer.streams[neuron, line])
        r = tables[stream][:, phases].T
        bits = constant[None, :] | (r <= layer.levels[neuron, line][None, :])
    else:
        bits = np.broadcast_to(constant[None, :], (phases.size, neuron.size))
    return bits * sign[None, :]


def neuron_update(layer: LayerPlan, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fixed-point neuron (:mod:`compress.hardware.neuron`) over all steps:
    ``(membranes, spikes)`` for ``counts``.

    ``counts`` is ``(steps, n_out)`` or ``(batch, steps, n_out)``; the results
    have its shape.
    """
    batched = counts.ndim == 3
    c = counts if batched else counts[None]
    v = np.zeros((c.shape[0], layer.n_out), dtype=np.int64)
    i = np.zeros_like(v)
    membranes = np.empty(c.shape, dtype=np.int64)
    spikes = np.empty(c.shape, dtype=bool)
    for t in range(c.shape[1]):
        v, i, fire = _step(layer, v, i, c[:, t])
        membranes[:, t] = v
        spikes[:, t] = fire
    if not batched:
        return membranes[0], spikes[0]
    return membranes, spikes


def _step(layer: LayerPlan, v: np.ndarray, i: np.ndarray, count: np.ndarray, neuron=None):
    """One neuron step of ``layer`` (``neuron``: its arithmetic, by default the layer's)."""
    return neuron_step(
        neuron or layer.neuron,
        v=v,
        i=i,
        count=count,
        thetas=np.asarray(layer.thresholds, dtype=np.int64),
        v_width=layer.v_width,
        reset_sub=layer.reset == "subtract",
    )


def _recurrent(layer: LayerPlan, inputs: np.ndarray):
    """``(counts, membranes, spikes)`` of a layer with a recurrent edge: its lines
    ``n_inputs ..`` carry its own spikes of the previous step (0 before step 0), so
    the counts of those synapses are added step by step to the others'."""
    batch, steps, _ = inputs.shape
    n_rec, first = layer.recurrent, layer.n_inputs
    zeros = np.zeros((batch, steps, n_rec), dtype=inputs.dtype)
    counts = layer_counts(layer, np.concatenate([inputs, zeros], axis=2))
    neuron, line = np.nonzero(layer.classes[:, first : first + n_rec] != DROPPED)
    phases = np.arange(min(steps, layer.period))
    values = _signed_bits(layer, neuron, line + first, phases, layer.stream_tables())
    v = np.zeros((batch, layer.n_out), dtype=np.int64)
    i = np.zeros_like(v)
    fire = np.zeros((batch, layer.n_out), dtype=bool)
    membranes = np.empty(counts.shape, dtype=np.int64)
    spikes = np.empty(counts.shape, dtype=bool)
    for t in range(steps):
        matrix = np.zeros((layer.n_out, n_rec), dtype=np.int64)
        matrix[neuron, line] = values[t % layer.period]
        counts[:, t] += fire.astype(np.int64) @ matrix.T
        v, i, fire = _step(layer, v, i, counts[:, t])
        membranes[:, t] = v
        spikes[:, t] = fire
    return counts, membranes, spikes


def simulate(plan: NetworkPlan, spikes: np.ndarray) -> Trace:
    """Run the golden model.

    Parameters
    ----------
    plan : NetworkPlan
    spikes : array_like of bool or {0, 1}, shape (steps, n_in) or (batch, steps, n_in)
        Input spikes, one row per step (per sample with a batch axis); history
        before step 0 is 0.  Samples of a batch are independent runs from reset.

    Returns
    -------
    Trace
        Arrays shaped like ``spikes``: ``(steps, n)`` or ``(batch, steps, n)``.
    """
    x = np.asarray(spikes)
    batched = x.ndim == 3
    if x.ndim not in (2, 3) or x.shape[-1] != plan.n_in:
        raise ValueError(
            f"spikes must have shape (steps, {plan.n_in}) or (batch, steps, {plan.n_in}), "
            f"not {x.shape}"
        )
    if not np.isin(x, (0, 1)).all():
        raise ValueError("spikes must be 0 or 1, not other values")
    x = (x if batched else x[None]).astype(np.int8)
    counts, membranes, outs = [], [], []
    for layer in plan.layers:
        if layer.recurrent:
            c, v, s = _recurrent(layer, x)
        else:
            c = layer_counts(layer, x)
            v, s = neuron_update(layer, c)
        counts.append(c)
        membranes.append(v)
        outs.append(s)
        x = s.astype(np.int8)
    if not batched:
        counts, membranes, outs = ([a[0] for a in arrays] for arrays in (counts, membranes, outs))
    return Trace(counts, membranes, outs)


def run(plan: NetworkPlan, spikes: np.ndarray) -> Trace:
    """:func:`simulate` as the top runs it: with a class readout the network restarts
    from reset every ``plan.window`` steps, so each window is simulated on its own.

    ``spikes`` is ``(steps, n_in)`` (``steps`` a multiple of the window); the trace
    is ``(steps, n)`` as from :func:`simulate`.
    """
    x = np.asarray(spikes)
    if not plan.window:
        return simulate(plan, x)
    if x.ndim != 2 or x.shape[0] % plan.window:
        raise ValueError(
            f"spikes must be whole windows of {plan.window} steps, not shape {x.shape}"
        )
    trace = simulate(plan, x.reshape(-1, plan.window, x.shape[1]))

    def flat(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [a.reshape(-1, a.shape[-1]) for a in arrays]

    return Trace(flat(trace.counts), flat(trace.membranes), flat(trace.spikes))


def readout(
    plan: NetworkPlan, counts: np.ndarray, membranes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, sums)`` of the class readout, as ``out_class`` and ``out_sums`` give
    them: per window (whole windows of ``(steps, n_out)``), the last layer's ``counts``
    summed (``"argmax"``), its ``membranes`` at the window's last step (``"membrane"``)
    or summed (``"membrane-sum"``), and the argmax of each (lowest index on ties)."""
    if plan.reads_membranes:
        if membranes is None:
            raise ValueError(f"membranes must be given for the {plan.readout!r} readout, not None")
        values = np.asarray(membranes).reshape(-1, plan.window, plan.n_out)
        sums = values[:, -1] if plan.readout == "membrane" else values.sum(axis=1)
    else:
        sums = np.asarray(counts).reshape(-1, plan.window, plan.n_out).sum(axis=1)
    return sums.argmax(axis=1), sums


def expected(plan: NetworkPlan, spikes: np.ndarray) -> Trace:
    """The expected-value model: :func:`simulate` with every synapse's weight bits
    replaced by their exact mean ``s m / M`` (1 for constants), so the counts are the
    exact weighted sums of the quantized weights; each step's count is rounded to the
    membrane's ``2**-F`` grid and the neuron arithmetic is the hardware's.

    What the fixed-point neurons compute without the random streams: compare it with
    a float simulation of the source graph to see the error of ``F``, the leaks and
    the constants alone.  ``counts`` are floats (count units); ``spikes`` ``(steps, n)``.
    """
    x = np.asarray(spikes, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != plan.n_in:
        raise ValueError(f"spikes must have shape (steps, {plan.n_in}), not {x.shape}")
    counts, membranes, outs = [], [], []
    steps = x.shape[0]
    for layer in plan.layers:
        weight = layer.signs * layer.codes / layer.max_code  # exact means
        lines = np.zeros((steps, layer.n_in))
        lines[:, : layer.n_inputs] = x
        if layer.bias:
            lines[:, -1] = 1.0
        rec = slice(layer.n_inputs, layer.n_inputs + layer.recurrent)
        neuron = replace(layer.neuron, frac_bits=0)  # counts come already on the grid
        by_delay = [(int(d), (layer.delays == d) * weight) for d in np.unique(layer.delays)]
        conv = layer.conv is not None
        v = np.zeros((1, layer.n_out), dtype=np.int64)
        i = np.zeros_like(v)
        fire = np.zeros(layer.n_out, dtype=bool)
        c_all = np.zeros((steps, layer.n_out))
        v_all = np.zeros((steps, layer.n_out), dtype=np.int64)
        s_all = np.zeros((steps, layer.n_out), dtype=bool)
        for t in range(steps):
            if layer.recurrent:
                lines[t, rec] = fire
            if conv:
                c = _conv_apply(layer, lines[t, : layer.n_inputs], weight)
            else:
                c = sum((m @ lines[t - d] for d, m in by_delay if t >= d), np.zeros(layer.n_out))
            c_all[t] = c
            u = np.round(c * 2**layer.neuron.frac_bits).astype(np.int64)[None]
            v, i, f = _step(layer, v, i, u, neuron)
            fire = f[0]
            v_all[t], s_all[t] = v[0], fire
        counts.append(c_all)
        membranes.append(v_all)
        outs.append(s_all)
        x = s_all.astype(np.float64)
    return Trace(counts, membranes, outs)
