"""The staff panel: the screen behind the staff PIN.

A view only: the kiosk hands it a config (:meth:`StaffPanel.set_config`) and a status
(:meth:`StaffPanel.set_status`); staff actions come out as signals and the kiosk reports results
back with :meth:`StaffPanel.show_message`. The panel itself reads no store, starts no sync and
writes no file.

Two pages under one header: *Status* (today's counts, list versions and ages, reader health, and
the actions: sync, reader test, acknowledge, export, exit) and *Settings* (site policy, volume,
default language, service address, save). Every control is a large button (at least 96x96 px,
``kiosk._style``): booleans and choices are rows of buttons with the chosen one filled and marked
with a tick, numbers have - and + buttons; the service address is a text field for a USB
keyboard. Exit asks for a second tap, so a brush against the screen does not close the kiosk.
The panel is laid out to fit the gate window's screen area above the status strip at 1280x800;
larger screens scale its type up.

Keyboard. Buttons take no focus, so every key typed goes to the address field. The scanner-gun
filter (``kiosk._wedge``) only withholds keys that may start ``PK1:``/``HC1:`` and delivers them
within a quarter second otherwise, so typing an address works with the filter installed.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import _panel_model as M
from kiosk._config import LANGUAGES as CONFIG_LANGUAGES
from kiosk._config import ConfigError, KioskConfig, check_config
from kiosk._style import STAFF_TEXT_PX, TOUCH_TARGET_PX, font_family

EXIT_CONFIRM_MS = 5000


def staff_text(source: str, *args: str) -> str:
    """``source`` (a ``kiosk._panel_model`` string) translated, with ``%1``, ``%2`` filled."""
    text = QCoreApplication.translate(M.CONTEXT, source)
    for i, arg in enumerate(args, 1):
        text = text.replace(f"%{i}", arg)
    return text


def _language() -> str:
    name = QLocale().name()
    return "en" if name.startswith("en") else name


def _set_font(widget: QWidget, px: int = STAFF_TEXT_PX, bold: bool = False) -> None:
    """Give ``widget`` its type size at 1280x800; larger screens scale it up (``resizeEvent``)."""
    font = QFont(font_family(_language()))
    font.setPixelSize(px)
    font.setBold(bold)
    widget.setFont(font)
    widget.setProperty(_BASE_PX, px)


_BASE_PX = "basePx"
# The panel is laid out for the smallest kiosk screen; on a larger one its type grows with it.
_BASE_SIZE = (1280, 800)


def _style_sheet() -> str:
    c = M.COLORS
    return (
        f"#staffPanel {{ background: {c.page[1]}; }}"
        f" QLabel {{ color: {c.page[0]}; background: transparent; }}"
        f" QPushButton {{ color: {c.button[0]}; background: {c.button[1]}; border: none;"
        "   border-radius: 8px; padding: 8px 16px; }"
        f" QPushButton[role=\"choice\"] {{ color: {c.choice_off[0]};"
        f"   background: {c.choice_off[1]}; }}"
        f" QPushButton[role=\"choice\"]:checked {{ color: {c.choice_on[0]};"
        f"   background: {c.choice_on[1]}; }}"
        f" QPushButton[role=\"danger\"] {{ color: {c.danger[0]}; background: {c.danger[1]}; }}"
        # A disabled button keeps readable colours (its words say why nothing happens).
        f" QPushButton:disabled {{ color: {c.choice_off[0]}; background: {c.choice_off[1]}; }}"
        f" QLineEdit {{ color: {c.field[0]}; background: {c.field[1]};"
        f"   border: 2px solid {c.page[0]}; padding: 4px 12px; }}"
        f" QLabel[role=\"message\"] {{ color: {c.message[0]}; background: {c.message[1]};"
        "   padding: 4px 12px; }"
        f" QLabel[role=\"message\"][error=\"true\"] {{ color: {c.error[0]}; }}"
    )


class _Button(QPushButton):
    """A touch button at least ``TOUCH_TARGET_PX`` square that never takes keyboard focus."""

    def __init__(self, name: str, parent: QWidget, role: str = "") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        if role:
            self.setProperty("role", role)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        _set_font(self, bold=True)

    # Through the size hints, not setMinimumSize: a fixed minimum would let a layout squeeze
    # the button below its words.
    def sizeHint(self) -> QSize:
        return super().sizeHint().expandedTo(QSize(TOUCH_TARGET_PX, TOUCH_TARGET_PX))

    def minimumSizeHint(self) -> QSize:
        return super().minimumSizeHint().expandedTo(QSize(TOUCH_TARGET_PX, TOUCH_TARGET_PX))


class _Choice(QWidget):
    """A row of buttons of which exactly one is chosen (filled, and marked with a tick)."""

    chosen = Signal(str)

    def __init__(self, name: str, keys: tuple[str, ...], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._labels: dict[str, str] = {}
        self.buttons: dict[str, _Button] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        for key in keys:
            button = _Button(f"{name}_{key}", self, role="choice")
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, k=key: self._on_click(k))
            self._group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(button, 1)

    def set_labels(self, labels: dict[str, str]) -> None:
        self._labels = labels
        self._mark()

    def set_value(self, key: str) -> None:
        self.buttons[key].setChecked(True)
        self._mark()

    def value(self) -> str:
        return next(k for k, b in self.buttons.items() if b.isChecked())

    def _on_click(self, key: str) -> None:
        self._mark()
        self.chosen.emit(key)

    def _mark(self) -> None:
        # The tick makes the choice readable without telling colours apart.
        for key, button in self.buttons.items():
            label = self._labels.get(key, key)
            button.setText(f"✓ {label}" if button.isChecked() else label)


class _Stepper(QWidget):
    """- value + : each press steps the value by one notch (the owner decides the notch)."""

    stepped = Signal(int)

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.minus = _Button(f"{name}_minus", self)
        self.minus.setText("−")
        self.plus = _Button(f"{name}_plus", self)
        self.plus.setText("+")
        self.value = QLabel(self)
        self.value.setObjectName(f"{name}_value")
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        _set_font(self.value, 32, bold=True)
        self.value.setMinimumWidth(120)
        self.minus.clicked.connect(lambda: self.stepped.emit(-1))
        self.plus.clicked.connect(lambda: self.stepped.emit(1))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.minus)
        layout.addWidget(self.value, 1)
        layout.addWidget(self.plus)


def _label(name: str, parent: QWidget, px: int = STAFF_TEXT_PX, bold: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    _set_font(label, px, bold)
    label.setWordWrap(True)
    return label


class StaffPanel(QWidget):
    """The staff panel. See the module docstring; the signals carry what staff asked for.

    ``exit_confirm_ms``: how long the exit button waits for its second tap."""

    configSaved = Signal(KioskConfig)
    syncRequested = Signal()
    readerTestRequested = Signal()
    acknowledgeRequested = Signal()
    exportRequested = Signal()
    exitRequested = Signal()
    closed = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, exit_confirm_ms: int = EXIT_CONFIRM_MS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("staffPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(_style_sheet())
        self._config = KioskConfig()
        self._draft = KioskConfig()
        self._status = M.PanelStatus()
        self._exit_armed = False
        self._exit_timer = QTimer(self)
        self._exit_timer.setSingleShot(True)
        self._exit_timer.setInterval(exit_confirm_ms)
        self._exit_timer.timeout.connect(self._disarm_exit)

        # Header: title, site and gate, the two page buttons, close.
        self.title = _label("title", self, 32, bold=True)
        self.site_gate = _label("siteGate", self)
        self.tabs = _Choice("tab", ("status", "settings"), self)
        self.tabs.chosen.connect(self._show_page)
        self.close_button = _Button("close", self)
        self.close_button.clicked.connect(self._on_close)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.site_gate)
        header.addLayout(titles, 1)
        header.addWidget(self.tabs, 1)
        header.addWidget(self.close_button)

        self.pages = QStackedWidget(self)
        self.status_page = self._build_status_page()
        self.settings_page = self._build_settings_page()
        self.pages.addWidget(self.status_page)
        self.pages.addWidget(self.settings_page)


        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.setSpacing(12)
        layout.addLayout(header)
        layout.addWidget(self.pages, 1)

        self.tabs.set_value("status")
        self._retranslate()
        self.set_config(KioskConfig())

    # -- building --------------------------------------------------------------------------

    def _build_status_page(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("statusPage")
        info = QVBoxLayout()
        info.setSpacing(8)
        self.today_heading = _label("todayHeading", page, 28, bold=True)
        info.addWidget(self.today_heading)
        counts = QGridLayout()
        self.count_words: dict[str, QLabel] = {}
        self.count_values: dict[str, QLabel] = {}
        for col, (outcome, _) in enumerate(M.ordered_counts({})):
            self.count_words[outcome] = _label(f"countWord_{outcome}", page)
            self.count_values[outcome] = _label(f"count_{outcome}", page, 40, bold=True)
            counts.addWidget(self.count_values[outcome], 0, col)
            counts.addWidget(self.count_words[outcome], 1, col)
        info.addLayout(counts)
        self.lists_heading = _label("listsHeading", page, 28, bold=True)
        self.lists_text = _label("lists", page)
        self.readers_heading = _label("readersHeading", page, 28, bold=True)
        self.readers_text = _label("readers", page)
        self.last_sync = _label("lastSync", page)
        for w in (self.lists_heading, self.lists_text, self.readers_heading, self.readers_text,
                  self.last_sync):
            info.addWidget(w)
        info.addStretch(1)
        # Results show where staff look after an action: under the status, and on the settings
        # page above the save button (no strip of its own: the panel fits the smallest screen).
        self.message = _message_label("message", page)
        info.addWidget(self.message)

        actions = QVBoxLayout()
        actions.setSpacing(8)
        self.sync_button = _Button("syncNow", page)
        self.test_button = _Button("testReaders", page)
        self.ack_button = _Button("acknowledge", page)
        self.export_button = _Button("export", page)
        self.exit_button = _Button("exit", page, role="danger")
        self.sync_button.clicked.connect(self.syncRequested)
        self.test_button.clicked.connect(self.readerTestRequested)
        self.ack_button.clicked.connect(self.acknowledgeRequested)
        self.export_button.clicked.connect(self.exportRequested)
        self.exit_button.clicked.connect(self._on_exit)
        for b in (self.sync_button, self.test_button, self.ack_button, self.export_button,
                  self.exit_button):
            actions.addWidget(b)
        actions.addStretch(1)

        layout = QHBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(24)
        layout.addLayout(info, 3)
        layout.addLayout(actions, 2)
        return page

    def _build_settings_page(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("settingsPage")
        self.site_kind = _Choice("siteKind", ("station", "hospital"), page)
        self.amber = _Choice("amberMayPass", ("yes", "no"), page)
        self.ack_required = _Choice("ackRequired", ("yes", "no"), page)
        self.pass_hold = _Stepper("passHold", page)
        self.alert_hold = _Stepper("alertHold", page)
        self.volume = _Stepper("volume", page)
        self.language = _Choice("language", CONFIG_LANGUAGES, page)
        self.language.set_labels(dict(M.LANGUAGE_NAMES))
        self.service_url = QLineEdit(page)
        self.service_url.setObjectName("serviceUrl")
        _set_font(self.service_url)
        self.service_url.setMinimumHeight(TOUCH_TARGET_PX)
        self.service_url.setMaxLength(512)
        self.save_button = _Button("save", page)

        self.site_kind.chosen.connect(lambda k: self._edit_policy(site_kind=k))
        self.amber.chosen.connect(lambda k: self._edit_policy(amber_may_pass=k == "yes"))
        self.ack_required.chosen.connect(lambda k: self._edit_policy(ack_required=k == "yes"))
        self.pass_hold.stepped.connect(
            lambda n: self._edit_policy(pass_hold_s=M.step_hold(self._draft.policy.pass_hold_s, n)))
        self.alert_hold.stepped.connect(lambda n: self._edit_policy(
            alert_hold_s=M.step_hold(self._draft.policy.alert_hold_s, n)))
        self.volume.stepped.connect(
            lambda n: self._edit(volume=M.step_volume(self._draft.volume, n)))
        self.language.chosen.connect(lambda k: self._edit(language=k))
        self.service_url.textEdited.connect(lambda t: self._edit(service_url=t.strip() or None))
        self.save_button.clicked.connect(self._on_save)

        def grid(rows: list[tuple[str, QWidget]]) -> tuple[QGridLayout, list[QLabel]]:
            g = QGridLayout()
            g.setHorizontalSpacing(16)
            g.setVerticalSpacing(8)
            g.setColumnStretch(0, 1)
            g.setColumnStretch(1, 2)
            labels = []
            for r, (name, widget) in enumerate(rows):
                label = _label(name, page)
                label.setMinimumWidth(140)
                labels.append(label)
                g.addWidget(label, r, 0)
                g.addWidget(widget, r, 1)
            return g, labels

        left, self._policy_labels = grid([
            ("siteKindLabel", self.site_kind), ("amberLabel", self.amber),
            ("ackLabel", self.ack_required), ("passHoldLabel", self.pass_hold),
            ("alertHoldLabel", self.alert_hold)])
        right, self._kiosk_labels = grid([
            ("volumeLabel", self.volume), ("languageLabel", self.language),
            ("serviceUrlLabel", self.service_url)])
        self.policy_heading = _label("policyHeading", page, 28, bold=True)
        self.kiosk_heading = _label("kioskHeading", page, 28, bold=True)
        self.settings_message = _message_label("settingsMessage", page)
        col1 = QVBoxLayout()
        col1.addWidget(self.policy_heading)
        col1.addLayout(left)
        col1.addStretch(1)
        col2 = QVBoxLayout()
        col2.addWidget(self.kiosk_heading)
        col2.addLayout(right)
        col2.addStretch(1)
        col2.addWidget(self.settings_message)
        col2.addWidget(self.save_button)
        layout = QHBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(32)
        layout.addLayout(col1, 1)
        layout.addLayout(col2, 1)
        return page

    # -- public API ------------------------------------------------------------------------

    def set_config(self, cfg: KioskConfig) -> None:
        """Show ``cfg`` (the saved config): any unsaved edit is dropped."""
        self._config = cfg
        self._draft = cfg
        self._show_draft()
        self.service_url.setText(cfg.service_url or "")
        self.site_gate.setText(staff_text(M.SITE_GATE, cfg.site, cfg.gate))

    def config(self) -> KioskConfig:
        """The config as edited on screen (saved or not)."""
        return self._draft

    def set_status(self, status: M.PanelStatus) -> None:
        self._status = status
        self._show_status()

    def show_message(self, text: str, error: bool = False) -> None:
        """Show the result of an action (``staff_text(M.EXPORTED_TO, path)`` …) under the status
        and above the save button; ``""`` hides it. ``error`` shows it in the error colour."""
        for label in (self.message, self.settings_message):
            _set_message(label, text, error)

    def show_page(self, page: str) -> None:
        """``"status"`` or ``"settings"``."""
        self.tabs.set_value(page)
        self._show_page(page)

    # -- behaviour -------------------------------------------------------------------------

    def _show_page(self, page: str) -> None:
        self.pages.setCurrentWidget(self.settings_page if page == "settings" else self.status_page)

    def _edit(self, **changes: object) -> None:
        self._draft = replace(self._draft, **changes)  # type: ignore[arg-type]
        self._show_draft()

    def _edit_policy(self, **changes: object) -> None:
        self._draft = M.with_policy(self._draft, **changes)
        self._show_draft()

    def _on_save(self) -> None:
        try:
            cfg = check_config(self._draft)
        except ConfigError as e:
            self.show_message(staff_text(M.NOT_SAVED, str(e)), error=True)
            return
        self._config = cfg
        self._show_draft()
        self.configSaved.emit(cfg)

    def _on_exit(self) -> None:
        if self._exit_armed:
            self._disarm_exit()
            self.exitRequested.emit()
            return
        self._exit_armed = True
        self.exit_button.setText(staff_text(M.EXIT_CONFIRM))
        self._exit_timer.start()

    def _disarm_exit(self) -> None:
        self._exit_timer.stop()
        self._exit_armed = False
        self.exit_button.setText(staff_text(M.EXIT))

    def _on_close(self) -> None:
        self._disarm_exit()
        self.set_config(self._config)  # unsaved edits are dropped, not kept for the next staff
        self.show_message("")
        self.show_page("status")
        self.closed.emit()

    # -- painting --------------------------------------------------------------------------

    def _show_draft(self) -> None:
        d = self._draft
        self.site_kind.set_value(d.policy.site_kind)
        self.amber.set_value("yes" if d.policy.amber_may_pass else "no")
        self.ack_required.set_value("yes" if d.policy.ack_required else "no")
        self.pass_hold.value.setText(
            staff_text(M.SECONDS, M.seconds_text(d.policy.pass_hold_s)))
        self.alert_hold.value.setText(
            staff_text(M.SECONDS, M.seconds_text(d.policy.alert_hold_s)))
        self.volume.value.setText(str(d.volume))
        self.language.set_value(d.language)
        changed = d != self._config
        self.save_button.setEnabled(changed)
        if changed:
            _set_message(self.settings_message, staff_text(M.UNSAVED), error=False)
        elif self.settings_message.text() == staff_text(M.UNSAVED):
            _set_message(self.settings_message, "", error=False)

    def _show_status(self) -> None:
        s = self._status
        for outcome, n in M.ordered_counts(s.counts):
            self.count_values[outcome].setText(str(n))
        lines = []
        for info in s.lists:
            version = (staff_text(M.LIST_VERSION, str(info.version)) if info.version is not None
                       else staff_text(M.LIST_NO_VERSION))
            lines.append(f"{info.name}: {version}, {staff_text(*_age(info.age_s))}")
        self.lists_text.setText("\n".join(lines) or staff_text(M.NO_LISTS))
        self.readers_text.setText("\n".join(s.readers) or staff_text(M.NO_READERS))
        self.last_sync.setText(staff_text(M.LAST_SYNC, s.last_sync) if s.last_sync else "")
        self.last_sync.setVisible(bool(s.last_sync))
        self.ack_button.setText(staff_text(M.ACKNOWLEDGE, str(s.pending_acks)))
        self.ack_button.setEnabled(s.pending_acks > 0)

    def _retranslate(self) -> None:
        for w in self.findChildren(QWidget):
            # Every text takes the current language's CJK family; sizes stay as set.
            font = w.font()
            font.setFamily(font_family(_language()))
            w.setFont(font)
        self.title.setText(staff_text(M.TITLE))
        self.tabs.set_labels({"status": staff_text(M.TAB_STATUS),
                              "settings": staff_text(M.TAB_SETTINGS)})
        self.close_button.setText(staff_text(M.CLOSE))
        self.today_heading.setText(staff_text(M.TODAY))
        for outcome, word in M.COUNT_WORDS.items():
            self.count_words[outcome].setText(staff_text(word))
        self.lists_heading.setText(staff_text(M.LISTS))
        self.readers_heading.setText(staff_text(M.READERS))
        self.sync_button.setText(staff_text(M.SYNC_NOW))
        self.test_button.setText(staff_text(M.TEST_READERS))
        self.export_button.setText(staff_text(M.EXPORT))
        self.exit_button.setText(staff_text(M.EXIT_CONFIRM if self._exit_armed else M.EXIT))
        self.policy_heading.setText(staff_text(M.POLICY))
        self.kiosk_heading.setText(staff_text(M.KIOSK))
        for label, source in zip(
            self._policy_labels + self._kiosk_labels,
            (M.SITE_KIND, M.AMBER_MAY_PASS, M.ACK_REQUIRED, M.PASS_HOLD, M.ALERT_HOLD,
             M.VOLUME, M.LANGUAGE, M.SERVICE_URL),
            strict=True,
        ):
            label.setText(staff_text(source))
        self.site_kind.set_labels({"station": staff_text(M.STATION),
                                   "hospital": staff_text(M.HOSPITAL)})
        yes_no = {"yes": staff_text(M.YES), "no": staff_text(M.NO)}
        self.amber.set_labels(yes_no)
        self.ack_required.set_labels(yes_no)
        self.save_button.setText(staff_text(M.SAVE))
        self.site_gate.setText(staff_text(M.SITE_GATE, self._config.site, self._config.gate))
        self._show_draft()
        self._show_status()

    def resizeEvent(self, event: QResizeEvent) -> None:
        size = event.size()
        scale = max(1.0, min(size.width() / _BASE_SIZE[0], size.height() / _BASE_SIZE[1]))
        for w in self.findChildren(QWidget):
            base = w.property(_BASE_PX)
            if isinstance(base, int):
                font = w.font()
                font.setPixelSize(round(base * scale))
                w.setFont(font)
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


def _message_label(name: str, parent: QWidget) -> QLabel:
    label = _label(name, parent)
    label.setProperty("role", "message")
    _set_message(label, "", error=False)
    return label


def _set_message(label: QLabel, text: str, error: bool) -> None:
    label.setText(text)
    label.setProperty("error", error)
    label.style().unpolish(label)  # the error colour comes from the style sheet
    label.style().polish(label)
    label.setVisible(bool(text))


def _age(age_s: float | None) -> tuple[str, ...]:
    source, arg = M.age_phrase(age_s)
    return (source,) if arg is None else (source, arg)
