"""Write the bundled example networks into compress/data (run once, then commit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compress.model.network import Layer, Network, save_network


def example_16_12_4() -> Network:
    rng = np.random.default_rng(20261125)
    layers = []
    for n_out, n_in, leak, reset in ((12, 16, 4, "zero"), (4, 12, None, "subtract")):
        w = rng.uniform(-1.0, 1.0, size=(n_out, n_in))
        w[rng.random(w.shape) < 0.25] = 0.0  # dropped
        near0 = rng.random(w.shape) < 0.1
        w[near0] = rng.choice([-1, 1], near0.sum()) * rng.uniform(0, 0.003, near0.sum())
        near1 = rng.random(w.shape) < 0.1
        w[near1] = rng.choice([-1, 1], near1.sum()) * rng.uniform(0.997, 1.0, near1.sum())
        w[0, 0], w[0, 1] = 1.0, -1.0  # exact full scale
        delays = np.where(rng.random(w.shape) < 0.3, rng.integers(1, 4, w.shape), 0)
        delays[:, 0] = 0  # a line without delays
        threshold = np.round(rng.uniform(0.8, 2.0, n_out), 2)
        layers.append(Layer(w, delays.astype(float), threshold, leak, reset))
    return Network(tuple(layers))


def random_64_32_10() -> Network:
    rng = np.random.default_rng(641)
    layers = []
    for n_out, n_in, threshold in ((32, 64, 2.0), (10, 32, 1.5)):
        w = rng.uniform(-1.0, 1.0, size=(n_out, n_in))
        layers.append(Layer(w, threshold=threshold, leak_shift=4))
    return Network(tuple(layers))


if __name__ == "__main__":
    data = Path(__file__).resolve().parents[1] / "compress" / "data"
    for make in (example_16_12_4, random_64_32_10):
        save_network(make(), data / f"{make.__name__}.npz")
        print(data / f"{make.__name__}.npz")
