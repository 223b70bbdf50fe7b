"""sc-compress: compress spiking-network weights for stochastic-computing FPGAs.

The public API: the five compression functions of the seed API with
:class:`PruningReport`, the hardware codes (:func:`quantize_codes`), the
network model and the network-level compression pipeline, and the hardware
options of a build (:class:`HardwareOptions`, used with ``compress.build.build``).
"""

from .hardware.plan import HardwareOptions
from .model.examples import example_network, example_path
from .model.network import Layer, Network, load_network, save_network
from .model.passes import CompressionConfig, CompressionResult, compress_network
from .model.pruning import (
    LayerPruning,
    PruningReport,
    prune_neurons,
    prune_stochastic,
    prune_weights,
)
from .model.quantization import LayerCodes, quantize_codes, quantize_delays, quantize_weights

__all__ = [
    "CompressionConfig",
    "CompressionResult",
    "HardwareOptions",
    "Layer",
    "LayerCodes",
    "LayerPruning",
    "Network",
    "PruningReport",
    "compress_network",
    "example_network",
    "example_path",
    "load_network",
    "prune_neurons",
    "prune_stochastic",
    "prune_weights",
    "quantize_codes",
    "quantize_delays",
    "quantize_weights",
    "save_network",
]

__version__ = "0.1.0"
