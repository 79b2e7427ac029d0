"""The staff panel with pytest-qt (offscreen): taps → signals with the edited config, data → the
words on screen, sizes and colours at both kiosk screen sizes; and its Qt-free model."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from codes.wire import EntryRecord, new_record_id
from kiosk import _panel_model as M
from kiosk._app import install_language
from kiosk._config import KioskConfig, ReadersConfig, VerdictPolicy
from kiosk._panel import StaffPanel, staff_text
from kiosk._style import MIN_CONTRAST, STAFF_TEXT_PX, TOUCH_TARGET_PX, contrast
from kiosk._wedge import WedgeFilter
from sync import Store

ROOT = Path(__file__).resolve().parents[2]
W = TypeVar("W", bound=QWidget)
SAVED = KioskConfig(site="GZ South", gate="3", service_url="https://pass.example.cn/kiosk",
                    readers=ReadersConfig(camera="0"))
STATUS = M.PanelStatus(
    lists=(M.ListInfo("trust", 12, 300.0), M.ListInfo("revocation", 88, 3 * 3600.0),
           M.ListInfo("keys", None, None)),
    counts={"pass": 120, "attention": 4, "deny": 1, "invalid": 7},
    readers=("pcsc ✓  camera ⚠",),
    pending_acks=3,
    last_sync="10:42",
)


def application() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication), app
    return app


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[StaffPanel]:
    install_language(application(), "en")
    p = StaffPanel(exit_confirm_ms=200)
    qtbot.addWidget(p)
    p.set_config(SAVED)
    p.set_status(STATUS)
    p.resize(1280, 800)
    p.show()
    qtbot.waitExposed(p)
    yield p


def child(panel: QWidget, kind: type[W], name: str) -> W:
    found = panel.findChild(kind, name)
    assert isinstance(found, kind), name
    return found


def button(panel: StaffPanel, name: str) -> QPushButton:
    return child(panel, QPushButton, name)


def label(panel: StaffPanel, name: str) -> str:
    return child(panel, QLabel, name).text()


def tap(panel: StaffPanel, name: str, times: int = 1) -> None:
    for _ in range(times):
        QTest.mouseClick(button(panel, name), Qt.MouseButton.LeftButton)


def url_field(panel: StaffPanel) -> QLineEdit:
    return child(panel, QLineEdit, "serviceUrl")


# Taps → signals ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "signal"), [
    ("syncNow", "syncRequested"),
    ("testReaders", "readerTestRequested"),
    ("acknowledge", "acknowledgeRequested"),
    ("export", "exportRequested"),
    ("close", "closed"),
])
def test_each_action_button_sends_its_signal(
    qtbot: QtBot, panel: StaffPanel, name: str, signal: str
) -> None:
    with qtbot.waitSignal(getattr(panel, signal), timeout=2000):
        tap(panel, name)


def test_acknowledge_shows_how_many_wait_and_is_off_when_none(
    qtbot: QtBot, panel: StaffPanel
) -> None:
    assert button(panel, "acknowledge").text() == "Acknowledge red/amber (3)"
    assert button(panel, "acknowledge").isEnabled()
    panel.set_status(M.PanelStatus(pending_acks=0))
    assert button(panel, "acknowledge").text() == "Acknowledge red/amber (0)"
    with qtbot.assertNotEmitted(panel.acknowledgeRequested, wait=50):
        tap(panel, "acknowledge")


def test_exit_needs_a_second_tap_and_forgets_the_first(qtbot: QtBot, panel: StaffPanel) -> None:
    with qtbot.assertNotEmitted(panel.exitRequested, wait=20):
        tap(panel, "exit")
    assert button(panel, "exit").text() == "Tap again to exit"
    # Left alone, the button goes back to its first state: one more tap is not enough.
    qtbot.waitUntil(lambda: button(panel, "exit").text() == "Exit the kiosk", timeout=3000)
    with qtbot.assertNotEmitted(panel.exitRequested, wait=20):
        tap(panel, "exit")
    with qtbot.waitSignal(panel.exitRequested, timeout=2000):
        tap(panel, "exit")
    assert button(panel, "exit").text() == "Exit the kiosk"


def test_settings_taps_give_the_edited_config(qtbot: QtBot, panel: StaffPanel) -> None:
    tap(panel, "tab_settings")
    assert not button(panel, "save").isEnabled()  # nothing to save yet
    tap(panel, "siteKind_hospital")
    tap(panel, "amberMayPass_yes")
    tap(panel, "ackRequired_yes")
    tap(panel, "passHold_plus", 2)
    tap(panel, "alertHold_minus")
    tap(panel, "volume_minus", 3)
    tap(panel, "language_zh_HK")
    field = url_field(panel)
    field.selectAll()
    QTest.keyClicks(field, "http://127.0.0.1:8443/")
    assert label(panel, "settingsMessage") == "Changes not saved yet"
    with qtbot.waitSignal(panel.configSaved, timeout=2000) as saved:
        tap(panel, "save")
    want = KioskConfig(
        site="GZ South", gate="3", language="zh_HK", volume=50,
        service_url="http://127.0.0.1:8443/", readers=ReadersConfig(camera="0"),
        policy=VerdictPolicy("hospital", True, 5.0, 7.0, True),
    )
    assert saved.args == [want]
    assert panel.config() == want
    assert not button(panel, "save").isEnabled()
    assert not child(panel, QLabel, "settingsMessage").isVisible()


def test_steppers_stop_at_the_limits(qtbot: QtBot, panel: StaffPanel) -> None:
    tap(panel, "tab_settings")
    tap(panel, "passHold_minus", 3)  # 3 s is the least any verdict stays
    tap(panel, "volume_plus", 5)
    assert label(panel, "passHold_value") == "3 s"
    assert label(panel, "volume_value") == "100"
    tap(panel, "volume_minus", 12)
    assert label(panel, "volume_value") == "0"
    assert panel.config().policy.pass_hold_s == 3.0 and panel.config().volume == 0


def test_a_clear_address_means_no_service(qtbot: QtBot, panel: StaffPanel) -> None:
    tap(panel, "tab_settings")
    url_field(panel).selectAll()
    QTest.keyClick(url_field(panel), Qt.Key.Key_Backspace)
    with qtbot.waitSignal(panel.configSaved, timeout=2000) as saved:
        tap(panel, "save")
    assert saved.args[0].service_url is None


def test_a_bad_address_is_not_saved_and_says_why(qtbot: QtBot, panel: StaffPanel) -> None:
    tap(panel, "tab_settings")
    url_field(panel).selectAll()
    QTest.keyClicks(url_field(panel), "ftp://files.example")
    with qtbot.assertNotEmitted(panel.configSaved, wait=20):
        tap(panel, "save")
    shown = child(panel, QLabel, "settingsMessage")
    assert shown.isVisible() and shown.property("error") is True
    assert shown.text().startswith("Not saved: service.url: expected an http://")


def test_close_drops_unsaved_edits(qtbot: QtBot, panel: StaffPanel) -> None:
    tap(panel, "tab_settings")
    tap(panel, "siteKind_hospital")
    assert panel.config().policy.site_kind == "hospital"
    with qtbot.waitSignal(panel.closed, timeout=2000):
        tap(panel, "close")
    assert panel.config() == SAVED
    assert button(panel, "siteKind_station").text() == "✓ Station"


def test_typing_an_address_works_with_the_scanner_filter_installed(
    qtbot: QtBot, panel: StaffPanel
) -> None:
    app = application()
    wedge = WedgeFilter(app)
    app.installEventFilter(wedge)
    try:
        tap(panel, "tab_settings")
        field = url_field(panel)
        field.setFocus()
        field.selectAll()
        # "H" and "P" may start a scanned code, so the filter holds them for a moment; they
        # must still arrive, in order.
        QTest.keyClicks(field, "https://HP1.example/pk1")
        qtbot.waitUntil(lambda: field.text() == "https://HP1.example/pk1", timeout=3000)
    finally:
        app.removeEventFilter(wedge)
    assert panel.config().service_url == "https://HP1.example/pk1"


# Data → screen ----------------------------------------------------------------------------


def test_status_shows_counts_lists_readers_and_last_sync(panel: StaffPanel) -> None:
    assert [label(panel, f"count_{o}") for o in ("pass", "attention", "deny", "invalid")] == [
        "120", "4", "1", "7"]
    assert label(panel, "countWord_deny") == "Denied"
    assert label(panel, "lists").splitlines() == [
        "trust: version 12, updated 5 min ago",
        "revocation: version 88, updated 3 h ago",
        "keys: no version yet, never updated",
    ]
    assert label(panel, "readers") == "pcsc ✓  camera ⚠"
    assert label(panel, "lastSync") == "Last sync: 10:42"
    assert label(panel, "siteGate") == "Site GZ South, gate 3"


def test_an_empty_status_says_so(panel: StaffPanel) -> None:
    panel.set_status(M.PanelStatus())
    assert label(panel, "lists") == "No list synced yet"
    assert label(panel, "readers") == "No reader reported yet"
    assert label(panel, "count_pass") == "0"
    assert not child(panel, QLabel, "lastSync").isVisible()


def test_set_config_shows_every_setting(panel: StaffPanel) -> None:
    panel.set_config(KioskConfig(language="en", volume=30, policy=VerdictPolicy(
        "hospital", True, 4.5, 20.0, True)))
    assert button(panel, "siteKind_hospital").text() == "✓ Hospital"
    assert button(panel, "siteKind_station").text() == "Station"
    assert button(panel, "amberMayPass_yes").isChecked()
    assert button(panel, "ackRequired_yes").isChecked()
    assert label(panel, "passHold_value") == "4.5 s"
    assert label(panel, "alertHold_value") == "20 s"
    assert label(panel, "volume_value") == "30"
    assert button(panel, "language_en").text() == "✓ English"
    assert url_field(panel).text() == ""


def test_show_message_on_either_page(panel: StaffPanel) -> None:
    assert not child(panel, QLabel, "message").isVisible()
    panel.show_message(staff_text(M.EXPORTED_TO, "/var/lib/passkiosk/exports/x.csv"))
    status = child(panel, QLabel, "message")
    assert status.isVisible() and status.property("error") is False
    assert status.text() == "Exported to /var/lib/passkiosk/exports/x.csv"
    panel.show_page("settings")
    assert label(panel, "settingsMessage") == status.text()
    panel.show_message("")
    assert not child(panel, QLabel, "settingsMessage").isVisible()


@pytest.mark.parametrize(("lang", "title", "family"), [
    ("zh_CN", "工作人员面板", "Noto Sans CJK SC"),
    ("zh_HK", "職員面板", "Noto Sans CJK HK"),
])
def test_the_panel_speaks_the_kiosk_language(
    qtbot: QtBot, panel: StaffPanel, lang: str, title: str, family: str
) -> None:
    install_language(application(), lang)
    try:
        qtbot.waitUntil(lambda: label(panel, "title") == title, timeout=2000)
        assert child(panel, QLabel, "title").font().family() == family
        assert "3" in button(panel, "acknowledge").text()
        assert not button(panel, "syncNow").text().isascii()
    finally:
        install_language(application(), "en")


# Sizes and colours ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
@pytest.mark.parametrize("page", ["status", "settings"])
def test_sizes_at_both_screen_sizes(
    qtbot: QtBot, panel: StaffPanel, size: tuple[int, int], page: str
) -> None:
    w, h = size
    panel.resize(w, h)
    panel.show_page(page)

    def settled() -> bool:
        # The type grows with the screen; the layout then gives each button room for its words.
        buttons = [b for b in panel.findChildren(QPushButton) if b.isVisibleTo(panel)]
        return (panel.width(), panel.height()) == (w, h) and all(
            b.width() >= b.sizeHint().width() for b in buttons)

    qtbot.waitUntil(settled, timeout=2000)
    hint = panel.minimumSizeHint()
    assert hint.width() <= w and hint.height() <= h  # everything fits: nothing is squeezed
    shown = [c for c in panel.findChildren(QWidget) if c.isVisibleTo(panel)]
    texts = [c for c in shown if isinstance(c, QLabel | QPushButton | QLineEdit)]
    assert len(texts) > 20
    panel_rect = panel.rect()
    for c in texts:
        assert c.font().pixelSize() >= STAFF_TEXT_PX, c.objectName()
        top_left = c.mapTo(panel, QPoint(0, 0))
        assert panel_rect.contains(top_left), c.objectName()
        assert panel_rect.contains(top_left + QPoint(c.width() - 1, c.height() - 1)), \
            c.objectName()
    targets = [c for c in texts if isinstance(c, QPushButton | QLineEdit)]
    assert len(targets) >= (8 if page == "status" else 16)
    for c in targets:
        assert c.width() >= TOUCH_TARGET_PX and c.height() >= TOUCH_TARGET_PX, c.objectName()
    for b in (c for c in shown if isinstance(c, QPushButton) and c.text()):
        # The words fit on the button, inside its padding.
        assert b.fontMetrics().horizontalAdvance(b.text()) + 2 * 16 <= b.width(), b.objectName()


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
@pytest.mark.parametrize("page", ["status", "settings"])
def test_fits_the_gate_window_without_scrolling(
    qtbot: QtBot, size: tuple[int, int], page: str
) -> None:
    # The kiosk shows the panel in its window's side-screen area, above the status strip; a
    # panel taller than that area would scroll. Fullest content: every list, two reader lines
    # and a long result message.
    from kiosk._window import KioskWindow

    install_language(application(), "zh_CN")
    try:
        window = KioskWindow()
        qtbot.addWidget(window)
        panel = StaffPanel()
        window.add_screen("panel", panel)
        panel.set_config(SAVED)
        panel.set_status(replace(STATUS, readers=("pcsc ✓  sam ✓", "camera ⚠  scanner ✗")))
        panel.show_page(page)
        panel.show_message(staff_text(
            M.EXPORTED_TO, "/var/lib/passkiosk/exports/counts-Guangzhou_South-B-3-2026-12-04.csv"))
        window.resize(*size)
        window.show()
        window.show_screen("panel")
        holder = panel.parentWidget()
        while holder is not None and not isinstance(holder, QAbstractScrollArea):
            holder = holder.parentWidget()
        assert isinstance(holder, QAbstractScrollArea)
        qtbot.waitUntil(lambda: panel.isVisible() and panel.width() >= size[0] - 20,
                        timeout=2000)
        bar = holder.verticalScrollBar()
        assert bar.maximum() == 0, f"panel {panel.size()} in {holder.viewport().size()}"
        assert holder.horizontalScrollBar().maximum() == 0
    finally:
        install_language(application(), "en")


def test_every_colour_pair_reaches_7_to_1(panel: StaffPanel) -> None:
    pairs = M.COLORS.pairs()
    for name, fg, bg in pairs:
        assert contrast(fg, bg) >= MIN_CONTRAST, name
    known = {c.upper() for _, fg, bg in pairs for c in (fg, bg)}
    used = {c.upper() for c in re.findall(r"#[0-9A-Fa-f]{6}", panel.styleSheet())}
    assert used and used <= known


@pytest.mark.parametrize(("name", "pair"), [
    ("exit", M.COLORS.danger),
    ("syncNow", M.COLORS.button),
    ("tab_status", M.COLORS.choice_on),
    ("tab_settings", M.COLORS.choice_off),
])
def test_buttons_are_painted_in_their_pair(panel: StaffPanel, name: str,
                                           pair: tuple[str, str]) -> None:
    b = button(panel, name)
    image = b.grab().toImage()
    # Just inside the rounded corner: background, never text.
    assert QColor(image.pixel(12, b.height() // 2)).name().upper() == pair[1].upper()


# The Qt-free model ------------------------------------------------------------------------


def test_age_words() -> None:
    assert M.age_phrase(None) == (M.AGE_NEVER, None)
    assert M.age_phrase(59) == (M.AGE_MINUTES, "0")
    assert M.age_phrase(3599) == (M.AGE_MINUTES, "59")
    assert M.age_phrase(3600) == (M.AGE_HOURS, "1")
    assert M.age_phrase(2 * 86400 - 1) == (M.AGE_HOURS, "47")
    assert M.age_phrase(5 * 86400) == (M.AGE_DAYS, "5")


def test_steps() -> None:
    assert M.step_hold(3.0, -1) == 3.0
    assert M.step_hold(3.5, 2) == 5.5
    assert M.step_hold(599.5, 1) == 600.0
    assert M.step_volume(95, 1) == 100
    assert M.step_volume(5, -1) == 0


T_NOON = int(datetime(2026, 12, 4, 4, 0, tzinfo=UTC).timestamp())  # 12:00 in Beijing


def test_day_span_is_the_china_standard_time_day() -> None:
    start, end = M.day_span(T_NOON)
    assert end - start == 86400
    assert datetime.fromtimestamp(start, M.CST).strftime("%Y-%m-%d %H:%M") == "2026-12-04 00:00"
    assert start <= T_NOON < end
    assert M.day_span(start) == (start, end) and M.day_span(end)[0] == end


def test_export_writes_hourly_counts_and_nothing_about_people(tmp_path: Path) -> None:
    start, _ = M.day_span(T_NOON)
    store = Store(tmp_path / "kiosk")
    try:
        for at, outcome, reason in [(start + 60, "pass", "ok"), (start + 120, "pass", "ok"),
                                    (start + 9 * 3600, "deny", "status_red"),
                                    (start - 1, "pass", "ok")]:  # yesterday
            store.add_record(EntryRecord(new_record_id(), at, "GZ", "3", outcome, reason, "PK1",
                                         "cd" * 16, "ef" * 16))
        path = M.export_today_counts(store, tmp_path / "exports", T_NOON, "GZ South", "3/a")
    finally:
        store.close()
    assert path == tmp_path / "exports" / "counts-GZ_South-3_a-2026-12-04.csv"
    rows = path.read_bytes().decode().split("\r\n")
    assert rows[0] == "hour,pass,attention,deny,invalid"
    assert rows[1] == "2026-12-04 00:00,2,0,0,0"
    assert rows[10] == "2026-12-04 09:00,0,0,1,0"
    assert rows[24] == "2026-12-04 23:00,0,0,0,0" and rows[25:] == [""]
    content = path.read_text()
    assert "cd" * 16 not in content and "ef" * 16 not in content


def test_the_panel_model_loads_no_qt() -> None:
    # A fresh interpreter: this test process has loaded Qt for other tests already.
    code = "import sys, kiosk._panel_model\nprint([m for m in sys.modules if 'PySide6' in m])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
