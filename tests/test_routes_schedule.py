"""Issue 14 on the real local stack: the service's clock moved by the tests, the camera's next
capture in every signed answer, the hello, and the camera's health in the frame's metadata and in
the metric lines."""

import base64
import json
import socket
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from chalice.local import LambdaContext

import app
from chalicelib import clock
from chalicelib.protocol import answer, keys, upload
from simboard.frames import blocks_jpeg
from stopmotion.camera import FileSecrets
from tests.conftest import camera_post
from tests.test_infra_metrics import check_emf, metric_lines

FRAME = blocks_jpeg(24, 16, seed=14)
ROOF = "at 09:00,12:00,15:00"
HEALTH = ("fw=0.2.0 up=86400 boots=3 reset=wdt sram=612 tries=2 queued=4 lost=1 lead=0 link=up "
          "dhcp=2 spi=8000")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def set_service_time(local_stack, stack_clock, moment: datetime) -> None:
    stack_clock((moment - datetime.now(UTC)).total_seconds())
    assert abs((local_stack.service_time() - moment).total_seconds()) < 1


def scheduled(local_stack, cameras, camera: str, text: str = ROOF) -> bytes:
    secret = cameras.secret(camera)
    FileSecrets(local_stack.secrets_file).set_schedule(camera, text)
    return secret


def signed(headers, secret, camera, status) -> answer.Answer:
    got = answer.verify_answer(secret, camera, headers.get(answer.HEADER.lower()), status=status)
    assert got.status == status
    return got


def next_capture(got: answer.Answer) -> datetime:
    return datetime.fromtimestamp(got.time + got.next_s, UTC)


def stored(local_stack, camera, root="frames") -> list[str]:
    listing = local_stack.s3_client().list_objects_v2(Bucket=local_stack.bucket,
                                                      Prefix=f"{root}/{camera}/")
    return [item["Key"] for item in listing.get("Contents", [])]


def test_the_service_runs_on_the_clock_the_test_sets(local_stack, cameras, stack_clock):
    """Received, Time and the frame's name all follow the offset; without it, this machine's."""
    camera = "sched-clock"
    secret = cameras.secret(camera)
    set_service_time(local_stack, stack_clock, at(2030, 6, 1, 10, 0, 0))
    status, headers, body = camera_post(local_stack.api_url, FRAME, camera=camera, age=60)
    assert status == 201, body
    got = signed(headers, secret, camera, 201)
    assert abs(got.received - at(2030, 6, 1, 10)) < timedelta(seconds=5)
    assert abs(got.time - at(2030, 6, 1, 10).timestamp()) < 5
    assert keys.parse_key(got.key).time.date() == at(2030, 6, 1).date()  # named by the clock
    stack_clock(0)
    status, headers, _ = camera_post(local_stack.api_url, FRAME, camera=camera)
    assert abs(signed(headers, secret, camera, 201).time - datetime.now(UTC).timestamp()) < 5


@pytest.mark.parametrize("case, now, age, expected", [
    ("frame taken 25 s early for 12:00: not 12:00 again", at(2031, 3, 3, 11, 59, 40), 5,
     at(2031, 3, 3, 15)),
    ("frame taken late for 12:00", at(2031, 3, 3, 12, 1), 20, at(2031, 3, 3, 15)),
    ("frame from the card, two days old", at(2031, 3, 5, 10), 2 * 86400 + 3600,
     at(2031, 3, 5, 12)),
])
def test_every_answer_to_a_frame_says_when_to_take_the_next(
        local_stack, cameras, stack_clock, case, now, age, expected):
    camera = "sched-next"
    secret = scheduled(local_stack, cameras, camera)
    set_service_time(local_stack, stack_clock, now)
    status, headers, body = camera_post(local_stack.api_url, FRAME, camera=camera, age=age)
    assert status == 201, body
    assert next_capture(signed(headers, secret, camera, 201)) == expected
    # a refusal too (not a JPEG: 422) carries the next capture, by the same rule
    status, headers, _ = camera_post(local_stack.api_url, b"not a jpeg", camera=camera, age=age)
    assert status == 422
    assert next_capture(signed(headers, secret, camera, 422)) == expected


def test_a_changed_schedule_applies_from_the_next_answer(local_stack, cameras, stack_clock):
    camera = "sched-change"
    secret = scheduled(local_stack, cameras, camera)
    set_service_time(local_stack, stack_clock, at(2031, 4, 1, 9, 30))
    _, headers, _ = camera_post(local_stack.api_url, b"", camera=camera)
    assert next_capture(signed(headers, secret, camera, 200)) == at(2031, 4, 1, 12)
    FileSecrets(local_stack.secrets_file).set_schedule(camera, "every 15m")
    _, headers, _ = camera_post(local_stack.api_url, b"", camera=camera)
    assert next_capture(signed(headers, secret, camera, 200)) == at(2031, 4, 1, 9, 45)


