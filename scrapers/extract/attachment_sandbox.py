"""Read one PDF/DOCX attachment in a child process held to hard limits (``settings.AttachmentLimits``), so one
hostile file costs at most those limits and an error row, never the crawl of the other governments.

A DOCX is a zip: its parts' declared sizes are summed from the central directory before anything is inflated (the
zip reader stops at the declared size, so the sum holds). Everything else (a PDF whose pages all share one heavy
content stream, a parser that allocates without end) is bounded in the child: address space (``RLIMIT_AS``), CPU
time (``RLIMIT_CPU``) and wall time (killed at ``seconds``).
"""

from __future__ import annotations

import io
import json
import resource
import signal
import subprocess
import sys
import zipfile

from scrapers.collect.errors import cut_at_word
from scrapers.settings import AttachmentLimits

__all__ = ["check_inflated_size", "read_in_sandbox"]


class _Refused(ValueError):
    pass


def check_inflated_size(content: bytes, name: str, limits: AttachmentLimits) -> None:
    """Raise ValueError when a zip-based attachment declares more inflated bytes than the cap."""
    if not content.startswith(b"PK"):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return  # not a readable zip: the reader says so with its own message
    cap = limits.inflated_mb * 1024 * 1024
    if total > cap:
        raise _Refused(
            f"{name}: inflates to {total / 1e6:.0f} MB, over the cap of {limits.inflated_mb} MB "
            f"(FZZF_ATTACHMENT_INFLATED_MB); not read"
        )


def read_in_sandbox(content: bytes, name: str, limits: AttachmentLimits | None = None) -> list[str]:
    """The attachment's paragraphs, read by a child process; ValueError (AttachmentError's base) with the reason
    when it is not a readable PDF/DOCX or passes a limit."""
    limits = limits or AttachmentLimits()
    check_inflated_size(content, name, limits)
    command = [sys.executable, "-m", __name__, name, repr(limits.seconds), str(limits.memory_mb)]
    try:
        proc = subprocess.run(command, input=content, capture_output=True, timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        raise _Refused(
            f"{name}: reading stopped after {limits.seconds:g} s (cap FZZF_ATTACHMENT_SECONDS); not read"
        ) from None
    if proc.returncode < 0:
        why = signal.Signals(-proc.returncode).name
        raise _Refused(
            f"{name}: the reader was killed ({why}) at the limits of {limits.seconds:g} s CPU and "
            f"{limits.memory_mb} MB (FZZF_ATTACHMENT_SECONDS, FZZF_ATTACHMENT_MEMORY_MB); not read"
        )
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise _Refused(f"{name}: the reader failed (exit {proc.returncode}): {cut_at_word(tail[0], 300)}") from None
    if "error" in answer:
        raise _Refused(answer["error"])
    return answer["paragraphs"]


def _child(name: str, seconds: float, memory_mb: int) -> None:
    cpu = max(1, int(seconds + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)
    content = sys.stdin.buffer.read()
    try:
        from scrapers.extract.attachments import AttachmentError, paragraphs_in_process

        answer = {"paragraphs": paragraphs_in_process(content, name)}
    except AttachmentError as exc:
        answer = {"error": f"{name}: {exc}" if not str(exc).startswith(name) else str(exc)}
    except MemoryError:
        answer = {"error": f"{name}: needs more than {memory_mb} MB to read (cap FZZF_ATTACHMENT_MEMORY_MB); not read"}
    except Exception as exc:  # noqa: BLE001 - C parsers (lxml) report a failed allocation as their own error
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if peak_mb >= memory_mb / 2:
            why = f"ran out of its {memory_mb} MB (cap FZZF_ATTACHMENT_MEMORY_MB) at {peak_mb:.0f} MB in use"
        else:
            why = "unreadable"
        answer = {"error": f"{name}: {why} ({type(exc).__name__}: {cut_at_word(str(exc), 200)}); not read"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    _child(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
