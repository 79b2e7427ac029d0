"""InMemoryRepository: the provincial service's TUF repository, held in memory (tests only).

It publishes what ``service.ServiceState`` publishes, the way ``service._repo`` lays it out, and
answers ngclient directly as its fetcher (no HTTP, no SQLite, no key files):

- roles root/targets/snapshot/timestamp, one Ed25519 key each, consistent snapshots: versioned
  ``N.root.json``, ``N.targets.json``, ``N.snapshot.json``, the current ``timestamp.json``, and
  targets under ``<dir>/<sha256>.<name>`` (TUF spec §5.5);
- targets ``trust/trust-list.json`` (the PK1 §6 trust list with this repository's issuer key),
  ``revocation/full.pkrl`` (``custom.version``) and ``revocation/delta-N.pkrl``
  (``custom.base``/``custom.version``) for the last ``keep_deltas`` list versions;
- list version 1 (empty) is published at creation, like ``ServiceState.init``.

Metadata expiry is against the real clock, because that is the clock ngclient checks it with.

Misbehaviour for unit tests: ``tamper_target``, ``drop_delta``, ``publish(delta=False)``,
``expire_timestamp``, ``roll_back``, ``forge_signature``, and from ``ScriptedFetcher`` ``fail``
(an HTTP error such as 503, or 404 for a lost file), ``replace``, ``rewrite``, ``clear``.
Request and fault names are ``metadata/<file>`` and ``targets/<target path>`` (the hash prefix
left out, so a name covers every version of a target).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from securesystemslib.signer import CryptoSigner
from tuf.api import exceptions
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

import codes
from codes import EntryKind, Kind, Severity
from codes.wire import FULL_TARGET, TRUST_TARGET, delta_target, encode_header, encode_records
from sync._pull import PullResult, pull
from tests.fakes.fetcher import ScriptedFetcher

ROLES = ("root", "targets", "snapshot", "timestamp")
_Signed = TypeVar("_Signed", Root, Timestamp, Snapshot, Targets)  # Metadata's own constraint
_DELTA_PREFIX = "revocation/delta-"


@dataclass(frozen=True, slots=True)
class Issued:
    """A PK1 code issued by the repository's issuer key."""

    text: str  # "PK1:..."
    cti: bytes


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _index_order(row: tuple[int, int, bytes, int]) -> tuple[int, bytes]:
    """PKRL records are sorted by (type, key) (``codes.wire._lists``)."""
    return row[0], row[2]


def _flip_last_byte(body: bytes) -> bytes:
    return body[:-1] + bytes([body[-1] ^ 1])


def _flip_signature(body: bytes) -> bytes:
    """Change one hex digit of the first signature: still well-formed, no longer valid."""
    i = body.index(b'"sig":"') + len(b'"sig":"')
    return body[:i] + (b"0" if body[i:i + 1] != b"0" else b"1") + body[i + 1:]