def test_a_hello_gets_the_next_capture_and_stores_and_claims_nothing(
        local_stack, cameras, stack_clock):
    camera = "sched-hello"
    secret = scheduled(local_stack, cameras, camera)
    set_service_time(local_stack, stack_clock, at(2031, 3, 3, 11, 59, 30))
    status, headers, body = camera_post(local_stack.api_url, b"", camera=camera, counter=5)
    assert status == 200, body
    got = answer.verify_answer(secret, camera, headers[answer.HEADER.lower()], 5, 200)
    assert (got.key, got.sha256) == (None, None)
    assert next_capture(got) == at(2031, 3, 3, 12)  # a hello is no frame: the very next slot
    assert 1 <= got.next_s <= 35
    assert json.loads(body) == {"camera": camera, "next": "2031-03-03T12:00:00.000Z",
                                "schedule": ROOF}
    assert stored(local_stack, camera) == stored(local_stack, camera, "claims") == []
    # its counter was not claimed: a frame may still use it, and one below it
    status, _, _ = camera_post(local_stack.api_url, FRAME, camera=camera, counter=5)
    assert status == 201
    assert len(stored(local_stack, camera)) == 1


@pytest.mark.parametrize("sign, status, code", [
    ("another secret", 403, "Forbidden"), ("none", 401, "MissingCredential"),
])
def test_a_hello_without_a_good_signature_is_refused(local_stack, cameras, sign, status, code):
    camera = "sched-hello-bad"
    cameras.secret(camera)
    authorization = None
    if sign == "another secret":
        authorization = upload.authorization(bytes(32), camera, 1, b"")
    head = upload.request_head(local_stack.api_url.removeprefix("http://"), upload.ROUTE, 0,
                               authorization, "stopmotion-cam/test")
    with socket.create_connection(("127.0.0.1", local_stack.api_port), timeout=15) as sock:
        sock.sendall(head)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert raw.split()[1] == str(status).encode(), raw
    assert json.loads(raw.partition(b"\r\n\r\n")[2])["Code"] == code


def metadata(local_stack, key) -> dict[str, str]:
    head = local_stack.s3_client().head_object(Bucket=local_stack.bucket, Key=key)
    return {name.lower(): value for name, value in head["Metadata"].items()}  # rclone: Health


def health_lines(local_stack, camera, until=lambda lines: len(lines) >= 1) -> list[dict]:
    """The health lines chalice local logged for camera, once they satisfy `until` (its output
    reaches the log through a pipe) or after 5 s."""
    deadline = time.monotonic() + 5
    while True:
        lines = local_stack.log_file.read_text(errors="replace").splitlines()
        found = [json.loads(line) for line in lines if line.startswith("{")]
        mine = [doc for doc in found if doc.get("Camera") == camera and "health" in doc]
        if until(mine) or time.monotonic() > deadline:
            return mine
        time.sleep(0.05)


MARKER = "fw=marker"


def logged_after(local_stack, camera) -> list[dict]:
    """The camera's health lines once a hello with MARKER health has been logged after them
    (requests are logged in order): so a line that was not logged is seen to be missing."""
    status, _, _ = camera_post(local_stack.api_url, b"", camera=camera, health=MARKER)
    assert status == 200
    lines = health_lines(local_stack, camera, lambda found: found and found[-1]["health"] == MARKER)
    assert lines and lines[-1]["health"] == MARKER
    return lines


def test_the_health_of_a_frame_is_in_its_metadata_and_a_metric_line(local_stack, cameras):
    camera = "health-frame"
    cameras.secret(camera)
    status, _, body = camera_post(local_stack.api_url, FRAME, camera=camera, health=HEALTH)
    assert status == 201, body
    key = json.loads(body)["key"]
    assert metadata(local_stack, key)["health"] == HEALTH
    (line,) = health_lines(local_stack, camera)
    doc = check_emf(json.dumps(line))
    assert (doc["FreeSram"], doc["Attempts"], doc["Queued"], doc["Lost"], doc["Boots"],
            doc["Uptime"]) == (612, 2, 4, 1, 3, 86400)
    assert (doc["firmware"], doc["reset"], doc["link"], doc["health"]) == (
        "0.2.0", "wdt", "up", HEALTH)
    names = {m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"FreeSram", "Attempts", "Queued", "Lost", "Boots", "Uptime"} <= names
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Camera"]]
    # without the header: no health in the metadata, no health line
    status, _, body = camera_post(local_stack.api_url, FRAME, camera=camera)
    key = json.loads(body)["key"]
    assert "health" not in metadata(local_stack, key)
    assert [doc["health"] for doc in logged_after(local_stack, camera)] == [HEALTH, MARKER]


