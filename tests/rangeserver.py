"""A static file server for tests that answers Range requests (seeking needs them; Python's
http.server ignores them) and serves .vtt as text/vtt. Optional gzip for text, as static
hosts do (Lighthouse measures transfer sizes)."""

from __future__ import annotations

import gzip
import mimetypes
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

mimetypes.add_type("text/vtt", ".vtt")
mimetypes.add_type("image/webp", ".webp")
mimetypes.add_type("application/vnd.apple.mpegurl", ".m3u8")
mimetypes.add_type("video/iso.segment", ".m4s")
mimetypes.add_type("application/wasm", ".wasm")
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class RangeHandler(SimpleHTTPRequestHandler):
    use_gzip = False

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self.translate_path(self.path)
        index = os.path.join(path, "index.html")
        if os.path.isdir(path) and self.path.split("?")[0].endswith("/") and os.path.isfile(
                index):
            path = index  # a folder URL: its index page, compressed like any other page
        elif os.path.isdir(path):
            return super().send_head()
        header = self.headers.get("Range")
        if not header or not os.path.isfile(path):
            return self._full(path)
        return self._partial(path, header)

    def _full(self, path: str):  # type: ignore[no-untyped-def]
        if not os.path.isfile(path) or not self.use_gzip:
            return super().send_head()
        ctype = self.guess_type(path)
        if not ctype.startswith(GZIP_TYPES) or "gzip" not in self.headers.get(
                "Accept-Encoding", ""):
            return self._plain(path, ctype)
        import io

        body = gzip.compress(Path(path).read_bytes())
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _plain(self, path: str, ctype: str):  # type: ignore[no-untyped-def]
        handle = open(path, "rb")  # noqa: SIM115
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.end_headers()
        return handle

    def _partial(self, path: str, header: str):  # type: ignore[no-untyped-def]
        size = os.path.getsize(path)
        match = _RANGE.match(header.strip())
        if not match:
            return super().send_head()
        first, last = match.groups()
        start = int(first) if first else max(0, size - int(last or 0))
        end = min(int(last), size - 1) if first and last else size - 1
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        handle = open(path, "rb")  # noqa: SIM115
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return _Limited(handle, end - start + 1)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


class _Limited:
    def __init__(self, handle, remaining: int) -> None:  # type: ignore[no-untyped-def]
        self.handle, self.remaining = handle, remaining

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size < 0 else min(size, self.remaining)
        data: bytes = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()


@contextmanager
def serve(directory: Path, use_gzip: bool = False,
          base: type[RangeHandler] = RangeHandler) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 at a free port; yields the base URL. `base` may be a
    subclass of RangeHandler (e.g. one that counts the bytes it sends)."""
    handler = type("Handler", (base,), {"use_gzip": use_gzip})

    def factory(*args, **kwargs):  # type: ignore[no-untyped-def]
        return handler(*args, directory=str(directory), **kwargs)

    server = ThreadingHTTPServer(("127.0.0.1", 0), factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
