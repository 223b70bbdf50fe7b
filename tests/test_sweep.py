"""Sweeps, the Pareto front, the point cache, optimize, and points on a Dask cluster."""

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from compress import example_network, save_network
from compress.cli import main
from compress.model.convert import convert_mlp
from compress.sweep import (
    Point,
    SweepData,
    grid,
    optimize,
    optimize_round_line,
    pareto,
    run_points,
)


def _task(tmp_path=None):
    rng = np.random.default_rng(0)
    w1, b1 = rng.normal(0, 0.5, (24, 12)), rng.normal(0, 0.1, 24)
    w2, b2 = rng.normal(0, 0.5, (4, 24)), rng.normal(0, 0.1, 4)
    x = rng.random((160, 12))
    y = (np.maximum(x @ w1.T + b1, 0) @ w2.T + b2).argmax(axis=1)
    net = convert_mlp([w1, w2], [b1, b2], x[:60]).network
    if tmp_path is not None:
        save_network(net, tmp_path / "net.npz")
        np.savez(tmp_path / "data.npz", x=x[60:], y=y[60:])
    return SweepData(net, x[60:], y[60:], steps=127)


def _same_design(a: Path, b: Path) -> None:
    """The two build folders hold the same RTL and memories, byte for byte."""
    for folder in ("rtl", "mem"):
        for path in sorted((a / folder).iterdir()):
            assert (b / folder / path.name).read_bytes() == path.read_bytes()


def test_grid_crosses_every_setting():
    points = grid([4, 8], [None, 50.0], [None], ["full", 2], layer_options={1: {"bits": [3, 5]}})
    assert len(points) == 16
    labels = {p.label() for p in points}
    assert "4b p50% L1(bits=3) P2" in labels and "8b L1(bits=5)" in labels


def test_pareto_front():
    rows = [
        {"accuracy": 0.9, "estimate": {"ice40": {"luts": 100}}},
        {"accuracy": 0.8, "estimate": {"ice40": {"luts": 120}}},  # dominated
        {"accuracy": 0.95, "estimate": {"ice40": {"luts": 150}}},
        {"accuracy": 0.7, "estimate": {"ice40": {"luts": 60}}},
        {"error": "x", "label": "refused"},
    ]
    assert pareto(rows, "ice40") == [3, 0, 2]


