"""Why a request failed, in words a person can act on: the root cause (refused, timed out, DNS, TLS, reset) and the
host and port, from the chain of wrappers requests and urllib3 put around it.

``requests`` says ``ConnectionError(MaxRetryError("HTTPConnectionPool(host=..., port=...): Max retries exceeded
... (Caused by NewConnectionError(...))"))``; the cause a user can fix (nothing listens on 127.0.0.5:80) is three
wrappers down, in ``__cause__``/``__context__`` and urllib3's ``reason``. The crawl log, the CLI and the failure
alerts all say a failure with ``describe_error``, so the three never disagree and nothing is cut mid-string.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from urllib.parse import urlsplit

__all__ = ["cut_at_word", "describe_error"]

_HOST_PORT = re.compile(r"host='([^']+)', port=(\d+)")
_TIMEOUT = re.compile(r"(connect|read) timeout=([\d.]+)")
_MAX_CHAIN = 20  # a chain longer than this is a loop or a bug, not a cause


def describe_error(exc: BaseException, limit: int | None = None) -> str:
    """One line naming the root cause of ``exc`` and where it happened, e.g. ``connection refused by
    127.0.0.5:80``, ``timed out after 5 s reading 127.0.0.1:8080``, ``DNS lookup failed for gov.example (Name or
    service not known)``, ``TLS: certificate verify failed: self-signed certificate (127.0.0.1:8443)``.

    An error that is not a network failure is ``Type: message`` (its first line kept whole). ``limit`` cuts a long
    text at a word, with an ellipsis, never inside a word or a quoted name."""
    chain = _chain(exc)
    cause = _network_cause(chain)
    if cause is None:
        text = _plain(exc)
    elif _is_wrapper(exc):
        text = cause
    else:  # the project's own message says what failed; the network cause, when it wraps one, says why
        text = _plain(exc)
        text = text if cause in text else f"{text} ({cause})"
    return cut_at_word(text, limit) if limit else text


def cut_at_word(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut at the last space before it, ending in "…"."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 1)]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps, outermost first: causes, contexts, urllib3's ``reason``, requests' first
    argument."""
    out: list[BaseException] = []
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo and len(out) < _MAX_CHAIN:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        out.append(cur)
        wrapped = [getattr(cur, "reason", None), cur.__cause__]
        if not cur.__suppress_context__:
            wrapped.append(cur.__context__)
        wrapped += [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]
        todo += [w for w in wrapped if isinstance(w, BaseException)]
    return out


def _where(chain: list[BaseException]) -> str | None:
    """``host:port`` the failed connection was to, from urllib3's connection or pool objects, else its message."""
    for exc in chain:
        # urllib3 2 keeps the connection on ``conn`` (``pool`` is its deprecated alias), the pool on ``pool``
        holder = getattr(exc, "conn", None) or getattr(exc, "pool", None)
        host, port = getattr(holder, "host", None), getattr(holder, "port", None)
        if host:
            return f"{host}:{port}" if port else str(host)
    for exc in chain:
        match = _HOST_PORT.search(str(exc))
        if match:
            return f"{match.group(1)}:{match.group(2)}"
    for exc in chain:  # a connection dropped mid-answer names no host: the request requests kept does
        url = getattr(getattr(exc, "request", None), "url", None)
        if isinstance(url, str) and urlsplit(url).hostname:
            parts = urlsplit(url)
            return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    return None


def _seconds(chain: list[BaseException], kind: str) -> str | None:
    for exc in chain:
        match = _TIMEOUT.search(str(exc))
        if match and match.group(1) == kind:
            return f"{float(match.group(2)):g} s"
    return None


def _network_cause(chain: list[BaseException]) -> str | None:
    names = {type(e).__name__ for e in chain}
    where = _where(chain)
    at = where or "the server"

    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if tls is not None or "SSLError" in names:
        reason = (
            _tls_reason(tls)
            if tls is not None
            else _first_line(next(e for e in chain if "SSLError" in type(e).__name__))
        )
        return f"TLS: {reason}" + (f" ({where})" if where else "")
    dns = next((e for e in chain if isinstance(e, socket.gaierror)), None)
    if dns is not None or "NameResolutionError" in names:
        host = where.rsplit(":", 1)[0] if where else "the host"
        why = (dns.strerror or str(dns)) if dns is not None else None
        return f"DNS lookup failed for {host}" + (f" ({why})" if why else "")
    if any(_is_errno(e, ConnectionRefusedError, errno.ECONNREFUSED) for e in chain):
        return f"connection refused by {at}"
    if any(_is_errno(e, ConnectionResetError, errno.ECONNRESET) for e in chain):
        return f"connection reset by {at}"
    if "ConnectTimeoutError" in names or "ConnectTimeout" in names:
        after = _seconds(chain, "connect")
        return f"connecting to {at} timed out" + (f" after {after}" if after else "")
    if "ReadTimeoutError" in names or "ReadTimeout" in names or any(isinstance(e, TimeoutError) for e in chain):
        after = _seconds(chain, "read")
        return "timed out" + (f" after {after}" if after else "") + f" reading {at}"
    if "RemoteDisconnected" in names or "IncompleteRead" in names or "ProtocolError" in names:
        root = next((e for e in reversed(chain) if type(e).__name__ in ("RemoteDisconnected", "IncompleteRead")), None)
        detail = f": {_first_line(root)}" if root is not None else ""
        return f"connection to {at} broken before the answer was complete{detail}"
    os_error = next((e for e in reversed(chain) if isinstance(e, OSError) and e.strerror), None)
    if os_error is not None and where:  # a connection's: unreachable network, no route to host, ...
        return f"{os_error.strerror} ({where})"
    return None  # not a network failure (a file's OSError keeps its own words and file name)


def _is_errno(exc: BaseException, kind: type[OSError], number: int) -> bool:
    return isinstance(exc, kind) or (isinstance(exc, OSError) and exc.errno == number)


def _tls_reason(exc: ssl.SSLError) -> str:
    verify = getattr(exc, "verify_message", None)
    if verify:
        return f"certificate verify failed: {verify}"
    return exc.reason.lower().replace("_", " ") if getattr(exc, "reason", None) else _first_line(exc)


def _is_wrapper(exc: BaseException) -> bool:
    """An exception of the HTTP stack (requests, urllib3, http.client, socket, ssl, OSError), whose own text is the
    wrappers' noise rather than a message someone wrote for a person."""
    module = type(exc).__module__.split(".")[0]
    return module in ("requests", "urllib3", "http", "socket", "ssl") or (
        module == "builtins" and isinstance(exc, OSError)
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0]


def _plain(exc: BaseException) -> str:
    text = str(exc).strip()  # whole: a message written in several lines (a gate summary) is meant that way
    return f"{type(exc).__name__}: {text}" if text and text != type(exc).__name__ else type(exc).__name__
