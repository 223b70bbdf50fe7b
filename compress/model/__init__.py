"""Model layer: the float network, its validation and limits, and the compression
passes (pruning, quantisation).  numpy and the standard library only."""
