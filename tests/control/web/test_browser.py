"""The console in a real headless chromium (Debian's, driven by playwright) against a live
show: the real model, engine, OSC listener and console server on loopback.

Screenshots at laptop and phone sizes are saved in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pythonosc.udp_client import SimpleUDPClient

from performer.control.show import Show
from performer.control.web.service import WebService
from performer.controls import make_registry
from tests.control.web.conftest import LiveShow
from tests.helpers import LAYERS, wait_until

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium (fails, never skips, without it)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install chromium and chromium-driver (make test "
                    "does, via scripts/system_deps.sh)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_console(browser: Browser, url: str, **context: object) -> Page:
    # bypass_csp: the page's CSP forbids eval, which playwright's waits use.
    page = browser.new_context(viewport=LAPTOP, bypass_csp=True, **context).new_page()  # type: ignore[arg-type]
    page.goto(url)
    page.wait_for_function("window.performerConsole && window.performerConsole.ready")
    return page


def slider(page: Page, name: str) -> str:
    return f'[data-param="{name}"] input[type=range]'


def test_a_fader_moved_in_the_page_reaches_the_registry_and_the_next_frame(
    live: LiveShow, browser: Browser,
) -> None:
    page = open_console(browser, live.web.url)
    box = page.locator(slider(page, "ablation.dead")).bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=8)
    page.mouse.up()
    final = float(page.eval_on_selector(slider(page, "ablation.dead"), "e => e.value"))
    assert 0.6 < final < 0.9
    wait_until(lambda: float(live.registry.value("ablation.dead")) == pytest.approx(final))
    moved = live.registry.value("ablation.dead")
    wait_until(lambda: live.latest() is not None
               and live.latest().values["ablation.dead"] == moved)  # type: ignore[union-attr]
    page.context.close()


def test_an_osc_message_moves_the_fader_in_the_page(live: LiveShow, browser: Browser) -> None:
    page = open_console(browser, live.web.url)
    SimpleUDPClient("127.0.0.1", live.osc.server.port).send_message(
        "/performer/drift/glide", 0.5)
    page.wait_for_function(
        f"document.querySelector('{slider(page, 'drift.glide')}').value === '0.5'")
    shown = page.locator('[data-param="drift.glide"] output').inner_text()
    assert shown == "5.000 s"
    page.context.close()


def test_two_browsers_see_each_others_changes(live: LiveShow, browser: Browser) -> None:
    first = open_console(browser, live.web.url)
    second = open_console(browser, live.web.url)
    toggle = '[data-param="output.map"] button'
    assert second.get_attribute(toggle, "aria-pressed") == "false"
    first.click(toggle)
    second.wait_for_function(
        f"document.querySelector('{toggle}').getAttribute('aria-pressed') === 'true'")
    second.click('[data-param="ablation.order"] button:text-is("random")')
    first.wait_for_selector('[data-param="ablation.order"] button[aria-pressed=true]'
                            ':text-is("random")')
    wait_until(lambda: live.registry.value("ablation.order") == "random")
    assert live.registry.value("output.map") is True
    first.context.close()
    second.context.close()


def test_dragging_a_fader_never_fights_the_feedback(live: LiveShow, browser: Browser) -> None:
    page = open_console(browser, live.web.url)
    box = page.locator(slider(page, "output.crossfade")).bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    held = page.eval_on_selector(slider(page, "output.crossfade"), "e => e.value")
    wait_until(lambda: float(live.registry.value("output.crossfade")) > 0.4)
    values = page.evaluate("window.performerConsole.values")
    live.registry.set("output.crossfade", 0.1, "osc")  # another surface, mid-drag
    page.wait_for_function(f"window.performerConsole.values > {values}")
    page.wait_for_timeout(100)
    assert page.eval_on_selector(slider(page, "output.crossfade"), "e => e.value") == held
    page.mouse.up()
    # Released: the newest value the show has is shown.
    page.wait_for_function(
        f"document.querySelector('{slider(page, 'output.crossfade')}').value === '0.1'")
    page.context.close()


def test_the_keyboard_moves_a_fader(live: LiveShow, browser: Browser) -> None:
    page = open_console(browser, live.web.url)
    page.focus(slider(page, "drift.speed"))
    for _ in range(100):
        page.keyboard.press("ArrowRight")
    wait_until(lambda: float(live.registry.value("drift.speed")) > 0.0)
    page.context.close()
    live.registry.set("drift.speed", 0.0)


def test_the_preview_map_and_status_update(live: LiveShow, browser: Browser) -> None:
    page = open_console(browser, live.web.url)
    page.wait_for_function("window.performerConsole.pictures >= 3")
    page.wait_for_function("document.getElementById('preview').naturalWidth > 0")
    frame = live.latest()
    assert frame is not None
    assert page.eval_on_selector("#preview", "img => img.naturalWidth") == frame.image.shape[1]
    before = page.evaluate("window.performerConsole.pictures")
    page.wait_for_function(f"window.performerConsole.pictures > {before} + 3")  # it goes on
    page.wait_for_function("document.getElementById('status').textContent.includes("
                           "'living neurons')")
    assert "of 960" in page.inner_text("#status")
    map_pixels = page.evaluate(
        "(() => { const c = document.getElementById('map');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let lit = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 150) lit++;"
        " return lit; })()")
    assert map_pixels > 0
    logging.getLogger("performer.test").warning("projector 2 unplugged")
    page.wait_for_function("document.getElementById('warnings').textContent.includes("
                           "'projector 2 unplugged')")
    page.context.close()


def test_midi_learn_from_the_console_arms_learn_for_the_control_picked(
    live: LiveShow, browser: Browser,
) -> None:
    page = open_console(browser, live.web.url)
    page.click("#learn")
    page.click('[data-param="drift.glide"] label')
    wait_until(lambda: live.registry.value("midi.learn") == "drift.glide")
    page.wait_for_function("document.getElementById('learning').textContent.includes("
                           "'drift.glide')")
    live.registry.set("midi.learn", "off")
    page.context.close()


def test_screenshots_at_laptop_and_phone_sizes(live: LiveShow, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    laptop = open_console(browser, live.web.url)
    laptop.wait_for_function("window.performerConsole.pictures >= 1")
    scenes = live.registry.param("scene.recall").choices  # scene buttons, from the registry
    assert laptop.locator('[data-param="scene.recall"] button').count() == len(scenes)
    laptop.screenshot(path=str(ARTIFACTS / "console-laptop.png"), full_page=True)
    laptop.context.close()
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                device_scale_factor=2, bypass_csp=True).new_page()
    phone.goto(live.web.url)
    phone.wait_for_function("window.performerConsole.ready && "
                            "window.performerConsole.pictures >= 1")
    # Portrait: one column, nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    before = live.registry.value("output.map")
    phone.tap('[data-param="output.map"] button')
    wait_until(lambda: live.registry.value("output.map") is (not before))
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(ARTIFACTS / "console-phone.png"))  # the phone's first screen
    phone.context.close()
    for name in ("console-laptop.png", "console-phone.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000


class EvilPage(BaseHTTPRequestHandler):
    """Another web site the VJ happens to open, trying to drive the show."""

    target = ""

    def do_GET(self) -> None:
        body = f"""<script>
          window.result = {{opened: false, done: false, fetched: null}};
          const ws = new WebSocket("ws://{self.target}/ws");
          ws.onopen = () => {{ window.result.opened = true; }};
          ws.onclose = () => {{ window.result.done = true; }};
          fetch("http://{self.target}/console.json").then(
            r => {{ window.result.fetched = r.status; }},
            () => {{ window.result.fetched = "refused"; }});
        </script>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_page_from_another_site_is_refused(live: LiveShow, browser: Browser) -> None:
    EvilPage.target = f"127.0.0.1:{live.web.server.port}"
    evil = ThreadingHTTPServer(("127.0.0.1", 0), EvilPage)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
        page.wait_for_function("window.result.done && window.result.fetched !== null")
        result = page.evaluate("window.result")
        assert result["opened"] is False and result["fetched"] == "refused"
        page.close()
    finally:
        evil.shutdown()
        evil.server_close()


def test_a_wrong_token_is_refused_and_the_right_one_opens_the_console(browser: Browser) -> None:
    service = WebService(Show(make_registry(LAYERS)), "0.0.0.0", 0, token="s3cret").start()
    try:
        page = browser.new_page(bypass_csp=True)
        base = f"http://127.0.0.1:{service.server.port}/"
        reply = page.goto(base + "?token=wrong")
        assert reply is not None and reply.status == 401
        assert "needs the token" in page.inner_text("body")
        page.goto(base + "?token=s3cret")
        page.wait_for_function("window.performerConsole && window.performerConsole.ready")
        assert "token" not in page.url  # taken out of the address bar; a cookie carries it
        page.close()
    finally:
        service.stop()
