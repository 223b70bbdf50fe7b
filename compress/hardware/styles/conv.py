"""The convolution layer style: kernels stored once, only spiking inputs walked.

A convolution layer (:class:`~compress.model.conv.Conv`) keeps its kernel, one weight
row per (input channel, tap row, tap column, output-channel group), and its counts,
membranes and currents in memories of one row per (group, output position).  Per step
the walk scans the input spikes a row segment at a time (one clock per segment) and,
for every input spike ``(c, y, x)``, visits the output positions it reaches: the
(tap, output) pairs of its row and of its column (small tables of the geometry, so
stride, padding and dilation need no arithmetic), one output-channel group per clock.
Each lane compares its kernel word's code with the word's stream and adds +-1 into its
output neuron's count (a read-modify-write of the count row, forwarded when two
visits in a row meet the same row).  Then every row's neurons are updated, ``lanes`` at
a time, with the per-channel bias synapses added then.

Lanes are *output channels*: one kernel row holds the same tap of ``lanes`` output
channels, so a lane's neuron is the same output position in every lane and the count
row is one memory word.  Lanes over taps would need ``lanes`` different count rows
per clock (one per output position the taps reach): a multi-ported count memory.

Random values: a synapse ``(output neuron, input position)`` reads the stream of its
kernel weight (the stream number is stored with the kernel word, ranked by code within
the output channel's kernel as :func:`~compress.hardware.streams.assign_streams` does
for a fully connected neuron), so no two synapses of one neuron with the same code
share a stream and every synapse's count is exact over the LFSR period; neurons of one
channel share their streams, as neurons of a fully connected layer do.
Template ``hdl_templates/conv.v.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ...model.conv import Conv
from ..ir import LayerPlan, LayerStyle
from ..memory import BLOCK_RAM_MIN_BITS
from ..structure import ConvLayer, Leaf, WeightMemory, layer_fields, neuron_structure
from ..structure import stream_wires as all_stream_wires
from .event import FIT_LANES

__all__ = ["CONV_FIXED", "CONV_SEGMENT", "Convolution", "axis_table", "conv_words"]

#: Clocks a convolution step costs besides its segments, visits and neuron rows (the
#: done clock and the three-stage row pipeline; see ``hdl_templates/conv.v.j2``).
CONV_FIXED = 4
#: The walk loads an input row at most this many spikes at a time (one clock each).
CONV_SEGMENT = 64


def axis_table(n: int, k: int, stride: int, pad: int, dilation: int, n_out: int) -> list:
    """For every input index ``i`` of one axis, the ``(tap, output)`` pairs it reaches:
    ``output * stride = i + pad - tap * dilation`` with ``0 <= output < n_out``, by tap."""
    rows = []
    for i in range(n):
        pairs = []
        for a in range(k):
            y = i + pad - a * dilation
            if y % stride == 0 and 0 <= y // stride < n_out:
                pairs.append((a, y // stride))
        rows.append(pairs)
    return rows


@dataclass(frozen=True)
class Convolution(LayerStyle):
    """A convolution layer, event-driven over its input spikes.

    Attributes
    ----------
    lanes : int
        Output channels updated per clock (at most the layer's output channels; the
        ``neuron_lanes`` option): each kernel row holds that many channels' weights of
        one tap.
    geometry : Conv
        The convolution (input shape, kernel, stride, padding, dilation).
    """

    lanes: int
    geometry: Conv

    name = "conv"
    has_memory = True
    variable = True
    template = "conv.v.j2"
    component = "ConvLayer"
    choice = "'conv'"
    memory_format = (
        "kernel rows: row ((c * kh + a) * kw + b) * groups + g holds kernel tap (c, a, b) of "
        "the output channels g * lanes + p, lane p at bits [p*W +: W] = {stream, sign "
        "(1 = negative), code[k-1:0]}; then one bias row per group (c = in_channels); "
        "a 0 word never fires"
    )

    @classmethod
    def accepts(cls, value: object) -> bool:
        return isinstance(value, str) and value == "conv"

    @classmethod
    def planned(
        cls,
        value: Any,
        *,
        index: int,
        stochastic: np.ndarray,
        n_out: int,
        hardware: Any,
        geometry: Conv | None = None,
    ) -> Convolution:
        if geometry is None:
            raise ValueError(
                f"layer {index}: parallelism 'conv' needs a convolution layer, not a fully "
                "connected one"
            )
        if geometry.groups != 1:
            raise ValueError(
                f"layer {index}: a convolution's groups must be 1 in hardware, not "
                f"{geometry.groups}; unroll it (sc-compress import --dense)"
            )
        lanes = hardware.layer_value("neuron_lanes", index)
        return cls(min(lanes, geometry.out_channels), geometry)

    @classmethod
    def fit_choices(cls, spram: bool) -> list[tuple[str, dict[str, Any]]]:
        return [(f"conv {n} lanes", {"parallelism": "conv", "neuron_lanes": n}) for n in FIT_LANES]

    @classmethod
    def from_fields(cls, fields: dict[str, Any], arrays: dict[str, np.ndarray]) -> Convolution:
        return cls(fields["conv"]["lanes"], Conv.from_array(np.asarray(arrays["conv"])))

    @classmethod
    def tag(cls, value: Any) -> str:
        return "conv"

    def describe(self) -> str:
        return f"conv {self.lanes} lanes"

    def tree_mask(self, codes: np.ndarray, max_code: int, constants: bool) -> np.ndarray:
        """None: every kernel word goes through a lane's comparator."""
        return np.zeros(codes.shape, dtype=bool)

    # -- the geometry of the walk ------------------------------------------------------

    @property
    def groups(self) -> int:
        """Output-channel groups, ``ceil(out_channels / lanes)``."""
        return -(-self.geometry.out_channels // self.lanes)

    def tap_streams(
        self, codes: np.ndarray, delays: np.ndarray, stochastic: np.ndarray
    ) -> tuple[np.ndarray, int]:
        """The ``tap`` rule here: one stream per kernel row, so kernel column ``t`` of
        output channel ``o`` reads stream ``t * groups + o // lanes``, the row the walk
        reads it from (one stream per tap when one group holds every channel).  Rows
        hold distinct taps of a channel, so its synapses never share a stream."""
        groups = self.groups
        taps = np.arange(codes.shape[1])[None, :]
        group = (np.arange(codes.shape[0]) // self.lanes)[:, None]
        streams = np.where(stochastic, taps * groups + group, -1).astype(np.int32)
        return streams, codes.shape[1] * groups

    @property
    def positions(self) -> int:
        """Output positions per channel, ``H' * W'``."""
        _, oh, ow = self.geometry.out_shape
        return oh * ow

    @property
    def rows(self) -> int:
        """Rows of the count and membrane memories, ``groups * positions``."""
        return self.groups * self.positions

    @property
    def segment(self) -> int:
        """Input spikes loaded per clock: a row, or :data:`CONV_SEGMENT` of it."""
        return min(self.geometry.in_shape[2], CONV_SEGMENT)

    @property
    def segments(self) -> int:
        """Segments per input row."""
        return -(-self.geometry.in_shape[2] // self.segment)

    @property
    def loads(self) -> int:
        """Segments the walk loads per step: ``C * H * segments``."""
        c, h, _ = self.geometry.in_shape
        return c * h * self.segments

    def tables(self) -> tuple[list, list]:
        """``(rows, columns)``: :func:`axis_table` of the y and x axes."""
        g = self.geometry
        _, oh, ow = g.out_shape
        return (
            axis_table(
                g.in_shape[1], g.kernel_size[0], g.stride[0], g.padding[0], g.dilation[0], oh
            ),
            axis_table(
                g.in_shape[2], g.kernel_size[1], g.stride[1], g.padding[1], g.dilation[1], ow
            ),
        )

    @property
    def slots(self) -> tuple[int, int]:
        """``(ny, nx)``: the most (tap, output) pairs an input row or column reaches (at
        least 1); the walk visits ``ny * nx`` pairs of every spike, the missing ones idle."""
        ys, xs = self.tables()
        return max(1, max(map(len, ys))), max(1, max(map(len, xs)))

    @property
    def visits(self) -> int:
        """Clocks per input spike: ``ny * nx * groups``."""
        ny, nx = self.slots
        return ny * nx * self.groups

    def step_clocks(self, active: np.ndarray | int) -> np.ndarray | int:
        """Clocks of a step with ``active`` input spikes:
        ``CONV_FIXED + loads + active * visits + rows``."""
        return CONV_FIXED + self.loads + active * self.visits + self.rows

    def word_width(self, layer: LayerPlan) -> int:
        """Bits of a kernel word: ``{stream, sign, code}``."""
        return layer.stream_bits + 1 + layer.k

    # -- the style's interface -------------------------------------------------------

    def expected_clocks(self, layer: LayerPlan, activity: float) -> float:
        return float(self.step_clocks(activity * self.geometry.n_in))

    def latency(self, layer: LayerPlan, *, tree_stages: int, pipeline: str) -> int:
        """The worst case: every input spikes."""
        return int(self.step_clocks(self.geometry.n_in))

    def clocks(self, layer: LayerPlan, inputs: np.ndarray) -> np.ndarray | int:
        x = np.asarray(inputs, dtype=bool)[..., : self.geometry.n_in]
        return self.step_clocks(x.sum(axis=-1).astype(np.int64))

    def structure(self, top: str, layer: LayerPlan, weight_port: bool) -> ConvLayer:
        common = layer_fields(top, layer)
        none = np.zeros(layer.codes.shape[1], dtype=bool)
        per = self.positions
        neurons = tuple(  # one per output channel: its neurons share the constants
            neuron_structure(layer, c * per, none, lambda j: Leaf(j, 0))
            for c in range(self.geometry.out_channels)
        )
        word_width, row_width, rows = conv_words(layer)
        memory = WeightMemory(
            file=f"mem/layer{layer.index}.hex",
            width=row_width,
            depth=len(rows),
            rows=tuple(rows),
            block=row_width * len(rows) >= BLOCK_RAM_MIN_BITS,
            writable=weight_port,
        )
        ys, xs = self.tables()
        return ConvLayer(
            **common,
            neurons=neurons,
            lanes=self.lanes,
            groups=self.groups,
            geometry=self.geometry,
            rows=self.rows,
            segment=self.segment,
            segments=self.segments,
            slots=self.slots,
            y_table=tuple(tuple(p) for p in ys),
            x_table=tuple(tuple(p) for p in xs),
            streams=all_stream_wires(layer),
            memory=memory,
            word_width=word_width,
            stream_bits=layer.stream_bits,
            v_width=layer.v_width,
        )

    def memory(self, layer: LayerPlan) -> tuple[int, list[int]]:
        _, row_width, rows = conv_words(layer)
        return row_width, rows

    def weight_rows(self, layer: LayerPlan) -> tuple[int, int]:
        _, row_width, rows = conv_words(layer)
        return len(rows), row_width

    def fields(self, layer: LayerPlan) -> dict[str, Any]:
        """The geometry, lanes and clocks per step (``design.json``'s ``"conv"``)."""
        g = self.geometry
        ny, nx = self.slots
        return {
            "conv": {
                "lanes": self.lanes,
                "lanes_are": "output channels",
                "groups": self.groups,
                "in_shape": list(g.in_shape),
                "out_shape": list(g.out_shape),
                "kernel": list(g.kernel_shape),
                "stride": list(g.stride),
                "padding": list(g.padding),
                "dilation": list(g.dilation),
                "kernel_weights": int(np.prod(g.kernel_shape)),
                "synapses": int(np.count_nonzero(g.taps() >= 0)),
                "segment": self.segment,
                "loads": self.loads,
                "slots": [ny, nx],
                "rows": self.rows,
                "clocks": f"{CONV_FIXED} + {self.loads} + {self.visits} * (input spikes) "
                f"+ {self.rows}",
                "clocks_rule": "the walk loads every input row segment (one clock each), "
                f"visits {ny} x {nx} (tap, output) pairs of every input spike for each of "
                f"{self.groups} channel group(s) (one clock each), then updates every row of "
                f"neurons ({self.rows}, one per clock)",
                "worst_clocks": layer.latency,
            }
        }

    def arrays(self, layer: LayerPlan) -> dict[str, np.ndarray]:
        return {"conv": self.geometry.to_array()}


def conv_words(layer: LayerPlan) -> tuple[int, int, list[int]]:
    """The kernel memory: ``(word width, row width, rows)``.

    Row ``((c * kh + a) * kw + b) * G + g`` holds kernel tap ``(c, a, b)`` of the
    output channels ``g * lanes + p`` (lane ``p`` at bits ``p * W``), then row
    ``C * kh * kw * G + g`` their bias synapses; words ``{stream, sign, code}``, a 0
    word (dropped, or a channel beyond the last) never fires.
    """
    width, row_width, rows = _conv_rows(layer)
    return width, row_width, list(rows)


@lru_cache(maxsize=8)
def _conv_rows(layer: LayerPlan) -> tuple[int, int, tuple[int, ...]]:
    style, k = layer.style, layer.k
    lanes, groups = style.lanes, style.groups
    g = style.geometry
    width = style.word_width(layer)
    # the stream number, unless the stream rule finds it from the row (no field)
    streams = np.maximum(layer.streams, 0).astype(np.int64) * bool(layer.stream_bits)
    words = (streams << (k + 1)) | ((layer.signs < 0).astype(np.int64) << k) | layer.codes
    words = np.where(layer.codes > 0, words, 0)
    columns = list(range(g.n_taps)) + ([g.n_taps] if layer.bias else [])
    rows = []
    for column in columns:
        for grp in range(groups):
            row = 0
            for p in range(lanes):
                c = grp * lanes + p
                if c < g.out_channels:
                    row |= int(words[c, column]) << (p * width)
            rows.append(row)
    return width, lanes * width, tuple(rows)
