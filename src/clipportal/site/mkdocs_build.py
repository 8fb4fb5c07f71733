"""Running MkDocs on a portal project (the only place besides the plugin that imports it), and
the preview server: MkDocs' live-reload server, taught to answer Range requests so that the
video player can seek (chapter links, transcript links, the seek bar)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
import wsgiref.simple_server
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol
from wsgiref.util import FileWrapper

from mkdocs.livereload import LiveReloadServer

from clipportal.errors import CatalogError, ClipportalError, Problem
from clipportal.pipeline import Prepared
from clipportal.settings import effective_site_dir
from clipportal.site.fingerprint import FINGERPRINT_FILE

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from clipportal.site.mkdocs_plugin import ClipportalPlugin

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
REBUILD_FAILED = ("clipportal serve: the preview was not rebuilt because of the problems above. "
                  "Fix them and save the file again; open pages wait, then reload by themselves.")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_BLOCK = 256 * 1024


def _quiet_mkdocs() -> None:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    logging.getLogger("mkdocs.livereload").addFilter(_without_stuck_notice)
    logging.getLogger("mkdocs.commands.build").addFilter(_without_dirty_notice)


def _without_stuck_notice(record: logging.LogRecord) -> bool:
    """REBUILD_FAILED says it in plain words; MkDocs' own notice talks of a stuck server."""
    return "error happened during the rebuild" not in record.getMessage()


def _without_dirty_notice(record: logging.LogRecord) -> bool:
    """MkDocs warns that a kept site folder may hold stale pages and navigation; clipportal
    renders every page and removes what the build did not write (see `site.keep`)."""
    return "A 'dirty' build is being performed" not in record.getMessage()


def config_file(root: Path) -> Path:
    """root/mkdocs.yml, or a problem saying this is not a portal project."""
    path = root / "mkdocs.yml"
    if not path.is_file():
        raise CatalogError(Problem("mkdocs.yml", "no mkdocs.yml in this folder",
                                   "run clipportal in a portal project (see the README)"))
    return path


def is_built_site(folder: Path) -> bool:
    """A built site (such as build/site, or the site-preview artifact), not a project."""
    return not (folder / "mkdocs.yml").exists() and (folder / "index.html").is_file()


def build_site(root: Path, prepared: Prepared | None = None, strict: bool = False) -> Path:
    """`mkdocs build` for the project at `root`, reusing already prepared media."""
    _quiet_mkdocs()
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    try:
        config = load_config(str(config_file(root)), strict=strict)
        plugin = _plugin(config)
        plugin.prepared = prepared
        plugin.dirty = _keep_site(config)
        build(config, dirty=plugin.dirty)
    except MkDocsException as exc:
        raise _build_failed(exc) from exc
    return Path(config.site_dir)


def _keep_site(config: MkDocsConfig) -> bool:
    """Whether to keep the site folder and write only what changed (`site.keep`): when it
    holds a complete clipportal build, and no other plugin writes into it. The build marker
    goes first, so that a build stopped half-way is never taken for a complete one."""
    site = effective_site_dir(Path(config.config_file_path or ".").resolve().parent,
                              Path(config.site_dir))
    marker = site / FINGERPRINT_FILE
    if set(config.plugins) - {"clipportal"} or not marker.is_file():
        return False
    marker.unlink()
    return True


def _plugin(config: MkDocsConfig) -> ClipportalPlugin:
    plugin: ClipportalPlugin | None = config.plugins.get("clipportal")
    if plugin is None:
        raise CatalogError(Problem("mkdocs.yml", "the clipportal plugin is not enabled",
                                   "add `- clipportal` under `plugins:` in mkdocs.yml"))
    return plugin


def _build_failed(exc: Exception) -> ClipportalError:
    return ClipportalError(Problem("mkdocs.yml", f"the site build failed: {exc}",
                                   "see the messages above"))


class ServeListener(Protocol):
    """What the preview tells the person running it (the CLI prints it)."""

    def ready(self, url: str, live: bool) -> None: ...

    def building(self, again: bool) -> None: ...

    def rebuilt(self, seconds: float) -> None: ...


def parse_address(text: str) -> tuple[str, int]:
    """'127.0.0.1:8000' → ('127.0.0.1', 8000); a port alone means 127.0.0.1; port 0 means
    any free port."""
    host, _, port = text.rpartition(":") if not text.isdigit() else ("127.0.0.1", "", text)
    if not host.strip("[]") or not port.isdigit() or int(port) > 65535:
        raise CatalogError(Problem("--addr", f"'{text}' is not an address like 127.0.0.1:8000",
                                   "give HOST:PORT, e.g. --addr 127.0.0.1:8001"))
    return host.strip("[]"), int(port)


