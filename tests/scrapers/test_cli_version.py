"""``fzzf --version`` prints the version pyproject.toml declares, from the installed console script."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_version_is_the_projects():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    fzzf = Path(sys.executable).with_name("fzzf")
    proc = subprocess.run([str(fzzf), "--version"], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"fzzf {declared}\n"
