"""codes.indexing: building and merging province-scale revocation indexes (numpy).

The sync imports this when lists arrive; ``verify`` and the lookups never do, so a one-shot
``passkiosk verify`` does not load numpy. Public API: ``EntryColumns``, ``encode_columns``,
``encode_entries``, ``apply_delta``.
"""

from codes._rev._build import EntryColumns, apply_delta, encode_columns, encode_entries

__all__ = ["EntryColumns", "apply_delta", "encode_columns", "encode_entries"]
