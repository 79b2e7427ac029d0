"""The helper proxy lookup page with pytest-qt (offscreen): taps → signals, methods → screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from codes import id18_check_char
from kiosk._app import install_language
from kiosk._keypad import CLEAR, DELETE, Keypad
from kiosk._proxy_view import ProxyLookupPage, ProxyStep
from tests.kiosk.touch_measure import problems, problems_per_step

NOW = 1790042550.0  # 2026-09-22 in China
BODY = "44010219900307123"
NUMBER = BODY + id18_check_char(BODY)
GB_EXAMPLE = "11010519491231002X"


def app() -> QApplication:
    a = QApplication.instance()
    assert isinstance(a, QApplication)
    return a


@pytest.fixture
def zh() -> Iterator[None]:
    install_language(app(), "zh_CN")
    yield
    install_language(app(), "en")


@pytest.fixture
def page(qtbot: QtBot) -> ProxyLookupPage:
    p = ProxyLookupPage(clock=lambda: NOW)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    qtbot.waitExposed(p)
    return p


def tap(button: QPushButton) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(button.width() // 2, button.height() // 2))


def type_keys(page: ProxyLookupPage, keys: str) -> None:
    for k in keys:
        tap(page.keypad.key(k))


def test_identify_then_type_then_confirm_emits_the_number(
    qtbot: QtBot, page: ProxyLookupPage, zh: None
) -> None:
    assert page.step() is ProxyStep.IDENTIFY
    assert not page.keypad.isVisible()
    assert page.title.text() == "代人查询？请先确认您的身份"
    with qtbot.waitSignal(page.pinRequested, timeout=1000):
        tap(page.staff_pin)
    page.helper_identified("工作人员")
    assert page.step() is ProxyStep.KEYPAD and page.keypad.isVisible()
    assert page.helper.text() == "代查人：工作人员"
    type_keys(page, "440102")
    assert page.number.text() == "440102"
    assert page.advice.text() == "已输入 6 位，共 18 位"
    type_keys(page, "19900307123")
    assert page.number.text() == "440102 19900307 123"
    assert page.advice.text() in ("最后一位应为 X", "最后一位应为数字")
    assert not page.next.isVisible()
    type_keys(page, NUMBER[17])
    assert page.number.text() == f"440102 19900307 123{NUMBER[17]}"
    assert page.advice.text() == "号码格式正确，请按“下一步”"
    assert page.next.isVisible()
    tap(page.next)
    assert page.step() is ProxyStep.CONFIRM
    assert page.masked.text() == f"440102********123{NUMBER[17]}"
    assert page.look_up.text() == "查询" and page.change.text() == "返回修改"
    with qtbot.waitSignal(page.lookupRequested, timeout=1000) as got:
        tap(page.look_up)
    assert got.args == [NUMBER]
    with qtbot.assertNotEmitted(page.lookupRequested):
        tap(page.look_up)  # a double tap is one lookup


def test_wrong_check_character_in_plain_words(page: ProxyLookupPage, zh: None) -> None:
    page.helper_identified("110105********002X")
    type_keys(page, GB_EXAMPLE[:17])
    assert page.advice.text() == "最后一位应为 X"
    type_keys(page, "1")
    assert page.advice.text() == "最后一位校验码不对，请核对"
    assert page.advice.property("tone") == "error"
    assert not page.next.isVisible()
    tap(page.keypad.key(DELETE))
    type_keys(page, "X")
    assert page.number.text() == "110105 19491231 002X"
    assert page.advice.property("tone") == "plain" and page.next.isVisible()


def test_x_early_and_a_full_number_are_refused_with_words(page: ProxyLookupPage, zh: None) -> None:
    page.helper_identified("x")
    type_keys(page, "4401X")
    assert page.number.text() == "4401"
    assert page.advice.text() == "X 只能是最后一位"
    type_keys(page, NUMBER[4:] + "5")
    assert page.number.text() == "440102 19900307 123" + NUMBER[17]
    assert page.advice.text() == "18 位已输入完毕"
    tap(page.keypad.key(CLEAR))
    assert page.number.text() == "—"


def test_bad_region_and_date_as_typed(page: ProxyLookupPage) -> None:
    page.helper_identified("x")
    type_keys(page, "99")
    assert page.advice.text() == "The first two digits are not a province code, please check"
    tap(page.keypad.key(CLEAR))
    type_keys(page, "44010219901")
    assert page.advice.text() == "%1 of 18 characters entered".replace("%1", "11")
    type_keys(page, "3")
    assert page.advice.text() == "Digits 7 to 14 are not a real birth date, please check"


def test_staff_pin_helper_in_words_of_the_language(page: ProxyLookupPage, zh: None) -> None:
    page.helper_identified_by_pin()
    assert page.step() is ProxyStep.KEYPAD
    assert page.helper.text() == "代查人：工作人员"
    install_language(app(), "en")
    QCoreApplication.processEvents()
    assert page.helper.text() == "Helper: staff member"


def test_change_goes_back_with_the_number_kept(page: ProxyLookupPage) -> None:
    page.helper_identified("x")
    type_keys(page, NUMBER)
    tap(page.next)
    tap(page.change)
    assert page.step() is ProxyStep.KEYPAD
    assert page.number.text().replace(" ", "") == NUMBER


def test_cancel_on_every_step_forgets_the_number(qtbot: QtBot, page: ProxyLookupPage) -> None:
    for reach in (ProxyStep.IDENTIFY, ProxyStep.KEYPAD, ProxyStep.CONFIRM,
                  ProxyStep.RATE_LIMITED):
        page.start()
        if reach is not ProxyStep.IDENTIFY:
            page.helper_identified("x")
            type_keys(page, NUMBER)
        if reach in (ProxyStep.CONFIRM, ProxyStep.RATE_LIMITED):
            tap(page.next)
        if reach is ProxyStep.RATE_LIMITED:
            page.show_rate_limited(30)
        assert page.step() is reach
        assert page.cancel.isVisible()
        with qtbot.waitSignal(page.cancelled, timeout=1000):
            tap(page.cancel)
        assert page.step() is ProxyStep.IDENTIFY
        page.helper_identified("x")
        assert page.number.text() == "—"


def test_rate_limit_message_counts_down_then_returns_to_confirm(
    qtbot: QtBot, page: ProxyLookupPage, zh: None
) -> None:
    page.helper_identified("x")
    type_keys(page, NUMBER)
    tap(page.next)
    page.show_rate_limited(42.0)
    assert page.step() is ProxyStep.RATE_LIMITED
    assert page.rate_limited.text() == "查询太频繁，请 42 秒后再试"
    page.show_rate_limited(0.3)
    qtbot.waitUntil(lambda: page.step() is ProxyStep.CONFIRM, timeout=3000)
    assert page.masked.text().endswith("123" + NUMBER[17])
    with qtbot.waitSignal(page.lookupRequested, timeout=1000) as got:
        tap(page.look_up)  # after the wait the same number can be looked up
    assert got.args == [NUMBER]


def test_every_tap_reports_activity(qtbot: QtBot, page: ProxyLookupPage) -> None:
    page.helper_identified("x")
    for key in ("1", "X", DELETE, CLEAR):
        with qtbot.waitSignal(page.activity, timeout=1000):
            tap(page.keypad.key(key))
    with qtbot.waitSignal(page.activity, timeout=1000):
        tap(page.cancel)


def test_keys_take_no_focus_so_the_scanner_keeps_typing(page: ProxyLookupPage) -> None:
    page.helper_identified("x")
    keypad = page.findChild(Keypad)
    assert keypad is not None
    for key in keypad.key_names():
        assert keypad.key(key).focusPolicy() == Qt.FocusPolicy.NoFocus
    for button in page.findChildren(QPushButton):
        assert button.focusPolicy() == Qt.FocusPolicy.NoFocus, button.objectName()
    tap(keypad.key("4"))
    assert QApplication.focusWidget() is None or not isinstance(
        QApplication.focusWidget(), QPushButton
    )


def test_language_change_retranslates_the_shown_page(page: ProxyLookupPage) -> None:
    page.helper_identified("x")
    assert page.title.text() == "Type the ID number of the person you help"
    install_language(app(), "zh_HK")
    try:
        QCoreApplication.processEvents()
        assert page.title.text() == "請輸入被代查人的身份證號碼"
        assert page.title.font().family() == "Noto Sans CJK HK"
        assert page.title_english.text() == "Type the ID number of the person you help"
    finally:
        install_language(app(), "en")


def walk(page: ProxyLookupPage) -> Iterator[str]:
    """Every step of the page, with the problems measured on each."""
    page.start()
    yield "identify"
    page.helper_identified("440106********123X")
    type_keys(page, "4401021990030712")
    yield "keypad typing"
    type_keys(page, "X")
    yield "keypad refusal"
    type_keys(page, "3" + NUMBER[17])
    yield "keypad complete"
    tap(page.next)
    yield "confirm"
    page.show_rate_limited(59)
    yield "rate limited"


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
@pytest.mark.parametrize("lang", ["zh_CN", "zh_HK", "en"])
def test_sizes_and_contrast_at_both_screens(
    qtbot: QtBot, page: ProxyLookupPage, size: tuple[int, int], lang: str
) -> None:
    found = problems_per_step(qtbot, page, size, lang, walk)
    assert found == {step: [] for step in found}
    assert len(found) == 6


def test_the_measure_sees_small_text_small_keys_and_foreign_colours(
    qtbot: QtBot, page: ProxyLookupPage
) -> None:
    page.helper_identified("x")
    assert problems(page) == []
    small = page.advice.font()
    small.setPixelSize(24)
    page.advice.setFont(small)
    page.keypad.key("5").setFixedSize(80, 80)
    page.number.setStyleSheet("color: #777777")
    wide = page.keypad.key(CLEAR).font()
    wide.setPixelSize(200)
    page.keypad.key(CLEAR).setFont(wide)
    QCoreApplication.processEvents()
    found = problems(page)
    assert any("'advice'" in p and "24 px" in p for p in found), found
    assert any("'key_5'" in p and "80x80" in p for p in found), found
    assert any("'number'" in p and "#777777 on #ffffff" in p for p in found), found
    assert any("'key_clear'" in p and "face wider" in p for p in found), found
