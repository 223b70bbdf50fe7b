"""The fully parallel layer style: one step per clock, every synapse its own wire.

Stochastic codes are constants of shared comparators (:func:`split_comparators`),
the popcount trees sum every kept synapse, and the latency is the registered tree
stages plus the neuron stage (plus a count stage with the ``speed`` pipeline).
Template ``hdl_templates/layer.v.j2``; Amaranth component ``Layer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ir import STOCHASTIC, LayerPlan, LayerStyle
from ..memory import bits_for
from ..structure import Leaf, ParallelLayer, layer_fields, neuron_structure, split_comparators
from ..structure import stream_wires as all_stream_wires

__all__ = ["Full"]


@dataclass(frozen=True)
class Full(LayerStyle):
    """A fully parallel layer (no fields of its own)."""

    name = "full"
    gated_leaves = True
    template = "layer.v.j2"
    component = "Layer"
    choice = "'full'"
    memory_format = (
        "one word per stochastic synapse, neuron-major then input order: "
        "{input index, sign (1 = negative), code[k-1:0]}; not read by the RTL (the codes are "
        "constants of the comparators)"
    )

    @classmethod
    def accepts(cls, value: object) -> bool:
        return value is None or (isinstance(value, str) and value == "full")

    @classmethod
    def planned(
        cls,
        value: Any,
        *,
        index: int,
        stochastic: np.ndarray,
        n_out: int,
        hardware: Any,
        geometry: Any = None,
    ) -> Full:
        return cls()

    @classmethod
    def fit_choices(cls, spram: bool) -> list[tuple[str, dict[str, Any]]]:
        return [("full", {"parallelism": "full"})]

    @classmethod
    def from_fields(cls, fields: dict[str, Any], arrays: dict[str, np.ndarray]) -> Full:
        return cls()

    def latency(self, layer: LayerPlan, *, tree_stages: int, pipeline: str) -> int:
        return tree_stages + (2 if pipeline == "speed" else 1)

    def structure(self, top: str, layer: LayerPlan, weight_port: bool) -> ParallelLayer:
        classes, levels = layer.classes, layer.levels
        speed = layer.pipeline == "speed"
        stochastic = classes == STOCHASTIC
        pairs = sorted(set(zip(layer.streams[stochastic].tolist(), levels[stochastic].tolist())))
        tables = layer.stream_tables()
        initial = {s: int(t[(1 if speed else 0) % len(t)]) for s, t in enumerate(tables)}
        first = {s: int(t[0]) for s, t in enumerate(tables)}
        comparators, terms = split_comparators(
            layer.lfsr_width, pairs, initial=initial, first=first
        )
        read = {t.stream for t in terms}  # a stream whose comparisons are all constant: no wire

        def leaf(i: int, j: int) -> Leaf:
            cmp = None
            if classes[i, j] == STOCHASTIC:
                cmp = f"cmp{layer.streams[i, j]}_{levels[i, j]}"
            return Leaf(j, int(layer.delays[i, j]), cmp)

        neurons = tuple(
            neuron_structure(layer, i, classes[i] != 0, lambda j, i=i: leaf(i, j))
            for i in range(layer.n_out)
        )
        return ParallelLayer(
            **layer_fields(top, layer),
            neurons=neurons,
            streams=tuple(s for s in all_stream_wires(layer) if s.index in read),
            terms=terms,
            comparators=comparators,
        )

    def memory(self, layer: LayerPlan) -> tuple[int, list[int]]:
        """One word per stochastic synapse (documentation only: the RTL has the codes
        as comparator constants)."""
        index_bits = max(1, bits_for(layer.n_in))
        width = index_bits + 1 + layer.k
        words = []
        for i, j in zip(*np.nonzero(layer.classes == STOCHASTIC)):
            sign = int(layer.signs[i, j] < 0)
            words.append((int(j) << (layer.k + 1)) | (sign << layer.k) | int(layer.codes[i, j]))
        return width, words
