"""Slow tier: Yosys synthesis of generated designs for the three families."""

import pytest

from compress import CompressionConfig, example_network
from compress.build import build
from compress.synth import FAMILIES, find_tool, synthesize

pytestmark = pytest.mark.slow


def _luts(stat):
    cells = stat["num_cells_by_type"]
    return sum(n for c, n in cells.items() if c.startswith(("LUT", "SB_LUT4", "LUT4")))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_yosys_synthesizes_example(tmp_path, family):
    find_tool("yosys")
    build(example_network(), tmp_path / "b")
    stat = synthesize(tmp_path / "b", family)
    assert stat["num_cells"] > 100
    if family == "ice40":
        assert (
            stat["num_cells_by_type"].get("SB_DFF", 0)
            + stat["num_cells_by_type"].get("SB_DFFE", 0)
            + stat["num_cells_by_type"].get("SB_DFFSR", 0)
            + stat["num_cells_by_type"].get("SB_DFFESR", 0)
            > 0
        )


def test_pruning_cuts_measured_luts(tmp_path):
    net = example_network("random_64_32_10")
    build(net, tmp_path / "dense")
    build(net, tmp_path / "pruned", CompressionConfig(prune_percentile=50))
    dense = _luts(synthesize(tmp_path / "dense", "xilinx"))
    pruned = _luts(synthesize(tmp_path / "pruned", "xilinx"))
    assert pruned < 0.7 * dense, (dense, pruned)


def test_unknown_family():
    with pytest.raises(
        ValueError, match=r"^family must be one of ice40, ecp5, xilinx, not 'gw1n'$"
    ):
        synthesize(".", "gw1n")
