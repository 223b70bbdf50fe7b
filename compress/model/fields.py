"""Option fields: a dataclass field that also says how a command line offers it.

The options of the library (:class:`~compress.model.passes.CompressionConfig`,
:class:`~compress.hardware.options.HardwareOptions`, :class:`~compress.model.limits.Limits`,
the evaluation settings) declare each field with :func:`option`: its default, its
help, its range or choices, the word that stands for ``None``, and a per-layer
form.  The ``sc-compress`` commands are generated from these fields
(:mod:`compress.options_cli`), so a default is the library's, never a copy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["Cli", "cli_of", "option"]


@dataclass(frozen=True)
class Cli:
    """How a command line offers one option field.

    Attributes
    ----------
    help : str
    kind : type
        ``int``, ``float``, ``str`` or ``bool`` (a flag).
    low, high : number or None
        The range (inclusive) a number must lie in.
    choices : tuple of str or None
        The words it takes.
    none : str or None
        The word that stands for ``None`` (``"none"``): a choice of its own.
    metavar : str or None
    show_default : bool or str
    layer : tuple of (str, str) or None
        ``(metavar, help)`` of a per-layer form ``--layer-<name> L=VALUE``.
    name : str or None
        The option's name when not the field's (``--limit-synapses``).
    """

    help: str
    kind: type = str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    none: str | None = None
    metavar: str | None = None
    show_default: bool | str = True
    layer: tuple[str, str] | None = None
    name: str | None = None


def option(default: Any, help: str, kind: type | None = None, **cli: Any) -> Any:
    """A dataclass field with ``default`` and what a command line needs (:class:`Cli`);
    ``kind`` defaults to the default's type (``str`` for ``None``)."""
    if kind is None:
        kind = type(default) if default is not None else str
    return dataclasses.field(default=default, metadata={"cli": Cli(help, kind, **cli)})


def cli_of(cls: type, name: str) -> Cli:
    """The :class:`Cli` of field ``name`` of the dataclass ``cls``."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata["cli"]
    raise KeyError(f"{cls.__name__} has no option field {name!r}")