def serve_site(root: Path, address: str, listener: ServeListener,
               prepare: Callable[[], Prepared] | None = None) -> None:
    """Build the project into a temporary folder, serve it, and rebuild it whenever the docs,
    clips, captions or mkdocs.yml change, until interrupted (Ctrl-C). The port is taken
    first, so a busy one is reported before `prepare` (encoding, with progress) runs."""
    _quiet_mkdocs()
    host, port = parse_address(address)
    preview = _Preview(config_file(root), listener)
    try:
        server = _listening_server(preview.rebuild, host, port, preview.site_dir, listener)
        preview.url = server.url
        try:
            config = preview.first_build(prepare() if prepare else None)
            _watch(server, config, preview.rebuild)
            server.serve()
        finally:
            server.shutdown()
    finally:
        preview.close()


def serve_folder(folder: Path, address: str, listener: ServeListener) -> None:
    """Serve a built site as it is (no rebuilding), until interrupted."""
    host, port = parse_address(address)
    server = _listening_server(lambda: None, host, port, str(folder), listener)
    try:
        server.serve()
    finally:
        server.shutdown()


class _Preview:
    """The temporary site of one `clipportal serve` and how to (re)build it."""

    def __init__(self, config_path: Path, listener: ServeListener) -> None:
        self.config_path = config_path
        self.listener = listener
        self.site_dir = tempfile.mkdtemp(prefix="clipportal-preview-")
        self.url = ""
        self._config: MkDocsConfig | None = None
        self._complete = False
        """Whether the last build finished: then the next one keeps the site folder."""

    def load(self) -> MkDocsConfig:
        """Read mkdocs.yml again on every build, so that edits to it show."""
        from mkdocs.config import load_config

        config = load_config(str(self.config_path), site_dir=self.site_dir)
        config.site_url = self.url
        return config

    def first_build(self, prepared: Prepared | None) -> MkDocsConfig:
        from mkdocs.commands.build import build
        from mkdocs.exceptions import MkDocsException

        self.listener.building(again=False)
        try:
            config = self._config = self.load()
            config.plugins.on_startup(command="serve", dirty=False)
            _plugin(config).prepared = prepared
            build(config, serve_url=self.url)
            self._complete = True
        except MkDocsException as exc:
            raise _build_failed(exc) from exc
        return config

    def rebuild(self) -> None:
        from mkdocs.commands.build import build
        from mkdocs.exceptions import Abort, MkDocsException

        self.listener.building(again=True)
        started = time.monotonic()
        try:
            config = self.load()
            keep, self._complete = self._complete, False
            _plugin(config).dirty = keep
            build(config, serve_url=self.url, dirty=keep)
            self._complete = True
        except MkDocsException:
            # MkDocs has logged the problems; the server prints an Abort's text, keeps running
            # and answers requests again once a later build succeeds
            raise Abort(REBUILD_FAILED) from None
        self.listener.rebuilt(time.monotonic() - started)

    def close(self) -> None:
        if self._config is not None:
            self._config.plugins.on_shutdown()
        shutil.rmtree(self.site_dir, ignore_errors=True)


def _watch(server: PreviewServer, config: MkDocsConfig, builder: Callable[[], None]) -> None:
    """What `mkdocs serve` watches: docs/, mkdocs.yml, and what plugins add (videos/,
    captions/); and the theme's override folder (`custom_dir`), an input of every page."""
    server.watch(config.docs_dir)
    if config.config_file_path:
        server.watch(config.config_file_path)
    if config.theme.custom_dir:
        server.watch(config.theme.custom_dir)
    config.plugins.on_serve(server, config=config, builder=builder)
    for item in config.watch:
        server.watch(item)


def _listening_server(builder: Callable[[], None], host: str, port: int, site: str,
                      listener: ServeListener) -> PreviewServer:
    """A server already listening on its port (requests wait until it serves)."""
    server = PreviewServer(builder=builder, host=host, port=port, root=site,
                           listener=listener)
    try:
        server.server_bind()
        server.server_activate()
    except OSError as exc:
        server.server_close()
        raise CatalogError(Problem("--addr", f"cannot serve on {host}:{port} "
                                   f"({exc.strerror or exc})", "another preview may be running: "
                                   "stop it, or use another port, e.g. --addr 127.0.0.1:8001")
                           ) from None
    return server


