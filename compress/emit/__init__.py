"""Emit layer: Verilog from the circuit structure, through Jinja2 templates or
Amaranth components."""
