"""A crawl of real portals names a real contact in its User-Agent (issue 22, item 10): with the shipped placeholder
(example.org) it refuses to start and says how to set FZZF_CONTACT; the demo and the loopback farms run without it;
every crawl logs the User-Agent it uses. Real ``fzzf crawl`` runs; the "real" portal is a name under ``.invalid``
(RFC 6761), which never resolves, so nothing leaves the machine even if the refusal were missing."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scrapers.collect.contact import public_hosts, require_contact
from scrapers.demo.portal import DemoPortal
from scrapers.settings import PLACEHOLDER_CONTACT, USER_AGENT, Politeness, SettingsError

REPO = Path(__file__).resolve().parents[2]
REAL = "http://www.fzzf-portal.invalid/fzjs/ndbg/"
REGISTRY = f"""governments:
  - id: "330100"
    name: 杭州市人民政府
    level: city
    province: 浙江省
    division_code: "330100"
    list_urls: ["{REAL}"]
"""


def fzzf(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("fzzf")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in ("FZZF_CONTACT", "FZZF_USER_AGENT")}
    return {**clean, "FZZF_DATA_DIR": str(tmp_path / "data"), "FZZF_RETRIES": "0", "FZZF_TIMEOUT": "2",
            "FZZF_DELAY": "0", "FZZF_BROWSER": "0"}  # fmt: skip


def test_a_crawl_of_real_portals_with_the_placeholder_contact_refuses_to_start(tmp_path, env):
    registry = tmp_path / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")

    proc = fzzf("crawl", "--registry", str(registry), env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "placeholder contact" in proc.stderr and "FZZF_CONTACT" in proc.stderr
    assert "www.fzzf-portal.invalid" in proc.stderr and PLACEHOLDER_CONTACT in proc.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was written

    # With a contact it starts (and logs the User-Agent it sends); the portal that does not exist then fails.
    proc = fzzf("crawl", "--registry", str(registry), env={**env, "FZZF_CONTACT": "data-team@fzzf.test"}, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "crawl with User-Agent: fzzf/0.1 (+https://github.com/fzzf/fzzf; mailto:data-team@fzzf.test)" in proc.stderr


def test_the_demo_portal_crawls_with_the_placeholder_and_logs_it(tmp_path, env):
    with DemoPortal() as portal:
        registry = tmp_path / "registry.yaml"
        registry.write_text(portal.registry_yaml(), encoding="utf-8")
        only = portal.governments[0].id
        proc = fzzf(
            "crawl", "--registry", str(registry), "--allow-private-hosts", "--only", only, env=env, cwd=tmp_path
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        f"crawl with User-Agent: fzzf/0.1 (+https://github.com/fzzf/fzzf; mailto:{PLACEHOLDER_CONTACT})" in proc.stderr
    )


def test_the_collect_dags_plan_refuses_too(tmp_path, monkeypatch):
    from scrapers.orchestration.tasks import plan_crawl

    registry = tmp_path / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    for name in ("FZZF_CONTACT", "FZZF_USER_AGENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FZZF_REGISTRY", str(registry))
    monkeypatch.setenv("FZZF_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(SettingsError, match="FZZF_CONTACT"):
        plan_crawl()
    assert not (tmp_path / "data").exists()
    monkeypatch.setenv("FZZF_USER_AGENT", "statistik-bot/2 (+mailto:ops@fzzf.test)")
    assert [p["government_id"] for p in plan_crawl()] == ["330100"]


def test_only_public_hosts_count_as_real(tmp_path, monkeypatch):
    local = Politeness(allow_private_hosts=True, user_agent=USER_AGENT)  # the placeholder contact
    urls = ["http://127.0.0.1:8080/a", "http://localhost/b", "http://10.1.2.3/c", "http://[::1]/d"]
    assert public_hosts(urls, local) == []
    assert public_hosts([*urls, "https://www.gov.cn/x", "http://8.8.8.8/"], local) == ["www.gov.cn", "8.8.8.8"]
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.5 www.zj.gov.cn\n", encoding="utf-8")
    monkeypatch.setenv("FZZF_HOSTS", str(hosts))  # a test farm behind real-looking names
    assert public_hosts(["http://www.zj.gov.cn/", "http://www.js.gov.cn/"], local) == ["www.js.gov.cn"]
    # registry resolve finds its hosts on the way: only a run allowed private hosts is not a real one
    require_contact(local, None)
    with pytest.raises(SettingsError, match="FZZF_CONTACT"):
        require_contact(replace(local, allow_private_hosts=False), None)
