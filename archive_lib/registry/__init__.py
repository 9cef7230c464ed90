"""The registrars' role: a thread as it was (:mod:`.thread`), release packages (:mod:`.export`),
renditions in HTML and PDF (:mod:`.render`, :mod:`.pdf`) and the web view (:mod:`.web`).

The registry reads the archive (metadata, WARC, search index) and never imports capture."""
