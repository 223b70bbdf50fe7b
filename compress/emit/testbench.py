"""The self-checking testbench every build carries: ``tb/tb_<top>.v``.

Plain Verilog-2005 (no SystemVerilog, no PLI) that Icarus and
``verilator --binary`` run unchanged: it replays ``tb/stimulus.hex`` through the
``in_valid``/``in_ready`` handshake, compares every ``out_valid`` with
``tb/expected.hex`` (:mod:`compress.hardware.vectors`), prints ``PASS`` or the
first mismatching step and neuron, and ends with ``$finish``.
"""

from __future__ import annotations

from ..hardware.memory import weight_port_widths
from ..hardware.plan import NetworkPlan
from .render import render

__all__ = ["render_testbench"]


def render_testbench(plan: NetworkPlan, *, steps: int, beats: int = 0) -> tuple[str, str]:
    """``(file name, text)`` of the testbench of ``plan`` over ``steps`` vector steps
    (``beats``: their address-event beats when the top takes events)."""
    top = plan.top
    name = f"tb_{top}"
    windows = steps // plan.window if plan.window else 0
    text = render(
        "tb.v.j2",
        name=name,
        top=top,
        steps=steps,
        in_width=plan.input_width,
        in_port="in_features" if plan.encoder else "in_spikes",
        n_out=plan.n_out,
        cw=plan.count_width,
        latency=plan.latency,
        # every step may take the whole latency (folded); every readout window waits for
        # its last result and the restart; then reset and margin
        timeout=steps * plan.clocks_per_step
        + windows * (plan.latency + 2)
        + plan.latency
        + beats
        + 100,
        events=plan.events is not None,
        beats=beats,
        weight_port=plan.weight_port,
        wp=weight_port_widths(plan) if plan.weight_port else {},
        windows=windows,
        class_width=plan.class_width,
        sums_width=plan.n_out * plan.sum_width,
    )
    return f"tb/{name}.v", text
