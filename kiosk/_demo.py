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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import codes
from codes import Kind, RevocationView, TrustStore, Verdict
from kiosk._controller import KioskController
from kiosk._gate import GateTimings, Phase
from readers import CardPresented

DEMO_ISSUER = "CN-44"
DEMO_CARD_SERIAL = "8A3F1C0077E2D145"


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
    ``card_read_s`` so the "reading" screen is seen. ``card_released`` lets the headless run hold
    a read open until it has photographed the reading screen at every size.
    """

    def __init__(
        self, data: DemoData, clock: Callable[[], float] = time.time, card_read_s: float = 0.8
    ) -> None:
        self._data = data
        self._clock = clock
        self._card_read_s = card_read_s
        self.card_released = threading.Event()
        self.card_released.set()

    def check_code(self, text: str) -> Verdict:
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


# What each on-screen demo button does: (object name, label, action on the controller).
def demo_actions(data: DemoData) -> list[tuple[str, str, Callable[[KioskController], None]]]:
    from kiosk import _words as W

    def code(key: str) -> Callable[[KioskController], None]:
        return lambda c: c.present_code(data.tokens[key])

    def card(c: KioskController) -> None:
        c.present_card(CardPresented(serial=DEMO_CARD_SERIAL, source="demo"))

    broken = data.tokens["phone"][:-12]  # a torn / partly covered code
    return [
        ("demoCard", W.DEMO_CARD, card),
        ("demoPhone", W.DEMO_PHONE, code("phone")),
        ("demoPrinted", W.DEMO_PRINTED, code("printed")),
        ("demoYellow", W.DEMO_YELLOW, code("yellow")),
        ("demoRed", W.DEMO_RED, code("red")),
        ("demoBroken", W.DEMO_BROKEN, lambda c: c.present_code(broken)),
    ]


def run_demo(
    *,
    headless: bool,
    screenshots: Path | None,
    language: str,
    windowed: bool,
) -> int:
    from PySide6.QtCore import QEventLoop, QTimer

    from kiosk._app import application, install_language
    from kiosk._wedge import WedgeFilter
    from kiosk._window import KioskWindow

    app = application(headless=headless)
    install_language(app, language)
    data = DemoData(int(time.time()))
    timings = GateTimings() if not headless else GateTimings(pass_hold_s=60, alert_hold_s=60)
    verifier = DemoVerifier(data, card_read_s=0.0 if headless else 0.8)
    controller = KioskController(verifier, timings)
    window = KioskWindow()
    controller.stateChanged.connect(window.show_state)
    window.page.touched.connect(controller.dismiss)
    actions = demo_actions(data)
    for name, label, action in actions:
        button = window.add_demo_button(name, label)
        button.clicked.connect(lambda _=False, a=action: a(controller))
    # A USB scanner gun types the code: the wedge filter turns its keystroke bursts into scans.
    wedge = WedgeFilter(app)
    app.installEventFilter(wedge)
    wedge.scanned.connect(controller.present_code)
    window.strip.site.setText("DEMO · 广州南站 · 3号闸机")
    window.strip.set_freshness(120.0, 24 * 3600)
    window.strip.readers.setText("身份证读卡器 ✓  摄像头 ✓")

    if not headless:
        if windowed:
            window.resize(1280, 800)
            window.show()
        else:
            window.showFullScreen()
        rc = app.exec()
        controller.shutdown()
        return rc

    assert screenshots is not None
    screenshots.mkdir(parents=True, exist_ok=True)
    window.show()

    def settle(until: Callable[[], bool], limit_s: float = 10.0) -> None:
        deadline = time.monotonic() + limit_s
        while not until() and time.monotonic() < deadline:
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()

    def shoot(step: str) -> None:
        for w, h in ((1920, 1080), (1280, 800)):
            window.resize(w, h)
            settle(lambda: False, 0.15)  # let layouts and fonts follow the new size
            path = screenshots / f"{step}-{w}x{h}.png"
            window.grab().save(str(path))

    shoot("01-idle")
    steps = [("card", "02-card-reading", "03-card-pass")] + [
        (key, None, f"{i:02d}-{key}") for i, key in enumerate(
            ("phone", "printed", "yellow", "red", "broken"), start=4)
    ]
    by_key = {name.removeprefix("demo").lower(): action for name, _, action in actions}
    for key, reading_step, verdict_step in steps:
        controller.dismiss()
        if reading_step:
            verifier.card_released.clear()
        by_key[key](controller)
        if reading_step:
            shoot(reading_step)
            verifier.card_released.set()
        settle(lambda: controller.state.phase is Phase.VERDICT)
        shoot(verdict_step)
    controller.shutdown()
    print(os.fspath(screenshots.resolve()))
    return 0

