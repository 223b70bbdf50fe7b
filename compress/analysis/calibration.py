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

from ..hardware.plan import HardwareOptions
from ..model.conv import Conv
from ..model.examples import example_network
from ..model.network import Layer, Network
from ..model.passes import CompressionConfig

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
        if kind == "conv":  # conv:<seed>:<C>x<H>x<W>-<out channels>-<k>-<stride>-<padding>
            seed, shape, out, k, stride, pad = rest.replace(":", "-", 1).split("-")
            c, h, w = (int(n) for n in shape.split("x"))
            geometry = Conv(
                (c, h, w),
                int(out),
                (int(k), int(k)),
                stride=(int(stride),) * 2,
                padding=(int(pad),) * 2,
            )
            rng = np.random.default_rng(int(seed))
            first = Layer(
                rng.normal(0, 0.5, geometry.kernel_shape),
                threshold=1.0,
                bias=rng.normal(0, 0.3, geometry.out_channels),
                conv=geometry,
            )
            return Network((first, Layer(rng.normal(0, 0.5, (10, geometry.n_out)), threshold=1.0)))
        if kind == "neurons":  # NIR's neuron models: a non-power-of-two leak, a current
            rng = np.random.default_rng(int(rest))
            hidden = Layer(
                rng.uniform(-1, 1, (16, 32)), threshold=2.0, leak=0.04, drive=0.05, strict=True
            )
            out = Layer(rng.uniform(-1, 1, (8, 16)), threshold=1.5, leak=0.1, syn_leak=0.2)
            return Network((hidden, out))
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
    CalibrationDesign("neurons_lif_cuba", "neurons:7"),
    CalibrationDesign(
        "neurons_speed_fold2",
        "neurons:8",
        hardware=HardwareOptions("speed", parallelism=[2, "full"]),
    ),
    # Held-out set 1 (LUTs were within 21%); its figures were seen and the
    # estimate mended before it joined the calibration set.
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
    CalibrationDesign(
        "fold4_compact_48_16", "random:61:48-16", hardware=HardwareOptions(parallelism=4)
    ),
    CalibrationDesign(
        "fold8_compact_128_16",
        "random:62:128-16",
        CompressionConfig(prune_percentile=40),
        HardwareOptions(parallelism=8),
    ),
    CalibrationDesign(
        "fold2_banked_32_24_8",
        "random:63:32-24-8",
        hardware=HardwareOptions(parallelism=2, fold_order="banked"),
    ),
    CalibrationDesign(
        "fold4_aligned_96_16_pruned",
        "random:64:96-16",
        CompressionConfig(prune_percentile=50),
        HardwareOptions(parallelism=4, fold_order="aligned"),
    ),
    CalibrationDesign(  # pinned to plain LFSRs: the Yosys figures were taken before the default
        "full_bits4_48_24",
        "random:65:48-24",
        CompressionConfig(bits=4),
        HardwareOptions(decorrelate=0),
    ),
    CalibrationDesign(
        "full_bits6_pruned70", "random:66:64-24-8", CompressionConfig(bits=6, prune_percentile=70)
    ),
    CalibrationDesign(
        "fold2_weight_port_32_16",
        "random:67:32-16",
        hardware=HardwareOptions(parallelism=2, weight_port=True),
    ),
    CalibrationDesign(
        "speed_pruned_32_16",
        "random:68:32-16",
        CompressionConfig(prune_percentile=30),
        HardwareOptions("speed"),
    ),
    CalibrationDesign(
        "no_constants_bits4_48_16",
        "random:69:48-16",
        CompressionConfig(bits=4),
        HardwareOptions(constants=False, decorrelate=0),
    ),
    CalibrationDesign("delays_fold2", "delays:5", hardware=HardwareOptions(parallelism=2)),
    CalibrationDesign(
        "rom_fold4_aligned_16_16",
        "random:81:16-16",
        CompressionConfig(prune_percentile=50),
        HardwareOptions(parallelism=4, fold_order="aligned"),
    ),
    CalibrationDesign(
        "rom_fold2_compact_24_12_6", "random:82:24-12-6", hardware=HardwareOptions(parallelism=2)
    ),
    # Held-out set 2: 16 of its 18 family figures were within
    # 15%; ECP5 missed on the aligned 6-bit design (+24%) and on the folded delays
    # (-19%).  The lanes' stream multiplexers and comparators became separate
    # features then, and these designs joined the calibration set.
    CalibrationDesign(
        "unseen_56_28_pruned35", "random:71:56-28", CompressionConfig(prune_percentile=35)
    ),
    CalibrationDesign(
        "unseen_72_24_fold3", "random:72:72-24", hardware=HardwareOptions(parallelism=3)
    ),
    CalibrationDesign(
        "unseen_40_20_8_banked",
        "random:73:40-20-8",
        CompressionConfig(prune_percentile=20),
        HardwareOptions(parallelism=[4, 2], fold_order="banked"),
    ),
    CalibrationDesign(
        "unseen_64_16_aligned_bits6",
        "random:74:64-16",
        CompressionConfig(bits=6),
        HardwareOptions(parallelism=8, fold_order="aligned"),
    ),
    CalibrationDesign(
        "unseen_48_32_10_speed", "random:75:48-32-10", hardware=HardwareOptions("speed")
    ),
    CalibrationDesign(
        "unseen_delays_fold3",
        "delays:8",
        CompressionConfig(prune_percentile=25),
        HardwareOptions(parallelism=3),
    ),
    # Held-out set 3: 18 of its 21 family figures were within 15% (at most 13.8%);
    # the aligned folded design with delays missed on all three (+26%, +34%, +19%):
    # the aligned lanes' shared line multiplexers were priced as n_in-way (they only
    # span the lines a lane reaches) and LUT RAM had no feature.  Both were mended
    # and these designs joined the calibration set.
    CalibrationDesign(
        "unseen2_60_20_pruned45", "random:91:60-20", CompressionConfig(prune_percentile=45)
    ),
    CalibrationDesign(
        "unseen2_88_16_fold4_banked",
        "random:92:88-16",
        hardware=HardwareOptions(parallelism=4, fold_order="banked"),
    ),
    CalibrationDesign(
        "unseen2_32_32_8_aligned_bits7",
        "random:93:32-32-8",
        CompressionConfig(bits=7),
        HardwareOptions(parallelism=2, fold_order="aligned"),
    ),
    CalibrationDesign(
        "unseen2_56_24_fold6_pruned30",
        "random:94:56-24",
        CompressionConfig(prune_percentile=30),
        HardwareOptions(parallelism=6),
    ),
    CalibrationDesign(
        "unseen2_40_24_10_speed_bits6",
        "random:95:40-24-10",
        CompressionConfig(bits=6),
        HardwareOptions("speed"),
    ),
    CalibrationDesign(
        "unseen2_delays_fold4_aligned",
        "delays:11",
        hardware=HardwareOptions(parallelism=4, fold_order="aligned"),
    ),
    CalibrationDesign(
        "unseen2_14_10_fold2_rom", "random:96:14-10", hardware=HardwareOptions(parallelism=2)
    ),
    # event-driven and convolution layers, the input encoder and the class readout
    # (issue 22, item 5: fitted since the walk, the RAM ring's addresses, the encoder
    # and the readout have features of their own)
    CalibrationDesign(
        "event_64_32_10_lanes8",
        "random_64_32_10",
        hardware=HardwareOptions(parallelism="event", neuron_lanes=8),
    ),
    CalibrationDesign(
        "event_96_24_lanes4_pruned30",
        "random:111:96-24",
        CompressionConfig(prune_percentile=30),
        HardwareOptions(parallelism="event", neuron_lanes=4),
    ),
    CalibrationDesign(
        "event_48_32_10_lanes16_tap_bits6",
        "random:112:48-32-10",
        CompressionConfig(bits=6),
        HardwareOptions(parallelism="event", neuron_lanes=16, stream_rule="tap"),
    ),
    CalibrationDesign(
        "event_delays_lanes2",
        "delays:14",
        hardware=HardwareOptions(parallelism="event", neuron_lanes=2),
    ),
    CalibrationDesign(
        "conv_1x8x8_8_k3s2_lanes8",
        "conv:121:1x8x8-8-3-2-0",
        CompressionConfig(bits=6),
        HardwareOptions(parallelism=["conv", "full"], neuron_lanes=8),
    ),
    CalibrationDesign(
        "conv_2x12x12_8_k3s1p1_lanes4",
        "conv:122:2x12x12-8-3-1-1",
        hardware=HardwareOptions(parallelism=["conv", "event"], neuron_lanes=4),
    ),
    CalibrationDesign(
        "encoder_rate_64_32_10",
        "random_64_32_10",
        hardware=HardwareOptions(input_encoder="rate", input_bits=6),
    ),
    CalibrationDesign(
        "readout_argmax_64_32_10_fold2",
        "random_64_32_10",
        hardware=HardwareOptions(parallelism=2, readout="argmax", window=64),
    ),
    # event layers with neuron RAM (nothing of theirs fitted: see NEURON_RAM_LUT_TOLERANCE)
    CalibrationDesign(
        "event_64_32_10_lanes8_neuron_ram",
        "random_64_32_10",
        CompressionConfig(prune_percentile=50),
        HardwareOptions(parallelism="event", neuron_lanes=8, neuron_ram=True),
    ),
    CalibrationDesign(
        "event_128_32_lanes16_neuron_ram_speed",
        "random:143:128-32",
        CompressionConfig(prune_percentile=60),
        HardwareOptions("speed", parallelism="event", neuron_lanes=16, neuron_ram=True),
    ),
    # compressor-tree popcounts (their counter_luts fitted alone: see tools/calibrate.py)
    CalibrationDesign(
        "lut6_64_32_10",
        "random_64_32_10",
        CompressionConfig(),
        HardwareOptions(popcount="lut6"),
    ),
    CalibrationDesign(
        "lut4_48_24_speed_pruned30",
        "random:144:48-24",
        CompressionConfig(prune_percentile=30),
        HardwareOptions("speed", popcount="lut4"),
    ),
    CalibrationDesign(
        "lut4_fold2_64_16",
        "random:145:64-16",
        CompressionConfig(bits=4),
        HardwareOptions(parallelism=2, popcount="lut4"),
    ),
)

