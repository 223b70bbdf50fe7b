import json
from pathlib import Path

from click.testing import CliRunner

from compress import example_path, load_network
from compress.cli import main
from compress.hardware.design import load_plan


def test_compress_prints_report_and_writes(tmp_path):
    out = tmp_path / "c.npz"
    result = CliRunner().invoke(
        main,
        [
            "compress",
            str(example_path()),
            "-o",
            str(out),
            "--prune-threshold",
            "0.1",
            "--min-popcount-bits",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "| prune_weights |" in result.output and "| total |" in result.output
    assert load_network(out).sizes == (16, 12, 4)


def test_compress_json(tmp_path):
    result = CliRunner().invoke(main, ["compress", str(example_path()), "--json"])
    data = json.loads(result.output)
    assert [s["name"] for s in data["steps"]] == ["quantize_delays", "quantize_weights"]
    assert sum(row["synapses"] for row in data["layers"]) == 16 * 12 + 12 * 4


def test_compress_bad_option():
    result = CliRunner().invoke(main, ["compress", str(example_path()), "--bits", "1"])
    assert result.exit_code == 2
    assert "bits must be in [2, 16], not 1" in result.output


def test_compress_bad_file(tmp_path):
    import numpy as np

    np.savez(tmp_path / "bad.npz", weights_0=np.ones((2, 2)), weights_1=np.ones((1, 3)))
    result = CliRunner().invoke(main, ["compress", str(tmp_path / "bad.npz")])
    assert result.exit_code == 1
    assert "layer 1: weights must have n_in == 2 (n_out of layer 0), not 3" in result.output


def test_example_command(tmp_path):
    result = CliRunner().invoke(main, ["example", str(tmp_path / "e.npz")])
    assert result.exit_code == 0
    assert load_network(tmp_path / "e.npz").sizes == (16, 12, 4)


def test_report_without_synthesis_rewrites_the_reports(tmp_path):
    from click.testing import CliRunner

    from compress import example_path
    from compress.cli import main

    runner = CliRunner()
    res = runner.invoke(main, ["build", str(example_path()), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    (tmp_path / "o" / "report.html").unlink()
    res = runner.invoke(main, ["report", str(tmp_path / "o"), "--target", "ice40"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "o" / "report.html").read_text()
    assert (
        page.startswith("<!DOCTYPE html>")
        and "<svg" in page
        and "http" not in page.split("<svg", 1)[0]
    )
    data = json.loads((tmp_path / "o" / "report.json").read_text())
    assert data["schema"] == "sc-compress/report/2" and "measured" not in data
    res = runner.invoke(main, ["report", str(tmp_path / "o"), "--target", "ice40", "--pnr"])
    assert res.exit_code != 0 and "--pnr needs --synth" in res.output


def test_dense_baseline_has_no_constants_and_no_pruning(tmp_path):
    from compress import CompressionConfig, example_network
    from compress.build import build
    from compress.flows import dense_baseline
    from compress.measure.baseline import savings

    result = build(example_network(), tmp_path / "o", CompressionConfig(prune_percentile=40))
    base = load_plan(dense_baseline(tmp_path / "o"))
    for mine, theirs in zip(result.plan.layers, base.layers):
        assert theirs.class_counts()["constant"] == 0
        assert (theirs.codes > 0).sum() >= (mine.codes > 0).sum()
        assert theirs.class_counts()["stochastic"] == int((theirs.codes > 0).sum())
    assert savings({"luts": 60}, {"luts": 100}) == {"luts": 40.0}
    assert savings({"brams": 0}, {"brams": 0}) == {"brams": None}


def test_clock_needs_a_fitted_part_with_place_and_route(tmp_path):
    from click.testing import CliRunner

    from compress.cli import main

    model = str(Path(__file__).resolve().parents[1] / "compress" / "data" / "example_16_12_4.npz")
    runner = CliRunner()
    alone = runner.invoke(main, ["build", model, "-o", str(tmp_path / "a"), "--clock", "30"])
    assert alone.exit_code == 2 and "--clock needs --fit PART" in alone.output
    xilinx = runner.invoke(
        main, ["build", model, "-o", str(tmp_path / "b"), "--fit", "xc7a35t", "--clock", "30"]
    )
    assert xilinx.exit_code == 1 and "no open place and route" in xilinx.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
