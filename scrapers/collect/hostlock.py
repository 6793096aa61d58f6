"""Per-host request spacing shared by every thread and every process that crawls from one data directory.

Airflow maps one crawl task per government, so two processes may hit the same portal at once. Each host gets a small
file under ``DATA_DIR/locks/hosts/`` holding the earliest time its next request may start. A caller takes the file
lock only long enough to reserve a slot (read, advance by the delay, write), then sleeps outside the lock: requests
to one host are spaced ``delay`` apart however many workers want it, and different hosts never wait for each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

_SLOT = struct.Struct("<d")
# A reservation further ahead than this is a clock that jumped backwards (or a corrupt file), not a real queue.
_MAX_AHEAD = 3600.0


def host_key(host: str) -> str:
    """A file name for a host (with port): safe characters only, stable across processes."""
    return "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in host.lower()) or "_"


class HostGate:
    """Spaces request starts per host by ``delay`` seconds, across threads and processes.

    ``clock`` and ``sleep`` are injectable so tests can check the schedule without waiting; the clock must be shared
    by all processes (wall time), which is why it defaults to ``time.time``.
    """

    def __init__(
        self,
        lock_dir: Path | str | None,
        delay: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.lock_dir = Path(lock_dir) if lock_dir is not None else None
        self.delay = max(0.0, float(delay))
        self.clock = clock
        self.sleep = sleep
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._fds: dict[str, int] = {}
        self._memory: dict[str, float] = {}  # used when there is no lock directory (single process)
        self.waited = 0.0  # total seconds slept, for progress figures and tests

    def reserve(self, host: str, delay: float | None = None) -> float:
        """Book the next free slot for ``host``; returns the time the caller may start its request.

        ``delay`` overrides the gate's delay for this host (a robots.txt Crawl-delay asking for more)."""
        delay = self.delay if delay is None else max(0.0, delay)
        key = host_key(host)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            now = self.clock()
            if self.lock_dir is None:
                slot = self._next(self._memory.get(key), now)
                self._memory[key] = slot + delay
                return slot
            fd = self._fd(key)
            # flock is per open file: the threading lock above keeps this process's threads apart, the flock
            # keeps other processes apart.
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                data = os.pread(fd, _SLOT.size, 0)
                previous = _SLOT.unpack(data)[0] if len(data) == _SLOT.size else None
                slot = self._next(previous, now)
                os.pwrite(fd, _SLOT.pack(slot + delay), 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return slot

    def wait(self, host: str, delay: float | None = None) -> float:
        """Reserve a slot and sleep until it comes; returns the seconds slept."""
        if self.delay <= 0 and not delay and self.lock_dir is None:
            return 0.0
        slot = self.reserve(host, delay)
        pause = slot - self.clock()
        if pause > 0:
            self.sleep(pause)
            self.waited += pause
            return pause
        return 0.0

    def _next(self, previous: float | None, now: float) -> float:
        if previous is None or previous < now or previous > now + _MAX_AHEAD:
            return now
        return previous

    def _fd(self, key: str) -> int:
        fd = self._fds.get(key)
        if fd is None:
            assert self.lock_dir is not None
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_dir / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            self._fds[key] = fd
        return fd

    def close(self) -> None:
        with self._guard:
            for fd in self._fds.values():
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._fds.clear()
