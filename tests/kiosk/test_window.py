"""The whole gate app with pytest-qt (offscreen): model → widget and widget → model, over a real
store in a temp folder and a FakeVerifier in place of the synced lists."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFontInfo
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from codes import Kind, Outcome, Verdict
from kiosk import _style as S
from kiosk._config import KioskConfig, VerdictPolicy
from kiosk._gate import Phase
from kiosk._gateapp import GateApp
from kiosk._keypad import Keypad
from kiosk._words import Availability
from readers import CardPresented
from sync import SiteConfig, Store
from tests.fakes.verifier import FakeVerifier

GREEN = Verdict(
    Outcome.PASS, "ok", issuer="CN-44", name_masked="张*明", id_masked="440106********123X",
    kind=Kind.PRINTED, expires_at=1_790_000_000,
)
RED = Verdict(Outcome.DENY, "status_red", name_masked="赵*", kind=Kind.PHONE)
YELLOW = Verdict(Outcome.ATTENTION, "status_yellow", kind=Kind.PHONE)
PIN = "2468"
HELPED = "44010619410815262X"[:17]


def _with_check(id17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return id17 + "10X98765432"[sum(int(c) * w for c, w in zip(id17, weights, strict=True)) % 11]


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[GateApp, FakeVerifier]]:
    store = Store(tmp_path)
    store.save_site_config(SiteConfig(site_id="GZ", gate_id="3"))
    store.set_staff_pin(PIN)
    verifier = FakeVerifier()
    verifier.by_code = {"GREEN": GREEN, "RED": RED, "YELLOW": YELLOW}
    config = KioskConfig(site="GZ", gate="3", language="zh_CN",
                         policy=VerdictPolicy(ack_required=True))
    gate = GateApp(config, store=store, verifier=verifier, data_dir=tmp_path,
                   config_path=tmp_path / "config.toml", headless=True, sound=False)
    qtbot.addWidget(gate.window)
    gate.window.resize(1280, 800)
    gate.window.show()
    yield gate, verifier
    verifier.release.set()
    gate.close()
    store.close()


def text(widget: QWidget, name: str) -> str:
    label = widget.findChild(QLabel, name)
    assert label is not None, name
    return label.text()


def wait_phase(qtbot: QtBot, gate: GateApp, phase: Phase) -> None:
    qtbot.waitUntil(lambda: gate.controller.state.phase is phase, timeout=5000)


def enter_pin(qtbot: QtBot, gate: GateApp, pin: str) -> None:
    """Type the PIN and press OK; returns once the audit log has the check's result."""
    keypad = gate.flow.pin.findChild(Keypad)
    assert keypad is not None
    before = len(gate.store.audit_entries())
    for key in pin:
        QTest.mouseClick(keypad.key(key), Qt.MouseButton.LeftButton)
    QTest.mouseClick(gate.flow.pin.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(gate.store.audit_entries()) > before, timeout=5000)


def hold_staff_corner(qtbot: QtBot, gate: GateApp) -> None:
    corner = gate.window.page.staff_corner
    QTest.mousePress(corner, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(corner.activated, timeout=5000):
        pass
    QTest.mouseRelease(corner, Qt.MouseButton.LeftButton)
    assert gate.window.current_screen() == "pin"


def test_idle_in_chinese_with_english_below_and_a_language_switch(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier]
) -> None:
    gate, _ = app
    page = gate.window.page
    assert text(page, "headline") == "请刷身份证 或 出示通行码"
    assert text(page, "headlineSecond") == "Please tap your ID card or show your pass code"
    QTest.mouseClick(page.language_buttons["zh_HK"], Qt.MouseButton.LeftButton)
    assert text(page, "headline") == "請拍身份證 或 出示通行碼"
    assert QFontInfo(page.headline.font()).family() == "Noto Sans CJK HK"
    QTest.mouseClick(page.language_buttons["en"], Qt.MouseButton.LeftButton)
    assert text(page, "headline") == "Please tap your ID card or show your pass code"
    assert text(page, "headlineSecond") == "请刷身份证 或 出示通行码"  # Chinese stays below
    # The next person starts in the site's language again.
    gate.controller.present_code("GREEN")
    wait_phase(qtbot, gate, Phase.VERDICT)
    assert text(page, "headline") == "Please go through"
    gate.controller.acknowledge()
    wait_phase(qtbot, gate, Phase.IDLE)
    assert gate.languages.current == "zh_CN"
    assert text(page, "headline") == "请刷身份证 或 出示通行码"


