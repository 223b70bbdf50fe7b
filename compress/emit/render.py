"""The one Jinja2 environment of sc-compress and the one function that renders its templates.

Every generated text file (Verilog, the FuseSoC core, Yosys wrappers, the HTML
reports) comes from a template in the top-level ``hdl_templates/`` package.  Python computes
every name, width and expression; the templates only lay them out
(``StrictUndefined``: a missing value is an error that names the template).
"""

from __future__ import annotations

from typing import Any

import jinja2

__all__ = ["render"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("hdl_templates", "."),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)


def render(template: str, **context: Any) -> str:
    """Render ``template`` (a file name in ``hdl_templates/``) with ``context``.

    Raises
    ------
    RuntimeError
        When the template is missing or fails; the message names it.
    """
    try:
        return _ENV.get_template(template).render(**context)
    except jinja2.TemplateError as exc:
        raise RuntimeError(f"template {template}: {exc}") from exc
