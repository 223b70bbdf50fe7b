"""Import a NIR graph (snnTorch, Norse, Sinabs, Rockpool, Lava-DL exports) as a Network.

Supported graphs are chains ``Input -> (Delay) -> Linear|Affine -> (Delay) ->
LIF|IF -> ... -> Output``: one layer per synapse node and neuron node.  The
mapping, with the Euler step ``dt`` (``--dt``):

* NIR's LIF is ``tau dv/dt = (v_leak - v) + r I``; per step
  ``v <- v (1 - dt/tau) + (dt/tau) r I``.  The hardware's leak is
  ``v <- v - (v >>> s)``, so ``dt/tau`` must be ``2**-s`` for one integer
  ``s`` per layer (within :data:`LEAK_TOLERANCE`, relative), or ``tau`` so
  long that ``dt/tau`` is below ``2**-31`` (no leak).  ``(dt/tau) r`` is
  folded into the layer's weights and bias, row by row.
* NIR's IF is ``dv/dt = r I``: no leak, ``dt r`` folded into the weights.
* ``v_leak`` must be 0.  ``v_reset`` must be 0: reset ``"zero"``, or
  ``"subtract"`` with ``reset="subtract"`` (snnTorch writes ``v_reset = 0``
  for its default subtract reset).
* NIR spikes when ``v > v_threshold``; the hardware when ``v >= theta`` in
  count units of the layer's full scale ``fs`` (its largest weight or bias
  magnitude), ``theta = round(threshold / fs)``.  The importer writes
  ``threshold = (floor(v_threshold / fs) + 1) * fs``, so the hardware's
  ``>=`` fires exactly when NIR's ``>`` would on the integer membrane
  (compression that removes the largest weight changes ``fs``).
* ``Delay`` before the synapses delays each input line (a column of the delay
  matrix), after them each neuron's input (a row); delays are ``delay / dt``
  steps, rounded later by ``quantize_delays``.

Anything else (convolutions, pooling, CubaLIF, recurrent edges, branches, Scale,
Threshold) is refused with the node's name and type.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .network import Layer, Network

__all__ = ["LEAK_TOLERANCE", "import_nir", "read_nir"]

#: Largest relative error between ``dt/tau`` and the hardware's ``2**-s``.
LEAK_TOLERANCE = 0.02

_SYNAPSES = ("Affine", "Linear")
_NEURONS = ("LIF", "IF")


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


def _chain(graph: Any) -> list[tuple[str, Any]]:
    """The nodes from the input to the output, in order; refuses branches and cycles."""
    nodes, edges = graph.nodes, list(graph.edges)
    targets: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for src, dst in edges:
        targets.setdefault(src, []).append(dst)
        sources.setdefault(dst, []).append(src)
    starts = [name for name, node in nodes.items() if type(node).__name__ == "Input"]
    if len(starts) != 1:
        raise ValueError(f"NIR graph must have one Input node, not {len(starts)}")
    chain, name, seen = [], starts[0], set()
    while True:
        if name in seen:
            raise ValueError(
                f"NIR node {name!r} must not be on a cycle (recurrent edge), not it is"
            )
        seen.add(name)
        chain.append((name, nodes[name]))
        following = targets.get(name, [])
        if len(following) > 1 or len(sources.get(name, [])) > 1:
            raise ValueError(
                f"NIR node {name!r} must be on a single chain, not a branch or merge "
                f"({type(nodes[name]).__name__} with edges to {following})"
            )
        if not following:
            break
        name = following[0]
    if type(chain[-1][1]).__name__ != "Output":
        raise ValueError(f"NIR graph must end in an Output node, not {chain[-1][0]!r}")
    unused = sorted(set(nodes) - seen)
    if unused:
        raise ValueError(f"NIR graph must be one chain, not have the extra node {unused[0]!r}")
    return chain[1:-1]


def _vector(value: Any, n: int, what: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64).reshape(-1), (n,))
    if not np.isfinite(arr).all() and what != "tau":
        raise ValueError(f"{what} must be finite, not {arr[~np.isfinite(arr)][0]!r}")
    return arr


def _leak(name: str, tau: np.ndarray, dt: float) -> int | None:
    """One leak shift for the layer's ``dt/tau``, or None when the leak is negligible."""
    factor = dt / tau
    if np.all(factor < 2.0**-31):
        return None
    shifts = np.round(-np.log2(factor))
    shift = int(shifts[0])
    exact = 2.0**-shifts
    error = np.abs(factor - 2.0**-shift) / factor
    if not (np.all(shifts == shift) and 1 <= shift <= 31 and np.all(error <= LEAK_TOLERANCE)):
        worst = float(tau[np.argmax(np.abs(factor - exact) / factor)])
        raise ValueError(
            f"NIR node {name!r}: tau must give dt/tau = 2**-s for one integer s in 1..31 "
            f"(within {LEAK_TOLERANCE:.0%}), not tau={worst!r} with dt={dt!r} "
            f"(dt/tau = {dt / worst:.6g})"
        )
    return shift


