"""``passkiosk demo --headless --screenshots DIR``: walks every screen and photographs it.

Each step drives the real app the way a person would (a card tap, a scan, keys on the keypad, the
staff corner) and saves one PNG per step at 1920x1080 and at 1280x800. The only screens set
directly are the ones no demo input can produce (each invalid reason, a broken reader, a failed
disk, a clock set back): the window renders them from the same state a real kiosk would be in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QPushButton

from codes import Outcome, Verdict
from kiosk._demo import DEMO_CARD_SERIAL, DEMO_PIN, PEOPLE, DemoData, DemoVerifier
from kiosk._gate import GateState, GateTimings, Phase, Presentation
from kiosk._gateapp import GateApp
from kiosk._keypad import DELETE, Keypad
from kiosk._words import REASONS, Availability
from readers import CardPresented

SIZES = ((1920, 1080), (1280, 800))
HELPER_SERIAL = "04A1B2C3D4E5F607"
PANEL_PAGES = ("status", "settings")
# Reasons a real read ends in "invalid" (the others above are attention/deny, shown by people).
INVALID_REASONS = sorted(
    r for r in REASONS
    if r not in ("ok", "no_record", "status_yellow", "status_red", "revoked_subject",
                 "revoked_card", "stale_data", "no_data")
)


def settle(until: Callable[[], bool], limit_s: float = 10.0) -> None:
    deadline = time.monotonic() + limit_s
    while not until() and time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def walk(gate: GateApp, data: DemoData, verifier: DemoVerifier, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    window, flow, controller = gate.window, gate.flow, gate.controller
    # Verdicts stay until the next step clears them (staff acknowledge), so each can be shot.
    controller.set_timings(GateTimings(pass_hold_s=600, alert_hold_s=600))
    window.set_policy(controller.timings)
    window.show()
    shots: list[Path] = []

    def shoot(step: str) -> None:
        for w, h in SIZES:
            window.resize(w, h)
            settle(lambda: False, 0.12)  # let layouts and fonts follow the new size
            path = out / f"{step}-{w}x{h}.png"
            window.grab().save(str(path))
            shots.append(path)

    def clear() -> None:
        controller.acknowledge()
        flow.back_to_gate()
        settle(lambda: controller.state.phase is Phase.IDLE)

    def verdict_of(action: Callable[[], None]) -> None:
        clear()
        action()
        settle(lambda: controller.state.phase is Phase.VERDICT)

    def press(page: object, keys: str | list[str]) -> None:
        assert hasattr(page, "findChild")
        keypad = page.findChild(Keypad)
        assert keypad is not None
        for key in keys:
            keypad.key(key).click()

    def click(page: object, name: str) -> None:
        assert hasattr(page, "findChild")
        button = page.findChild(QPushButton, name)
        assert button is not None, name
        button.click()

    # Idle in each language: the language buttons switch it, the next person gets the default.
    for i, language in enumerate(("zh_CN", "zh_HK", "en"), start=1):
        click(window.page, f"lang_{language}")
        shoot(f"{i:02d}-idle-{language}")
    gate.languages.reset()

    # Reading: the demo reader holds the read open until both sizes are shot.
    clear()
    verifier.card_released.clear()
    flow.card(CardPresented(serial=DEMO_CARD_SERIAL, source="demo"))
    settle(lambda: controller.state.phase is Phase.READING)
    shoot("04-reading-card")
    verifier.card_released.set()
    settle(lambda: controller.state.phase is Phase.VERDICT)
    shoot("05-pass-card")
    clear()
    verifier.code_released.clear()
    flow.code(data.tokens["phone"])
    settle(lambda: controller.state.phase is Phase.READING)
    shoot("06-reading-code")
    verifier.code_released.set()
    settle(lambda: controller.state.phase is Phase.VERDICT)
    shoot("07-pass-phone")

    # One verdict per demo person, then a damaged code.
    for i, person in enumerate(PEOPLE[1:], start=8):
        token = data.tokens[person.key]
        verdict_of(partial(flow.code, token))
        shoot(f"{i:02d}-{person.key}")
    verdict_of(lambda: flow.code(data.tokens["phone"][:-12]))
    shoot("11-damaged-code")

    # Each reason a read can be invalid for, as the gate shows it.
    for i, reason in enumerate(INVALID_REASONS, start=12):
        clear()
        presentation = Presentation.ID_CARD if reason in ("card_removed",
                                                          "bad_card_serial") else Presentation.CODE
        window.show_state(GateState(Phase.VERDICT, time.monotonic(), presentation,
                                    Verdict(Outcome.INVALID, reason), read_id=0))
        shoot(f"{i:02d}-invalid-{reason}")
    clear()

    # Helper proxy lookup: identify by card, type, a wrong check character, confirm, result.
    n = 12 + len(INVALID_REASONS)
    target = PEOPLE[1].id18
    flow.start_helper()
    shoot(f"{n:02d}-proxy-identify")
    flow.card(CardPresented(serial=HELPER_SERIAL, source="helper card"))
    press(flow.proxy, target[:11])
    shoot(f"{n + 1:02d}-proxy-keypad")
    wrong_last = "0" if target[-1] != "0" else "1"
    press(flow.proxy, target[11:17] + wrong_last)
    shoot(f"{n + 2:02d}-proxy-wrong-check")
    press(flow.proxy, [DELETE])
    press(flow.proxy, target[17])
    click(flow.proxy, "next")
    shoot(f"{n + 3:02d}-proxy-confirm")
    click(flow.proxy, "lookUp")
    settle(lambda: controller.state.phase is Phase.VERDICT)
    shoot(f"{n + 4:02d}-proxy-result")
    clear()
    flow.start_helper()
    flow.card(CardPresented(serial=HELPER_SERIAL, source="helper card"))
    press(flow.proxy, target)
    click(flow.proxy, "next")
    flow.proxy.show_rate_limited(42.0)
    shoot(f"{n + 5:02d}-proxy-rate-limited")
    clear()

    # Staff: PIN, panel pages, then wrong PINs up to the lockout.
    n += 6
    window.page.staffRequested.emit()  # the corner target after its 2 s hold
    shoot(f"{n:02d}-staff-pin")
    press(flow.pin, DEMO_PIN)
    click(flow.pin, "ok")
    settle(lambda: window.current_screen() == "panel")
    for j, page in enumerate(PANEL_PAGES, start=1):
        flow.panel.show_page(page)
        shoot(f"{n + j:02d}-staff-panel-{page}")
    n += len(PANEL_PAGES) + 1
    clear()
    window.page.staffRequested.emit()
    def wrong_pin() -> None:
        before = len(gate.store.audit_entries())
        press(flow.pin, "1111")
        click(flow.pin, "ok")
        settle(lambda: len(gate.store.audit_entries()) > before)

    wrong_pin()
    shoot(f"{n:02d}-staff-pin-wrong")
    for _ in range(4):
        wrong_pin()
    shoot(f"{n + 1:02d}-staff-pin-locked")
    clear()

    # Out of service, a reader down, stale data and a clock set back.
    n += 2
    for j, available in enumerate((Availability.OUT_READERS, Availability.OUT_STORAGE,
                                   Availability.OUT_CLOCK, Availability.NO_CARD,
                                   Availability.NO_CODE)):
        window.set_availability(available)
        shoot(f"{n + j:02d}-{available.value.replace('_', '-')}")
    window.set_availability(Availability.OK)
    n += 5
    window.set_freshness(30 * 3600.0, 24 * 3600)
    verdict_of(lambda: flow.code(data.tokens["phone"]))
    shoot(f"{n:02d}-stale-data")
    clear()
    window.set_freshness(120.0, 24 * 3600, clock_rolled_back=True)
    shoot(f"{n + 1:02d}-clock-warning")
    window.set_freshness(120.0, 24 * 3600)
    return shots
