"""``passkiosk verify`` / ``passkiosk lookup`` as a user runs them: real subprocesses (spec §7)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import qrcode
from cryptography.hazmat.primitives.serialization import Encoding

from codes import card_hash, subject_hash
from tests.codes import helpers as h

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120

# Runs the CLI in-process in a fresh interpreter and fails if anything imported Qt.
_NO_QT = (
    "import sys\n"
    "from kiosk.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
    "assert not qt, qt\n"
    "sys.exit(rc)\n"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _NO_QT, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def ok_json(*args: str) -> dict[str, Any]:
    p = run(*args)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 1
    out: dict[str, Any] = json.loads(lines[0])
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    (d / "trust.json").write_bytes(h.trust_json())
    (d / "revocation.json").write_text(
        json.dumps({"entries": [{"type": "token", "id": h.CTI.hex()}]})
    )
    (d / "empty.json").write_text('{"entries": []}')
    (d / "bad.json").write_text('{"keys": [{"alg": "EdDSA"}]}')
    cert = h.dsc(h.HC1_ES_KEY)
    (d / "dsc_pem.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    (d / "dsc_der.der").write_bytes(cert.public_bytes(Encoding.DER))
    qr_png(d / "one.png", h.token(st=1))
    qr_png(d / "none.png")
    (d / "not-a-picture.png").write_bytes(b"this is not a PNG")
    return {p.stem: p for p in d.iterdir()}


def qr_png(path: Path, *texts: str) -> None:
    """Render QR codes side by side (error correction Q, alphanumeric text) into a PNG."""
    import cv2
    import numpy as np

    tiles = []
    for text in texts:
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
        qr.add_data(text)
        qr.make(fit=True)
        modules = np.array(qr.get_matrix(), dtype=bool)
        tiles.append(np.kron(np.where(modules, 0, 255).astype(np.uint8), np.ones((6, 6), np.uint8)))
    height = max((t.shape[0] for t in tiles), default=200)
    canvas = np.full((height, sum(t.shape[1] for t in tiles) or 200), 255, np.uint8)
    x = 0
    for t in tiles:
        canvas[: t.shape[0], x : x + t.shape[1]] = t
        x += t.shape[1]
    assert cv2.imwrite(str(path), canvas)


def test_verify_prints_one_json_object(files: dict[str, Path]) -> None:
    out = ok_json("verify", "--trust-list", str(files["trust"]), "--now", str(h.NOW), h.token())
    assert out["outcome"] == "pass" and out["reason"] == "ok" and out["format"] == "PK1"
    assert out["issuer"] == "CN-44" and out["kid"] == h.ED_KID.hex() and out["exp"] == h.EXP
    assert out["kind"] == "phone" and out["name"] == "张*明" and out["proxy"] is False


def test_verify_revocation_and_invalid_verdicts_exit_0(files: dict[str, Path]) -> None:
    common = ("--trust-list", str(files["trust"]), "--now", str(h.NOW))
    out = ok_json("verify", *common, "--revocation", str(files["revocation"]), h.token())
    assert (out["outcome"], out["reason"]) == ("deny", "revoked_token")
    out = ok_json("verify", *common, "PK1:garbage")
    assert out == {"outcome": "invalid", "reason": "malformed", "format": "PK1"}
    out = ok_json("verify", *common, "HC1:")
    assert out == {"outcome": "invalid", "reason": "malformed", "format": "HC1"}
    # exp a bignum (>= 2**1024): a malformed verdict, exit 0, no traceback
    p = run("verify", *common, "HC1:6BFOXN*TS0BIO DWV8 I8OL8B+HFN11O18P3OV6100DL854")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert json.loads(p.stdout)["reason"] == "malformed"


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (str(h.EXP), "expired"),
        ("2027-01-15T08:00:00", "ok"),  # 1800000000 is 2027-01-15T08:00:00Z
        ("2027-01-15T08:00:00.999", "ok"),  # fractions dropped
        ("2027-01-15T16:00:00+08:00", "ok"),
        ("2027-01-15T08:00:00Z", "ok"),
        ("2027-01-15T09:00:00Z", "expired"),  # = EXP
        ("2027-01-15T08:59:59.999999Z", "ok"),
    ],
)
def test_now_forms(files: dict[str, Path], now: str, reason: str) -> None:
    out = ok_json("verify", "--trust-list", str(files["trust"]), "--now", now, h.token())
    assert out["reason"] == reason


def test_verify_hc1_with_trust_cert_only(files: dict[str, Path]) -> None:
    from cryptography import x509

    # ECDSA certificate signatures are randomised: sign with the very certificate on disk.
    cert = x509.load_pem_x509_certificate(files["dsc_pem"].read_bytes())
    text = h.hc1(h.HC1_ES_KEY, cert)
    for cert_file in (files["dsc_pem"], files["dsc_der"]):
        out = ok_json("verify", "--trust-cert", str(cert_file), "--now", str(h.HC1_NOW), text)
        assert (out["outcome"], out["format"], out["cert_type"]) == ("pass", "HC1", "vaccination")


def test_verify_image(files: dict[str, Path]) -> None:
    out = ok_json(
        "verify", "--trust-list", str(files["trust"]), "--now", str(h.NOW), "--image",
        str(files["one"]),
    )  # fmt: skip
    assert (out["outcome"], out["reason"]) == ("attention", "status_yellow")


@pytest.mark.parametrize(
    "args",
    [
        ("--now", "0", "PK1:x"),  # neither --trust-list nor --trust-cert
        ("--trust-list", "/nonexistent/trust.json", "--now", "0", "PK1:x"),
        ("--trust-list", "{bad}", "--now", "0", "PK1:x"),  # unusable trust list
        ("--trust-list", "{trust}", "--revocation", "{trust}", "--now", "0", "PK1:x"),
        ("--trust-list", "{trust}", "--now", "yesterday", "PK1:x"),
        ("--trust-list", "{trust}", "PK1:x"),  # no --now
        ("--trust-list", "{trust}", "--now", "0"),  # no code
        ("--trust-list", "{trust}", "--now", "0", "--image", "{one}", "PK1:x"),  # both
        ("--trust-list", "{trust}", "--now", "0", "--image", "{none}"),  # no QR code
        ("--trust-list", "{trust}", "--now", "0", "--image", "{not-a-picture}"),
        ("--trust-list", "{trust}", "--now", "0", "--image", "/nonexistent.png"),
        ("--trust-cert", "{trust}", "--now", "0", "HC1:"),  # not a certificate
    ],
)
def test_verify_usage_errors_exit_2(files: dict[str, Path], args: tuple[str, ...]) -> None:
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    p = run("verify", *argv)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stdout == "" and p.stderr.strip()
    assert "Traceback" not in p.stderr


def test_verify_image_with_two_codes_exits_2(tmp_path: Path, files: dict[str, Path]) -> None:
    qr_png(tmp_path / "two.png", h.token(), h.token(st=2))
    p = run("verify", "--trust-list", str(files["trust"]), "--now", "0", "--image",
            str(tmp_path / "two.png"))  # fmt: skip
    assert p.returncode == 2 and "2" in p.stderr


def test_lookup(tmp_path: Path) -> None:
    id18 = "11010519491231002X"
    sh = subject_hash(id18).hex()
    ch = card_hash("0011223344556677").hex()
    rev = tmp_path / "rev.json"
    rev.write_text(
        json.dumps(
            {
                "entries": [
                    {"type": "subject", "sh": sh, "status": "red", "since": 10},
                    {"type": "card", "ch": ch.upper(), "status": "yellow", "since": 10},
                ]
            }
        )
    )
    now = "2026-01-01T00:00:00Z"
    got = ok_json("lookup", "--revocation", str(rev), "--now", now, "--id", id18.lower())
    assert got == {"outcome": "deny", "reason": "revoked_subject", "sh": sh}
    got = ok_json("lookup", "--revocation", str(rev), "--now", now, "--card-serial",
                  "0011223344556677")  # fmt: skip
    assert got == {"outcome": "attention", "reason": "revoked_card", "ch": ch}
    got = ok_json("lookup", "--now", now, "--card-serial", "0011223344556677")
    assert got == {"outcome": "pass", "reason": "no_record", "ch": ch}
    got = ok_json("lookup", "--now", now, "--id", "110105194912310021")
    assert got == {"outcome": "invalid", "reason": "bad_id_number"}
    got = ok_json("lookup", "--now", now, "--card-serial", "XYZ")
    assert got == {"outcome": "invalid", "reason": "bad_card_serial"}


def test_lookup_usage_errors(tmp_path: Path) -> None:
    assert run("lookup", "--now", "0").returncode == 2
    assert run("lookup", "--now", "0", "--id", "1", "--card-serial", "2").returncode == 2
    p = run("lookup", "--revocation", str(tmp_path / "missing.json"), "--now", "0", "--id", "1")
    assert p.returncode == 2 and "missing.json" in p.stderr


def test_never_prints_the_raw_id_number() -> None:
    id18 = "11010519491231002X"
    p = run("lookup", "--now", "1800000000", "--id", id18)
    assert id18 not in p.stdout + p.stderr


def test_shared_images(shared_dir: Path) -> None:
    base = shared_dir / "conformance/pk1"
    doc = json.loads((base / "vectors.json").read_text())
    images = [v for v in doc["vectors"] if "image" in v]
    assert images
    for v in images:
        out = ok_json(
            "verify", "--trust-list", str(base / "trust.json"), "--revocation",
            str(base / "revocation.json"), "--now", str(v["now"]), "--image",
            str(base / v["image"]),
        )  # fmt: skip
        assert (out["outcome"], out["reason"]) == (
            v["expected"]["outcome"],
            v["expected"]["reason"],
        ), v["name"]


def test_dgc_through_the_command(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The EU DCC set through ``passkiosk verify --trust-cert`` (in-process: ~200 runs)."""
    from kiosk.cli import main
    from tests.codes.test_conformance import _DGC_KEYS, _dgc_cases

    failures = []
    for i, (rel, case, excused) in enumerate(_dgc_cases(shared_dir / "conformance/dgc")):
        ctx, expected = case["TESTCTX"], case["EXPECTEDRESULTS"]
        args = ["verify", "--now", ctx["VALIDATIONCLOCK"], case["PREFIX"]]
        if ctx.get("CERTIFICATE"):
            cert = tmp_path / f"{i}.b64"
            cert.write_text(ctx["CERTIFICATE"])
            args[1:1] = ["--trust-cert", str(cert)]
        else:
            args[1:1] = ["--trust-list", str(tmp_path / "empty-trust.json")]
            (tmp_path / "empty-trust.json").write_text('{"keys": []}')
        assert main(args) == 0
        out = json.loads(capsys.readouterr().out)
        want = "invalid" if any(expected.get(k) is False for k in _DGC_KEYS) else "pass"
        if not excused and out["outcome"] != want:
            failures.append((rel, want, out))
    assert not failures
