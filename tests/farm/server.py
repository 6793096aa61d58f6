"""A local portal farm: one threaded HTTP server per loopback address (127.0.x.y), all on one port.

Sites are plain data: ``{host: {path_with_query: Resource}}``; a Resource may also be a callable taking the request
(for Hanweb's POST ``dataproxy.jsp``). The server answers conditional GETs from each resource's ETag/Last-Modified,
can fail the first N requests (retry tests), sleep (slow pages), redirect, and logs every request so tests can count.
Nothing here listens on anything but 127.0.0.0/8.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

LAST_MODIFIED = "Wed, 03 Apr 2024 08:00:00 GMT"


@dataclass
class Resource:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (slow pages)
    fail_first: int = 0  # answer 503 to this many requests first (retry tests)
    validators: bool = True  # send ETag / Last-Modified and answer 304 to matching conditional requests
    served: int = 0

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Request:
    host: str
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    at: float = 0.0  # time.time() when the request arrived (politeness tests compare gaps)
    body: str = ""  # the raw request body (JSON POSTs of API lists)


Handler = Callable[[Request], Resource]


class Farm:
    def __init__(self):
        self.sites: dict[str, dict[str, Resource | Handler]] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self.port = 0

    def add(self, host: str, path: str, resource: Resource | Handler) -> None:
        self.sites.setdefault(host, {})[path] = resource

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    # lifecycle --------------------------------------------------------------------------------------------------
    def start(self) -> Farm:
        hosts = sorted(self.sites) or ["127.0.0.1"]
        for attempt in range(20):
            self.port = _free_port(hosts[0])
            try:
                for host in hosts:
                    self._serve(host)
                return self
            except OSError:
                self.stop()
                if attempt == 19:
                    raise
        return self

    def _serve(self, host: str) -> None:
        if not host.startswith("127."):
            raise ValueError(f"the farm serves loopback addresses only, not {host}")
        farm = self

        class _H(_FarmHandler):
            pass

        _H.farm = farm
        server = ThreadingHTTPServer((host, self.port), _H)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Farm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # counting ---------------------------------------------------------------------------------------------------
    def record(self, request: Request) -> None:
        with self._lock:
            self.log.append(request)

    def requests_to(self, path_prefix: str = "", host: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.log if r.path.startswith(path_prefix) and (host is None or r.host == host))

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()


class _FarmHandler(BaseHTTPRequestHandler):
    farm: Farm
    protocol_version = "HTTP/1.1"  # keep-alive, as real portals do

    def log_message(self, *args) -> None:  # quiet: the farm keeps its own log
        pass

    def do_GET(self) -> None:
        self._answer("GET", {}, "")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        self._answer("POST", dict(parse_qsl(raw)), raw)

    def _answer(self, method: str, form: dict[str, str], body: str) -> None:
        host = self.server.server_address[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(host, method, self.path, headers, form, time.time(), body)
        self.farm.record(request)
        site = self.farm.sites.get(host, {})
        resource = site.get(self.path)
        if resource is None and "?" in self.path:
            # Handlers (callables) answer for every query string of their path: dataproxy.jsp, gkmlpt's JSON API.
            handler = site.get(self.path.split("?", 1)[0])
            resource = handler if callable(handler) else None
        if callable(resource):
            resource = resource(request)
        if resource is None:
            resource = Resource(b"<html><body>404 Not Found</body></html>", status=404)
        resource.served += 1
        if resource.delay:
            time.sleep(resource.delay)
        if resource.served <= resource.fail_first:
            self._send(503, b"busy", "text/plain", {"Retry-After": "0"})
            return
        headers = dict(resource.headers)
        if resource.validators and resource.status == 200:
            headers.setdefault("ETag", resource.etag)
            headers.setdefault("Last-Modified", LAST_MODIFIED)
            if request.headers.get("if-none-match") == headers["ETag"]:
                self._send(304, b"", None, headers)
                return
        self._send(resource.status, resource.body, resource.content_type, headers)

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str]) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            if self.command != "HEAD" and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
