"""Verify layer: run a build's proofs in a simulator (the exported self-checking testbench)."""
