"""Simulation of a production night: 200 accounts on N parallel task slots, with rate limits.

Not a model: every account is captured by the real capture code (``capture_account``, as each
Airflow task runs it), in a pool of N worker processes standing in for Airflow's task slots,
from several fake Mastodon instances on loopback into one file store. The fake instances
enforce Mastodon's rate limiting (per client address, per instance, in aligned windows), and
all workers share one address, as a municipality's servers share one egress address.

Measured, in one run:

* the night on 1, 2, 4 and 8 slots without rate limits (what parallelism buys on this machine);
* the night on 4 slots under rate limits of decreasing allowance (what the platform allows);
* the night on 1, 2, 4 and 8 slots under the tightest of those limits (whether more slots help
  once the platform sets the pace: the case for one Airflow pool per platform);
* the same tight night on 4 slots with the accounts taken in inventory order, where each
  instance's accounts are listed together, instead of spread round robin over the instances as
  the DAG hands them out (archive_lib/capture/host_order.py): neighbours on one instance compete for its
  allowance while the others' goes unused.

Rate limits are Mastodon's 300 requests per 300 s per address, time-scaled so a night fits in
seconds: ``--window`` seconds per window and the limit per window given as requests per second.
Every response is delayed by ``--latency`` seconds, standing in for the network and the
platform's own time (a real platform's work does not run on our cores; the fake's does, so
without the delay the night would measure the fake). The fake servers run in this process on
the same cores as the workers, so figures are ratios to the 1-slot night of the same run, not
absolute capacities.

    .venv/bin/python bench/night_sim.py                 # 200 accounts on 4 instances
    .venv/bin/python bench/night_sim.py --accounts 40   # a quick look
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime as dt
import json
import logging
import multiprocessing
import pathlib
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fakes.mastodon import FakeMastodon  # noqa: E402
from tests.fakes.mastodon_sample import populate_bulk  # noqa: E402

INVENTORY_HEAD = """\
organisation: Kristianstads kommun
retention_classes: {bevaras: {keep: permanent}}
accounts:
"""
ACCOUNT = """\
  - {{id: {id}, board: Nämnd {n}, platform: mastodon, handle: {handle}, api_base: '{api_base}',
     retention: bevaras, responsible: Anna Andersson, substitute: Bo Berg}}
