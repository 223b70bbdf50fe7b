"""From a build to a board: board data, the board top simulated through its UART against
the golden model, the host runtime against that simulation, and (slow) the bitstreams."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from compress import CompressionConfig, HardwareOptions, example_network
from compress.analysis.evaluate import evaluate
from compress.board.boards import BOARDS, Board, board_of, load_boards
from compress.board.flow import make_board
from compress.board.host import BoardLink, run
from compress.board.protocol import HELLO_LENGTH, Hello, design_id, hello_of, sample_bytes
from compress.board.sim import SIM_CLKS_PER_BIT, run_board_sim, simulated_board
from compress.board.top import board_files, check_build
from compress.build import build
from compress.cli import main
from compress.hardware.design import load_plan, read_design

needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """scikit-learn's digits: a 64-32-10 MLP, converted and built ``--fit up5k`` with the
    rate encoder (van der Corput) and the argmax readout over 32 steps; 12 test digits."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from compress.model.convert import convert_mlp

    data = load_digits()
    x = data.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, data.target, test_size=0.3, stratify=data.target, random_state=0
    )
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=600, random_state=0).fit(
        x_train, y_train
    )
    network = convert_mlp([w.T for w in mlp.coefs_], mlp.intercepts_, x_train).network
    folder = tmp_path_factory.mktemp("digits") / "build"
    hardware = HardwareOptions(
        input_encoder="rate", input_stream="vdc", readout="argmax", window=32
    )
    config = CompressionConfig(bits=6, prune_percentile=30)
    build(network, folder, config, hardware, part="up5k")  # it fits every bundled board
    return folder, x_test[:12], y_test[:12]


def _golden(folder, x):
    plan = load_plan(folder)
    return evaluate(plan, x, steps=plan.window, encoder=plan.encoder).predictions


def test_boards_are_data_and_bad_entries_are_named(tmp_path):
    """The bundled boards, and a user's file: a bad field is a one-line error naming
    the board and the field; an unknown board names the known ones."""
    assert set(BOARDS) == {"icebreaker", "orangecrab-25f", "ulx3s-85f"}
    ice = board_of("icebreaker")
    assert (ice.part, ice.clock_pin, ice.clock_mhz, ice.rx, ice.tx) == (
        "up5k",
        "35",
        12.0,
        "6",
        "9",
    )
    assert board_of("ulx3s-85f").package == "CABGA381"
    entry = json.loads(json.dumps({"mine": {**_entry(), "clock": {"pin": "A1", "mhz": 0}}}))
    (tmp_path / "b.json").write_text(json.dumps(entry))
    with pytest.raises(ValueError, match=r"board mine: clock mhz must be a frequency in 1\.\.500"):
        load_boards(tmp_path / "b.json")
    (tmp_path / "b.json").write_text(json.dumps({"mine": _entry()}))
    assert board_of("mine", tmp_path / "b.json").leds == ("1", "2")
    with pytest.raises(ValueError, match="board must be one of icebreaker, orangecrab-25f"):
        board_of("tinyfpga")
    bad = {**_entry(), "constraints": "lpf"}
    (tmp_path / "b.json").write_text(json.dumps({"mine": bad}))
    with pytest.raises(
        ValueError, match="board mine: constraints must be pcf for ice40, not 'lpf'"
    ):
        load_boards(tmp_path / "b.json")


def _entry() -> dict:
    return {
        "title": "a board",
        "part": "hx8k",
        "family": "ice40",
        "device": "hx8k",
        "package": "ct256",
        "clock": {"pin": "J3", "mhz": 12},
        "uart": {"rx": "B10", "tx": "B12"},
        "leds": ["1", "2"],
        "reset": None,
        "constraints": "pcf",
        "program": "iceprog {bitstream}",
    }


def test_board_needs_an_encoder_and_a_readout(tmp_path):
    """A build without features in, without a class, or with a weight port: refused."""
    build(example_network(), tmp_path / "plain")
    with pytest.raises(ValueError, match="board needs a build with --input-encoder rate"):
        check_build(read_design(tmp_path / "plain"))
    build(example_network(), tmp_path / "enc", hardware=HardwareOptions(input_encoder="rate"))
    with pytest.raises(ValueError, match="board needs a build with a class readout"):
        check_build(read_design(tmp_path / "enc"))
    result = CliRunner().invoke(main, ["board", str(tmp_path / "plain"), "--board", "icebreaker"])
    assert result.exit_code == 1 and "--input-encoder rate" in result.output
    assert not (tmp_path / "plain" / "board_icebreaker").exists()


def test_board_refuses_a_design_its_part_cannot_hold(tmp_path):
    """The 64-32-10 fully parallel with its encoder and readout needs more logic cells
    than the UP5K has: refused by the estimate before any tool runs, nothing written."""
    hardware = HardwareOptions(input_encoder="rate", readout="argmax")
    build(example_network("random_64_32_10"), tmp_path / "b", hardware=hardware)
    with pytest.raises(ValueError, match=r"board icebreaker: the design must fit the up5k by"):
        make_board(tmp_path / "b", board_of("icebreaker"))
    assert not (tmp_path / "b" / "board_icebreaker").exists()


