"""The `passkiosk service ...` and `passkiosk sync` commands end to end, plus `verify`/`lookup
--data` on the synced kiosk folder. The service runs for real (a thread, and once as the
`passkiosk service` subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from codes import Outcome, Verdict
from codes.wire import record_from_verdict
from kiosk.cli import main
from service import BackgroundService
from sync import Store, device_public_key, load_or_create_device_key
from tests.sync.servicekit import make_id18

ID_RED, ID_OK = make_id18(21), make_id18(22)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def svc_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    d = tmp_path / "svc"
    rc, out, err = run(capsys, "service", "init", "--data", str(d), "--iss", "CN-51")
    assert rc == 0, err
    info = json.loads(out)
    assert info["iss"] == "CN-51" and Path(info["root"]).is_file()
    assert "--root" in err
    return d


@pytest.fixture
def url(svc_dir: Path) -> Iterator[str]:
    with BackgroundService(svc_dir) as svc:
        yield svc.url


def test_admin_sync_verify_lookup(svc_dir: Path, url: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    d, k = str(svc_dir), str(tmp_path / "kiosk")
    # issued a minute ago: a subject entry counts for tokens issued before it (§4 step 7)
    rc, out, _ = run(capsys, "service", "issue", "--data", d, "--id", ID_RED, "--name", "张三",
                     "--status", "green", "--kind", "phone", "--proxy",
                     "--now", str(int(time.time()) - 60))
    assert rc == 0
    token = out.strip().splitlines()[-1]
    assert token.startswith("PK1:") and ID_RED not in out
    rc, out, err = run(capsys, "service", "issue", "--data", d, "--id", ID_OK, "--name", "李四",
                       "--status", "green", "--kind", "phone", "--hours", "25")
    assert rc == 2 and "lifetime" in err
    rc, out, _ = run(capsys, "service", "revoke", "--data", d, "--id", ID_RED, "--status", "red")
    assert rc == 0 and "publish" in out and ID_RED not in out
    rc, _, err = run(capsys, "service", "revoke", "--data", d, "--token", "abc", "--status",
                     "revoked")
    assert rc == 2 and "32 hex" in err
    rc, _, err = run(capsys, "service", "revoke", "--data", d, "--id", ID_RED, "--status",
                     "revoked")
    assert rc == 2 and "--token" in err
    rc, out, _ = run(capsys, "service", "publish", "--data", d)
    assert rc == 0 and json.loads(out)["list_version"] == 2

    root = str(svc_dir / "repo" / "metadata" / "1.root.json")
    rc, out, err = run(capsys, "sync", "--data", k, "--service", url, "--root", root)
    assert rc == 0, err
    res = json.loads(out)
    assert res["pull"]["applied"] == ["trust", "full 2"]
    assert res["lists"]["entries"]["subject"] == 1 and res["lists"]["stale"] is False
    assert res["push"]["ok"] is True  # nothing queued yet: nothing to sign, nothing refused

    rc, out, _ = run(capsys, "verify", "--data", k, token)
    v = json.loads(out)
    assert (v["outcome"], v["reason"]) == ("deny", "revoked_subject") and v["data_age_s"] >= 0
    rc, out, _ = run(capsys, "lookup", "--data", k, "--id", ID_RED)
    assert json.loads(out)["outcome"] == "deny"
    rc, out, _ = run(capsys, "lookup", "--data", k, "--id", ID_OK)
    assert json.loads(out)["reason"] == "no_record"
    rc, _, err = run(capsys, "lookup", "--data", k, "--revocation", "x.json", "--id", ID_OK)
    assert rc == 2 and "not both" in err
    rc, _, err = run(capsys, "lookup", "--id", ID_OK)
    assert rc == 2 and "--now" in err

    # the lists grow old: a lookup with no record becomes attention/stale_data, a token check
    # keeps working with the age shown
    state_path = tmp_path / "kiosk" / "lists" / "state.json"
    state = json.loads(state_path.read_bytes())
    state["verified_at"] -= 25 * 3600
    state_path.write_text(json.dumps(state))
    rc, out, _ = run(capsys, "lookup", "--data", k, "--id", ID_OK)
    assert (json.loads(out)["outcome"], json.loads(out)["reason"]) == ("attention", "stale_data")
    rc, out, _ = run(capsys, "verify", "--data", k, token)
    v = json.loads(out)
    assert v["reason"] == "revoked_subject" and v["data_stale"] is True
    assert v["data_age_s"] >= 25 * 3600


def test_sync_pushes_records_of_an_enrolled_kiosk(svc_dir: Path, url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    kiosk = tmp_path / "kiosk"
    load_or_create_device_key(kiosk)
    with Store(kiosk) as store:
        for _ in range(3):
            store.add_record(record_from_verdict(Verdict(Outcome.PASS, "ok"), at=int(time.time()),
                                                 site="S1", gate="G1"))
    root = str(svc_dir / "repo" / "metadata" / "1.root.json")
    rc, out, err = run(capsys, "sync", "--data", str(kiosk), "--service", url, "--root", root)
    assert rc == 1 and "enroll-kiosk" in err  # pull worked, push refused: not enrolled
    assert json.loads(out)["pull"]["ok"] is True
    rc, key_text, _ = run(capsys, "sync", "--data", str(kiosk), "--device-key")
    assert rc == 0 and key_text.strip() == device_public_key(kiosk)
    rc, out, _ = run(capsys, "service", "enroll-kiosk", "--data", str(svc_dir), key_text.strip())
    assert rc == 0 and json.loads(out)["enrolled"]
    rc, out, err = run(capsys, "sync", "--data", str(kiosk), "--service", url)
    assert rc == 0, err
    assert json.loads(out)["push"] == {"ok": True, "sent": 3, "new": 3, "duplicates": 0,
                                       "batches": 1, "pending": 0}


def test_sync_failure_exits_1_with_a_message(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "sync", "--data", str(tmp_path / "k"), "--service",
                       "http://127.0.0.1:9", "--no-push")
    assert rc == 1 and "no_anchor" in json.loads(out)["pull"]["status"]
    assert "--root" in err


def test_admin_on_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "service", "publish", "--data", str(tmp_path / "none"))
    assert rc == 2 and "service init" in err


def test_print_card(svc_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_pdf = tmp_path / "card.pdf"
    rc, out, err = run(capsys, "service", "print-card", "--data", str(svc_dir), "--id", ID_OK,
                       "--name", "王小明", "--out", str(out_pdf))
    assert rc == 0, err
    assert out_pdf.read_bytes().startswith(b"%PDF") and ID_OK not in out


def test_service_subprocess_serves_and_stops(svc_dir: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "service", "--data",
                             str(svc_dir), "--listen", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        body = b""
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read()
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)  # polling a starting server: no event to wait on
        assert json.loads(body)["ok"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_site_config_sets_the_stale_limit(svc_dir: Path, url: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from sync import SiteConfig

    k = tmp_path / "kiosk"
    root = str(svc_dir / "repo" / "metadata" / "1.root.json")
    assert run(capsys, "sync", "--data", str(k), "--service", url, "--root", root,
               "--no-push")[0] == 0
    state_path = k / "lists" / "state.json"
    state = json.loads(state_path.read_bytes())
    state["verified_at"] -= 2 * 3600
    state_path.write_text(json.dumps(state))
    rc, out, _ = run(capsys, "lookup", "--data", str(k), "--id", ID_OK)
    assert rc == 0 and json.loads(out)["reason"] == "no_record"  # 2 h < default 24 h
    with Store(k) as store:
        store.save_site_config(SiteConfig(site_id="S", gate_id="G", stale_after_s=3600))
    rc, out, _ = run(capsys, "lookup", "--data", str(k), "--id", ID_OK)
    assert rc == 0
    assert (json.loads(out)["reason"], json.loads(out)["data_stale"]) == ("stale_data", True)


def test_lookup_with_data_stays_light(svc_dir: Path, url: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    k = str(tmp_path / "kiosk")
    root = str(svc_dir / "repo" / "metadata" / "1.root.json")
    assert run(capsys, "sync", "--data", k, "--service", url, "--root", root, "--no-push")[0] == 0
    code = ("import sys; from kiosk.cli import main; "
            f"main(['lookup', '--data', {k!r}, '--id', {ID_OK!r}]); "
            "print(sorted(m for m in ('PySide6', 'aiohttp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=60, check=True).stdout
    lines = out.strip().splitlines()
    assert json.loads(lines[0])["reason"] == "no_record"
    assert lines[-1] == "[]"  # neither Qt nor the service's web framework was loaded
