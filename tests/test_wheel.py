"""The wheel carries everything the commands need: templates, data, the cocotb proof.

The fast test installs the built wheel alone into a folder (``pip install
--no-deps --target``), puts it first on ``PYTHONPATH`` and runs ``sc-compress
example``, ``build`` and ``sim`` from outside the repository, checking that
``compress`` was imported from that folder.  The slow test does the same in a
fresh virtual environment with the wheel and its ``[sim]`` dependencies
installed from PyPI (or pip's cache).
"""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def _wheel(tmp_path: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("sc_compress-*.whl")
    return wheel


def _commands(python: str, env: dict[str, str], cwd: Path) -> None:
    def run(*args: str) -> str:
        result = subprocess.run(
            [python, "-m", "compress", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("example", "net.npz")
    run("build", "net.npz", "-o", "out", "--parallelism", "2")
    assert (cwd / "out" / "tb" / "tb_sc_network.v").exists()
    out = run("sim", "out", "--steps", "40")
    assert out.startswith("cocotb on Icarus: 40 steps, every count, spike and latency equal")


@needs_icarus
def test_wheel_alone_runs_example_build_and_sim(tmp_path):
    wheel = _wheel(tmp_path)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    assert (target / "hdl_templates" / "tb.v.j2").exists()
    assert (target / "compress" / "data" / "lut_model.json").exists()
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run(
        [sys.executable, "-c", "import compress; print(compress.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target)), where
    work = tmp_path / "work"
    work.mkdir()
    _commands(sys.executable, env, work)


@pytest.mark.slow
@needs_icarus
def test_wheel_in_a_fresh_venv(tmp_path):
    """A fresh venv, the wheel with its [sim] extra from PyPI: example, build and sim."""
    wheel = _wheel(tmp_path)
    venv.create(tmp_path / "venv", with_pip=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", f"{wheel}[sim]"], check=True, capture_output=True
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{tmp_path / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "work"
    work.mkdir()
    _commands(python, env, work)
