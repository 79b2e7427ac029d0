"""``passkiosk run``: the real gate kiosk on a data folder.

Wires every real part: the config file (``kiosk._config``; the staff panel writes it back), the
synced lists and entry records of the data folder (``RecordingVerifier`` over
``sync.SyncedVerifier``), the readers the config names (PC/SC, GA/T 467 serial, camera, serial
scanner) through the reader bridge, the scanner-gun keyboard wedge, and background sync when the
config names a service URL. Each reader runs on its own thread; only the bridge touches Qt.
"""

from __future__ import annotations

import importlib.metadata
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from codes import DeviceError
from codes.wire import KioskHealth
from kiosk import _panel_model as M
from kiosk._app import system_language
from kiosk._bridge import ReaderBridge
from kiosk._config import (
    KioskConfig,
    ReadersConfig,
    default_config_path,
    load_config,
    save_config,
)
from kiosk._gateapp import GateApp, StatusSources
from kiosk._panel import staff_text
from kiosk._panel_model import ListInfo
from kiosk._verifier import RecordingVerifier
from kiosk._watchdog import Notifier, watchdog_interval_ms
from kiosk._wedge import WedgeFilter
from kiosk._words import HEALTH_MARK, availability, readers_line
from readers import CardReader, Health, ReaderStatus
from sync import (
    SiteConfig,
    Store,
    StoreError,
    SyncedVerifier,
    SyncScheduler,
    SyncStatus,
    TrustedClock,
)

log = logging.getLogger(__name__)

try:
    APP_VERSION = importlib.metadata.version("passkiosk")
