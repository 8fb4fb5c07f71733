"""The `clipportal` command: build, encode, check, serve, new. Exit 0 ok, 1 content or media
errors, 2 usage. User errors are printed as `path:line: message`, never as a traceback."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from clipportal import __version__
from clipportal.commands.report import in_github_actions, print_problems
from clipportal.errors import ClipportalError, Problem

if TYPE_CHECKING:
    from clipportal.commands.new import NewClip
    from clipportal.commands.progress import ConsoleReporter
    from clipportal.media.shards import Shard
    from clipportal.pipeline import Prepared
    from clipportal.settings import Settings

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


PROJECT_HELP = "the portal project: the folder with mkdocs.yml (default: the current folder)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clipportal", description=(
        "Turn a folder of short clips into a searchable static video portal."))
    parser.add_argument("--version", action="version", version=f"clipportal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help="what to do (see `clipportal COMMAND --help`)")
    commands = (_build_command(sub), _encode_command(sub), _check_command(sub),
                _serve_command(sub), _new_command(sub), _cache_command(sub))
    for command in commands:
        command.add_argument("--verbose", "-v", action="store_true",
                             help="also print debug messages, such as ffmpeg command lines")
    return parser


def _build_command(sub: Subcommands) -> argparse.ArgumentParser:
    build = sub.add_parser("build", help="encode clips and build the site into DIR/build/site")
    build.add_argument("dir", metavar="DIR", nargs="?", default=".", type=Path, help=PROJECT_HELP)
    build.add_argument("--jobs", "-j", type=_positive_int, default=None,
                       help="clips encoded at once (default: by CPU count)")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--scheduler", metavar="ADDRESS", help=(
        "run the media jobs on this Dask scheduler, e.g. tcp://host:8786 (needs "
        "clipportal[dask]; default: $CLIPPORTAL_SCHEDULER, else `scheduler:` in mkdocs.yml)"))
    return build


def _encode_command(sub: Subcommands) -> argparse.ArgumentParser:
    encode = sub.add_parser("encode", help="encode only one shard of the clips into "
                            "DIR/build/cache (CI matrices); builds no site")
    encode.add_argument("dir", metavar="DIR", nargs="?", default=".", type=Path,
                        help=PROJECT_HELP)
    encode.add_argument("--shard", metavar="K/N", type=_shard,
                        help="the K-th of N shards, chosen by cache key")
    encode.add_argument("--list-missing", action="store_true",
                        help="print `KEY SLUG` for each clip not in the cache, encode nothing")
    encode.add_argument("--jobs", "-j", type=_positive_int, default=None,
                        help="clips encoded at once (default: by CPU count)")
    return encode


def _check_command(sub: Subcommands) -> argparse.ArgumentParser:
    check = sub.add_parser("check", help="validate clips, files and captions without encoding")
    check.add_argument("dir", metavar="DIR", nargs="?", default=".", type=Path, help=PROJECT_HELP)
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    return check


def _serve_command(sub: Subcommands) -> argparse.ArgumentParser:
    serve = sub.add_parser("serve", help="preview the site in a browser, rebuilding it when "
                           "clips, captions or pages change")
    serve.add_argument("dir", metavar="DIR", nargs="?", default=".", type=Path,
                       help="the portal project (default: the current folder), or a built "
                       "site such as build/site or the site-preview download")
    serve.add_argument("--addr", metavar="HOST:PORT", default="127.0.0.1:8000",
                       help="address to serve on (default: 127.0.0.1:8000)")
    return serve


def _new_command(sub: Subcommands) -> argparse.ArgumentParser:
    new = sub.add_parser("new", help="add a clip: copy its video into videos/ and write "
                         "videos/<slug>.yml")
    new.add_argument("video", metavar="VIDEO", type=Path,
                     help="the video file (copied into videos/ when it is elsewhere)")
    new.add_argument("--topic", required=True,
                     help="the topic id from mkdocs.yml, e.g. flow-mapping")
    new.add_argument("--title", required=True,
                     help='the title shown on the site, in quotes: --title "業務フローを書き出す"')
    new.add_argument("--slug", help="the clip's name in file names and its page address: "
                     "lower-case ASCII letters, digits and '-' (default: from the file name, "
                     "or from the topic and title)")
    new.add_argument("--dir", metavar="DIR", default=".", type=Path, help=PROJECT_HELP)
    return new


def _cache_command(sub: Subcommands) -> argparse.ArgumentParser:
    cache = sub.add_parser("cache", help="look after the media cache in DIR/build/cache")
    actions = cache.add_subparsers(dest="action", required=True, metavar="ACTION",
                                   help="what to do (only `prune` for now)")
    prune = actions.add_parser("prune", help="remove cache entries no clip uses any more, "
                               "and leftovers of interrupted builds")
    prune.add_argument("dir", metavar="DIR", nargs="?", default=".", type=Path, help=PROJECT_HELP)
    prune.add_argument("--dry-run", action="store_true",
                       help="only list what would be removed")
    return prune


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _shard(text: str) -> Shard:
    from clipportal.media.shards import parse_shard

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
    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
    _configure_logging(args.verbose)
    usage_error = _usage_error(args)
    if usage_error:
        print(f"clipportal: {usage_error}", file=sys.stderr)
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
    except BrokenPipeError:
        # output piped into `head` or a pager that quit: stop quietly (as Python's docs advise,
        # point stdout at devnull so the flush at exit does not fail again)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERRORS


_PROBLEM_LINE = re.compile(r"^\S.*?: (warning|error): ")


class _PlainFormatter(logging.Formatter):
    """Log lines as editors read them: a problem (`path:line: warning: …`) as it is, without
    a level or logger prefix in front; other warnings with a lower-case level."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().removeprefix("clipportal: ")
        if record.exc_info:  # a bug, not an editor's mistake: the traceback helps report it
            message += "\n" + self.formatException(record.exc_info)
        if record.levelno < logging.WARNING or _PROBLEM_LINE.search(message):
            return message
        return f"{record.levelname.lower()}: {message}"


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_PlainFormatter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        handlers=[handler])


