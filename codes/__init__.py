"""codes: the sans-IO verification core (PK1 spec ../shared/spec/pk1-token.md, docs/pk1-format.md).

Text + trust + revocation + now in, a Verdict out: no clock, no files, no network, no Qt here.
The one exception is ``write_atomic``/``atomic_file``/``install_atomic`` (``codes._atomic``), the
crash-safe file replace both sides share; verification never imports it. The formats the kiosk
and the service exchange are in ``codes.wire``; building revocation indexes and applying deltas
to them (numpy, never needed to verify) in ``codes.indexing``.

The issuing side (``issue_pk1``, ``kid_for_public_key``) is loaded on first use: verifying never
needs it, and a one-shot ``passkiosk verify`` should not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codes._atomic import atomic_file, install_atomic, remove_stale_temps, write_atomic
from codes._base45 import base45_decode, base45_encode
from codes._errors import DeviceError, TokenError
from codes._hashes import card_hash, subject_hash
from codes._idnum import (
    check_id18,
    id18_check_char,
    id18_problem,
    mask_id,
    mask_name,
    normalize_id18,
)
from codes._lazy import lazy_getattr
from codes._lookup import lookup_card, lookup_id, lookup_subject_hash
from codes._rev import (
    HEADER_SIZE,
    EntryKind,
    IndexHeader,
    RevocationEntry,
    RevocationIndex,
    RevocationIndexError,
    RevocationList,
    RevocationView,
    Severity,
    StatusEntry,
    parse_revocation_list,
)
from codes._timetext import parse_time
from codes._trust import TrustedCert, TrustedKey, TrustStore, parse_trust_list
from codes._verdict import REASONS, Kind, Outcome, Verdict
from codes._verify import verify

if TYPE_CHECKING:
    from codes._issue import issue_pk1, kid_for_public_key

__getattr__ = lazy_getattr(__name__, {"issue_pk1": "codes._issue",
                                      "kid_for_public_key": "codes._issue"})

__all__ = [
    "HEADER_SIZE",
    "REASONS",
    "DeviceError",
    "EntryKind",
    "IndexHeader",
    "Kind",
    "Outcome",
    "RevocationEntry",
    "RevocationIndex",
    "RevocationIndexError",
    "RevocationList",
    "RevocationView",
    "Severity",
    "StatusEntry",
    "TokenError",
    "TrustStore",
    "TrustedCert",
    "TrustedKey",
    "Verdict",
    "atomic_file",
    "base45_decode",
    "base45_encode",
    "card_hash",
    "check_id18",
    "id18_check_char",
    "id18_problem",
    "install_atomic",
    "issue_pk1",
    "kid_for_public_key",
    "lookup_card",
    "lookup_id",
    "lookup_subject_hash",
    "mask_id",
    "mask_name",
    "normalize_id18",
    "parse_revocation_list",
    "parse_time",
    "parse_trust_list",
    "remove_stale_temps",
    "subject_hash",
    "verify",
    "write_atomic",
]
