"""The service's TUF repository: role keys, signed metadata and target files on disk.

Layout under the service data folder (served as static files by ``service._http``)::

    keys/<role>.pem                 Ed25519 PKCS#8 private keys (mode 0600), one per top-level role
    repo/metadata/1.root.json       the trust anchor a kiosk is bootstrapped with
    repo/metadata/N.targets.json    consistent snapshots: every published version stays readable,
    repo/metadata/N.snapshot.json   so a kiosk that fetched timestamp N never meets a half-written
    repo/metadata/timestamp.json    repository (TUF spec §5.5, consistent snapshots)
    repo/targets/<dir>/<sha256>.<name>

Files are written before the metadata that names them, and ``timestamp.json`` (the only file that
is replaced in place) last, with an atomic rename: a crash mid-publish leaves the previous version
whole and served. Rollback, freeze, mix-and-match and endless-data protection are the client's job
(python-tuf ngclient); this module only publishes correctly signed, correctly chained metadata.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner, Key, SSlibKey
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

from codes import DeviceError, install_atomic, write_atomic

ROLES = ("root", "targets", "snapshot", "timestamp")


@dataclass(frozen=True, slots=True)
class Expiry:
    """How long each role's signature stays valid after a publish.

    The timestamp is short on purpose: a kiosk that cannot get a fresh one within a day is cut
    off from new lists (TUF freeze protection), and the running service re-signs it well before
    (``TufRepository.refresh_expiring``).
    """

    root: timedelta = timedelta(days=365)
    targets: timedelta = timedelta(days=7)
    snapshot: timedelta = timedelta(days=7)
    timestamp: timedelta = timedelta(days=1)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise DeviceError(f"expected a timezone-aware time, got naive {now.isoformat()}")
    return now.astimezone(UTC).replace(microsecond=0)


class TufRepository:
    """A single-signer-per-role TUF repository in ``<data>/repo`` with keys in ``<data>/keys``."""

    def __init__(self, data_dir: Path) -> None:
        self._data = data_dir
        self.metadata_dir = data_dir / "repo" / "metadata"
        self.targets_dir = data_dir / "repo" / "targets"
        self._keys_dir = data_dir / "keys"
        self._ser = JSONSerializer(compact=True)
        self._lock_fd: int | None = None
        self._lock_depth = 0
        if not (self.metadata_dir / "1.root.json").is_file():
            raise DeviceError(
                f"expected an initialised repository in {data_dir} (repo/metadata/1.root.json); "
                "found none: run `passkiosk service init` first"
            )
        self._root = Metadata[Root].from_bytes(self.root_bytes())

    # -- creation --------------------------------------------------------------------------

    @classmethod
    def create(
        cls, data_dir: Path, *, now: datetime, expiry: Expiry | None = None
    ) -> TufRepository:
        """Generate the four role keys and publish version 1 of every role (no targets yet)."""
        exp = expiry or Expiry()
        now = _utc(now)
        if (data_dir / "repo" / "metadata" / "1.root.json").exists():
            raise DeviceError(f"expected an empty data folder, found a repository in {data_dir}")
        keys_dir = data_dir / "keys"
        keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(keys_dir, 0o700)
        root = Root(expires=now + exp.root, consistent_snapshot=True)
        signers: dict[str, CryptoSigner] = {}
        for role in ROLES:
            signer = CryptoSigner.generate_ed25519()
            signers[role] = signer
            root.add_key(signer.public_key, role)
            key_path = keys_dir / f"{role}.pem"
            write_atomic(key_path, signer.private_bytes, mode=0o600)
        md_root = Metadata(root)
        md_root.sign(signers["root"])
        meta_dir = data_dir / "repo" / "metadata"
        (data_dir / "repo" / "targets").mkdir(parents=True, exist_ok=True)
        repo_root_bytes = md_root.to_bytes(JSONSerializer(compact=True))
        write_atomic(meta_dir / "1.root.json", repo_root_bytes)
        repo = cls(data_dir)
        repo.publish({}, now=now, expiry=exp)
        return repo

    # -- reading ---------------------------------------------------------------------------

    def root_bytes(self) -> bytes:
        """The current root metadata (the kiosk's trust anchor)."""
        versions = sorted(
            int(p.name.split(".", 1)[0]) for p in self.metadata_dir.glob("*.root.json")
        )
        return (self.metadata_dir / f"{versions[-1]}.root.json").read_bytes()

    def _timestamp(self) -> Metadata[Timestamp]:
        return Metadata[Timestamp].from_bytes((self.metadata_dir / "timestamp.json").read_bytes())

    def _snapshot(self) -> Metadata[Snapshot]:
        version = self._timestamp().signed.snapshot_meta.version
        path = self.metadata_dir / f"{version}.snapshot.json"
        return Metadata[Snapshot].from_bytes(path.read_bytes())

    def _targets(self) -> Metadata[Targets]:
        version = self._snapshot().signed.meta["targets.json"].version
        path = self.metadata_dir / f"{version}.targets.json"
        return Metadata[Targets].from_bytes(path.read_bytes())

    def targets(self) -> Mapping[str, TargetFile]:
        """The targets of the currently published version (path → length and hashes)."""
        if not (self.metadata_dir / "timestamp.json").exists():
            return {}
        return dict(self._targets().signed.targets)

    def versions(self) -> dict[str, int]:
        """Published version of each role."""
        return {
            "root": self._root.signed.version,
            "targets": self._targets().signed.version,
            "snapshot": self._snapshot().signed.version,
            "timestamp": self._timestamp().signed.version,
        }

    def expires(self) -> dict[str, datetime]:
        """Expiry of each currently published role."""
        return {
            "root": self._root.signed.expires,
            "targets": self._targets().signed.expires,
            "snapshot": self._snapshot().signed.expires,
            "timestamp": self._timestamp().signed.expires,
        }

    def _signer(self, role: str) -> CryptoSigner:
        keyid = self._root.signed.roles[role].keyids[0]
        public: Key = self._root.signed.keys[keyid]
        pem = (self._keys_dir / f"{role}.pem").read_bytes()
        private = load_pem_private_key(pem, None)
        if not isinstance(public, SSlibKey):
            raise DeviceError(f"expected an SSlibKey for role {role}, got {type(public).__name__}")
        return CryptoSigner(private, public)

    # -- publishing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access to the repository across processes (admin CLI vs running service).

        Without it the service's timestamp refresh and an admin publish could both sign the
        same new timestamp version with different contents. Re-entrant per instance.
        """
        if self._lock_depth == 0:
            fd = os.open(self._data / "repo" / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_fd = fd
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._lock_fd is not None:
                os.close(self._lock_fd)  # closing releases the flock
                self._lock_fd = None

    def publish(
        self,
        add: Mapping[str, Path],
        *,
        remove: Iterable[str] = (),
        custom: Mapping[str, Mapping[str, object]] | None = None,
        now: datetime,
        expiry: Expiry | None = None,
    ) -> int:
        """Publish a new targets version: add (target path → local file), drop ``remove``.

        ``custom`` (target path → JSON object) is signed into the target's ``custom`` field, so
        a kiosk learns e.g. a delta's version before downloading it. Returns the new targets
        version. Target files are copied under their hash-prefixed names (consistent snapshots)
        before any metadata names them.
        """
        with self.locked():
            return self._publish(add, remove=remove, custom=custom, now=_utc(now),
                                 exp=expiry or Expiry())

    def _publish(self, add: Mapping[str, Path], *, remove: Iterable[str],
                 custom: Mapping[str, Mapping[str, object]] | None, now: datetime,
                 exp: Expiry) -> int:
        first = not (self.metadata_dir / "timestamp.json").exists()
        if first:
            targets = Targets(version=1, expires=now + exp.targets)
        else:
            targets = self._targets().signed
            targets.version += 1
            targets.expires = now + exp.targets
        for path in remove:
            targets.targets.pop(path, None)
        for path, local in add.items():
            info = TargetFile.from_file(path, str(local), ["sha256"])
            if custom and path in custom:
                info.unrecognized_fields["custom"] = dict(custom[path])
            dirname, sep, base = path.rpartition("/")
            dest = self.targets_dir / f"{dirname}{sep}{info.hashes['sha256']}.{base}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                install_atomic(local, dest)
            targets.targets[path] = info
        md_targets = Metadata(targets)
        md_targets.sign(self._signer("targets"))
        t_bytes = md_targets.to_bytes(self._ser)
        write_atomic(self.metadata_dir / f"{targets.version}.targets.json", t_bytes)
        self._publish_snapshot(targets.version, now=now, exp=exp, first=first)
        return targets.version

    def _publish_snapshot(self, targets_version: int, *, now: datetime, exp: Expiry,
                          first: bool) -> None:
        if first:
            snap = Snapshot(version=1, expires=now + exp.snapshot)
        else:
            snap = self._snapshot().signed
            snap.version += 1
            snap.expires = now + exp.snapshot
        snap.meta["targets.json"] = MetaFile(targets_version)
        md_snap = Metadata(snap)
        md_snap.sign(self._signer("snapshot"))
        write_atomic(self.metadata_dir / f"{snap.version}.snapshot.json",
                     md_snap.to_bytes(self._ser))
        self._publish_timestamp(snap.version, now=now, exp=exp, first=first)

    def _publish_timestamp(self, snapshot_version: int, *, now: datetime, exp: Expiry,
                           first: bool) -> None:
        if first:
            ts = Timestamp(version=1, expires=now + exp.timestamp)
        else:
            ts = self._timestamp().signed
            ts.version += 1
            ts.expires = now + exp.timestamp
        ts.snapshot_meta = MetaFile(snapshot_version)
        md_ts = Metadata(ts)
        md_ts.sign(self._signer("timestamp"))
        # The versioned copy lets tests and operators see history; kiosks read timestamp.json.
        data = md_ts.to_bytes(self._ser)
        write_atomic(self.metadata_dir / f"{ts.version}.timestamp.json", data)
        write_atomic(self.metadata_dir / "timestamp.json", data)

    def refresh_expiring(self, *, now: datetime, margin: float = 0.5,
                         expiry: Expiry | None = None) -> list[str]:
        """Re-sign roles whose remaining validity is below ``margin`` of their full period.

        The running service calls this periodically so kiosks never see a frozen repository
        merely because nobody published. Returns the roles re-signed.
        """
        exp = expiry or Expiry()
        now = _utc(now)
        with self.locked():
            current = self.expires()
            if current["targets"] - now < exp.targets * margin:
                self._publish({}, remove=(), custom=None, now=now, exp=exp)
                return ["targets", "snapshot", "timestamp"]
            if current["snapshot"] - now < exp.snapshot * margin:
                self._publish_snapshot(self.versions()["targets"], now=now, exp=exp,
                                       first=False)
                return ["snapshot", "timestamp"]
            if current["timestamp"] - now < exp.timestamp * margin:
                self._publish_timestamp(self.versions()["snapshot"], now=now, exp=exp,
                                        first=False)
                return ["timestamp"]
            return []


__all__ = ["ROLES", "Expiry", "TufRepository", "write_atomic"]
