"""The terminal side of a build: a progress bar per clip and overall (fed by ffmpeg's
`-progress` output), plain lines when not on a terminal (CI logs), and a summary table."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from clipportal.media.manifest import Manifest
from clipportal.pipeline import Prepared, PreparedClip


class ConsoleReporter:
    """Implements pipeline.Reporter on a rich console (stderr)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.interactive = self.console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(), console=self.console, disable=not self.interactive,
            transient=True)
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskID] = {}
        self._started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self._overall: TaskID | None = None

    def start(self, total: int) -> None:
        self.progress.start()
        self._overall = self.progress.add_task("動画 (clips)", total=max(total, 1))

    def clip_started(self, slug: str, duration: float | None) -> None:
        with self._lock:
            self._started[slug] = time.monotonic()
            self._tasks[slug] = self.progress.add_task(f"  {slug}", total=duration or 1)
        if not self.interactive:
            self.console.print(f"encoding {slug} ({duration or 0:.0f} s of video)")

    def clip_progress(self, slug: str, seconds: float) -> None:
        task = self._tasks.get(slug)
        if task is not None:
            self.progress.update(task, completed=seconds)

    def clip_done(self, slug: str, manifest: Manifest | None) -> None:
        with self._lock:
            task = self._tasks.pop(slug, None)
            if task is not None:
                self.progress.remove_task(task)
                self.seconds[slug] = time.monotonic() - self._started.get(slug, time.monotonic())
        if self._overall is not None:
            self.progress.advance(self._overall)
        if manifest is None:
            self.console.print(f"[red]failed[/red] {slug}")

    def clip_timed(self, slug: str, seconds: float) -> None:
        """A clip encoded elsewhere (a Dask worker): no live bar, one line when it is done."""
        self.seconds[slug] = seconds
        if not self.interactive:
            self.console.print(f"encoded {slug} on a worker ({seconds:.0f} s)")

    def finish(self) -> None:
        self.progress.stop()


SUMMARY_COLUMNS = ("clip", "media", "encode time (s)")
"""Then one column per rendition with its file size. `media` says whether the clip's media
was encoded in this build or taken from build/cache/."""

SUMMARY_ROWS = 20
"""Longer summaries list only the clips encoded in this build and count the others: a table of
a thousand cached clips helps nobody (and took 0.8 s to print)."""


def print_summary(prepared: Prepared, reporter: ConsoleReporter, elapsed: float, site: Path,
                  root: Path) -> None:
    shown = summary_rows(prepared)
    names = _rendition_names(prepared)
    table = Table(title="clipportal build", title_justify="left")
    for column in (*SUMMARY_COLUMNS, *names):
        table.add_column(column, justify="left" if column in SUMMARY_COLUMNS[:2] else "right")
    for item in shown:
        table.add_row(*_summary_row(item, reporter.seconds.get(item.clip.slug), names))
    hidden = len(prepared.clips) - len(shown)
    if hidden:
        table.caption = f"… and {hidden} unchanged clips from the cache"
    if shown or not hidden:
        reporter.console.print(table)
    else:
        reporter.console.print(f"all {hidden} clips unchanged (from the cache)")
    where = site.relative_to(root) if site.is_relative_to(root) else site
    reporter.console.print(
        f"{len(prepared.clips)} clips: {prepared.encoded} encoded, {prepared.cached} from cache; "
        f"site in {where}/ ({elapsed:.1f} s). Preview it with `clipportal serve`, or put "
        f"{where}/ on any web server.")


def summary_rows(prepared: Prepared) -> list[PreparedClip]:
    """Every clip when there are few; else the encoded ones only."""
    if len(prepared.clips) <= SUMMARY_ROWS:
        return list(prepared.clips)
    return [item for item in prepared.clips if not item.media.from_cache]


def _summary_row(item: PreparedClip, took: float | None, names: list[str]) -> list[str]:
    cached = item.media.from_cache
    sizes = {r.name: f"{r.bytes / 1e6:.2f} MB" for r in item.media.renditions}
    timing = f"{took:.1f}" if took and not cached else "-"
    return [item.clip.slug, "cached" if cached else "encoded", timing,
            *(sizes.get(n, "-") for n in names)]


def _rendition_names(prepared: Prepared) -> list[str]:
    names: list[str] = []
    for item in prepared.clips:
        for rendition in item.media.renditions:
            if rendition.name not in names:
                names.append(rendition.name)
    return names
