"""``design.json`` and ``model.npz``: written and read here, nowhere else.

``design.json`` is the contract of a build (ports, latency, widths, every
layer's LFSRs and streams, the memory files, the options it was built with);
``model.npz`` holds the per-synapse arrays.  :func:`load_plan` rebuilds the
:class:`~compress.hardware.plan.NetworkPlan` from both, which is what the
simulations check against.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..model.network import network_arrays
from ..model.passes import CompressionResult
from .encoder import RateEncoder
from .ir import LayerPlan, NetworkPlan, Stream
from .lfsr import TAPS
from .memory import mem_words, weight_port_widths
from .neuron import GUARD, describe, from_description
from .styles import style_from_fields

__all__ = [
    "DESIGN_SCHEMA",
    "design_dict",
    "design_json",
    "layer_dict",
    "layer_from_dict",
    "load_plan",
    "model_arrays",
    "plan_from_dict",
    "read_build_json",
    "read_design",
    "style_dict",
    "unpack_counts",
]

#: ``design.json``'s schema name.
DESIGN_SCHEMA = "sc-compress/design/1"


def design_dict(
    plan: NetworkPlan,
    *,
    rtl: list[str],
    build_options: dict[str, Any],
    mem_dir: bool = True,
) -> dict[str, Any]:
    """The build's contract as JSON-ready data (``design.json``).

    Parameters
    ----------
    plan : NetworkPlan
    rtl : list of str
        The Verilog files, relative to the build folder.
    build_options : dict
        ``compression``, ``hardware`` and ``emitter`` as the build received them.
    mem_dir : bool
        The top has the ``MEM_DIR`` parameter (the Jinja2 emitter's folded
        layers read their rows with ``$readmemh``; Amaranth's hold them inline).
    """
    design = {
        "schema": DESIGN_SCHEMA,
        "top": plan.top,
        "ports": {
            "clk": 1,
            "rst": 1,
            **_input_ports(plan),
            "out_valid": 1,
            "out_spikes": plan.n_out,
            "out_counts": plan.n_out * plan.count_width,
            **(
                {
                    "class_valid": 1,
                    "out_class": plan.class_width,
                    "out_sums": plan.n_out * plan.sum_width,
                }
                if plan.window
                else {}
            ),
            **(weight_port_widths(plan) if plan.weight_port else {}),
        },
        "weight_port": plan.weight_port,
        "parameters": (
            {
                "MEM_DIR": 'folder of the mem/*.hex files read by $readmemh, default "mem/" '
                "(relative to the simulator's or synthesis tool's working directory)"
            }
            if plan.has_memory and mem_dir
            else {}
        ),
        "n_in": plan.n_in,
        "n_out": plan.n_out,
        "count_width": plan.count_width,
        "count_packing": "neuron i in out_counts[i*CW +: CW], two's complement",
        "latency": plan.latency,
        "latency_rule": (
            "a step accepted at rising edge c has out_valid high at edge c + clocks, where "
            "clocks = 1 + the sum of every layer's clocks (an event layer's: its "
            '"clocks" formula; any other layer\'s: its latency); latency is the worst case'
            if plan.variable
            else "a step accepted at rising edge c has out_valid high at edge c + latency"
        ),
        "clocks_per_step": plan.clocks_per_step,
        "reset": "synchronous, active high",
        "layers": [layer_dict(layer) for layer in plan.layers],
    }
    if plan.encoder:
        design["encoder"] = _encoder_dict(plan.encoder)
    if plan.events is not None:
        c, y, x = plan.event_fields
        design["events"] = {
            "shape": list(plan.events),
            "fields": {"c": c, "y": y, "x": x},
            "rule": f"ev_addr = {{c ({c} bits), y ({y}), x ({x})}} is input (c * H + y) * W + x "
            "of the step being collected; a beat with ev_end closes the step (its address is "
            "ignored) and is taken when in_ready would take a step; an address outside the "
            "shape is dropped; several beats with one address are one spike",
        }
    if plan.window:
        what = {
            "argmax": "the last layer's counts summed over each window of accepted steps",
            "membrane": "the last layer's membranes (units of 2**-F counts) after each "
            "window's last accepted step",
            "membrane-sum": "the last layer's membranes (units of 2**-F counts) summed over "
            "each window of accepted steps",
        }[plan.readout]
        design["readout"] = {
            "kind": plan.readout,
            "window": plan.window,
            "sum_width": plan.sum_width,
            "class_width": plan.class_width,
            "rule": f"{what}; at the window's last out_valid, class_valid pulses with out_class "
            "(the largest value, lowest index on ties) and out_sums (neuron i in "
            "out_sums[i*SW +: SW]); then the network restarts from its reset state, so every "
            "window is one sample from reset",
        }
    design["mem"] = [_mem_dict(layer) for layer in plan.layers]
    design["rtl"] = sorted(rtl)
    design["build_options"] = build_options
    return design


def design_json(design: dict[str, Any]) -> str:
    """The text of ``design.json``: sorted keys, two-space indents, a final newline."""
    return json.dumps(design, indent=2, sort_keys=True) + "\n"


def _input_ports(plan: NetworkPlan) -> dict[str, int]:
    """The input ports: ``in_valid``/``in_ready`` with ``in_spikes`` or ``in_features``, or
    the address-event stream."""
    if plan.events is not None:
        return {"ev_valid": 1, "ev_ready": 1, "ev_addr": plan.event_width, "ev_end": 1}
    data = {"in_features": plan.input_width} if plan.encoder else {"in_spikes": plan.n_in}
    return {"in_valid": 1, "in_ready": 1, **data}


def _encoder_dict(encoder: RateEncoder) -> dict[str, Any]:
    packing = f"input j's level in in_features[j*{encoder.bits} +: {encoder.bits}], unsigned"
    common = {"kind": "rate", "bits": encoder.bits, "seed": encoder.seed}
    if encoder.kind == "vdc":
        return {
            **common,
            "stream": "vdc",
            "period": encoder.period,
            "packing": packing,
            "rule": "input j spikes at an accepted step t when (bitreverse(t mod 2**bits) XOR "
            "mask_j) < its level; t counts the accepted steps since reset",
            "masks": list(encoder.masks),
        }
    return {
        **common,
        "stream": "lfsr",
        "period": encoder.period,
        "packing": packing,
        "rule": "input j spikes at an accepted step t when r_j(t) <= its level; the LFSRs "
        "start at their seeds at reset and advance once per accepted step",
        "taps": list(TAPS[encoder.bits]),
        "streams": [{"seed": seed, "perm": list(perm)} for seed, perm in encoder.streams],
    }


def _mem_dict(layer: LayerPlan) -> dict[str, Any]:
    width, words = mem_words(layer)
    return {
        "file": f"mem/layer{layer.index}.hex",
        "word_width": width,
        "words": len(words),
        "format": layer.style.memory_format,
    }


def layer_dict(layer: LayerPlan) -> dict[str, Any]:
    """One layer of the plan as ``design.json`` has it (:func:`layer_from_dict` reads it
    back with ``model.npz``'s arrays; ``report.json`` takes its shared fields from here)."""
    return {
        "index": layer.index,
        "n_in": layer.n_inputs,
        "n_out": layer.n_out,
        "bias": layer.bias,
        "bits": layer.bits,
        "max_code": layer.max_code,
        "synapses": layer.class_counts(),
        "decorrelated": layer.decorrelated,
        "exactness": (
            f"over any {layer.period} consecutive steps with constant inputs a stochastic "
            f"synapse with code m contributes exactly m * {layer.code_scale} ones"
        ),
        "lfsr": {
            "width": layer.lfsr_width,
            "taps": list(TAPS[layer.lfsr_width]),
            "seeds": list(layer.seeds),
            "streams": [{"register": s.register, "perm": list(s.perm)} for s in layer.stream_defs],
            "stream_rule": layer.stream_rule,
            "stream_rule_is": (
                "each input tap (a line and a delay; a convolution's kernel row) has a stream of "
                "its own, stream s = register s >> B through permutation s % 2**B, B = "
                f"{layer.stream_block}; memory words hold no stream number"
                if layer.stream_rule == "tap"
                else "the n-th stochastic synapse of a neuron with a given code reads stream n, "
                "whose number a memory word stores"
            ),
        },
        "line_depths": list(layer.line_depths),
        "delay_bits": int(sum(layer.line_depths)),
        "count_width": layer.count_width,
        "v_width": layer.v_width,
        "thresholds": list(layer.thresholds),
        "threshold_unit": layer.threshold_unit,
        "reset": layer.reset,
        "recurrent": layer.recurrent,
        "neuron": _neuron_dict(layer),
        "popcount": layer.popcount,
        "tree_levels": layer.tree_levels,
        "tree_stages": layer.tree_stages,
        "latency": layer.latency,
        "pipeline": layer.pipeline,
        "register_every": layer.register_every,
        "delay_ram": layer.delay_ram,
        "constants": layer.constants,
        **style_dict(layer),
    }


def style_dict(layer: LayerPlan) -> dict[str, Any]:
    """The layer's style in ``design.json`` and ``report.json``: its parallelism label,
    its name and its own fields (a folded layer's slots and order, an event layer's
    ``"event"``); :func:`load_plan` reads it back."""
    return {
        "parallelism": layer.style.label,
        "style": layer.style.name,
        **layer.style.fields(layer),
    }


def _neuron_dict(layer: LayerPlan) -> dict[str, Any]:
    """The fixed-point neuron: ``F``, the decays' digits and errors, the constants, and
    what the thresholds are in weight units."""
    unit = layer.threshold_unit * 2.0**-layer.neuron.frac_bits
    return {
        **describe(layer.neuron),
        "unit": unit,
        "rule": "i <- sat(i - rnd(i, Ks, Ls) + (c << F)) [current]; u = i or c << F; "
        "s = sat(v - rnd(v, K, L) + drive + u); fire = spiking & (s >= theta); "
        "v <- fire ? (reset_sub ? s - theta : v_reset) : s; "
        f"rnd(x, K, L) = (2**{GUARD - 1} + sum over K's signed digits s*2**e of "
        f"s * ((x << {GUARD}) >>> (L - e))) >>> {GUARD}",
        "threshold_weights": [t * unit for t in layer.thresholds],
        "threshold_rule": "spike when v >= theta (in units of 2**-F counts): for a "
        "strict (NIR v > threshold) layer theta = floor(threshold / unit) + 1, exact on the "
        "grid; otherwise theta = round(threshold / unit)",
    }


def unpack_counts(value: int, n: int, width: int) -> np.ndarray:
    """``out_counts`` (or a layer's counts) as ``n`` signed counts: neuron ``i`` in bits
    ``i*width +: width``, two's complement (``design.json`` "count_packing").

    Examples
    --------
    >>> unpack_counts(0b1111_0001, 2, 4).tolist()
    [1, -1]
    """
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        field = (value >> (i * width)) & ((1 << width) - 1)
        out[i] = field - (1 << width) if field >> (width - 1) else field
    return out


def model_arrays(compression: CompressionResult, plan: NetworkPlan) -> dict[str, np.ndarray]:
    """The per-synapse arrays of ``model.npz``: the network's, then the plan's codes,
    signs, streams, delays and fold schedules."""
    arrays = dict(network_arrays(compression.network))
    for layer in plan.layers:
        arrays[f"codes_{layer.index}"] = layer.codes
        arrays[f"signs_{layer.index}"] = layer.signs
        arrays[f"streams_{layer.index}"] = layer.streams
        arrays[f"synapse_delays_{layer.index}"] = layer.delays
        for name, array in layer.style.arrays(layer).items():
            arrays[f"{name}_{layer.index}"] = array
    return arrays


def read_build_json(folder: str | os.PathLike[str], name: str) -> tuple[Any, Path]:
    """``(data, path)`` of the JSON file ``name`` of the build folder ``folder``.

    Raises
    ------
    ValueError
        When the file is missing or not readable JSON.
    """
    path = Path(folder) / name
    try:
        return json.loads(path.read_text()), path
    except FileNotFoundError:
        raise ValueError(
            f"{folder} must be a build folder (written by sc-compress build), "
            f"not a folder without {name}"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} must be readable JSON, not: {exc}") from exc


def read_design(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """``design.json`` of the build folder ``folder``.

    Raises
    ------
    ValueError
        When the folder has no ``design.json`` or it is not an sc-compress design.
    """
    design, path = read_build_json(folder, "design.json")
    if not isinstance(design, dict) or design.get("schema") != DESIGN_SCHEMA:
        raise ValueError(f"{path} must be an sc-compress design ({DESIGN_SCHEMA}), not other JSON")
    return design


def _layer_arrays(arrays: dict[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    """``model.npz``'s arrays of layer ``index``, without the ``_<index>`` suffix."""
    tail = f"_{index}"
    return {key[: -len(tail)]: value for key, value in arrays.items() if key.endswith(tail)}


def layer_from_dict(d: dict[str, Any], arrays: dict[str, np.ndarray]) -> LayerPlan:
    """The :class:`LayerPlan` of a :func:`layer_dict` and ``model.npz``'s arrays."""
    index, lfsr = d["index"], d["lfsr"]
    return LayerPlan(
        index=index,
        n_in=d["n_in"] + int(d.get("bias", False)) + d.get("recurrent", 0),
        bias=d.get("bias", False),
        decorrelated=d.get("decorrelated", False),
        stream_rule=lfsr.get("stream_rule", "code"),
        n_out=d["n_out"],
        bits=d["bits"],
        signs=arrays[f"signs_{index}"],
        codes=arrays[f"codes_{index}"],
        delays=arrays[f"synapse_delays_{index}"],
        streams=arrays[f"streams_{index}"],
        seeds=tuple(lfsr["seeds"]),
        stream_defs=tuple(Stream(s["register"], tuple(s["perm"])) for s in lfsr["streams"]),
        line_depths=tuple(d["line_depths"]),
        count_width=d["count_width"],
        v_width=d["v_width"],
        thresholds=tuple(d["thresholds"]),
        threshold_unit=d["threshold_unit"],
        reset=d["reset"],
        neuron=from_description(d.get("neuron")),
        recurrent=d.get("recurrent", 0),
        popcount=d.get("popcount", "adder"),
        tree_levels=d["tree_levels"],
        tree_stages=d["tree_stages"],
        latency=d["latency"],
        style=style_from_fields(d, _layer_arrays(arrays, index)),
        pipeline=d["pipeline"],
        delay_ram=d["delay_ram"],
        constants=d["constants"],
    )


def plan_from_dict(design: dict[str, Any], arrays: dict[str, np.ndarray]) -> NetworkPlan:
    """The :class:`NetworkPlan` of a :func:`design_dict` and ``model.npz``'s arrays."""
    layers = tuple(layer_from_dict(d, arrays) for d in design["layers"])
    encoder = None
    if "encoder" in design:
        n_in = design["layers"][0]["n_in"]
        found = design["encoder"]
        encoder = RateEncoder(n_in, found["bits"], found["seed"], found.get("stream", "lfsr"))
    window = design["readout"]["window"] if "readout" in design else None
    kind = design["readout"].get("kind", "argmax") if "readout" in design else "argmax"
    events = tuple(design["events"]["shape"]) if "events" in design else None
    return NetworkPlan(
        design["top"], layers, design.get("weight_port", False), encoder, window, kind, events
    )


def load_plan(out: str | os.PathLike[str]) -> NetworkPlan:
    """Rebuild the :class:`NetworkPlan` of a build folder from its
    ``design.json`` and ``model.npz`` (what the simulations check against)."""
    out = Path(out)
    design = read_design(out)
    with np.load(out / "model.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return plan_from_dict(design, arrays)
