"""``passkiosk setup`` against the real service on 127.0.0.1: the first run of a new kiosk."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import load_config
from service import BackgroundService, ServiceState, enroll_kiosk
from sync import Store, device_public_key

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Path, str, bytes]]:
    """(the service's data folder, its URL, its root.json)."""
    data = tmp_path / "svc"
    state = ServiceState.init(data, iss="CN-44", now=int(time.time()))
    root = (state.repo.metadata_dir / "1.root.json").read_bytes()
    with BackgroundService(data) as svc:
        yield data, svc.url, root
    state.close()


def passkiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def setup_args(tmp_path: Path, url: str, *extra: str) -> list[str]:
    return ["setup", "--service", url, "--site", "Station-7", "--gate", "B2",
            "--data", str(tmp_path / "kiosk"), "--config", str(tmp_path / "config.toml"),
            "--pin-stdin", *extra]


def out_json(p: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    (line,) = p.stdout.splitlines()
    out: dict[str, Any] = json.loads(line)
    return out


def test_setup_enrols_the_kiosk(tmp_path: Path, service: tuple[Path, str, bytes]) -> None:
    svc_data, url, root = service
    (tmp_path / "root.json").write_bytes(root)
    p = passkiosk(*setup_args(tmp_path, url, "--root", str(tmp_path / "root.json"),
                              "--camera", "0"), stdin="246813\n")
    assert p.returncode == 0, p.stderr
    out = out_json(p)
    kiosk = tmp_path / "kiosk"
    assert out["device_key"] == device_public_key(kiosk)
    assert out["device_key"] in p.stderr  # what the operator types into enroll-kiosk
    assert out["pull"]["ok"] and out["pull"]["trust_keys"] >= 1
    cfg = load_config(tmp_path / "config.toml")
    assert (cfg.site, cfg.gate, cfg.service_url, cfg.readers.camera) == (
        "Station-7", "B2", url, "0")
    with Store(kiosk) as store:
        assert store.check_staff_pin("246813")
        assert not store.check_staff_pin("246814")
        site = store.site_config()
        assert site is not None and (site.site_id, site.gate_id) == ("Station-7", "B2")
    # Once the operator enrols the printed key, the kiosk's signed uploads are accepted.
    enroll_kiosk(svc_data, out["device_key"])
    synced = passkiosk("sync", "--data", str(kiosk), "--service", url)
    assert synced.returncode == 0, synced.stderr
    assert out_json(synced)["push"]["ok"] is True


def test_setup_fetches_root_by_its_hash(tmp_path: Path,
                                        service: tuple[Path, str, bytes]) -> None:
    _, url, root = service
    wrong = passkiosk(*setup_args(tmp_path, url, "--root-sha256", "0" * 64), stdin="1234\n")
    assert wrong.returncode == 2
    assert "expected SHA-256 " + "0" * 64 in wrong.stderr
    assert not (tmp_path / "config.toml").exists()  # nothing saved from a refused anchor
    right = passkiosk(*setup_args(tmp_path, url, "--root-sha256",
                                  hashlib.sha256(root).hexdigest()), stdin="1234\n")
    assert right.returncode == 0, right.stderr
    assert out_json(right)["pull"]["ok"]


@pytest.mark.parametrize("pin", ["12a4", "123", "1234567890123", "１２３４"])
def test_setup_takes_only_a_keypad_pin(tmp_path: Path, pin: str) -> None:
    (tmp_path / "root.json").write_text("{}")
    p = passkiosk(*setup_args(tmp_path, "http://127.0.0.1:9", "--root",
                              str(tmp_path / "root.json")), stdin=pin + "\n")
    assert p.returncode == 2
    assert "staff PIN: expected 4 to 12 digits" in p.stderr
    assert not (tmp_path / "config.toml").exists()


def test_setup_keeps_its_work_when_the_service_is_down(
        tmp_path: Path, service: tuple[Path, str, bytes]) -> None:
    _, url, root = service
    (tmp_path / "root.json").write_bytes(root)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    p = passkiosk(*setup_args(tmp_path, down, "--root", str(tmp_path / "root.json"),
                              "--timeout", "3"), stdin="9753\n")
    assert p.returncode == 1
    out = out_json(p)
    assert out["pull"]["ok"] is False and "run setup again" in p.stderr
    with Store(tmp_path / "kiosk") as store:
        assert store.check_staff_pin("9753")
    key = out["device_key"]
    again = passkiosk(*setup_args(tmp_path, url, "--root", str(tmp_path / "root.json")),
                      stdin="9753\n")
    assert again.returncode == 0, again.stderr
    assert out_json(again)["device_key"] == key  # the same kiosk, not a new identity


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own a folder for another user")
def test_root_does_not_fill_the_kiosk_users_folder(tmp_path: Path) -> None:
    (tmp_path / "root.json").write_text("{}")
    (tmp_path / "kiosk").mkdir()
    os.chown(tmp_path / "kiosk", 65534, 65534)  # the kiosk user's folder, not root's
    p = passkiosk(*setup_args(tmp_path, "http://127.0.0.1:9", "--root",
                              str(tmp_path / "root.json")), stdin="1234\n")
    assert p.returncode == 2
    assert "belongs to uid 65534, not root: run setup as that user" in p.stderr
    assert list((tmp_path / "kiosk").iterdir()) == []
