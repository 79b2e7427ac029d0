"""WedgeFilter on a real QApplication: key events in, ``scanned(str)`` out (pytest-qt)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import PySide6
import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kiosk._wedge import WedgeFilter
from kiosk._wedge_detect import WedgeDetector

TOKEN = "PK1:6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTLRR+%3 /:"


class FakeClock:
    """Seconds that advance only when the test says so (qtbot.keyClicks has no delays)."""

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class KeyRecorder(QObject):
    """Object-level filter: sees only what the application-level WedgeFilter let through."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple[QEvent.Type, int, str]] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            self.keys.append((event.type(), event.key(), event.text()))  # type: ignore[attr-defined]
        return False


@pytest.fixture
def form(qtbot: QtBot) -> tuple[QWidget, QLineEdit]:
    top = QWidget()
    layout = QVBoxLayout(top)
    edit = QLineEdit()
    layout.addWidget(edit)
    qtbot.addWidget(top)
    top.show()
    qtbot.waitExposed(top)
    edit.setFocus()
    return top, edit


MakeWedge = Callable[..., WedgeFilter]


@pytest.fixture
def make_wedge() -> Iterator[MakeWedge]:
    """WedgeFilter(**kwargs) installed on the application, removed again after the test."""
    app = QApplication.instance()
    assert app is not None
    made: list[WedgeFilter] = []

    def make(**kwargs: object) -> WedgeFilter:
        wedge = WedgeFilter(**kwargs)  # type: ignore[arg-type]
        app.installEventFilter(wedge)
        made.append(wedge)
        return wedge

    yield make
    for wedge in made:
        app.removeEventFilter(wedge)


@pytest.fixture
def wedge(make_wedge: MakeWedge) -> WedgeFilter:
    return make_wedge()


def type_into_window(window: QWindow, text: str) -> None:
    """Key clicks sent to the QWindow, the way real input arrives (window, then focus widget)."""
    for ch in text:
        QTest.keyClick(window, ch)  # type: ignore[call-overload]  # PySide takes a char too