def _usage_error(args: argparse.Namespace) -> str | None:
    """A folder that is not a portal project: without this, `check` in the wrong folder
    would say OK."""
    if args.command == "new":
        return None
    if not args.dir.is_dir():
        return f"'{args.dir}' is not a folder"
    if (args.dir / "mkdocs.yml").is_file() or (args.command == "serve" and _is_site(args.dir)):
        return None
    return (f"'{args.dir}' is not a portal project: it has no mkdocs.yml (hint: run the command "
            f"in the portal project's folder, or give that folder: clipportal {args.command} "
            "path/to/portal)")


def _is_site(folder: Path) -> bool:
    from clipportal.site.mkdocs_build import is_built_site

    return is_built_site(folder)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "build":
        return _build(args.dir.resolve(), args.jobs, args.strict, args.scheduler)
    if args.command == "encode":
        return _encode(args.dir.resolve(), args.shard, args.list_missing, args.jobs)
    if args.command == "check":
        return _check(args.dir.resolve(), args.strict)
    if args.command == "serve":
        return _serve(args.dir.resolve(), args.addr)
    if args.command == "cache":
        return _prune(args.dir.resolve(), args.dry_run)
    from clipportal.commands.new import write_new_clip

    made = write_new_clip(args.dir.resolve(), args.video, args.topic, args.title, args.slug)
    _tell_new_clip(args.dir.resolve(), made)
    return EXIT_OK


