"""The screens around the gate and how people move between them.

The gate page serves the public. Two kinds of people leave it on purpose:

- a **helper** (staff, volunteer, family) taps "look up for someone": they identify themselves
  (their own ID card, or the staff PIN), type the person's ID number on the keypad, confirm the
  masked number, and the lookup runs the same path as a card tap. Each lookup is logged with the
  helper's identification and limited per kiosk (default 10 a minute) against enumeration;
- **staff** hold the corner target for 2 s, enter the PIN (lockout after 5 wrong tries) and reach
  the panel: policy, sound, language, sync, counts, reader test, acknowledge, export, exit.

Any screen other than the gate returns to it after a spell without a touch, so a kiosk is never
left on the keypad or the panel. Card taps and scans go to the gate only while it shows (a card
tapped on the helper's first step identifies the helper instead). Every staff action is written to
the audit log through ``audit``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QApplication

from codes import card_hash, mask_id
from kiosk import _panel_model as M
from kiosk._config import KioskConfig
from kiosk._controller import KioskController
from kiosk._gate import GateState, Phase
from kiosk._panel import StaffPanel, staff_text
from kiosk._panel_model import PanelStatus
from kiosk._pin import PinGuard, PinResult, PinStatus
from kiosk._pin_view import PinChecker, PinPage
from kiosk._proxy import HelperId, RateLimiter
from kiosk._proxy_view import ProxyLookupPage
from kiosk._sound import SoundPlayer
from kiosk._window import KioskWindow
from readers import CardPresented

log = logging.getLogger(__name__)

# Seconds without a touch before a side screen gives the kiosk back to the gate.
HELPER_IDLE_S = 60.0
STAFF_IDLE_S = 180.0

Audit = Callable[[str, str, str], None]  # actor, action, detail (never a raw ID number)


class GateFlow(QObject):
    """Owns the side screens and routes reader input; the kiosk (or the demo) acts on the
    signals that need its parts (config file, sync, export, readers, exit)."""

    configChanged = Signal(KioskConfig)
    syncRequested = Signal()
    readerTestRequested = Signal()
    exportRequested = Signal()
    exitRequested = Signal()

    def __init__(
        self,
        window: KioskWindow,
        controller: KioskController,
        *,
        config: KioskConfig,
        pin_guard: PinGuard,
        limiter: RateLimiter,
        panel_status: Callable[[], PanelStatus],
        audit: Audit,
        sound: SoundPlayer | None = None,
        language: Callable[[], str] = lambda: "zh_CN",
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.config = config
        self._guard = pin_guard
        self._limiter = limiter
        self._panel_status = panel_status
        self._audit = audit
        self._sound = sound
        self._language = language
        self._wall = wall_clock
        self._clock = clock
        # Seconds without a touch before a side screen gives the kiosk back to the gate.
        self.helper_idle_s = HELPER_IDLE_S
        self.staff_idle_s = STAFF_IDLE_S
        self._pin_for = "panel"  # what an accepted PIN opens: "panel" or "helper"
        self._helper: HelperId | None = None
        self._sounded = -1  # the read id whose verdict was last played

        self.proxy = ProxyLookupPage(window)
        self.pin = PinPage(window)
        self.panel = StaffPanel(window)
        window.add_screen("proxy", self.proxy)
        window.add_screen("pin", self.pin)
        window.add_screen("panel", self.panel)

        window.page.helperRequested.connect(self.start_helper)
        window.page.staffRequested.connect(self.start_staff)
        window.page.languageChosen.connect(self._spoken_help)
        self.proxy.lookupRequested.connect(self._lookup)
        self.proxy.pinRequested.connect(self._pin_for_helper)
        self.proxy.cancelled.connect(self.back_to_gate)
        # The PIN hash is slow on purpose (scrypt): it runs off the GUI thread.
        self._checker = PinChecker(pin_guard, clock=wall_clock, parent=self)
        self.pin.pinEntered.connect(self._checker.submit)
        self._checker.finished.connect(self._pin_checked)
        self._checker.failed.connect(self._pin_failed)
        self.pin.cancelled.connect(self.back_to_gate)
        self.panel.configSaved.connect(self._config_saved)
        self.panel.syncRequested.connect(self._staff_action("sync_now", self.syncRequested))
        self.panel.readerTestRequested.connect(
            self._staff_action("reader_test", self.readerTestRequested))
        self.panel.exportRequested.connect(self._staff_action("export_counts",
                                                              self.exportRequested))
        self.panel.exitRequested.connect(self._staff_action("exit", self.exitRequested))
        self.panel.acknowledgeRequested.connect(self._acknowledge)
        self.panel.closed.connect(self.back_to_gate)
        controller.stateChanged.connect(self._on_state)

        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._timed_out)
        self._touches = _TouchWatch(self)
        self._touches.touched.connect(self._restart_idle_timer)

    # Reader input -------------------------------------------------------------------------------

    def card(self, card: CardPresented) -> None:
        """A card was tapped: the gate's, or the helper identifying themselves."""
        screen = self.window.current_screen()
        if screen == "gate":
            self.controller.present_card(card)
        elif screen == "proxy" and self._helper is None:
            self._helper_by_card(card)

    def code(self, text: str) -> None:
        """A code was scanned: only the gate takes codes (a scan on the keypad is ignored)."""
        if self.window.current_screen() == "gate":
            self.controller.present_code(text)

    # Screens ------------------------------------------------------------------------------------

    def start_helper(self) -> None:
        self._helper = None
        self.proxy.start()
        self._show("proxy", self.helper_idle_s)

    def start_staff(self) -> None:
        self._pin_for = "panel"
        self.pin.reset()
        self._show("pin", self.helper_idle_s)

    def back_to_gate(self) -> None:
        self._idle.stop()
        self._watch_touches(False)
        self._helper = None
        self.window.show_screen("gate")

    def refresh_panel(self) -> None:
        self.panel.set_status(self._panel_status())

    def _show(self, name: str, idle_s: float) -> None:
        self.window.show_screen(name)
        self._idle.setInterval(int(idle_s * 1000))
        self._idle.start()
        self._watch_touches(True)

    def _watch_touches(self, on: bool) -> None:
        # Only a side screen's idle timer needs every touch. An application-wide filter is a
        # Python call for each event of the whole app, so it is there only while one is open
        # (installing it again just keeps it once).
        app = QApplication.instance()
        if app is not None:
            if on:
                app.installEventFilter(self._touches)
            else:
                app.removeEventFilter(self._touches)

    def _restart_idle_timer(self) -> None:
        if self._idle.isActive():
            self._idle.start()

    def _timed_out(self) -> None:
        if self.window.current_screen() == "panel":
            self._audit("staff", "panel_timeout", "")
        self.back_to_gate()

    # Helper lookup ------------------------------------------------------------------------------

    def _helper_by_card(self, card: CardPresented) -> None:
        if card.id18:  # a GA/T 467 reader gave the number: log only its masked form
            self._helper = HelperId.card_number(card.id18)
            label = mask_id(card.id18)
        else:
            try:
                self._helper = HelperId.card_hash(card_hash(card.serial or ""))
            except ValueError as exc:
                log.warning("helper card unreadable: %s", exc)
                return
            # The card's serial is no ID number; its last digits tell helpers apart on screen.
            label = "…" + (card.serial or "")[-4:]
        self.proxy.helper_identified(label)

    def _pin_for_helper(self) -> None:
        self._pin_for = "helper"
        self.pin.reset()
        self._show("pin", self.helper_idle_s)

    def _lookup(self, id18: str) -> None:
        if self._helper is None:
            self.proxy.start()  # nobody identified: begin again
            return
        now = self._clock()
        if not self._limiter.allow(now):
            self._audit(self._helper.log_text(), "proxy_lookup_refused", "rate limit")
            self.proxy.show_rate_limited(self._limiter.retry_after(now))
            return
        self._audit(self._helper.log_text(), "proxy_lookup", mask_id(id18))
        self.back_to_gate()
        self.controller.present_id(id18)

    # Staff --------------------------------------------------------------------------------------

    def _pin_checked(self, result: object) -> None:
        if not isinstance(result, PinResult):
            return
        if result.status is PinStatus.OK:
            self.pin.reset()
            self._audit("staff", "pin_ok", self._pin_for)
            if self._pin_for == "helper":
                self._helper = HelperId.staff_pin()
                self._show("proxy", self.helper_idle_s)
                self.proxy.helper_identified_by_pin()
            else:
                self.panel.set_config(self.config)
                self.refresh_panel()
                self._show("panel", self.staff_idle_s)
        elif result.status is PinStatus.WRONG:
            self._audit("staff", "pin_wrong", str(result.tries_left))
            self.pin.show_result(result)
        else:
            self._audit("staff", "pin_locked", str(result.locked_s))
            self.pin.show_result(result)

    def _pin_failed(self, error: str) -> None:
        log.error("staff PIN check failed: %s", error)
        self.pin.reset()
        self.back_to_gate()

    def shutdown(self) -> None:
        """Let a running PIN check finish before the store behind it closes."""
        self._checker.wait()

    def _config_saved(self, cfg: KioskConfig) -> None:
        self._audit("staff", "config_saved", f"{cfg.site}/{cfg.gate}")
        self.config = cfg
        if self._sound is not None:
            self._sound.set_volume(cfg.volume)
        self.configChanged.emit(cfg)

    def _acknowledge(self) -> None:
        verdict = self.controller.state.verdict
        acknowledged = self.controller.acknowledge()
        what = verdict.reason if acknowledged and verdict is not None else "none"
        self._audit("staff", "acknowledge", what)
        self.panel.show_message(staff_text(M.ACKNOWLEDGED, what))
        self.refresh_panel()

    def _staff_action(self, action: str, signal: SignalInstance) -> Callable[[], None]:
        def act() -> None:
            self._audit("staff", action, "")
            signal.emit()

        return act

    # Sound --------------------------------------------------------------------------------------

    def _on_state(self, state: GateState) -> None:
        # A queued scan re-emits the verdict's state: sound each verdict once, by its read id.
        if (state.phase is Phase.VERDICT and state.verdict is not None and self._sound
                and state.read_id != self._sounded):
            self._sounded = state.read_id
            try:
                self._sound.play_verdict(state.verdict.outcome, state.verdict.reason,
                                         self._language())
            except ValueError as exc:  # a reason without a prompt: the earcon's job alone
                log.warning("no sound for %s: %s", state.verdict.reason, exc)
        if self.window.current_screen() == "panel":
            self.refresh_panel()

    def _spoken_help(self, language: str) -> None:
        if self._sound is not None:
            self._sound.play_prompt("idle_help", language)


class _TouchWatch(QObject):
    """Sees every touch, click and key press in the app (to keep a side screen open)."""

    touched = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress,
                            QEvent.Type.TouchBegin):
            self.touched.emit()
        return False


__all__ = ["GateFlow"]
