"""Weight memories: what each layer's ``mem/layer<l>.hex`` holds, its size, and the port.

Each layer style lays out its own rows (:meth:`LayerStyle.memory
<compress.hardware.ir.LayerStyle.memory>`: a folded layer one row per slot, an
event layer one per input tap and neuron group; a fully parallel layer's codes
are constants of its comparators, and its memory file only documents them).
The Verilog, the Amaranth components, the estimator, the reports and the
testbenches read them through :func:`mem_words` and :func:`weight_rows`.
"""

from __future__ import annotations

import numpy as np

from .ir import LayerPlan, NetworkPlan

__all__ = [
    "BLOCK_RAM_MIN_BITS",
    "bits_for",
    "hex_text",
    "mem_words",
    "memory_bits",
    "pack_rows",
    "weight_port_widths",
    "weight_rows",
]

#: Folded weight memories of at least this many bits get ``(* ram_style = "block" *)``;
#: smaller ones are left to the synthesis tool (LUT RAM or logic).
BLOCK_RAM_MIN_BITS = 4096


def bits_for(n: int) -> int:
    """Bits of an index into ``n`` things (0 for a single thing)."""
    return (n - 1).bit_length()


def pack_rows(words: np.ndarray, width: int) -> tuple[int, ...]:
    """Rows of fields: row ``r`` is the sum of ``words[r, p] << (p * width)``.

    Parameters
    ----------
    words : ndarray of int, shape (rows, fields)
        Non-negative fields, each below ``2**width`` (``width`` at most 64).
    width : int
        Bits per field.

    Returns
    -------
    tuple of int
        One (arbitrarily wide) integer per row.

    Examples
    --------
    >>> pack_rows(np.array([[1, 2], [3, 0]]), 4)
    (33, 3)
    """
    words = np.ascontiguousarray(words, dtype="<u8")
    n_rows, n_fields = words.shape
    if n_rows == 0:
        return ()
    if n_fields == 0 or width == 0:
        return (0,) * n_rows
    octets = words.view(np.uint8).reshape(n_rows, n_fields, 8)
    bits = np.unpackbits(octets, axis=2, bitorder="little")
    packed = np.packbits(bits[:, :, :width].reshape(n_rows, -1), axis=1, bitorder="little")
    return tuple(int.from_bytes(row.tobytes(), "little") for row in packed)


def mem_words(layer: LayerPlan) -> tuple[int, list[int]]:
    """Weight-memory contents of a layer: ``(word width, words)``.

    The layer's style lays them out (``design.json``'s ``memory.format`` says how).
    """
    return layer.style.memory(layer)


def hex_text(width: int, words: list[int]) -> str:
    """``$readmemh`` text: one word per line, ``ceil(width / 4)`` hex digits each."""
    digits = (width + 3) // 4
    return "".join(f"{w:0{digits}x}\n" for w in words)


def weight_rows(layer: LayerPlan) -> tuple[int, int]:
    """``(depth, width)`` of the weight memory the RTL reads ((0, 0): none; its style's)."""
    return layer.style.weight_rows(layer)


def memory_bits(plan: NetworkPlan) -> int:
    """Bits of storage the design holds: delay buffers and weight memories."""
    total = 0
    for layer in plan.layers:
        depth, width = weight_rows(layer)
        total += sum(layer.line_depths) + depth * width
    return total


def weight_port_widths(plan: NetworkPlan) -> dict[str, int]:
    """Widths of the weight port's signals: enable, layer select, row address, row data."""
    shapes = [weight_rows(layer) for layer in plan.layers if layer.has_memory]
    return {
        "w_en": 1,
        "w_layer": max(1, bits_for(len(plan.layers))),
        "w_addr": max(max(1, bits_for(depth)) for depth, _ in shapes),
        "w_data": max(width for _, width in shapes),
    }
