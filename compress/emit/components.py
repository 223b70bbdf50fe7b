"""Amaranth components of a fully parallel sc-compress network.

The same hardware as the Jinja2 templates beside this file, clock for clock:
an LFSR, a comparator, a delay line, a pipelined popcount tree, a LIF neuron,
a layer and the network top with SPEC section 5's ports.  The Jinja2 text is
the default emitter because it scales (a 784-128-10 network renders in about
a second); these components are the second emitter
(``sc-compress build --emitter amaranth``) and what the Amaranth simulator
runs in the tests.  Both are checked against the golden model.
"""

from __future__ import annotations

from functools import reduce
from operator import xor

from amaranth import C, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from compress.hardware.lfsr import TAPS
from compress.hardware.plan import CONSTANT, STOCHASTIC, LayerPlan, NetworkPlan, registered_levels

__all__ = [
    "LFSR",
    "LIF",
    "Comparator",
    "DelayLine",
    "Layer",
    "Network",
    "PopcountTree",
]


def _invalid(component: wiring.Component, message: str) -> ValueError:
    """The error for a bad parameter; the half-built component is not reported unused."""
    component._MustUse__silence = True  # Amaranth would warn "created but never used"
    return ValueError(message)


class LFSR(wiring.Component):
    """Maximal-length Fibonacci LFSR shifting left (taps from ``compress.hardware.lfsr.TAPS``).

    Parameters
    ----------
    width : int
        Register width ``k`` (2..15).
    seed : int
        State after reset (1..2**k - 1).

    Attributes
    ----------
    en : In(1)
        Advance one state on the clock edge.
    state : Out(width)
    next : Out(width)
        The state after the next advance (combinational).
    """

    def __init__(self, width: int, seed: int):
        if width not in TAPS or width < 2:
            raise _invalid(self, f"LFSR width must be in 2..15, not {width}")
        if not 0 < seed < (1 << width):
            raise _invalid(self, f"LFSR seed must be in 1..{(1 << width) - 1}, not {seed}")
        self.width, self.seed = width, seed
        super().__init__({"en": In(1), "state": Out(width, init=seed), "next": Out(width)})

    def elaborate(self, platform):
        m = Module()
        feedback = reduce(xor, (self.state[tap - 1] for tap in TAPS[self.width]))
        m.d.comb += self.next.eq(Cat(feedback, self.state[:-1]))
        with m.If(self.en):
            m.d.sync += self.state.eq(self.next)
        return m


class Comparator(wiring.Component):
    """``bit = stream <= code``: one stochastic weight bit, shared by every synapse
    that compares the same stream with the same code.

    Parameters
    ----------
    k, code : int
    registered : bool
        Register the bit (the ``speed`` pipeline): ``stream`` is then the
        stream's *next* value and the bit loads when ``en`` is high, so it
        always equals the comparison on the current value.
    init : int
        The registered bit after reset: the comparison at step 0.

    Attributes
    ----------
    stream : In(k)
    en : In(1)
        Read only when ``registered``.
    bit : Out(1)
    """

    def __init__(self, k: int, code: int, *, registered: bool = False, init: int = 0):
        # code M (always 1) only in the uncompressed baseline, where full codes compare too
        if not 0 < code <= (1 << k) - 1:
            raise _invalid(self, f"comparator code must be in 1..{(1 << k) - 1}, not {code}")
        self.k, self.code, self.registered = k, code, registered
        super().__init__({"stream": In(k), "en": In(1), "bit": Out(1, init=init)})

    def elaborate(self, platform):
        m = Module()
        full = self.code == (1 << self.k) - 1  # r <= M always holds: a constant, not a compare
        value = 1 if full else self.stream <= self.code
        if self.registered:
            with m.If(self.en):
                m.d.sync += self.bit.eq(value)
        else:
            m.d.comb += self.bit.eq(value)
        return m


