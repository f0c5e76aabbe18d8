"""The preview page in Debian's headless Chromium (driven by Playwright; no browser is downloaded),
against the real local stack: frames posted as the camera posts them appear, scrub, and play."""

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from simboard import frames as sample_frames
from tests.conftest import camera_post

CHROMIUM = "/usr/bin/chromium"  # Makefile APT_PACKAGES installs it
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
SIZE = (320, 240)


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
    for path in ("/preview", "/preview/frames", "/preview/latest"):
        status, headers, _ = get(local_stack.api_url + path)
        assert status == 401, path
        assert headers["WWW-Authenticate"].startswith("Basic"), path  # the browser asks for it
    assert get(local_stack.api_url + "/preview", "wrong-token")[0] == 403


def test_page_shows_scrubs_and_plays_the_frames(local_stack, posted, viewer_token) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
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
            page.screenshot(path=str(ARTIFACTS / "preview.png"), full_page=True)

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
            assert "camera(s)" in page.text_content("#status"), page.text_content("#status")
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
