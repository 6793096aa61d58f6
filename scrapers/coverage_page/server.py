"""``fzzf serve``: the coverage page for analysts, a small HTTP server on 127.0.0.1 over the published warehouse.

Served, not written as static files by each build: full-text search and each report's text, over every government's
years, cannot ship as one file, and opening the published file at each request always shows the last published
build (a build publishes by atomic rename, so a request sees the old file or the new one, never half of either).
The file is opened read-only per request; the server never writes anything. Every asset (ECharts included) comes
from ``static/``, and the Content-Security-Policy header tells the browser to load nothing from anywhere else.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from scrapers.coverage_page import views
from scrapers.warehouse.connect import WarehouseUnreadable
from scrapers.warehouse.paths import published_path

__all__ = ["CoveragePage", "DEFAULT_HOST", "DEFAULT_PORT", "serve"]

log = logging.getLogger("fzzf.serve")

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
STATIC_DIR = Path(__file__).resolve().parent / "static"
# The page's own files only; 'unsafe-inline' styles because ECharts writes its tooltips' style attributes.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _missing_warehouse_page(warehouse: Path) -> bytes:
    """The page shown before anything was published: what to run, in Chinese and English, never a traceback."""
    html = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>尚无已发布的数据仓库 · No published warehouse</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main class="notice">
<h1>尚无已发布的数据仓库</h1>
<p>在 <code>{_escape(str(warehouse))}</code> 没有找到已发布的数据仓库。请先运行 <code>make demo</code>（演示数据），
或对该数据目录运行 <code>fzzf crawl</code> 和 <code>fzzf build</code>，然后刷新本页；
也可用 <code>fzzf serve --data-dir 目录</code> 指向已有发布仓库的数据目录。</p>
<h2 lang="en">No published warehouse</h2>
<p lang="en">No published warehouse at <code>{_escape(str(warehouse))}</code>. Run <code>make demo</code> (demo data),
or <code>fzzf crawl</code> and <code>fzzf build</code> for this data directory, then reload this page; or point
<code>fzzf serve --data-dir DIR</code> at the data directory that holds one.</p>
</main></body></html>
"""
    return html.encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _static_files() -> dict[str, Path]:
    """URL path -> file, fixed at start: a request can only name one of these, so no path walks out of static/."""
    return {
        "/static/" + p.relative_to(STATIC_DIR).as_posix(): p
        for p in STATIC_DIR.rglob("*")
        if p.is_file() and not p.name.endswith(".md")
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "fzzf-serve"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        try:
            if path in ("/", "/index.html"):
                self._index()
            elif path.startswith("/api/"):
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                self._api(views.Request([unquote(p) for p in parts.path[len("/api/") :].split("/") if p], query))
            elif path in self.server.static:
                self._file(self.server.static[path])
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away mid-answer

    def _index(self) -> None:
        warehouse = published_path(self.server.data_dir)
        if not warehouse.exists():
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, _missing_warehouse_page(warehouse), "text/html; charset=utf-8")
            return
        self._file(STATIC_DIR / "index.html")

    def _api(self, request: views.Request) -> None:
        try:
            status, body = HTTPStatus.OK, views.answer(self.server.data_dir, request)
        except views.NotFound as exc:
            status, body = HTTPStatus.NOT_FOUND, {"error": str(exc)}
        except views.BadRequest as exc:
            status, body = HTTPStatus.BAD_REQUEST, {"error": str(exc)}
        except FileNotFoundError:
            warehouse = published_path(self.server.data_dir)
            status, body = (
                HTTPStatus.SERVICE_UNAVAILABLE,
                {
                    "error": f"尚无已发布的数据仓库（{warehouse}）：请先运行 make demo 或 fzzf build",
                    "error_en": f"no published warehouse at {warehouse}: run `make demo` or `fzzf build` first",
                    "no_warehouse": True,
                },
            )
        except WarehouseUnreadable as exc:
            status, body = (
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"error": f"数据仓库无法读取：{exc}", "error_en": str(exc)},
            )
        except Exception:
            log.exception("fzzf serve: %s failed", self.path)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "服务器内部错误，详见 fzzf serve 的日志"}
        data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
        self._send(status, data, "application/json; charset=utf-8")

    def _file(self, path: Path) -> None:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "text/javascript"):
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, path.read_bytes(), kind)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        # Each answer is read from the file published now: a browser must ask again, never reuse an old one.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], data_dir: Path):
        self.data_dir = Path(data_dir)
        self.static = _static_files()
        super().__init__(address, _Handler)


class CoveragePage:
    """The server, started on a thread (tests, ``with CoveragePage(data_dir) as page: page.url``) or in the
    foreground (``serve``). Port 0 picks a free port."""

    def __init__(self, data_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
        self.server = _Server((host, port), data_dir)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> CoveragePage:
        self._thread = threading.Thread(target=self.server.serve_forever, name="fzzf-serve", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> CoveragePage:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(data_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted (Ctrl-C)."""
    page = CoveragePage(data_dir, host, port)
    warehouse = published_path(data_dir)
    state = "" if warehouse.exists() else " (no published warehouse yet: the page says what to run)"
    print(f"coverage page: {page.url} over {warehouse}{state}; Ctrl-C stops it", flush=True)
    try:
        page.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        page.server.server_close()
