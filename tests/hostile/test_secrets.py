"""No token of the hostile night is in any stored byte, any output, or any request to another host.

Every town has a token and the ``echo*`` towns send it back (in a 502's body and headers, in the
second member of a gzip body, in a raw deflate body, in a gzip header's comment). The hunt
(:mod:`tests.hostile.evidence`) reads every file of the store raw, every gzip member
decompressed, every WARC record's headers and payload undone layer by layer, every Parquet row,
the release packages member by member, and what every process printed.
"""

from __future__ import annotations

import pytest

from tests.hostile.conftest import HostileArchive, Registrar
from tests.hostile.evidence import every_file, find_secrets, leaks_in_file, secret_forms

ECHOES = ("echo502", "echogzip", "echodeflate", "echocomment")


def test_every_town_sent_its_token_to_the_instance(hostile_archive: HostileArchive) -> None:
    """Otherwise there would be nothing to leak, and the hunt below would prove nothing."""
    for town in hostile_archive.towns:
        sent = {
            q.authorization
            for q in hostile_archive.requests
            if q.route == "lookup" and q.query.get("acct") == [town.handle]
        }
        assert sent == {f"Bearer {town.token}"}, town.behaviour


@pytest.mark.parametrize("behaviour", ECHOES)
def test_the_echoing_towns_did_echo_the_token(hostile_archive: HostileArchive, behaviour: str) -> None:
    town = hostile_archive.town(behaviour)
    forms = secret_forms([town.token])
    echoed = [
        q
        for q in hostile_archive.requests
        if q.answer is not None
        and find_secrets(
            q.answer.body + repr(q.answer.headers).encode() + (q.answer.reason or "").encode(), forms
        )
    ]
    assert len(echoed) >= 2, "the town never sent its token back"  # once a night at least


def test_no_token_in_any_stored_byte(hostile_archive: HostileArchive, registrar: Registrar) -> None:
    forms = secret_forms(t.token for t in hostile_archive.towns)
    files = every_file(hostile_archive.root)
    assert any(f.name.endswith(".warc.gz") for f in files) and any(f.name.startswith(".") for f in files)
    leaks: dict[str, set[str]] = {}
    for path in [*files, *(p for p in registrar.packages.values() if p.exists())]:
        leaks.update(leaks_in_file(path, forms))
    behaviours = {t.token: t.behaviour for t in hostile_archive.towns}
    assert {where: sorted(behaviours[t] for t in tokens) for where, tokens in leaks.items()} == {}


def test_no_token_in_any_output(hostile_archive: HostileArchive, registrar: Registrar) -> None:
    forms = secret_forms(t.token for t in hostile_archive.towns)
    for night in hostile_archive.nights:
        assert find_secrets(night.stdout.encode(), forms) == set(), night.run_date
        assert find_secrets(night.stderr.encode(), forms) == set(), night.run_date
    assert find_secrets(registrar.outputs.encode(), forms) == set()


def test_the_other_host_never_received_a_token(hostile_archive: HostileArchive) -> None:
    forms = secret_forms(t.token for t in hostile_archive.towns)
    assert hostile_archive.mirror_requests, "the redirect was never followed"
    for request in hostile_archive.mirror_requests:
        assert request.authorization is None, request.target
        sent = (request.target + repr(request.headers)).encode()
        assert find_secrets(sent, forms) == set(), request.target