class DelayLine(wiring.Component):
    """Shift register of one input line: ``taps[d - 1]`` is the input ``d`` steps ago.

    Attributes
    ----------
    en : In(1)
        A step is accepted: shift.
    x : In(1)
    taps : Out(depth)
    """

    def __init__(self, depth: int):
        if depth < 1:
            raise _invalid(self, f"delay depth must be at least 1, not {depth}")
        self.depth = depth
        super().__init__({"en": In(1), "x": In(1), "taps": Out(depth)})

    def elaborate(self, platform):
        m = Module()
        with m.If(self.en):
            m.d.sync += self.taps.eq(Cat(self.x, self.taps[:-1]))
        return m


class PopcountTree(wiring.Component):
    """Pipelined pairwise adder tree over ``n`` one-bit leaves.

    Level ``l`` adds pairs of level ``l - 1``; the levels in ``registered``
    (:func:`compress.hardware.plan.registered_levels`) are registers, so the sum appears
    ``len(registered)`` clocks after its leaves.  ``levels`` is the layer's
    widest tree, so narrower trees of the layer have the same latency.

    Attributes
    ----------
    leaves : In(n)
    total : Out(width)
        ``width = n.bit_length()``.
    """

    def __init__(self, n: int, levels: int, registered: tuple[int, ...] | None = None):
        if n < 1 or (1 << levels) < n:
            raise _invalid(self, f"a tree of {levels} levels cannot add {n} leaves")
        self.n, self.levels = n, levels
        self.registered = registered_levels(levels, "area") if registered is None else registered
        super().__init__({"leaves": In(n), "total": Out(n.bit_length())})

    def elaborate(self, platform):
        m = Module()
        items = [(self.leaves[j], 1) for j in range(self.n)]  # (value, largest value)
        for level in range(1, self.levels + 1):
            registered = level in self.registered
            out = []
            for pos in range(0, len(items), 2):
                pair = items[pos : pos + 2]
                top = sum(t for _, t in pair)
                if len(pair) == 1 and not registered:
                    out.append(pair[0])
                    continue
                node = Signal(top.bit_length(), name=f"l{level}_{pos // 2}", reset_less=True)
                value = pair[0][0] + pair[1][0] if len(pair) == 2 else pair[0][0]
                domain = m.d.sync if registered else m.d.comb
                domain += node.eq(value)
                out.append((node, top))
            items = out
        ((value, _),) = items
        m.d.comb += self.total.eq(value)
        return m


