"""How alert-channel URLs appear in anything fzzf writes: ``mask_url`` for a channel named in the outbox, the log,
an alert body or an exception; ``redact`` (and the log filter ``RedactChannelSecrets``) for text that may carry a
secret another library put there (apprise and urllib3 log the URLs they post to when debugging).

Webhooks keep their secret in the path or query (``json://host/SECRET``, ``?access_token=``, ``?key=``) or, for
apprise's own schemes, in the "host" (``dingtalk://TOKEN``): every one of those is hidden.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit

# Schemes whose host is a real host name (kept in the masked form); for the others the host is a token.
HOST_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "http", "https", "mailto", "mailtos"})
MIN_SECRET = 6  # shorter path segments ("hook", "send") are names, not secrets, and would mangle unrelated text

_secrets: set[str] = set()


def mask_url(url: str) -> str:
    """How a channel URL is shown anywhere (outbox, logs, alert bodies, exceptions): ``scheme://host[:port]``, with
    ``/…`` and ``?…`` standing for any path and query, since webhooks keep their secret there (``json://host/SECRET``,
    ``?access_token=``); apprise's privacy form first, so a token that is the "host" (``dingtalk://TOKEN``) is masked
    too. Credentials are dropped."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,31}", scheme):
        return "(not a URL)"
    import apprise

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return f"{scheme}://…"
    try:
        shown, given = urlsplit(plugin.url(privacy=True)), urlsplit(url)
        host = shown.hostname or ""
        port = f":{shown.port}" if shown.port else ""
    except ValueError:
        return f"{scheme}://…"
    # apprise's own form always carries a query of its settings: whether there is a path or query to hide is
    # the configured URL's question
    path = "/…" if given.path.strip("/") else ""
    query = "?…" if given.query else ""
    return f"{scheme}://{host}{port}{path}{query}"


def secrets_of(url: str) -> set[str]:
    """The parts of a channel URL that may be a secret: password, path segments, query values, a token host."""
    try:
        parts = urlsplit(url.strip())
        found = {parts.password or "", parts.username or "", parts.query, parts.path.strip("/")}
        found |= set(parts.path.split("/"))
        found |= {v for _, v in parse_qsl(parts.query)}
        if parts.scheme.lower() not in HOST_SCHEMES:
            found.add(parts.hostname or "")
    except ValueError:
        found = {url.split("://", 1)[-1]}
    return {s for s in found if len(s) >= MIN_SECRET}


def register(urls: list[str]) -> list[str]:
    """Remember the secrets of the channels in use, for ``redact``; returns ``urls``."""
    for url in urls:
        _secrets.update(secrets_of(url))
    return urls


def redact(text: str) -> str:
    """``text`` with every registered channel secret replaced by ``…``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "…")
    return text


class RedactChannelSecrets(logging.Filter):
    """On every log handler: a record that carries a channel secret is written with the secret masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            message = record.getMessage()
            masked = redact(message)
            if masked != message:
                record.msg, record.args = masked, None
        return True
