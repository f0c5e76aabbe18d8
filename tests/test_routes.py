"""The routes in-process (chalice.test.Client) against the real local S3 server."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

import app
from chalicelib import ingest, jpeg
from chalicelib.protocol import keys, upload
from chalicelib.storage import FrameStore
from simboard.frames import blocks_jpeg
from stopmotion.localstack import free_port
from tests.conftest import cameras_for

S3_ENV = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"]


@pytest.fixture
def client(local_stack, monkeypatch):
    """A test client whose app talks to the session's S3 server (a fresh boto3 client)."""
    for name in S3_ENV:
        monkeypatch.setenv(name, local_stack.env[name])
    monkeypatch.setenv("SECRETS_FILE", local_stack.env["SECRETS_FILE"])
    monkeypatch.delenv("MAX_FRAME_BYTES", raising=False)
    app.get_store.cache_clear()
    app.get_keys.cache_clear()
    with Client(app.app, stage_name="local") as test_client:
        test_client.cameras = cameras_for(local_stack)  # signs posts, holds the viewer token
        yield test_client
    app.get_store.cache_clear()
    app.get_keys.cache_clear()


@pytest.fixture
def s3(local_stack):
    return local_stack.s3_client()


def post(client, body, camera="routes", content_type="image/jpeg"):
    headers = {"Content-Type": content_type}
    if camera:
        headers["Authorization"] = client.cameras.authorization(camera, body)
    return client.http.post("/frames", headers=headers, body=body)


def stored_keys(s3, bucket, camera):
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"frames/{camera}/")
    return [obj["Key"] for obj in listing.get("Contents", [])]


def test_a_frame_is_stored_and_described(client, s3, local_stack, sample_frame):
    response = post(client, sample_frame, camera="routes-sample")
    assert response.status_code == 201
    answer = response.json_body
    assert answer["key"].startswith("frames/routes-sample/")
    assert answer["bytes"] == len(sample_frame)
    assert (answer["width"], answer["height"]) == (320, 240)
    assert answer["repairs"] == []
    assert answer["camera"] == "routes-sample"
    assert answer["sha256"] == hashlib.sha256(sample_frame).hexdigest()
    stored = s3.get_object(Bucket=local_stack.bucket, Key=answer["key"])
    assert stored["Body"].read() == sample_frame
    assert stored["ContentType"] == "image/jpeg"
    metadata = {name.lower(): value for name, value in stored["Metadata"].items()}  # rclone: Camera
    assert metadata == {
        "camera": "routes-sample", "captured": answer["received"], "received": answer["received"],
        "age": "0", "bytes": str(len(sample_frame)), "width": "320", "height": "240",
        "repairs": "", "sha256": answer["sha256"],
    }


def test_a_late_frame_is_named_and_kept_with_its_capture_time(client, s3, local_stack):
    """A frame a camera kept 3 days: the key and the metadata say when it was captured, the
    metadata when it arrived and how old it was."""
    body = blocks_jpeg(32, 24, seed=11)
    authorization = client.cameras.authorization("routes-late", body, age=3 * 86400)
    response = client.http.post("/frames", body=body, headers={
        "Content-Type": "image/jpeg", "Authorization": authorization})
    assert response.status_code == 201, response.json_body
    answer = response.json_body
    received = datetime.fromisoformat(answer["received"])
    assert datetime.fromisoformat(answer["captured"]) == received - timedelta(days=3)
    assert answer["key"].startswith(keys.time_prefix("routes-late", received - timedelta(days=3)))
    metadata = s3.head_object(Bucket=local_stack.bucket, Key=answer["key"])["Metadata"]
    metadata = {name.lower(): value for name, value in metadata.items()}  # rclone: Captured
    assert (metadata["captured"], metadata["received"], metadata["age"]) == (
        answer["captured"], answer["received"], "259200")


def test_repairs_are_reported_and_the_hash_is_of_the_stored_bytes(client, s3, local_stack):
    good = blocks_jpeg(96, 64, thumbnail=True)
    response = post(client, good[1:] + bytes(500), content_type="application/octet-stream")
    assert response.status_code == 201
    answer = response.json_body
    assert answer["repairs"] == [jpeg.MISSING_LEADING_FF, jpeg.TRAILING_BYTES_CUT]
    assert answer["sha256"] == hashlib.sha256(good).hexdigest()
    assert s3.get_object(Bucket=local_stack.bucket, Key=answer["key"])["Body"].read() == good
    metadata = s3.head_object(Bucket=local_stack.bucket, Key=answer["key"])["Metadata"]
    assert {k.lower(): v for k, v in metadata.items()}["repairs"] == (
        "missing_leading_ff,trailing_bytes_cut")


