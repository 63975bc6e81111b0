"""Real listeners on 127.0.0.0/8 for the outbound guard's tests: one that counts every TCP
connection it accepts (a connection the guard should never have made), one that never
answers, and an HTTP server that redirects elsewhere."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CountingListener:
    """Accepts and closes every connection, counting them."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.create_server((host, port))
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @classmethod
    def on(cls, address: tuple[str, int]) -> CountingListener:
        return cls(*address)

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def __enter__(self) -> CountingListener:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@contextmanager
def silent_listener(host: str = "127.0.0.1") -> Iterator[int]:
    """A port whose connections are accepted by the kernel and never answered."""
    sock = socket.create_server((host, 0), backlog=64)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@contextmanager
def redirecting_server(location: str, host: str = "127.0.0.2") -> Iterator[int]:
    """Answers every POST with a 307 to `location` (a redirect keeps the method and body)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(307)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
