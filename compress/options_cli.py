"""Click options generated from the library's option fields (:mod:`compress.model.fields`).

:func:`options` turns fields of an options dataclass into click options (name,
type, range, choices, default and help all come from the field) and
:func:`take` turns the parsed values back into the dataclass's keywords.  A name
``"layer:<field>"`` stands for the field's per-layer form ``--layer-<field> L=VALUE``
(collected as a tuple of strings, parsed by the caller).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import click

from .model.fields import cli_of

__all__ = ["dest", "options", "take"]


def dest(cls: type, name: str) -> str:
    """The keyword click passes field ``name`` of ``cls`` as."""
    if name.startswith("layer:"):
        return "layer_" + name[len("layer:") :]
    return (cli_of(cls, name).name or name).replace("-", "_")


def _default(cls: type, name: str) -> Any:
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def _type(kind: type, low: Any, high: Any, choices: Sequence[str] | None) -> Any:
    if choices is not None:
        return click.Choice(list(choices))
    if kind is int:
        return click.IntRange(low, high) if low is not None or high is not None else int
    if kind is float:
        return click.FloatRange(low, high) if low is not None or high is not None else float
    return str


def _option(cls: type, name: str, help: str | None) -> Callable:
    if name.startswith("layer:"):
        field = name[len("layer:") :]
        metavar, text = cli_of(cls, field).layer
        flag = "--layer-" + field.replace("_", "-")
        return click.option(flag, dest(cls, name), multiple=True, metavar=metavar, help=text)
    cli = cli_of(cls, name)
    flag = "--" + (cli.name or name.replace("_", "-"))
    text = help or cli.help
    if cli.kind is bool:
        return click.option(flag, dest(cls, name), is_flag=True, help=text)
    default = _default(cls, name)
    choices = cli.choices
    if cli.none is not None:
        choices = None if choices is None else (cli.none, *choices)
        default = cli.none if default is None else default
    return click.option(
        flag,
        dest(cls, name),
        type=_type(cli.kind, cli.low, cli.high, choices),
        default=default,
        show_default=cli.show_default if default is not None else False,
        metavar=cli.metavar,
        help=text,
    )


def options(cls: type, names: Sequence[str], help: dict[str, str] | None = None) -> Callable:
    """A decorator adding the click options of fields ``names`` of ``cls``, in that order
    (``help`` replaces a field's help for this command)."""

    def decorate(func: Callable) -> Callable:
        for name in reversed(names):
            func = _option(cls, name, (help or {}).get(name))(func)
        return func

    return decorate


def take(cls: type, names: Sequence[str], values: dict[str, Any]) -> dict[str, Any]:
    """Remove the parsed values of fields ``names`` of ``cls`` from ``values`` and return
    them as the dataclass's keywords (the ``None`` word back to ``None``; per-layer forms
    under ``layer:<field>``)."""
    out = {}
    for name in names:
        value = values.pop(dest(cls, name))
        if not name.startswith("layer:"):
            cli = cli_of(cls, name)
            if cli.none is not None and value == cli.none:
                value = None
        out[name] = value
    return out
