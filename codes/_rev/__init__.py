"""Revocation, in one home (PK1 spec §4 step 7, §6), split by job:

- ``_model``: the one vocabulary (``EntryKind``, ``Severity``, ``StatusEntry``, entries) and
  ``RevocationView``, the read-only protocol ``verify`` uses;
- ``_delta``: the delta operations (``Put``, ``Remove``, ``RemoveKey``), loaded on first use;
- ``_jsonlist``: the small §6 JSON list (``RevocationList``) for one-shot checks;
- ``_format``: the province-scale index file layout (``IndexHeader``, ``Layout``);
- ``_lookup``: ``RevocationIndex``, lookups over an index buffer (no numpy);
- ``_build``: building and merging indexes (numpy; public as ``codes.indexing``, which the sync
  imports and the verifier never does).

This package's own namespace carries only the numpy-free parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codes._lazy import lazy_getattr
from codes._rev._format import HEADER_SIZE, IndexHeader
from codes._rev._jsonlist import EMPTY_REVOCATION, RevocationList, parse_revocation_list
from codes._rev._lookup import RevocationIndex
from codes._rev._model import (
    KEY_FIELD,
    EntryKind,
    RevocationEntry,
    RevocationIndexError,
    RevocationView,
    Severity,
    StatusEntry,
    check_since,
)

if TYPE_CHECKING:
    from codes._rev._delta import DeltaOp, Put, Remove, RemoveKey

__getattr__ = lazy_getattr(
    __name__, dict.fromkeys(("DeltaOp", "Put", "Remove", "RemoveKey"), "codes._rev._delta"))


__all__ = [
    "EMPTY_REVOCATION",
    "HEADER_SIZE",
    "KEY_FIELD",
    "DeltaOp",
    "EntryKind",
    "IndexHeader",
    "Put",
    "Remove",
    "RemoveKey",
    "RevocationEntry",
    "RevocationIndex",
    "RevocationIndexError",
    "RevocationList",
    "RevocationView",
    "Severity",
    "StatusEntry",
    "check_since",
    "parse_revocation_list",
]
