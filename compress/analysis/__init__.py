"""Analysis layer: resource estimates, their calibration, and accuracy evaluation
(no emitter, no tools)."""