def _tell_new_clip(root: Path, made: NewClip) -> None:
    """What `new` wrote, the name it chose and how to change it, and what to do next."""
    print(f"wrote {_shown(root, made.clip_file)}  (the clip file: title, topic, description)")
    if made.copied_bytes is not None:
        print(f"copied the video to {_shown(root, made.video)}  ({_size(made.copied_bytes)})")
    if made.schema_copy:
        print(f"wrote {_shown(root, made.schema_copy)}  (lets code editors such as VS Code check "
              "clip files; keep it)")
    if made.generated:
        written = [made.clip_file, *([made.video] if made.copied_bytes is not None else [])]
        files = " and ".join(_shown(root, w) for w in written)
        print(f"The clip's name (slug) is {made.slug}: its page will be clips/{made.slug}/. "
              f"To choose the name yourself, delete {files} and run the same command with "
              "--slug NAME (lower-case letters, digits and '-').")
    print(f"Next: write the description in {_shown(root, made.clip_file)}, add the captions "
          f"as {_shown(root, made.captions)}, then run `clipportal check`.")


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count / 1e3:.0f} kB"


def _shown(root: Path, relative: str) -> str:
    """A path the way to type it from the current folder."""
    path = root / relative
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


class _ServeMessages:
    """Implements site.ServeListener on the terminal."""

    def ready(self, url: str, live: bool) -> None:
        what = ("rebuilds when videos/, captions/, docs/ or mkdocs.yml change" if live
                else "the built site as it is")
        print(f"Preview: {url}  ({what}; Ctrl-C to stop)", flush=True)

    def building(self, again: bool) -> None:
        print("a file changed: rebuilding the preview…" if again else
              "building the preview site…", file=sys.stderr, flush=True)

    def rebuilt(self, seconds: float) -> None:
        print(f"preview rebuilt ({seconds:.1f} s); open pages reload by themselves",
              file=sys.stderr, flush=True)


def _serve(root: Path, address: str) -> int:
    from clipportal.commands.progress import ConsoleReporter
    from clipportal.media.lock import build_lock
    from clipportal.site.mkdocs_build import is_built_site, serve_folder, serve_site

    if is_built_site(root):
        return _until_stopped(lambda: serve_folder(root, address, _ServeMessages()))

    def prepared() -> Prepared:
        with build_lock(root / "build"):
            ready = _prepare(root, None, ConsoleReporter())[1]
        print_problems(ready.problems)
        return ready

    return _until_stopped(lambda: serve_site(root, address, _ServeMessages(), prepared))


def _until_stopped(run: Callable[[], None]) -> int:
    """Ctrl-C is how a preview ends, not an interruption of work."""
    try:
        run()
    except KeyboardInterrupt:
        print("clipportal serve: stopped", file=sys.stderr)
    return EXIT_OK


def _fail_on(problems: Sequence[Problem], strict: bool) -> bool:
    return any(p.severity == "error" or strict for p in problems)


def _check(root: Path, strict: bool) -> int:
    from clipportal.commands.check import check_project

    started = time.monotonic()
    problems = check_project(root)
    print_problems(problems)
    if _fail_on(problems, strict):
        return EXIT_ERRORS
    warned = f" with {len(problems)} warning(s) to look at" if problems else ""
    nxt = "" if in_github_actions() else " Next: `clipportal serve` to see the site in a browser."
    print(f"clipportal check: OK{warned} ({time.monotonic() - started:.1f} s).{nxt}",
          file=sys.stderr)
    return EXIT_OK


def _build(root: Path, jobs: int | None, strict: bool, scheduler: str | None) -> int:
    from clipportal.commands.buildstamp import forget_build, unchanged_build
    from clipportal.media.lock import build_lock
    from clipportal.settings import read_site_dir

    started = time.monotonic()
    with build_lock(root / "build"):
        site = read_site_dir(root)
        unchanged = unchanged_build(root, site)
        if unchanged is not None:
            print_problems(unchanged)
            if strict and unchanged:
                return EXIT_ERRORS
            print(f"clipportal build: nothing changed since the last build; the site in "
                  f"{_shown(root, str(site))}/ is up to date "
                  f"({time.monotonic() - started:.1f} s).", file=sys.stderr)
            return EXIT_OK
        forget_build(root)
        return _full_build(root, jobs, strict, scheduler, started)