except importlib.metadata.PackageNotFoundError:  # a bundle without package metadata
    APP_VERSION = "unknown"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The data folder, the config file, and command-line overrides of the config (None: keep
    the file's value). Overrides are written back to the config file."""

    data_dir: Path
    config_path: Path | None = None
    language: str | None = None
    windowed: bool = False
    site: str | None = None
    gate: str | None = None
    service_url: str | None = None
    pcsc: bool | None = None
    sam_port: str | None = None
    camera: str | None = None
    scanner_port: str | None = None


def resolve_config(opts: RunOptions) -> tuple[Path, KioskConfig]:
    """The config file's path and contents with this run's overrides applied (and saved)."""
    path = opts.config_path or default_config_path(data_dir=opts.data_dir)
    cfg = load_config(path) if path.exists() else KioskConfig(language=system_language())
    readers = cfg.readers
    updated = replace(
        cfg,
        site=opts.site or cfg.site,
        gate=opts.gate or cfg.gate,
        language=opts.language or cfg.language,
        service_url=opts.service_url or cfg.service_url,
        readers=ReadersConfig(
            pcsc=readers.pcsc if opts.pcsc is None else opts.pcsc,
            sam_port=opts.sam_port or readers.sam_port,
            scanner_port=opts.scanner_port or readers.scanner_port,
            camera=opts.camera or readers.camera,
        ),
    )
    if updated != cfg or not path.exists():
        save_config(path, updated)
    return path, updated


def sync_site_config(store: Store, cfg: KioskConfig) -> SiteConfig:
    """The store's site config (what sync and the entry records use), kept equal to the file's."""
    stored = store.site_config() or SiteConfig(site_id=cfg.site, gate_id=cfg.gate)
    site = replace(stored, site_id=cfg.site, gate_id=cfg.gate, service_url=cfg.service_url)
    if site != store.site_config():
        store.save_site_config(site)
        store.append_audit(int(time.time()), "config", "site_config",
                           f"{site.site_id}/{site.gate_id}")
    return site


def build_readers(readers_cfg: ReadersConfig, bridge: ReaderBridge) -> list[CardReader]:
    from readers import CameraScanner, CvFrameSource, PcscCardReader, SamCardReader, SerialScanner

    readers: list[CardReader] = []
    if readers_cfg.pcsc:
        readers.append(PcscCardReader(bridge.sink))
    if readers_cfg.sam_port:
        readers.append(SamCardReader(bridge.sink, readers_cfg.sam_port))
    if readers_cfg.scanner_port:
        readers.append(SerialScanner(bridge.sink, readers_cfg.scanner_port))
    camera = readers_cfg.camera
    if camera is not None:
        if camera.isdigit():  # a gate camera: ask for 720p, where a phone code spans
            source = CvFrameSource(int(camera), width=1280, height=720)  # enough pixels
        else:  # a recorded video (for trials), played at its own frame rate
            source = CvFrameSource(camera, realtime=True)
        readers.append(CameraScanner(source, bridge.sink))
    return readers


class _SyncRelay(QObject):
    """Carries the scheduler's status (sync thread) to the GUI thread."""

    status = Signal(SyncStatus)


class Kiosk:
    """The assembled kiosk: the gate app over the data folder, its readers and background sync."""

    def __init__(self, opts: RunOptions) -> None:
        from sync import background_sync, fix_mmap_threshold

        # Big transient blocks (window images, scrypt, list merges) are unmapped when freed.
        fix_mmap_threshold()
        self.config_path, cfg = resolve_config(opts)
        self.data_dir = opts.data_dir
        self.store = Store(opts.data_dir)
        self.site = site = sync_site_config(self.store, cfg)
        trusted = TrustedClock(self.store)

        def now() -> int:
            return trusted.reading(time.time()).now

        self._now = now
        self._trusted = trusted
        self._synced = SyncedVerifier(opts.data_dir, clock=now, max_age=site.stale_after_s)
        self.verifier = RecordingVerifier(
            self._synced, self.store, site=cfg.site, gate=cfg.gate, clock=now
        )
        self._last_sync: SyncStatus | None = None
        # A sync status queued by the sync thread just before close() is still delivered to the
        # GUI thread afterwards; the store and verifier are gone by then.
        self._closed = False
        self.gate = gate = GateApp(
            cfg,
            store=self.store,
            verifier=self.verifier,
            data_dir=opts.data_dir,
            config_path=self.config_path,
            status=StatusSources(lists=self._lists, readers=self._readers_lines,
                                 last_sync=self._last_sync_text),
        )
        self.app, self.window, self.controller = gate.app, gate.window, gate.controller
        self.flow = flow = gate.flow
        self.controller.readFailed.connect(self._on_read_failed)
        flow.syncRequested.connect(self.sync_now)
        flow.readerTestRequested.connect(self.test_readers)

        self.bridge = bridge = ReaderBridge()
        bridge.cardPresented.connect(flow.card)
        bridge.cardRemoved.connect(lambda _event: self.controller.card_removed())
        bridge.codeScanned.connect(flow.code)
        self._health: dict[str, Health] = {}
        self._details: dict[str, str] = {}
        self._card_sources: set[str] = set()
        self._code_sources: set[str] = set()
        self._storage_ok = True
        bridge.statusChanged.connect(self._on_reader_status)
        self.wedge = WedgeFilter(self.app)
        self.app.installEventFilter(self.wedge)
        self.wedge.scanned.connect(flow.code)

        self.check_status()
        self._freshness_timer = QTimer(self.window)
        self._freshness_timer.timeout.connect(self.check_status)
        self._freshness_timer.start(30_000)

        self.scheduler: SyncScheduler | None = None
        if cfg.service_url:
            self._relay = _SyncRelay()
            self._relay.status.connect(self._on_sync_status)
            self.scheduler = background_sync(
                opts.data_dir, self.store, cfg.service_url, on_status=self._relay.status.emit,
                health=self.health_report,
            )
        self.readers = build_readers(cfg.readers, bridge)
        for reader in self.readers:
            kind = self._code_sources if _reads_codes(reader) else self._card_sources
            kind.add(reader.source)
            self._health[reader.source] = Health.OK

    def start(self) -> None:
        if self.scheduler is not None:
            self.scheduler.start()
        for reader in self.readers:
            try:
                reader.start()
            except DeviceError as exc:
                self._on_reader_status(ReaderStatus(Health.LOST, str(exc), reader.source))
        self._update_availability()

    def sync_now(self) -> None:
        """Staff asked for a sync now (staff panel)."""
        if self.scheduler is None:
            self.flow.panel.show_message(staff_text(M.SYNC_FAILED, "no service URL"), error=True)
            return
        self.scheduler.sync_now()
        self.flow.panel.show_message(staff_text(M.SYNC_STARTED))

    def test_readers(self) -> None:
        """Staff asked for a reader test: restart every reader that is not working and show
        each reader's state in the panel."""
        for reader in self.readers:
            if self._health.get(reader.source) is Health.LOST:
                try:
                    reader.stop()
                    reader.start()
                    self._on_reader_status(ReaderStatus(Health.OK, "restarted", reader.source))
                except DeviceError as exc:
                    self._on_reader_status(ReaderStatus(Health.LOST, str(exc), reader.source))
        self.flow.refresh_panel()

    def close(self) -> None:
        self._closed = True
        self._freshness_timer.stop()
        for reader in self.readers:
            try:
                reader.stop()
            except DeviceError as exc:
                log.error("stopping %s: %s", reader.source, exc)
        if self.scheduler is not None:
            self.scheduler.stop()
            self._relay.status.disconnect()
        self.app.removeEventFilter(self.wedge)
        self.gate.close()
        self._synced.close()
        self.store.close()

    # Events -----------------------------------------------------------------------------------

    def _on_read_failed(self, error: object) -> None:
        if isinstance(error, StoreError):
            log.error("entry records cannot be written: %s", error)
            self._storage_ok = False
            self._update_availability()

    def _on_reader_status(self, status: ReaderStatus) -> None:
        self._health[status.source] = status.health
        self._details[status.source] = status.detail
        if status.health is not Health.OK:
            log.warning("reader %s: %s (%s)", status.source, status.health, status.detail)
        self.window.strip.readers.setText(readers_line(self._health))
        self._update_availability()

    def _on_sync_status(self, status: SyncStatus) -> None:
        if self._closed:
            return
        self._last_sync = status
        self.check_status()

    def _update_availability(self) -> None:
        def works(sources: set[str]) -> bool | None:
            if not sources:
                return None
            return any(self._health.get(s) is not Health.LOST for s in sources)

        self.window.set_availability(
            availability(
                works(self._card_sources),
                works(self._code_sources),
                storage_ok=self._storage_ok,
                clock_rolled_back=self._trusted.reading(time.time()).rolled_back,
            )
        )

    def check_status(self) -> None:
        """Every 30 s and after each sync: data age and clock on the strip, and whether a failed
        disk works again (the gate leaves "out of service" by itself when it does)."""
        if not self._storage_ok:
            self._storage_ok = self._probe_storage()
        reading = self._trusted.reading(time.time())
        state = self.verifier.state()
        self.window.set_freshness(
            state.age(reading.now), self.site.stale_after_s, reading.rolled_back
        )
        self._update_availability()

    def _probe_storage(self) -> bool:
        try:
            self.store.kv_set("storage_probe", str(self._now()))
        except StoreError:
            return False
        return True

    def health_report(self) -> KioskHealth:
        """What the kiosk says about itself with each upload (called on the sync thread: reads
        plain values only, no Qt). The scheduler fills in the data age, queue and last error."""
        health = dict(self._health)

        def state(sources: set[str]) -> str:
            if not sources:
                return "none"
            return "ok" if any(health.get(s) is Health.OK for s in sources) else "error"

        reading = self._trusted.reading(time.time())
        return KioskHealth(
            app_version=APP_VERSION,
            list_version=self.verifier.state().revocation_version,
            data_age_s=None,
            reader=state(self._card_sources),
            camera=state(self._code_sources),
            clock_warnings=("rolled_back",) if reading.rolled_back else (),
        )

    # Panel status -----------------------------------------------------------------------------

    def _lists(self) -> tuple[ListInfo, ...]:
        state = self.verifier.state()
        return (ListInfo("revocation", state.revocation_version, state.age(self._now())),)

    def _readers_lines(self) -> tuple[str, ...]:
        return tuple(
            f"{source} {HEALTH_MARK[h]} {self._details.get(source, '')}".rstrip()
            for source, h in sorted(self._health.items())
        )

    def _last_sync_text(self) -> str:
        """The last sync round as staff read it: when it last worked, and its error if any."""
        status = self._last_sync
        if status is None:
            return ""
        parts = []
        if status.last_success_at is not None:
            parts.append(time.strftime("%H:%M", time.localtime(status.last_success_at)))
        if status.last_error:
            parts.append(status.last_error[:120])
        return "  ".join(parts)


def _reads_codes(reader: CardReader) -> bool:
    from readers import CameraScanner, SerialScanner

    return isinstance(reader, CameraScanner | SerialScanner)


def run_kiosk(opts: RunOptions) -> int:
    kiosk = Kiosk(opts)
    kiosk.start()
    if opts.windowed:
        kiosk.window.resize(1280, 800)
        kiosk.window.show()
    else:
        kiosk.window.show_kiosk()
    # systemd (Type=notify, WatchdogSec): ready once the event loop has shown the window, then a
    # ping from the GUI thread at half the timeout, so a hung GUI gets the kiosk restarted.
    notifier = Notifier.from_env()
    QTimer.singleShot(0, lambda: notifier.notify("READY=1"))
    interval = watchdog_interval_ms()
    watchdog = QTimer(kiosk.window)
    if interval is not None:
        watchdog.timeout.connect(lambda: notifier.notify("WATCHDOG=1"))
        watchdog.start(interval)
    try:
        return kiosk.app.exec()
    finally:
        kiosk.close()


__all__ = ["Kiosk", "RunOptions", "run_kiosk"]
