"""The hardware plan: a pure pass from a compressed network to what the RTL builds.

Every synapse falls in one class (SPEC section 4): *dropped* (code 0),
*constant* (code ``M``: a wire into the popcount) or *stochastic*
(``0 < m < M``: ``[r(t) <= m] & x``).  The planner assigns each stochastic
synapse a random stream (:mod:`compress.hardware.streams`), sizes the delay
buffers, the count and the neuron (:mod:`compress.hardware.sizing`), asks the
layer's style (:mod:`compress.hardware.styles`) for its own fields and latency,
and returns the frozen IR of :mod:`compress.hardware.ir`.  The options are in
:mod:`compress.hardware.options`; this module also re-exports the names of
both, so ``from compress.hardware.plan import HardwareOptions, LayerPlan`` holds.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ..model.passes import CompressionResult
from ..model.validate import options_of
from .counters import compressor_levels
from .encoder import RateEncoder
from .ir import (
    CONSTANT,
    DROPPED,
    PIPELINES,
    STOCHASTIC,
    LayerPlan,
    LayerStyle,
    NetworkPlan,
    Stream,
    registered_levels,
)
from .lfsr import TAPS
from .options import (
    DECORRELATE_BITS,
    DELAY_RAM_MIN_BITS,
    INPUT_ENCODERS,
    READOUTS,
    HardwareOptions,
    check_top,
)
from .sizing import MAX_VW, neuron_plan
from .streams import StreamPool, assign_streams
from .styles import STYLES, style_for
from .styles.event import EVENT_CHUNK, EVENT_FIXED, EVENT_LANES, SPRAM_DEPTH, SPRAM_WIDTH
from .styles.folded import FOLD_LATENCY, FOLD_ORDERS, fold_slots

__all__ = [
    "CONSTANT",
    "DECORRELATE_BITS",
    "DELAY_RAM_MIN_BITS",
    "DROPPED",
    "EVENT_CHUNK",
    "EVENT_FIXED",
    "EVENT_LANES",
    "FOLD_LATENCY",
    "FOLD_ORDERS",
    "INPUT_ENCODERS",
    "MAX_VW",
    "PIPELINES",
    "READOUTS",
    "SPRAM_DEPTH",
    "SPRAM_WIDTH",
    "STOCHASTIC",
    "HardwareOptions",
    "LayerPlan",
    "LayerStyle",
    "NetworkPlan",
    "Stream",
    "check_top",
    "fold_slots",
    "plan_network",
    "registered_levels",
]


def _synapse_delays(index: int, layer: Any, codes: np.ndarray) -> np.ndarray:
    """Whole-step delay of every synapse (0 where dropped; the bias line never delayed)."""
    delays = np.zeros(codes.shape, dtype=np.int64)
    if layer.delays is not None:
        if not np.array_equal(layer.delays, np.round(layer.delays)):
            raise ValueError(
                f"layer {index}: delays must be whole steps, not fractions; "
                "run quantize_delays first"
            )
        delays = np.zeros(codes.shape, dtype=np.int64)
        delays[:, : layer.n_in] = layer.delays.astype(np.int64)
    delays[codes == 0] = 0
    return delays


def _widest(mask: np.ndarray, signs: np.ndarray) -> int:
    """The most synapses of ``mask`` any neuron has of one sign (at least 1)."""
    return max(
        int(np.count_nonzero(mask & (signs > 0), axis=1).max()),
        int(np.count_nonzero(mask & (signs < 0), axis=1).max()),
        1,
    )


def _plan_layer(
    index: int,
    result: CompressionResult,
    pool: StreamPool,
    *,
    hardware: HardwareOptions,
    parallelism: int | str | None,
) -> LayerPlan:
    """The plan of layer ``index`` of ``result`` (streams taken from ``pool``; the
    style that ``parallelism`` asks for, :data:`~compress.hardware.styles.STYLES`)."""
    layer, codes_obj = result.network.layers[index], result.codes[index]
    if layer.conv is not None:
        _check_channel_constants(index, layer)
    codes = np.array(codes_obj.magnitudes, dtype=np.int32)
    signs = np.array(codes_obj.signs, dtype=np.int8)
    k, full, constants = codes_obj.bits - 1, codes_obj.max_code, hardware.constants
    delays = _synapse_delays(index, layer, codes)
    stochastic = (codes > 0) & ((codes < full) | (not constants))
    count_width = max(_widest(codes > 0, signs).bit_length() + 1, 2)
    style = style_for(parallelism, index).planned(
        parallelism,
        index=index,
        stochastic=stochastic,
        n_out=layer.n_out,
        hardware=hardware,
        geometry=layer.conv,
    )
    decorrelated = codes_obj.bits <= hardware.decorrelate and 2 * k <= max(TAPS)
    width = 2 * k if decorrelated else k
    # A dense layer's streams do not depend on its style: folded or event, it computes
    # the same counts.
    tap = hardware.layer_value("stream_rule", index) == "tap" and bool(stochastic.any())
    if tap:
        streams, needed = style.tap_streams(codes, delays, stochastic)
        seeds, stream_defs = pool.take_blocks(width, needed, index)
    else:
        streams, needed = assign_streams(codes, stochastic)
        seeds, stream_defs = pool.take(width, needed, index) if needed else ((), [])
    tree_widest = _widest(style.tree_mask(codes, full, constants), signs)
    neuron, thresholds, v_width = neuron_plan(
        index, layer, codes, codes_obj.full_scale, count_width
    )
    popcount = hardware.popcount or "adder"
    if popcount == "adder":
        tree_levels = math.ceil(math.log2(tree_widest)) if tree_widest > 1 else 0
    else:
        tree_levels = compressor_levels(tree_widest, popcount, style.gated_leaves)
    tree_stages = len(registered_levels(tree_levels, hardware.pipeline))
    line_depths = tuple(int(d) for d in delays.max(axis=0))
    n_in = codes.shape[1]
    if layer.conv is not None:  # its codes are kernel rows; its lines the input positions
        n_in = layer.n_in + int(layer.bias is not None)
        line_depths = (0,) * n_in
    plan = LayerPlan(
        index=index,
        n_in=n_in,
        bias=layer.bias is not None,
        decorrelated=decorrelated,
        stream_rule="tap" if tap else "code",
        popcount=popcount,
        n_out=layer.n_out,
        bits=codes_obj.bits,
        signs=signs,
        codes=codes,
        delays=delays,
        streams=streams,
        seeds=seeds,
        stream_defs=tuple(stream_defs),
        line_depths=line_depths,
        count_width=count_width,
        v_width=v_width,
        thresholds=thresholds,
        threshold_unit=codes_obj.full_scale,
        reset=layer.reset,
        neuron=neuron,
        recurrent=layer.n_recurrent,
        tree_levels=tree_levels,
        tree_stages=tree_stages,
        latency=0,  # the style's, below: it may read the rest of the plan
        style=style,
        pipeline=hardware.pipeline,
        constants=constants,
        delay_ram=max(line_depths) >= 2 and sum(line_depths) >= hardware.delay_ram_bits,
    )
    latency = style.latency(plan, tree_stages=tree_stages, pipeline=hardware.pipeline)
    return replace(plan, latency=latency)


def _check_channel_constants(index: int, layer: Any) -> None:
    """A convolution's neurons share their channel's kernel, so its hardware keeps one
    threshold, drive and reset value per output channel: each must be the same at every
    position of a channel."""
    per = layer.n_out // layer.conv.out_channels
    for name in ("thresholds", "drives", "v_resets"):
        values = np.broadcast_to(np.asarray(getattr(layer, name), dtype=np.float64), (layer.n_out,))
        by_channel = values.reshape(layer.conv.out_channels, per)
        bad = np.flatnonzero((by_channel != by_channel[:, :1]).any(axis=1))
        if bad.size:
            c = int(bad[0])
            j = int(np.flatnonzero(by_channel[c] != by_channel[c, 0])[0])
            raise ValueError(
                f"layer {index}: a convolution's {name[:-1]} must be the same at every "
                f"position of an output channel, not {float(by_channel[c, 0])!r} and "
                f"{float(by_channel[c, j])!r} in channel {c} (positions 0 and {j})"
            )


def _layer_parallelism(index: int, layer: Any, hardware: HardwareOptions) -> Any:
    """The ``parallelism`` layer ``index`` is built with: a convolution layer always takes
    the convolution style (a network-wide value means its fully connected layers)."""
    value = hardware.layer_value("parallelism", index)
    if layer.conv is None:
        return value
    if isinstance(hardware.parallelism, tuple) and value not in (None, "conv"):
        raise ValueError(
            f"layer {index}: a convolution layer must have parallelism 'conv' (its kernel "
            f"is kept, not unrolled), not {value!r}; sc-compress import --dense unrolls it"
        )
    return "conv"


def plan_network(
    result: CompressionResult,
    top: str = "sc_network",
    hardware: HardwareOptions | None = None,
) -> NetworkPlan:
    """Plan the hardware of a compressed network.

    Parameters
    ----------
    result : CompressionResult
        From :func:`compress.compress_network`.
    top : str
        Name of the top module (a Verilog identifier).
    hardware : HardwareOptions, optional
        Pipelining, folding, weight port and delay buffers; fully parallel
        ``area`` hardware by default.

    Returns
    -------
    NetworkPlan
    """
    hardware = options_of(hardware, HardwareOptions, "hardware")
    check_top(top)
    encoder = None
    if hardware.input_encoder == "rate":
        n_in = result.network.layers[0].n_in
        encoder = RateEncoder(n_in, hardware.input_bits, hardware.input_seed, hardware.input_stream)
    n_layers = len(result.codes)
    # per-layer options: one per layer
    for name in ("parallelism", "neuron_lanes", "spram", "neuron_ram"):
        value = getattr(hardware, name)
        if isinstance(value, tuple) and len(value) != n_layers:
            raise ValueError(f"{name} must list {n_layers} layers, not {len(value)}")
    pool = StreamPool()
    layers = tuple(
        _plan_layer(
            i,
            result,
            pool,
            hardware=hardware,
            parallelism=_layer_parallelism(i, result.network.layers[i], hardware),
        )
        for i in range(n_layers)
    )
    if hardware.weight_port and not any(layer.has_memory for layer in layers):
        raise ValueError(
            "weight_port needs a folded or event layer (parallelism P or 'event'), "
            "not only fully parallel ones"
        )
    for style in STYLES.values():
        style.check(layers, hardware)
    window = hardware.window if hardware.readout else None
    readout = hardware.readout or "argmax"
    events = None
    if hardware.input_encoder == "events":
        first = result.network.layers[0]
        events = first.conv.in_shape if first.conv is not None else (1, 1, first.n_in)
    return NetworkPlan(top, layers, hardware.weight_port, encoder, window, readout, events)
