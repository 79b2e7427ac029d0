"""The service's TUF repository: role keys, signed metadata and target files on disk.

Layout under the service data folder (served as static files by ``service._http``)::

    keys/<role>.pem                 Ed25519 PKCS#8 private keys (mode 0600), one per top-level role
    repo/metadata/1.root.json       the trust anchor a kiosk is bootstrapped with
    repo/metadata/N.targets.json    consistent snapshots: every published version stays readable,
    repo/metadata/N.snapshot.json   so a kiosk that fetched timestamp N never meets a half-written
    repo/metadata/timestamp.json    repository (TUF spec §5.5, consistent snapshots)
    repo/targets/<dir>/<sha256>.<name>

``repo/`` is a plain static tree: nginx, any CDN or an object store serves it as it is, and only
the host that holds ``keys/`` signs (``passkiosk service publish``); the HTTP replicas never do.

Files are written before the metadata that names them, and ``timestamp.json`` (the only file that
is replaced in place) last, with an atomic rename: a crash mid-publish leaves the previous version
whole and served. Rollback, freeze, mix-and-match and endless-data protection are the client's job
(python-tuf ngclient); this module only publishes correctly signed, correctly chained metadata.

Key rotation (``rotate_key``) goes through the root chain (TUF spec §5.3): version N+1 of root
names the new key and is signed by the old root key and, for a root rotation, by the new one, so
a kiosk holding any older root walks N → N+1 and trusts the new key. The steps, each durable
before the next, make a crash at any point recoverable by the next ``locked()``:

1. the new private key is written to ``keys/<role>.next.pem`` (0600);
2. ``N+1.root.json`` is written: from here on the new key is the role's key;
3. the key moves to ``keys/<role>.pem`` (the old private key is gone: it signs nothing again);
4. the role's metadata (and what depends on it: targets → snapshot → timestamp) is re-signed.

A ``.next.pem`` that no root names (crash before 2) is deleted; one the root names (crash before
3) is moved into place; metadata the current root does not accept (crash before 4) is re-signed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from securesystemslib.signer import CryptoSigner, Key, SSlibKey
from tuf.api.exceptions import UnsignedMetadataError
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


def _raw_private_public(private: object) -> bytes:
    """The raw public half of an Ed25519 private key (b"" for any other key type)."""
    if not isinstance(private, Ed25519PrivateKey):
        return b""
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


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

    def _reload_root(self) -> Metadata[Root]:
        # Another process (``rotate-key``) may have published a newer root since we opened.
        self._root = Metadata[Root].from_bytes(self.root_bytes())
        return self._root

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
        self._reload_root()
        return {
            "root": self._root.signed.version,
            "targets": self._targets().signed.version,
            "snapshot": self._snapshot().signed.version,
            "timestamp": self._timestamp().signed.version,
        }

    def expires(self) -> dict[str, datetime]:
        """Expiry of each currently published role."""
        self._reload_root()
        return {
            "root": self._root.signed.expires,
            "targets": self._targets().signed.expires,
            "snapshot": self._snapshot().signed.expires,
            "timestamp": self._timestamp().signed.expires,
        }

    def _signer(self, role: str, key_file: Path | None = None) -> CryptoSigner:
        """The signer for ``role`` as the current root names it, from ``keys/<role>.pem``."""
        keyid = self._root.signed.roles[role].keyids[0]
        public: Key = self._root.signed.keys[keyid]
        path = key_file or self._keys_dir / f"{role}.pem"
        private = load_pem_private_key(path.read_bytes(), None)
        if not isinstance(public, SSlibKey):
            raise DeviceError(f"expected an SSlibKey for role {role}, got {type(public).__name__}")
        signer = CryptoSigner(private, public)
        if _raw_private_public(private) != bytes.fromhex(str(public.keyval.get("public", ""))):
            raise DeviceError(f"expected {path} to hold the {role} key {keyid[:16]} that root "
                              f"v{self._root.signed.version} names, found another key")
        return signer

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
            try:
                self._reload_root()
                self._finish_rotation()
            except BaseException:
                os.close(fd)
                self._lock_fd = None
                raise
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

    # -- key rotation ----------------------------------------------------------------------

    def rotate_key(self, role: str, *, now: datetime, expiry: Expiry | None = None) -> int:
        """Replace ``role``'s key: a new root version names it, then the role is re-signed.

        Returns the new root version. Kiosks follow through the root chain at their next sync.
        """
        if role not in ROLES:
            raise DeviceError(f"expected a role of {', '.join(ROLES)}, got {role[:20]!r}")
        exp = expiry or Expiry()
        now = _utc(now)
        with self.locked():
            old_root_signer = self._signer("root")
            new = CryptoSigner.generate_ed25519()
            write_atomic(self._keys_dir / f"{role}.next.pem", new.private_bytes, mode=0o600)
            root = Metadata[Root].from_bytes(self.root_bytes()).signed
            for keyid in list(root.roles[role].keyids):
                root.revoke_key(keyid, role)
            root.add_key(new.public_key, role)
            root.version += 1
            root.expires = now + exp.root
            md = Metadata(root)
            # TUF §5.3.4: the new root must carry a threshold of the old root keys' signatures
            # and, §5.3.5, of its own; for a non-root rotation the root key is both.
            md.sign(old_root_signer)
            if role == "root":
                md.sign(new, append=True)
            write_atomic(self.metadata_dir / f"{root.version}.root.json", md.to_bytes(self._ser))
            self._reload_root()
            self._finish_rotation(now=now, exp=exp)
            return root.version

    def _finish_rotation(self, *, now: datetime | None = None,
                         exp: Expiry | None = None) -> None:
        """Complete an interrupted rotation (steps 3 and 4 in the module docstring)."""
        root = self._root.signed
        for role in ROLES:
            pending = self._keys_dir / f"{role}.next.pem"
            if not pending.exists():
                continue
            public = root.keys[root.roles[role].keyids[0]]
            data = pending.read_bytes()
            private = load_pem_private_key(data, None)
            if isinstance(public, SSlibKey) and _raw_private_public(private) == \
                    bytes.fromhex(str(public.keyval.get("public", ""))):
                write_atomic(self._keys_dir / f"{role}.pem", data, mode=0o600)
            pending.unlink()
        if not (self.metadata_dir / "timestamp.json").exists():
            return
        when = _utc(now or datetime.now(UTC))
        exp = exp or Expiry()
        resign = (
            ("targets", self._targets,
             lambda: self._publish({}, remove=(), custom=None, now=when, exp=exp)),
            ("snapshot", self._snapshot,
             lambda: self._publish_snapshot(self._targets().signed.version, now=when, exp=exp,
                                            first=False)),
            ("timestamp", self._timestamp,
             lambda: self._publish_timestamp(self._snapshot().signed.version, now=when,
                                             exp=exp, first=False)),
        )
        for role, load, redo in resign:
            current: Metadata[Targets] | Metadata[Snapshot] | Metadata[Timestamp] = load()
            try:
                root.verify_delegate(role, current.signed_bytes, current.signatures)
            except UnsignedMetadataError:
                redo()  # re-signs this role and every role below it
                return

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
            root: list[str] = []
            if current["root"] - now < exp.root * margin:
                self._resign_root(now=now, exp=exp)
                root = ["root"]
            if current["targets"] - now < exp.targets * margin:
                self._publish({}, remove=(), custom=None, now=now, exp=exp)
                return [*root, "targets", "snapshot", "timestamp"]
            if current["snapshot"] - now < exp.snapshot * margin:
                self._publish_snapshot(self.versions()["targets"], now=now, exp=exp,
                                       first=False)
                return [*root, "snapshot", "timestamp"]
            if current["timestamp"] - now < exp.timestamp * margin:
                self._publish_timestamp(self.versions()["snapshot"], now=now, exp=exp,
                                        first=False)
                return [*root, "timestamp"]
            return root

    def _resign_root(self, *, now: datetime, exp: Expiry) -> None:
        """The same keys in root version N+1 with a fresh expiry: kiosks walk N → N+1 as for a
        rotation, so a root never expires under a kiosk that syncs (TUF §5.3.10)."""
        root = Metadata[Root].from_bytes(self.root_bytes()).signed
        root.version += 1
        root.expires = now + exp.root
        md = Metadata(root)
        md.sign(self._signer("root"))
        write_atomic(self.metadata_dir / f"{root.version}.root.json", md.to_bytes(self._ser))
        self._reload_root()


__all__ = ["ROLES", "Expiry", "TufRepository", "write_atomic"]
