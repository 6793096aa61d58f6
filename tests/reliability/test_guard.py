"""The address guard: without ``--allow-private-hosts`` nothing private, loopback, link-local or non-HTTP is fetched.

The URLs below are refused before any connection: the guard resolves numeric hosts locally (no packet is sent for
a literal address) and the fetcher's request counter stays at zero. The end-to-end test runs the real CLI against
the farm without the flag: the farm must receive nothing at all, and the crawl log must say why.
"""

from __future__ import annotations

import pytest

from .conftest import base_env, healthy, landing_rows, netlog, run_fzzf, write_registry

pytestmark = pytest.mark.reliability

REFUSED = [
    ("http://10.0.0.1/report.html", "refused"),
    ("http://10.255.255.254:8080/a", "refused"),
    ("http://172.16.0.1/", "refused"),
    ("http://192.168.1.1/", "refused"),
    ("http://169.254.169.254/latest/meta-data/", "refused"),
    ("http://127.0.0.1/", "refused"),
    ("http://127.0.0.2:1/", "refused"),
    ("http://127.1/", "refused"),  # shorthand for 127.0.0.1
    ("http://2130706433/", "refused"),  # 127.0.0.1 as one decimal number
    ("http://0x7f000001/", "refused"),  # and in hex
    ("http://localhost/", "refused"),
    ("http://[::1]/", "refused"),
    ("http://[::ffff:10.0.0.2]/", "refused"),  # IPv4-mapped IPv6
    ("http://[fe80::1]/", "refused"),
    ("http://0.0.0.0/", "refused"),
    ("http://100.64.0.1/", "refused"),  # carrier-grade NAT (shared address space)
    ("http://192.0.2.1/", "refused"),  # documentation
    ("http://198.18.0.1/", "refused"),  # benchmarking
    ("http://224.0.0.1/", "refused"),  # multicast
    ("http://255.255.255.255/", "refused"),  # broadcast
    ("http://[fc00::1]/", "refused"),  # unique local
    ("file:///etc/passwd", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("ftp://127.0.0.1/x", "scheme"),
    ("gopher://10.0.0.1:70/_x", "scheme"),
    ("http:///nohost", "scheme"),
]


@pytest.mark.parametrize(("url", "kind"), REFUSED)
def test_guard_refuses_before_connecting(url, kind):
    from scrapers.collect.fetch import Fetcher, FetchError
    from scrapers.settings import Politeness

    fetcher = Fetcher(Politeness(allow_private_hosts=False, delay=0, retries=0, timeout=0.5, obey_robots=False))
    try:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(url)
        assert info.value.kind == kind, (url, info.value.kind, str(info.value))
        assert info.value.requests_made == 0
        assert fetcher.requests_made == 0
    finally:
        fetcher.close()


def test_crawl_without_the_flag_sends_nothing_to_private_addresses(farm, tmp_path):
    """The CLI default refuses the farm's own loopback site: the farm hears nothing, the log says refused."""
    gov = healthy(farm, "ok_a", "安州区")
    registry = write_registry(tmp_path / "registry.yaml", [gov])
    env = base_env(tmp_path)
    env.pop("FZZF_ALLOW_PRIVATE_HOSTS", None)
    ran = run_fzzf(["crawl", "--registry", str(registry), "--data-dir", str(tmp_path / "data")], env, timeout=60)
    assert ran.returncode == 1, ran.output[-2000:]  # every portal failed
    assert farm.all_hits() == []
    assert [e for e in netlog(tmp_path) if e["event"] == "connect"] == []
    (row,) = landing_rows(tmp_path / "data", "crawl_log")
    assert row["status"] == "failed" and "refused" in row["error"], row
    assert "ok_a" in ran.stdout and "refused" in ran.stdout