def test_points_are_cached_and_resume(tmp_path):
    data = _task()
    points = grid([4, 6], [None, 60.0])
    first = run_points(data, points[:2], tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2
    seen = []
    rows = run_points(
        data, points, tmp_path / "cache", jobs=2, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (2, 4) and seen[-1] == (4, 4)  # the first two came from the cache
    assert rows[:2] == first and all(0 <= r["accuracy"] <= 1 for r in rows)
    assert rows[1]["estimate"]["ice40"]["luts"] < rows[0]["estimate"]["ice40"]["luts"]


def test_points_run_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    data = _task()
    points = grid([5, 8], [None, 50.0])
    local = run_points(data, points, tmp_path / "local")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_points(data, points, tmp_path / "dask", scheduler=cluster.scheduler_address)
    strip = [{k: v for k, v in r.items() if k != "cached_key"} for r in remote]
    assert strip == [{k: v for k, v in r.items() if k != "cached_key"} for r in local]


def test_optimize_stays_within_the_drop(tmp_path):
    data = _task()
    rounds = []
    best, figures, history = optimize(
        data,
        tmp_path / "cache",
        max_drop=3.0,
        family="xilinx",
        bits_choices=(4, 6, 8),
        percentile_choices=(0.0, 50.0, 80.0),
        jobs=2,
        on_round=rounds.append,
    )
    # a log line per round as it ends (a log file sees progress), then the stop
    assert [r["round"] for r in rounds] == list(range(len(history) + 1))
    assert rounds[-1]["stop"] and all(r["points"] >= 1 for r in rounds)
    lines = [optimize_round_line(r, "xilinx") for r in rounds]
    assert lines[0].startswith("optimize round 0: ") and "estimated xilinx LUTs" in lines[0]
    assert lines[-1].endswith(": done") and "no change saves LUTs" in lines[-1]
    assert figures["accuracy"] >= figures["reference_accuracy"] - 0.03
    assert history[-1]["luts"] < history[0]["luts"]  # it found something cheaper
    assert [h["luts"] for h in history] == sorted((h["luts"] for h in history), reverse=True)
    assert isinstance(best, Point) and best.config.layers


def test_cli_sweep_and_optimize(tmp_path):
    _task(tmp_path)
    runner = CliRunner()
    args = ["--data", str(tmp_path / "data.npz"), "--steps", "63", "--jobs", "2", "-q"]
    res = runner.invoke(
        main,
        [
            "sweep",
            str(tmp_path / "net.npz"),
            "-o",
            str(tmp_path / "s"),
            "--bits",
            "4,8",
            "--prune-percentile",
            "none,60",
            "--layer-bits",
            "1=3,6",
            *args,
        ],
    )
    assert res.exit_code == 0, res.output
    sweep = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert len(sweep["points"]) == 8 and set(sweep["pareto"]) == {"ice40", "ecp5", "xilinx"}
    page = (tmp_path / "s" / "sweep.html").read_text()
    assert page.count("<svg") == 3 and "Pareto front" in page
    assert (tmp_path / "s" / "sweep.csv").read_text().startswith("label,accuracy,ice40_luts")
    res = runner.invoke(
        main,
        [
            "optimize",
            str(tmp_path / "net.npz"),
            "-o",
            str(tmp_path / "o"),
            "--max-drop",
            "5",
            "--family",
            "ice40",
            *args,
        ],
    )
    assert res.exit_code == 0, res.output
    found = json.loads((tmp_path / "o" / "optimize.json").read_text())
    assert found["figures"]["accuracy"] >= found["figures"]["reference_accuracy"] - 0.05
    assert (tmp_path / "o" / "rtl" / "sc_network.v").exists() and "winner:" in res.output
    # the winner builds again from its optimize.json, byte for byte
    again = ["build", str(tmp_path / "net.npz"), "-o", str(tmp_path / "again")]
    res = runner.invoke(main, [*again, "--from-optimize", str(tmp_path / "o" / "optimize.json")])
    assert res.exit_code == 0, res.output
    _same_design(tmp_path / "o", tmp_path / "again")
    res = runner.invoke(
        main,
        [
            *again[:3],
            str(tmp_path / "x"),
            "--from-optimize",
            str(tmp_path / "o" / "optimize.json"),
            "--bits",
            "6",
        ],
    )
    assert res.exit_code == 2 and "give hardware options only" in res.output
    res = runner.invoke(
        main, [*again[:3], str(tmp_path / "y"), "--from-optimize", str(tmp_path / "data.npz")]
    )
    assert res.exit_code == 2 and "optimize file must be an optimize.json" in res.output
    res = runner.invoke(
        main,
        ["sweep", str(tmp_path / "net.npz"), "-o", str(tmp_path / "t"), "--bits", "4,x", *args],
    )
    assert res.exit_code == 2 and "--bits must be a comma-separated list" in res.stderr


def _marked(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (a sweep and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if marker.encode() in environ and state != "Z":
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupting_a_sweep_stops_its_workers(tmp_path, signum):
    """SIGTERM (or Ctrl-C) to ``sc-compress sweep --jobs 2`` ends it and both workers:
    none is left running, orphaned."""
    import subprocess
    import sys
    import time
    import uuid

    net = tmp_path / "net.npz"
    save_network(example_network(), net)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.random((300, 16)), y=rng.integers(0, 4, 300))
    marker = f"SC_SWEEP_TEST={uuid.uuid4().hex}"
    env = dict(os.environ, SC_SWEEP_TEST=marker.split("=", 1)[1])
    command = [sys.executable, "-m", "compress", "sweep", str(net), "--data"]
    command += [str(tmp_path / "d.npz"), "-o", str(tmp_path / "s"), "--jobs", "2", "-q"]
    command += ["--bits", "4,5,6,7,8", "--prune-percentile", "none,10,20,30,40,50,60,70"]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while len(_marked(marker)) < 3 and time.monotonic() < deadline:  # sweep + 2 workers
            assert proc.poll() is None
            time.sleep(0.1)
        assert len(_marked(marker)) >= 3
        time.sleep(0.5)  # the workers are busy with points
        os.kill(proc.pid, signum)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode != 0
        deadline = time.monotonic() + 10
        while _marked(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _marked(marker) == []
        assert "Traceback" not in err.decode(), err.decode()
    finally:
        for pid in _marked(marker):
            os.kill(pid, signal.SIGKILL)
        proc.communicate()


def test_optimize_can_bound_the_drop_against_the_float_network(tmp_path):
    """With the float network's accuracy the floor is that minus the drop; an SNN already
    below it leaves no room (one-line error)."""
    data = _task()
    options = {"family": "xilinx", "bits_choices": (4, 8), "percentile_choices": (0.0, 50.0)}
    _, figures, _ = optimize(data, tmp_path / "c", max_drop=3.0, float_accuracy=0.99, **options)
    assert figures["float_accuracy"] == 0.99 and figures["reference_accuracy"] == 1.0
    assert figures["accuracy"] >= 0.99 - 0.03
    # 3-bit weights: the uncompressed SNN reaches 98%, below a 100% float network - 1 point
    with pytest.raises(
        ValueError,
        match=r"^max_drop must leave room for the uncompressed SNN, "
        r"which reaches 98\.00%, not 1 points below the float network's 100\.00%",
    ):
        optimize(data, tmp_path / "c", max_drop=1.0, float_accuracy=1.0, bits=3, **options)


def _wide_task():
    """A 48-48-4 network: too big for the UP5K fully parallel, so its styles matter."""
    rng = np.random.default_rng(0)
    w1, b1 = rng.normal(0, 0.5, (48, 48)), rng.normal(0, 0.1, 48)
    w2, b2 = rng.normal(0, 0.5, (4, 48)), rng.normal(0, 0.1, 4)
    x = rng.random((160, 48))
    y = (np.maximum(x @ w1.T + b1, 0) @ w2.T + b2).argmax(axis=1)
    net = convert_mlp([w1, w2], [b1, b2], x[:60]).network
    return SweepData(net, x[60:], y[60:], steps=63)


def test_optimize_fit_buys_a_faster_design_with_compression(tmp_path):
    """With a part every round ranks its points against it: the winner fits and runs in
    fewer expected clocks per step than the uncompressed network's fastest fitting
    styles; the clocks never go up from round to round."""
    rounds = []
    _best, figures, history = optimize(
        _wide_task(),
        tmp_path / "c",
        max_drop=5.0,
        part="up5k",
        bits_choices=(4, 8),
        percentile_choices=(0.0, 50.0, 80.0),
        popcount_choices=(0.0, 2.0),
        jobs=2,
        on_round=rounds.append,
    )
    assert figures["part"] == "up5k" and history[0]["fit"]["fits"] and figures["fit"]["fits"]
    clocks = [h["fit"]["clocks_per_step"] for h in history]
    assert clocks == sorted(clocks, reverse=True) and clocks[-1] < clocks[0]
    assert figures["accuracy"] >= figures["reference_accuracy"] - 0.05
    lines = [optimize_round_line(r, "ice40") for r in rounds]
    assert all("; fits as event" in line for line in lines[:-1])
    assert lines[-1].endswith(": done") and "no change helps on the up5k" in lines[-1]


def test_cli_optimize_fit_builds_the_winner_with_fit(tmp_path):
    """``optimize --fit PART``: the family is the part's, the winner is built with
    --fit and again from its optimize.json, byte for byte."""
    _task(tmp_path)
    runner = CliRunner()
    args = ["--data", str(tmp_path / "data.npz"), "--steps", "63", "--jobs", "2", "-q"]
    res = runner.invoke(
        main,
        [
            "optimize",
            str(tmp_path / "net.npz"),
            "-o",
            str(tmp_path / "o"),
            "--fit",
            "up5k",
            "--max-drop",
            "0",
            *args,
        ],
    )
    assert res.exit_code == 0, res.output
    found = json.loads((tmp_path / "o" / "optimize.json").read_text())
    assert found["part"] == "up5k" and found["family"] == "ice40"
    assert "on the up5k: uncompressed fits as full + full, 1.0 clocks per step" in res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["part"] == "up5k"
    again = tmp_path / "again"
    res = runner.invoke(
        main,
        [
            "build",
            str(tmp_path / "net.npz"),
            "-o",
            str(again),
            "--from-optimize",
            str(tmp_path / "o" / "optimize.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    _same_design(tmp_path / "o", again)
    assert json.loads((again / "report.json").read_text())["part"] == "up5k"
    res = runner.invoke(
        main,
        [
            "optimize",
            str(tmp_path / "net.npz"),
            "-o",
            str(tmp_path / "x"),
            "--fit",
            "up5k",
            "--family",
            "xilinx",
            "--max-drop",
            "1",
            *args,
        ],
    )
    assert res.exit_code == 2 and "--family must be the up5k's ice40 or left out" in res.output
    res = runner.invoke(
        main,
        [
            "optimize",
            str(tmp_path / "net.npz"),
            "-o",
            str(tmp_path / "x"),
            "--max-drop",
            "1",
            *args,
        ],
    )
    assert res.exit_code == 2 and "optimize needs --family FAMILY or --fit PART" in res.output


def test_optimize_fit_refuses_when_nothing_within_the_bound_fits(tmp_path, monkeypatch):
    """No point the search reaches fits: a one-line error naming the smallest."""
    import compress.analysis.parts as parts

    def never(result, part, hardware=None, *args, **kwargs):  # fewer bits, smaller
        bits = dict(result.config.layers)
        size = 1 + sum(bits[i].bits if i in bits else 8 for i in range(len(result.codes))) / 100
        return {"fits": False, "size": size, "styles": ["full"]}, None

    monkeypatch.setattr(parts, "rank", never)
    with pytest.raises(
        ValueError,
        match=r"^design must fit the up5k within 50 points, but no point the search reached "
        r"does: the smallest, 8b L0\(bits=3,.*L1\(bits=3,.*needs 106% of the part's budget as full",
    ):
        optimize(
            _task(),
            tmp_path / "c",
            max_drop=50.0,
            part="up5k",
            bits_choices=(3, 8),
            percentile_choices=(0.0,),
            popcount_choices=(0.0,),
        )
    with pytest.raises(ValueError, match=r"^family must be the up5k part's 'ice40' or left out"):
        optimize(_task(), tmp_path / "c", max_drop=1.0, part="up5k", family="xilinx")


def test_fit_gain_prefers_fitting_then_clocks_then_luts():
    from compress.sweep import _fit_gain

    def gain(current, row):  # with the accuracy points lost as optimize counts them
        return _fit_gain(current, row, max(100 * (current["accuracy"] - row["accuracy"]), 0.1))

    def row(fits, size, clocks=None, luts=None, accuracy=0.9):
        fit = {"fits": fits, "size": size, "clocks_per_step": clocks, "luts": luts}
        return {"fit": fit, "accuracy": accuracy}

    assert gain(row(False, 1.4), row(False, 1.1)) == (0, pytest.approx(0.3))
    assert gain(row(False, 1.4), row(False, 1.5)) is None
    assert gain(row(True, 0.5, 20, 900), row(False, 1.2)) is None  # must still fit
    assert gain(row(True, 0.5, 20, 900), row(True, 0.4, 10, 1000)) == (1, 0.5)
    assert gain(row(True, 0.5, 20, 900), row(True, 0.4, 20, 450)) == (0, 0.5)
    assert gain(row(True, 0.5, 20, 900), row(True, 0.4, 25, 450)) is None  # slower
    # LUTs alone are not bought with accuracy; clocks are
    assert gain(row(True, 0.5, 20, 900), row(True, 0.4, 20, 450, accuracy=0.89)) is None
    assert gain(row(True, 0.5, 20, 900), row(True, 0.4, 10, 900, accuracy=0.89)) == (1, 0.5)
    # a clock saving too small for the accuracy it costs (0.5% of the clocks for 2 points)
    assert gain(row(True, 0.5, 200, 900), row(True, 0.4, 199, 900, accuracy=0.88)) is None
