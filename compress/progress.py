"""Progress of long work (synthesis, place and route) on a terminal.

Yosys and nextpnr run for seconds to minutes without a word; :class:`Stages`
shows each stage with a spinner and its elapsed time, and a line per finished
stage, on standard error, only when that is a terminal and the user did not
ask for quiet.  Piped or quiet output gets nothing extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["Stages"]


class Stages:
    """Named stages of a long command: ``with stages.stage("Yosys synth_ice40"): ...``.

    Parameters
    ----------
    quiet : bool
        Show nothing.
    console : rich.console.Console, optional
        Where to draw (default: standard error).  Nothing is drawn unless it is
        a terminal.
    """

    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = not quiet and self.console.is_terminal

    @contextmanager
    def stage(self, text: str) -> Iterator[None]:
        """Show ``text`` with a spinner and elapsed time while the block runs."""
        if not self.enabled:
            yield
            return
        start = time.perf_counter()
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=True) as progress:
            progress.add_task(text, total=None)
            yield
        self._done(text, start)

    def _done(self, text: str, start: float) -> None:
        elapsed = time.perf_counter() - start
        self.console.print(f"[green]done[/green] {text} ({elapsed:.1f} s)", highlight=False)

    @contextmanager
    def counter(self, text: str) -> Iterator[Callable[[int, int], None]]:
        """A bar for work in units: the block gets ``update(done, total)`` to call."""
        if not self.enabled:
            yield lambda done, total: None
            return
        start = time.perf_counter()
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task(text, total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield update
        self._done(text, start)