def test_a_hellos_health_is_logged(local_stack, cameras):
    camera = "health-hello"
    cameras.secret(camera)
    status, _, _ = camera_post(local_stack.api_url, b"", camera=camera,
                               health="fw=0.2.0 up=12 boots=9 reset=power sram=700")
    assert status == 200
    (line,) = health_lines(local_stack, camera)
    assert (line["Boots"], line["reset"], line["FreeSram"]) == (9, "power", 700)
    assert stored(local_stack, camera) == []


@pytest.mark.parametrize("case", ["malformed", "not signed", "changed on the way"])
def test_a_bad_health_header_stores_and_logs_nothing(local_stack, cameras, case):
    camera = f"health-bad-{case.replace(' ', '-')}"
    secret = cameras.secret(camera)
    health, signed_health = {
        "malformed": ("fw=0.2.0  up=5", None),
        "not signed": ("fw=0.2.0 up=5", ""),
        "changed on the way": ("fw=0.2.0 sram=9999", "fw=0.2.0 sram=120"),
    }[case]
    status, headers, body = camera_post(local_stack.api_url, FRAME, camera=camera, health=health,
                                        signed_health=signed_health)
    problem = json.loads(body)
    if case == "malformed":
        assert (status, problem["Code"]) == (400, "MalformedHealth")
        assert "name=value tokens separated by single spaces" in problem["Message"]
    else:
        assert (status, problem["Code"]) == (403, "Forbidden")
    signed(headers, secret, camera, status)  # the camera learns of it, signed
    assert stored(local_stack, camera) == []
    assert logged_after(local_stack, camera) == [{"Camera": camera, "firmware": "marker",
                                                  "health": MARKER}]


def test_metric_lines_stay_embedded_metric_format(local_stack):
    """The shared stack's metric lines, health lines included, all parse as EMF documents."""
    for line in metric_lines(local_stack):
        assert json.loads(line)["_aws"]["CloudWatchMetrics"]


def camera_list(local_stack, cameras) -> dict[str, dict]:
    """GET /cameras of the shared stack, by camera id."""
    request = urllib.request.Request(f"{local_stack.api_url}/cameras", headers=cameras.viewer())
    with urllib.request.urlopen(request, timeout=30) as response:
        return {found["camera"]: found for found in json.load(response)["cameras"]}


def test_a_hellos_health_reaches_the_cameras_status(local_stack, cameras):
    """A camera that just booted shows its health in GET /cameras before its first frame; a copy
    of an older hello (it claims no counter) cannot set an older report again."""
    camera = "health-hello-status"
    cameras.secret(camera)
    booted = "fw=0.2.0 up=3 boots=4 reset=watchdog sram=690"
    status, _, body = camera_post(local_stack.api_url, b"", camera=camera, counter=7,
                                  health=booted)
    assert status == 200, body
    found = camera_list(local_stack, cameras)[camera]
    assert found["health"] == {"fw": "0.2.0", "up": "3", "boots": "4", "reset": "watchdog",
                               "sram": "690"}
    assert found["trouble"] == ["never seen"]  # no frame yet: that says it all
    assert (found["last_frame"], found["frames_total"]) == (None, 0)
    assert stored(local_stack, camera) == []
    later = "fw=0.2.0 up=3 boots=5 reset=external sram=701"
    status, _, _ = camera_post(local_stack.api_url, b"", camera=camera, counter=9, health=later)
    assert status == 200
    assert camera_list(local_stack, cameras)[camera]["health"]["boots"] == "5"
    status, _, _ = camera_post(local_stack.api_url, b"", camera=camera, counter=7, health=booted)
    assert status == 200  # answered (a hello is harmless), but the report stays the newer one
    assert camera_list(local_stack, cameras)[camera]["health"]["boots"] == "5"
    # a frame's health is the newest report after that, and the status counts the frame
    status, _, body = camera_post(local_stack.api_url, FRAME, camera=camera, counter=10,
                                  health="fw=0.2.0 up=60 boots=5 reset=external sram=650")
    assert status == 201, body
    found = camera_list(local_stack, cameras)[camera]
    assert (found["health"]["sram"], found["frames_total"]) == ("650", 1)
    status, _, _ = camera_post(local_stack.api_url, b"", camera=camera, counter=9, health=later)
    assert status == 200  # the frame kept what the hellos said: the copy is still no news
    assert camera_list(local_stack, cameras)[camera]["health"]["sram"] == "650"


