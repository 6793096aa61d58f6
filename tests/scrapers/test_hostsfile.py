"""FZZF_HOSTS replaces DNS in every fetch: a listed name reaches its loopback address (Host header and robots.txt
stay the name's), an unlisted one fails at once with no request and no retries; it needs private hosts allowed."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from farm.portal_tree import Page, Tree, TreeServer  # noqa: E402

from scrapers.collect.fetch import Fetcher, FetchError  # noqa: E402
from scrapers.settings import Politeness, SettingsError  # noqa: E402


@pytest.fixture
def served(tmp_path, monkeypatch):
    tree = Tree(sites={"www.yongning.gov.cn": {"/": Page("永宁县人民政府".encode())}},
                addresses={"www.yongning.gov.cn": "127.21.250.1"})  # fmt: skip
    hosts = tmp_path / "hosts"
    hosts.write_text("# farm\n127.21.250.1   www.yongning.gov.cn  yongning.gov.cn  # alias on the same line\n")
    monkeypatch.setenv("FZZF_HOSTS", str(hosts))
    with TreeServer(tree) as server:
        yield server


def _fetcher(**changes) -> Fetcher:
    return Fetcher(dataclasses.replace(Politeness(), delay=0, retries=3, **changes))


def test_a_listed_name_is_fetched_from_its_address(served):
    fetcher = _fetcher(allow_private_hosts=True)
    response = fetcher.fetch("http://www.yongning.gov.cn/")
    assert response.status == 200 and "永宁县人民政府" in response.text()
    assert served.requests["www.yongning.gov.cn"] == 2  # robots.txt, then the page, both asked by name


def test_an_unlisted_name_does_not_resolve_and_costs_no_retries(served):
    fetcher = _fetcher(allow_private_hosts=True)
    with pytest.raises(FetchError) as caught:
        fetcher.fetch("http://www.example-not-listed.gov.cn/")
    assert caught.value.kind == "no_host" and caught.value.requests_made == 0
    assert "not in FZZF_HOSTS" in str(caught.value)
    assert sum(served.requests.values()) == 0 and fetcher.requests_made == 0


def test_the_file_needs_private_hosts_allowed(served):
    with pytest.raises(SettingsError, match="FZZF_HOSTS is set .* --allow-private-hosts"):
        _fetcher(allow_private_hosts=False)


def test_a_bad_line_names_the_file_and_the_line(tmp_path, monkeypatch):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.21.250.1 www.a.gov.cn\nwww.b.gov.cn 127.21.250.2\n")
    monkeypatch.setenv("FZZF_HOSTS", str(hosts))
    with pytest.raises(SettingsError, match=r"hosts: line 2: 'www.b.gov.cn' is not an IP address"):
        _fetcher(allow_private_hosts=True)
