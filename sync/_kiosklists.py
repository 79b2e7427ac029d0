"""The synced lists in a kiosk data folder, read side: state, trust store, revocation index.

Separate from the TUF client (``sync._pull``) so that reading the lists (the gate's verifier,
``passkiosk verify --data``) loads neither python-tuf, securesystemslib nor urllib3.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from codes import DeviceError, TrustStore, parse_trust_list, write_atomic
from sync._lists import ListState
from sync._revstate import RevocationState


class KioskLists:
    """The synced lists in a kiosk data folder (read side: state, trust store, revocations)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.lists_dir = data_dir / "lists"
        self.metadata_dir = data_dir / "tuf" / "metadata"
        self.download_dir = data_dir / "tuf" / "download"
        self.revocations = RevocationState(self.lists_dir / "revocation")

    @property
    def state_path(self) -> Path:
        return self.lists_dir / "state.json"

    def state(self) -> ListState:
        """The recorded list state (an empty one if this kiosk never synced)."""
        try:
            raw = json.loads(self.state_path.read_bytes())
        except FileNotFoundError:
            return ListState()
        except (OSError, ValueError) as e:
            raise DeviceError(f"expected a JSON list state in {self.state_path}: {e}") from e
        fields = {f.name for f in dataclasses.fields(ListState)}
        return ListState(**{k: v for k, v in raw.items() if k in fields})

    def save_state(self, state: ListState) -> None:
        write_atomic(self.state_path, json.dumps(dataclasses.asdict(state), indent=1).encode())

    def trust_store(self) -> TrustStore:
        """The synced trust list; DeviceError if this kiosk has none yet."""
        path = self.lists_dir / "trust-list.json"
        try:
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise DeviceError(f"expected a synced trust list at {path}, found none: run "
                              "`passkiosk sync --data DIR --service URL` first") from e
        return parse_trust_list(data)

    def has_anchor(self) -> bool:
        return (self.metadata_dir / "root.json").exists() or self.cached_root() is not None

    def cached_root(self) -> bytes | None:
        """The newest root in ngclient's ``root_history`` when ``root.json`` is missing.

        ngclient replaces its ``root.json`` symlink by remove-then-create at every start; a kiosk
        killed between the two keeps its verified roots in ``root_history`` but loses the link.
        The newest of those is the anchor to start from (ngclient relinks it).
        """
        if (self.metadata_dir / "root.json").exists():
            return None
        versions: list[tuple[int, Path]] = []
        for path in (self.metadata_dir / "root_history").glob("*.root.json"):
            number = path.name.split(".", 1)[0]
            if number.isdigit():
                versions.append((int(number), path))
        return max(versions)[1].read_bytes() if versions else None


__all__ = ["KioskLists"]
