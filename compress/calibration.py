"""The calibration set: designs whose Yosys figures the resource estimator is checked on.

Each entry names a network (a bundled example or a seeded random one), the
compression options and the hardware options.  ``tools/calibrate.py``
synthesizes every entry of :data:`CALIBRATION` and :data:`HOLDOUT` for the
three families, stores the figures in ``compress/data/calibration.json`` and
fits the LUT model on :data:`CALIBRATION` only; the tests rebuild the plans
(fast) and compare the estimates with the stored figures of both sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .examples import example_network
from .network import Layer, Network
from .passes import CompressionConfig
from .plan import HardwareOptions

__all__ = ["CALIBRATION", "HOLDOUT", "CalibrationDesign"]


@dataclass(frozen=True)
class CalibrationDesign:
    """One design of the calibration set."""

    name: str
    network: str  # a bundled example, or "random:<seed>:<sizes>" / "delays:<seed>"
    config: CompressionConfig = field(default_factory=CompressionConfig)
    hardware: HardwareOptions = field(default_factory=HardwareOptions)

    def build_network(self) -> Network:
        """The float network of this design."""
        kind, _, rest = self.network.partition(":")
        if kind == "random":
            seed, sizes = rest.split(":")
            dims = [int(n) for n in sizes.split("-")]
            rng = np.random.default_rng(int(seed))
            return Network(
                tuple(
                    Layer(rng.uniform(-1, 1, (n_out, n_in)), threshold=2.0)
                    for n_in, n_out in zip(dims, dims[1:], strict=False)
                )
            )
        if kind == "delays":
            rng = np.random.default_rng(int(rest))
            w = rng.uniform(-1, 1, (6, 48))
            delays = rng.choice([0.0, 5.0, 30.0], (6, 48))
            return Network((Layer(w, delays=delays, threshold=2.0),))
        return example_network(self.network)


CALIBRATION = (
    CalibrationDesign("example", "example_16_12_4"),
    CalibrationDesign("example_speed", "example_16_12_4", hardware=HardwareOptions("speed")),
    CalibrationDesign("net64_dense", "random_64_32_10"),
    CalibrationDesign("net64_speed", "random_64_32_10", hardware=HardwareOptions("speed")),
    CalibrationDesign("net64_pruned", "random_64_32_10", CompressionConfig(prune_percentile=50)),
    CalibrationDesign("net32_bits5", "random:5:32-16-8", CompressionConfig(bits=5)),
    CalibrationDesign(
        "net64_fold4_aligned",
        "random_64_32_10",
        hardware=HardwareOptions(parallelism=[4, "full"], fold_order="aligned"),
    ),
    CalibrationDesign(
        "net64_fold2_compact",
        "random_64_32_10",
        CompressionConfig(prune_percentile=30),
        HardwareOptions(parallelism=2),
    ),
    CalibrationDesign(
        "net96_fold8_banked",
        "random:9:96-24",
        hardware=HardwareOptions(parallelism=8, fold_order="banked"),
    ),
    CalibrationDesign("delays_ram", "delays:3"),
)

#: Designs measured like the calibration set but never used to fit the LUT model:
#: the check that the estimate holds on networks it has not seen.
HOLDOUT = (
    CalibrationDesign("holdout_48_24_6", "random:21:48-24-6"),
    CalibrationDesign(
        "holdout_64_32_speed",
        "random:33:64-32",
        CompressionConfig(prune_percentile=40),
        HardwareOptions("speed"),
    ),
    CalibrationDesign(
        "holdout_80_20_fold4", "random:44:80-20", hardware=HardwareOptions(parallelism=4)
    ),
    CalibrationDesign(
        "holdout_40_30_10_aligned",
        "random:55:40-30-10",
        CompressionConfig(prune_percentile=20),
        HardwareOptions(parallelism=[3, 2], fold_order="aligned"),
    ),
)
