"""Bad input and a hostile environment: a clear message, exit code 2 (usage/configuration) or 1 (failure), no
traceback, and nothing half-written."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest

from .conftest import (
    AS_OF,
    base_env,
    healthy,
    run_fzzf,
    write_registry,
)

pytestmark = pytest.mark.reliability


def _no_traceback(ran):
    assert "Traceback (most recent call last)" not in ran.output, ran.output[-3000:]


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


BAD_REGISTRIES = {
    "not_yaml": ("governments: [\n  - id: x\n    name: [unclosed\n", "not valid YAML"),
    "unknown_key": (
        "governments:\n  - {id: a, name: 甲, level: county, province: 四川省, list_urls: ['http://127.0.0.1/'], colour: red}\n",
        "colour",
    ),
    "bad_url": (
        "governments:\n  - {id: a, name: 甲, level: county, province: 四川省, list_urls: ['file:///etc/passwd']}\n",
        "list_urls",
    ),
    "duplicate_id": (
        "governments:\n"
        "  - {id: a, name: 甲, level: county, province: 四川省, list_urls: ['http://127.0.0.1/']}\n"
        "  - {id: a, name: 乙, level: county, province: 四川省, list_urls: ['http://127.0.0.1/b']}\n",
        "duplicate id",
    ),
    "empty": ("", "governments"),
    "binary": (b"\xff\xfe\x00junk\x80".decode("latin-1"), "registry"),
}


@pytest.mark.parametrize("case", sorted(BAD_REGISTRIES))
@pytest.mark.parametrize("command", ["crawl", "build"])
def test_bad_registry_is_a_usage_error_and_writes_nothing(tmp_path, case, command):
    content, expected = BAD_REGISTRIES[case]
    registry = tmp_path / "registry.yaml"
    if case == "binary":
        registry.write_bytes(b"\xff\xfe\x00junk\x80")
    else:
        registry.write_text(content, encoding="utf-8")
    data = tmp_path / "data"
    args = [command, "--registry", str(registry), "--data-dir", str(data)]
    if command == "build":
        args += ["--as-of", AS_OF.isoformat(), "--no-alerts"]
    ran = run_fzzf(args, base_env(tmp_path), timeout=60)
    assert ran.returncode == 2, ran.output[-2000:]
    _no_traceback(ran)
    assert str(registry) in ran.stderr, ran.stderr
    assert expected in ran.stderr, ran.stderr
    assert _tree(data) == [], _tree(data)


def test_missing_registry_file(tmp_path):
    ran = run_fzzf(
        ["crawl", "--registry", str(tmp_path / "nope.yaml"), "--data-dir", str(tmp_path / "d")], base_env(tmp_path)
    )
    assert ran.returncode == 2 and "file not found" in ran.stderr, ran.output
    _no_traceback(ran)
    assert not (tmp_path / "d").exists()


BAD_ARGS = [
    (["crawl", "--delay", "soon"], "invalid float value"),
    (["crawl", "--only"], "expected at least one argument"),
    (["crawl", "--bogus"], "unrecognized arguments"),
    (["build", "--as-of", "2024-13-01"], "not a date"),
    (["build", "--as-of", "yesterday"], "not a date"),
    (["missing", "--as-of", "31/12/2024"], "not a date"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
]


@pytest.mark.parametrize(("args", "expected"), BAD_ARGS, ids=[" ".join(a) or "none" for a, _ in BAD_ARGS])
def test_bad_arguments_exit_2_with_the_reason(tmp_path, args, expected):
    data = tmp_path / "data"
    ran = run_fzzf([*args, *(["--data-dir", str(data)] if args and args[0] in ("crawl", "build") else [])],
                   base_env(tmp_path, FZZF_DATA_DIR=str(data)), timeout=60)  # fmt: skip
    assert ran.returncode == 2, ran.output
    assert expected in ran.stderr, ran.stderr
    _no_traceback(ran)
    assert not data.exists()


def test_only_with_an_unknown_id(farm, tmp_path):
    gov = healthy(farm, "ok_a", "安州区")
    registry = write_registry(tmp_path / "registry.yaml", [gov])
    data = tmp_path / "data"
    ran = run_fzzf(["crawl", "--registry", str(registry), "--data-dir", str(data), "--only", "ok_a", "nosuch"],
                   base_env(tmp_path))  # fmt: skip
    assert ran.returncode == 2 and "nosuch" in ran.stderr, ran.output
    _no_traceback(ran)
    assert farm.all_hits() == [] and not data.exists()


def test_bad_environment_value_is_a_clear_error(farm, tmp_path):
    gov = healthy(farm, "ok_a", "安州区")
    registry = write_registry(tmp_path / "registry.yaml", [gov])
    data = tmp_path / "data"
    ran = run_fzzf(["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts"],
                   base_env(tmp_path, FZZF_TIMEOUT="twenty"))  # fmt: skip
    assert ran.returncode == 2, ran.output[-2000:]
    assert "FZZF_TIMEOUT" in ran.stderr, ran.stderr
    _no_traceback(ran)
    assert farm.all_hits() == []


# the data directory ------------------------------------------------------------------------------------------------
def _no_uncaught(ran):
    """The command may log a handled error with its trace, but must not die of an uncaught exception."""
    assert 'scrapers/cli.py", line' not in ran.stderr, ran.stderr[-3000:]


def _drop_root_file_powers():
    """Root ignores permission bits; drop CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER from the bounding
    set before exec so the CLI runs as a root without them (and cannot chmod its way back)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("command", ["crawl", "build"])
