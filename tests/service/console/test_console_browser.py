"""The web console in a real browser: Debian's chromium driven through chromium-driver
(Selenium), against the real service (``BackgroundService``) on 127.0.0.1.

Each role logs in and does its work; each page is checked for labels on every input and text
contrast of at least 4.5:1 (WCAG 2.x 1.4.3), and photographed at 1920x1080 and 1366x768 (into
``$PASSKIOSK_CONSOLE_SHOTS`` when set, e.g. docs/screenshots/console, else a temp folder).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import codes
from service import BackgroundService, ServiceState
from tests.service.console.conftest import ID_OK, ID_OTHER, PASSWORD, USERS, make_service
from tests.service.console.kit import Kiosk, pdf_tokens, verify

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    NoAlertPresentException,
    WebDriverException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SIZES = ((1920, 1080), (1366, 768))
EVIL = "<script>alert(1)</script>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason="Debian's chromium and chromium-driver are not installed"),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing"),
]

# Every visible text node's colour and the colour behind it (the first opaque background up
# the tree; the page is white), plus every visible form control without a label.
_AUDIT_JS = """
const out = {pairs: [], unlabelled: []};
function bg(el) {
  for (let e = el; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c && c !== 'transparent' && !c.endsWith(', 0)')) return c;
  }
  return 'rgb(255, 255, 255)';
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const n = walker.currentNode, el = n.parentElement;
  if (!n.textContent.trim() || !el || !el.getClientRects().length) continue;
  if (el.closest('svg')) continue;
  out.pairs.push([getComputedStyle(el).color, bg(el), n.textContent.trim().slice(0, 30)]);
}
for (const c of document.querySelectorAll('input, select, textarea')) {
  if (c.type === 'hidden' || !c.getClientRects().length) continue;
  const named = (c.labels && c.labels.length) || c.getAttribute('aria-label');
  if (!named) out.unlabelled.push(c.outerHTML.slice(0, 80));
}
return out;
"""


def _rgb(css: str) -> tuple[float, float, float]:
    nums = [float(x) for x in re.findall(r"[\d.]+", css)[:3]]
    return nums[0], nums[1], nums[2]


def _luminance(css: str) -> float:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(css)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


class Browser:
    """One chromium for the session; ``page`` checks and photographs what is on screen."""

    def __init__(self, driver: WebDriver, shots: Path) -> None:
        self.d, self.shots = driver, shots
        self.base = ""

    def go(self, path: str) -> None:
        self.d.get(self.base + path)

    def css(self, selector: str) -> Any:
        return self.d.find_element(By.CSS_SELECTOR, selector)

    def fill(self, fields: dict[str, str], form: str = "") -> None:
        """Type into the named fields (of the form whose action ends with ``form``)."""
        scope = f'form[action$="{form}"] ' if form else ""
        for name, value in fields.items():
            el = self.css(f'{scope}[name="{name}"]')
            if el.tag_name == "select":
                el.find_element(By.CSS_SELECTOR, f'option[value="{value}"]').click()
            else:
                el.clear()
                el.send_keys(value)

    def submit(self, button_text: str) -> None:
        buttons = [b for b in self.d.find_elements(By.CSS_SELECTOR, "button")
                   if button_text in b.text]
        assert buttons, f"no button {button_text!r} on {self.d.current_url}"
        self._mark()
        buttons[0].click()
        self._wait_for_next_page()

    def _mark(self) -> None:
        self.d.execute_script("window.__pkOld = true")

    def _wait_for_next_page(self) -> None:
        # A new document has no mark and is loaded. Asking about the old page's elements
        # instead races the navigation (chromedriver may then answer "node does not belong to
        # the document" rather than "stale element").
        def fresh(d: WebDriver) -> bool:
            try:
                return bool(d.execute_script(
                    "return !window.__pkOld && document.readyState === 'complete'"))
            except WebDriverException:
                return False

        WebDriverWait(self.d, 20).until(fresh)

    def keys(self, *keys: str) -> None:
        """Type into the focused element; the last key submits, so wait for the next page."""
        self._mark()
        self.d.switch_to.active_element.send_keys(*keys)
        self._wait_for_next_page()

    def text(self) -> str:
        return str(self.css("body").text)

    def page(self, name: str) -> None:
        """Labels and contrast checked; screenshots at both sizes; the HTML kept."""
        audit = self.d.execute_script(_AUDIT_JS)
        assert not audit["unlabelled"], (name, audit["unlabelled"])
        low = [(t, round(contrast(fg, bg), 2)) for fg, bg, t in audit["pairs"]
               if contrast(fg, bg) < 4.5]
        assert not low, (name, low[:5])
        assert audit["pairs"], name
        assert "<span" not in self.text(), name  # markup shown as text: escaped twice
        source = str(self.d.page_source)
        for id18 in (ID_OK, ID_OTHER):  # never a full ID number, nor its first 17 characters
            assert id18[:17] not in source and id18[:17] not in self.d.current_url, name
        for w, h in SIZES:
            self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})
            self.d.save_screenshot(str(self.shots / f"{name}-{w}x{h}.png"))
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False})

    def login(self, role: str) -> None:
        self.d.delete_all_cookies()
        self.go("/console/login")
        self.fill({"user": USERS[role], "password": PASSWORD})
        self.submit("登录")
        assert "/console/login" not in self.d.current_url, self.text()[:300]

    def fetch(self, href: str) -> bytes:
        """What the browser's session gets at href (the PDF a click opens in a new tab)."""
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in self.d.get_cookies())
        req = urllib.request.Request(href, headers={"Cookie": cookies})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.headers["Content-Type"] == "application/pdf"
            return bytes(r.read())


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1366,768", "--lang=zh-CN", "--force-device-scale-factor=1",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("browser") / "svc"
    make_service(data)
    with BackgroundService(data) as svc:
        yield svc.url, data


