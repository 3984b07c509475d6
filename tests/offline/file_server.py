"""Servers on 127.0.0.1 for download tests: a static one (canonical sources stand-in) and a
scripted one that serves chosen bodies, streams hostile ones and counts the requests."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

Writer = Callable[[BinaryIO], None]
"""Streams a body of its own making (no Content-Length), e.g. trickled or endless."""


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def _serving(handler) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def file_server(directory: Path) -> Iterator[str]:
    """Serve a directory for the duration of the block; yields its base URL."""
    with _serving(functools.partial(_QuietFiles, directory=str(directory))) as url:
        yield url


@dataclass
class Scripted:
    """What a scripted server answers per path (a 404 for any other), and what it was asked."""

    url: str = ""
    bodies: dict[str, bytes | Writer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


@contextmanager
def scripted_server() -> Iterator[Scripted]:
    """A server whose bodies the test sets and changes while it runs."""
    scripted = Scripted()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            scripted.requests.append(self.path)
            body = scripted.bodies.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Connection", "close")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client hung up, as it should on a hostile body
                body(self.wfile)

        def log_message(self, format, *args):
            pass

    with _serving(Handler) as url:
        scripted.url = url
        yield scripted
