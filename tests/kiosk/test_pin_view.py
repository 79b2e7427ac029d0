"""The staff PIN page and its worker-thread checker with pytest-qt (offscreen), both ways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from kiosk._app import install_language
from kiosk._keypad import CLEAR, DELETE
from kiosk._pin import MAX_TRIES, MemoryLockState, PinGuard, PinResult, PinStatus, StoreLockState
from kiosk._pin_view import PinChecker, PinPage
from sync import SiteConfig, Store
from tests.kiosk.touch_measure import problems_per_step

PIN = "246810"


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
def page(qtbot: QtBot) -> PinPage:
    p = PinPage()
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    qtbot.waitExposed(p)
    return p


def tap(button: QPushButton) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(button.width() // 2, button.height() // 2))


def type_keys(page: PinPage, keys: str) -> None:
    for k in keys:
        tap(page.keypad.key(k))


def test_digits_show_as_dots_and_ok_emits_the_pin_once(qtbot: QtBot, page: PinPage) -> None:
    assert page.dots.text() == "—"
    assert not page.ok.isVisible()  # fewer than 4 digits
    type_keys(page, "246")
    assert page.dots.text() == "● ● ●"
    assert "2" not in page.dots.text()
    assert not page.ok.isVisible()
    type_keys(page, "810")
    assert page.ok.isVisible()
    with qtbot.waitSignal(page.pinEntered, timeout=1000) as got:
        tap(page.ok)
    assert got.args == [PIN]
    assert page.entered_length() == 0 and page.message.text() == "Checking…"
    with qtbot.assertNotEmitted(page.pinEntered):
        type_keys(page, "1234")  # ignored while the PIN is checked
        assert page.entered_length() == 0


def test_delete_clear_and_no_x_key(page: PinPage) -> None:
    type_keys(page, "12345")
    tap(page.keypad.key(DELETE))
    assert page.entered_length() == 4
    tap(page.keypad.key(CLEAR))
    assert page.entered_length() == 0
    assert "X" not in page.keypad.key_names()
    type_keys(page, "1" * 20)
    assert page.entered_length() == 12


def test_wrong_and_locked_in_words(qtbot: QtBot, page: PinPage, zh: None) -> None:
    assert page.title.text() == "工作人员：请输入密码"
    page.show_wrong(3)
    assert page.message.text() == "密码错误，还可再试 3 次"
    assert page.message.property("tone") == "error"
    type_keys(page, "1")
    assert page.message.property("tone") == "plain"
    page.show_locked(30)
    assert page.locked()
    assert page.message.text() == "密码错误次数过多，请 30 秒后再试"
    with qtbot.assertNotEmitted(page.pinEntered):
        type_keys(page, "246810")
        assert page.entered_length() == 0
    page.show_locked(0.3)
    qtbot.waitUntil(lambda: not page.locked(), timeout=3000)
    assert page.message.text() == "输入密码后按“确定”"
    type_keys(page, "2468")
    assert page.entered_length() == 4


def test_show_result_and_reset(page: PinPage) -> None:
    assert not page.show_result(PinResult(PinStatus.WRONG, tries_left=2))
    assert page.message.text() == "Wrong PIN. Tries left before a lockout: 2"
    assert not page.show_result(PinResult(PinStatus.LOCKED, locked_s=60))
    assert page.message.text() == "Too many wrong PINs. Try again in 60 seconds"
    assert page.show_result(PinResult(PinStatus.OK))
    assert not page.locked() and page.message.text() == "Type the PIN, then press OK"


def test_cancel(qtbot: QtBot, page: PinPage) -> None:
    type_keys(page, "12")
    with qtbot.waitSignal(page.cancelled, timeout=1000):
        tap(page.cancel)
    assert page.entered_length() == 0


def test_keys_emit_activity_and_take_no_focus(qtbot: QtBot, page: PinPage) -> None:
    with qtbot.waitSignal(page.activity, timeout=1000):
        tap(page.keypad.key("7"))
    for button in page.findChildren(QPushButton):
        assert button.focusPolicy() == Qt.FocusPolicy.NoFocus, button.objectName()


def test_page_and_checker_against_the_real_store(
    qtbot: QtBot, page: PinPage, tmp_path: Path
) -> None:
    with Store(tmp_path) as store:
        store.save_site_config(SiteConfig("S1", "G1"))
        store.set_staff_pin(PIN)
        clock = [1000.0]
        checker = PinChecker(PinGuard(store.check_staff_pin, StoreLockState(store)),
                             clock=lambda: clock[0])
        page.pinEntered.connect(checker.submit)
        checker.finished.connect(page.show_result)
        for i in range(MAX_TRIES - 1):
            type_keys(page, "1111")
            with qtbot.waitSignal(checker.finished, timeout=5000) as got:
                tap(page.ok)
            assert got.args == [PinResult(PinStatus.WRONG, tries_left=MAX_TRIES - 1 - i)]
        assert page.message.text() == "Wrong PIN. Tries left before a lockout: 1"
        type_keys(page, "1111")
        with qtbot.waitSignal(checker.finished, timeout=5000) as got:
            tap(page.ok)
        assert got.args == [PinResult(PinStatus.LOCKED, locked_s=30)]
        assert page.locked()
        page.reset()
        clock[0] += 31
        type_keys(page, PIN)
        with qtbot.waitSignal(checker.finished, timeout=5000) as got:
            tap(page.ok)
        assert got.args == [PinResult(PinStatus.OK)]
        checker.wait()


class Broken:
    def __call__(self, pin: str) -> bool:
        raise OSError("disk gone")


def test_checker_reports_a_failed_check(qtbot: QtBot) -> None:
    checker = PinChecker(PinGuard(Broken(), MemoryLockState()))
    with qtbot.waitSignal(checker.failed, timeout=5000) as got:
        assert checker.submit("1234")
    assert got.args == ["OSError: disk gone"]
    checker.wait()


def walk(page: PinPage) -> Iterator[str]:
    page.reset()
    yield "empty"
    type_keys(page, "1234")
    yield "typed"
    page.show_wrong(2)
    yield "wrong"
    page.show_locked(120)
    yield "locked"


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
@pytest.mark.parametrize("lang", ["zh_CN", "zh_HK", "en"])
def test_sizes_and_contrast_at_both_screens(
    qtbot: QtBot, page: PinPage, size: tuple[int, int], lang: str
) -> None:
    found = problems_per_step(qtbot, page, size, lang, walk)
    assert found == {step: [] for step in found}
    assert len(found) == 4
