"""Import a NIR graph (snnTorch, Norse, Sinabs, Rockpool, Lava-DL exports) as a Network.

Every neuron node (``LIF``, ``IF``, ``LI``, ``CubaLIF``, ``CubaLI``) becomes one
layer.  What feeds it is found by walking back through synapse nodes (``Linear``,
``Affine``, ``Scale``, ``Delay``, ``Flatten`` of a 1-D signal) to a neuron node or the
``Input``; several paths into one node are summed (NIR's semantics), so a
neuron node may have several synapse nodes in front of it.  The layers must form
a chain: layer ``l`` is fed by layer ``l - 1`` (the ``Input`` for layer 0) and,
optionally, by its own spikes (a recurrent edge, read one step later: NIR's
graph is continuous, a discrete simulator can only close a loop with one step of
delay).

With the Euler step ``dt`` (``--dt``), per step (NIR's equations, as the NIR
simulators discretise them; README "Neuron models"):

* ``LIF``: ``tau dv/dt = (v_leak - v) + r I``:
  ``v <- v (1 - dt/tau) + (dt/tau) v_leak + (dt/tau) r I``.
  ``leak = dt/tau``, ``drive = (dt/tau) v_leak``, ``(dt/tau) r`` folded into the
  weights and the bias, row by row.
* ``IF``: ``dv/dt = r I``: ``v <- v + dt r I``.
* ``LI``: the ``LIF`` without spikes: an output read by its membrane.
* ``CubaLIF`` / ``CubaLI``: ``tau_syn dI/dt = -I + w_in x`` first, then the
  membrane with the new current: ``I <- I (1 - dt/tau_syn) + (dt/tau_syn) w_in x``,
  ``v <- v (1 - dt/tau_mem) + (dt/tau_mem) (v_leak + r I)``.  The current is
  kept as ``(dt/tau_mem) r I`` so both gains fold into the weights.
* Spike when ``v > v_threshold`` (``strict``); reset to ``v_reset``, or by
  subtracting the threshold with ``reset="subtract"`` (snnTorch's default, which
  NIR cannot tell from ``v_reset = 0``).
* ``Delay`` before the synapses delays each input line (a column), after them each
  neuron's input (a row); delays are ``delay / dt`` steps, rounded later by
  ``quantize_delays``.

Convolutions: a ``Conv2d`` fed directly by a neuron node or the ``Input`` becomes a
convolution layer (:class:`~compress.model.conv.Conv`, its kernel kept, not
unrolled).  A ``SumPool2d`` or ``AvgPool2d`` (non-overlapping windows, no padding)
between a neuron node and a ``Conv2d`` is folded into the convolution's kernel
(exact: both are linear, the composed kernel repeats each weight over the pooling
window, ``1 / window`` for an average); before a ``Flatten`` and an ``Affine`` or
``Linear`` it is folded into that matrix.  ``Flatten`` numbers a ``(C, H, W)`` map
channel-major, as every layer does.  A convolution's neurons may have per-neuron
thresholds, but its gain (``r``, and the leaks) must be one value per channel, as
its kernel is shared.

The time constants of one node must be equal across its neurons (a layer has one
leak).  Anything else (``Threshold``, skip connections, recurrence into an earlier
layer, a convolution after other synapse nodes) is refused with the node's name,
its type and what would be needed.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .conv import Conv, pool_matrix
from .network import Layer, Network

__all__ = ["NEURONS", "SYNAPSES", "import_nir", "read_nir"]

#: Synapse nodes: walked through to the neuron or input that feeds them.
SYNAPSES = ("Affine", "Linear", "Scale", "Delay", "Flatten", "Conv2d", "SumPool2d", "AvgPool2d")
#: Neuron nodes: one layer each.
NEURONS = ("LIF", "IF", "LI", "CubaLIF", "CubaLI")
#: What a node type would need, for the refusal.
_NEEDS = {
    "Conv1d": "a 1-D convolution layer (only Conv2d is imported)",
    "Threshold": "a neuron node to carry it (use LIF or IF)",
    "I": "a neuron node (an integrator alone has no spikes)",
}
#: Relative spread allowed between the time constants of one node's neurons.
_SAME = 1e-6


def read_nir(path: str | os.PathLike[str], **options: Any) -> Network:
    """Read a ``.nir`` file (HDF5, the ``nir`` package) and :func:`import_nir` it."""
    try:
        import nir
    except ImportError:
        raise ValueError(
            "NIR import needs the nir package (pip install 'sc-compress[nir]'), not missing"
        ) from None
    try:
        graph = nir.read(Path(path))
    except Exception as exc:  # h5py and nir raise many kinds
        raise ValueError(f"NIR file must be readable by nir.read, not: {exc}") from None
    return import_nir(graph, **options)


@dataclass
class _Path:
    """A linear map from a source node's output into a node's input: ``W x + bias``,
    every path from source line ``j`` to target line ``i`` delayed ``delays[i, j]``.
    ``pool``: the map is so far only a pooling of a ``(C, H, W)`` map, ``(in_shape,
    kernel, stride, scale)``, which a ``Conv2d`` after it folds into its kernel."""

    weight: np.ndarray
    bias: np.ndarray
    delays: np.ndarray | None = None
    names: list[str] = field(default_factory=list)
    pool: tuple | None = None


@dataclass
class _ConvPath:
    """A convolution of a source node's output: ``conv`` with ``kernel``, plus ``bias``
    per output channel."""

    conv: Conv
    kernel: np.ndarray
    bias: np.ndarray
    names: list[str] = field(default_factory=list)

    @property
    def delays(self) -> None:
        return None


def _shape_of(name: str, node: Any) -> tuple[int, ...]:
    """A node's input shape from its ``input_type``."""
    types = getattr(node, "input_type", None) or {}
    shape = tuple(int(v) for v in np.asarray(types.get("input", [])).reshape(-1))
    if not shape:
        raise ValueError(f"NIR node {name!r}: input_type must give the input's shape, not none")
    return shape


