"""The whole-exchange deadline (``FZZF_DEADLINE``): connect to last byte of one HTTP request, however slowly the
portal sends its status line, its headers or its body.

A socket timeout bounds each read, not their sum: a portal that drips its headers one byte a second never trips it,
and holds the crawl (and every government behind it in its host lane) as long as it likes. ``Exchange`` arms a
timer when a request starts; when it fires, every socket the request used is shut down, which ends the read that is
waiting at once, wherever it is. The connection classes below hand their socket to the current thread's exchange:
a new connection when it is opened (before any TLS handshake), a kept-alive one when it is reused.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["DeadlineAdapter", "Exchange"]

_current = threading.local()


class Exchange:
    """One request's deadline; a context manager around the request and the reading of its body."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._started = 0.0

    def remaining(self) -> float:
        return max(0.0, self._started + self.seconds - time.monotonic())

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if not any(s is sock for s in self._sockets):
                self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> Exchange:
        self._started = time.monotonic()
        _current.exchange = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _current.exchange = None


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS (SSLSocket.shutdown drops its SSL object under a reader's feet):
    # the thread blocked in recv wakes up with end-of-file.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock) -> None:
    exchange = getattr(_current, "exchange", None)
    if exchange is not None and sock is not None:
        exchange.watch(sock)


class _Watched:
    def _new_conn(self):
        sock = super()._new_conn()
        _watch(sock)  # before the TLS handshake: a handshake dripped byte by byte is cut off too
        return sock

    def request(self, *args, **kwargs):
        _watch(self.sock)  # a kept-alive connection: _new_conn is not called again
        return super().request(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """``requests``' adapter whose connections report their sockets to the current ``Exchange``."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