def test_printed_pass_shows_masked_person_and_badge(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier]
) -> None:
    gate, verifier = app
    gate.flow.code("GREEN")
    wait_phase(qtbot, gate, Phase.VERDICT)
    page = gate.window.page
    assert text(page, "headline") == "请通行"
    assert text(page, "person") == "张*明  440106********123X"
    assert "纸质码" in text(page, "badges")
    assert verifier.calls == [("code", "GREEN")]


def test_red_stays_until_staff_acknowledge_in_the_panel(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier]
) -> None:
    gate, _ = app
    gate.flow.code("RED")
    wait_phase(qtbot, gate, Phase.VERDICT)
    assert text(gate.window.page, "detail") == "红码：请联系工作人员"
    QTest.mouseClick(gate.window.page, Qt.MouseButton.LeftButton)  # the public's touch
    assert gate.controller.state.phase is Phase.VERDICT
    hold_staff_corner(qtbot, gate)
    enter_pin(qtbot, gate, "1111")
    assert gate.window.current_screen() == "pin"
    enter_pin(qtbot, gate, PIN)
    assert gate.window.current_screen() == "panel"
    ack = gate.flow.panel.findChild(QPushButton, "acknowledge")
    assert ack is not None and "1" in ack.text()
    QTest.mouseClick(ack, Qt.MouseButton.LeftButton)
    assert gate.controller.state.phase is Phase.IDLE
    entries = [(e.action, e.detail) for e in gate.store.audit_entries()]
    assert entries[-3:] == [("pin_wrong", "4"), ("pin_ok", "panel"),
                            ("acknowledge", "status_red")]


def test_helper_lookup_by_card_then_keypad_is_logged_and_limited(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier]
) -> None:
    gate, verifier = app
    target = _with_check(HELPED)
    keypad = gate.flow.proxy.findChild(Keypad)
    assert keypad is not None
    for attempt in range(11):
        gate.controller.acknowledge()
        QTest.mouseClick(gate.window.page.helper_button, Qt.MouseButton.LeftButton)
        assert gate.window.current_screen() == "proxy"
        gate.flow.card(CardPresented(serial="04A1B2C3D4E5F607", source="helper"))
        for key in target:
            QTest.mouseClick(keypad.key(key), Qt.MouseButton.LeftButton)
        next_button = gate.flow.proxy.findChild(QPushButton, "next")
        assert next_button is not None
        QTest.mouseClick(next_button, Qt.MouseButton.LeftButton)
        assert "*" in text(gate.flow.proxy, "masked")
        look_up = gate.flow.proxy.findChild(QPushButton, "lookUp")
        assert look_up is not None
        QTest.mouseClick(look_up, Qt.MouseButton.LeftButton)
        if attempt < 10:
            wait_phase(qtbot, gate, Phase.VERDICT)
            assert "代查" in text(gate.window.page, "badges")
    # The eleventh lookup in a minute is refused with a clear message; no lookup ran.
    assert gate.window.current_screen() == "proxy"
    assert text(gate.flow.proxy, "rateLimited")
    assert [c[0] for c in verifier.calls].count("id") == 10
    logged = [e for e in gate.store.audit_entries() if e.action == "proxy_lookup"]
    assert len(logged) == 10
    assert all(e.actor.startswith("card:") and target not in e.detail for e in logged)


def test_out_of_service_replaces_the_gate(app: tuple[GateApp, FakeVerifier]) -> None:
    gate, _ = app
    gate.window.set_availability(Availability.OUT_STORAGE)
    assert text(gate.window.page, "headline") == "本闸机暂停服务"
    assert text(gate.window.page, "detail") == "无法保存出入登记记录"
    assert not gate.window.page.helper_button.isVisible()


def test_locked_window_ignores_close(app: tuple[GateApp, FakeVerifier]) -> None:
    gate, _ = app
    gate.window.lock()
    event = QCloseEvent()
    gate.window.closeEvent(event)
    assert not event.isAccepted()
    gate.window.unlock()
    event = QCloseEvent()
    gate.window.closeEvent(event)
    assert event.isAccepted()


# Senior-friendly, by measurement ----------------------------------------------------------------


def test_every_colour_pair_reaches_seven_to_one() -> None:
    for name, ink, background in S.pairs():
        assert S.contrast(ink, background) >= S.MIN_CONTRAST, name


