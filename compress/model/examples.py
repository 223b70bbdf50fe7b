"""Example networks bundled with the package.

``example_16_12_4.npz`` is a 16-12-4 network with every synapse class:
zeros, near-0 and near-1 weights, negative weights, per-neuron thresholds,
a leak, both reset modes and synaptic delays.  It was written once by
``tools/make_examples.py``; the file, not the script, is the reference.
``random_64_32_10.npz`` is a dense random 64-32-10 network with a leak.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .network import Network, load_network

__all__ = ["EXAMPLES", "example_network", "example_path"]

#: Names of the bundled example networks.
EXAMPLES = ("example_16_12_4", "random_64_32_10")


def example_path(name: str = "example_16_12_4") -> Path:
    """Path of a bundled example ``.npz`` file.

    Parameters
    ----------
    name : str
        One of :data:`EXAMPLES`.
    """
    if name not in EXAMPLES:
        names = ", ".join(EXAMPLES)
        raise ValueError(f"example must be one of {names}, not {name!r}")
    return Path(str(resources.files("compress") / "data" / f"{name}.npz"))


def example_network(name: str = "example_16_12_4") -> Network:
    """Load a bundled example network (see :data:`EXAMPLES`)."""
    return load_network(example_path(name))
