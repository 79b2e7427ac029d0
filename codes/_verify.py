"""``verify``: one entry point for every presented code text (spec §1 prefix dispatch)."""

from __future__ import annotations

from codes._envelope import HC1_PREFIX
from codes._errors import DeviceError, TokenError
from codes._pk1 import PREFIX as PK1_PREFIX
from codes._pk1 import verify_pk1
from codes._rev import EMPTY_REVOCATION, RevocationIndexError, RevocationView
from codes._trust import TrustStore
from codes._verdict import Outcome, Verdict


def verify(text: str, trust: TrustStore, revocation: RevocationView | None, now: int) -> Verdict:
    """Verify a scanned code at ``now`` (epoch seconds) against ``trust`` and ``revocation``.

    Always returns a Verdict for any text: a bad code is ``invalid`` with the spec's reason, never
    an exception. Only our own exceptions can escape: ``DeviceError`` from a revocation index that
    cannot read its storage, ``RevocationIndexError`` from one found damaged by the lookup (the
    kiosk's list is broken, not the code: no verdict on the code), and
    ``TokenError('internal_error')`` if this code has a bug.
    """
    if not isinstance(text, str):
        return Verdict(Outcome.INVALID, "malformed", "PK1")
    # §1: a text starting with HC1: is tagged HC1 in every verdict, anything else PK1.
    fmt = "HC1" if text.startswith(HC1_PREFIX) else "PK1"
    try:
        if text.startswith(HC1_PREFIX):
            # HC1 needs X.509 and cbor2 (§7): a process that only sees PK1 never loads them.
            from codes._hc1 import verify_hc1

            return verify_hc1(text, trust, now)
        if not text.startswith(PK1_PREFIX):
            raise TokenError("wrong_prefix", f"expected 'PK1:' or 'HC1:', got {text[:4]!r}")
        return verify_pk1(text, trust, EMPTY_REVOCATION if revocation is None else revocation, now)
    except RevocationIndexError:
        # The token's keys are checked to be 16 bytes when it is decoded (§3), so this is the
        # index itself: telling the holder "malformed" would blame a good code.
        raise
    except TokenError as exc:
        return Verdict(Outcome.INVALID, exc.reason, fmt)
    except DeviceError:
        raise
    except Exception as exc:  # a bug of ours; keep the promise that only our errors escape
        raise TokenError(
            "internal_error", f"verify: unexpected {type(exc).__name__}: {exc}"
        ) from exc
