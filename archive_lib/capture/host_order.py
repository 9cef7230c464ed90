"""The order in which a night's accounts are handed to parallel task slots.

Rate limits count per platform host (a Mastodon instance, an API host) and client address.
Accounts listed together in the inventory often share a host, so slots working down the
inventory in order would all wait on one host's allowance while the others' go unused.
Taking the accounts round robin over their hosts spreads parallel captures across separate
limits (bench/night_sim.py measures the difference).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import zip_longest
from urllib.parse import urlsplit

from archive_lib.models import Account


def host_of(account: Account) -> str:
    """The rate-limit domain of an account: its API server (host and port), or its platform's API."""
    if account.api_base:
        parts = urlsplit(account.api_base)
        return (parts.netloc.rpartition("@")[2] or account.api_base).lower()
    return account.platform


def spread_over_hosts(accounts: Iterable[Account]) -> list[Account]:
    """``accounts`` round robin over their hosts; each host's accounts keep their inventory order."""
    by_host: dict[str, list[Account]] = {}
    for account in accounts:
        by_host.setdefault(host_of(account), []).append(account)
    rounds = zip_longest(*by_host.values())
    return [account for round_ in rounds for account in round_ if account is not None]
