"""An independent NIR reference simulator: float64, explicit Euler steps of ``dt``.

Written from the NIR specification (Pedersen et al. 2024, the node equations of the
``nir`` package's documentation), not from sc-compress's importer: it interprets the
graph node by node.  Per step, every node's output is computed from its inputs' outputs
of the same step; a cycle (a recurrent edge) is closed with the previous step's output
of the node being evaluated, which is how a discrete-time simulator runs NIR's
continuous graph.  Equations (``I`` the node's summed input):

* Linear ``W x``; Affine ``W x + b``; Scale ``s x``; Flatten: the input in C order;
  Delay: the input ``round(delay / dt)`` steps ago.
* Conv2d: PyTorch's cross-correlation of the input (reshaped to the node's
  ``input_type``) with stride, padding, dilation and groups, plus the bias per
  channel, written out as loops; SumPool2d and AvgPool2d: window sums (means).
* IF: ``v += dt r I``; LIF and LI: ``v += dt / tau (v_leak - v + r I)``;
  CubaLIF and CubaLI: ``i += dt / tau_syn (-i + w_in I)`` then
  ``v += dt / tau_mem (v_leak - v + r i)``.
* LIF, IF, CubaLIF spike when ``v > v_threshold`` and reset to ``v_reset`` (or
  subtract the threshold, snnTorch's reset); LI and CubaLI output ``v``.
"""

from __future__ import annotations

import numpy as np


def _kind(node) -> str:
    return type(node).__name__


def _vec(value, n):
    return np.broadcast_to(np.asarray(value, dtype=np.float64).reshape(-1), (n,)).copy()


class NIRReference:
    """Run a ``nir.NIRGraph`` on input spikes; ``run`` returns each node's outputs."""

    def __init__(self, graph, dt: float = 1.0, reset: str = "zero"):
        self.graph, self.dt, self.reset = graph, dt, reset
        self.sources = {name: [s for s, d in graph.edges if d == name] for name in graph.nodes}

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """``x``: (steps, n_in).  Returns ``{node: (steps, n)}`` outputs (spikes as 0/1, or
        membranes of LI and CubaLI), and ``{node + ".v": membranes}`` of neuron nodes."""
        steps = x.shape[0]
        self.state: dict[str, dict] = {}
        self.history: dict[str, list] = {}
        prev: dict[str, np.ndarray] = {}
        traces: dict[str, list] = {}
        for t in range(steps):
            self.now: dict[str, np.ndarray] = {}
            self.busy: set[str] = set()
            self.prev, self.t, self.x = prev, t, np.asarray(x[t], dtype=np.float64)
            for name in self.graph.nodes:
                self._out(name)
            for name, value in self.now.items():
                traces.setdefault(name, []).append(value)
            for name, st in self.state.items():
                traces.setdefault(name + ".v", []).append(st["v"].copy())
            prev = self.now
        return {name: np.array(values) for name, values in traces.items()}

    def _input(self, name):
        total = None
        for src in self.sources[name]:
            value = self._out(src)
            total = value if total is None else total + value
        return total

    def _out(self, name):
        if name in self.now:
            return self.now[name]
        node = self.graph.nodes[name]
        kind = _kind(node)
        if name in self.busy:  # a cycle: this node's output of the previous step
            if kind in ("Linear", "Affine", "Scale", "Delay", "Flatten", "Conv2d", "SumPool2d"):
                raise ValueError(f"cycle through synapse node {name!r} alone")
            return self.prev.get(name, np.zeros(self._width(name)))
        self.busy.add(name)
        if kind == "Input":
            out = self.x
        elif kind == "Output":
            out = self._input(name)
        elif kind == "Linear":
            out = np.asarray(node.weight, dtype=np.float64) @ self._input(name)
        elif kind == "Affine":
            out = np.asarray(node.weight, dtype=np.float64) @ self._input(name) + np.asarray(
                node.bias, dtype=np.float64
            ).reshape(-1)
        elif kind == "Scale":
            out = np.asarray(node.scale, dtype=np.float64).reshape(-1) * self._input(name)
        elif kind == "Flatten":
            out = self._input(name).reshape(-1)
        elif kind == "Conv2d":
            out = _conv2d(node, self._input(name)).reshape(-1)
        elif kind in ("SumPool2d", "AvgPool2d"):
            out = _pool(node, self._input(name), kind == "AvgPool2d").reshape(-1)
        elif kind == "Delay":
            value = self._input(name)
            hist = self.history.setdefault(name, [])
            hist.append(value)
            steps = np.round(_vec(node.delay, value.size) / self.dt).astype(int)
            out = np.array([hist[-1 - s][i] if s < len(hist) else 0.0 for i, s in enumerate(steps)])
        else:
            out = self._neuron(name, node, kind, self._input(name))
        self.now[name] = out
        return out

    def _width(self, name):
        node = self.graph.nodes[name]
        for attr in ("v_threshold", "tau", "tau_mem", "r"):
            if hasattr(node, attr) and np.asarray(getattr(node, attr)).size > 1:
                return np.asarray(getattr(node, attr)).size
        return 1

    def _neuron(self, name, node, kind, current):
        n = current.size
        dt = self.dt
        st = self.state.setdefault(name, {"v": np.zeros(n), "i": np.zeros(n)})
        r = _vec(getattr(node, "r", 1.0), n)
        if kind == "IF":
            st["v"] = st["v"] + dt * r * current
        elif kind in ("LIF", "LI"):
            tau, v_leak = _vec(node.tau, n), _vec(node.v_leak, n)
            st["v"] = st["v"] + dt / tau * (v_leak - st["v"] + r * current)
        else:
            tau_syn, tau_mem = _vec(node.tau_syn, n), _vec(node.tau_mem, n)
            w_in, v_leak = _vec(getattr(node, "w_in", 1.0), n), _vec(node.v_leak, n)
            st["i"] = st["i"] + dt / tau_syn * (-st["i"] + w_in * current)
            st["v"] = st["v"] + dt / tau_mem * (v_leak - st["v"] + r * st["i"])
        if kind in ("LI", "CubaLI"):
            return st["v"].copy()
        threshold = _vec(node.v_threshold, n)
        spikes = st["v"] > threshold
        if self.reset == "subtract":
            st["v"] = np.where(spikes, st["v"] - threshold, st["v"])
        else:
            st["v"] = np.where(spikes, _vec(node.v_reset, n), st["v"])
        return spikes.astype(np.float64)


