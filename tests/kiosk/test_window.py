"""The gate window with pytest-qt (offscreen): model → widget and widget → model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from pytestqt.qtbot import QtBot
from pytestqt.wait_signal import SignalBlocker

from codes import Kind, Outcome, Verdict
from kiosk._app import install_language
from kiosk._controller import KioskController
from kiosk._gate import GateTimings, Phase
from kiosk._icons import SymbolWidget
from kiosk._window import KioskWindow
from kiosk._words import Symbol
from readers import CardPresented
from tests.fakes.verifier import FakeVerifier

GREEN = Verdict(
    Outcome.PASS, "ok", issuer="CN-44", name_masked="张*明", id_masked="440106********123X",
    kind=Kind.PHONE, expires_at=1_790_000_000,
)
RED = Verdict(Outcome.DENY, "status_red", name_masked="赵*", kind=Kind.PHONE)

Gate = tuple[KioskController, KioskWindow, FakeVerifier]


def application() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication), app
    return app


@pytest.fixture
def gate(qtbot: QtBot) -> Iterator[Gate]:
    app = application()
    install_language(app, "zh_CN")
    verifier = FakeVerifier()
    verifier.by_code = {"GREEN": GREEN, "RED": RED}
    controller = KioskController(
        verifier, GateTimings(pass_hold_s=0.3, alert_hold_s=0.6, read_timeout_s=5), tick_ms=20
    )
    window = KioskWindow()
    controller.stateChanged.connect(window.show_state)
    window.page.touched.connect(controller.dismiss)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    yield controller, window, verifier
    verifier.release.set()
    controller.shutdown()
    install_language(app, "en")


def text(window: KioskWindow, name: str) -> str:
    label = window.findChild(QLabel, name)
    assert label is not None, name
    return label.text()


def symbol(window: KioskWindow) -> Symbol:
    widget = window.findChild(SymbolWidget, "symbol")
    assert widget is not None
    return widget.symbol()


def until(qtbot: QtBot, controller: KioskController, phase: Phase) -> SignalBlocker:
    """A waitSignal that ends when the gate enters ``phase``."""
    return qtbot.waitSignal(
        controller.stateChanged, timeout=5000, check_params_cb=lambda s: s.phase is phase
    )


def wait_phase(qtbot: QtBot, controller: KioskController, phase: Phase) -> None:
    with until(qtbot, controller, phase):
        pass


def test_idle_screen_says_what_to_do_in_chinese_and_english(gate: Gate) -> None:
    _, window, _ = gate
    assert text(window, "headline") == "请刷身份证 或 出示通行码"
    assert text(window, "headlineEnglish") == "Please tap your ID card or show your pass code"


def test_model_to_widget_pass_then_back_to_idle(qtbot: QtBot, gate: Gate) -> None:
    controller, window, _ = gate
    with until(qtbot, controller, Phase.VERDICT):
        controller.present_code("GREEN")
    assert text(window, "headline") == "请通行"
    assert symbol(window) == Symbol.CHECK
    person = text(window, "person")
    assert "张*明" in person and "440106********123X" in person and "手机码" in person
    wait_phase(qtbot, controller, Phase.IDLE)
    assert text(window, "headline") == "请刷身份证 或 出示通行码"


def test_deny_shows_red_cross_and_reason(qtbot: QtBot, gate: Gate) -> None:
    controller, window, _ = gate
    with until(qtbot, controller, Phase.VERDICT):
        controller.present_code("RED")
    assert text(window, "headline") == "禁止通行"
    assert text(window, "detail") == "红码：请联系工作人员"
    assert symbol(window) == Symbol.CROSS


def test_reading_screen_shows_while_the_card_is_checked(qtbot: QtBot, gate: Gate) -> None:
    controller, window, verifier = gate
    verifier.release.clear()
    with qtbot.waitSignal(controller.stateChanged, timeout=5000):
        controller.present_card(CardPresented(serial="0011223344556677", source="test"))
    assert controller.state.phase is Phase.READING
    assert text(window, "headline") == "正在读卡，请勿移开"
    with until(qtbot, controller, Phase.VERDICT):
        verifier.release.set()
    assert verifier.calls == [("card", "0011223344556677")]
    assert text(window, "headline") == "请通行"


def test_widget_to_model_touch_dismisses_a_verdict(qtbot: QtBot, gate: Gate) -> None:
    controller, window, _ = gate
    with until(qtbot, controller, Phase.VERDICT):
        controller.present_code("RED")
    with until(qtbot, controller, Phase.IDLE):
        QTest.mouseClick(window.page, Qt.MouseButton.LeftButton)


def test_widget_to_model_demo_button_presents_a_code(qtbot: QtBot, gate: Gate) -> None:
    controller, window, verifier = gate
    button = window.add_demo_button("demoRed", "Red code")
    button.clicked.connect(lambda: controller.present_code("RED"))
    found = window.findChild(QPushButton, "demoRed")
    assert found is button and found.text() == "红码"
    with until(qtbot, controller, Phase.VERDICT):
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert verifier.calls == [("code", "RED")]
    assert controller.state.verdict == RED


def test_english_screen_has_no_duplicate_line(qtbot: QtBot, gate: Gate) -> None:
    controller, window, _ = gate
    install_language(application(), "en")
    with until(qtbot, controller, Phase.VERDICT):
        controller.present_code("GREEN")
    assert text(window, "headline") == "Please go through"
    assert text(window, "headlineEnglish") == ""
