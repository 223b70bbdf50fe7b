"""Time each compression pass on 10 million weights against bare numpy.

Two baselines per pass, both over the same arrays:

* ``bare job``: the same result written as plain numpy without validation or
  reporting (e.g. ``np.where(np.abs(w) <= t, 0, w)``: new arrays, as the
  pass returns).  The target is at most 3x of this.
* ``core expr``: the one expression the pass cannot do without
  (e.g. ``np.abs(w) <= t``), which does not build the output arrays.

Run: ``make bench``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from compress import (
    prune_neurons,
    prune_stochastic,
    prune_weights,
    quantize_codes,
    quantize_delays,
    quantize_weights,
)

SIZES = (1000, 2500, 1000, 2500, 1000)  # 4 layers, 10.0 M weights


def best_of(func: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal((n_out, n_in)) * 0.1 for n_in, n_out in zip(SIZES, SIZES[1:])]
    delays = rng.uniform(0, 20, 10_000_000)
    n = sum(w.size for w in ws)

    def bare_percentile() -> None:
        for w in ws:
            a = np.abs(w)
            np.percentile(a[a > 0], 30)

    def bare_scale(bits: int) -> Callable[[], None]:
        def run() -> None:
            for w in ws:
                s = np.abs(w).max() / (2 ** (bits - 1) - 1)
                np.round(w / s) * s

        return run

    def bare_asym() -> None:
        for w in ws:
            s = (w.max() - w.min()) / 255
            np.round((w - w.min()) / s) * s + w.min()

    def bare_stochastic() -> None:
        for w in ws:
            p = np.clip(np.abs(w), 0, 1)
            _ = np.minimum(p, 1 - p) * 256 < 1.0

    def bare_neurons() -> list[np.ndarray]:
        out, prev = [], None
        for i, w in enumerate(ws):
            w = w if prev is None else w[:, prev]
            keep = np.linalg.norm(w, axis=1) > 3.0 if i < len(ws) - 1 else np.ones(len(w), bool)
            out.append(w[keep])
            prev = keep
        return out

    def bare_codes() -> None:
        for w in ws:
            s = np.abs(w).max() / 127
            r = np.round(w / s)
            np.abs(r).astype(np.int32), np.sign(r).astype(np.int8)

    def bare_stochastic_job() -> None:
        for w in ws:
            p = np.clip(np.abs(w), 0, 1)
            const = np.minimum(p, 1 - p) * 256 < 1.0
            np.where(const, np.where(p >= 0.5, np.sign(w), 0.0), w)

    # (name, ours, bare job, core expression)
    cases = [
        (
            "prune_weights magnitude",
            lambda: prune_weights(ws, 0.05),
            lambda: [np.where(np.abs(w) <= 0.05, 0.0, w) for w in ws],
            lambda: [np.abs(w) <= 0.05 for w in ws],
        ),
        (
            "prune_weights percentile",
            lambda: prune_weights(ws, 30, "percentile"),
            bare_percentile,
            bare_percentile,
        ),
        (
            "prune_neurons (norm)",
            lambda: prune_neurons(ws, norm_threshold=3.0),
            bare_neurons,
            lambda: [np.linalg.norm(w, axis=1) > 3.0 for w in ws],
        ),
        (
            "prune_stochastic",
            lambda: prune_stochastic(ws, 256, 1.0),
            bare_stochastic_job,
            bare_stochastic,
        ),
        (
            "quantize_weights symmetric",
            lambda: quantize_weights(ws, 8),
            bare_scale(8),
            bare_scale(8),
        ),
        (
            "quantize_weights asymmetric",
            lambda: quantize_weights(ws, 8, False),
            bare_asym,
            bare_asym,
        ),
        ("quantize_codes", lambda: quantize_codes(ws, 8), bare_codes, bare_scale(8)),
        (
            "quantize_delays",
            lambda: quantize_delays(delays, 2, 16),
            lambda: np.minimum(np.round(delays / 2).astype(np.int64) * 2, 16),
            lambda: np.round(delays / 2),
        ),
    ]
    print(f"{n / 1e6:.1f} M weights in {len(ws)} layers; best of 5 runs; seconds\n")
    print(
        f"{'pass':30s} {'ours':>7s} {'bare job':>9s} {'ratio':>7s} {'core expr':>10s} {'ratio':>7s}"
    )
    worst = 0.0
    for name, ours, job, core in cases:
        t_ours, t_job, t_core = best_of(ours), best_of(job), best_of(core)
        worst = max(worst, t_ours / t_job)
        print(
            f"{name:30s} {t_ours:7.3f} {t_job:9.3f} {t_ours / t_job:6.2f}x {t_core:10.3f} "
            f"{t_ours / t_core:6.2f}x"
        )
    print(f"\nworst ratio to the bare job: {worst:.2f}x (target: at most 3x)")


if __name__ == "__main__":
    main()
