"""Bad and hostile inputs, through the CLI and the Python API.

Every case asserts the exit code (2: the command line is wrong; 1: the data or
the file system is), one ``Error:`` line that names the layer, field and value
or the option, no traceback, and that nothing was written: the folder holds
exactly the input files it held before.
"""

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from compress import (
    CompressionConfig,
    HardwareOptions,
    Layer,
    Network,
    example_network,
    load_network,
    prune_weights,
    quantize_codes,
    quantize_delays,
)
from compress.build import build
from compress.cli import main
from compress.model.limits import Limits
from compress.model.network import save_network

GOOD = {"weights_0": np.full((3, 4), 0.5), "weights_1": np.full((2, 3), -0.25)}


def _npz(**arrays: np.ndarray) -> Callable[[Path], Path]:
    """A maker of ``net.npz`` written by numpy's own writer (so any dtype goes in)."""

    def make(folder: Path) -> Path:
        np.savez(folder / "net.npz", **arrays)
        return folder / "net.npz"

    return make


def _good(**changes: object) -> Callable[[Path], Path]:
    arrays = {**GOOD, **changes}
    return _npz(**{k: v for k, v in arrays.items() if v is not None})


def _raw(data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / "net.npz").write_bytes(data)
        return folder / "net.npz"

    return make


