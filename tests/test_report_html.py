"""report.html holds everything report.md holds, its ids are unique, and a browser renders it."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from compress import CompressionConfig, example_network
from compress.build import build
from compress.report.html import render_html
from compress.report.sections import build_sections


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]

    def handle_data(self, data):
        self.text.append(data)


def _measured_report(tmp_path):
    build(example_network(), tmp_path / "b", CompressionConfig(prune_percentile=40))
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    m = {"family": "ice40", "luts": 900, "ffs": 300, "brams": 1, "carries": 50, "cells": 1300}
    m.update(device="up5k", package="sg48", fmax_mhz=40.5, logic_cells=1000)
    m.update(logic_cells_available=5280)
    m["layers"] = [
        {"luts": 600, "ffs": 200, "brams": 1, "carries": 30},
        {"luts": 300, "ffs": 100, "brams": 0, "carries": 20},
    ]
    d = dict(m, luts=1500, pnr_error="no BELs remaining")
    report["measured"] = m
    report["dense"] = {"folder": "dense", "synapses": 300, "memory_bits": 4000, "measured": d}
    report["savings"] = {"luts": 40.0, "ffs": 0.0, "brams": 0.0, "carries": 0.0}
    return report


def _page(text):
    page = _Page()
    page.feed(text)
    return page, " ".join(" ".join(page.text).split())


def test_html_holds_every_section_and_figure_of_the_markdown(tmp_path):
    report = _measured_report(tmp_path)
    text = render_html(report)
    page, words = _page(text)
    for section in build_sections(report):
        assert section.title in words
        for table in (section.table, *section.tables):
            if table is not None:
                for row in table.rows:
                    assert " ".join(" ".join(str(c) for c in row).split()) in words, row
        for item in section.items:
            assert item in words
        for note in section.notes:
            assert note in words
    # thresholds, delays and widths, per-layer measured figures, all three estimates
    assert "Neurons and thresholds" in words and "membrane width" in words and "LUT est" in words
    assert all(f in words for f in ("ecp5", "ice40", "xilinx"))
    # every plot names its family (or all of them) and labels the axes by cell kind
    assert "ice40: estimated versus measured (Yosys)" in text
    assert "Estimated cells: ecp5, ice40, xilinx" in text
    assert text.count(">LUT<") >= 2 and ">BRAM<" in text and ">carry<" in text
    assert len(page.ids) == len(set(page.ids)), "duplicate element ids"
    assert len(page.ids) > 50  # the plots' ids are there, prefixed per plot


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None,
    reason="needs chromium (make test installs Debian's chromium when run as root)",
)
def test_report_renders_in_headless_chromium(tmp_path):
    """Chromium loads the page without console errors and lays out a non-empty body."""
    (tmp_path / "report.html").write_text(render_html(_measured_report(tmp_path)))
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            (tmp_path / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if re.search(r"error|uncaught", line, re.I)], console
    _, words = _page(result.stdout)
    assert "sc_network: sc-compress build report" in words
    assert "Measured (Yosys synth_ice40 -flatten)" in words and len(words) > 2000
    assert result.stdout.count("<svg") == 3
