"""The gate app both the real kiosk and the demo run: window, gate, side screens, sound, config.

What differs between them is only where verdicts come from (synced lists or the demo's), which
readers feed it and whether it syncs; everything a person sees, hears and touches is assembled
here once, so the demo's screenshots show the real kiosk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codes import DeviceError
from kiosk import _panel_model as M
from kiosk._app import Languages, application, second_language
from kiosk._config import KioskConfig, VerdictPolicy, save_config
from kiosk._controller import KioskController, Verifier
from kiosk._flow import GateFlow
from kiosk._gate import GateState, GateTimings, Phase
from kiosk._panel import staff_text
from kiosk._panel_model import ListInfo, PanelStatus, day_span, export_today_counts
from kiosk._pin import PinGuard, StoreLockState
from kiosk._proxy import RateLimiter
from kiosk._sound import SoundPlayer
from kiosk._window import KioskWindow
from sync import Store

log = logging.getLogger(__name__)

EXPORTS = "exports"


def timings_for(policy: VerdictPolicy) -> GateTimings:
    return GateTimings(
        pass_hold_s=policy.pass_hold_s,
        alert_hold_s=policy.alert_hold_s,
        ack_required=policy.ack_required,
        amber_may_pass=policy.amber_may_pass,
    )


@dataclass
class StatusSources:
    """What the panel shows that only the kiosk (or the demo) knows."""

    lists: Callable[[], tuple[ListInfo, ...]] = lambda: ()
    readers: Callable[[], tuple[str, ...]] = lambda: ()
    last_sync: Callable[[], str] = lambda: ""


class GateApp:
    """Assembles the screens over ``verifier`` and ``store`` and keeps the config file in step
    with the staff panel (``config_path`` None: the panel's changes last for this run)."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        store: Store,
        verifier: Verifier,
        data_dir: Path,
        config_path: Path | None,
        status: StatusSources | None = None,
        headless: bool = False,
        sound: bool = True,
    ) -> None:
        self.app = application(headless=headless)
        self.config = config
        self.config_path = config_path
        self.store = store
        self.data_dir = data_dir
        self.status = status or StatusSources()
        self.languages = Languages(self.app, config.language)
        self.controller = controller = KioskController(verifier, timings_for(config.policy))
        self.window = window = KioskWindow(self.languages.translate)
        window.set_policy(controller.timings)
        window.set_language(self.languages.current, second_language(self.languages.current))
        self.languages.changed.connect(
            lambda lang: window.set_language(lang, second_language(lang))
        )
        window.page.touched.connect(controller.dismiss)
        window.page.languageChosen.connect(self.languages.set_language)
        window.strip.site.setText(f"{config.site} · {config.gate}")
        controller.stateChanged.connect(self._on_state)
        self.sound = SoundPlayer(volume=config.volume) if sound else None
        self.flow = flow = GateFlow(
            window,
            controller,
            config=config,
            pin_guard=PinGuard(store.check_staff_pin, StoreLockState(store)),
            limiter=RateLimiter(),
            panel_status=self.panel_status,
            audit=self.audit,
            sound=self.sound,
            language=lambda: self.languages.current,
        )
        flow.configChanged.connect(self.apply_config)
        flow.exportRequested.connect(self.export_counts)
        flow.exitRequested.connect(self.exit)

    # Config and staff actions -----------------------------------------------------------------

    def apply_config(self, cfg: KioskConfig) -> None:
        """The staff panel saved: write the file, then apply what can change while running.
        Site, gate, readers and service address apply at the next start (the panel says so)."""
        if self.config_path is not None:
            try:
                save_config(self.config_path, cfg)
            except DeviceError as exc:
                self.flow.panel.show_message(staff_text(M.NOT_SAVED, str(exc)), error=True)
                return
        self.config = cfg
        self.controller.set_timings(timings_for(cfg.policy))
        self.window.set_policy(self.controller.timings)
        self.languages.set_default(cfg.language)
        if self.sound is not None:
            self.sound.set_volume(cfg.volume)
        self.flow.panel.show_message(staff_text(M.SAVED))

    def export_counts(self) -> None:
        try:
            path = export_today_counts(self.store, self.data_dir / EXPORTS, time.time(),
                                       self.config.site, self.config.gate)
        except (DeviceError, OSError) as exc:
            self.flow.panel.show_message(staff_text(M.EXPORT_FAILED, str(exc)), error=True)
            return
        self.flow.panel.show_message(staff_text(M.EXPORTED_TO, str(path)))

    def exit(self) -> None:
        self.window.unlock()
        self.app.quit()

    def audit(self, actor: str, action: str, detail: str) -> None:
        try:
            self.store.append_audit(int(time.time()), actor, action, detail)
        except DeviceError as exc:  # the audit must not take the gate down with it
            log.error("audit log: %s", exc)

    def panel_status(self) -> PanelStatus:
        start, end = day_span(time.time())
        try:
            counts = self.store.outcome_counts(start, end)
        except DeviceError as exc:
            log.error("today's counts: %s", exc)
            counts = {}
        return PanelStatus(
            lists=self.status.lists(),
            counts=counts,
            readers=self.status.readers(),
            pending_acks=1 if self.controller.awaiting_staff else 0,
            last_sync=self.status.last_sync(),
        )

    # Gate -------------------------------------------------------------------------------------

    def _on_state(self, state: GateState) -> None:
        self.window.show_state(state)
        if state.phase is Phase.IDLE:
            self.languages.reset()  # the next person starts in the site's language

    def close(self) -> None:
        self.flow.shutdown()
        self.controller.shutdown()
        if self.sound is not None:
            self.sound.stop()
        self.window.unlock()
        self.window.close()


__all__ = ["GateApp", "StatusSources", "timings_for"]
