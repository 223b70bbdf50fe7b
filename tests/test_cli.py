import json

from click.testing import CliRunner

from compress import example_path, load_network
from compress.cli import main


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
