"""Platform push: what platforms send the archive as it happens, kept at once.

``archivectl listen`` (:mod:`archive_lib.push.service`) holds one long-running service that
receives Meta webhooks (:mod:`.meta`), follows each Mastodon account's ``user`` stream
(:mod:`.mastodon_stream`) and Bluesky's Jetstream (:mod:`.jetstream`). Everything received is
handed to the :class:`~archive_lib.push.journal.PushJournal`, which stores it within seconds as a
run of kind ``push`` (WARC records as received, item versions for pushed items, a runs row and
a manifest), and the thread it names is queued for a targeted capture
(:mod:`.targets`), made by the same code as ``archivectl capture --recent``.

To add a platform, write a module that turns what it pushes into
:class:`~archive_lib.push.received.Received` values and give them to the journal.
"""