def _identity(path: _Path) -> bool:
    n = path.weight.shape[0]
    return (
        path.weight.shape == (n, n)
        and path.delays is None
        and not path.bias.any()
        and np.array_equal(path.weight, np.eye(n))
    )


def _conv(name: str, node: Any, path: _Path) -> _ConvPath:
    """``Conv2d`` ``node`` after ``path``: an identity or one pooling only."""
    kernel = np.asarray(node.weight, dtype=np.float64)
    if kernel.ndim != 4:
        raise ValueError(f"NIR node {name!r}: weight must be 4-D, not shape {kernel.shape}")
    shape = _shape_of(name, node)
    if len(shape) != 3:
        raise ValueError(f"NIR node {name!r}: Conv2d input must be (C, H, W), not {shape}")
    for attr in ("stride", "padding", "dilation"):
        if isinstance(getattr(node, attr), str):
            raise ValueError(
                f"NIR node {name!r}: {attr} must be integers, not {getattr(node, attr)!r}"
            )
    groups = int(np.asarray(node.groups).reshape(-1)[0]) if np.size(node.groups) else 1
    conv = Conv(
        shape, kernel.shape[0], kernel.shape[2:], node.stride, node.padding, node.dilation, groups
    )
    if conv.kernel_shape != kernel.shape:
        raise ValueError(
            f"NIR node {name!r}: weight must have shape {conv.kernel_shape}, not {kernel.shape}"
        )
    bias = np.zeros(kernel.shape[0]) if getattr(node, "bias", None) is None else _flat(node.bias)
    if bias.shape != (kernel.shape[0],):
        raise ValueError(
            f"NIR node {name!r}: bias must have shape ({kernel.shape[0]},), not {bias.shape}"
        )
    if path.pool is not None:
        in_shape, window, stride, scale = path.pool
        try:
            conv, kernel = conv.after_sum_pool(kernel * scale, window, stride)
        except ValueError as exc:
            raise ValueError(f"NIR node {name!r}: {exc}") from None
        if tuple(in_shape) != conv.in_shape:
            raise ValueError(
                f"NIR node {name!r}: its input {shape} must be the pooled map of "
                f"{tuple(in_shape)} (pooling {window}), not another shape"
            )
    elif not _identity(path):
        raise ValueError(
            f"NIR node {name!r}: a Conv2d must be fed by a neuron node, the Input or one "
            f"pooling, not through {', '.join(path.names)}"
        )
    return _ConvPath(conv, kernel, bias, [*path.names, name])


