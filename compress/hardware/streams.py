"""Random streams: which stream each stochastic synapse reads (SPEC section 4).

Two rules (:data:`STREAM_RULES`).  ``code``: the n-th stochastic synapse of a neuron
with a given code gets stream n, so no two stochastic synapses of one neuron with
the same code share a stream; memory words store the number.  ``tap``: every input
tap (a line and a delay, or a convolution's kernel row) has a stream of its own, and
a synapse reads its tap's: no two synapses of one neuron share a stream at all, and
the hardware finds the stream from the row it reads, so words hold only sign and
code.  Tap streams come in whole registers (:meth:`StreamPool.take_blocks`): stream
``s`` is register ``s >> B`` seen through permutation ``s % 2**B``, which the RTL
selects with a register multiplexer and a permutation multiplexer.  The pool hands
every layer streams no earlier layer used.  Dense layers' streams do not depend on
the layer's style: a folded or event layer computes the same counts.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .ir import Stream, kept_taps, tap_streams
from .lfsr import block_bits, permutations, stream_table

__all__ = ["STREAM_RULES", "StreamPool", "assign_streams", "kept_taps", "tap_streams"]

#: How a synapse's random stream is chosen (:attr:`HardwareOptions.stream_rule`).
STREAM_RULES = ("code", "tap")


class StreamPool:
    """Hands out streams no earlier layer used, register by register (one pool per
    network: no two layers share a random stream)."""

    def __init__(self) -> None:
        self.used: dict[int, set[bytes]] = {}

    def take(self, width: int, count: int, layer: int) -> tuple[tuple[int, ...], list[Stream]]:
        """``count`` fresh streams of ``width``-bit LFSRs for layer ``layer``: the seeds of
        the registers they use and the streams (register index, bit permutation)."""
        used = self.used.setdefault(width, set())
        seeds: list[int] = []
        streams: list[Stream] = []
        for seed in _seeds(width, layer):
            if len(streams) == count:
                break
            fresh = []
            for perm in permutations(width):
                key = stream_table(width, seed, perm).tobytes()
                if key not in used:
                    used.add(key)
                    fresh.append(perm)
                if len(streams) + len(fresh) == count:
                    break
            if fresh:
                streams += [Stream(len(seeds), perm) for perm in fresh]
                seeds.append(seed)
        if len(streams) < count:
            raise ValueError(
                f"layer {layer}: random streams must number at least {count} (one per "
                f"repeated code of a neuron), not the {len(streams)} left for {width}-bit "
                "LFSRs; use more weight bits"
            )
        return tuple(seeds), streams

    def take_blocks(
        self, width: int, count: int, layer: int
    ) -> tuple[tuple[int, ...], list[Stream]]:
        """At least ``count`` fresh streams in whole registers: register ``r`` gives
        streams ``r * 2**B + q`` through the first ``2**B`` permutations
        (``B = block_bits(width)``), all of them unused so far."""
        used = self.used.setdefault(width, set())
        perms = permutations(width)[: 1 << block_bits(width)]
        blocks = -(-count // len(perms))
        seeds: list[int] = []
        streams: list[Stream] = []
        for seed in _seeds(width, layer):
            if len(seeds) == blocks:
                break
            keys = [stream_table(width, seed, perm).tobytes() for perm in perms]
            if len(set(keys)) < len(keys) or used.intersection(keys):
                continue
            used.update(keys)
            streams += [Stream(len(seeds), perm) for perm in perms]
            seeds.append(seed)
        if len(seeds) < blocks:
            raise ValueError(
                f"layer {layer}: random streams must number at least {count} (one per input "
                f"tap, stream_rule 'tap'), not the {len(seeds) * len(perms)} left for "
                f"{width}-bit LFSRs; use more weight bits or stream_rule 'code'"
            )
        return tuple(seeds), streams


def _seeds(width: int, layer: int) -> Iterator[int]:
    """Every seed of a ``width``-bit LFSR once, from ``1 + (37 * layer) mod period`` on:
    different layers try different seeds first."""
    period = (1 << width) - 1
    start = (layer * 37) % period
    for offset in range(period):
        yield (start + offset) % period + 1


def assign_streams(codes: np.ndarray, stochastic: np.ndarray) -> tuple[np.ndarray, int]:
    """The n-th stochastic synapse of a neuron with a given code gets stream n."""
    streams = np.full(codes.shape, -1, dtype=np.int32)
    needed = 0
    for i in range(codes.shape[0]):
        cols = np.flatnonzero(stochastic[i])
        if cols.size == 0:
            continue
        row_codes = codes[i, cols]
        order = np.argsort(row_codes, kind="stable")
        sorted_codes = row_codes[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
        rank = np.arange(cols.size) - np.repeat(starts, np.diff(np.r_[starts, cols.size]))
        streams[i, cols[order]] = rank
        needed = max(needed, int(rank.max()) + 1)
    return streams, needed
