"""The package's layers: imports run one way, without cycles, and the lower layers stay light.

``compress`` is split by stage (README, "Layout").  Each module belongs to one
layer; a module may import its own layer and the layers below it, never one
above it or a sibling of the same rank.  The graph is read from the source
(every import, also those inside functions), so a lazy import cannot hide a
wrong direction.
"""

from __future__ import annotations

import ast
import graphlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "compress"
#: The design card's hardware side: templates and Amaranth components (a package of its own).
HDL = REPO / "hdl_templates"

#: Rank of each layer; a module may import ranks below its own and its own layer.
RANKS = {
    "util": 0,  # compress.progress: terminal progress, no sc-compress imports
    "model": 0,
    "hardware": 1,
    "analysis": 2,
    "hdl": 1.5,  # hdl_templates: may load model and hardware; only emit loads it
    "emit": 2,
    "measure": 3,
    "verify": 3,
    "board": 3.5,  # the board top, bitstream flow and host runtime: uses measure's tools
    "report": 4,
    "top": 5,  # compress.build, cli, flows, sweep
}
#: Top-level modules that are not in a stage folder.
TOP_LEVEL = {
    "progress": "util",
    "build": "top",
    "cli": "top",
    "options_cli": "top",
    "flows": "top",
    "sweep": "top",
    "__main__": "top",
}
#: Our top-level packages.
OURS = ("compress", "hdl_templates")
#: Third-party packages the model and hardware layers must never load.
HEAVY = ("jinja2", "amaranth", "click", "matplotlib", "rich", "cocotb")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted([*ROOT.rglob("*.py"), *HDL.rglob("*.py")]):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "hdl_templates":
        return "hdl"
    if len(parts) == 1:
        return "package"
    if parts[1] in RANKS and parts[1] not in ("util", "top"):
        return parts[1]
    return TOP_LEVEL[parts[1]]


def _imports(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, list[str]]]:
    """(imported sc-compress module, names taken from it) for every import in ``path``."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] in OURS]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] not in OURS:
                continue
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            out += [(m, []) for m in submodules] or [(target, names)]
    return out


def _graph() -> dict[str, dict[str, list[str]]]:
    known = _modules()
    return {
        module: {target: names for target, names in _imports(module, path, known)}
        for module, path in known.items()
    }


def test_every_module_has_a_layer():
    for module in _modules():
        assert _layer(module) in (*RANKS, "package"), module


def test_imports_run_one_way_and_have_no_cycles():
    graph = _graph()
    wrong = []
    for module, targets in graph.items():
        mine = _layer(module)
        for target in targets:
            theirs = _layer(target)
            if theirs == "hdl":  # the hardware side is loaded by the renderers only
                ok = mine in ("hdl", "emit")
            elif mine == "package":  # compress/__init__: the public names, model and hardware only
                ok = theirs in ("model", "hardware")
            elif theirs == "package":
                ok = False
            else:
                ok = theirs == mine or RANKS[theirs] < RANKS[mine]
            if not ok:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)
    order = list(
        graphlib.TopologicalSorter({m: set(t) - {m} for m, t in graph.items()}).static_order()
    )
    assert len(order) == len(graph)
    # the graph is read for real: the emitter renders the structure, the Amaranth
    # emitter loads the components, and they use the structure types
    assert "compress.hardware.structure" in graph["compress.emit.verilog"]
    assert "hdl_templates.components" in graph["compress.emit.amaranth"]
    assert "compress.hardware.structure" in graph["hdl_templates.components"]


def test_hdl_templates_is_the_hardware_side():
    """The design card's layout: the templates and the Amaranth components are in the
    top-level ``hdl_templates/``, and no module of ``compress`` below the renderers
    loads them (the direction is hdl_templates -> hardware types, never back)."""
    names = {p.name for p in HDL.iterdir()}
    assert {"components.py", "layer.v.j2", "folded.v.j2", "event.v.j2", "top.v.j2"} <= names
    assert not (ROOT / "emit" / "templates").exists()
    assert not (ROOT / "emit" / "components.py").exists()
    graph = _graph()
    loaders = {
        m for m, targets in graph.items() if any(t.startswith("hdl_templates") for t in targets)
    }
    assert loaders - {m for m in graph if _layer(m) in ("hdl", "emit")} == set()


def test_no_module_imports_another_modules_private_names():
    private = [
        f"{module} imports {name} from {target}"
        for module, targets in _graph().items()
        for target, names in targets.items()
        for name in names
        if name.startswith("_") and target != module
    ]
    assert not private, "\n".join(private)


def test_a_cycle_would_be_found():
    """The cycle check is real: a two-module loop fails the sort."""
    with pytest.raises(graphlib.CycleError):
        list(graphlib.TopologicalSorter({"a": {"b"}, "b": {"a"}}).static_order())


def test_model_and_hardware_load_no_heavy_package():
    """In a fresh interpreter: every model and hardware module, and not one heavy package."""
    lower = [m for m in _modules() if _layer(m) in ("model", "hardware", "package")]
    code = (
        "import importlib, json, sys\n"
        f"for name in {lower!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
    assert len(lower) >= 15  # the check saw the layers, not an empty list


def test_the_check_sees_a_heavy_import():
    """The same probe reports jinja2 once an emitter module is loaded."""
    code = "import json, sys, compress.emit.verilog\nprint(json.dumps('jinja2' in sys.modules))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) is True
