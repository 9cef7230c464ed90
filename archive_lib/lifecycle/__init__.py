"""The records' lifecycle: disposal by decision, legal holds, secrecy markings, moderation notes and
the access log, each an append-only event stream in the store (:mod:`archive_lib.metadata.events`)."""
