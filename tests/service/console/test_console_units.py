"""The console's pieces without a server: escaping, passwords, the operations rules."""

from __future__ import annotations

from codes.wire import KioskHealth
from service._console._auth import hash_password, verify_password
from service._console._html import Markup, el, t
from service._console._ops import (
    SILENT_S,
    alerts_for,
    day_bounds,
    hourly_svg,
    site_counts,
)

NOW = 1_796_000_000  # 2026-12-01 (a Tuesday) 16:53:20 CST


def health(**kw: object) -> KioskHealth:
    base: dict[str, object] = {"app_version": "0.1.0", "list_version": 3, "data_age_s": 60,
                               "reader": "ok", "camera": "ok"}
    base.update(kw)
    return KioskHealth(**base)  # type: ignore[arg-type]


def test_text_is_escaped_and_markup_is_not() -> None:
    evil = '<script>alert("1")</script>'
    page = el("p", evil, el("b", "ok"), title=evil)
    assert page == ('<p title="&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;">'
                    "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;<b>ok</b></p>")
    assert isinstance(t("中", "en"), Markup) and 'lang="en"' in t("中", "en")
    assert el("input", required=True, disabled=False, value=None) == "<input required>"
    joined = t("居民", "resident") + " <i>"  # joining keeps markup and escapes the text
    assert isinstance(joined, Markup) and joined.endswith(" &lt;i&gt;")
    assert el("p", joined).count("<span") == 2


def test_password_hashes_are_salted_scrypt() -> None:
    a, b = hash_password("same password"), hash_password("same password")
    assert a != b and a.startswith("scrypt$16384$8$1$")
    assert verify_password("same password", a) and verify_password("same password", b)
    assert not verify_password("same passwort", a)
    assert not verify_password("same password", "scrypt$1$1$1$AA==$AA==")  # refused cost
    assert not verify_password("same password", "md5$whatever")
    assert not verify_password("x" * 10_000, a)


def test_alert_rules() -> None:
    assert alerts_for("k", NOW - 60, health(), NOW) == []
    kinds = {k for _, k, _ in alerts_for("k", NOW - SILENT_S - 1, health(), NOW)}
    assert kinds == {"silent"}
    assert alerts_for("k", NOW - SILENT_S, health(), NOW) == []  # 15 min exactly: not yet
    stale = alerts_for("k", NOW - 600, health(data_age_s=24 * 3600 - 300), NOW)
    assert [k for _, k, _ in stale] == ["stale_data"]  # 24 h minus 5 min, plus 10 min since
    assert [k for _, k, _ in alerts_for("k", NOW, health(data_age_s=None), NOW)] == \
        ["stale_data"]
    assert [k for _, k, _ in alerts_for("k", NOW, health(clock_warnings=("rolled_back",)),
                                        NOW)] == ["clock_back"]
    assert alerts_for("k", NOW, health(clock_warnings=("unsynced",)), NOW) == []
    for reader, down in (("error", True), ("absent", True), ("none", False), ("ok", False)):
        assert bool(alerts_for("k", NOW, health(reader=reader), NOW)) is down


def test_day_is_china_standard_time() -> None:
    start, end = day_bounds(NOW)
    assert end - start == 86_400 and start <= NOW < end
    assert (start + 8 * 3600) % 86_400 == 0  # midnight CST is 16:00 UTC


def test_counts_fold_per_site_and_hour() -> None:
    rows = [("k1", "S1", "G1", "pass", 9, 5, 0), ("k2", "S1", "G2", "pass", 9, 2, 0),
            ("k1", "S1", "G1", "deny", 10, 1, 0), ("k3", "S2", "G1", "invalid", 23, 4, 0)]
    counts = site_counts(rows)
    assert list(counts) == ["S1", "S2"]
    assert counts["S1"].totals == {"pass": 7, "attention": 0, "deny": 1, "invalid": 0}
    assert counts["S1"].hourly[9]["pass"] == 7 and counts["S2"].hourly[23]["invalid"] == 4
    assert list(site_counts(rows, ["S2"])) == ["S2"]
    svg = hourly_svg(counts["S1"])
    assert svg.startswith("<svg") and svg.count("<rect") == 2 and "09:00 pass 7" in svg