def test_an_unsigned_frame_is_refused(client):
    response = post(client, blocks_jpeg(), camera=None)
    assert response.status_code == 401
    assert response.json_body["Code"] == "MissingCredential"
    assert response.headers["WWW-Authenticate"].startswith("SM1-HMAC-SHA256")


@pytest.mark.parametrize("camera", ["UPPER", "a" * 33, "cam/..", "cam_1"])
def test_a_bad_camera_id_is_refused(client, camera):
    body = blocks_jpeg()
    authorization = upload.authorization(bytes(32), camera, 1, body)
    headers = {"Content-Type": "image/jpeg", "Authorization": authorization}
    response = client.http.post("/frames", headers=headers, body=body)
    assert response.status_code == 401
    assert "Authorization" in response.json_body["Message"]


@pytest.mark.parametrize(
    "body, status, code",
    [  # an empty body is a hello (tests/test_routes_schedule.py), not a bad frame
        (b"\x00", 422, "NotAJpeg"),
        (b"hello, this is not a picture", 422, "NotAJpeg"),
        (blocks_jpeg()[:200], 422, "NotAJpeg"),
    ],
)
def test_bad_bodies_get_a_json_error_and_nothing_is_stored(client, s3, local_stack, body, status,
                                                          code):
    response = post(client, body, camera="routes-bad")
    assert response.status_code == status
    assert response.json_body["Code"] == code
    assert response.json_body["Message"]
    assert stored_keys(s3, local_stack.bucket, "routes-bad") == []


def test_a_frame_over_the_limit_gets_413(client, s3, local_stack, monkeypatch):
    monkeypatch.setenv("MAX_FRAME_BYTES", "1000")
    response = post(client, blocks_jpeg(320, 240), camera="routes-big")
    assert response.status_code == 413
    assert response.json_body["Code"] == "FrameTooLarge"
    assert stored_keys(s3, local_stack.bucket, "routes-big") == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "image/png"])
def test_a_wrong_media_type_gets_415_that_names_the_accepted_types(client, content_type):
    response = post(client, blocks_jpeg(), content_type=content_type)
    assert response.status_code == 415
    assert all(accepted in response.json_body["Message"] for accepted in upload.CONTENT_TYPES)


@pytest.mark.parametrize("request_", [
    "post 201", "post 415", "post 422", "post 401", "put 405", "get /frames", "get /frames 400",
    "get /frames 401", "get /frames/latest", "get /health",
])
def test_every_json_answer_ends_with_a_newline(client, request_):
    """So that a terminal prompt (curl) starts on a line of its own, whatever the answer."""
    method, *rest = request_.split()
    frame = blocks_jpeg(seed=len(request_))
    if method == "post":
        content_type = "text/plain" if rest == ["415"] else "image/jpeg"
        camera = None if rest == ["401"] else "routes-newline"
        response = post(client, b"junk" if rest == ["422"] else frame, camera, content_type)
    elif method == "put":
        response = client.http.put("/frames", headers={"Content-Type": "image/jpeg"}, body=frame)
    else:
        path, *status = rest
        viewer = {} if status == ["401"] else client.cameras.viewer()
        response = client.http.get(path + ("?limit=x" if status == ["400"] else ""),
                                   headers=viewer)
    assert response.body.endswith(b"\n"), response.body
    assert response.headers["Content-Type"] == "application/json"
    json.loads(response.body)


def test_health_says_storage_is_reachable(client, local_stack):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok", "bucket": local_stack.bucket}