def _pair(value):
    return [int(v) for v in np.broadcast_to(np.asarray(value).reshape(-1), (2,))]


def _conv2d(node, x):
    """NIR's Conv2d, written out: every output is a sum over its window."""
    shape = [int(v) for v in np.asarray(node.input_type["input"]).reshape(-1)]
    x = np.asarray(x, dtype=np.float64).reshape(shape)
    w = np.asarray(node.weight, dtype=np.float64)
    (sy, sx), (py, px), (dy, dx) = _pair(node.stride), _pair(node.padding), _pair(node.dilation)
    groups = int(np.asarray(node.groups).reshape(-1)[0]) if np.size(node.groups) else 1
    o_n, cg, kh, kw = w.shape
    _, h, wd = shape
    oh = (h + 2 * py - dy * (kh - 1) - 1) // sy + 1
    ow = (wd + 2 * px - dx * (kw - 1) - 1) // sx + 1
    bias = np.zeros(o_n) if node.bias is None else np.asarray(node.bias, dtype=np.float64)
    out = np.zeros((o_n, oh, ow))
    for o in range(o_n):
        g = o // (o_n // groups)
        for i in range(oh):
            for j in range(ow):
                total = bias[o]
                for cc in range(cg):
                    for a in range(kh):
                        for b in range(kw):
                            y, xx = i * sy - py + a * dy, j * sx - px + b * dx
                            if 0 <= y < h and 0 <= xx < wd:
                                total += w[o, cc, a, b] * x[g * cg + cc, y, xx]
                out[o, i, j] = total
    return out


def _pool(node, x, average):
    shape = [int(v) for v in np.asarray(node.input_type["input"]).reshape(-1)]
    x = np.asarray(x, dtype=np.float64).reshape(shape)
    (kh, kw), (sy, sx) = _pair(node.kernel_size), _pair(node.stride)
    c, h, w = shape
    oh, ow = (h - kh) // sy + 1, (w - kw) // sx + 1
    out = np.zeros((c, oh, ow))
    for ch in range(c):
        for i in range(oh):
            for j in range(ow):
                out[ch, i, j] = x[ch, i * sy : i * sy + kh, j * sx : j * sx + kw].sum()
    return out / (kh * kw) if average else out
