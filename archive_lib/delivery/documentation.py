"""The ``documentation/`` of a SIP, for the *arkivredovisning*: a system description and a data
dictionary, generated from the code that wrote the records.

* ``system-description.html``: the software and its version, what the archive captures and how,
  the store's layout (:mod:`archive_lib.layout`), the package's layout, the platform's blind
  spots, how to verify the package offline;
* ``data-dictionary.csv`` and the same table in the description: every Parquet column
  (:mod:`.dictionary`).
"""

from __future__ import annotations

import html
import io

from archive_lib import PRODUCT, __version__, layout
from archive_lib.audit.completeness import BLIND_SPOTS
from archive_lib.delivery.dictionary import dictionary_rows
from archive_lib.inert import CsvWriter
from archive_lib.models import Account, Inventory

#: What each platform's API never returns (README.md, "Platforms").
NOT_RETURNED: dict[str, str] = {
    "mastodon": "boosts; followers-only and direct statuses; replies from other servers that the "
    "account's instance never fetched; anonymous readers see at most 60 replies of a thread context",
    "facebook": "the author of a comment by someone who does not share their profile with the Page; a "
    "comment's edit time and earlier versions; a comment written and deleted between two nights; "
    "reactions and shares",
    "instagram": "comments by restricted users and on age-gated posts; some video files",
    "youtube": "comments held for review or as spam; the video streams themselves; a private video "
    "looks deleted",
    "bluesky": "replies from blocked or taken-down accounts; replies hidden by a threadgate",
}

PACKAGE_LAYOUT = """\
METS.xml                                   the package: identity, agents, submission agreement, every file
metadata/descriptive/description.xml       the account, the board, the period, the retention class
metadata/preservation/premis.xml           PREMIS 3.0: files with fixity, captures, signatures, timestamps
metadata/preservation/manifests/           the run manifests as stored, with .sig and .tsr where signed
metadata/preservation/keys/                the public keys that verify the signatures
representations/warc/data/                 the WARC files as stored (the master), by night
representations/metadata/data/             the items and runs Parquet parts as stored
representations/renditions/data/threads/   one HTML rendition per thread
representations/*/METS.xml, metadata/      each representation's own METS and PREMIS
schemas/                                   the XML schemas the metadata uses
documentation/                             this description and the data dictionary
"""

VERIFY = """\
sha256sum -c            against the CHECKSUM of each file in METS.xml (SHA-256, hexadecimal)
warcio check FILE       every WARC record's WARC-Block-Digest and WARC-Payload-Digest
openssl pkeyutl -verify -pubin -inkey metadata/preservation/keys/KEY_ID.pem -rawin \\
    -in MANIFEST.json -sigfile MANIFEST.json.sig          the Ed25519 signature of a manifest
openssl ts -verify -data MANIFEST.json.sig -in MANIFEST.json.tsr -CAfile TSA_CA.pem
                        the RFC 3161 timestamp of that signature
"""


def system_description(inventory: Inventory, account: Account, package_id: str) -> bytes:
    """The system description of one account's SIP, as a self-contained HTML page."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(t)}</td><td><code>{e(c)}</code></td><td>{e(k)}</td><td>{e(n)}</td><td>{e(m)}</td></tr>"
        for t, c, k, n, m in dictionary_rows()
    )
    spots = "".join(
        f"<li><b>{e(p)}</b>{' (this account)' if p == account.platform else ''}: not returned by the API: "
        f"{e(NOT_RETURNED.get(p, ''))}. Comment counts: {e(BLIND_SPOTS.get(p, ''))}.</li>"
        for p in sorted(NOT_RETURNED)
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>System description: {e(PRODUCT)} {e(__version__)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border:1px solid #ccc;
padding:.2em .4em;vertical-align:top}}table{{border-collapse:collapse}}
pre{{background:#f4f4f4;padding:.5em}}</style>
</head><body>
<h1>System description</h1>
<p>Package <code>{e(package_id)}</code>, made by <b>{e(PRODUCT)}</b> version <b>{e(__version__)}</b>
for {e(inventory.organisation)}, board <bdi>{e(account.board)}</bdi>, account <code>{e(account.id)}</code>
({e(account.platform)}, <bdi>{e(account.handle)}</bdi>).</p>
<h2>What the system does</h2>
<p>Every night the archive captures the account's public posts and the comments at any depth through
the platform's official API, exactly as the platform served them: every HTTP exchange is a WARC 1.1
record (response and request, SHA-256 block and payload digests, credentials replaced by
<code>REDACTED</code>). Each version of a post or comment (new, edited, hidden, deleted) is one row
of the <code>items</code> table in Apache Parquet, pointing to the WARC record that holds it; each
account's night is one row of the <code>runs</code> table. Objects are written once to storage where
nothing can be overwritten or deleted; each run ends with a manifest listing every object it wrote
with its size and SHA-256, signed (Ed25519) and timestamped (RFC 3161) where the archive is
configured to.</p>
<h2>The store's layout</h2>
<pre>{e(layout.__doc__ or "")}</pre>
<h2>This package</h2>
<pre>{e(PACKAGE_LAYOUT)}</pre>
<h2>The Parquet columns</h2>
<table><tr><th>table</th><th>column</th><th>type</th><th>nullable</th><th>meaning</th></tr>{rows}</table>
<h2>What the platforms do not show</h2>
<ul>{spots}</ul>
<h2>Verifying this package offline</h2>
<pre>{e(VERIFY)}</pre>
</body></html>
"""
    return page.encode("utf-8")


def data_dictionary_csv() -> bytes:
    """The data dictionary as CSV (spreadsheet-safe cells, see :mod:`archive_lib.inert`)."""
    text = io.StringIO()
    writer = CsvWriter(text)
    writer.writerow(["table", "column", "type", "nullable", "meaning"])
    for row in dictionary_rows():
        writer.writerow(row)
    return text.getvalue().encode("utf-8-sig")
