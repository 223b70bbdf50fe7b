"""Measure layer: Yosys and nextpnr runs, the cell counter, the uncompressed baseline's options."""
