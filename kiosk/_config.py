"""The kiosk's config file: one small TOML file, read at start and written back by the staff panel.

Pure Python (no Qt). Reading uses the standard library's ``tomllib``; writing uses the small
writer below, which only has to emit the handful of value types the file holds (text, whole
numbers, decimals, true/false), so no extra dependency is needed.

Everything read is checked: the file size (``MAX_CONFIG_BYTES``), every section and key name
(an unknown one is refused, so a typo never silently falls back to a default), each value's type
and range. Problems come out as :class:`ConfigError` naming the key path and saying what was
expected and what was found. A key that is absent takes its default; an optional value
(``service.url``, the reader ports, the camera) is "not set" when absent, because TOML has no null.

Layout::

    [site]     site, gate
    [display]  language
    [sound]    volume
    [service]  url
    [readers]  pcsc, sam_port, scanner_port, camera
    [policy]   site_kind, amber_may_pass, pass_hold_s, alert_hold_s, ack_required
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codes import DeviceError, write_atomic
from codes.wire import (
    MAX_GATE,
    MAX_SITE,
    RecordError,
    check_free_text,
    check_place_code,
    check_place_pair,
)

MAX_CONFIG_BYTES = 64 * 1024
CONFIG_FILE = "config.toml"
SYSTEM_CONFIG = Path("/etc/passkiosk") / CONFIG_FILE
LANGUAGES = ("zh_CN", "zh_HK", "en")
SITE_KINDS = ("station", "hospital")
# A verdict stays at least 3 s (long enough to read it at an elderly person's pace); more than
# ten minutes would block the gate, and "until staff acknowledge" is its own switch.
MIN_HOLD_S = 3.0
MAX_HOLD_S = 600.0
MAX_URL = 512
MAX_DEVICE = 256


class ConfigError(DeviceError):
    """The config file cannot be read, or a value in it is not acceptable."""


@dataclass(frozen=True, slots=True)
class VerdictPolicy:
    """How long verdicts stay on screen and what an amber verdict means at this site."""

    site_kind: str = "station"  # "station" | "hospital"
    amber_may_pass: bool = False  # attention verdicts let the person through
    pass_hold_s: float = 3.0  # >= 3.0
    alert_hold_s: float = 8.0  # >= 3.0: attention/deny/invalid on screen
    ack_required: bool = False  # red and amber stay until staff acknowledge


@dataclass(frozen=True, slots=True)
class ReadersConfig:
    """Which readers the kiosk opens (the ``passkiosk run`` reader flags, in the file)."""

    pcsc: bool = True
    sam_port: str | None = None
    scanner_port: str | None = None
    camera: str | None = None  # device index "0" or a video path


@dataclass(frozen=True, slots=True)
class KioskConfig:
    site: str = "unconfigured"
    gate: str = "1"
    language: str = "zh_CN"  # zh_CN | zh_HK | en: the default after each person
    volume: int = 80  # 0..100
    service_url: str | None = None
    readers: ReadersConfig = ReadersConfig()
    policy: VerdictPolicy = VerdictPolicy()


# -- checking ---------------------------------------------------------------------------------


def _shown(value: object) -> str:
    """A value as the error message shows it: TOML's spelling of booleans, short text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "...'"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _text(path: str, value: object, max_len: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= max_len:
        raise ConfigError(f"{path}: expected text of 1..{max_len} characters, got {_shown(value)}")
    if not value.isprintable():
        raise ConfigError(f"{path}: expected printable text, got control characters")
    return value


def _place(path: str, value: object, max_len: int) -> str:
    try:
        return check_place_code(path, value, max_len)
    except RecordError as e:
        raise ConfigError(str(e)) from e


