"""The analytical estimate against the stored Yosys figures of the calibration set."""

import json
from importlib import resources

import pytest

from compress import example_network
from compress.calibration import CALIBRATION, HOLDOUT
from compress.estimate import FAMILIES, HOLDOUT_LUT_TOLERANCE, LUT_TOLERANCE, estimate
from compress.passes import compress_network
from compress.plan import plan_network

FIGURES = json.loads((resources.files("compress") / "data" / "calibration.json").read_text())


def _plan(design):
    return plan_network(
        compress_network(design.build_network(), design.config), "sc_network", design.hardware
    )


@pytest.mark.parametrize(
    "design", CALIBRATION + HOLDOUT, ids=[d.name for d in CALIBRATION + HOLDOUT]
)
def test_estimate_matches_yosys(design):
    """FF within 15%, BRAM exact, LUT within the tolerance of the design's set."""
    plan = _plan(design)
    tolerance = HOLDOUT_LUT_TOLERANCE if design in HOLDOUT else LUT_TOLERANCE
    for family in FAMILIES:
        measured = FIGURES[design.name][family]
        total = estimate(plan, family)["total"]
        assert abs(total["ffs"] - measured["ffs"]) <= 0.15 * measured["ffs"], (family, total)
        assert abs(total["luts"] - measured["luts"]) <= tolerance * measured["luts"], (
            family,
            total,
            measured,
        )
        assert total["brams"] == measured["brams"], (family, total, measured)


def test_estimate_per_layer_sums_and_errors():
    plan = plan_network(compress_network(example_network()))
    result = estimate(plan, "xilinx")
    assert len(result["layers"]) == 2 and result["family"] == "xilinx"
    assert result["total"]["luts"] == sum(la["luts"] for la in result["layers"])
    with pytest.raises(
        ValueError, match=r"^family must be one of ice40, ecp5, xilinx, not 'gw1n'$"
    ):
        estimate(plan, "gw1n")
