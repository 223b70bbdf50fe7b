"""The hardware side of sc-compress (the design card's ``hdl_templates/``).

The Jinja2 templates (``*.v.j2``: the layers, the top, the testbench; ``core.j2``:
the FuseSoC core; ``report.html.j2`` and ``sweep.html.j2``: the report pages) and
the Amaranth components (:mod:`hdl_templates.components`, the same hardware clock
for clock).  They lay out what :mod:`compress.hardware.structure` describes and
decide nothing: the renderers are in :mod:`compress.emit`.  This package may load
the structure types of :mod:`compress.hardware`; ``compress`` loads it only to render.
Importing the package itself loads nothing (Amaranth only with ``components``).
"""