def _bool(path: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: expected true or false, got {_shown(value)}")
    return value


def _choice(path: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{path}: expected one of {', '.join(choices)}, got {_shown(value)}")
    return value


def _hold(path: str, value: object) -> float:
    # A whole number is a fine way to write seconds ("pass_hold_s = 5").
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{path}: expected a number of seconds, got {_shown(value)}")
    seconds = float(value)
    if not math.isfinite(seconds) or not MIN_HOLD_S <= seconds <= MAX_HOLD_S:
        raise ConfigError(
            f"{path}: expected {MIN_HOLD_S:g}..{MAX_HOLD_S:g} seconds, got {_shown(value)}"
        )
    return seconds


def _volume(path: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ConfigError(f"{path}: expected a whole number 0..100, got {_shown(value)}")
    return value


def _url(path: str, value: object) -> str:
    url = _text(path, value, MAX_URL)
    try:  # the store keeps the address with the site config and holds it to the same rule
        check_free_text(path, url, max_len=MAX_URL)
    except RecordError as e:
        raise ConfigError(str(e)) from e
    if not url.startswith(("http://", "https://")) or " " in url or len(url) < 10:
        raise ConfigError(f"{path}: expected an http:// or https:// address, got {_shown(url)}")
    return url


def _device(path: str, value: object) -> str:
    return _text(path, value, MAX_DEVICE)


def _optional(check: Callable[[str, object], str]) -> Callable[[str, object], str | None]:
    def run(path: str, value: object) -> str | None:
        return None if value is None else check(path, value)

    return run


# Each section: its keys, each key's dataclass field and checker. The file's key names are what
# a person writing the file sees; the dataclass names are what the code uses.
_Check = Callable[[str, object], Any]
_SECTIONS: dict[str, dict[str, tuple[str, _Check]]] = {
    "site": {
        "site": ("site", lambda p, v: _place(p, v, MAX_SITE)),
        "gate": ("gate", lambda p, v: _place(p, v, MAX_GATE)),
    },
    "display": {"language": ("language", lambda p, v: _choice(p, v, LANGUAGES))},
    "sound": {"volume": ("volume", _volume)},
    "service": {"url": ("service_url", _optional(_url))},
    "readers": {
        "pcsc": ("pcsc", _bool),
        "sam_port": ("sam_port", _optional(_device)),
        "scanner_port": ("scanner_port", _optional(_device)),
        "camera": ("camera", _optional(_device)),
    },
    "policy": {
        "site_kind": ("site_kind", lambda p, v: _choice(p, v, SITE_KINDS)),
        "amber_may_pass": ("amber_may_pass", _bool),
        "pass_hold_s": ("pass_hold_s", _hold),
        "alert_hold_s": ("alert_hold_s", _hold),
        "ack_required": ("ack_required", _bool),
    },
}
# Which dataclass each section's keys land in.
_NESTED = {"readers": "readers", "policy": "policy"}


def _section_values(cfg: KioskConfig) -> dict[str, dict[str, object]]:
    """The file's sections and keys for ``cfg`` (None: the key is left out)."""
    out: dict[str, dict[str, object]] = {}
    for section, keys in _SECTIONS.items():
        holder: object = getattr(cfg, _NESTED[section]) if section in _NESTED else cfg
        out[section] = {key: getattr(holder, attr) for key, (attr, _) in keys.items()}
    return out


def check_config(cfg: KioskConfig) -> KioskConfig:
    """Return ``cfg`` when every value is acceptable (the rules of the file), else ConfigError.

    The staff panel checks an edited config with this before saving it."""
    for section, values in _section_values(cfg).items():
        for key, value in values.items():
            _SECTIONS[section][key][1](f"{section}.{key}", value)
    try:
        check_place_pair(cfg.site, cfg.gate)
    except RecordError as e:
        raise ConfigError(
            "site.site and site.gate: expected no ID number between them, got one split across "
            "the two"
        ) from e
    return cfg


def config_from_mapping(doc: Mapping[str, object]) -> KioskConfig:
    """A checked KioskConfig from a parsed TOML document (unknown names refused)."""
    unknown = sorted(set(doc) - set(_SECTIONS))
    if unknown:
        raise ConfigError(
            f"{unknown[0]}: expected a section among {', '.join(_SECTIONS)}, got an unknown one"
        )
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {name: {} for name in _NESTED.values()}
    for section, keys in _SECTIONS.items():
        table = doc.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{section}: expected a [{section}] table, got {_shown(table)}")
        extra = sorted(set(table) - set(keys))
        if extra:
            raise ConfigError(
                f"{section}.{extra[0]}: expected a key among {', '.join(keys)}, got an unknown one"
            )
        target = nested[_NESTED[section]] if section in _NESTED else top
        for key, value in table.items():
            attr, check = keys[key]
            target[attr] = check(f"{section}.{key}", value)
    cfg = KioskConfig(
        **top,
        readers=ReadersConfig(**nested["readers"]),
        policy=VerdictPolicy(**nested["policy"]),
    )
    return check_config(cfg)


# -- reading ----------------------------------------------------------------------------------


def load_config(path: Path) -> KioskConfig:
    """Read and check the config file at ``path`` (at most ``MAX_CONFIG_BYTES``)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"{path}: expected a readable config file, got {e.strerror or e}") from e
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: expected at most {MAX_CONFIG_BYTES} bytes, got more (not a config file?)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: expected UTF-8 text, got a bad byte at {e.start}") from e
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: expected TOML, got {e}") from e
    try:
        return config_from_mapping(doc)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from e


def default_config_path(system: Path = SYSTEM_CONFIG, data_dir: Path | None = None) -> Path:
    """``/etc/passkiosk/config.toml`` when it exists (a site-wide install), else the config
    file in the kiosk's data folder (``data_dir``, default the platform's user data dir)."""
    if system.is_file():
        return system
    if data_dir is None:
        from sync import resolve_data_dir  # sync is heavy; only needed here

        data_dir = resolve_data_dir(None)
    return data_dir / CONFIG_FILE


# -- writing ----------------------------------------------------------------------------------

_HEADER = """\
# passkiosk gate configuration (TOML). Written by the staff panel: values set by hand are kept,
# comments other than this header are not. Read at start; `passkiosk run --config FILE`.
#
# [site]     site, gate: where this kiosk stands (letters, digits, space, - _ .)
# [display]  language: zh_CN, zh_HK or en, the language shown again after each person
# [sound]    volume: 0..100
# [service]  url: the provincial service (leave out: offline only)
# [readers]  pcsc: true/false; sam_port, scanner_port: serial devices; camera: "0" or a video
# [policy]   site_kind: station or hospital; amber_may_pass: true/false;
#            pass_hold_s, alert_hold_s: seconds a verdict stays (3..600);
#            ack_required: red and amber stay until staff acknowledge
"""


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float, and valid TOML when
        # finite (the checks refuse inf and nan).
        return repr(value)
    if isinstance(value, str):
        # Checked values are printable, so only the quote and the backslash need escaping.
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise ConfigError(f"config value: expected text, number or true/false, got {_shown(value)}")


def dump_config(cfg: KioskConfig) -> str:
    """The file's text for ``cfg`` (checked first): header, then one table per section."""
    check_config(cfg)
    parts = [_HEADER]
    for section, values in _section_values(cfg).items():
        parts.append(f"\n[{section}]\n")
        for key, value in values.items():
            if value is not None:
                parts.append(f"{key} = {_toml_value(value)}\n")
    return "".join(parts)


def save_config(path: Path, cfg: KioskConfig) -> None:
    """Write ``cfg`` to ``path`` atomically (0644: no secrets in it; the PIN lives in the store).

    ``load_config`` of the written file returns a config equal to ``cfg``."""
    text = dump_config(cfg)
    try:
        write_atomic(path, text.encode("utf-8"), mode=0o644)
    except OSError as e:
        raise ConfigError(f"{path}: expected a writable place for the config, got {e}") from e
    # write_atomic creates with mode 0o644 through the umask; say exactly what the file is.
    try:
        os.chmod(path, 0o644)
    except OSError as e:
        raise ConfigError(f"{path}: expected to set mode 0644, got {e}") from e

