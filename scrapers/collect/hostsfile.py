"""``FZZF_HOSTS``: a hosts(5)-format file that replaces DNS for every fetch (test farms, staging mirrors).

With it set, a name the file lists connects to the file's address (the URL, the Host header and robots.txt stay the
name's), and a name it does not list does not resolve: the fetch fails at once, before any request and without the
retry series a network error gets, so a wrong host guess costs one attempt. It takes effect only where private
addresses are allowed (``--allow-private-hosts`` / ``FZZF_ALLOW_PRIVATE_HOSTS``): it exists to point names at
machines of our own, never to redirect a production crawl.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import requests

from scrapers.collect.deadline import DeadlineAdapter
from scrapers.settings import SettingsError

ENV = "FZZF_HOSTS"


class HostsMap:
    def __init__(self, path: Path, addresses: dict[str, str]):
        self.path, self.addresses = path, addresses

    def address(self, host: str) -> str | None:
        return self.addresses.get(host.lower().rstrip("."))


def read(path: Path | str) -> HostsMap:
    """Parse a hosts(5) file: ``address name [alias ...]`` per line, ``#`` starts a comment; the first line that
    names a host wins, as in /etc/hosts."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SettingsError(f"{ENV}={path}: cannot read ({exc.strerror or exc})") from None
    addresses: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            ipaddress.ip_address(fields[0])
        except ValueError:
            raise SettingsError(f"{ENV}={path}: line {number}: {fields[0]!r} is not an IP address") from None
        if len(fields) < 2:
            raise SettingsError(f"{ENV}={path}: line {number}: an address without a host name")
        for name in fields[1:]:
            addresses.setdefault(name.lower().rstrip("."), fields[0])
    return HostsMap(path, addresses)


def install(session: requests.Session, allow_private_hosts: bool, pool_size: int) -> HostsMap | None:
    """Mount adapters that connect by ``FZZF_HOSTS`` on ``session``; None when the variable is unset."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    if not allow_private_hosts:
        raise SettingsError(f"{ENV} is set ({value}) but private hosts are not allowed: add --allow-private-hosts "
                            "(or FZZF_ALLOW_PRIVATE_HOSTS=1), or unset it")  # fmt: skip
    hosts = read(value)
    adapter = _MappedAdapter(hosts, pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return hosts


def _mapped(base: type, hosts: HostsMap) -> type:
    class Mapped(base):
        def _new_conn(self):
            address = hosts.address(self._dns_host)
            if address is None:  # check_url refuses these first; this keeps a redirect hop from reaching DNS
                raise OSError(f"{self._dns_host} is not in {ENV} ({hosts.path})")
            name, self._dns_host = self._dns_host, address
            try:
                return super()._new_conn()
            finally:
                self._dns_host = name

    return Mapped


class _MappedAdapter(DeadlineAdapter):
    """The fetcher's adapter (whole-exchange deadline included) whose connections dial the file's addresses."""

    def __init__(self, hosts: HostsMap, **kwargs):
        self.hosts = hosts
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            scheme: type("Pool", (pool,), {"ConnectionCls": _mapped(pool.ConnectionCls, self.hosts)})
            for scheme, pool in self.poolmanager.pool_classes_by_scheme.items()
        }
