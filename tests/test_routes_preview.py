"""The preview's own routes in-process (chalice.test.Client) against the real local S3 server: one
frame's facts and links (/preview/frame) and a range's frames as a zip (/preview/zip)."""

import io
import urllib.request
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

import app
from chalicelib import archive, ingest
from chalicelib.protocol import keys
from chalicelib.storage import FrameStore
from simboard.frames import blocks_jpeg
from tests import test_routes

client = test_routes.client  # the fixture: the app on the session's S3 server

T0 = datetime(2026, 5, 4, 10, 0, 0, 250_000, tzinfo=UTC)
HEALTH = "fw=0.2.0 up=3600 reset=watchdog sram=612 tries=2 queued=1"
ZIP = {"Accept": archive.CONTENT_TYPE}  # a binary answer is sent as such only to who asks for it


@pytest.fixture(scope="module")
def film(local_stack):
    """Five frames of camera zip-a an hour apart (the third with health and repairs); returns
    (keys, bodies as stored, times)."""
    store = FrameStore(local_stack.s3_client(), local_stack.bucket)
    times = [T0 + timedelta(hours=i) for i in range(5)]
    bodies = [blocks_jpeg(48, 32, seed=i) for i in range(5)]
    sent = list(bodies)
    sent[2] = bodies[2][1:] + bytes(64)  # the FIFO's damage: a missing FF, padding
    stored = [ingest.ingest(store, body, "zip-a", received=t, health=HEALTH if i == 2 else None)
              for i, (body, t) in enumerate(zip(sent, times, strict=True))]
    return [answer["key"] for answer in stored], bodies, times


def viewer_get(client, path, headers=None):
    return client.http.get(path, headers={**client.cameras.viewer(), **(headers or {})})


def fetch(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), dict(response.headers)


def test_a_frame_s_facts_come_with_a_view_and_a_download_link(client, film):
    frame_keys, bodies, times = film
    response = viewer_get(client, f"/preview/frame?key={frame_keys[2]}")
    assert response.status_code == 200, response.json_body
    facts = response.json_body
    assert {name: facts[name] for name in ("key", "camera", "captured", "bytes", "width",
                                           "height", "repairs", "age")} == {
        "key": frame_keys[2], "camera": "zip-a", "captured": keys.iso(times[2]),
        "bytes": len(bodies[2]), "width": 48, "height": 32,
        "repairs": ["missing_leading_ff", "trailing_bytes_cut"], "age": 0}
    assert facts["health"]["reset"] == "watchdog" and facts["health"]["queued"] == "1"
    assert fetch(facts["url"])[0] == bodies[2]
    body, headers = fetch(facts["download"])
    assert body == bodies[2]
    assert headers["Content-Disposition"] == (  # the browser saves it rather than shows it
        f'attachment; filename="zip-a-{frame_keys[2].rsplit("/", 1)[1]}"')
    assert "Content-Disposition" not in fetch(facts["url"])[1]


def test_a_frame_without_health_or_repairs_says_so(client, film):
    facts = viewer_get(client, f"/preview/frame?key={film[0][0]}").json_body
    assert facts["repairs"] == [] and facts["health"] is None


@pytest.mark.parametrize("query, status, says", [
    ("", 400, "give the frame's key"),
    ("?key=frames/zip-a/notes.txt", 400, "key must be a frame key"),
    ("?key=frames/zip-a/2026/05/04/20260504T100000.250Z-00000000.jpg", 404, "no frame"),
])
def test_a_bad_frame_key_says_what_to_give(client, film, query, status, says):
    response = viewer_get(client, f"/preview/frame{query}")
    assert response.status_code == status
    assert response.json_body["Message"].startswith(says), response.json_body


@pytest.mark.parametrize("path", ["/preview/frame?key=x", "/preview/zip?camera=zip-a"])
def test_the_new_routes_need_the_viewer_token(client, path):
    assert client.http.get(path).status_code == 401
    assert client.http.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
    camera = client.cameras.authorization("zip-a", b"")
    assert client.http.get(path, headers={"Authorization": camera}).status_code == 403


def open_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.body[:300]
    assert response.headers["Content-Type"] == archive.CONTENT_TYPE
    return zipfile.ZipFile(io.BytesIO(response.body))


def test_the_zip_holds_the_range_s_frames_named_as_pull_names_them(client, film):
    frame_keys, bodies, times = film
    since, until = keys.iso(times[1]), keys.iso(times[4])  # since <= time < until
    response = viewer_get(client, f"/preview/zip?camera=zip-a&since={since}&until={until}", ZIP)
    with open_zip(response) as got:
        assert got.namelist() == [keys.local_path(key) for key in frame_keys[1:4]]
        assert [got.read(name) for name in got.namelist()] == bodies[1:4]
        assert got.getinfo(got.namelist()[0]).date_time == (2026, 5, 4, 11, 0, 0)
    assert len(response.body) == archive.zip_size(
        [(keys.local_path(key), len(body)) for key, body in zip(frame_keys[1:4], bodies[1:4],
                                                                 strict=True)])
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="zip-a-20260504T110000Z-20260504T130000Z.zip"')


def test_the_zip_without_a_range_holds_every_frame(client, film):
    with open_zip(viewer_get(client, "/preview/zip?camera=zip-a", ZIP)) as got:
        assert len(got.namelist()) == 5


def test_a_zip_over_the_cap_is_refused_before_any_frame_is_read(client, film, monkeypatch):
    frame_keys, bodies, _ = film
    whole = archive.zip_size([(keys.local_path(k), len(b)) for k, b in zip(frame_keys, bodies,
                                                                           strict=True)])
    monkeypatch.setenv("MAX_ZIP_BYTES", str(whole))
    assert viewer_get(client, "/preview/zip?camera=zip-a", ZIP).status_code == 200
    monkeypatch.setenv("MAX_ZIP_BYTES", str(whole - 1))
    reads = []
    monkeypatch.setattr(FrameStore, "read", lambda *args: reads.append(args))
    response = viewer_get(client, "/preview/zip?camera=zip-a", ZIP)
    assert response.status_code == 413
    assert response.json_body["Code"] == "RangeTooLarge"
    message = response.json_body["Message"]
    assert f"would be {whole} bytes" in message and "narrow the range" in message
    assert "stopmotion pull" in message
    assert reads == []


def test_a_range_of_more_frames_than_one_listing_is_refused(client, film, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FRAMES", 4)
    response = viewer_get(client, "/preview/zip?camera=zip-a", ZIP)
    assert response.status_code == 413
    assert response.json_body["Message"].startswith("the range holds more than 4 frames")


@pytest.mark.parametrize("query, status, says", [
    ("", 400, "give the camera"),
    ("?camera=NO", 400, "camera must be"),
    ("?camera=zip-a&since=yesterday", 400, "since must be an ISO-8601 time"),
    ("?camera=zip-a&until=2026-13-01", 400, "until must be an ISO-8601 time"),
    ("?camera=zip-a&since=2030-01-01", 404, "no frames of zip-a in this range"),
])
def test_a_bad_zip_query_says_what_to_do(client, film, query, status, says):
    response = viewer_get(client, f"/preview/zip{query}", ZIP)
    assert response.status_code == status
    assert response.json_body["Message"].startswith(says), response.json_body


def test_zip_is_a_binary_type_of_the_api():
    assert archive.CONTENT_TYPE in app.app.api.binary_types
