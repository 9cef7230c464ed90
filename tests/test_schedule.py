"""Accounts are handed to parallel slots round robin over their hosts' rate limits."""

from __future__ import annotations

from archive_lib.capture.host_order import host_of, spread_over_hosts
from archive_lib.inventory import parse_inventory
from tests.helpers import inventory_text


def test_accounts_alternate_between_hosts_and_keep_their_order_within_one() -> None:
    a = [{"id": f"a{i}", "handle": f"a{i}"} for i in range(3)]
    b = [{"id": f"b{i}", "handle": f"b{i}", "api_base": "https://Other.Example:8443"} for i in range(2)]
    inventory = parse_inventory(inventory_text("https://social.example", [*a, *b]))
    spread = spread_over_hosts(inventory.accounts)
    assert [x.id for x in spread] == ["a0", "b0", "a1", "b1", "a2"]
    assert host_of(spread[1]) == "other.example:8443"  # a server is its host and port
    assert spread_over_hosts([]) == []
