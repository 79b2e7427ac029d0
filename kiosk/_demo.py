"""The kiosk demo: embedded demo trust list and people, simulated readers on on-screen buttons.

Everything goes through the real path: tokens are issued and verified by ``codes`` with a demo
issuer key, an ID-card tap is a ``CardPresented`` event hashed per spec §5, and the gate state
machine drives the real window. Only the readers are simulated. The demo key is derived from a
fixed label so screenshots are reproducible; it is trusted by nothing but the demo.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import codes
from codes import Kind, RevocationView, TrustStore, Verdict
from codes.wire import record_from_verdict
from kiosk._config import KioskConfig
from kiosk._flow import GateFlow
from kiosk._gateapp import GateApp, StatusSources
from kiosk._panel_model import ListInfo
from readers import CardPresented
from sync import SiteConfig, Store

DEMO_ISSUER = "CN-44"
DEMO_CARD_SERIAL = "8A3F1C0077E2D145"
DEMO_PIN = "246810"  # the demo's staff PIN (a real kiosk's is set at setup)


def _with_check(id17: str) -> str:
    """Completes a 17-digit ID body with its GB 11643 check character (demo data only)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return id17 + "10X98765432"[sum(int(c) * w for c, w in zip(id17, weights, strict=True)) % 11]


@dataclass(frozen=True, slots=True)
class DemoPerson:
    key: str
    name: str
    id18: str
    status: int  # PK1 spec §3 st: 0 green, 1 yellow, 2 red
    kind: Kind


PEOPLE = (
    DemoPerson("phone", "张小明", _with_check("44010619900307123"), 0, Kind.PHONE),
    DemoPerson("printed", "李秀英", _with_check("44010619410815262"), 0, Kind.PRINTED),
    DemoPerson("yellow", "王建国", _with_check("44010319560121331"), 1, Kind.PHONE),
    DemoPerson("red", "赵丽", _with_check("44010419850602444"), 2, Kind.PHONE),
)


class DemoData:
    """Demo trust list, revocation list and freshly issued tokens for the demo people."""

    def __init__(self, now: int) -> None:
        seed = hashlib.sha256(b"passkiosk demo issuer key v1").digest()
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        spki = self._key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        self.kid = codes.kid_for_public_key(self._key.public_key())
        trust_json = {
            "keys": [
                {
                    "kid": self.kid.hex(),
                    "iss": DEMO_ISSUER,
                    "alg": "EdDSA",
                    "spki": base64.b64encode(spki).decode(),
                    "not_before": now - 86_400,
                    "not_after": now + 365 * 86_400,
                    "revoked": False,
                }
            ]
        }
        self.trust: TrustStore = codes.parse_trust_list(json.dumps(trust_json).encode())
        self.revocation: RevocationView = codes.parse_revocation_list(b'{"entries": []}')
        self.tokens = {p.key: self._issue(p, now) for p in PEOPLE}

    def _issue(self, person: DemoPerson, now: int) -> str:
        lifetime = 7 * 86_400 if person.kind is Kind.PRINTED else 12 * 3600
        return codes.issue_pk1(
            signing_key=self._key,
            kid=self.kid,
            iss=DEMO_ISSUER,
            iat=now,
            exp=now + lifetime,
            cti=hashlib.sha256(f"demo token {person.key} {now}".encode()).digest()[:16],
            status=person.status,
            kind=1 if person.kind is Kind.PRINTED else 0,
            sh=codes.subject_hash(person.id18),
            nm=codes.mask_name(person.name),
            im=codes.mask_id(person.id18),
        )


class DemoVerifier:
    """Verifies against the demo data with the wall clock as ``now``.

    A real ID-card read takes about a second (the card is held ~2 s); the simulated one waits
    ``card_read_s`` so the "reading" screen is seen. ``card_released`` and ``code_released`` let
    the headless run hold a read open until it has photographed the reading screen at every size.
    """

    def __init__(
        self, data: DemoData, clock: Callable[[], float] = time.time, card_read_s: float = 0.8
    ) -> None:
        self._data = data
        self._clock = clock
        self._card_read_s = card_read_s
        self.card_released = threading.Event()
        self.card_released.set()
        self.code_released = threading.Event()
        self.code_released.set()

    def check_code(self, text: str) -> Verdict:
        self.code_released.wait(timeout=30)
        return codes.verify(text, self._data.trust, self._data.revocation, int(self._clock()))

    def check_card(self, card: CardPresented) -> Verdict:
        self.card_released.wait(timeout=30)
        time.sleep(self._card_read_s)  # worker thread: the simulated card read itself
        now = int(self._clock())
        if card.id18 is not None:  # a GA/T 467 reader gave the ID number itself
            return codes.lookup_id(card.id18, self._data.revocation, now)
        return codes.lookup_card(card.serial or "", self._data.revocation, now)

    def check_id(self, id18: str) -> Verdict:
        return codes.lookup_id(id18, self._data.revocation, int(self._clock()))


