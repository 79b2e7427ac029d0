"""codes.indexing: building revocation indexes and applying deltas to them (numpy).

The sync imports this when lists arrive; ``verify``, the lookups and ``RevocationIndex`` never
do, so a one-shot ``passkiosk verify`` does not load numpy. Public API: ``EntryColumns``,
``encode_columns``, ``encode_entries`` (build), ``DeltaOp`` = ``Put`` | ``Remove`` |
``RemoveKey`` and ``apply_delta`` (merge), ``EncodedIndex`` (the content to write);
``StreamEncoder`` encodes rows that are already in index order piece by piece (a big sorted
snapshot, without holding it twice).
"""

from codes._rev._build import (
    EncodedIndex,
    EntryColumns,
    StreamEncoder,
    apply_delta,
    encode_columns,
    encode_entries,
)
from codes._rev._delta import DeltaOp, Put, Remove, RemoveKey

__all__ = [
    "DeltaOp",
    "EncodedIndex",
    "EntryColumns",
    "Put",
    "Remove",
    "RemoveKey",
    "StreamEncoder",
    "apply_delta",
    "encode_columns",
    "encode_entries",
]
