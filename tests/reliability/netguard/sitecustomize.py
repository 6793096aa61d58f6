"""Loaded into every ``fzzf`` subprocess the reliability tests start (via PYTHONPATH): a network and file witness.

An audit hook records every ``socket.connect`` target and every ``socket.getaddrinfo`` host to the file named by
``FZZF_TEST_NETLOG``, one JSON object per line, and refuses (PermissionError) any connect to an address outside
127.0.0.0/8, so no packet leaves the machine even if the crawler's own guard failed; the test then fails on the log.
It also records any attempt to open a path listed in ``FZZF_TEST_CANARIES`` (``file://`` links must never be read).

``FZZF_TEST_STOP_AT_OPEN=a|b`` freezes the process (SIGSTOP to itself) the first time it opens a path containing
all of the substrings ``a`` and ``b``: the kill tests SIGKILL it there, at an exact point between two writes.
Nothing here changes what the crawler does on loopback.
"""

import ipaddress
import json
import os
import signal
import sys
import threading

_LOG = os.environ.get("FZZF_TEST_NETLOG")
_CANARIES = {p for p in os.environ.get("FZZF_TEST_CANARIES", "").split(os.pathsep) if p}
_STOP_AT = [p for p in os.environ.get("FZZF_TEST_STOP_AT_OPEN", "").split("|") if p]
_stopped = []
_local = threading.local()


def _write(event: dict) -> None:
    if not _LOG:
        return
    _local.busy = True
    try:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")
    finally:
        _local.busy = False


def _is_loopback(host) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _hook(event, args):
    if getattr(_local, "busy", False):
        return
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2:
            host, port = address[0], address[1]
            ok = _is_loopback(host)
            _write({"event": "connect", "host": str(host), "port": port, "allowed": ok, "pid": os.getpid()})
            if not ok:
                raise PermissionError(f"test netguard: connect to non-loopback {host}:{port} blocked")
    elif event == "socket.getaddrinfo":
        _write({"event": "getaddrinfo", "host": str(args[0]), "pid": os.getpid()})
    elif event == "open" and (_CANARIES or _STOP_AT):
        path = args[0]
        if isinstance(path, (str, bytes, os.PathLike)):
            path = os.fsdecode(path)
            if path in _CANARIES:
                _write({"event": "canary", "path": path, "pid": os.getpid()})
            if _STOP_AT and not _stopped and all(part in path for part in _STOP_AT):
                _stopped.append(path)
                _write({"event": "stopped", "path": path, "pid": os.getpid()})
                os.kill(os.getpid(), signal.SIGSTOP)


if _LOG or _STOP_AT:
    sys.addaudithook(_hook)
