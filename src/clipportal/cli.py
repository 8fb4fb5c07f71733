"""The `clipportal` command: build, check, serve, new. Exit 0 ok, 1 content or media errors,
2 usage. User errors are printed as `path:line: message`, never as a traceback."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from clipportal import __version__
from clipportal.errors import ClipportalError, Problem
from clipportal.report import print_problems

if TYPE_CHECKING:
    from clipportal.catalog import Catalog
    from clipportal.pipeline import Prepared, Reporter
    from clipportal.settings import Settings
    from clipportal.shards import Shard

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clipportal", description=(
        "Turn a folder of short clips into a searchable static video portal."))
    parser.add_argument("--version", action="version", version=f"clipportal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="encode clips and build the site into DIR/build/site")
    build.add_argument("dir", nargs="?", default=".", type=Path)
    build.add_argument("--jobs", "-j", type=_positive_int, default=None,
                       help="clips encoded at once (default: by CPU count)")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--scheduler", metavar="ADDRESS", help=(
        "run the media jobs on this Dask scheduler, e.g. tcp://host:8786 (needs "
        "clipportal[dask]; default: $CLIPPORTAL_SCHEDULER, else `scheduler:` in mkdocs.yml)"))
    encode = sub.add_parser("encode", help="encode only one shard of the clips (CI matrices)")
    encode.add_argument("dir", nargs="?", default=".", type=Path)
    encode.add_argument("--shard", metavar="K/N", type=_shard,
                        help="the K-th of N shards, chosen by cache key")
    encode.add_argument("--list-missing", action="store_true",
                        help="print `KEY SLUG` for each clip not in the cache, encode nothing")
    encode.add_argument("--jobs", "-j", type=_positive_int, default=None)
    check = sub.add_parser("check", help="validate clips, files and captions without encoding")
    check.add_argument("dir", nargs="?", default=".", type=Path)
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve = sub.add_parser("serve", help="live preview while editing clips and captions")
    serve.add_argument("dir", nargs="?", default=".", type=Path)
    serve.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
    new = sub.add_parser("new", help="write videos/<slug>.yml for a clip")
    new.add_argument("video", type=Path)
    new.add_argument("--topic", required=True)
    new.add_argument("--title", required=True)
    new.add_argument("--slug", help="ASCII name for the clip (default: from the file name)")
    new.add_argument("--dir", default=".", type=Path, help="the portal project (default .)")
    for command in (build, encode, check, serve, new):
        command.add_argument("--verbose", "-v", action="store_true")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _shard(text: str) -> Shard:
    from clipportal.shards import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_INTERRUPTED = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    """Remember the interrupt: ffmpeg gets the same Ctrl-C from the terminal and dies, and its
    failure must not be blamed on the editor's clip."""
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
    if args.command != "new" and not args.dir.is_dir():
        print(f"clipportal: '{args.dir}' is not a folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(_dispatch(args))
    except ClipportalError as exc:
        if _INTERRUPTED.is_set():
            print("clipportal: interrupted; nothing half-written was kept", file=sys.stderr)
            return 130
        print_problems(exc.problems)
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("clipportal: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "build":
        return _build(args.dir.resolve(), args.jobs, args.strict, args.scheduler)
    if args.command == "encode":
        return _encode(args.dir.resolve(), args.shard, args.list_missing, args.jobs)
    if args.command == "check":
        return _check(args.dir.resolve(), args.strict)
    if args.command == "serve":
        from clipportal.site import serve_site

        serve_site(args.dir.resolve(), args.addr)
        return EXIT_OK
    from clipportal.newclip import write_new_clip

    path = write_new_clip(args.dir.resolve(), args.video, args.topic, args.title, args.slug)
    print(f"wrote {path}")
    return EXIT_OK


def _fail_on(problems: list[Problem], strict: bool) -> bool:
    return any(p.severity == "error" or strict for p in problems)


def _check(root: Path, strict: bool) -> int:
    from clipportal.check import check_project

    started = time.monotonic()
    problems = check_project(root)
    print_problems(problems)
    if _fail_on(problems, strict):
        return EXIT_ERRORS
    print(f"clipportal check: OK ({time.monotonic() - started:.1f} s)", file=sys.stderr)
    return EXIT_OK


def _build(root: Path, jobs: int | None, strict: bool, scheduler: str | None) -> int:
    from clipportal.cache import build_lock
    from clipportal.catalog import load_catalog
    from clipportal.executors import SchedulerError
    from clipportal.progress import ConsoleReporter, print_summary
    from clipportal.settings import load_settings

    started = time.monotonic()
    with build_lock(root / "build"):
        settings = load_settings(root)
        catalog = load_catalog(root, settings)
        reporter = ConsoleReporter()
        try:
            prepared = _prepare(root, settings, catalog, jobs, reporter, scheduler)
        except SchedulerError as exc:
            print_problems(exc.problems)
            return EXIT_USAGE
        print_problems(prepared.warnings)
        if strict and prepared.warnings:
            return EXIT_ERRORS
        site = _site_step(root, prepared, settings, strict)
    print_summary(prepared, reporter, time.monotonic() - started, site, root)
    return EXIT_OK


def _prepare(root: Path, settings: Settings, catalog: Catalog, jobs: int | None,
             reporter: Reporter, scheduler: str | None) -> Prepared:
    """The media jobs in the local pool, or on the Dask scheduler when one is named."""
    from clipportal.executors import dask_executor, scheduler_address
    from clipportal.pipeline import prepare

    address = scheduler_address(scheduler, root)
    if address is None:
        return prepare(root, settings, catalog, jobs, reporter)
    with dask_executor(address, root) as executor:
        return prepare(root, settings, catalog, jobs, reporter, executor)


def _encode(root: Path, shard: Shard | None, list_missing: bool, jobs: int | None) -> int:
    from clipportal.cache import build_lock
    from clipportal.encode import encode_shard, missing_jobs
    from clipportal.progress import ConsoleReporter

    if list_missing:
        for key, slug in missing_jobs(root):
            print(f"{key} {slug}")
        return EXIT_OK
    if shard is None:
        print("clipportal encode: give --shard K/N (or --list-missing)", file=sys.stderr)
        return EXIT_USAGE
    with build_lock(root / "build"):
        prepared = encode_shard(root, shard, jobs, ConsoleReporter())
    print_problems(prepared.warnings)
    print(f"shard {shard.index}/{shard.count}: {len(prepared.clips)} clips, "
          f"{prepared.encoded} encoded, {prepared.cached} from cache", file=sys.stderr)
    return EXIT_OK


def _site_step(root: Path, prepared: Prepared, settings: Settings, strict: bool) -> Path:
    """Run MkDocs and Pagefind unless the site already matches every input."""
    from clipportal.fingerprint import is_up_to_date, mark_built, site_fingerprint
    from clipportal.settings import read_site_dir
    from clipportal.site import build_site

    fingerprint = site_fingerprint(root, prepared, settings)
    target = read_site_dir(root)
    if is_up_to_date(target, fingerprint):
        print("site is up to date (nothing changed since the last build)", file=sys.stderr)
        return target
    site = build_site(root, prepared, strict)
    mark_built(site, fingerprint)
    return site


if __name__ == "__main__":
    sys.exit(main())