def _visible(widget: QWidget, kind: type[QWidget]) -> list[QWidget]:
    return [w for w in widget.findChildren(kind) if w.isVisible()]


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)])
def test_every_screen_meets_the_type_and_target_minimums(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier], size: tuple[int, int]
) -> None:
    gate, _ = app
    window = gate.window
    window.resize(*size)

    def check(screen: str, minimum_text: int) -> None:
        qtbot.waitUntil(lambda: window.current_screen() == screen, timeout=2000)
        QTest.qWait(0)
        root = window.stack.currentWidget()
        for label in _visible(root, QLabel):
            if isinstance(label, QLabel) and label.text():
                assert label.font().pixelSize() >= minimum_text, (screen, label.objectName())
        for button in _visible(root, QPushButton):
            assert button.width() >= S.TOUCH_TARGET_PX, (screen, button.objectName())
            assert button.height() >= S.TOUCH_TARGET_PX, (screen, button.objectName())
        for label in _visible(window.strip, QLabel):
            assert label.font().pixelSize() >= S.PUBLIC_TEXT_PX

    check("gate", S.PUBLIC_TEXT_PX)
    for code in ("GREEN", "RED", "YELLOW", "BROKEN"):
        gate.controller.acknowledge()
        gate.flow.code(code)
        wait_phase(qtbot, gate, Phase.VERDICT)
        assert window.page.headline.font().pixelSize() >= S.VERDICT_TEXT_PX
        check("gate", S.PUBLIC_TEXT_PX)
    gate.controller.acknowledge()
    gate.flow.start_helper()
    check("proxy", S.PUBLIC_TEXT_PX)
    gate.flow.start_staff()
    check("pin", S.PUBLIC_TEXT_PX)
    enter_pin(qtbot, gate, PIN)
    check("panel", S.STAFF_TEXT_PX)


def test_panel_settings_are_applied_and_written_to_the_config_file(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier]
) -> None:
    from kiosk._config import load_config

    gate, _ = app
    gate.flow.start_staff()
    enter_pin(qtbot, gate, PIN)
    panel = gate.flow.panel
    panel.show_page("settings")

    def click(name: str) -> None:
        button = panel.findChild(QPushButton, name)
        assert button is not None, name
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    click("ackRequired_no")
    click("amberMayPass_yes")
    click("language_zh_HK")
    click("save")
    saved = load_config(gate.config_path) if gate.config_path else None
    assert saved is not None
    assert (saved.policy.ack_required, saved.policy.amber_may_pass, saved.language) == (
        False, True, "zh_HK")
    assert gate.controller.timings.amber_may_pass and not gate.controller.timings.ack_required
    assert gate.languages.default == "zh_HK"
    assert [e.action for e in gate.store.audit_entries()][-1] == "config_saved"


def test_the_system_locale_picks_the_default_language() -> None:
    import subprocess
    import sys

    code = "from kiosk._app import system_language; print(system_language())"
    for lang, expected in (("zh_HK.UTF-8", "zh_HK"), ("en_GB.UTF-8", "en"),
                           ("zh_CN.UTF-8", "zh_CN"), ("C.UTF-8", "zh_CN")):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, env={"LANG": lang, "PATH": "/usr/bin:/bin"},
                              check=True)
        assert done.stdout.strip() == expected, lang


def test_a_side_screen_left_alone_returns_to_the_gate(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier]
) -> None:
    gate, _ = app
    gate.flow.helper_idle_s = 0.3
    QTest.mouseClick(gate.window.page.helper_button, Qt.MouseButton.LeftButton)
    assert gate.window.current_screen() == "proxy"
    qtbot.waitUntil(lambda: gate.window.current_screen() == "gate", timeout=5000)
    # A card tapped on the gate again goes to the gate, not to a forgotten helper step.
    gate.flow.card(CardPresented(serial="04A1B2C3D4E5F607", source="test"))
    wait_phase(qtbot, gate, Phase.VERDICT)


def test_a_touch_keeps_a_side_screen_open_each_time_it_is_opened(
    qtbot: QtBot, app: tuple[GateApp, FakeVerifier]
) -> None:
    gate, _ = app
    gate.flow.helper_idle_s = 0.8
    for _ in range(2):  # the second time after the gate was back: touches still count
        QTest.mouseClick(gate.window.page.helper_button, Qt.MouseButton.LeftButton)
        assert gate.window.current_screen() == "proxy"
        touched: list[float] = []

        def touch(touched: list[float] = touched) -> None:
            touched.append(time.monotonic())
            QTest.mouseClick(gate.flow.proxy, Qt.MouseButton.LeftButton, pos=QPoint(4, 4))

        QTimer.singleShot(400, touch)
        qtbot.waitUntil(lambda: gate.window.current_screen() == "gate", timeout=10_000)
        back = time.monotonic()
        assert len(touched) == 1
        # The touch restarted the screen's 0.8 s idle time (it would have ended 0.4 s later).
        assert back - touched[0] >= 0.75
