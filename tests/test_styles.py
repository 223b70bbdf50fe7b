"""The layer styles: one class each, one registry, and every part of the tool reads it.

A style holds its own plan fields, so a layer cannot mix two styles' fields; the
registry (``compress.hardware.styles.STYLES``) is what the planner, ``load_plan``,
the emitters, the estimator, ``--fit``, the sweep labels, the CLI and the fuzz use.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from compress import CompressionConfig, HardwareOptions, Layer, Network, example_network
from compress.analysis.estimate import PARTS as ESTIMATOR_PARTS
from compress.analysis.parts import choose
from compress.build import build
from compress.emit.verilog import CONTEXTS
from compress.hardware.design import load_plan
from compress.hardware.ir import LayerStyle
from compress.hardware.plan import plan_network
from compress.hardware.styles import STYLES, Convolution, Event, Folded, Full, choices, style_for
from compress.model.conv import Conv
from compress.model.passes import compress_network
from compress.sweep import Point
from hdl_templates.components import COMPONENTS

HDL = Path(__file__).resolve().parents[1] / "hdl_templates"
HARDWARE = {
    "full": HardwareOptions(),
    "folded": HardwareOptions(parallelism=3, fold_order="banked"),
    "event": HardwareOptions(parallelism="event", neuron_lanes=3),
    "conv": HardwareOptions(neuron_lanes=2),
}


def network_for(name: str) -> Network:
    """The example network, or for the convolution style a small convolution network."""
    if name != "conv":
        return example_network()
    rng = np.random.default_rng(0)
    geometry = Conv((2, 4, 5), 3, (3, 3), padding=(1, 1))
    first = Layer(rng.normal(0, 0.5, geometry.kernel_shape), bias=np.ones(3) / 4, conv=geometry)
    return Network([first, Layer(rng.normal(0, 0.5, (4, geometry.n_out)))])


def test_the_registry_lists_each_style_once_with_every_part():
    """A style names a template and a component that exist, and the Jinja2 emitter and the
    estimator have its context and its parts: nothing else needs a new style's name."""
    assert list(STYLES) == ["full", "folded", "event", "conv"] == list(HARDWARE)
    for name, cls in STYLES.items():
        assert issubclass(cls, LayerStyle) and cls.name == name
        assert (HDL / cls.template).is_file(), cls.template
        assert cls.component in COMPONENTS
        assert name in CONTEXTS and name in ESTIMATOR_PARTS
        assert cls.memory_format and cls.choice
        assert cls.fit_choices(spram=True), name  # --fit tries every style


def test_a_layer_cannot_mix_two_styles_fields():
    """The fields live in the style: an event field on a folded layer does not exist."""
    result = compress_network(example_network(), CompressionConfig())
    folded = plan_network(result, hardware=HARDWARE["folded"]).layers[0]
    assert isinstance(folded.style, Folded) and folded.style.lanes == 3
    with pytest.raises(TypeError):
        dataclasses.replace(folded, event_lanes=4)
    with pytest.raises(TypeError):
        Folded(lanes=2, order="compact", schedule=folded.style.schedule, spram=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        folded.style.lanes = 4


@pytest.mark.parametrize("name", list(HARDWARE))
def test_each_style_survives_design_json(tmp_path, name):
    """``load_plan`` rebuilds the style with every field, from design.json and model.npz."""
    built = build(network_for(name), tmp_path / "b", hardware=HARDWARE[name]).plan
    loaded = load_plan(tmp_path / "b")
    assert type(built.layers[0].style) is STYLES[name]
    for a, b in zip(built.layers, loaded.layers, strict=True):
        assert type(a.style) is type(b.style)
        assert a.style.label == b.style.label and a.style.describe() == b.style.describe()
        assert a.style.fields(a) == b.style.fields(b) and a.latency == b.latency
        for key, array in a.style.arrays(a).items():
            assert np.array_equal(array, b.style.arrays(b)[key])


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        (None, Full),
        ("full", Full),
        (1, Folded),
        (np.int64(4), Folded),
        ("event", Event),
        ("conv", Convolution),
    ],
)
def test_a_parallelism_value_picks_one_style(value, cls):
    assert style_for(value) is cls
    assert sum(c.accepts(value) for c in STYLES.values()) == 1


@pytest.mark.parametrize("value", [0, -1, True, 2.0, "half", "Full"])
def test_no_style_takes_a_bad_value(value):
    with pytest.raises(ValueError, match=rf"^layer 2: parallelism must be {choices()}, not"):
        style_for(value, 2)
    assert choices() == "a positive integer, 'full', 'event' or 'conv'"


def test_fit_and_sweep_read_the_registry():
    """``--fit``'s options are every style's choices; a sweep label tags each style."""
    result = compress_network(example_network(), CompressionConfig())
    choice = choose(result, "up5k")
    assert choice.tried >= 1 and all(o.label for o in choice.options)
    labels = {
        name: Point(CompressionConfig(), HARDWARE[name]).label().split()[-1] for name in HARDWARE
    }
    assert labels["folded"] == "P3" and labels["event"] == "event"
    mixed = Point(CompressionConfig(), HardwareOptions(parallelism=["full", 2]))
    assert mixed.label().endswith("full,P2")


def test_a_design_json_without_style_keys_reads_its_parallelism(tmp_path):
    """An older design.json (no "style" key) still loads: the parallelism names the style."""
    import json

    build(example_network(), tmp_path / "b", hardware=HardwareOptions(parallelism=[2, "event"]))
    path = tmp_path / "b" / "design.json"
    design = json.loads(path.read_text())
    for layer in design["layers"]:
        del layer["style"]
    path.write_text(json.dumps(design))
    styles = [layer.style.describe() for layer in load_plan(tmp_path / "b").layers]
    assert styles == ["folded P=2", "event 4 lanes"]
