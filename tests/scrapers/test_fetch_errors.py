"""A failed request says its root cause and where, whole: real sockets on 127.0.0.1 that refuse, hang, reset or
answer TLS with plain HTTP, through the real ``Fetcher`` (issue 22, item 4)."""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import replace

import pytest
import urllib3

from scrapers.collect.errors import cut_at_word, describe_error
from scrapers.collect.fetch import Fetcher, FetchError
from scrapers.settings import Politeness

POLITE = replace(Politeness(), allow_private_hosts=True, retries=1, backoff=0, delay=0, timeout=1.0, obey_robots=False)


class Server:
    """A TCP listener on 127.0.0.1 that does one thing to every connection: ``hang``, ``reset`` or ``plain``
    (answers whatever comes with a plain-HTTP line, which a TLS client reads as a broken handshake)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "hang":
                self.held.append(conn)
            elif self.mode == "reset":
                conn.recv(65536)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
                conn.close()
            else:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def fetcher():
    f = Fetcher(POLITE)
    yield f
    f.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _error(fetcher, url) -> str:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url)
    return str(caught.value)


def test_refused_names_host_and_port_whole(fetcher):
    port = _closed_port()
    text = _error(fetcher, f"http://127.0.0.1:{port}/list/")
    # was: 'NewConnectionError: "HTTPConnection(host= (after 2 attempts)'
    assert text == f"http://127.0.0.1:{port}/list/: connection refused by 127.0.0.1:{port} (after 2 attempts)"


def test_a_hung_server_is_a_read_timeout_with_its_seconds(fetcher):
    server = Server("hang")
    try:
        text = _error(fetcher, f"http://127.0.0.1:{server.port}/list/")
    finally:
        server.close()
    assert f"timed out after 1 s reading 127.0.0.1:{server.port} (after 2 attempts)" in text, text


def test_a_reset_names_the_reset(fetcher):
    server = Server("reset")
    try:
        text = _error(fetcher, f"http://127.0.0.1:{server.port}/list/")
    finally:
        server.close()
    assert f"reset by 127.0.0.1:{server.port}" in text or "broken before the answer was complete" in text, text
    assert "(after 2 attempts)" in text and "HTTPConnection" not in text


def test_tls_failure_says_tls_and_where(fetcher):
    server = Server("plain")
    try:
        text = _error(fetcher, f"https://127.0.0.1:{server.port}/list/")
    finally:
        server.close()
    assert ": TLS: " in text and f"(127.0.0.1:{server.port})" in text, text
    assert "wrong version number" in text.lower() or "record layer" in text.lower(), text


def test_dns_failure_names_the_host():
    # A real lookup would leave 127.0.0.0/8 (the resolver): the chain urllib3 builds for it, with the OS's error.
    err = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    conn = urllib3.connection.HTTPConnection("gov.example", 80)
    try:
        try:
            raise err
        except socket.gaierror as exc:
            raise urllib3.exceptions.NameResolutionError("gov.example", conn, exc) from exc
    except urllib3.exceptions.NameResolutionError as wrapped:
        outer = urllib3.exceptions.MaxRetryError(None, "http://gov.example/", wrapped)
    assert describe_error(outer) == "DNS lookup failed for gov.example (Name or service not known)"


def test_a_message_of_our_own_keeps_its_words_and_gains_the_cause():
    try:
        try:
            socket.create_connection(("127.0.0.1", _closed_port()), timeout=1)
        except OSError as exc:
            raise RuntimeError("publishing the warehouse failed") from exc
    except RuntimeError as outer:
        text = describe_error(outer)
    assert text.startswith("RuntimeError: publishing the warehouse failed (connection refused by ")


def test_long_text_is_cut_at_a_word_never_inside_one():
    text = "list page http://127.0.0.1/a/b: connection refused by 127.0.0.5:80 (after 4 attempts)"
    cut = cut_at_word(text, 60)
    assert cut.endswith("…") and len(cut) <= 60
    assert text.startswith(cut[:-1]) and text[len(cut) - 1] == " "  # the cut falls on a space
    assert cut_at_word(text, 500) == text


def test_fzzf_crawl_prints_the_root_cause_whole(tmp_path):
    """The CLI's run summary carries the same words as the crawl log and the alert."""
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    port = _closed_port()
    registry = tmp_path / "registry.yaml"
    gov = {"id": "510001", "name": "测试县", "level": "county", "province": "四川省", "reports_from": 2021,
           "list_urls": [f"http://127.0.0.1:{port}/fzzf/"]}  # fmt: skip
    registry.write_text(yaml.safe_dump({"governments": [gov]}, allow_unicode=True), encoding="utf-8")
    fzzf = Path(sys.executable).with_name("fzzf")
    argv = [str(fzzf), "crawl", "--data-dir", str(tmp_path / "data"), "--registry", str(registry)]
    proc = subprocess.run(
        [*argv, "--allow-private-hosts", "--delay", "0", "--no-progress"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # every portal down
    [line] = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("510001: failed: ")]
    assert line.endswith(f"connection refused by 127.0.0.1:{port} (after 4 attempts)); site treated as disallowed")
