"""The kiosk config file: defaults, exact round trips, one clear error per bad value, size cap."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes import DeviceError
from kiosk._config import (
    MAX_CONFIG_BYTES,
    ConfigError,
    KioskConfig,
    ReadersConfig,
    VerdictPolicy,
    check_config,
    default_config_path,
    dump_config,
    load_config,
    save_config,
)

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""))
    assert cfg == KioskConfig()
    assert cfg.policy == VerdictPolicy("station", False, 3.0, 8.0, False)
    assert cfg.readers == ReadersConfig(True, None, None, None)


def test_a_full_file_reads_every_key(tmp_path: Path) -> None:
    text = """
[site]
site = "Guangzhou South"
gate = "B-3"
[display]
language = "zh_HK"
[sound]
volume = 35
[service]
url = "https://pass.example.cn/kiosk"
[readers]
pcsc = false
sam_port = "/dev/ttyUSB0"
scanner_port = "/dev/ttyACM1"
camera = "0"
[policy]
site_kind = "hospital"
amber_may_pass = true
pass_hold_s = 4
alert_hold_s = 12.5
ack_required = true
"""
    cfg = load_config(write(tmp_path, text))
    assert cfg == KioskConfig(
        site="Guangzhou South",
        gate="B-3",
        language="zh_HK",
        volume=35,
        service_url="https://pass.example.cn/kiosk",
        readers=ReadersConfig(False, "/dev/ttyUSB0", "/dev/ttyACM1", "0"),
        policy=VerdictPolicy("hospital", True, 4.0, 12.5, True),
    )
    assert isinstance(cfg.policy.pass_hold_s, float)  # "4" is read as seconds, a float


# Values the generator draws: everything the checks accept, including quotes, backslashes and
# non-ASCII text, which the writer must escape or keep as they are.
_PLACE = st.text(alphabet="abcXYZ站口东西0123 -_.", min_size=1, max_size=16)
_DEVICE = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85"),
    min_size=1,
    max_size=40,
)
_URL = st.builds(
    lambda scheme, rest: f"{scheme}://{rest}",
    st.sampled_from(["http", "https"]),
    st.text(alphabet="abcdefgh.:/-_?=&%\"\\é中", min_size=5, max_size=60),
)
_HOLD = st.floats(min_value=3.0, max_value=600.0, allow_nan=False)


def _valid(cfg: KioskConfig) -> bool:
    try:
        check_config(cfg)
    except ConfigError:
        return False
    return True


configs = st.builds(
    KioskConfig,
    site=_PLACE,
    gate=_PLACE,
    language=st.sampled_from(["zh_CN", "zh_HK", "en"]),
    volume=st.integers(0, 100),
    service_url=st.none() | _URL,
    readers=st.builds(
        ReadersConfig,
        pcsc=st.booleans(),
        sam_port=st.none() | _DEVICE,
        scanner_port=st.none() | _DEVICE,
        camera=st.none() | _DEVICE,
    ),
    policy=st.builds(
        VerdictPolicy,
        site_kind=st.sampled_from(["station", "hospital"]),
        amber_may_pass=st.booleans(),
        pass_hold_s=_HOLD,
        alert_hold_s=_HOLD,
        ack_required=st.booleans(),
    ),
).filter(_valid)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(cfg=configs)
def test_save_then_load_gives_the_same_config(tmp_path: Path, cfg: KioskConfig) -> None:
    path = tmp_path / "round.toml"
    save_config(path, cfg)
    assert load_config(path) == cfg
    # Saving what was read writes the same bytes: the file does not drift with each save.
    before = path.read_bytes()
    save_config(path, load_config(path))
    assert path.read_bytes() == before


def test_saved_file_is_0644_with_a_header_and_no_temporary_left(tmp_path: Path) -> None:
    old = os.umask(0o077)  # a tight umask must not make the file unreadable to the kiosk user
    try:
        path = tmp_path / "etc" / "config.toml"
        save_config(path, KioskConfig(site="S1", gate="2"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# passkiosk gate configuration")
    assert "[policy]" in text and 'site = "S1"' in text
    service = text.split("\n[service]\n")[1].split("\n[")[0]
    assert "url" not in service  # unset: the key is left out
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


def test_a_bad_config_is_not_saved_and_the_old_file_stays(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_config(path, KioskConfig(site="S1"))
    before = path.read_bytes()
    bad = KioskConfig(site="S1", policy=VerdictPolicy(pass_hold_s=1.0))
    with pytest.raises(ConfigError, match=r"policy\.pass_hold_s: expected 3\.\.600 seconds"):
        save_config(path, bad)
    assert path.read_bytes() == before
    with pytest.raises(ConfigError, match="volume"):
        dump_config(KioskConfig(volume=101))


BAD_VALUES = [
    ("[site]\nsite = 5\n", "site.site: expected 1..32 characters, got 5"),
    ("[site]\nsite = \"a/b\"\n", "site.site: expected letters"),
    ("[site]\ngate = \"12345678\"\n", "site.gate: expected at most 6 digits"),
    ("[site]\nsite = \"110105\"\ngate = \"194912 310025\"\n",
     "site.site and site.gate: expected no ID number between them"),
    ("[display]\nlanguage = \"fr\"\n",
     "display.language: expected one of zh_CN, zh_HK, en, got 'fr'"),
    ("[sound]\nvolume = 101\n", "sound.volume: expected a whole number 0..100, got 101"),
    ("[sound]\nvolume = -1\n", "sound.volume: expected a whole number 0..100, got -1"),
    ("[sound]\nvolume = 50.0\n", "sound.volume: expected a whole number 0..100, got 50.0"),
    ("[sound]\nvolume = true\n", "sound.volume: expected a whole number 0..100, got true"),
    ("[service]\nurl = \"ftp://x.example\"\n", "service.url: expected an http:// or https://"),
    ("[service]\nurl = \"\"\n", "service.url: expected text of 1..512 characters, got ''"),
    ("[service]\nurl = \"https://x/\\u0007\"\n", "service.url: expected printable text"),
    ("[service]\nurl = \"https://x.cn/110105194912310025\"\n", "service.url: expected no ID"),
    ("[readers]\npcsc = \"yes\"\n", "readers.pcsc: expected true or false, got 'yes'"),
    ("[readers]\ncamera = 0\n", "readers.camera: expected text of 1..256 characters, got 0"),
    ("[readers]\nsam_port = \"\"\n", "readers.sam_port: expected text of 1..256 characters"),
    ("[policy]\nsite_kind = \"airport\"\n", "policy.site_kind: expected one of station, hospital"),
    ("[policy]\namber_may_pass = 1\n", "policy.amber_may_pass: expected true or false, got 1"),
    ("[policy]\npass_hold_s = 2.9\n", "policy.pass_hold_s: expected 3..600 seconds, got 2.9"),
    ("[policy]\nalert_hold_s = 601\n", "policy.alert_hold_s: expected 3..600 seconds, got 601"),
    ("[policy]\nalert_hold_s = nan\n", "policy.alert_hold_s: expected 3..600 seconds, got nan"),
    ("[policy]\npass_hold_s = \"5\"\n", "policy.pass_hold_s: expected a number of seconds"),
    ("[policy]\nack_required = \"true\"\n", "policy.ack_required: expected true or false"),
    ("[polcy]\nack_required = true\n", "polcy: expected a section among site, display"),
    ("[policy]\nack_requird = true\n", "policy.ack_requird: expected a key among site_kind"),
    ("volume = 50\n", "volume: expected a section among"),
    ("site = 3\n", "site: expected a [site] table, got 3"),
    ("[sound]\nvolume = 5\nvolume = 6\n", "expected TOML"),
    ("[sound\n", "expected TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_VALUES)
def test_each_bad_value_gives_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}: ")  # which file
    assert isinstance(info.value, DeviceError)  # the kiosk's error root for device problems


def test_size_cap(tmp_path: Path) -> None:
    body = '[site]\nsite = "S1"\n'
    at_cap = body + "#" * (MAX_CONFIG_BYTES - len(body) - 1) + "\n"
    assert len(at_cap.encode()) == MAX_CONFIG_BYTES
    assert load_config(write(tmp_path, at_cap)).site == "S1"
    with pytest.raises(ConfigError, match=f"expected at most {MAX_CONFIG_BYTES} bytes, got more"):
        load_config(write(tmp_path, at_cap + "\n"))


def test_unreadable_files_give_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a readable config file"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="expected a readable config file"):
        load_config(tmp_path)  # a folder
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[site]\nsite = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="expected UTF-8 text, got a bad byte at 18"):
        load_config(path)


def test_default_path_prefers_the_system_file(tmp_path: Path) -> None:
    system = tmp_path / "etc" / "config.toml"
    data = tmp_path / "data"
    assert default_config_path(system, data) == data / "config.toml"
    save_config(system, KioskConfig())
    assert default_config_path(system, data) == system


def test_default_path_without_a_data_dir_is_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    got = default_config_path(tmp_path / "absent.toml")
    assert got == tmp_path / "xdg" / "passkiosk" / "config.toml"


def test_the_config_module_loads_no_qt() -> None:
    # A fresh interpreter: this test process may have loaded Qt for other tests already.
    code = "import sys, kiosk._config\nprint([m for m in sys.modules if 'PySide6' in m])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