"""


@dataclass
class Night:
    label: str
    slots: int
    rate_per_instance: float | None  # requests per second each instance allows; None: unlimited
    accounts: int
    failed: int
    requests: int
    seconds: float
    task_seconds: float  # the accounts' own capture times, added up
    lower_bound: float  # requests per instance / allowed rate, less the first window's burst
    order: str  # "spread" round robin over the instances (the DAG's order) or "inventory" order


# -- one task slot (a worker process) -----------------------------------------------------------

_INVENTORY: object = None


def _capture(inventory_path: str, store_url: str, account_id: str, night: str) -> tuple[str, int, float]:
    """One Airflow task's work: capture one account's night. Runs in a worker process."""
    global _INVENTORY
    from archive_lib.capture.account import CaptureOptions, capture_account
    from archive_lib.inventory import load_inventory
    from archive_lib.storage import open_store

    if _INVENTORY is None or _INVENTORY.path != inventory_path:  # type: ignore[attr-defined]
        logging.getLogger("archive_lib").setLevel(logging.ERROR)  # 429 waits are expected here
        _INVENTORY = load_inventory(inventory_path)
    inventory = _INVENTORY
    start = time.perf_counter()
    result = capture_account(
        inventory.account(account_id),  # type: ignore[attr-defined]
        open_store(store_url),
        dt.date.fromisoformat(night),
        options=CaptureOptions(contact="bench@example.invalid"),
    )
    return result.status, result.http_requests, time.perf_counter() - start


# -- the night ----------------------------------------------------------------------------------


@contextlib.contextmanager
def platform_latency(seconds: float) -> Iterator[None]:
    """Delay every response of the fake servers in this process by ``seconds``."""
    from tests.fakes.mastodon_http import MastodonHandler

    original = MastodonHandler.do_GET

    def delayed(handler: MastodonHandler) -> None:
        time.sleep(seconds)  # a server thread waits, as on a network: other requests go on
        original(handler)

    MastodonHandler.do_GET = delayed  # type: ignore[method-assign]
    try:
        yield
    finally:
        MastodonHandler.do_GET = original  # type: ignore[method-assign]


def night(
    label: str,
    slots: int,
    rate: float | None,
    args: argparse.Namespace,
    folder: pathlib.Path,
    order: str = "spread",
) -> Night:
    """Fresh instances and a fresh store; every account captured on ``slots`` worker processes."""
    per_instance = args.accounts // args.instances
    with ExitStack() as stack:
        stack.enter_context(platform_latency(args.latency))
        fakes = []
        for _ in range(args.instances):
            limit = max(1, round(rate * args.window)) if rate else 300
            fake = FakeMastodon(
                api_limit=limit,
                api_period=args.window,
                paging_limit=limit,
                paging_period=args.window,
            )
            fake.limiter.enabled = rate is not None
            stack.enter_context(fake)
            fakes.append(fake)
        inventory = folder / f"inventory-{label}.yaml"
        lines = [INVENTORY_HEAD]
        jobs = []
        for i, fake in enumerate(fakes):
            for j in range(per_instance):
                handle = f"konto{j:03d}"
                populate_bulk(
                    fake,
                    handle,
                    args.posts,
                    args.comments,
                    commenters=5,
                    spacing=dt.timedelta(hours=6),
                )
                account_id = f"i{i}-{handle}"
                lines.append(ACCOUNT.format(id=account_id, n=j, handle=handle, api_base=fake.base_url))
                jobs.append(account_id)
        inventory.write_text("".join(lines), encoding="utf-8")
        if order == "spread":  # the DAG's order: round robin over the hosts (archive_lib.capture.host_order)
            from archive_lib.capture.host_order import spread_over_hosts
            from archive_lib.inventory import load_inventory

            jobs = [a.id for a in spread_over_hosts(load_inventory(inventory).accounts)]
        store = (folder / f"store-{label}").as_uri()
        today = dt.datetime.now(dt.UTC).date().isoformat()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            ["archive_lib.capture.account", "archive_lib.inventory", "archive_lib.storage"]
        )
        with concurrent.futures.ProcessPoolExecutor(max_workers=slots, mp_context=context) as pool:
            # Start the slots before the clock runs: Airflow's workers are already up at night.
            list(pool.map(_noop, range(slots)))
            start = time.perf_counter()
            results = list(
                pool.map(_capture, *zip(*[(str(inventory), store, a, today) for a in jobs], strict=True))
            )
            seconds = time.perf_counter() - start
        requests = sum(r[1] for r in results)
        # Windows are aligned, so the first window's allowance comes at once: no schedule can
        # finish sooner than this, however many slots it has.
        bound = max(0.0, requests / args.instances / rate - args.window) if rate else 0.0
        return Night(
            label,
            slots,
            rate,
            len(jobs),
            sum(1 for r in results if r[0] != "ok"),
            requests,
            round(seconds, 2),
            round(sum(r[2] for r in results), 2),
            round(bound, 2),
            order,
        )


def ratio(n: Night, one: dict[float | None, float]) -> str:
    base = one.get(n.rate_per_instance)
    return f"{n.seconds / base:.2f}" if base else "-"


def _noop(_: int) -> None:
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200, help="accounts in the inventory")
    parser.add_argument("--instances", type=int, default=4, help="fake Mastodon instances they live on")
    parser.add_argument("--posts", type=int, default=3, help="posts per account")
    parser.add_argument("--comments", type=int, default=3, help="comments per post")
    parser.add_argument("--window", type=int, default=5, help="rate-limit window, seconds (Mastodon: 300)")
    parser.add_argument(
        "--rates", default="40,20", help="requests per second per instance to try (Mastodon: 1)"
    )
    parser.add_argument("--latency", type=float, default=0.03, help="seconds each response is delayed")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    nights: list[Night] = []
    with tempfile.TemporaryDirectory(prefix="archive-night-") as tmp:
        folder = pathlib.Path(tmp)
        tight = rates[-1]
        runs = [(f"free-{s}", s, None, "spread") for s in (1, 2, 4, 8)]
        runs += [(f"rate{r:g}-4", 4, r, "spread") for r in rates[:-1]]
        runs += [(f"rate{tight:g}-{s}", s, tight, "spread") for s in (1, 2, 4, 8)]
        runs += [(f"rate{tight:g}-4-inventory", 4, tight, "inventory")]
        for label, slots, rate, order in runs:
            limit = "no rate limit" if rate is None else f"{rate:g} requests/s per instance"
            print(f"night {label}: {args.accounts} accounts, {slots} slots, {limit}, {order} ...", flush=True)
            nights.append(night(label, slots, rate, args, folder, order))
    one = {n.rate_per_instance: n.seconds for n in nights if n.slots == 1 and n.order == "spread"}
    print()
    print(
        f"{'night':<18} {'slots':>5} {'limit/inst':>10} {'accounts':>8} {'failed':>6} {'requests':>8} "
        f"{'wall s':>7} {'x 1 slot':>8} {'bound s':>7}"
    )
    # "x 1 slot": the wall time against the 1-slot night under the same limit (or none).
    for n in nights:
        limit = "none" if n.rate_per_instance is None else f"{n.rate_per_instance:g}/s"
        print(
            f"{n.label:<18} {n.slots:>5} {limit:>10} {n.accounts:>8} {n.failed:>6} {n.requests:>8} "
            f"{n.seconds:>7} {ratio(n, one):>8} {n.lower_bound:>7}"
        )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "night_sim.json").write_text(
        json.dumps({"args": vars(args), "nights": [asdict(n) for n in nights]}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