class RecordingDemoVerifier:
    """Writes an entry record for every demo verdict into the demo's store, as the real kiosk
    does, so the staff panel's counts and export show real numbers."""

    def __init__(self, inner: DemoVerifier, store: Store, site: str, gate: str) -> None:
        self._inner, self._store, self._site, self._gate = inner, store, site, gate

    def _record(self, verdict: Verdict) -> Verdict:
        self._store.add_record(record_from_verdict(verdict, at=int(time.time()),
                                                   site=self._site, gate=self._gate))
        return verdict

    def check_code(self, text: str) -> Verdict:
        return self._record(self._inner.check_code(text))

    def check_card(self, card: CardPresented) -> Verdict:
        return self._record(self._inner.check_card(card))

    def check_id(self, id18: str) -> Verdict:
        return self._record(replace(self._inner.check_id(id18), proxy=True))


# What each on-screen demo button does: (object name, label, action on the gate flow).
def demo_actions(data: DemoData) -> list[tuple[str, str, Callable[[GateFlow], None]]]:
    from kiosk import _words as W

    def code(key: str) -> Callable[[GateFlow], None]:
        return lambda f: f.code(data.tokens[key])

    def card(f: GateFlow) -> None:
        f.card(CardPresented(serial=DEMO_CARD_SERIAL, source="demo"))

    broken = data.tokens["phone"][:-12]  # a torn / partly covered code
    return [
        ("demoCard", W.DEMO_CARD, card),
        ("demoPhone", W.DEMO_PHONE, code("phone")),
        ("demoPrinted", W.DEMO_PRINTED, code("printed")),
        ("demoYellow", W.DEMO_YELLOW, code("yellow")),
        ("demoRed", W.DEMO_RED, code("red")),
        ("demoBroken", W.DEMO_BROKEN, lambda f: f.code(broken)),
    ]


def build_demo(*, headless: bool, language: str | None, data_dir: Path) -> tuple[GateApp, DemoData,
                                                                                 DemoVerifier]:
    """The real gate app over demo data, in ``data_dir`` (a fresh folder)."""
    from kiosk import _words as W
    from kiosk._app import second_language, system_language

    store = Store(data_dir)
    config = KioskConfig(site="DEMO", gate="3", language=language or system_language())
    store.save_site_config(SiteConfig(site_id=config.site, gate_id=config.gate))
    store.set_staff_pin(DEMO_PIN)
    data = DemoData(int(time.time()))
    verifier = DemoVerifier(data, card_read_s=0.0 if headless else 0.8)
    gate = GateApp(
        config,
        store=store,
        verifier=RecordingDemoVerifier(verifier, store, config.site, config.gate),
        data_dir=data_dir,
        config_path=None,
        status=StatusSources(
            lists=lambda: (ListInfo("revocation", 1, 120.0),),
            readers=lambda: ("demo ✓",),
            last_sync=lambda: "DEMO",
        ),
        headless=headless,
        sound=not headless,
    )
    window = gate.window
    for name, label, action in demo_actions(data):
        button = window.add_demo_button(name, label)
        button.clicked.connect(lambda _=False, a=action: a(gate.flow))
    window.strip.site.setProperty("phrase", W.DEMO_SITE)
    window.strip.readers.setProperty("phrase", W.DEMO_READERS)
    window.set_language(gate.languages.current, second_language(gate.languages.current))
    window.set_freshness(120.0, 24 * 3600)
    return gate, data, verifier


def run_demo(
    *,
    headless: bool,
    screenshots: Path | None,
    language: str | None,
    windowed: bool,
) -> int:
    from kiosk._wedge import WedgeFilter

    with tempfile.TemporaryDirectory(prefix="passkiosk-demo-") as tmp:
        gate, data, verifier = build_demo(headless=headless, language=language,
                                          data_dir=Path(tmp))
        # A USB scanner gun types the code: the wedge filter turns its keystroke bursts into scans.
        wedge = WedgeFilter(gate.app)
        gate.app.installEventFilter(wedge)
        wedge.scanned.connect(gate.flow.code)
        try:
            if not headless:
                if windowed:
                    gate.window.resize(1280, 800)
                    gate.window.show()
                else:
                    gate.window.show_kiosk()
                return gate.app.exec()
            assert screenshots is not None
            from kiosk._demo_walk import walk

            walk(gate, data, verifier, screenshots)
            print(os.fspath(screenshots.resolve()))
            return 0
        finally:
            gate.app.removeEventFilter(wedge)
            gate.close()
            gate.store.close()
