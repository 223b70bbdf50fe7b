"""Every command the README shows exists, and its documented options parse.

``make`` targets must be targets of the Makefile (``make -n`` resolves them);
every ``sc-compress`` command named must be a command, every ``--option`` named
next to it one of its options, and every full command line of a code block must
parse (click checks its option names, types, ranges and choices; paths the line
names are created in a scratch folder first).  ``tests/test_make_sim.py`` runs
``make sim``'s script and ``tests/test_cli.py`` the main job's commands.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest

from compress.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _code_lines() -> list[str]:
    """The shell lines of the README's ``sh`` code blocks (continuations joined)."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].strip()
            if line:
                out.append(line)
    return out


def _mentions() -> list[tuple[str, list[str]]]:
    """``(command, --options)`` of every ``sc-compress CMD ...`` the README names, in
    code blocks and in inline code."""
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    inline = [code for code in re.findall(r"`([^`]+)`", prose) if "sc-compress " in code]
    texts = _code_lines() + inline
    out = []
    for text in texts:
        for part in text.split("sc-compress ")[1:]:
            words = part.split("&&")[0].split()
            if words and re.fullmatch(r"[a-z]+", words[0]):
                out.append((words[0], re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", part)))
    return out


def test_every_make_target_the_readme_names_exists():
    targets = set(re.findall(r"(?<![\w/.-])make ([a-z][a-z0-9-]*)", README))
    assert {"test", "demo", "sim", "fuzz", "digits", "lint", "bench", "bench-nir"} <= targets
    for target in sorted(targets):
        result = subprocess.run(
            ["make", "-n", "-C", str(ROOT), target], capture_output=True, text=True
        )
        assert result.returncode == 0 and "No rule to make target" not in result.stderr, (
            target,
            result.stderr,
        )


def test_a_missing_make_target_would_be_found():
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "no-such-target"], capture_output=True, text=True
    )
    assert result.returncode != 0


def test_every_command_and_option_the_readme_names_exists():
    mentions = _mentions()
    assert len(mentions) >= 15
    names = {name for name, _ in mentions}
    assert {"build", "sim", "report", "evaluate", "import", "sweep", "optimize"} <= names
    for name, options in mentions:
        command = main.commands.get(name)
        assert command is not None, f"README names sc-compress {name}, which is no command"
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        unknown = [o for o in options if o not in known]
        assert not unknown, f"sc-compress {name}: README names {unknown}"


def _parse(words: list[str], scratch: Path) -> None:
    """Parse ``sc-compress`` ``words`` as click would, creating the paths they name."""
    name, args = words[0], words[1:]
    command = main.commands[name]
    for _ in range(8):  # one missing path at a time
        try:
            with command.make_context(name, list(args)):
                return
        except click.BadParameter as exc:
            missing = re.search(r"'([^']+)' does not exist", str(exc.format_message()))
            if not missing:
                raise
            path = scratch / missing.group(1)
            if path.suffix:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"")
            else:
                path.mkdir(parents=True)
    raise AssertionError(f"too many missing paths in {words}")


def test_every_readme_command_line_parses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = [line for line in _code_lines() if "sc-compress " in line]
    assert len(lines) >= 8
    for line in lines:
        words = shlex.split(line.split("sc-compress ", 1)[1].split("&&")[0])
        _parse(words, tmp_path)


def test_a_wrong_option_would_fail_the_parse(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(click.NoSuchOption):
        _parse(["build", "net.npz", "-o", "out", "--no-such-option"], tmp_path)
    with pytest.raises(click.BadParameter):
        _parse(["build", "net.npz", "-o", "out", "--pipeline", "fastest"], tmp_path)
