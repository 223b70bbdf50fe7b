"""Helpers shared by test modules (pytest puts this folder on ``sys.path``)."""

import shutil
from pathlib import Path

import numpy as np

from compress.model.network import write_npz


def reflected_copy(build: Path, golden: Path, layers: tuple[int, ...] = (0, 1)) -> None:
    """Copy the build folder ``build`` to ``golden`` with new weights of the same
    synapses: every stochastic 8-bit code ``m`` of ``layers`` becomes ``127 - m`` and its
    sign flips (what a weight-port reload test writes and checks against)."""
    shutil.copytree(build, golden)
    with np.load(golden / "model.npz") as data:
        arrays = {k: data[k] for k in data.files}
    for index in layers:
        codes, signs = arrays[f"codes_{index}"].copy(), arrays[f"signs_{index}"].copy()
        stochastic = (codes > 0) & (codes < 127)
        codes[stochastic] = 127 - codes[stochastic]
        signs[stochastic] = -signs[stochastic]
        arrays[f"codes_{index}"], arrays[f"signs_{index}"] = codes, signs
    write_npz(golden / "model.npz", arrays)
