"""Helpers shared by the console tests: cards from a PDF, a kiosk that uploads, verify."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import time
from pathlib import Path

from codes.wire import EntryRecord, KioskHealth, new_record_id
from kiosk.cli import main as passkiosk
from readers import decode_image_file
from service import ServiceState
from sync import Store, device_public_key, load_or_create_device_key
from sync._push import push_pending


def pdf_tokens(pdf: bytes, folder: Path) -> list[str]:
    """The QR text of every page of a card PDF (rasterised at 150 dpi, as a printer would)."""
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / "cards.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(src), str(folder / "page")],
                   check=True, timeout=60)
    out = []
    for png in sorted(folder.glob("page*.png")):
        out.extend(decode_image_file(str(png)))
    return out


def verify(data: Path, token: str, folder: Path, now: float | None = None,
           db: str | None = None) -> dict[str, object]:
    """``passkiosk verify`` against the service's current trust list, at ``now``."""
    with ServiceState(data, db=db) as st:
        trust = {"keys": [e.to_json() for e in st.trust_entries()]}
    path = folder / "trust.json"
    path.write_text(json.dumps(trust))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = passkiosk(["verify", "--trust-list", str(path), "--now",
                        str(int(time.time() if now is None else now)), token])
    assert rc == 0, buf.getvalue()
    result: dict[str, object] = json.loads(buf.getvalue())
    return result


def print_link(html: str) -> str:
    m = re.search(r'href="(/console/worker/print/[^"]+\.pdf)"', html)
    assert m, html[:2000]
    return m.group(1)


class Kiosk:
    """A kiosk's real store and device key, uploading through the real push client."""

    def __init__(self, folder: Path, site: str = "S-EAST", gate: str = "G1") -> None:
        self.folder, self.site, self.gate = folder, site, gate
        load_or_create_device_key(folder)
        self.public_key = device_public_key(folder)

    def push(self, url: str, outcomes: dict[str, int], *, reader: str = "ok",
             clock_warnings: tuple[str, ...] = (), at: int | None = None) -> None:
        when = int(time.time()) if at is None else at
        with Store(self.folder) as store:
            for outcome, n in outcomes.items():
                for _ in range(n):
                    store.add_record(EntryRecord(new_record_id(), when, self.site, self.gate,
                                                 outcome, "ok", "PK1", "ab" * 16, None))
            push_pending(store, url, load_or_create_device_key(self.folder),
                         health=KioskHealth(app_version="0.1.0", list_version=3,
                                            data_age_s=120, reader=reader, camera="ok",
                                            clock_warnings=clock_warnings, queue_depth=0))
