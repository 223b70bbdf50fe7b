"""``make sim`` (``sim/run_examples.py``): it once broke silently because nothing ran it."""

import shutil

import pytest
import run_examples

needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")


def test_every_run_is_listed_with_the_large_network():
    runs = run_examples.all_runs()
    assert len(runs) == 2 * 2 * 3 + 1  # two examples, dense and pruned, three foldings
    name, label, fold, network, _, parallelism = runs[-1]
    assert (name, label, fold, parallelism) == ("784-128-10", "dense", "P=16,full", [16, "full"])
    assert network.sizes == (784, 128, 10)


@needs_icarus
def test_make_sim_passes_on_the_bundled_examples(tmp_path, capsys):
    """The examples part of ``make sim`` (the 784-128-10 run takes minutes: ``make sim``)."""
    assert run_examples.main(["--no-large", "--steps", "20", "--work", str(tmp_path)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 12 and all(" PASS " in row for row in rows), rows