def _full_build(root: Path, jobs: int | None, strict: bool, scheduler: str | None,
                started: float) -> int:
    """Validate, encode, write the site (the caller holds the build lock)."""
    from clipportal.commands.buildstamp import record_build
    from clipportal.commands.progress import ConsoleReporter, print_summary
    from clipportal.media.executors import SchedulerError
    from clipportal.site.fingerprint import FINGERPRINT_FILE

    reporter = ConsoleReporter()
    try:
        settings, prepared = _prepare(root, jobs, reporter, scheduler)
    except SchedulerError as exc:
        print_problems(exc.problems)
        return EXIT_USAGE
    print_problems(prepared.problems)
    if strict and prepared.problems:
        return EXIT_ERRORS
    site = _site_step(root, prepared, settings, strict)
    record_build(root, site, FINGERPRINT_FILE, _inputs_elsewhere(prepared), prepared.problems)
    print_summary(prepared, reporter, time.monotonic() - started, site, root)
    return EXIT_OK


def _inputs_elsewhere(prepared: Prepared) -> list[str]:
    """Clip videos outside videos/ (named with `video:`): inputs the build stamp must watch."""
    return [item.clip.video_source for item in prepared.clips
            if not item.clip.video_source.startswith("videos/")]


def _prepare(root: Path, jobs: int | None, reporter: ConsoleReporter,
             scheduler: str | None = None) -> tuple[Settings, Prepared]:
    """Validate the catalog and encode (or take from the cache) every clip, with progress: in
    the local pool, or on the Dask scheduler when one is named (see scheduler_address)."""
    from clipportal.catalog.clips import load_catalog
    from clipportal.pipeline import prepare_on, scheduler_address
    from clipportal.settings import load_settings

    settings = load_settings(root)
    catalog = load_catalog(root, settings)
    address = scheduler_address(scheduler, settings)
    return settings, prepare_on(address, root, settings, catalog, jobs or settings.jobs, reporter)


def _encode(root: Path, shard: Shard | None, list_missing: bool, jobs: int | None) -> int:
    from clipportal.commands.encode import encode_shard, missing_jobs
    from clipportal.commands.progress import ConsoleReporter
    from clipportal.media.lock import build_lock

    if list_missing:
        for key, slug in missing_jobs(root):
            print(f"{key} {slug}")
        return EXIT_OK
    if shard is None:
        print("clipportal encode: give --shard K/N (or --list-missing)", file=sys.stderr)
        return EXIT_USAGE
    with build_lock(root / "build"):
        prepared = encode_shard(root, shard, jobs, ConsoleReporter())
    print_problems(prepared.problems)
    print(f"shard {shard.index}/{shard.count}: {len(prepared.clips)} clips, "
          f"{prepared.encoded} encoded, {prepared.cached} from cache", file=sys.stderr)
    return EXIT_OK


def _prune(root: Path, dry_run: bool) -> int:
    from clipportal.commands.cache import prune_cache
    from clipportal.media.lock import build_lock

    with build_lock(root / "build"):  # never while a build reads or writes the cache
        pruned = prune_cache(root, dry_run)
    verb = "would remove" if dry_run else "removed"
    for entry in pruned:
        print(f"{verb} {entry.name} ({_bytes(entry.size)})")
    total = _bytes(sum(entry.size for entry in pruned))
    print(f"{'would free' if dry_run else 'freed'} {total} in {len(pruned)} entries",
          file=sys.stderr)
    return EXIT_OK


def _bytes(count: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


def _site_step(root: Path, prepared: Prepared, settings: Settings, strict: bool) -> Path:
    """Run MkDocs and Pagefind unless the site already matches every input."""
    from clipportal.settings import read_site_dir
    from clipportal.site.fingerprint import is_up_to_date, mark_built, site_fingerprint
    from clipportal.site.mkdocs_build import build_site

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
