"""A real HTTP reverse proxy on 127.0.0.1 that injects network faults in front of the service.

Modes, applied to request paths ending with ``suffix`` ("" = every path):
``pass`` (forward), ``stall`` (accept, read the request, never answer until closed),
``status`` (answer ``status_code`` with an empty body), ``truncate`` (announce the full
Content-Length, send half the body, close).
"""

from __future__ import annotations

import socket
import socketserver
import threading
import urllib.error
import urllib.request

_MAX_HEAD = 64 * 1024


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = "pass"
        self.suffix = ""
        self.status_code = 503
        self.hits = 0
        self._release = threading.Event()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _handle(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
            chunk = sock.recv(4096)
            if not chunk:
                return
            head += chunk
        path = head.split(b" ", 2)[1].decode("ascii", "replace")
        faulty = path.endswith(self.suffix) if self.suffix else True
        mode = self.mode if faulty else "pass"
        if faulty:
            self.hits += 1
        if mode == "stall":
            self._release.wait(30)  # bounded: the test's client times out long before
            return
        if mode == "status":
            sock.sendall(f"HTTP/1.1 {self.status_code} Injected\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n".encode())
            return
        try:
            with urllib.request.urlopen(self.upstream + path, timeout=10) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        sent = body[: len(body) // 2] if mode == "truncate" else body
        sock.sendall(f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + sent)