#: Designs measured like the calibration set but never used to fit the LUT model:
#: the check that the estimate holds on networks it has not seen (held-out set 4).
#: They were synthesized once, after the model was fitted, and not used to change it.
HOLDOUT = (
    CalibrationDesign(
        "unseen3_72_36_pruned60", "random:101:72-36", CompressionConfig(prune_percentile=60)
    ),
    CalibrationDesign(
        "unseen3_delays_fold2_banked",
        "delays:13",
        hardware=HardwareOptions(parallelism=2, fold_order="banked"),
    ),
    CalibrationDesign(
        "unseen3_64_20_fold5_banked_bits6",
        "random:103:64-20",
        CompressionConfig(bits=6),
        HardwareOptions(parallelism=5, fold_order="banked"),
    ),
    CalibrationDesign(
        "unseen3_36_28_12_fold3_full",
        "random:104:36-28-12",
        CompressionConfig(prune_percentile=25),
        HardwareOptions(parallelism=[3, "full"]),
    ),
    CalibrationDesign(
        "unseen3_24_24_speed_pruned20",
        "random:105:24-24",
        CompressionConfig(prune_percentile=20),
        HardwareOptions("speed"),
    ),
    CalibrationDesign(
        "unseen3_18_12_fold3_aligned",
        "random:106:18-12",
        hardware=HardwareOptions(parallelism=3, fold_order="aligned"),
    ),
    CalibrationDesign(
        "unseen3_100_12_fold4", "random:107:100-12", hardware=HardwareOptions(parallelism=4)
    ),
    # held out since the refit with event, convolution, encoder and readout designs
    CalibrationDesign(
        "unseen4_event_80_40_10_lanes8_pruned40",
        "random:131:80-40-10",
        CompressionConfig(prune_percentile=40),
        HardwareOptions(parallelism="event", neuron_lanes=8),
    ),
    CalibrationDesign(
        "unseen4_event_64_24_lanes8_tap_bits7",
        "random:132:64-24",
        CompressionConfig(bits=7),
        HardwareOptions(parallelism="event", neuron_lanes=8, stream_rule="tap"),
    ),
    CalibrationDesign(
        "unseen4_conv_1x10x10_6_k3s1_lanes4",
        "conv:133:1x10x10-6-3-1-0",
        CompressionConfig(bits=6),
        HardwareOptions(parallelism=["conv", "full"], neuron_lanes=4),
    ),
    CalibrationDesign(
        "unseen4_encoder_vdc_48_24",
        "random:134:48-24",
        hardware=HardwareOptions(input_encoder="rate", input_bits=5, input_stream="vdc"),
    ),
    CalibrationDesign(
        "unseen4_readout_membrane_sum_32_16_8",
        "random:135:32-16-8",
        hardware=HardwareOptions(parallelism=2, readout="membrane-sum", window=32),
    ),
    # held out: event layers with neuron RAM (after the refit above, no refit since)
    CalibrationDesign(
        "unseen5_event_96_48_10_lanes8_neuron_ram",
        "random:141:96-48-10",
        CompressionConfig(prune_percentile=50),
        HardwareOptions(parallelism="event", neuron_lanes=8, neuron_ram=True),
    ),
    CalibrationDesign(
        "unseen5_event_64_40_lanes4_neuron_ram_speed_tap",
        "random:142:64-40",
        CompressionConfig(bits=6),
        HardwareOptions(
            "speed", parallelism="event", neuron_lanes=4, neuron_ram=True, stream_rule="tap"
        ),
    ),
    # held out: compressor-tree popcounts (after counter_luts was fitted, no refit since)
    CalibrationDesign(
        "unseen6_lut6_40_20_10_pruned40",
        "random:146:40-20-10",
        CompressionConfig(prune_percentile=40),
        HardwareOptions(popcount="lut6"),
    ),
    CalibrationDesign(
        "unseen6_lut4_56_28_bits6",
        "random:147:56-28",
        CompressionConfig(bits=6),
        HardwareOptions(popcount="lut4"),
    ),
)