class LIF(wiring.Component):
    """Integer leaky integrate-and-fire neuron with a saturating membrane (SPEC section 4).

    On ``valid``: ``v <- v - (v >>> leak)`` (when ``leak > 0``), ``v <- sat(v + count)``,
    ``spike <- v >= theta``, then ``v <- 0`` or ``v - theta`` (``reset_sub``).
    With ``pre``, the comparison uses ``ctheta = count - theta`` (registered
    by the layer) beside the addition instead of after it.

    Attributes
    ----------
    valid : In(1)
    count : In(signed(cw))
    ctheta : In(signed(vw))
        ``count - theta``; read only when ``pre``.
    spike : Out(1)
    v : Out(signed(vw))
    """

    def __init__(self, cw: int, vw: int, theta: int, leak: int, reset_sub: bool, pre: bool = False):
        if not 0 < theta < (1 << (vw - 1)):
            raise _invalid(self, f"theta must be in 1..{(1 << (vw - 1)) - 1}, not {theta}")
        self.cw, self.vw, self.theta, self.leak, self.reset_sub = cw, vw, theta, leak, reset_sub
        self.pre = pre
        super().__init__(
            {
                "valid": In(1),
                "count": In(signed(cw)),
                "ctheta": In(signed(vw)),
                "spike": Out(1),
                "v": Out(signed(vw)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        vw = self.vw
        leaked = Signal(signed(vw))
        if self.leak:
            m.d.comb += leaked.eq(self.v - (self.v >> self.leak))
        else:
            m.d.comb += leaked.eq(self.v)
        total = Signal(signed(vw + 1))
        m.d.comb += total.eq(leaked + self.count)
        overflow = total[vw] ^ total[vw - 1]
        sat = Signal(signed(vw))
        saturated = Cat(Mux(total[vw], 0, (1 << (vw - 1)) - 1)[: vw - 1], total[vw])
        m.d.comb += sat.eq(Mux(overflow, saturated, total[:vw]))
        diff = Signal(signed(vw + 1))
        if self.pre:  # cannot overflow; >= 0 exactly when sat >= theta
            m.d.comb += diff.eq(leaked + self.ctheta)
            ceiling = (1 << (vw - 1)) - 1 - self.theta  # subtract-reset after a positive overflow
            after = Mux(overflow & ~total[vw], ceiling, diff[:vw]) if self.reset_sub else 0
        else:
            m.d.comb += diff.eq(sat - self.theta)
            after = diff[:vw] if self.reset_sub else 0
        fire = ~diff[vw]
        with m.If(self.valid):
            m.d.sync += [self.spike.eq(fire), self.v.eq(Mux(fire, after, sat))]
        return m


class Layer(wiring.Component):
    """A fully parallel layer of the plan: one step per clock, ``plan.latency`` clocks deep.

    Attributes
    ----------
    in_valid : In(1)
    in_spikes : In(n_inputs)
        The inputs; with a bias the layer adds its always-on line itself.
    out_valid : Out(1)
    out_spikes : Out(n_out)
    out_counts : Out(n_out * count_width)
        Neuron ``i``'s signed count in bits ``i*CW .. i*CW + CW - 1``.
    """

    def __init__(self, plan: LayerPlan):
        self.plan = plan
        cw = plan.count_width
        super().__init__(
            {
                "in_valid": In(1),
                "in_spikes": In(plan.n_inputs),
                "out_valid": Out(1),
                "out_spikes": Out(plan.n_out),
                "out_counts": Out(plan.n_out * cw),
            }
        )

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        cw = plan.count_width
        speed = plan.pipeline == "speed"
        registers = []
        width = plan.lfsr_width  # the random values' (2k when decorrelated)
        for r, seed in enumerate(plan.seeds):
            lfsr = LFSR(width, seed)
            m.submodules[f"lfsr{r}"] = lfsr
            m.d.comb += lfsr.en.eq(self.in_valid)
            registers.append(lfsr.next if speed else lfsr.state)
        tables = plan.stream_tables()
        streams = [
            Cat(registers[d.register][d.perm[b]] for b in range(width)) for d in plan.stream_defs
        ]
        levels = plan.levels
        lines = {}
        for j, depth in enumerate(plan.line_depths):
            if depth:
                line = DelayLine(depth)
                m.submodules[f"delay{j}"] = line
                m.d.comb += [line.en.eq(self.in_valid), line.x.eq(self.in_spikes[j])]
                lines[j] = line.taps
        classes = plan.classes
        comparators = {}
        for i, j in zip(*(classes == STOCHASTIC).nonzero(), strict=True):
            key = (int(plan.streams[i, j]), int(levels[i, j]))
            if key not in comparators:
                init = int(tables[key[0]][0] <= key[1])
                cmp = Comparator(width, key[1], registered=speed, init=init)
                m.submodules[f"cmp{key[0]}_{key[1]}"] = cmp
                m.d.comb += [cmp.stream.eq(streams[key[0]]), cmp.en.eq(self.in_valid)]
                comparators[key] = cmp.bit

        valid = self.in_valid
        for stage in range(1, plan.tree_stages + 1):
            reg = Signal(name=f"tree_valid{stage}")
            m.d.sync += reg.eq(valid)
            valid = reg
        if speed:  # the count stage
            neuron_valid = Signal(name="neuron_valid")
            m.d.sync += neuron_valid.eq(valid)
        else:
            neuron_valid = valid
        for i in range(plan.n_out):
            totals = []
            for sign in (1, -1):
                leaves = []
                for j in ((classes[i] != 0) & (plan.signs[i] == sign)).nonzero()[0].tolist():
                    d = int(plan.delays[i, j])
                    if plan.bias and j == plan.n_in - 1:
                        x = C(1, 1)  # the always-on bias line
                    else:
                        x = self.in_spikes[j] if d == 0 else lines[j][d - 1]
                    if classes[i, j] == CONSTANT:
                        leaves.append(x)
                    else:
                        leaves.append(x & comparators[(int(plan.streams[i, j]), int(levels[i, j]))])
                if leaves:
                    tree = PopcountTree(len(leaves), plan.tree_levels, plan.registered_levels)
                    m.submodules[f"{'pos' if sign > 0 else 'neg'}{i}"] = tree
                    m.d.comb += tree.leaves.eq(Cat(leaves))
                    totals.append(tree.total)
                else:
                    totals.append(0)
            count = Signal(signed(cw), name=f"count{i}")
            m.d.comb += count.eq(totals[0] - totals[1])
            theta = plan.thresholds[i]
            neuron = LIF(
                cw,
                plan.v_width,
                theta,
                plan.leak_shift or 0,
                plan.reset == "subtract",
                pre=speed,
            )
            m.submodules[f"neuron{i}"] = neuron
            m.d.comb += [neuron.valid.eq(neuron_valid), self.out_spikes[i].eq(neuron.spike)]
            field = self.out_counts[i * cw : (i + 1) * cw]
            if speed:  # count and count - theta registered; the count re-timed to the spike
                count_q = Signal(signed(cw), name=f"count{i}_q", reset_less=True)
                ctheta_q = Signal(signed(plan.v_width), name=f"count{i}_ctheta_q", reset_less=True)
                m.d.sync += [count_q.eq(count), ctheta_q.eq(count - theta), field.eq(count_q)]
                m.d.comb += [neuron.count.eq(count_q), neuron.ctheta.eq(ctheta_q)]
            else:
                m.d.sync += field.eq(count)
                m.d.comb += neuron.count.eq(count)
        m.d.sync += self.out_valid.eq(neuron_valid)
        return m


class Network(wiring.Component):
    """The network top with SPEC section 5's ports (plus the ``sync`` domain's ``clk``/``rst``).

    Inputs are registered first (one clock), then the layers follow one another;
    the hidden layers' ``l<l>_valid`` / ``l<l>_spikes`` / ``l<l>_counts`` are
    named signals so simulations can observe them.

    Attributes
    ----------
    in_valid : In(1)
    in_ready : Out(1)
        Always 1: a fully parallel network takes a step every clock.
    in_spikes : In(n_in)
    out_valid : Out(1)
    out_spikes : Out(n_out)
    out_counts : Out(n_out * count_width)
    """

    def __init__(self, plan: NetworkPlan):
        self.plan = plan
        #: The layer components, in order (simulations may sample their ports).
        self.layers = [Layer(layer_plan) for layer_plan in plan.layers]
        super().__init__(
            {
                "in_valid": In(1),
                "in_ready": Out(1),
                "in_spikes": In(plan.n_in),
                "out_valid": Out(1),
                "out_spikes": Out(plan.n_out),
                "out_counts": Out(plan.n_out * plan.count_width),
            }
        )

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.in_ready.eq(1)
        valid = Signal(name="l0_in_valid")
        spikes = Signal(unsigned(self.plan.n_in), name="l0_in_spikes", reset_less=True)
        m.d.sync += [valid.eq(self.in_valid & self.in_ready), spikes.eq(self.in_spikes)]
        for index, layer in enumerate(self.layers):
            m.submodules[f"layer{index}"] = layer
            out_valid = Signal(name=f"l{index}_valid")
            out_spikes = Signal(layer.plan.n_out, name=f"l{index}_spikes")
            out_counts = Signal(len(layer.out_counts), name=f"l{index}_counts")
            m.d.comb += [
                layer.in_valid.eq(valid),
                layer.in_spikes.eq(spikes),
                out_valid.eq(layer.out_valid),
                out_spikes.eq(layer.out_spikes),
                out_counts.eq(layer.out_counts),
            ]
            valid, spikes = out_valid, out_spikes
        m.d.comb += [
            self.out_valid.eq(valid),
            self.out_spikes.eq(spikes),
            self.out_counts.eq(out_counts),
        ]
        return m
