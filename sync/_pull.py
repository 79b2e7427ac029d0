"""Kiosk refresh: fetch the signed trust list and revocation list with python-tuf's ngclient.

Trust anchor: the kiosk is bootstrapped with the service's ``1.root.json``, copied by staff at
enrolment and given once as ``bootstrap_root`` (``passkiosk sync --root FILE``). It is kept in
``<data>/tuf/metadata/`` and ngclient follows root rotations from there; a kiosk with no anchor
refuses to sync rather than trust whatever the network says first.

TUF (``tuf.ngclient.Updater``) checks signatures, versions (rollback), expiry (freeze),
snapshot consistency (mix-and-match) and lengths (endless data) of metadata and targets; this
module adds nothing of that kind. It chooses what to download (numbered deltas when the chain
from our version is complete and smaller than the full snapshot, else the full snapshot), hands
verified files to the revocation files and records the list state.

ngclient has no offline mode: if anything fails the previous lists stay in use untouched, the
failure is recorded in the state (``last_error``) and ``SyncError`` says what happened; the data
age keeps growing and the stale policy (``sync._lists``) takes over for lookups.

Layout under the kiosk data folder::

    tuf/metadata/        ngclient's trusted metadata (root history, timestamp, snapshot, targets)
    tuf/download/        verified target files in transit (removed after use)
    lists/trust-list.json
    lists/state.json     ListState as JSON (written atomically)
    lists/revocation/    revocation index files (``sync._revstate``)
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

import urllib3
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import TargetFile
from tuf.ngclient import FetcherInterface, Updater, UpdaterConfig
from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

from codes import DeviceError, TokenError, parse_trust_list, write_atomic
from codes.wire import FULL_TARGET, TRUST_TARGET, delta_target
from sync._heap import release_free_heap
from sync._kiosklists import KioskLists
from sync._lists import ListState

DEFAULT_TIMEOUT = 10  # seconds: connect and gap between bytes (urllib3 via ngclient)
MAX_TRUST_LIST = 1024 * 1024  # a trust list is a few keys; 1 MB is generous
# Metadata size caps (ngclient's endless-data protection): timestamp and snapshot are tiny in
# this repository; targets lists at most KEEP_DELTAS + 2 files.
_CONFIG = UpdaterConfig(root_max_length=64 * 1024, timestamp_max_length=8 * 1024,
                        snapshot_max_length=64 * 1024, targets_max_length=256 * 1024,
                        app_user_agent="passkiosk")


class SyncError(DeviceError):
    """A refresh failed; ``status`` is a short machine word, the message says what happened."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class PullResult:
    state: ListState
    applied: tuple[str, ...]  # e.g. ("trust", "delta 5", "delta 6") or ("full 6",)
    downloaded_bytes: int


def default_fetcher(timeout: int = DEFAULT_TIMEOUT) -> FetcherInterface:
    return Urllib3Fetcher(socket_timeout=timeout, app_user_agent="passkiosk")


def _describe(e: BaseException) -> tuple[str, str]:
    """A status word and a message for a TUF/network failure (most specific first)."""
    if isinstance(e, tuf_errors.SlowRetrievalError):
        # urllib3 files "connection refused" under connect timeouts; tell staff the truth.
        cause = e.__cause__
        if isinstance(cause, urllib3.exceptions.MaxRetryError) and isinstance(
                cause.reason, urllib3.exceptions.NewConnectionError):
            return "unreachable", f"could not connect to the service ({cause.reason})"
        return "timeout", "the service did not answer in time"
    if isinstance(e, tuf_errors.DownloadHTTPError):
        return "http_error", f"the service answered HTTP {e.status_code}"
    if isinstance(e, tuf_errors.DownloadLengthMismatchError):
        return "too_large", f"a download exceeded its signed length ({e})"
    if isinstance(e, tuf_errors.DownloadError):
        cause = e.__cause__ or e
        if isinstance(cause, urllib3.exceptions.MaxRetryError) and isinstance(
                cause.reason, urllib3.exceptions.NewConnectionError):
            return "unreachable", f"could not connect to the service ({cause.reason})"
        return "download_failed", f"a download from the service broke off ({cause})"
    if isinstance(e, urllib3.exceptions.HTTPError):
        return "download_failed", f"a download from the service broke off ({e})"
    if isinstance(e, tuf_errors.ExpiredMetadataError):
        return "expired", f"the service's signed metadata has expired (freeze?): {e}"
    if isinstance(e, tuf_errors.BadVersionNumberError):
        return "rollback", f"the service offered older metadata than we trust: {e}"
    if isinstance(e, tuf_errors.UnsignedMetadataError):
        return "bad_signature", f"metadata signature check failed: {e}"
    if isinstance(e, tuf_errors.LengthOrHashMismatchError):
        return "bad_hash", f"a download does not match its signed length/hash: {e}"
    if isinstance(e, tuf_errors.RepositoryError):
        return "bad_metadata", f"the service's metadata is not acceptable: {e}"
    if isinstance(e, TokenError):
        return "bad_list", f"a signed list is not usable: {e}"
    if isinstance(e, DeviceError | OSError):
        return "local_error", f"the kiosk could not store the lists: {e}"
    return "error", f"{type(e).__name__}: {e}"