def import_nir(graph: Any, *, dt: float = 1.0, reset: str | None = None) -> Network:
    """Map a NIR graph to a :class:`Network` (see the module docstring for the rules).

    Parameters
    ----------
    graph : nir.NIRGraph
    dt : float
        Euler time step of the hardware's step, in the graph's time unit.
    reset : {"zero", "subtract"}, optional
        Override the reset mode (``v_reset = 0`` means ``"zero"`` otherwise).

    Returns
    -------
    Network
    """
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, not {dt!r}")
    if reset not in (None, "zero", "subtract"):
        raise ValueError(f"reset must be 'zero' or 'subtract', not {reset!r}")
    layers: list[Layer] = []
    pending: dict[str, Any] = {}
    for name, node in _chain(graph):
        kind = type(node).__name__
        if kind in _SYNAPSES:
            if "weight" in pending:
                raise ValueError(
                    f"NIR node {name!r}: {kind} must follow a neuron node, "
                    f"not another {pending['kind']}"
                )
            weight = np.asarray(node.weight, dtype=np.float64)
            if weight.ndim != 2:
                raise ValueError(f"NIR node {name!r}: weight must be 2-D, not shape {weight.shape}")
            bias = np.asarray(node.bias, dtype=np.float64) if kind == "Affine" else None
            pending.update(kind=kind, name=name, weight=weight, bias=bias)
        elif kind == "Delay":
            delay = np.asarray(node.delay, dtype=np.float64).reshape(-1) / dt
            key = "delay_out" if "weight" in pending else "delay_in"
            pending[key] = delay
        elif kind in _NEURONS:
            if "weight" not in pending:
                raise ValueError(
                    f"NIR node {name!r}: {kind} must follow a Linear or Affine node, "
                    "not start a layer"
                )
            layers.append(_layer(name, node, kind, pending=pending, dt=dt, reset=reset))
            pending = {}
        else:
            raise ValueError(
                f"NIR node {name!r} must be Linear, Affine, Delay, LIF or IF, not {kind} "
                "(convolutions, pooling, CubaLIF and others have no hardware here)"
            )
    if pending:
        raise ValueError(
            f"NIR node {pending.get('name')!r}: synapses must feed a LIF or IF node, not the output"
        )
    if not layers:
        raise ValueError("NIR graph must hold at least one Linear/Affine -> LIF/IF layer, not none")
    return Network(tuple(layers))


def _layer(
    name: str, node: Any, kind: str, *, pending: dict[str, Any], dt: float, reset: str | None
) -> Layer:
    weight = pending["weight"]
    n_out, n_in = weight.shape
    r = _vector(node.r, n_out, "r")
    threshold = _vector(node.v_threshold, n_out, "v_threshold")
    v_reset = _vector(node.v_reset if node.v_reset is not None else 0.0, n_out, "v_reset")
    if kind == "LIF":
        if np.any(_vector(node.v_leak, n_out, "v_leak") != 0):
            raise ValueError(f"NIR node {name!r}: v_leak must be 0, not {node.v_leak!r}")
        tau = _vector(node.tau, n_out, "tau")
        if not np.all(np.isfinite(tau) & (tau > 0)):
            bad = float(tau[~(np.isfinite(tau) & (tau > 0))][0])
            raise ValueError(f"NIR node {name!r}: tau must be positive and finite, not {bad!r}")
        leak, gain = _leak(name, tau, dt), r * dt / tau
    else:
        leak, gain = None, r * dt
    if np.any(v_reset != 0):
        raise ValueError(
            f"NIR node {name!r}: v_reset must be 0, not {float(v_reset[v_reset != 0][0])!r}"
        )
    if np.any(threshold <= 0):
        raise ValueError(
            f"NIR node {name!r}: v_threshold must be positive, not {float(threshold.min())!r}"
        )
    w = weight * gain[:, None]
    bias = None if pending.get("bias") is None else np.asarray(pending["bias"]).reshape(-1) * gain
    delays = None
    if "delay_in" in pending or "delay_out" in pending:
        delays = np.zeros((n_out, n_in))
        if "delay_in" in pending:
            delays += np.broadcast_to(pending["delay_in"], (n_in,))[None, :]
        if "delay_out" in pending:
            delays += np.broadcast_to(pending["delay_out"], (n_out,))[:, None]
    full = max(
        float(np.abs(w).max(initial=0)),
        float(np.abs(bias).max(initial=0)) if bias is not None else 0.0,
    )
    if full > 0:  # NIR's v > theta on the hardware's integer count grid: v >= floor(theta/fs) + 1
        threshold = (np.floor(threshold / full) + 1) * full
    return Layer(
        w,
        delays=delays,
        threshold=threshold,
        leak_shift=leak,
        reset=reset or "zero",
        bias=bias,
    )