class PreviewServer(LiveReloadServer):
    """MkDocs' live-reload server, plus Range requests and a word to the listener once it
    accepts connections. The whole site is served at / (its URLs are all relative)."""

    def __init__(self, *, builder: Callable[[], None], host: str, port: int, root: str,
                 listener: ServeListener) -> None:
        super().__init__(builder=builder, host=host, port=port, root=root)
        self.RequestHandlerClass = _QuietHandler
        self.host, self.listener = host, listener
        self.error_handler = _error_page(Path(root))
        self._listening = False

    # _listening_server binds and listens early; LiveReloadServer.serve does both again
    def server_bind(self) -> None:
        if not self._listening:
            super().server_bind()
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"http://{host}:{self.server_address[1]}/"

    def server_activate(self) -> None:
        if not self._listening:
            super().server_activate()
            self._listening = True

    def serve(self) -> None:  # type: ignore[override]
        self.listener.ready(self.url, live=bool(self._watched_paths))
        super().serve()  # type: ignore[no-untyped-call]

    def serve_request(self, environ: dict[str, Any],
                      start_response: StartResponse) -> Iterable[bytes]:
        header = environ.get("HTTP_RANGE")
        if not header:
            return super().serve_request(environ, _accepting_ranges(start_response))
        return _ranged(super().serve_request, environ, header, start_response)


def _error_page(site: Path) -> Callable[[int], bytes | None]:
    """The site's own 404 page, as `mkdocs serve` shows it."""

    def page(code: int) -> bytes | None:
        path = site / f"{code}.html"
        return path.read_bytes() if code == 404 and path.is_file() else None

    return page


def _accepting_ranges(start_response: StartResponse) -> StartResponse:
    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if status.startswith("200"):
            headers = [*headers, ("Accept-Ranges", "bytes")]
        return start_response(status, headers, exc_info)

    return start


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    """Inclusive, as in Content-Range."""

    @property
    def length(self) -> int:
        return self.end - self.start + 1


UNSATISFIABLE = ByteRange(0, -1)


def byte_range(header: str, size: int) -> ByteRange | None:
    """The one range a Range header asks for. None when the header is to be ignored and the
    whole file sent (not bytes, several ranges, malformed: RFC 9110 §14.2); UNSATISFIABLE when
    it starts at or past the end (answered with 416)."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last N bytes
        suffix = int(last)
        return ByteRange(max(0, size - suffix), size - 1) if suffix and size else UNSATISFIABLE
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    return ByteRange(start, min(int(last), size - 1) if last else size - 1)


def _ranged(app: WsgiApp, environ: dict[str, Any], header: str,
            start_response: StartResponse) -> Iterable[bytes]:
    """Let MkDocs find the file (and wait for a running build), then send the part asked
    for. Anything but a whole file (a redirect, a 404, a reload poll) passes unchanged."""
    answered: list[tuple[str, list[tuple[str, str]]]] = []
    body = app(environ, lambda status, headers, exc_info=None: answered.append(
        (status, headers)))
    status, headers = answered[0]
    wanted = _wanted(header, status, headers, body)
    if wanted is None:
        _accepting_ranges(start_response)(status, headers)
        return body
    assert isinstance(body, FileWrapper)
    size = int(dict(headers)["Content-Length"])
    if wanted is UNSATISFIABLE:
        body.close()
        start_response("416 Range Not Satisfiable",
                       [("Content-Range", f"bytes */{size}"), ("Content-Length", "0")])
        return []
    start_response("206 Partial Content", [
        ("Content-Type", dict(headers).get("Content-Type", "application/octet-stream")),
        ("Content-Range", f"bytes {wanted.start}-{wanted.end}/{size}"),
        ("Content-Length", str(wanted.length)), ("Accept-Ranges", "bytes")])
    return _FileSlice(body.filelike, wanted)


def _wanted(header: str, status: str, headers: list[tuple[str, str]],
            body: Iterable[bytes]) -> ByteRange | None:
    if not status.startswith("200") or not isinstance(body, FileWrapper):
        return None
    length = dict(headers).get("Content-Length", "")
    return byte_range(header, int(length)) if length.isdigit() else None


class _FileSlice:
    """One range of an open file, sent in blocks; the server closes it when done (also when
    the player drops the connection, which it does on every seek)."""

    def __init__(self, handle: IO[bytes], wanted: ByteRange) -> None:
        self.handle, self.wanted = handle, wanted

    def __iter__(self) -> Iterator[bytes]:
        self.handle.seek(self.wanted.start)
        remaining = self.wanted.length
        while remaining > 0 and (block := self.handle.read(min(_BLOCK, remaining))):
            remaining -= len(block)
            yield block

    def close(self) -> None:
        self.handle.close()


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    """Only failed requests are worth a line: a video player makes many 206 requests."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).isdigit() and int(code) >= 400:
            log.warning("%s %s: %s %s", self.command, self.path, code,
                        HTTPStatus(int(code)).phrase.lower())

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)