@pytest.fixture
def browser(chromium: WebDriver, live: tuple[str, Path], request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    shots = Path(os.environ.get("PASSKIOSK_CONSOLE_SHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    b = Browser(chromium, shots)
    b.base = live[0]
    yield b
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # What the browser showed when the test failed, for the log.
        failed = tmp_path_factory.mktemp("failed") / f"{request.node.name}.png"
        try:
            chromium.save_screenshot(str(failed))
            print(f"browser at {chromium.current_url}; screenshot {failed}\n"
                  f"{chromium.find_element(By.CSS_SELECTOR, 'body').text[:1500]}")
        except WebDriverException as e:  # the browser itself may be what failed
            print(f"browser unreachable after the failure: {e!r}"[:500])


def _tab_to(b: Browser, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element has focus (keyboard only), at most ``limit`` times."""
    for _ in range(limit):
        if b.d.switch_to.active_element.get_attribute("id") == element_id:
            return
        b.d.switch_to.active_element.send_keys(Keys.TAB)
    raise AssertionError(f"{element_id} not reached with {limit} presses of Tab")


def _tab_to_button(b: Browser, text: str, limit: int = 60) -> None:
    for _ in range(limit):
        active = b.d.switch_to.active_element
        if active.tag_name == "button" and text in active.text:
            return
        active.send_keys(Keys.TAB)
    raise AssertionError(f"button {text!r} not reached with {limit} presses of Tab")


def test_worker_by_keyboard_alone(browser: Browser, live: tuple[str, Path],
                                  tmp_path: Path) -> None:
    b = browser
    b.d.delete_all_cookies()
    b.go("/console/login")
    b.page("login")
    _tab_to(b, "f-user")
    b.keys(USERS["worker"], Keys.TAB, PASSWORD, Keys.ENTER)
    assert b.d.current_url.endswith("/console/worker")
    cookie = b.d.get_cookie("pk_console")
    assert cookie and cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    b.page("worker-lookup")
    _tab_to(b, "f-id18")
    b.keys(ID_OK, Keys.TAB, "张三明", Keys.ENTER)
    assert "/console/worker/resident/" in b.d.current_url
    text = b.text()
    assert "张*明" in text and "110105********002X" in text and "绿码" in text
    assert ID_OK not in b.d.page_source and ID_OK not in b.d.current_url

    # Consent for proxy service, with a name that is markup: shown as text, never run.
    _tab_to(b, "f-proxy_name")
    b.keys(EVIL, Keys.ENTER)
    assert EVIL in b.text() and "已登记授权代办" in b.text()
    with pytest.raises(NoAlertPresentException):
        b.d.switch_to.alert.accept()
    b.page("worker-resident")

    _tab_to_button(b, "签发并打印")
    b.keys(Keys.ENTER)
    assert "已签发1张卡片" in b.text()
    b.page("worker-card-issued")
    href = b.css("#print-link").get_attribute("href")
    (token,) = pdf_tokens(b.fetch(href), tmp_path / "card")
    assert verify(live[1], token, tmp_path)["outcome"] == "pass"

    b.go("/console/worker/renewals")
    assert "两天内没有到期的纸质码" in b.text()
    b.page("worker-renewals-empty")

    # A resident whose printed card (from 5½ days ago) runs out in 12 hours, with consent.
    b.go("/console/worker")
    b.fill({"id18": ID_OTHER, "name": "李四"})
    b.submit("查询")
    b.fill({"proxy_name": "社区王姐", "relation": "worker"})
    b.submit("登记授权代办")
    now = int(time.time())
    with ServiceState(live[1]) as st:
        st.record_issued(cti=os.urandom(16), sh=codes.subject_hash(ID_OTHER), kind=1, status=0,
                         proxy=True, iat=now - 132 * 3600, exp=now + 12 * 3600)
    b.go("/console/worker/renewals")
    assert "李*" in b.text() and "440106********1235" in b.text()
    assert b.css('input[type="checkbox"]').is_selected()
    b.page("worker-renewals")
    b.submit("一键批量打印")
    assert "已签发1张卡片" in b.text()
    (renewed,) = pdf_tokens(b.fetch(b.css("#print-link").get_attribute("href")),
                            tmp_path / "renewed")
    assert verify(live[1], renewed, tmp_path)["outcome"] == "pass"
    b.go("/console/worker/renewals")
    assert "两天内没有到期的纸质码" in b.text()  # renewed: off the list

    b.go("/console/health")  # not a worker's page
    assert "您的角色无权进行此操作" in b.text()
    b.page("forbidden")


def test_health_official_sets_a_status_revokes_and_publishes(browser: Browser,
                                                             live: tuple[str, Path]) -> None:
    b = browser
    b.login("health")
    b.fill({"id18": ID_OTHER, "status": "red", "reason": "密切接触者"}, form="health/status")
    b.submit("设置状态")
    assert "440106********1235" in b.text() and "密切接触者" in b.text()
    b.fill({"token": "ab" * 16, "reason": "遗失"}, form="health/revoke")
    b.submit("作废此码")
    assert "找不到该码" in b.text()
    b.page("health-pending")
    with ServiceState(live[1]) as st:
        before = st.list_version()
    b.submit("发布待发布的变更")
    assert f"已发布名单版本 {before + 1}" in b.text() and "没有待发布的变更" in b.text()
    b.page("health-published")
    b.go("/console/worker")
    assert "您的角色无权进行此操作" in b.text()
    assert ID_OTHER not in b.d.page_source


def test_admin_enrols_a_kiosk_and_ops_sees_it_with_alerts(browser: Browser,
                                                          live: tuple[str, Path],
                                                          tmp_path: Path) -> None:
    b = browser
    b.login("admin")
    b.go("/console/admin/sites")
    for code, name, city in (("S-EAST", "东门社区", "广州"), ("S-WEST", "西湖社区", "深圳")):
        b.fill({"code": code, "name": name, "city": city})
        b.submit("保存场所")
    assert "西湖社区" in b.text()
    b.page("admin-sites")
    kiosk = Kiosk(tmp_path / "k1")
    b.go("/console/admin/kiosks")
    b.fill({"pubkey": kiosk.public_key, "label": "东门1号闸", "site": "S-EAST", "gate": "G1"})
    b.submit("登记终端")
    assert "已登记终端" in b.text()
    b.page("admin-kiosks")
    b.go("/console/admin/users")
    b.page("admin-users")

    kiosk.push(live[0], {"pass": 42, "attention": 3, "deny": 2, "invalid": 1},
               reader="error", clock_warnings=("rolled_back",))
    west = Kiosk(tmp_path / "k2", site="S-WEST", gate="G2")
    b.go("/console/admin/kiosks")
    b.fill({"pubkey": west.public_key, "label": "西湖2号闸", "site": "S-WEST", "gate": "G2"})
    b.submit("登记终端")
    west.push(live[0], {"pass": 17, "deny": 1})

    b.login("ops")
    assert b.d.current_url.endswith("/console/ops")
    text = b.text()
    assert "东门1号闸" in text and "西湖2号闸" in text and "在线" in text
    assert "读卡器故障" in text and "时钟被回拨" in text
    east = b.css('[data-site="S-EAST"]')
    assert east.find_element(By.CSS_SELECTOR, '[data-outcome="pass"]').text == "42"
    assert east.find_element(By.CSS_SELECTOR, "svg rect") is not None
    b.page("ops")
    b.fill({"city": "深圳"})
    b.submit("筛选")
    assert "西湖2号闸" in b.text() and "东门1号闸" not in b.text()
    b.page("ops-filtered")
    b.go("/console/ops")
    before = len(b.d.find_elements(By.CSS_SELECTOR, "#alerts tr"))
    b.submit("确认")
    assert len(b.d.find_elements(By.CSS_SELECTOR, "#alerts tr")) == before - 1
    # ops may look and acknowledge, nothing more
    b.go("/console/admin/users")
    assert "您的角色无权进行此操作" in b.text()

    b.login("admin")
    b.go("/console/admin/audit")
    assert "ack-alert" in b.text() and "enrol-kiosk" in b.text()
    b.page("admin-audit")