@pytest.fixture
def storage_down(client, monkeypatch):
    """The client, with the app pointed at a port where no S3 server listens."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    app.get_store.cache_clear()
    return client


@pytest.mark.parametrize("method, path", [
    ("post", "/frames"), ("get", "/health"), ("get", "/frames"), ("get", "/frames/latest"),
    ("get", "/preview/zip?camera=routes"),
    ("get", "/preview/frame?key=frames/routes/2026/05/04/20260504T100000.250Z-0a1b2c3d.jpg"),
])
def test_storage_down_gives_503_with_retry_after(storage_down, method, path):
    if method == "post":
        response = post(storage_down, blocks_jpeg())
    else:
        response = storage_down.http.get(path, headers=storage_down.cameras.viewer())
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.json_body["Code"] == "StorageUnavailable"


# Listing: frames are stored with chosen receive times through the same code the route uses.
T0 = datetime(2026, 3, 30, 23, 59, 59, 500_000, tzinfo=UTC)


@pytest.fixture(scope="module")
def listed(local_stack):
    """Seven frames of camera list-a over three days, two of list-b; returns their keys."""
    store = FrameStore(local_stack.s3_client(), local_stack.bucket)
    frame = blocks_jpeg(16, 16)
    times = [T0 + timedelta(hours=5 * i) for i in range(7)]
    keys_a = [ingest.ingest(store, frame, "list-a", received=t)["key"] for t in times]
    keys_b = [ingest.ingest(store, frame, "list-b", received=t)["key"] for t in times[:2]]
    return keys_a, keys_b, times


def get(client, path, **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    viewer = client.cameras.viewer()
    response = client.http.get(f"{path}?{query}" if query else path, headers=viewer)
    return response.status_code, json.loads(response.body)


def test_frames_of_a_camera_are_listed_in_time_order(client, listed):
    keys_a, _, times = listed
    status, answer = get(client, "/frames", camera="list-a")
    assert status == 200
    assert [f["key"] for f in answer["frames"]] == keys_a
    assert answer["cursor"] is None
    first = answer["frames"][0]
    assert first["camera"] == "list-a" and first["time"] == "2026-03-30T23:59:59.500Z"
    assert first["bytes"] == len(blocks_jpeg(16, 16))


def test_since_is_inclusive_and_until_exclusive(client, listed):
    keys_a, _, times = listed
    since, until = times[2].isoformat(), (times[5]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    status, answer = get(client, "/frames", camera="list-a", since=since.replace("+", "%2B"),
                         until=until)
    assert [f["key"] for f in answer["frames"]] == keys_a[2:5]


def test_pages_follow_the_cursor_without_gaps_or_repeats(client, listed):
    keys_a, _, _ = listed
    seen, cursor, pages = [], None, 0
    while True:
        params = {"camera": "list-a", "limit": 3, **({"cursor": cursor} if cursor else {})}
        status, answer = get(client, "/frames", **params)
        assert status == 200 and len(answer["frames"]) <= 3
        seen += [f["key"] for f in answer["frames"]]
        pages += 1
        cursor = answer["cursor"]
        if cursor is None:
            break
    assert seen == keys_a and pages == 3


def test_all_cameras_are_listed_with_a_time_filter(client, listed):
    keys_a, keys_b, times = listed
    status, answer = get(client, "/frames", until=times[1].strftime("%Y-%m-%dT%H:%M:%S.%f"),
                         since="2026-03-01")
    assert [f["key"] for f in answer["frames"]] == [keys_a[0], keys_b[0]]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "1001"}, {"limit": "x"},
                                    {"since": "yesterday"}, {"camera": "NO"},
                                    {"cursor": "frames/list-a/nonsense"},
                                    {"camera": "list-a", "cursor": "frames/list-b/2026/x.jpg"}])
def test_bad_list_parameters_get_400(client, params):
    status, answer = get(client, "/frames", **params)
    assert status == 400 and answer["Code"] == "BadRequest"


@pytest.mark.parametrize("params, says", [
    ({"since": "9999-12-31T23:59:59-23:59"}, "since"),  # past year 9999 once in UTC
    ({"until": "0001-01-01T00:00:00%2B23:59"}, "until"),  # before year 1 once in UTC
    ({"limit": "%C2%B2"}, "limit"),  # a superscript two: str.isdigit() says yes, int() says no
    ({"limit": "7" * 5000}, "limit"),  # more digits than int() converts
    ({"limit": "0" * 5000 + "7"}, "limit"),
])
def test_list_parameters_python_cannot_convert_get_400(client, params, says):
    status, answer = get(client, "/frames", **params)
    assert (status, answer["Code"]) == (400, "BadRequest"), answer
    assert answer["Message"].startswith(says)


def test_a_since_before_the_year_1000_lists_from_the_first_frame(client, listed):
    keys_a, _, _ = listed
    for since in ("0999-01-01T00:00:00Z", "0001-01-01"):
        status, answer = get(client, "/frames", camera="list-a", since=since)
        assert status == 200 and [f["key"] for f in answer["frames"]] == keys_a, since


def test_latest_gives_the_newest_frame_per_camera(client, listed):
    keys_a, keys_b, _ = listed
    status, answer = get(client, "/frames/latest")
    assert status == 200
    newest = {f["camera"]: f["key"] for f in answer["frames"]}
    assert newest["list-a"] == keys_a[-1] and newest["list-b"] == keys_b[-1]
    status, answer = get(client, "/frames/latest", camera="list-b")
    assert [f["key"] for f in answer["frames"]] == [keys_b[-1]]
    status, answer = get(client, "/frames/latest", camera="nobody")
    assert answer == {"frames": []}


def test_latest_skips_a_newer_folder_that_holds_no_frame(client, local_stack):
    store = FrameStore(local_stack.s3_client(), local_stack.bucket)
    key = ingest.ingest(store, blocks_jpeg(16, 16), "list-c", received=T0)["key"]
    stray = "frames/list-c/2027/01/01/notes.txt"
    store.client.put_object(Bucket=store.bucket, Key=stray, Body=b"x")
    status, answer = get(client, "/frames/latest", camera="list-c")
    assert [f["key"] for f in answer["frames"]] == [key]
