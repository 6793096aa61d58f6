"""Who the crawler says it is: a crawl of real portals must name a contact a portal's operator can reach.

The User-Agent shipped carries a placeholder contact (``settings.PLACEHOLDER_CONTACT``, at example.org): fine for
the demo portal and the tests' loopback farms, wrong for a government's portal, whose operator would have nobody
to write to before blocking the crawler. So a crawl that would reach a public host refuses to start with it and
says how to set the contact; every crawl logs the User-Agent it uses.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapers.settings import Politeness, SettingsError

log = logging.getLogger("fzzf.collect")

# example.org/.com/.net are reserved for documentation (RFC 2606): a contact there reaches nobody.
_PLACEHOLDER = re.compile(r"\bexample\.(?:org|com|net)\b", re.IGNORECASE)


def has_placeholder_contact(user_agent: str) -> bool:
    return bool(_PLACEHOLDER.search(user_agent))


def public_hosts(urls: Iterable[str], politeness: Politeness) -> list[str]:
    """The hosts of ``urls`` that are real portals: not localhost, not a loopback or private address, not a name
    ``FZZF_HOSTS`` maps to one (a test farm or a staging mirror; it needs private hosts allowed anyway)."""
    mapped = None
    if politeness.allow_private_hosts and os.environ.get("FZZF_HOSTS", "").strip():
        from scrapers.collect import hostsfile

        mapped = hostsfile.read(os.environ["FZZF_HOSTS"].strip())
    found: list[str] = []
    for url in urls:
        host = (urlsplit(url).hostname or "").lower()
        if not host or host == "localhost" or host.endswith(".localhost"):
            continue
        address = mapped.address(host) if mapped is not None else None
        try:
            if not ipaddress.ip_address(address or host).is_global:
                continue
        except ValueError:
            pass  # a name: DNS decides, so a real host
        if host not in found:
            found.append(host)
    return found


def require_contact(politeness: Politeness, urls: Iterable[str] | None, what: str = "crawl") -> None:
    """``check_contact``, then log the User-Agent the ``what`` sends."""
    check_contact(politeness, urls, what)
    log.info("%s with User-Agent: %s", what, politeness.user_agent)


def check_contact(politeness: Politeness, urls: Iterable[str] | None, what: str = "crawl") -> None:
    """Refuse (``SettingsError``) a ``what`` that would reach a public host with the placeholder contact in the
    User-Agent. ``urls``: where it starts (every government's crawl URLs); None when the hosts are found on the way
    (registry resolve): then only a run allowed private hosts is not a real one."""
    agent = politeness.user_agent
    if has_placeholder_contact(agent):
        if urls is None:
            real = [] if politeness.allow_private_hosts else ["gov.cn portals"]
        else:
            real = public_hosts(urls, politeness)
        if real:
            raise SettingsError(
                f"refusing to {what} real portals ({', '.join(real[:3])}{', ...' if len(real) > 3 else ''}) with the "
                f"placeholder contact in the User-Agent ({agent!r}): a portal's operator must be able to reach you. "
                "Set FZZF_CONTACT to your e-mail address or a URL (e.g. FZZF_CONTACT=data-team@your-org.cn; see "
                ".env.example), or FZZF_USER_AGENT to a whole User-Agent with a contact"
            )