def test_scan_into_a_focused_line_edit_is_swallowed_and_emitted(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    _, edit = form
    recorder = KeyRecorder()
    edit.installEventFilter(recorder)
    with qtbot.assertNotEmitted(edit.returnPressed), qtbot.waitSignal(wedge.scanned) as sig:
        QTest.keyClicks(edit, TOKEN)
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert sig.args == [TOKEN]
    assert edit.text() == ""
    assert recorder.keys == []  # nothing of the scan reached the widget, Enter release included


def test_scan_with_no_text_field(qtbot: QtBot, wedge: WedgeFilter) -> None:
    screen = QWidget()
    screen.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    screen.setFocus()
    with qtbot.waitSignal(wedge.scanned) as sig:
        QTest.keyClicks(screen, TOKEN)
        QTest.keyClick(screen, Qt.Key.Key_Enter)  # keypad Enter ends a scan too
    assert sig.args == [TOKEN]


def test_scan_through_the_window_like_real_input_is_seen_once(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    # Real key events reach the QWindow first, then the focus widget: one scan, not two, and a
    # word typed the same way lands in the field exactly once.
    top, edit = form
    window = top.windowHandle()
    scans: list[str] = []
    wedge.scanned.connect(scans.append)
    type_into_window(window, TOKEN)
    with qtbot.waitSignal(wedge.scanned):
        QTest.keyClick(window, Qt.Key.Key_Return)
    type_into_window(window, "hello")
    assert scans == [TOKEN]
    assert edit.text() == "hello"


def test_caps_lock_scan_comes_out_upper_case(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    _, edit = form
    with qtbot.waitSignal(wedge.scanned) as sig:
        QTest.keyClicks(edit, TOKEN.lower())
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert sig.args == [TOKEN]
    assert edit.text() == ""


def test_shift_presses_inside_a_scan_do_not_break_it(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    _, edit = form
    with qtbot.waitSignal(wedge.scanned) as sig:
        for ch in TOKEN:
            if ch.isalpha():
                QTest.keyPress(edit, Qt.Key.Key_Shift)
            QTest.keyClicks(edit, ch)
            if ch.isalpha():
                QTest.keyRelease(edit, Qt.Key.Key_Shift)
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert sig.args == [TOKEN]
    assert edit.text() == ""


def test_slow_typing_reaches_the_field_in_order_and_is_not_a_scan(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], make_wedge: MakeWedge
) -> None:
    _, edit = form
    wedge = make_wedge(clock=FakeClock(step=0.15))
    entered: list[str] = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    with qtbot.assertNotEmitted(wedge.scanned):
        QTest.keyClicks(edit, TOKEN)
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert edit.text() == TOKEN
    assert entered == [TOKEN]


def test_fast_id_number_is_never_held_back(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    _, edit = form
    with qtbot.assertNotEmitted(wedge.scanned):
        QTest.keyClicks(edit, "44010619900101123X")
        # Checked at once, no waiting: keys that cannot start a code are not delayed at all.
        assert edit.text() == "44010619900101123X"


def test_held_prefix_is_delivered_when_typing_stops(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], make_wedge: MakeWedge
) -> None:
    _, edit = form
    make_wedge(idle_release_ms=30)
    QTest.keyClicks(edit, "Pk")
    assert edit.text() == ""  # held: it could be the start of a scan
    qtbot.waitUntil(lambda: edit.text() == "Pk", timeout=5000)


def test_short_burst_is_rejected_and_delivered_before_its_enter(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    _, edit = form
    entered: list[str] = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    with qtbot.waitSignal(wedge.rejected) as sig, qtbot.assertNotEmitted(wedge.scanned):
        QTest.keyClicks(edit, "PK1:AB")
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert "fewer than" in sig.args[0]
    assert entered == ["PK1:AB"]


def test_ctrl_key_mid_burst_releases_everything_in_order(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    _, edit = form
    with qtbot.assertNotEmitted(wedge.scanned):
        QTest.keyClicks(edit, "PK1:ABC")
        QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select all
        QTest.keyClicks(edit, "x")
    assert edit.text() == "x"  # "PK1:ABC" arrived, then Ctrl+A selected it, then x replaced it


def test_injected_detector_settings_apply(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], make_wedge: MakeWedge
) -> None:
    _, edit = form
    wedge = make_wedge(detector=WedgeDetector(min_chars=6, prefixes=("AB",)))
    with qtbot.waitSignal(wedge.scanned) as sig:
        QTest.keyClicks(edit, "AB1234")
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert sig.args == ["AB1234"]


def test_release_of_a_key_pressed_before_the_scan_goes_through(
    qtbot: QtBot, form: tuple[QWidget, QLineEdit], wedge: WedgeFilter
) -> None:
    _, edit = form
    recorder = KeyRecorder()
    edit.installEventFilter(recorder)
    QTest.keyPress(edit, Qt.Key.Key_A)  # a person's key, still down when the scan starts
    with qtbot.waitSignal(wedge.scanned) as sig:
        QTest.keyClicks(edit, TOKEN[:10])
        QTest.keyRelease(edit, Qt.Key.Key_A)
        QTest.keyClicks(edit, TOKEN[10:])
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert sig.args == [TOKEN]
    assert edit.text() == "a"
    assert recorder.keys == [
        (QEvent.Type.KeyPress, Qt.Key.Key_A, "a"),
        (QEvent.Type.KeyRelease, Qt.Key.Key_A, "a"),
    ]


def test_qt_binding_keeps_its_references_to_none() -> None:
    # PySide6 6.12.0 on Python 3.11 returns None from every void method without taking a
    # reference: None's count drops by one per call and the process aborts ("deallocating
    # None") after a few thousand calls, i.e. within minutes for a kiosk taking key events.
    # constraints.txt pins 6.11.3; this fails in a venv that still has the broken build.
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(200):
        obj.setObjectName("wedge")
    lost = before - sys.getrefcount(None)
    assert lost < 20, (
        f"PySide6 {PySide6.__version__} lost {lost} references to None in 200 void calls; "
        "reinstall the venv with ./dev.sh setup (constraints.txt pins a working PySide6)"
    )