def _pool(name: str, node: Any, path: _Path) -> _Path:
    """``SumPool2d`` / ``AvgPool2d`` ``node`` after an identity path."""
    shape = _shape_of(name, node)
    window = tuple(int(v) for v in np.broadcast_to(_flat(node.kernel_size), (2,)))
    stride = tuple(int(v) for v in np.broadcast_to(_flat(node.stride), (2,)))
    if len(shape) != 3 or not _identity(path) or np.any(_flat(node.padding)):
        raise ValueError(
            f"NIR node {name!r}: a pooling must take a (C, H, W) map straight from a neuron "
            f"node, without padding, not shape {shape}"
            + (f" through {', '.join(path.names)}" if path.names else "")
        )
    scale = 1.0 / (window[0] * window[1]) if _kind(node) == "AvgPool2d" else 1.0
    weight = pool_matrix(shape, window, stride, scale)
    pool = (shape, window, stride, scale)
    return _Path(weight, np.zeros(weight.shape[0]), None, [*path.names, name], pool)


def _kind(node: Any) -> str:
    return type(node).__name__


def _flat(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64).reshape(-1)


def _apply(name: str, node: Any, path: _Path | _ConvPath) -> _Path | _ConvPath:
    """``path`` followed by synapse node ``node``."""
    kind = _kind(node)
    if isinstance(path, _ConvPath):
        raise ValueError(
            f"NIR node {name!r}: a Conv2d ({path.names[-1]!r}) must feed a neuron node "
            f"directly, not a {kind}"
        )
    if kind == "Conv2d":
        return _conv(name, node, path)
    if kind in ("SumPool2d", "AvgPool2d"):
        return _pool(name, node, path)
    n = path.weight.shape[0]
    if kind in ("Linear", "Affine"):
        a = np.asarray(node.weight, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != n:
            raise ValueError(
                f"NIR node {name!r}: weight must be 2-D with {n} columns, not shape {a.shape}"
            )
        bias = a @ path.bias
        if kind == "Affine":
            b = _flat(node.bias)
            if b.shape != (a.shape[0],):
                raise ValueError(
                    f"NIR node {name!r}: bias must have shape ({a.shape[0]},), not {b.shape}"
                )
            bias = bias + b
        delays = None
        if path.delays is not None:  # every row feeding one output must agree on its delay
            delays = np.zeros((a.shape[0], path.weight.shape[1]))
            for k in range(a.shape[0]):
                for j in range(path.weight.shape[1]):
                    reach = (a[k] != 0) & (path.weight[:, j] != 0)
                    values = path.delays[reach, j]
                    if values.size and np.any(values != values[0]):
                        raise ValueError(
                            f"NIR node {name!r}: a {kind} after a Delay must not mix paths of "
                            "different delays from one line, not it does"
                        )
                    delays[k, j] = values[0] if values.size else 0
        return _Path(a @ path.weight, bias, delays, [*path.names, name])
    if kind == "Scale":
        s = np.broadcast_to(_flat(node.scale), (n,))
        delays = path.delays
        return _Path(path.weight * s[:, None], path.bias * s, delays, [*path.names, name])
    if kind == "Delay":
        d = np.broadcast_to(_flat(node.delay), (n,))
        base = np.zeros(path.weight.shape) if path.delays is None else path.delays
        return _Path(path.weight, path.bias, base + d[:, None], [*path.names, name])
    if kind == "Flatten":  # channel-major, as every layer numbers its neurons
        return dataclasses.replace(path, names=[*path.names, name], pool=None)
    raise AssertionError(kind)


def _inputs(graph: Any, name: str, seen: tuple[str, ...] = ()) -> dict:
    """Every neuron or Input node that feeds ``name`` through synapse nodes: ``{source:
    _Path into name's input}``, the paths from one source summed."""
    nodes = graph.nodes
    sources = [src for src, dst in graph.edges if dst == name]
    out: dict[str, _Path] = {}
    for src in sources:
        node = nodes[src]
        kind = _kind(node)
        if kind in SYNAPSES:
            if src in seen:
                raise ValueError(
                    f"NIR node {src!r} must not be on a cycle of synapse nodes alone, not it is "
                    "(a recurrent edge must pass through a neuron node)"
                )
            for source, path in _inputs(graph, src, (*seen, src)).items():
                _merge(out, source, _apply(src, node, path))
        elif kind in NEURONS or kind == "Input":
            n = _width(graph, src)
            _merge(out, src, _Path(np.eye(n), np.zeros(n)))
        else:
            _refuse(src, kind)
    return out


def _merge(out: dict, source: str, path: _Path | _ConvPath) -> None:
    if source not in out:
        out[source] = path
        return
    old = out[source]
    if isinstance(old, _ConvPath) or isinstance(path, _ConvPath):
        raise ValueError(
            f"NIR node {path.names[-1]!r}: a convolution from {source!r} must be its only "
            "path into a neuron node, not one of several"
        )
    if old.weight.shape != path.weight.shape:
        raise ValueError(
            f"NIR node {path.names[-1] if path.names else source!r}: paths from {source!r} "
            f"must have one shape, not {old.weight.shape} and {path.weight.shape}"
        )
    delays = old.delays
    if path.delays is not None or old.delays is not None:
        a = np.zeros(old.weight.shape) if old.delays is None else old.delays
        b = np.zeros(old.weight.shape) if path.delays is None else path.delays
        both = (old.weight != 0) & (path.weight != 0)
        if np.any(a[both] != b[both]):
            raise ValueError(
                f"NIR node {path.names[-1]!r}: two paths from {source!r} must not reach one "
                "synapse with different delays, not they do"
            )
        delays = np.where(old.weight != 0, a, b)
    out[source] = _Path(
        old.weight + path.weight, old.bias + path.bias, delays, old.names + path.names
    )


def _width(graph: Any, name: str, seen: frozenset = frozenset()) -> int:
    """Width of node ``name``'s output: from its parameters, or from what feeds it."""
    node = graph.nodes[name]
    kind = _kind(node)
    if kind == "Input":
        shape = np.asarray(node.input_type.get("input", [])).reshape(-1)
        if shape.size:
            return int(np.prod(shape))
        for src, dst in graph.edges:  # an untyped Input: the columns of what it feeds
            if src == name and _kind(graph.nodes[dst]) in ("Linear", "Affine"):
                return int(np.asarray(graph.nodes[dst].weight).shape[1])
        raise ValueError(f"NIR node {name!r}: Input must give its shape, not none")
    if kind in ("Linear", "Affine"):
        return int(np.asarray(node.weight).shape[0])
    for attr in ("v_threshold", "tau", "tau_mem", "r", "scale", "delay"):
        if hasattr(node, attr) and np.asarray(getattr(node, attr)).size > 1:
            return int(np.asarray(getattr(node, attr)).size)
    widths = {
        _width(graph, src, seen | {name})
        for src, dst in graph.edges
        if dst == name and src not in seen and src != name
    }
    if len(widths) != 1:
        raise ValueError(
            f"NIR node {name!r}: its width must follow from its inputs, not "
            f"{sorted(widths) or 'none'}"
        )
    return widths.pop()


def _refuse(name: str, kind: str) -> None:
    need = _NEEDS.get(kind) or "a mapping to hardware that sc-compress does not have"
    supported = ", ".join((*SYNAPSES, *NEURONS))
    raise ValueError(
        f"NIR node {name!r} must be one of Input, Output, {supported}, not {kind} "
        f"(it would need {need})"
    )


def _constant(name: str, node: Any, attr: str, n: int) -> float:
    """One value of ``attr`` for the whole node (a layer has one leak)."""
    value = np.broadcast_to(_flat(getattr(node, attr)), (n,))
    if not np.all(np.isfinite(value) & (value > 0)):
        bad = float(value[~(np.isfinite(value) & (value > 0))][0])
        raise ValueError(f"NIR node {name!r}: {attr} must be positive and finite, not {bad!r}")
    if np.ptp(value) > _SAME * value.max():
        raise ValueError(
            f"NIR node {name!r}: {attr} must be one value for all {n} neurons, not "
            f"{float(value.min())!r}..{float(value.max())!r} (a layer has one leak)"
        )
    return float(value[0])


def _vector(name: str, node: Any, attr: str, n: int, default: float = 0.0) -> np.ndarray:
    value = getattr(node, attr, None)
    arr = np.broadcast_to(_flat(default if value is None else value), (n,))
    if not np.isfinite(arr).all():
        raise ValueError(
            f"NIR node {name!r}: {attr} must be finite, not {arr[~np.isfinite(arr)][0]!r}"
        )
    return arr


def _fraction(name: str, tau: float, dt: float, attr: str) -> float:
    fraction = dt / tau
    if fraction > 1:
        raise ValueError(
            f"NIR node {name!r}: {attr} must be at least dt={dt!r} (one Euler step), not {tau!r}"
        )
    return fraction


def _neuron(name: str, node: Any, n: int, dt: float) -> dict[str, Any]:
    """The Layer fields of neuron node ``node`` and the gain folded into its weights."""
    kind = _kind(node)
    fields: dict[str, Any] = {"strict": True}
    if kind == "IF":
        gain = _vector(name, node, "r", n, 1.0) * dt
    elif kind in ("LIF", "LI"):
        f = _fraction(name, _constant(name, node, "tau", n), dt, "tau")
        gain = _vector(name, node, "r", n, 1.0) * f
        fields.update(leak=f, drive=f * _vector(name, node, "v_leak", n))
    else:  # CubaLIF, CubaLI
        fs = _fraction(name, _constant(name, node, "tau_syn", n), dt, "tau_syn")
        fm = _fraction(name, _constant(name, node, "tau_mem", n), dt, "tau_mem")
        r = _vector(name, node, "r", n, 1.0)
        w_in = _vector(name, node, "w_in", n, 1.0)
        gain = fs * w_in * fm * r
        fields.update(leak=fm, syn_leak=fs, drive=fm * _vector(name, node, "v_leak", n))
    if kind in ("LI", "CubaLI"):
        fields["spiking"] = False
    else:
        threshold = _vector(name, node, "v_threshold", n, 1.0)
        if np.any(threshold <= 0):
            raise ValueError(
                f"NIR node {name!r}: v_threshold must be positive, not {float(threshold.min())!r}"
            )
        fields.update(threshold=threshold, v_reset=_vector(name, node, "v_reset", n))
    if "drive" in fields and not np.any(fields["drive"]):
        del fields["drive"]
    return {"fields": fields, "gain": gain}


def import_nir(
    graph: Any, *, dt: float = 1.0, reset: str | None = None, frac_bits: int | None = None
) -> Network:
    """Map a NIR graph to a :class:`Network` (see the module docstring for the rules).

    Parameters
    ----------
    graph : nir.NIRGraph
    dt : float
        Euler time step of the hardware's step, in the graph's time unit.
    reset : {"zero", "subtract"}, optional
        ``"subtract"``: reset by subtracting the threshold (snnTorch's default);
        otherwise to ``v_reset``.
    frac_bits : int, optional
        Fractional bits of every layer's membrane (default: chosen per layer).

    Returns
    -------
    Network
    """
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, not {dt!r}")
    if reset not in (None, "zero", "subtract"):
        raise ValueError(f"reset must be 'zero' or 'subtract', not {reset!r}")
    nodes = graph.nodes
    for name, node in nodes.items():
        kind = _kind(node)
        if kind not in ("Input", "Output", *SYNAPSES, *NEURONS):
            _refuse(name, kind)
    inputs = [name for name, node in nodes.items() if _kind(node) == "Input"]
    outputs = [name for name, node in nodes.items() if _kind(node) == "Output"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f"NIR graph must have one Input and one Output node, not {len(inputs)} and "
            f"{len(outputs)}"
        )
    feeds_of = {
        name: _inputs(graph, name) for name, node in nodes.items() if _kind(node) in NEURONS
    }
    order = _chain(graph, inputs[0], outputs[0], feeds_of)
    layers = []
    previous = inputs[0]
    for name in order:
        node = nodes[name]
        n = _width(graph, name)
        feeds = dict(feeds_of[name])
        forward = feeds.pop(previous, None)
        loop = feeds.pop(name, None)
        if forward is None or feeds:
            other = next(iter(feeds), previous)
            raise ValueError(
                f"NIR node {name!r} must be fed by {previous!r} (and optionally itself), not "
                f"{other!r} (skip connections and recurrence into an earlier layer are not "
                "supported)"
            )
        if _kind(node) in ("LI", "CubaLI") and (name != order[-1] or loop is not None):
            raise ValueError(
                f"NIR node {name!r}: {_kind(node)} must be the output layer without a "
                "recurrent edge, not feed spikes on (its output is a membrane; a spiking "
                "layer needs LIF or CubaLIF)"
            )
        layers.append(_layer(name, node, n, forward, loop, dt, reset, frac_bits))
        previous = name
    return Network(tuple(layers))


def _chain(graph: Any, start: str, end: str, feeds_of: dict[str, dict]) -> list[str]:
    """The neuron nodes (the keys of ``feeds_of``, each with what feeds it) in order, each
    fed by the one before (the Input for the first); the Output must be fed by the last
    directly."""
    nodes = graph.nodes
    neurons = list(feeds_of)
    if not neurons:
        raise ValueError(
            "NIR graph must hold at least one neuron node (LIF, IF, LI, CubaLIF, CubaLI), not none"
        )
    out_feeds = [src for src, dst in graph.edges if dst == end]
    if len(out_feeds) != 1 or _kind(nodes[out_feeds[0]]) not in NEURONS:
        what = out_feeds[0] if out_feeds else "nothing"
        kind = _kind(nodes[what]) if out_feeds else ""
        raise ValueError(
            f"NIR node {end!r}: Output must be fed by one neuron node, not {what!r} {kind} "
            "(synapses must feed a neuron node, not the output)"
        )
    feeders = {name: set(feeds) - {name} for name, feeds in feeds_of.items()}
    order, current = [], start
    while len(order) < len(neurons):
        nxt = [name for name in neurons if current in feeders[name] and name not in order]
        if len(nxt) != 1:
            if not nxt:
                break
            raise ValueError(
                f"NIR node {current!r} must feed one neuron node, not {len(nxt)} "
                f"({', '.join(sorted(nxt))}): branches are not supported"
            )
        order.append(nxt[0])
        current = nxt[0]
    unused = [name for name in neurons if name not in order]
    if unused:
        raise ValueError(
            f"NIR node {unused[0]!r} must be on the chain from {start!r} to {end!r}, not off it"
        )
    if order[-1] != out_feeds[0]:
        raise ValueError(
            f"NIR node {end!r}: Output must be fed by the last layer {order[-1]!r}, "
            f"not {out_feeds[0]!r}"
        )
    return order


def _layer(
    name: str,
    node: Any,
    n: int,
    forward: _Path,
    loop: _Path | None,
    dt: float,
    reset: str | None,
    frac_bits: int | None,
) -> Layer:
    if isinstance(forward, _ConvPath):
        return _conv_layer(name, node, n, forward, loop, dt, reset, frac_bits)
    if forward.weight.shape[0] != n:
        raise ValueError(
            f"NIR node {name!r}: {_kind(node)} of {n} neurons must be fed {n} lines, "
            f"not {forward.weight.shape[0]}"
        )
    neuron = _neuron(name, node, n, dt)
    gain = neuron["gain"][:, None]
    bias = forward.bias + (0 if loop is None else loop.bias)
    delays = None if forward.delays is None else forward.delays / dt
    if loop is not None and loop.delays is not None and np.any(loop.delays):
        raise ValueError(
            f"NIR node {name!r}: a recurrent edge must not hold a Delay, not "
            f"{float(loop.delays.max())!r} (the loop's one step is its delay)"
        )
    fields = neuron["fields"]
    if reset is not None:
        fields["reset"] = reset
    return Layer(
        forward.weight * gain,
        delays=delays,
        bias=(bias * gain[:, 0]) if np.any(bias) else None,
        recurrent=None if loop is None else loop.weight * gain,
        frac_bits=frac_bits,
        **fields,
    )


def _conv_layer(
    name: str,
    node: Any,
    n: int,
    forward: _ConvPath,
    loop: Any,
    dt: float,
    reset: str | None,
    frac_bits: int | None,
) -> Layer:
    """A convolution layer: the kernel and bias scaled by the neurons' gain, one per
    output channel (the kernel is shared across positions)."""
    conv = forward.conv
    if conv.n_out != n:
        raise ValueError(
            f"NIR node {name!r}: {_kind(node)} of {n} neurons must be fed the {conv.n_out} "
            f"outputs {conv.out_shape} of {forward.names[-1]!r}, not another number"
        )
    if loop is not None:
        raise ValueError(
            f"NIR node {name!r}: a convolution layer must not have a recurrent edge, not one"
        )
    neuron = _neuron(name, node, n, dt)
    gain = neuron["gain"].reshape(conv.out_channels, -1)
    if np.ptp(gain, axis=1).max() > _SAME * np.abs(gain).max():
        raise ValueError(
            f"NIR node {name!r}: its gain (r, dt/tau) must be one value per channel for a "
            "convolution (the kernel is shared), not vary across positions"
        )
    gain = gain[:, 0]
    fields = neuron["fields"]
    if reset is not None:
        fields["reset"] = reset
    bias = forward.bias * gain
    return Layer(
        forward.kernel * gain[:, None, None, None],
        bias=bias if np.any(bias) else None,
        conv=conv,
        frac_bits=frac_bits,
        **fields,
    )
