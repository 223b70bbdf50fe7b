"""The layer styles: one class per way of building a layer, one module each.

:data:`STYLES` is the one list of them: the CLI's ``--parallelism`` choices,
``--fit``'s search, the sweep labels, :func:`compress.hardware.design.load_plan`,
the reports and the fuzz read it.  Adding a style means a module here with a
:class:`~compress.hardware.ir.LayerStyle` subclass, its entry below, its Jinja2
template and Amaranth component in ``hdl_templates/``, and its Jinja2 context and
estimator parts (looked up by the style's name; ``tests/test_styles.py`` checks
that every style has all of them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import LayerStyle
from .conv import Convolution
from .event import Event
from .folded import Folded
from .full import Full

__all__ = [
    "STYLES",
    "Convolution",
    "Event",
    "Folded",
    "Full",
    "choices",
    "style_for",
    "style_from_fields",
]

#: Every layer style by name, in the order the CLI and the reports list them.
STYLES: dict[str, type[LayerStyle]] = {cls.name: cls for cls in (Full, Folded, Event, Convolution)}


def style_for(value: object, index: int | None = None) -> type[LayerStyle]:
    """The style a ``parallelism`` value asks for (``index``: the layer, for the error).

    Raises
    ------
    ValueError
        When no style accepts ``value``.
    """
    for cls in STYLES.values():
        if cls.accepts(value):
            return cls
    where = "" if index is None else f"layer {index}: "
    raise ValueError(f"{where}parallelism must be {choices()}, not {value!r}")


def choices() -> str:
    """The ``parallelism`` values the styles accept, in words (the errors' and the CLI's):
    ``"a positive integer, 'full', 'event' or 'conv'"``."""
    words = sorted((cls.choice for cls in STYLES.values()), key=lambda c: c.startswith("'"))
    return f"{', '.join(words[:-1])} or {words[-1]}"


def style_from_fields(fields: dict[str, Any], arrays: dict[str, np.ndarray]) -> LayerStyle:
    """The style of a ``design.json`` layer entry (its ``"style"``) and its arrays."""
    name = fields.get("style")
    if name is None:  # a design.json from before the "style" key: its parallelism says
        name = style_for(fields.get("parallelism", "full")).name
    if name not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {name!r}")
    return STYLES[name].from_fields(fields, arrays)
