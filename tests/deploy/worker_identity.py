"""``[core] hostname_callable`` for the two Celery workers of the distributed test, which share one machine."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("FZZF_TEST_WORKER_NAME") or socket.getfqdn()
