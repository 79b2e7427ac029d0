"""``passkiosk run``: the real gate kiosk on a data folder.

Wires every real part: the synced lists and entry records of the data folder
(``RecordingVerifier`` over ``sync.SyncedVerifier``), the readers named on the command line
(PC/SC, GA/T 467 serial, camera, serial scanner) through the reader bridge, the scanner-gun
keyboard wedge, and background sync when the site config names a service URL. Each reader runs
on its own thread; only the bridge touches Qt.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from codes import DeviceError
from kiosk._app import application, install_language
from kiosk._bridge import ReaderBridge
from kiosk._controller import KioskController
from kiosk._verifier import RecordingVerifier
from kiosk._wedge import WedgeFilter
from kiosk._window import KioskWindow
from kiosk._words import readers_line
from readers import CardReader, Health, ReaderStatus
from sync import SiteConfig, Store, SyncedVerifier, SyncScheduler, SyncStatus, TrustedClock

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class RunOptions:
    data_dir: Path
    language: str = "zh_CN"
    windowed: bool = False
    site: str | None = None
    gate: str | None = None
    service_url: str | None = None
    pcsc: bool = True
    sam_port: str | None = None
    camera: str | None = None
    scanner_port: str | None = None


class _SyncRelay(QObject):
    """Carries the scheduler's status (sync thread) to the GUI thread."""

    status = Signal(SyncStatus)


def site_config(store: Store, opts: RunOptions) -> SiteConfig:
    """The stored site config, updated by any --site/--gate/--service given this time."""
    stored = store.site_config() or SiteConfig(site_id="unconfigured", gate_id="1")
    cfg = replace(
        stored,
        site_id=opts.site or stored.site_id,
        gate_id=opts.gate or stored.gate_id,
        service_url=opts.service_url or stored.service_url,
    )
    if cfg != store.site_config():
        store.save_site_config(cfg)
        store.append_audit(int(time.time()), "cli", "site_config", f"{cfg.site_id}/{cfg.gate_id}")
    return cfg


def build_readers(opts: RunOptions, bridge: ReaderBridge) -> list[CardReader]:
    from readers import CameraScanner, CvFrameSource, PcscCardReader, SamCardReader, SerialScanner

    readers: list[CardReader] = []
    if opts.pcsc:
        readers.append(PcscCardReader(bridge.sink))
    if opts.sam_port:
        readers.append(SamCardReader(bridge.sink, opts.sam_port))
    if opts.scanner_port:
        readers.append(SerialScanner(bridge.sink, opts.scanner_port))
    if opts.camera is not None:
        if opts.camera.isdigit():  # a gate camera: ask for 720p, where a phone code spans
            source = CvFrameSource(int(opts.camera), width=1280, height=720)  # enough pixels
        else:  # a recorded video (for trials), played at its own frame rate
            source = CvFrameSource(opts.camera, realtime=True)
        readers.append(CameraScanner(source, bridge.sink))
    return readers


class Kiosk:
    """The assembled kiosk: window, gate controller, readers and background sync."""

    def __init__(self, opts: RunOptions) -> None:
        from sync import background_sync

        self.app = application()
        install_language(self.app, opts.language)
        self.store = Store(opts.data_dir)
        self.config = cfg = site_config(self.store, opts)
        trusted = TrustedClock(self.store)

        def now() -> int:
            return trusted.reading(time.time()).now

        self._now = now
        self._trusted = trusted
        self._synced = SyncedVerifier(opts.data_dir, clock=now, max_age=cfg.stale_after_s)
        self.verifier = RecordingVerifier(
            self._synced, self.store, site=cfg.site_id, gate=cfg.gate_id, clock=now
        )
        self.controller = controller = KioskController(self.verifier)
        self.window = window = KioskWindow()
        controller.stateChanged.connect(window.show_state)
        window.page.touched.connect(controller.dismiss)
        window.strip.site.setText(f"{cfg.site_id} · {cfg.gate_id}")

        self.bridge = bridge = ReaderBridge()
        bridge.cardPresented.connect(controller.present_card)
        bridge.cardRemoved.connect(lambda _event: controller.card_removed())
        bridge.codeScanned.connect(controller.present_code)
        self._health: dict[str, Health] = {}
        bridge.statusChanged.connect(self._on_reader_status)
        self.wedge = WedgeFilter(self.app)
        self.app.installEventFilter(self.wedge)
        self.wedge.scanned.connect(controller.present_code)

        self._show_freshness()
        self._freshness_timer = QTimer(window)
        self._freshness_timer.timeout.connect(self._show_freshness)
        self._freshness_timer.start(30_000)

        self.scheduler: SyncScheduler | None = None
        if cfg.service_url:
            self._relay = _SyncRelay()
            self._relay.status.connect(lambda _s: self._show_freshness())
            self.scheduler = background_sync(
                opts.data_dir, self.store, cfg.service_url, on_status=self._relay.status.emit
            )
            window.strip.touched.connect(self.sync_now)
        self.readers = build_readers(opts, bridge)

    def start(self) -> None:
        if self.scheduler is not None:
            self.scheduler.start()
        for reader in self.readers:
            try:
                reader.start()
            except DeviceError as exc:
                self._on_reader_status(ReaderStatus(Health.LOST, str(exc), reader.source))

    def sync_now(self) -> None:
        """Staff asked for a sync now (touching the status strip)."""
        if self.scheduler is not None:
            self.store.append_audit(self._now(), "staff", "sync_now")
            self.scheduler.sync_now()

    def close(self) -> None:
        for reader in self.readers:
            try:
                reader.stop()
            except DeviceError as exc:
                log.error("stopping %s: %s", reader.source, exc)
        if self.scheduler is not None:
            self.scheduler.stop()
        self.app.removeEventFilter(self.wedge)
        self.controller.shutdown()
        self.window.close()
        self._synced.close()
        self.store.close()

    def _on_reader_status(self, status: ReaderStatus) -> None:
        self._health[status.source] = status.health
        if status.health is not Health.OK:
            log.warning("reader %s: %s (%s)", status.source, status.health, status.detail)
        self.window.strip.readers.setText(readers_line(self._health))

    def _show_freshness(self) -> None:
        reading = self._trusted.reading(time.time())
        state = self.verifier.state()
        self.window.strip.set_freshness(
            state.age(reading.now), self.config.stale_after_s, reading.rolled_back
        )


def run_kiosk(opts: RunOptions) -> int:
    kiosk = Kiosk(opts)
    kiosk.start()
    if opts.windowed:
        kiosk.window.resize(1280, 800)
        kiosk.window.show()
    else:
        kiosk.window.showFullScreen()
    try:
        return kiosk.app.exec()
    finally:
        kiosk.close()


__all__ = ["Kiosk", "RunOptions", "run_kiosk"]
