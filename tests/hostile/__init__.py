"""The hostile suite: two nights of a real capture against the hostile instance, then the archive.

The server is :mod:`tests.fakes.hostile`; :mod:`.conftest` captures the nights once per session;
the test modules check the nights (``test_night``), the secrets (``test_secrets``) and what the
registrars get out of the archive (``test_registrar``).
"""
