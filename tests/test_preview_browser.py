"""The preview page in Debian's headless Chromium (driven by Playwright; no browser is downloaded),
against the real local stack: a card per camera with what GET /cameras says (a camera in trouble
stands out), frames posted as the camera posts them appear without a reload, scrub, step, play,
download one frame or the range as a zip; on a phone and on a laptop, screenshots of both."""

import io
import json
import re
import urllib.error
import urllib.request
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import sync_playwright

from chalicelib.protocol import keys
from simboard import frames as sample_frames
from stopmotion.camera import FileSecrets
from tests.conftest import camera_post

CHROMIUM = "/usr/bin/chromium"  # Makefile APT_PACKAGES installs it
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
SIZE = (320, 240)
WINDOWS = {  # a phone (390x844 CSS pixels, touch) and a laptop
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "laptop": {"viewport": {"width": 1366, "height": 768}},
}
SICK = "fw=0.2.0 up=120 boots=7 reset=watchdog sram=498 tries=3 queued=2 lost=0"


def get(url: str, token: str | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def posted(local_stack) -> dict[str, list[bytes]]:
    """Frames of two cameras, posted (signed) through the real service."""
    bodies = {"preview-a": [sample_frames.sky_jpeg(i, SIZE) for i in range(6)],
              "preview-b": [sample_frames.sky_jpeg(40 + i, SIZE) for i in range(2)]}
    for camera, frames in bodies.items():
        for body in frames:
            assert camera_post(local_stack.api_url, body, camera=camera)[0] == 201
    return bodies


@pytest.fixture(scope="module")
def viewer_token(cameras) -> str:
    return cameras.store.load()["viewer"]


def test_links_are_presigned_for_the_local_s3_server(local_stack, posted, viewer_token) -> None:
    status, _, body = get(f"{local_stack.api_url}/preview/frames?camera=preview-a", viewer_token)
    assert status == 200
    frames = json.loads(body)["frames"]
    assert len(frames) == 6
    for frame, original in zip(frames, posted["preview-a"], strict=True):
        assert frame["url"].startswith(local_stack.s3_endpoint + "/")
        assert "X-Amz-Signature=" in frame["url"] and "X-Amz-Expires=600" in frame["url"]
        assert get(frame["url"])[2] == original
    status, _, body = get(f"{local_stack.api_url}/preview/latest", viewer_token)
    latest = {frame["camera"]: frame for frame in json.loads(body)["frames"]}
    assert get(latest["preview-b"]["url"])[2] == posted["preview-b"][-1]


def test_page_and_its_data_need_the_viewer_token(local_stack, posted) -> None:
    for path in ("/preview", "/preview/frames", "/preview/latest", "/preview/cameras",
                 "/preview/frame?key=x", "/preview/zip?camera=preview-a"):
        status, headers, _ = get(local_stack.api_url + path)
        assert status == 401, path
        assert headers["WWW-Authenticate"].startswith("Basic"), path  # the browser asks for it
    assert get(local_stack.api_url + "/preview", "wrong-token")[0] == 403


def test_page_shows_scrubs_and_plays_the_frames(local_stack, posted, viewer_token) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(
                http_credentials={"username": "viewer", "password": viewer_token},
                viewport={"width": 1100, "height": 900},
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{local_stack.api_url}/preview")

            # The latest frame of each camera, loaded from its presigned link.
            for camera in posted:
                tile = page.locator(f'.camera[data-camera="{camera}"] img')
                tile.wait_for()
                page.wait_for_function("img => img.complete && img.naturalWidth === 320",
                                       arg=tile.element_handle())

            # The timeline of one camera: every frame, in time order.
            page.click('.camera[data-camera="preview-a"]')
            page.wait_for_function("document.getElementById('caption').textContent"
                                   ".startsWith('1 / 6')")
            page.eval_on_selector("#scrub", "el => { el.value = 3; "
                                  "el.dispatchEvent(new Event('input')); }")
            assert page.text_content("#caption").startswith("4 / 6")
            page.wait_for_function("() => { const img = document.getElementById('frame');"
                                   " return img.complete && img.naturalWidth === 320; }")

            # Playback: record each frame shown, play to the end at 24 frames/s.
            page.evaluate("""() => {
                window.shown = [];
                new MutationObserver(() => window.shown.push(
                    Number(document.getElementById('frame').dataset.index)))
                  .observe(document.getElementById('frame'), {attributes: true,
                                                              attributeFilter: ['data-index']});
            }""")
            page.fill("#fps", "24")
            page.uncheck("#loop")
            page.click("#play")
            page.wait_for_function("document.getElementById('play').textContent === 'Play'"
                                   " && window.shown.length > 0", timeout=10_000)
            assert page.evaluate("window.shown") == [4, 5]
            assert page.text_content("#caption").startswith("6 / 6")
            srcs = page.evaluate("[...document.querySelectorAll('#frame')].map(i => i.src)")
            assert "preview-a" in srcs[0]
            assert errors == []
        finally:
            browser.close()


def open_page(playwright, url: str, **context_options):
    """A page of the preview at url; returns it, its browser and the page errors it reports."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    page = browser.new_context(**context_options).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page, browser, errors


def test_a_card_whose_last_frame_was_deleted_says_so(local_stack, viewer_token):
    """The status object still names a frame deleted since (by hand, or the bucket's expiry of a
    silent camera's frames): the card says it is gone instead of showing a broken image."""
    assert camera_post(local_stack.api_url, sample_frames.sky_jpeg(7, SIZE),
                       camera="preview-gone")[0] == 201
    status, _, body = get(f"{local_stack.api_url}/frames?camera=preview-gone", viewer_token)
    (frame,) = json.loads(body)["frames"]
    local_stack.s3_client().delete_object(Bucket=local_stack.bucket, Key=frame["key"])
    with sync_playwright() as playwright:
        page, browser, errors = open_page(
            playwright, f"{local_stack.api_url}/preview",
            http_credentials={"username": "viewer", "password": viewer_token})
        try:
            shot = page.locator('.camera[data-camera="preview-gone"] .shot')
            shot.get_by_text("last frame could not be loaded").wait_for()
            assert shot.locator("img").count() == 0
            assert errors == []
        finally:
            browser.close()


@pytest.mark.parametrize("address", ["token in the URL", "trailing slash"])
def test_page_works_however_its_address_is_written(local_stack, posted, viewer_token, address):
    host = local_stack.api_url.removeprefix("http://")
    with sync_playwright() as playwright:
        if address == "token in the URL":  # as a user may bookmark it; fetch() refuses such URLs
            page, browser, errors = open_page(playwright, f"http://viewer:{viewer_token}@{host}/preview")
        else:
            page, browser, errors = open_page(
                playwright, f"{local_stack.api_url}/preview/",
                http_credentials={"username": "viewer", "password": viewer_token})
        try:
            page.wait_for_function("document.getElementById('status').textContent"
                                   " !== 'Loading cameras...'")
            assert " camera" in page.text_content("#status"), page.text_content("#status")
            page.click('.camera[data-camera="preview-a"]')
            page.wait_for_function("document.getElementById('caption').textContent"
                                   ".startsWith('1 / 6')")
            assert errors == []
        finally:
            browser.close()


def test_the_time_range_is_utc_in_a_browser_of_another_zone(local_stack, posted, viewer_token):
    status, _, body = get(f"{local_stack.api_url}/preview/frames?camera=preview-a", viewer_token)
    times = [datetime.fromisoformat(frame["time"]) for frame in json.loads(body)["frames"]]
    since = times[0].replace(second=0, microsecond=0)  # minutes, as the inputs show them
    until = times[-1].replace(second=0, microsecond=0) + timedelta(minutes=1)
    with sync_playwright() as playwright:
        page, browser, errors = open_page(
            playwright, f"{local_stack.api_url}/preview", timezone_id="Asia/Tokyo",  # UTC+9
            http_credentials={"username": "viewer", "password": viewer_token})
        try:
            page.click('.camera[data-camera="preview-a"]')
            page.wait_for_function("document.getElementById('caption').textContent"
                                   ".startsWith('1 / 6')")
            for name in ("since", "until"):
                assert "UTC" in page.text_content(f'label:has(#{name})')
            page.fill("#since", since.strftime("%Y-%m-%dT%H:%M"))
            page.fill("#until", until.strftime("%Y-%m-%dT%H:%M"))
            page.evaluate("document.getElementById('caption').textContent = ''")
            page.click("#load")
            page.wait_for_function("document.getElementById('caption').textContent !== ''")
            assert page.text_content("#caption").startswith("1 / 6"), page.text_content("#caption")
            assert errors == []
        finally:
            browser.close()


@pytest.fixture(scope="module")
def troubled(local_stack, cameras) -> list[str]:
    """A camera whose last report says the watchdog reset it and frames wait on its card, and one
    added but never seen: both in trouble by chalicelib/protocol/fleet.py's rules."""
    body = sample_frames.sky_jpeg(80, SIZE)
    assert camera_post(local_stack.api_url, body, camera="preview-sick", health=SICK)[0] == 201
    cameras.secret("preview-unseen")
    return ["preview-sick", "preview-unseen"]


def cameras_now(local_stack, viewer_token) -> dict[str, dict]:
    status, _, body = get(f"{local_stack.api_url}/cameras", viewer_token)
    assert status == 200
    return {camera["camera"]: camera for camera in json.loads(body)["cameras"]}


def caption_starts(page, text: str) -> None:
    page.wait_for_function(f"document.getElementById('caption').textContent.startsWith({text!r})")


# Every control a finger may need, each with its tap target: the element, or the label around it.
SMALL_TARGETS = """() => [...document.querySelectorAll('button, a[href], input, .camera')]
    .map((el) => [el, (el.closest('label') || el).getBoundingClientRect()])
    .filter(([el, box]) => box.width > 0 && (box.width < 40 || box.height < 40))
    .map(([el, box]) => `${el.id || el.className || el.tagName} ${box.width}x${box.height}`)"""


@pytest.mark.parametrize("window", WINDOWS)
def test_the_dashboard_at_phone_and_laptop_size(local_stack, posted, troubled, viewer_token,
                                                window):
    reports = cameras_now(local_stack, viewer_token)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        page, browser, errors = open_page(
            playwright, f"{local_stack.api_url}/preview", accept_downloads=True,
            http_credentials={"username": "viewer", "password": viewer_token}, **WINDOWS[window])
        try:
            page.wait_for_selector('.camera[data-camera="preview-unseen"]')
            # A card per camera, saying what GET /cameras says.
            for camera in [*posted, *troubled]:
                report = reports[camera]
                text = page.text_content(f'.camera[data-camera="{camera}"]')
                total = "?" if report["frames_total"] is None else report["frames_total"]
                for said in (f"{report['frames_today']} today", f"{total} in all",
                             f"{report['missed']} of {report['expected']} expected",
                             report["schedule"]):
                    assert said in text, (camera, said, text)
                if report["last_frame"]:
                    assert re.search(r"Last seen(just now|\d+ min ago|[\d.]+ h ago) · ", text), text
                else:
                    assert "Last seennever seen" in text and "no frame yet" in text, text
            assert reports["preview-a"]["trouble"] == [] and reports["preview-sick"]["trouble"]
            # A camera in trouble stands out, in colour and in words, also to a screen reader.
            fine = page.locator('.camera[data-camera="preview-a"]')
            for camera in troubled:
                card = page.locator(f'.camera[data-camera="{camera}"]')
                assert "trouble" in card.get_attribute("class").split()
                verdict = card.locator(".verdict").text_content()
                assert verdict.startswith("\u26a0 In trouble: ")
                for word in reports[camera]["trouble"]:
                    assert word in verdict, (word, verdict)
                described = card.locator(".pick").evaluate(
                    "el => document.getElementById(el.getAttribute('aria-describedby'))"
                    ".textContent")
                assert described == verdict
                style = "el => getComputedStyle(el).borderTopColor"
                assert card.evaluate(style) != fine.evaluate(style)
            assert "trouble" not in fine.get_attribute("class").split()
            assert fine.locator(".verdict").text_content() == "\u2713 Fine"
            sick = page.text_content('.camera[data-camera="preview-sick"] dl')
            for said in ("reset: watchdog", "free SRAM 498 B", "3 attempts", "2 queued",
                         "fw 0.2.0"):
                assert said in sick, (said, sick)
            status = page.text_content("#status")
            assert "in trouble: " in status and "preview-sick" in status, status

            # The player: a card selects its camera; buttons and keys step, Space plays.
            page.click('.camera[data-camera="preview-a"] .shot')
            caption_starts(page, "1 / 6")
            page.click("#next")
            caption_starts(page, "2 / 6")
            page.click("#prev")
            caption_starts(page, "1 / 6")
            page.locator("#frame").click()  # nothing focused: the keys are the page's
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            caption_starts(page, "3 / 6")
            page.keyboard.press("ArrowLeft")
            caption_starts(page, "2 / 6")
            page.keyboard.press(" ")
            assert page.text_content("#play") == "Pause"
            page.keyboard.press(" ")
            assert page.text_content("#play") == "Play"
            page.evaluate("show(1)")  # back on the second frame after playing

            # The frame's time, size and repairs, and its download.
            frame_key = page.evaluate("state.frames[1].key")
            page.wait_for_function("key => { const a = document.getElementById('download');"
                                   " return a && a.href.includes(key.split('/').pop()); }",
                                   arg=frame_key)
            body = posted["preview-a"][1]
            taken = keys.parse_key(frame_key).time
            assert page.text_content("#caption") == (
                f"2 / 6 · {taken:%Y-%m-%d %H:%M:%S} UTC · {len(body):,} bytes")
            details = page.text_content("#details")
            assert f"Size{len(body):,} bytes · 320×240" in details, details
            assert "Repairsnone" in details, details
            with page.expect_download() as download:
                page.click("#download")
            assert Path(download.value.path()).read_bytes() == body
            assert download.value.suggested_filename == (
                f"preview-a-{frame_key.rsplit('/', 1)[1]}")

            # The film of the range as a zip: every frame of it, named as `pull` names them.
            with page.expect_download() as download:
                page.click("#zip")
            assert download.value.suggested_filename.endswith(".zip")
            listed = page.evaluate("state.frames.map(frame => frame.key)")
            with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as got:
                assert got.namelist() == [keys.local_path(key) for key in listed]
                assert [got.read(name) for name in got.namelist()] == posted["preview-a"]

            # Fits the window: no sideways scrolling; on the phone, every target takes a finger.
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (
                page.evaluate("[document.documentElement.scrollWidth, innerWidth]"))
            if window == "phone":
                assert page.evaluate(SMALL_TARGETS) == []
            page.wait_for_function("[...document.images].every(img => !img.src ||"
                                   " (img.complete && img.naturalWidth > 0))")
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(SCREENSHOTS / f"preview-{window}.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()


def test_a_new_frame_appears_without_a_reload(local_stack, viewer_token):
    camera = "preview-live"
    bodies = [sample_frames.sky_jpeg(60 + i, SIZE) for i in range(2)]
    assert camera_post(local_stack.api_url, bodies[0], camera=camera)[0] == 201
    with sync_playwright() as playwright:
        page, browser, errors = open_page(  # ?poll=1: poll every second, not every minute
            playwright, f"{local_stack.api_url}/preview?poll=1",
            http_credentials={"username": "viewer", "password": viewer_token})
        try:
            page.click(f'.camera[data-camera="{camera}"] .shot')
            caption_starts(page, "1 / 1")
            page.evaluate("window.notReloaded = true")
            assert camera_post(local_stack.api_url, bodies[1], camera=camera)[0] == 201
            caption_starts(page, "2 / 2")  # the newest was shown: the newest still is
            assert "2 in all" in page.text_content(f'.camera[data-camera="{camera}"]')
            page.wait_for_function("document.getElementById('frame').naturalWidth === 320")
            assert page.evaluate("window.notReloaded") is True
            assert errors == []
        finally:
            browser.close()


def test_a_camera_in_another_zone_gets_its_range_and_times_in_that_zone(local_stack, cameras,
                                                                        viewer_token):
    camera, zone = "preview-berlin", "Europe/Berlin"
    cameras.secret(camera)
    FileSecrets(local_stack.secrets_file).set_schedule(camera, f"every 6h tz {zone}")
    body = sample_frames.sky_jpeg(90, SIZE)
    assert camera_post(local_stack.api_url, body, camera=camera)[0] == 201
    status, _, body = get(f"{local_stack.api_url}/frames?camera={camera}", viewer_token)
    taken = datetime.fromisoformat(json.loads(body)["frames"][0]["time"])
    local = taken.astimezone(ZoneInfo(zone))
    with sync_playwright() as playwright:
        page, browser, errors = open_page(  # a browser in New York: neither UTC nor the camera's
            playwright, f"{local_stack.api_url}/preview", timezone_id="America/New_York",
            http_credentials={"username": "viewer", "password": viewer_token})
        try:
            page.click(f'.camera[data-camera="{camera}"] .shot')
            caption_starts(page, "1 / 1")
            assert f"{local:%Y-%m-%d %H:%M:%S} {zone}" in page.text_content("#caption")
            for name in ("since", "until"):
                assert f"{zone} (the camera's time zone)" in page.text_content(
                    f"label:has(#{name})")
            minute = local.replace(second=0, microsecond=0)
            for since, found in ((minute, "1 / 1"), (minute + timedelta(minutes=1), "No frames")):
                page.fill("#since", since.strftime("%Y-%m-%dT%H:%M"))
                page.evaluate("document.getElementById('caption').textContent = ''")
                page.click("#load")
                caption_starts(page, found)
            assert errors == []
        finally:
            browser.close()
