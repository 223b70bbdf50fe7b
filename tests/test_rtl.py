import shutil
import subprocess

import numpy as np
import pytest
from fuzz import verilator_path

from compress import CompressionConfig, Layer, Network, example_network
from compress.build import build
from compress.hardware.design import load_plan
from compress.hardware.golden import simulate
from compress.hardware.plan import HardwareOptions


@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_build_is_deterministic(tmp_path, emitter):
    a = build(example_network(), tmp_path / "a", emitter=emitter)
    build(example_network(), tmp_path / "b", emitter=emitter)
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


@pytest.mark.skipif(verilator_path() is None, reason="verilator is not installed")
@pytest.mark.parametrize("emitter", ["jinja", "amaranth"])
def test_verilator_lint_wall_clean(tmp_path, emitter):
    config = CompressionConfig(prune_threshold=0.1)
    result = build(example_network(), tmp_path / "a", config, emitter=emitter)
    files = [str(tmp_path / "a" / f) for f in result.files if f.startswith("rtl/")]
    assert any(f.endswith(".vlt") for f in files) == (emitter == "amaranth")
    proc = subprocess.run(
        [verilator_path(), "--lint-only", "-Wall", "--top-module", "sc_network", *files],
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
    assert "| 0 | 16x12 | 6 |" in (tmp_path / "o" / "report.md").read_text()
    assert res.output.startswith("my_net: 2 layers, 16-12-4\nlayer 0: 16x12, 6 bits, full; ")


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


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
@pytest.mark.parametrize("k", [3, 4, 5, 7, 8])
def test_split_comparators_are_exact(tmp_path, k):
    """Every generated comparator equals ``stream <= code`` for every stream value."""
    from compress.emit.verilog import comparator_text, term_text
    from compress.hardware.structure import split_comparators

    def _comparators(k, pairs, initial):
        comparators, terms = split_comparators(k, pairs, initial=initial, first=initial)
        return (
            [{"name": c.name, "expr": comparator_text(c)} for c in comparators],
            [{"name": t.name, "expr": term_text(t), "init": t.init} for t in terms],
        )

    m_max = (1 << k) - 1
    pairs = [(0, m) for m in range(1, m_max)]
    comparators, terms = _comparators(k, pairs, {0: 1})
    # As wires (the area pipeline) the terms show the function the registers hold.
    body = [f"    wire {t['name']} = ({t['expr']});" for t in terms]
    body += [f"    wire {c['name']} = {c['expr']};" for c in comparators]
    checks = [
        f"        if ({c['name']} !== (stream0 <= {k}'d{m})) begin "
        f'$display("FAIL r=%0d m={m}", stream0); errors = errors + 1; end'
        for c, m in zip(comparators, range(1, m_max))
    ]
    (tmp_path / "tb.v").write_text(
        "module tb;\n"
        f"    reg [{k - 1}:0] stream0;\n    integer r, errors;\n" + "\n".join(body) + "\n"
        "    initial begin\n        errors = 0;\n"
        f"        for (r = 0; r <= {m_max}; r = r + 1) begin\n"
        f"        stream0 = r[{k - 1}:0]; #1;\n" + "\n".join(checks) + "\n        end\n"
        '        $display("ERRORS %0d", errors);\n    end\nendmodule\n'
    )
    subprocess.run(["iverilog", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True)
    out = subprocess.run(
        ["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True, capture_output=True, text=True
    ).stdout
    assert out.strip().splitlines()[-1] == "ERRORS 0", out
    # Reset values: the terms evaluated at the stream's value at step 0.
    for r in range(1, m_max + 1):
        comparators, terms = _comparators(k, pairs, {0: r})
        init = {t["name"]: t["init"] for t in terms}
        for c, (_, m) in zip(comparators, pairs):
            expr = c["expr"]
            for name in sorted(init, key=len, reverse=True):
                expr = expr.replace(name, str(init[name]))
            assert eval(expr) == int(r <= m), (r, m, c["expr"])
    if k > 4:  # split: every comparator is at most one 3-input gate over shared terms
        lo = (k + 1) // 2
        assert len(terms) <= 3 * (1 << (k - lo)) + (1 << lo)  # heq, hlt, hle; lle
        assert all(c["expr"].count("s0_") <= 3 for c in comparators)


@pytest.mark.skipif(verilator_path() is None, reason="verilator is not installed")
@pytest.mark.parametrize("weight_port", [False, True])
def test_folded_lint_clean_and_deterministic(tmp_path, weight_port):
    hardware = HardwareOptions(parallelism=[3, "full"], weight_port=weight_port)
    a = build(example_network(), tmp_path / "a", hardware=hardware)
    build(example_network(), tmp_path / "b", hardware=hardware)
    for rel in a.files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    files = [str(tmp_path / "a" / f) for f in a.files if f.startswith("rtl/")]
    proc = subprocess.run(
        [verilator_path(), "--lint-only", "-Wall", "--top-module", "sc_network", *files],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("fold_order", ["compact", "banked", "aligned"])
def test_fold_words_round_trip(tmp_path, fold_order):
    """Decoding the folded memory gives back every stochastic synapse exactly once."""
    from compress.hardware.styles.folded import fold_words

    hardware = HardwareOptions(parallelism=2, fold_order=fold_order)
    plan = build(example_network(), tmp_path / "a", hardware=hardware).plan
    for layer in plan.layers:
        width, row_width, rows = fold_words(layer)
        lines = 2 * max(1, (layer.n_in - 1).bit_length()) if fold_order == "aligned" else 0
        assert row_width == layer.n_out * 2 * width + lines and len(rows) == layer.style.slots
        text = (tmp_path / "a" / f"mem/layer{layer.index}.hex").read_text().split()
        assert [int(t, 16) for t in text] == rows
        k, delays = layer.k, layer.delay_values
        seen = set()
        for s, row in enumerate(rows):
            for i in range(layer.n_out):
                for p in range(2):
                    word = (row >> ((i * 2 + p) * width)) & ((1 << width) - 1)
                    if word == 0:
                        assert layer.style.schedule[i, s, p] == -1
                        continue
                    code, sign = word & ((1 << k) - 1), (word >> k) & 1
                    stream_bits = (len(layer.stream_defs) - 1).bit_length()
                    stream = (word >> (k + 1)) & ((1 << stream_bits) - 1)
                    flat = word >> (k + 1 + stream_bits)
                    if fold_order == "banked":  # lane p's bank: lines j % 2 == p
                        bank = -(-layer.n_in // 2)
                        d, j = delays[flat // bank], (flat % bank) * 2 + p
                    elif fold_order == "aligned":  # the lane's line is shared, above the words
                        line_bits = lines // 2
                        shift = layer.n_out * 2 * width + p * line_bits
                        d, j = delays[flat], (row >> shift) & ((1 << line_bits) - 1)
                    else:
                        d, j = delays[flat // layer.n_in], flat % layer.n_in
                    assert layer.style.schedule[i, s, p] == j
                    assert (code, sign, stream, d) == (
                        layer.codes[i, j],
                        int(layer.signs[i, j] < 0),
                        layer.streams[i, j],
                        layer.delays[i, j],
                    )
                    seen.add((i, j))
        stochastic = set(zip(*np.nonzero(layer.classes == 2)))
        assert seen == {(int(i), int(j)) for i, j in stochastic}


def test_parallelism_errors(tmp_path):
    with pytest.raises(ValueError, match=r"^layer 1: parallelism must be a positive integer"):
        build(example_network(), tmp_path / "a", hardware=HardwareOptions(parallelism=[2, 0]))
    with pytest.raises(ValueError, match=r"^parallelism must list 2 layers, not 3$"):
        build(example_network(), tmp_path / "a", hardware=HardwareOptions(parallelism=[2, 2, 2]))
    with pytest.raises(ValueError, match=r"^weight_port needs a folded or event layer"):
        build(example_network(), tmp_path / "a", hardware=HardwareOptions(weight_port=True))
    assert not (tmp_path / "a").exists()


def test_hardware_options_errors():
    with pytest.raises(ValueError, match=r"^pipeline must be one of area, speed, not 'fast'$"):
        HardwareOptions(pipeline="fast")
    with pytest.raises(
        ValueError, match=r"^fold_order must be one of compact, banked, aligned, not 'x'$"
    ):
        HardwareOptions(fold_order="x")
    with pytest.raises(ValueError, match=r"^delay_ram_bits must be a positive integer, not 0$"):
        HardwareOptions(delay_ram_bits=0)
    with pytest.raises(ValueError, match=r"^delay_ram_bits must be a positive integer, not True$"):
        HardwareOptions(delay_ram_bits=True)
    assert HardwareOptions(parallelism=[2, "full"]).parallelism == (2, "full")
