"""Verilog of a plan through the Amaranth components (``--emitter amaranth``).

:class:`hdl_templates.components.Network` is converted with Amaranth's
built-in Yosys (``emit_src=False``: no absolute paths).  Amaranth writes one
file with hierarchical module names (``\\top.layer0.pos3``); they are renamed
to plain identifiers (``top__layer0__pos3``) and split one module per file.
Yosys' Verilog writer leaves widths implicit and keeps unused wires, so the
build adds a short Verilator waiver file for these files (``rtl/lint.vlt``).
"""

from __future__ import annotations

import re

from ..hardware.plan import NetworkPlan
from ..hardware.structure import counter_module, network_structure

__all__ = ["LINT_WAIVERS", "render_amaranth"]

#: Verilator configuration written beside Amaranth-emitted files.  Only message codes
#: every Verilator 5 knows (WIDTH covers WIDTHEXPAND from 5.008 on), so Debian's 5.006
#: reads it as well as the pip package's 5.048.
LINT_WAIVERS = """\
`verilator_config
// Amaranth emits its Verilog through Yosys' write_verilog, which
// - extends operands implicitly (constants and narrow adder inputs): WIDTH;
// - keeps every named signal, even bits nothing reads: UNUSEDSIGNAL.
lint_off -rule WIDTH -file "*__*.v"
lint_off -rule WIDTH -file "*/{top}.v"
lint_off -rule WIDTH -file "*/{top}_count*.v"
lint_off -rule UNUSEDSIGNAL -file "*__*.v"
lint_off -rule UNUSEDSIGNAL -file "*/{top}.v"
lint_off -rule UNUSEDSIGNAL -file "*/{top}_count*.v"
"""

#: ``reg [w:0] name = value;``: a declaration with an initial value (Yosys' write_verilog).
_DECL_INIT = re.compile(r"^(\s*reg\s+(?:\[[^\]]+\]\s+)?)(\\\S+ |\w+)\s*=\s*([^;]+);$", re.M)


def _initial_blocks(text: str) -> str:
    """Move declaration initialisers into ``initial`` statements (the same meaning in
    Verilog-2005), which Verilator's PROCASSINIT does not flag."""
    return _DECL_INIT.sub(lambda m: f"{m[1]}{m[2]};\n  initial {m[2]}= {m[3]};", text)


#: Lines longer than this are broken after commas (Verilator refuses lines of more than
#: 40,000 tokens: Yosys writes a 4096-neuron layer's concatenations on one line).
LONG_LINE = 2000


def _wrap_long_lines(text: str) -> str:
    """Break every line longer than :data:`LONG_LINE` after a ``", "`` about every
    :data:`LONG_LINE` characters (only concatenations are that long; emit_src=False
    leaves no strings that could hold a comma)."""
    out = []
    for line in text.split("\n"):
        while len(line) > LONG_LINE:
            cut = line.find(", ", LONG_LINE)
            if cut < 0:
                break
            out.append(line[: cut + 1])
            line = "    " + line[cut + 2 :]
        out.append(line)
    return "\n".join(out)


_MODULE = re.compile(r"((?:\(\*[^\n]*\*\)\n)*module\s+(\w+)\s*\(.*?\nendmodule\n)", re.S)


def _shared_counters(files: dict[str, str], structure, header: str) -> dict[str, str]:
    """One module per counter kind, kept apart in synthesis (``(* keep_hierarchy *)``).

    Amaranth writes every :class:`~hdl_templates.components.Counter` instance as a module
    of its own (``<top>__layer0__u_p3_1_0``); its inputs come through an operation
    (``^ 0``), so the ports keep the counter's names and the instances of one kind are
    the same text but for the name.  Each is renamed to its kind's module
    (:func:`~compress.hardware.structure.counter_module`, as the Jinja emitter names
    them) and written once; an instance whose text differs keeps its own module.
    """
    kinds = {
        f"{structure.top}__layer{layer.index}__u_{node.name}": (node.kind, len(node.operands))
        for layer, node in structure.counter_nodes()
    }
    out: dict[str, str] = {}
    renames: dict[str, str] = {}
    for file, text in files.items():
        name = file[:-2]
        if name not in kinds:
            continue
        shared = counter_module(structure.top, *kinds[name])
        body = header + "(* keep_hierarchy *)\n" + text[len(header) :].replace(name, shared)
        if out.setdefault(f"{shared}.v", body) == body:
            renames[name] = shared
        else:
            out[file] = header + "(* keep_hierarchy *)\n" + text[len(header) :]
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in renames) + r")\b")
    for file, text in files.items():
        if file[:-2] in kinds:
            continue
        out[file] = pattern.sub(lambda m: renames[m.group(1)], text) if renames else text
    return dict(sorted(out.items()))


def render_amaranth(plan: NetworkPlan) -> dict[str, str]:
    """Verilog files of ``plan`` from the Amaranth components: ``{file name: text}``."""
    from amaranth.back import verilog

    from hdl_templates.components import Network

    network = Network(structure=network_structure(plan))
    text = verilog.convert(network, name=plan.top, emit_src=False)
    escaped = re.compile(r"\\(" + re.escape(plan.top) + r"(?:\.[A-Za-z0-9_$]+)+) ")
    text = escaped.sub(lambda m: re.sub(r"[.$]", "__", m.group(1)) + " ", text)
    header = "// Generated by sc-compress with Amaranth (--emitter amaranth); do not edit.\n"
    text = _wrap_long_lines(_initial_blocks(text))
    files = {f"{name}.v": header + body for body, name in _MODULE.findall(text)}
    files = _shared_counters(files, network_structure(plan), header)
    if f"{plan.top}.v" not in files:
        raise RuntimeError(
            f"Amaranth output must contain module {plan.top}, not only {sorted(files)}"
        )
    return files
