"""Hardware layer: options, LFSRs, the plan, the circuit structure, the memory format,
design.json and the golden model.  numpy and the standard library only."""