def test_unreadable_data_directory(farm, tmp_path, command):
    gov = healthy(farm, "ok_a", "安州区")
    registry = write_registry(tmp_path / "registry.yaml", [gov])
    data = tmp_path / "data"
    data.mkdir()
    (data / "keep.txt").write_text("x")
    data.chmod(0)
    try:
        extra = {"preexec_fn": _drop_root_file_powers} if os.geteuid() == 0 else {}
        args = [command, "--registry", str(registry), "--data-dir", str(data)]
        args += ["--allow-private-hosts"] if command == "crawl" else ["--as-of", AS_OF.isoformat(), "--no-alerts"]
        ran = run_fzzf(args, base_env(tmp_path), timeout=60, **extra)
    finally:
        data.chmod(0o755)
    assert ran.returncode in (1, 2), ran.output[-2000:]
    _no_uncaught(ran)
    assert str(data) in ran.output, ran.output[-2000:]
    assert "ermission" in ran.output, ran.output[-2000:]
    assert farm.all_hits() == []  # nothing fetched that could not be kept
    assert _tree(data) == ["keep.txt"]


def test_data_directory_that_is_a_file(farm, tmp_path):
    gov = healthy(farm, "ok_a", "安州区")
    registry = write_registry(tmp_path / "registry.yaml", [gov])
    data = tmp_path / "data"
    data.write_text("not a directory")
    ran = run_fzzf(["crawl", "--registry", str(registry), "--data-dir", str(data), "--allow-private-hosts"],
                   base_env(tmp_path))  # fmt: skip
    assert ran.returncode in (1, 2), ran.output[-2000:]
    _no_uncaught(ran)
    assert str(data) in ran.output
    assert data.read_text() == "not a directory"


# a full disk --------------------------------------------------------------------------------------------------------
def _disk(pipeline):
    assert "full disk" not in pipeline.errors, pipeline.errors.get("full disk")
    return pipeline.disk


def test_full_disk_lands_and_publishes_nothing_partial(pipeline):
    """pipeline.py copies its data directory onto a small tmpfs and fills it: a crawl and a build fail there; what
    was landed and published before is untouched, and with room again the crawl catches up."""
    d = _disk(pipeline)
    assert d["crawl"].returncode in (1, 2), d["crawl"].output[-2000:]
    assert d["build"].returncode in (1, 2), d["build"].output[-2000:]
    assert d["problems"] == []
    assert d["landed_after_crawl"] == d["landed_before"]  # nothing new and nothing partial landed
    assert d["published_after"] == d["published_before"]  # the published warehouse is untouched
    assert d["crawl_with_room"].returncode == 0, d["crawl_with_room"].output[-2000:]
    assert pipeline.notes["disk_new_report_url"] in d["urls_with_room"]


@pytest.mark.parametrize("step", ["crawl", "build"])
def test_full_disk_is_a_clear_message(pipeline, step):
    ran = _disk(pipeline)[step]
    assert ran.returncode in (1, 2), ran.output[-2000:]
    _no_uncaught(ran)
    text = ran.stdout + ran.stderr.splitlines()[-1] if ran.stderr.strip() else ran.stdout
    assert "No space left" in ran.output or "File too large" in ran.output, ran.output[-2000:]
    assert "No space left" in text or "disk" in text.lower() or "File too large" in text, text[-2000:]