def _truncated(folder: Path) -> Path:
    np.savez(folder / "full.npz", **GOOD)
    data = (folder / "full.npz").read_bytes()
    (folder / "full.npz").unlink()
    (folder / "net.npz").write_bytes(data[: len(data) // 2])
    return folder / "net.npz"


def _huge_header(folder: Path) -> Path:
    """A 200 kB file whose header declares a (200000, 200000) float64 array: 298 GiB."""
    buffer = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": (200000, 200000)}
    np.lib.format.write_array_header_1_0(buffer, header)
    buffer.write(b"\0" * 200_000)
    with zipfile.ZipFile(folder / "net.npz", "w") as zf:
        zf.writestr("weights_0.npy", buffer.getvalue())
    return folder / "net.npz"


def _deflate_bomb(folder: Path) -> Path:
    """About 40 kB on disk, 35 MB of zeros inside: 4.4 M weights, over the default limit."""
    with zipfile.ZipFile(folder / "net.npz", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("weights_0.npy", "w") as f:
            np.lib.format.write_array(f, np.zeros((2100, 2100)))
    return folder / "net.npz"


def _build_folder(folder: Path) -> Path:
    build(example_network(), folder / "built")
    return folder / "built"


#: (id, input maker, extra arguments, exit code, message regex): `build MODEL -o OUT ...`.
BUILD_CASES = [
    (
        "nan-weight",
        _good(weights_0=np.array([[0.5, np.nan, 0, 0]] * 3)),
        [],
        1,
        r"net\.npz: layer 0: weights must be finite, not nan at \(0, 1\)",
    ),
    (
        "inf-weight",
        _good(weights_1=np.array([[np.inf, 0, 0], [0, 0, 0]])),
        [],
        1,
        r"layer 1: weights must be finite, not inf at \(0, 0\)",
    ),
    (
        "nan-threshold",
        _good(threshold_0=np.array(np.nan)),
        [],
        1,
        r"layer 0: threshold must be finite, not nan",
    ),
    (
        "inf-delay",
        _good(delays_0=np.full((3, 4), np.inf)),
        [],
        1,
        r"layer 0: delays must be finite, not inf at \(0, 0\)",
    ),
    (
        "shapes-chain",
        _good(weights_1=np.ones((2, 5))),
        [],
        1,
        r"layer 1: weights must have n_in == 3 \(n_out of layer 0\), not 5",
    ),
    (
        "unknown-key",
        _good(treshold_0=np.array(1.0)),
        [],
        1,
        r"not 'treshold_0' \(did you mean threshold_<l>\?\)",
    ),
    (
        "missing-layer",
        _npz(weights_1=np.ones((2, 3))),
        [],
        1,
        r"layer 0: weights_0 must be present, not missing",
    ),
    (
        "bad-reset",
        _good(reset_0=np.array("foo")),
        [],
        1,
        r"layer 0: reset must be 'zero' or 'subtract', not 'foo'",
    ),
    (
        "object-array",
        _good(weights_0=np.array([[0.5, None]] * 3, dtype=object)),
        [],
        1,
        r"weights_0: array must be numeric or text, not dtype object",
    ),
    (
        "text-weights",
        _good(weights_0=np.array([["a"] * 4] * 3)),
        [],
        1,
        r"layer 0: weights must be a real numeric array, not dtype <U1",
    ),
    (
        "complex-weights",
        _good(weights_0=np.ones((3, 4), dtype=complex)),
        [],
        1,
        r"layer 0: weights must be a real numeric array, not dtype complex128",
    ),
    (
        "1-d-weights",
        _good(weights_0=np.ones(4), weights_1=None),
        [],
        1,
        r"layer 0: weights must be a non-empty 2-D array \(n_out, n_in\), not shape \(4,\)",
    ),
    (
        "3-d-weights",
        _good(weights_0=np.ones((2, 3, 4)), weights_1=None),
        [],
        1,
        r"layer 0: weights must be a non-empty 2-D array \(n_out, n_in\), not shape \(2, 3, 4\)",
    ),
    (
        "empty-weights",
        _good(weights_0=np.ones((0, 4)), weights_1=None),
        [],
        1,
        r"layer 0: weights must be a non-empty 2-D array \(n_out, n_in\), not shape \(0, 4\)",
    ),
    ("no-layers", _npz(), [], 1, r"npz file must hold weights_0, not no layers at all"),
    (
        "negative-delay",
        _good(delays_0=np.full((3, 4), -2.0)),
        [],
        1,
        r"layer 0: delays must be non-negative, not -2\.0 at \(0, 0\)",
    ),
    (
        "delay-shape",
        _good(delays_0=np.ones((4, 3))),
        [],
        1,
        r"layer 0: delays must have the weights' shape \(3, 4\), not \(4, 3\)",
    ),
    (
        "zero-threshold",
        _good(threshold_1=np.array(0.0)),
        [],
        1,
        r"layer 1: threshold must be positive, not 0\.0",
    ),
    (
        "negative-threshold",
        _good(threshold_0=np.array([1.0, -1.0, 1.0])),
        [],
        1,
        r"layer 0: threshold must be positive, not -1\.0",
    ),
    (
        "threshold-shape",
        _good(threshold_0=np.ones(5)),
        [],
        1,
        r"layer 0: threshold must be a scalar or have shape \(3,\), not shape \(5,\)",
    ),
    (
        "leak-zero",
        _good(leak_shift_0=np.array(0)),
        [],
        1,
        r"layer 0: leak_shift must be in \[1, 31\], not 0",
    ),
    (
        "leak-40",
        _good(leak_shift_1=np.array(40)),
        [],
        1,
        r"layer 1: leak_shift must be in \[1, 31\], not 40",
    ),
    (
        "leak-float",
        _good(leak_shift_0=np.array(2.5)),
        [],
        1,
        r"layer 0: leak_shift must be a scalar integer, not float64 of shape \(\)",
    ),
    (
        "not-a-zip",
        _raw(b"weights_0 = [[1, 2]]\n"),
        [],
        1,
        r"network file must be an \.npz archive \(a zip file\), not a file starting with",
    ),
    (
        "empty-file",
        _raw(b""),
        [],
        1,
        r"network file must be an \.npz archive \(a zip file\), not empty",
    ),
    (
        "truncated-zip",
        _truncated,
        [],
        1,
        r"network file must be a readable zip archive, not damaged",
    ),
    (
        "huge-header",
        _huge_header,
        [],
        1,
        r"weights_0: elements \(shape \(200000, 200000\)\) must be at most 4,194,304 "
        r"\(raise it with --limit-synapses or Limits\(synapses=\.\.\.\)\), not 40,000,000,000",
    ),
    (
        "deflate-bomb",
        _deflate_bomb,
        [],
        1,
        r"weights_0: elements \(shape \(2100, 2100\)\) must be at most 4,194,304",
    ),
    (
        "delay-1e9",
        _good(delays_0=np.full((3, 4), 1e9)),
        [],
        1,
        r"layer 0: delays \(steps\) must be at most 4,096 \(raise it with --limit-delay or "
        r"Limits\(delay=\.\.\.\)\), not 1,000,000,000",
    ),
    (
        "delay-1e30",
        _good(delays_0=np.full((3, 4), 1e30)),
        [],
        1,
        r"delays must be at most 2\*\*53 steps, not 1e\+30",
    ),
    (
        "memory-limit",
        _good(delays_0=np.full((3, 4), 50.0)),
        ["--limit-memory-bits", "100"],
        1,
        r"design: delay-buffer and weight-memory bits must be at most 100 \(raise it with "
        r"--limit-memory-bits or Limits\(memory_bits=\.\.\.\)\), not 200",
    ),
    (
        "array-limit",
        _good(),
        ["--limit-synapses", "10"],
        1,
        r"weights_0: elements \(shape \(3, 4\)\) must be at most 10 "
        r"\(raise it with --limit-synapses",
    ),
    (
        "synapse-limit",
        _good(),
        ["--limit-synapses", "15"],
        1,
        r"network: synapses must be at most 15 \(raise it with --limit-synapses or "
        r"Limits\(synapses=\.\.\.\)\), not 18",
    ),
    (
        "streams-short",
        _npz(weights_0=np.array([[1.0] + [0.34] * 11] * 2), weights_1=np.ones((1, 2))),
        ["--bits", "3", "--decorrelate", "0"],
        1,
        r"layer 0: random streams must number at least 11 .*, "
        r"not the 6 left for 2-bit LFSRs; use more weight bits",
    ),
    (
        "top-keyword",
        _good(),
        ["--top", "module"],
        2,
        r"Invalid value for '--top': "
        r"top must not be a Verilog or SystemVerilog keyword, not 'module'",
    ),
    ("top-sv-keyword", _good(), ["--top", "logic"], 2, r"keyword, not 'logic'"),
    (
        "top-2000",
        _good(),
        ["--top", "a" * 2000],
        2,
        r"top must be at most 128 characters, not 2000",
    ),
    ("top-digit", _good(), ["--top", "1x"], 2, r"top must be a Verilog identifier, not '1x'"),
    (
        "top-dash",
        _good(),
        ["--top", "my-net"],
        2,
        r"top must be a Verilog identifier, not 'my-net'",
    ),
    ("bits-1", _good(), ["--bits", "1"], 2, r"bits must be in \[2, 16\], not 1"),
    ("bits-17", _good(), ["--bits", "17"], 2, r"bits must be in \[2, 16\], not 17"),
    ("bits-text", _good(), ["--bits", "eight"], 2, r"'eight' is not a valid integer"),
    (
        "percentile-150",
        _good(),
        ["--prune-percentile", "150"],
        2,
        r"prune_percentile must be in \[0, 100\], not 150\.0",
    ),
    (
        "percentile-negative",
        _good(),
        ["--prune-percentile", "-5"],
        2,
        r"prune_percentile must be at least 0, not -5\.0",
    ),
    (
        "threshold-negative",
        _good(),
        ["--prune-threshold", "-0.1"],
        2,
        r"prune_threshold must be at least 0, not -0\.1",
    ),
    (
        "both-prunings",
        _good(),
        ["--prune-threshold", "0.1", "--prune-percentile", "5"],
        2,
        r"prune_threshold and prune_percentile must not both be set, not 0\.1 and 5\.0",
    ),
    (
        "popcount-negative",
        _good(),
        ["--min-popcount-bits", "-1"],
        2,
        r"min_popcount_bits must be at least 0, not -1\.0",
    ),
    (
        "popcount-nan",
        _good(),
        ["--min-popcount-bits", "nan"],
        2,
        r"min_popcount_bits must be finite, not nan",
    ),
    (
        "bitstream-0",
        _good(),
        ["--bitstream-length", "0"],
        2,
        r"bitstream_length must be at least 1, not 0",
    ),
    (
        "resolution-0",
        _good(),
        ["--delay-resolution", "0"],
        2,
        r"delay_resolution must be at least 1, not 0",
    ),
    (
        "max-delay-negative",
        _good(),
        ["--max-delay", "-1"],
        2,
        r"max_delay must be at least 0, not -1",
    ),
    (
        "neurons-negative",
        _good(),
        ["--prune-neurons", "-1"],
        2,
        r"prune_neurons must be at least 0, not -1\.0",
    ),
    (
        "parallelism-0",
        _good(),
        ["--parallelism", "0"],
        2,
        r"--parallelism must be a positive integer, 'full', 'event' or 'conv', not '0'",
    ),
    (
        "parallelism-text",
        _good(),
        ["--parallelism", "half"],
        2,
        r"--parallelism must be a positive integer, 'full', 'event' or 'conv', not 'half'",
    ),
    (
        "layer-parallelism-range",
        _good(),
        ["--layer-parallelism", "5=2"],
        2,
        r"--layer-parallelism must be L=P with L in 0\.\.1, not '5=2'",
    ),
    (
        "layer-parallelism-form",
        _good(),
        ["--layer-parallelism", "two"],
        2,
        r"--layer-parallelism must be L=P with L in 0\.\.1, not 'two'",
    ),
    (
        "delay-ram-bits-0",
        _good(),
        ["--delay-ram-bits", "0"],
        2,
        r"Invalid value for '--delay-ram-bits': 0 is not in the range x>=1",
    ),
    (
        "pipeline-unknown",
        _good(),
        ["--pipeline", "fast"],
        2,
        r"'fast' is not one of 'area', 'speed'",
    ),
    (
        "port-unfolded",
        _good(),
        ["--weight-port"],
        2,
        r"--weight-port needs a folded or event layer \(--parallelism P or event\), "
        r"not only fully parallel ones",
    ),
    ("limit-0", _good(), ["--limit-synapses", "0"], 2, r"0 is not in the range x>=1"),
]


def _snapshot(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _check_error(result, code: int, pattern: str) -> None:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert result.stdout == ""
    import re

    assert re.search(pattern, errors[0]), errors[0]


@pytest.mark.parametrize(
    ("maker", "extra", "code", "pattern"),
    [case[1:] for case in BUILD_CASES],
    ids=[case[0] for case in BUILD_CASES],
)
def test_build_refuses(tmp_path, maker, extra, code, pattern):
    model = maker(tmp_path)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(main, ["build", str(model), "-o", str(tmp_path / "out"), *extra])
    _check_error(result, code, pattern)
    assert _snapshot(tmp_path) == before


def _other_cases() -> list[tuple[str, Callable[[Path], list[str]], int, str]]:
    def read_only_output(folder: Path) -> list[str]:
        save_network(example_network(), folder / "net.npz")
        return ["build", str(folder / "net.npz"), "-o", "/sys/sc_compress_out"]

    def non_empty_output(folder: Path) -> list[str]:
        save_network(example_network(), folder / "net.npz")
        (folder / "out").mkdir()
        (folder / "out" / "keep.txt").write_text("mine")
        return ["build", str(folder / "net.npz"), "-o", str(folder / "out")]

    def output_is_a_file(folder: Path) -> list[str]:
        save_network(example_network(), folder / "net.npz")
        (folder / "out").write_text("a file")
        return ["build", str(folder / "net.npz"), "-o", str(folder / "out"), "--force"]

    def missing_model(folder: Path) -> list[str]:
        return ["build", str(folder / "nothing.npz"), "-o", str(folder / "out")]

    def report_not_a_build(folder: Path) -> list[str]:
        (folder / "plain").mkdir()
        (folder / "plain" / "notes.txt").write_text("x")
        return ["report", str(folder / "plain"), "--target", "ice40"]

    def report_bad_json(folder: Path) -> list[str]:
        (folder / "b").mkdir()
        (folder / "b" / "design.json").write_text("{}")
        (folder / "b" / "report.json").write_text("{not json")
        return ["report", str(folder / "b"), "--target", "ice40"]

    def report_pnr_without_synth(folder: Path) -> list[str]:
        return ["report", str(_build_folder(folder)), "--target", "ice40", "--pnr"]

    def report_unknown_family(folder: Path) -> list[str]:
        return ["report", str(_build_folder(folder)), "--target", "stratix"]

    def example_read_only(folder: Path) -> list[str]:
        return ["example", "/sys/sc_compress_net.npz"]

    def compress_bad_file(folder: Path) -> list[str]:
        (folder / "net.npz").write_bytes(b"PK\x03\x04 broken")
        return ["compress", str(folder / "net.npz")]

    def compress_read_only(folder: Path) -> list[str]:
        save_network(example_network(), folder / "net.npz")
        return ["compress", str(folder / "net.npz"), "-o", "/sys/sc_compress_net.npz"]

    return [
        (
            "read-only-output",
            read_only_output,
            1,
            r"output folder '/sys/sc_compress_out' must be writable, not: ",
        ),
        (
            "non-empty-output",
            non_empty_output,
            1,
            r"output folder must be empty or new, not '.*out' \(use --force to replace it\)",
        ),
        ("output-is-a-file", output_is_a_file, 2, r"Directory '.*out' is a file"),
        ("missing-model", missing_model, 2, r"File '.*nothing\.npz' does not exist"),
        (
            "report-not-a-build",
            report_not_a_build,
            1,
            r"plain must be a build folder \(written by sc-compress build\), "
            r"not a folder without design\.json",
        ),
        (
            "report-bad-json",
            report_bad_json,
            1,
            r"design\.json must be an sc-compress design \(sc-compress/design/1\), not other JSON",
        ),
        ("report-pnr-only", report_pnr_without_synth, 2, r"--pnr needs --synth"),
        (
            "report-family",
            report_unknown_family,
            2,
            r"'stratix' is not one of 'ice40', 'ecp5', 'xilinx'",
        ),
        (
            "example-read-only",
            example_read_only,
            1,
            r"output file '/sys/sc_compress_net\.npz' must be writable, not: ",
        ),
        (
            "compress-bad-file",
            compress_bad_file,
            1,
            r"network file must be a readable zip archive, not damaged",
        ),
        (
            "compress-read-only",
            compress_read_only,
            1,
            r"output file '/sys/sc_compress_net\.npz' must be writable, not: ",
        ),
    ]


OTHER_CASES = _other_cases()


@pytest.mark.parametrize(
    ("args", "code", "pattern"), [c[1:] for c in OTHER_CASES], ids=[c[0] for c in OTHER_CASES]
)
def test_commands_refuse(tmp_path, args, code, pattern):
    argv = args(tmp_path)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(main, argv)
    _check_error(result, code, pattern)
    assert _snapshot(tmp_path) == before


def test_example_creates_missing_folders(tmp_path):
    result = CliRunner().invoke(main, ["example", str(tmp_path / "sub" / "dir" / "net.npz")])
    assert result.exit_code == 0, result.output
    assert load_network(tmp_path / "sub" / "dir" / "net.npz").sizes == (16, 12, 4)


#: (id, call, exception type, message regex): the Python API.
API_CASES = [
    (
        "config-dict",
        lambda out: build(example_network(), out, {"bits": 8}),
        TypeError,
        r"^config must be a CompressionConfig, not dict",
    ),
    (
        "hardware-dict",
        lambda out: build(example_network(), out, None, {"pipeline": "speed"}),
        TypeError,
        r"^hardware must be a HardwareOptions, not dict",
    ),
    (
        "network-list",
        lambda out: build([np.ones((2, 2))], out),
        TypeError,
        r"^network must be a Network, not list$",
    ),
    (
        "limits-dict",
        lambda out: build(example_network(), out, limits={"delay": 3}),
        TypeError,
        r"^limits must be a Limits, not dict$",
    ),
    (
        "top-reg",
        lambda out: build(example_network(), out, top="reg"),
        ValueError,
        r"^top must not be a Verilog or SystemVerilog keyword, not 'reg'$",
    ),
    (
        "emitter",
        lambda out: build(example_network(), out, emitter="chisel"),
        ValueError,
        r"^emitter must be one of jinja, amaranth, not 'chisel'$",
    ),
    (
        "pipeline",
        lambda out: HardwareOptions(pipeline="fast"),
        ValueError,
        r"^pipeline must be one of area, speed, not 'fast'$",
    ),
    (
        "fold-order",
        lambda out: HardwareOptions(fold_order="random"),
        ValueError,
        r"^fold_order must be one of compact, banked, aligned, not 'random'$",
    ),
    (
        "parallelism-bool",
        lambda out: HardwareOptions(parallelism=True),
        ValueError,
        r"^parallelism must be a positive integer, 'full', 'event' or 'conv', not True$",
    ),
    (
        "parallelism-float",
        lambda out: HardwareOptions(parallelism=[2.0]),
        ValueError,
        r"^layer 0: parallelism must be a positive integer, 'full', 'event' or 'conv', not 2\.0$",
    ),
    (
        "weight-port-text",
        lambda out: HardwareOptions(weight_port="yes"),
        ValueError,
        r"^weight_port must be True or False, not 'yes'$",
    ),
    (
        "bits-float",
        lambda out: CompressionConfig(bits=8.0),
        ValueError,
        r"^bits must be an integer, not 8\.0$",
    ),
    (
        "bits-numpy-float",
        lambda out: CompressionConfig(bits=np.float64(8)),
        ValueError,
        r"^bits must be an integer, not",
    ),
    (
        "limits-0",
        lambda out: Limits(delay=0),
        ValueError,
        r"^limits\.delay must be a positive integer, not 0$",
    ),
    (
        "load-not-zip",
        lambda out: (out.parent / "x.npz").write_text("x") and load_network(out.parent / "x.npz"),
        ValueError,
        r"^network file must be an \.npz archive",
    ),
    (
        "layer-1d",
        lambda out: Layer(np.ones(3)).check(0),
        ValueError,
        r"^layer 0: weights must be a non-empty 2-D array \(n_out, n_in\), not shape \(3,\)$",
    ),
    (
        "network-empty",
        lambda out: Network(()),
        ValueError,
        r"^layers must be a non-empty sequence, not empty$",
    ),
    (
        "prune-method",
        lambda out: prune_weights([np.ones((2, 2))], 0.1, "random"),
        ValueError,
        r"^method must be 'magnitude' or 'percentile', not 'random'$",
    ),
    (
        "codes-bits",
        lambda out: quantize_codes([np.ones((2, 2))], bits=20),
        ValueError,
        r"^bits must be in \[2, 16\], not 20$",
    ),
    (
        "delays-1e30",
        lambda out: quantize_delays(np.array([1e30])),
        ValueError,
        r"^delays must be at most 2\*\*53 steps, not 1e\+30$",
    ),
    (
        "delays-resolution",
        lambda out: quantize_delays(np.array([1.0]), resolution=0),
        ValueError,
        r"^resolution must be at least 1, not 0$",
    ),
    (
        "delay-limit",
        lambda out: build(Network((Layer(np.ones((2, 2)), delays=np.full((2, 2), 5000.0)),)), out),
        ValueError,
        r"^layer 0: delays \(steps\) must be at most 4,096",
    ),
]


@pytest.mark.parametrize(
    ("call", "kind", "pattern"), [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES]
)
def test_api_refuses(tmp_path, call, kind, pattern):
    out = tmp_path / "work" / "out"
    out.parent.mkdir()
    with pytest.raises(kind, match=pattern):
        call(out)
    assert not out.exists() and not [p for p in out.parent.iterdir() if p.name.startswith(".out")]


def test_more_than_forty_bad_inputs():
    assert len(BUILD_CASES) + len(OTHER_CASES) + len(API_CASES) >= 40
