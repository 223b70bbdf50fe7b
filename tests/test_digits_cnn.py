"""The convolutional digits example end to end: trained with numpy, converted with its
kernel kept, evaluated by the golden model, built as a conv layer and proven on Icarus."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
def test_the_convolutional_digits_example(tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "digits_cnn.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    text = run.stdout
    float_acc = float(re.search(r"float CNN .*test accuracy ([\d.]+)%", text).group(1))
    snn = {
        name: float(acc) for name, acc in re.findall(r"SNN (.+?): test accuracy ([\d.]+)%", text)
    }
    assert float_acc >= 94.0, text
    assert snn["uncompressed, 8 bits"] >= float_acc - 1.0, text  # the conversion costs < 1 point
    assert snn["4 bits, 50% pruned"] >= 92.0, text
    assert "clocks per step" in text and "ice40" in text and "ecp5" in text
    assert text.rstrip().endswith("one test digit: PASS"), text
