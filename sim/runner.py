"""Run the cocotb testbench on a build folder (Icarus by default)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from cocotb_tools.runner import get_results, get_runner

from compress.hardware.design import read_design

SIM_DIR = Path(__file__).resolve().parent


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
    simulator : str
        A cocotb runner name.

    Returns
    -------
    tuple
        ``(tests, failures, counts)`` where ``counts`` holds the last layer's
        counts the monitor saw, shape ``(steps, n_out)``.
    """
    build, work = Path(build).resolve(), Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    design = read_design(build)
    runner = get_runner(simulator)
    runner.build(
        sources=[build / f for f in design["rtl"]],
        hdl_toplevel=design["top"],
        build_dir=work,
        timescale=("1ns", "1ps"),
        # the weight memories' $readmemh files, wherever the simulator runs
        parameters={"MEM_DIR": f'"{build / "mem"}/"'} if "MEM_DIR" in design["parameters"] else {},
        always=True,
    )
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
        np.save(work / "inputs.npy", np.asarray(inputs, dtype=bool))
        env["SC_INPUTS"] = str(work / "inputs.npy")
        env["SC_STEPS"] = str(len(inputs))
    results = work / "results.xml"
    try:
        runner.test(
            test_module="test_network",
            hdl_toplevel=design["top"],
            build_dir=work,
            test_dir=SIM_DIR,
            extra_env=env,
            results_xml=str(results),
        )
    except SystemExit:  # the runner exits on failed tests; the results file says which
        pass
    tests, failures = get_results(results)
    counts_path = work / "counts.npy"
    counts = np.load(counts_path) if counts_path.exists() else np.zeros((0, 0), np.int64)
    return tests, failures, counts