def raw_post(local_stack, head: bytes, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends head + body to the stack's API as they are; (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", local_stack.api_port), timeout=30) as sock:
        sock.sendall(head + body)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    header_block, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *lines = header_block.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip()
               for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, payload


def test_a_health_header_joined_by_a_proxy_is_refused_with_send_it_once(local_stack, cameras):
    """What a proxy that joins a repeated header makes of two reports (API Gateway's HTTP APIs
    do: "a, b"), signed as it arrives, reaches chalice local as one value: 400, send it once."""
    camera = "health-joined"
    secret = cameras.secret(camera)
    joined = "fw=0.2.0 up=5, fw=0.2.0 up=6"
    status, headers, body = camera_post(local_stack.api_url, FRAME, camera=camera, health=joined)
    problem = json.loads(body)
    assert (status, problem["Code"]) == (400, "MalformedHealth")
    assert f"send {upload.HEALTH_HEADER} once" in problem["Message"]
    signed(headers, secret, camera, 400)
    assert stored(local_stack, camera) == []


def test_chalice_local_passes_the_first_of_two_health_headers_only(local_stack, cameras):
    """What chalice local does with a header sent twice: its handler keeps the first value and
    drops the second, so the service cannot see the repeat there (API Gateway can: see
    test_a_repeated_health_header_is_refused_by_the_rest_api_event). The frame is verified
    against the first value, which is the one its metadata keeps."""
    camera = "health-twice-local"
    cameras.secret(camera)
    first, second = "fw=0.2.0 up=5", "fw=0.2.0 up=6"
    authorization = cameras.authorization(camera, FRAME, health=first)
    head = upload.request_head(local_stack.api_url.removeprefix("http://"), upload.ROUTE,
                               len(FRAME), authorization, "stopmotion-cam/test", health=first)
    head = head.replace(b"Connection: close",
                        f"{upload.HEALTH_HEADER}: {second}\r\nConnection: close".encode())
    status, _, body = raw_post(local_stack, head, FRAME)
    assert status == 201, body
    assert metadata(local_stack, json.loads(body)["key"])["health"] == first


def rest_event(body: bytes, headers: list[tuple[str, str]]) -> dict:
    """POST /frames as API Gateway's REST API (payload 1.0) hands it to the Lambda: every value of
    a repeated header in multiValueHeaders, the last one alone in headers."""
    repeated: dict[str, list[str]] = {}
    for name, value in headers:
        repeated.setdefault(name, []).append(value)
    return {
        "resource": upload.ROUTE, "path": upload.ROUTE, "httpMethod": upload.METHOD,
        "headers": {name: values[-1] for name, values in repeated.items()},
        "multiValueHeaders": repeated,
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": upload.ROUTE, "httpMethod": upload.METHOD,
                           "path": f"/api{upload.ROUTE}", "stage": "api",
                           "identity": {"sourceIp": "192.0.2.1"}},
        "body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True,
    }


@pytest.fixture
def lambda_app(local_stack, monkeypatch):
    """The app in this process, as Lambda runs it, on the shared stack's bucket and secrets."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                 "AWS_ENDPOINT_URL_S3", "FRAMES_BUCKET", "SECRETS_FILE", clock.ENV):
        monkeypatch.setenv(name, local_stack.env[name])
    app.get_store.cache_clear()
    app.get_keys.cache_clear()
    yield lambda event: app.app(event, LambdaContext("api_handler", 128))
    app.get_store.cache_clear()
    app.get_keys.cache_clear()


def test_a_repeated_health_header_is_refused_by_the_rest_api_event(local_stack, cameras,
                                                                     lambda_app):
    """API Gateway's `headers` keeps the last of two values, and that one is signed here: only
    multiValueHeaders shows the repeat, and the service refuses it (400, send it once), signed."""
    camera = "health-twice-rest"
    secret = cameras.secret(camera)
    first, last = "fw=0.2.0 up=5", "fw=0.2.0 up=6"

    def headers(*health: str) -> list[tuple[str, str]]:
        return [("Content-Type", "image/jpeg"), ("Content-Length", str(len(FRAME))),
                ("Authorization", cameras.authorization(camera, FRAME, health=last)),
                *((upload.HEALTH_HEADER, value) for value in health)]

    answered = lambda_app(rest_event(FRAME, headers(first, last)))
    problem = json.loads(answered["body"])
    assert (answered["statusCode"], problem["Code"]) == (400, "MalformedHealth"), problem
    assert f"send {upload.HEALTH_HEADER} once" in problem["Message"]
    signed({k.lower(): v for k, v in answered["headers"].items()}, secret, camera, 400)
    assert stored(local_stack, camera) == []
    # the same request with the header once is stored, with that report
    answered = lambda_app(rest_event(FRAME, headers(last)))
    assert answered["statusCode"] == 201, answered["body"]
    assert metadata(local_stack, json.loads(answered["body"])["key"])["health"] == last
