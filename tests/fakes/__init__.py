"""Test fakes: real parts where they exist, in-memory stand-ins where the real one is costly.

Public: ``tests.fakes.tuf_repo`` (``InMemoryRepository``, ``Issued``, ``pull_from``: the service's
TUF repository in memory, as an ngclient fetcher), ``tests.fakes.fetcher`` (``ScriptedFetcher``:
faults by name), ``tests.fakes.camera``, ``tests.fakes.cards``, ``tests.fakes.serial_scanner``,
``tests.fakes.verifier``.
"""