class InMemoryRepository(ScriptedFetcher):
    """A TUF repository with the kiosk's targets; pass it as ``fetcher`` with ``url``."""

    url = "http://in-memory-repository.invalid"  # never resolved: answers come from memory

    def __init__(self, *, iss: str = "CN-44", now: int, keep_deltas: int = 64,
                 lifetime: timedelta = timedelta(days=1)) -> None:
        super().__init__()
        self.iss = iss
        self.keep_deltas = keep_deltas
        self._lifetime = lifetime
        self._ser = JSONSerializer(compact=True)
        self.metadata: dict[str, bytes] = {}  # file name under metadata/ → bytes
        self.files: dict[str, bytes] = {}  # "<dir>/<sha256>.<name>" under targets/ → bytes

        self._issuer = Ed25519PrivateKey.generate()
        spki = self._issuer.public_key().public_bytes(Encoding.DER,
                                                      PublicFormat.SubjectPublicKeyInfo)
        self.trust_entry: dict[str, object] = {
            "kid": codes.kid_for_public_key(self._issuer.public_key()).hex(), "iss": iss,
            "alg": "EdDSA", "spki": base64.b64encode(spki).decode("ascii"),
            "not_before": now, "not_after": now + 2 * 365 * 86_400, "revoked": False}

        self._signers = {role: CryptoSigner.generate_ed25519() for role in ROLES}
        root = Root(expires=_utcnow() + timedelta(days=365), consistent_snapshot=True)
        for role in ROLES:
            root.add_key(self._signers[role].public_key, role)
        self.metadata["1.root.json"] = self._sign("root", root)
        self._targets: dict[str, TargetFile] = {}
        self.versions = {"root": 1, "targets": 0, "snapshot": 0, "timestamp": 0}

        self.list_version = 0
        self._entries: dict[tuple[int, bytes], tuple[int, int]] = {}  # (type, key) → status, since
        self._pending: dict[tuple[int, bytes], tuple[int, int]] = {}  # last change wins
        self.publish()

    # -- the service side --------------------------------------------------------------------

    def root_bytes(self) -> bytes:
        """Version 1 of root: the kiosk's trust anchor (``bootstrap_root``)."""
        return self.metadata["1.root.json"]

    def issue(self, id18: str, *, iat: int, lifetime: int = 86_400, kind: Kind = Kind.PHONE,
              status: int = 0, name: str = "王五") -> Issued:
        """A PK1 code for id18 signed by the issuer key of the published trust list."""
        cti = secrets.token_bytes(16)
        text = codes.issue_pk1(signing_key=self._issuer, iss=self.iss, iat=iat,
                               exp=iat + lifetime, cti=cti, status=status, kind=kind,
                               sh=codes.subject_hash(id18), nm=codes.mask_name(name),
                               im=codes.mask_id(id18))
        return Issued(text, cti)

    def revoke(self, kind: EntryKind, key: bytes, status: Severity, *, since: int) -> None:
        """A status change that ships with the next publish (GREEN lifts the entry)."""
        self._pending[(int(kind), key)] = (int(status), since)

    def publish(self, *, delta: bool = True) -> int:
        """Cut list version N from the pending changes; publish trust, full and delta-N.

        ``delta=False`` publishes no delta for this version, as the service does for a bulk
        import above ``PublishConfig.max_delta_records``. Returns the new list version.
        """
        version = self.list_version + 1
        changes = sorted(((t, s, k, since) for (t, k), (s, since) in self._pending.items()),
                         key=_index_order)
        for t, s, k, since in changes:
            if s == Severity.GREEN:
                self._entries.pop((t, k), None)
            else:
                self._entries[(t, k)] = (s, since)
        self._pending.clear()
        full = sorted(((t, s, k, since) for (t, k), (s, since) in self._entries.items()),
                      key=_index_order)
        trust = json.dumps({"keys": [self.trust_entry]}, sort_keys=True).encode()
        add: dict[str, tuple[bytes, dict[str, object] | None]] = {
            TRUST_TARGET: (trust, None),
            FULL_TARGET: (encode_header("full", 0, version, len(full)) + encode_records(full),
                          {"version": version, "records": len(full)})}
        if delta:
            add[delta_target(version)] = (
                encode_header("delta", version - 1, version, len(changes))
                + encode_records(changes),
                {"base": version - 1, "version": version, "records": len(changes)})
        stale = [p for p in self._targets if p.startswith(_DELTA_PREFIX)
                 and self._custom(p)["version"] <= version - self.keep_deltas]
        self._publish_targets(add, remove=stale)
        self.list_version = version
        return version

    def targets(self) -> dict[str, TargetFile]:
        """The currently published targets (path → length, hashes, custom)."""
        return dict(self._targets)

    # -- misbehaviour ------------------------------------------------------------------------

    def tamper_target(self, path: str) -> None:
        """Serve the target's file with its last bit flipped (its signed hash no longer fits)."""
        self.rewrite(f"targets/{path}", _flip_last_byte)

    def drop_delta(self, version: int) -> None:
        """Stop listing delta-<version> (new targets, snapshot and timestamp are signed)."""
        self._publish_targets({}, remove=[delta_target(version)])

    def expire_timestamp(self) -> None:
        """Sign a new timestamp that expired an hour ago (a frozen repository)."""
        self.resign_timestamp(expires=_utcnow() - timedelta(hours=1))

    def resign_timestamp(self, *, expires: datetime | None = None) -> None:
        """Sign a new timestamp version over the current snapshot."""
        self.versions["timestamp"] += 1
        ts = Timestamp(version=self.versions["timestamp"],
                       expires=expires or _utcnow() + self._lifetime,
                       snapshot_meta=MetaFile(self.versions["snapshot"]))
        data = self._sign("timestamp", ts)
        self.metadata[f"{ts.version}.timestamp.json"] = data
        self.metadata["timestamp.json"] = data

    def roll_back(self, role: str, to_version: int) -> None:
        """Serve an older version of role's metadata where the current one is asked for."""
        old = self.metadata[f"{to_version}.{role}.json"]
        name = "timestamp.json" if role == "timestamp" else f"{self.versions[role]}.{role}.json"
        self.replace(f"metadata/{name}", old)

    def forge_signature(self, metadata_name: str) -> None:
        """Serve metadata_name (e.g. ``timestamp.json``) with one signature digit changed."""
        self.rewrite(f"metadata/{metadata_name}", _flip_signature)

    # -- FetcherInterface --------------------------------------------------------------------

    def _relative(self, url: str) -> str:
        prefix = f"{self.url}/"
        if not url.startswith(prefix):
            raise exceptions.DownloadError(f"expected a URL under {prefix}, got {url}")
        return url[len(prefix):]

    def _name(self, url: str) -> str:
        rel = self._relative(url)
        if not rel.startswith("targets/"):
            return rel
        dirname, sep, base = rel.rpartition("/")
        digest, dot, name = base.partition(".")
        return f"{dirname}{sep}{name}" if dot and len(digest) == 64 else rel

    def _serve(self, url: str) -> bytes:
        rel = self._relative(url)
        kind, _, name = rel.partition("/")
        store = {"metadata": self.metadata, "targets": self.files}.get(kind, {})
        if name not in store:
            raise exceptions.DownloadHTTPError(f"404: no {rel} in the repository", 404)
        return store[name]

    # -- signing -----------------------------------------------------------------------------

    def _sign(self, role: str, signed: _Signed) -> bytes:
        md = Metadata(signed)
        md.sign(self._signers[role])
        return md.to_bytes(self._ser)

    @staticmethod
    def _hashed(path: str, info: TargetFile) -> str:
        dirname, sep, base = path.rpartition("/")
        return f"{dirname}{sep}{info.hashes['sha256']}.{base}"

    def _custom(self, path: str) -> dict[str, int]:
        custom = self._targets[path].custom
        return {k: v for k, v in custom.items() if isinstance(v, int)}

    def _publish_targets(self, add: dict[str, tuple[bytes, dict[str, object] | None]], *,
                         remove: list[str]) -> None:
        """Files first, then targets, snapshot and timestamp (the service's publish order)."""
        for path in remove:
            self._targets.pop(path, None)
        for path, (data, custom) in add.items():
            info = TargetFile.from_data(path, data, ["sha256"])
            if custom is not None:
                info.unrecognized_fields["custom"] = custom
            self.files[self._hashed(path, info)] = data
            self._targets[path] = info
        self.versions["targets"] += 1
        targets = Targets(version=self.versions["targets"], expires=_utcnow() + self._lifetime,
                          targets=dict(self._targets))
        self.metadata[f"{targets.version}.targets.json"] = self._sign("targets", targets)
        self.versions["snapshot"] += 1
        snapshot = Snapshot(version=self.versions["snapshot"],
                            expires=_utcnow() + self._lifetime,
                            meta={"targets.json": MetaFile(targets.version)})
        self.metadata[f"{snapshot.version}.snapshot.json"] = self._sign("snapshot", snapshot)
        self.resign_timestamp()


def pull_from(repo: InMemoryRepository, kiosk: Path, *, now: int,
              bootstrap: bool = False) -> PullResult:
    """One kiosk refresh from repo (with its root as anchor when ``bootstrap``)."""
    return pull(kiosk, repo.url, now=now, fetcher=repo,
                bootstrap_root=repo.root_bytes() if bootstrap else None)


__all__ = ["InMemoryRepository", "Issued", "pull_from"]