def test_protocol_frames_round_trip():
    hello = Hello(1, 784, 10, 8, 64, 0xDEADBEEF)
    assert len(hello.frame()) == HELLO_LENGTH and Hello.parse(hello.frame()) == hello
    assert sample_bytes(np.array([0, 255, 7]), 8) == b"S\x00\xff\x07"
    assert sample_bytes(np.array([513]), 10) == b"S\x01\x02"
    with pytest.raises(ValueError, match=r"features must be one sample of levels 0\.\.255"):
        sample_bytes(np.array([256]), 8)
    with pytest.raises(ValueError, match="hello frame must be 12 bytes from H"):
        Hello.parse(b"C\x01")


@pytest.mark.skipif(shutil.which("verilator") is None, reason="needs verilator")
def test_board_top_is_lint_clean_on_every_board(tmp_path, digits):
    """The board top of each bundled board under ``verilator --lint-only -Wall``."""
    folder, _, _ = digits
    design = read_design(folder)
    for name, board in BOARDS.items():
        files = board_files(design, board, mhz=board.clock_mhz, ident=design_id(folder))
        (tmp_path / name).mkdir()
        top = tmp_path / name / "sc_network_board.v"
        top.write_text(files["sc_network_board.v"])
        assert f"board.{board.constraints}" in files
        proc = subprocess.run(
            ["verilator", "--lint-only", "-Wall", "--top-module", "sc_network_board"]
            + [str(folder / f) for f in design["rtl"]]
            + [str(top)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, (name, proc.stderr[:2000])


@needs_iverilog
def test_board_top_classes_equal_the_golden_model(tmp_path, digits):
    """The board top on Icarus, driven through its UART at 8 clocks a bit: the hello frame
    names the design, and every digit's class equals evaluate's; a sample takes its
    bytes' clocks plus at most the network's window at its worst step latency."""
    folder, x, _ = digits
    result = run_board_sim(folder, tmp_path / "sim", board_of("icebreaker"), x)
    expected = hello_of(read_design(folder), design_id(folder))
    assert Hello.parse(bytes(result["hello"])) == expected
    assert result["classes"] == list(_golden(folder, x))
    frame_clocks = (1 + 64 + 2) * 10 * SIM_CLKS_PER_BIT  # S, 64 features, C and the class
    plan = load_plan(folder)
    most = frame_clocks + plan.window * (plan.latency + 2) + 100
    assert all(frame_clocks < c < most for c in result["clocks"]), (result["clocks"], most)


@needs_iverilog
def test_host_runtime_against_the_simulated_board(tmp_path, digits):
    """``run`` through a pseudo-terminal to the simulated board (an ECP5 board's top: a
    reset button): the hello is checked, the classes equal evaluate's; the CLI prints
    the throughput and the golden check; another build's id is a one-line error."""
    folder, x, y = digits
    np.savez(tmp_path / "data.npz", x=x[:4], y=y[:4])
    with simulated_board(folder, tmp_path / "sim", board_of("ulx3s-85f")) as port:
        result = run(folder, port, x[:6], y[:6], timeout=60)
        assert list(result.classes) == list(_golden(folder, x[:6]))
        assert result.hello.n_in == 64 and result.samples_per_second > 0
        data = str(tmp_path / "data.npz")
        command = ["run", str(folder), "--port", port, "--data", data, "--check", "--timeout", "60"]
        cli = CliRunner().invoke(main, command)
        assert cli.exit_code == 0, cli.output
        assert "4 samples in" in cli.output and "golden model: 4 of 4 classes equal" in cli.output
        other = tmp_path / "other"
        hardware = HardwareOptions(input_encoder="rate", readout="argmax", window=32)
        build(example_network(), other, hardware=hardware)
        with pytest.raises(ValueError, match=r"must run .* load this build's bitstream"):
            with BoardLink(port, timeout=60) as link:
                link.check(other)


def test_host_runtime_times_out_in_one_line():
    """A port that never answers a whole frame (pyserial's loop:// echoes the command)."""
    with BoardLink("loop://", timeout=0.2) as link:
        with pytest.raises(TimeoutError, match="must answer the hello command with 12 bytes"):
            link.hello()
    with pytest.raises(OSError, match="port must open, not /dev/nonexistent-tty"):
        BoardLink("/dev/nonexistent-tty")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BOARDS))
def test_board_bitstream(tmp_path, digits, name):
    """``sc-compress board`` on each bundled board: the bitstream, its constraint file,
    the summary and the program command; the PLL clock within the design's Fmax."""
    folder, _, _ = digits
    out = tmp_path / name
    result = CliRunner().invoke(
        main, ["board", str(folder), "--board", name, "-o", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "board.json").read_text())
    board: Board = board_of(name)
    assert (out / summary["bitstream"]).stat().st_size == summary["bitstream_bytes"] > 10_000
    assert (out / f"board.{board.constraints}").exists()
    assert (
        summary["pll_mhz"] <= summary["fmax_mhz"]
        and summary["pll_mhz"] <= 0.9 * summary["fmax_board_mhz"] + 1e-6
    )
    assert (out / "program.txt").read_text().strip() == board.program.format(
        bitstream=summary["bitstream"]
    )
    assert "program the board" in result.output