def pull(data_dir: Path, service_url: str, *, now: int,
         fetcher: FetcherInterface | None = None, bootstrap_root: bytes | None = None,
         timeout: int = DEFAULT_TIMEOUT) -> PullResult:
    """One refresh of trust and revocation lists; on failure the old lists stay in use.

    ``now`` is the kiosk time recorded as the moment the lists were confirmed current.
    Raises SyncError (a DeviceError) with ``status`` and a message when the refresh fails.
    """
    lists = KioskLists(data_dir)
    lists.metadata_dir.mkdir(parents=True, exist_ok=True)
    if not lists.has_anchor() and bootstrap_root is None:
        raise SyncError("no_anchor", f"expected the service's root.json as trust anchor in "
                                     f"{lists.metadata_dir}, found none: pass --root FILE once "
                                     "(copied from the service's repo/metadata/1.root.json)")
    try:
        state = lists.state()
    except DeviceError:
        # An unreadable state file must not block the repair: the index carries its own
        # version, and a successful refresh writes a whole new state.
        state = ListState()
    base = service_url.rstrip("/")
    try:
        result = _refresh(lists, state, base, now=now,
                          fetcher=fetcher or default_fetcher(timeout),
                          bootstrap_root=bootstrap_root if not lists.has_anchor()
                          else lists.cached_root())
    except (tuf_errors.RepositoryError, tuf_errors.DownloadError, urllib3.exceptions.HTTPError,
            TokenError, DeviceError, OSError) as e:
        # urllib3 errors: ngclient wraps failures when a download starts, not those raised
        # while the body streams (a connection cut mid-file arrives as ProtocolError).
        status, message = _describe(e)
        with contextlib.suppress(OSError):
            lists.save_state(state.attempted(now, f"{status}: {message}"))
        raise SyncError(status, f"sync failed ({status}): {message}; keeping lists "
                                f"verified {_age_text(state, now)}") from e
    finally:
        shutil.rmtree(lists.download_dir, ignore_errors=True)
    return result


def _age_text(state: ListState, now: int) -> str:
    age = state.age(now)
    return "never" if age is None else f"{age} s ago"


def _refresh(lists: KioskLists, state: ListState, base: str, *, now: int,
             fetcher: FetcherInterface, bootstrap_root: bytes | None) -> PullResult:
    lists.download_dir.mkdir(parents=True, exist_ok=True)
    updater = Updater(str(lists.metadata_dir), f"{base}/metadata/",
                      target_dir=str(lists.download_dir), target_base_url=f"{base}/targets/",
                      fetcher=fetcher, config=_CONFIG, bootstrap=bootstrap_root)
    updater.refresh()
    applied: list[str] = []
    downloaded = 0

    trust_info = _required(updater, TRUST_TARGET)
    trust_sha = trust_info.hashes["sha256"]
    trust_keys = state.trust_keys
    if trust_sha != state.trust_sha256:
        if trust_info.length > MAX_TRUST_LIST:
            raise TokenError("too_large", f"expected a trust list of at most {MAX_TRUST_LIST} "
                                          f"bytes, the service signed {trust_info.length}")
        path = Path(updater.download_target(trust_info))
        data = path.read_bytes()
        downloaded += len(data)
        trust_keys = len(parse_trust_list(data).keys)  # unusable → TokenError, nothing replaced
        write_atomic(lists.lists_dir / "trust-list.json", data)
        applied.append("trust")

    full_info = _required(updater, FULL_TARGET)
    target_version = _custom_int(full_info, "version")
    have = lists.revocations.version()
    if have > target_version:
        # TUF already refuses old metadata; a lower list version under new metadata means the
        # service lost state. Keep our newer list and tell staff rather than regress silently.
        raise tuf_errors.RepositoryError(f"expected revocation list version >= {have}, the "
                                         f"service offers {target_version}")
    if have != target_version:
        chain = _delta_chain(updater, have, target_version)
        if chain is not None and sum(i.length for i in chain) < full_info.length:
            for info in chain:
                path = Path(updater.download_target(info))
                downloaded += info.length
                lists.revocations.apply_delta(path, expect_version=_custom_int(info, "version"))
                applied.append(f"delta {_custom_int(info, 'version')}")
                path.unlink()
        else:
            path = Path(updater.download_target(full_info))
            downloaded += full_info.length
            lists.revocations.install_full(path, expect_version=target_version)
            applied.append(f"full {target_version}")
        # The merge's transient buffers were freed: hand their pages back now, not whenever.
        release_free_heap()

    counts = lists.revocations.counts()
    new_state = dataclasses.replace(
        state, revocation_version=lists.revocations.version(), trust_sha256=trust_sha,
        verified_at=now, last_attempt_at=now, last_error=None, trust_keys=trust_keys,
        token_entries=counts.get("token", 0), subject_entries=counts.get("subject", 0),
        card_entries=counts.get("card", 0))
    lists.save_state(new_state)
    return PullResult(new_state, tuple(applied), downloaded)


def _required(updater: Updater, path: str) -> TargetFile:
    info = updater.get_targetinfo(path)
    if info is None:
        raise tuf_errors.RepositoryError(f"expected target {path} in the signed targets, "
                                         "found none")
    return info


def _custom_int(info: TargetFile, name: str) -> int:
    custom = info.custom
    value = custom.get(name) if isinstance(custom, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise tuf_errors.RepositoryError(f"expected an integer custom.{name} on target "
                                         f"{info.path}, got {value!r}")
    return value


def _delta_chain(updater: Updater, have: int, target: int) -> list[TargetFile] | None:
    """Deltas have+1 .. target if every one is still published, else None (take the full)."""
    if have == 0:
        return None
    chain = []
    for v in range(have + 1, target + 1):
        info = updater.get_targetinfo(delta_target(v))
        if info is None or _custom_int(info, "base") != v - 1:
            return None
        chain.append(info)
    return chain


__all__ = ["DEFAULT_TIMEOUT", "KioskLists", "PullResult", "SyncError", "default_fetcher", "pull"]
