"""The fleet check in the service, against the real local S3 server: the status object written at
ingest, GET /cameras and /preview/cameras, and the hourly scheduled function (metrics lines, one
alarm on SNS only when the cameras in trouble change). SNS is moto's (S3 passes through to the
local server); the service's clock is fixed through fleet.now, its one source of "now"."""

import io
import json
import urllib.request
import uuid
from collections import Counter
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import EndpointConnectionError
from chalice.test import Client

import app
from chalicelib import fleet
from chalicelib.protocol import fleet as rules
from chalicelib.protocol import keys, secrets
from chalicelib.upload import receive
from infra import costs
from simboard.frames import blocks_jpeg
from stopmotion.camera import FileSecrets
from tests.conftest import SignedCameras
from tests.test_infra_metrics import check_emf

S3_ENV = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"]
SCHEDULED_EVENT = {
    "version": "0", "id": "5f1f2a8e-0000-4000-8000-000000000000",
    "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
    "time": "2026-11-24T12:00:00Z", "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/check-fleet"], "detail": {},
}


def judged_slots_by_hand(now: datetime) -> list[datetime]:
    """The 4 default slots (00, 06, 12, 18 UTC) judged in the 24 h before now: each is judged 3 h
    after it (half-way to the next)."""
    newest = (now - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    newest -= timedelta(hours=newest.hour % 6)
    return [newest - timedelta(hours=6 * k) for k in (3, 2, 1, 0)]


@pytest.fixture
def fleet_app(local_stack, monkeypatch, tmp_path):
    """The app on a bucket and secrets file of its own (the check sees every camera there), the
    clock fixed a little ahead of now; yields (cameras, store, now)."""
    for name in S3_ENV:
        monkeypatch.setenv(name, local_stack.env[name])
    bucket = f"fleet-{uuid.uuid4().hex[:12]}"
    local_stack.s3_client().create_bucket(Bucket=bucket)
    secrets_file = tmp_path / "secrets.json"
    FileSecrets(secrets_file).set_viewer("fleet-viewer-token")
    monkeypatch.setenv("FRAMES_BUCKET", bucket)
    monkeypatch.setenv("SECRETS_FILE", str(secrets_file))
    monkeypatch.delenv("ALARM_TOPIC_ARN", raising=False)
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
    monkeypatch.setattr(fleet, "now", lambda: now)
    app.get_store.cache_clear()
    app.get_keys.cache_clear()
    store = app.get_store()  # the app's own, cached: Client's stage settings cannot move it
    app.get_keys()
    yield SignedCameras(secrets_file), store, now
    app.get_store.cache_clear()
    app.get_keys.cache_clear()


def post_at(cameras, camera, captured, now, body=None, counter=None):
    """Posts a frame of camera captured at `captured` (its age counted from the real clock)."""
    body = body or blocks_jpeg(64, 48, seed=int(captured.timestamp()) % 1000)
    age = max(0, round((datetime.now(UTC) - captured).total_seconds()))
    auth = cameras.authorization(camera, body, counter=counter, age=age)
    return receive(app.get_store(), app.get_keys(), auth, body, 1_000_000)


def get(path):
    with Client(app.app, stage_name="local") as client:
        return client.http.get(path, headers={"Authorization": "Bearer fleet-viewer-token"})


def by_camera(listing) -> dict:
    return {entry["camera"]: entry for entry in listing["cameras"]}


def test_cameras_says_how_each_camera_is_doing(fleet_app):
    cameras, store, now = fleet_app
    slots = judged_slots_by_hand(now)
    for slot in slots:
        post_at(cameras, "steady", slot + timedelta(minutes=2), now)
    for slot in slots[:2]:
        post_at(cameras, "gappy", slot, now)
    cameras.secret("unflashed")  # added, never posted
    listing = get("/cameras").json_body
    found = by_camera(listing)
    assert list(found) == ["gappy", "steady", "unflashed"]
    steady = found["steady"]
    assert (steady["missed"], steady["expected"], steady["trouble"]) == (0, 4, [])
    today = sum(1 for slot in slots if slot + timedelta(minutes=2) > now - timedelta(hours=24))
    assert (steady["frames_today"], steady["frames_total"]) == (today, 4)
    assert steady["last_frame"]["key"].startswith("frames/steady/")
    captured = keys.parse_time(steady["last_frame"]["captured"], "captured")
    assert abs(captured - (slots[-1] + timedelta(minutes=2))) < timedelta(seconds=10)
    assert steady["last_seen_hours"] == pytest.approx((now - captured).total_seconds() / 3600,
                                                      abs=0.01)
    secret = bytes.fromhex(FileSecrets(cameras.store.path).load()["cameras"]["steady"])
    assert steady["key_id"] == secrets.key_id(secret)
    assert (steady["schedule"], steady["tz"], steady["health"]) == ("every 6h", "UTC", None)
    gappy = found["gappy"]
    assert (gappy["missed"], gappy["expected"]) == (2, 4)
    assert gappy["trouble"] == ["missed 2 of 4 frames in 24 h"]
    unflashed = found["unflashed"]
    assert unflashed["trouble"] == ["never seen"] and unflashed["last_frame"] is None
    assert (unflashed["missed"], unflashed["expected"], unflashed["frames_total"]) == (0, 0, 0)
    assert set(steady) == {"camera", "key_id", "last_frame", "last_seen_hours", "frames_today",
                           "frames_total", "missed", "expected", "health", "schedule", "tz",
                           "trouble"}


def test_late_frames_from_the_card_fill_their_slots_and_a_retry_is_one_frame(fleet_app):
    cameras, store, now = fleet_app
    slots = judged_slots_by_hand(now)
    cameras.secret("carded")
    assert by_camera(get("/cameras").json_body)["carded"]["trouble"] == ["never seen"]
    # after an outage the card's frames go up first, oldest first, each dated by its capture
    for counter, slot in enumerate(slots[:3], start=1):
        assert post_at(cameras, "carded", slot, now, counter=counter)[1] == 201
    body = blocks_jpeg(64, 48, seed=7)
    newest, status = post_at(cameras, "carded", slots[3], now, body, counter=4)
    again, status_again = post_at(cameras, "carded", slots[3], now, body, counter=4)
    assert (status, status_again, again["key"]) == (201, 200, newest["key"])
    found = by_camera(get("/cameras").json_body)["carded"]
    assert (found["frames_total"], found["missed"], found["expected"]) == (4, 0, 4)
    assert found["last_frame"]["key"] == newest["key"] and found["trouble"] == []


def test_health_is_the_status_objects_newest_report(fleet_app):
    cameras, store, now = fleet_app
    frame, _ = post_at(cameras, "reporter", judged_slots_by_hand(now)[3], now)
    fleet.record_frame(store, "reporter", frame["key"], "fw=0.2.0 reset=watchdog queued=0",
                       keys.iso(now))
    found = by_camera(get("/cameras").json_body)["reporter"]
    assert found["health"] == {"fw": "0.2.0", "reset": "watchdog", "queued": "0"}
    assert found["trouble"] == ["reset by watchdog"]


def test_the_check_sends_the_s3_requests_per_camera_that_the_costs_bill(fleet_app):
    """infra/costs.py bills the hourly check per camera CHECK_LISTS_PER_CAMERA LISTs and
    CHECK_GETS_PER_CAMERA GETs, whatever the camera's history: what run_check sends (botocore's
    before-send event), for a camera with two frames as for one with four, plus for the whole
    fleet one LIST of the camera folders, one GET of the alarm's state and its PUT when it goes
    out (the bench_fleet figures count the same)."""
    cameras, store, now = fleet_app
    slots = judged_slots_by_hand(now)
    for slot in (slots[0], slots[3]):  # two missed between: in trouble, the alarm goes out
        post_at(cameras, "sparse", slot, now)
    for slot in slots:
        post_at(cameras, "dense", slot, now)
    sent: Counter = Counter()

    def count(event_name, **_):
        sent[event_name.rsplit(".", 1)[-1]] += 1

    store.client.meta.events.register("before-send.s3", count)
    try:
        done = fleet.run_check(store, app.get_keys().get(), now, lambda *_: None, io.StringIO())
    finally:
        store.client.meta.events.unregister("before-send.s3", count)
    assert (done["cameras"], list(done["troubled"])) == (2, ["sparse"])
    assert sent == {"ListObjectsV2": 2 * costs.CHECK_LISTS_PER_CAMERA + 1,
                    "GetObject": 2 * costs.CHECK_GETS_PER_CAMERA + 1, "PutObject": 1}


def test_preview_cameras_links_each_last_frame(fleet_app):
    cameras, store, now = fleet_app
    body = blocks_jpeg(64, 48, seed=3)
    post_at(cameras, "linked", judged_slots_by_hand(now)[3], now, body)
    cameras.secret("linkless")
    listing = get("/preview/cameras").json_body
    found = by_camera(listing)
    with urllib.request.urlopen(found["linked"]["last_frame"]["url"], timeout=10) as response:
        assert response.read() == body
    assert found["linkless"]["last_frame"] is None and listing["expires_in"] > 0


def test_cameras_needs_the_viewer_token(fleet_app):
    with Client(app.app, stage_name="local") as client:
        assert client.http.get("/cameras").status_code == 401
        assert client.http.get("/preview/cameras").status_code == 401


@pytest.fixture
def sns(fleet_app, monkeypatch):
    """moto's SNS with a queue subscribed to the alarm topic (the app's ALARM_TOPIC_ARN);
    yields a function that returns the messages published since its last call."""
    import boto3
    from moto import mock_aws

    config = {"core": {"mock_credentials": False, "passthrough": {"services": ["s3"]}}}
    with mock_aws(config=config):
        sns_client = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns_client.create_topic(Name="alarm")["TopicArn"]
        queue = sqs.create_queue(QueueName="mails")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns_client.subscribe(TopicArn=topic, Protocol="sqs",
                             Endpoint=arn["Attributes"]["QueueArn"])
        monkeypatch.setenv("ALARM_TOPIC_ARN", topic)

        def published():
            found = []
            while True:
                got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
                if not got.get("Messages"):
                    return found
                for message in got["Messages"]:
                    found.append(json.loads(message["Body"]))
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

        yield published


def run_scheduled() -> tuple[dict, list[dict]]:
    """Invokes the scheduled function as Lambda does; returns its result and metric lines."""
    out = io.StringIO()
    with redirect_stdout(out):
        done = app.check_fleet(SCHEDULED_EVENT, None)
    return done, [check_emf(line) for line in out.getvalue().splitlines()
                  if line.startswith('{"_aws"')]


def test_the_hourly_check_logs_metrics_and_alarms_once_per_change(fleet_app, sns):
    cameras, store, now = fleet_app
    slots = judged_slots_by_hand(now)
    for slot in slots:
        post_at(cameras, "fine", slot, now)
    post_at(cameras, "failing", slots[1], now)  # its first: slots[0] is not expected of it
    done, lines = run_scheduled()
    assert done["troubled"] == {"failing": ["missed 2 of 3 frames in 24 h"]}
    metric = {line["Camera"]: line for line in lines}
    assert (metric["fine"]["MissedFrames"], metric["failing"]["MissedFrames"]) == (0, 2)
    assert metric["failing"]["HoursSinceLastFrame"] == pytest.approx(
        (now - slots[1]).total_seconds() / 3600, abs=0.01)
    (mail,) = sns()
    assert mail["Subject"] == "stopmotion: 1 camera in trouble"
    assert mail["Message"] == "failing: missed 2 of 3 frames in 24 h\n"
    state = json.loads(store.read(rules.ALARM_STATE_KEY))
    assert state["troubled"] == done["troubled"]

    assert run_scheduled()[0]["published"] is False
    assert sns() == [], "the same cameras in trouble: no second mail"

    cameras.secret("newcomer")  # a new camera in trouble: one more mail naming both
    run_scheduled()
    (mail,) = sns()
    assert mail["Message"] == ("failing: missed 2 of 3 frames in 24 h\nnewcomer: never seen\n")

    data = FileSecrets(cameras.store.path).load()  # both retired: every camera fine again
    del data["cameras"]["failing"], data["cameras"]["newcomer"]
    FileSecrets(cameras.store.path).save(data)
    done, lines = run_scheduled()
    assert done["troubled"] == {} and {line["Camera"] for line in lines} == {"fine"}
    (mail,) = sns()
    assert mail["Subject"] == "stopmotion: every camera is fine again"
    assert mail["Message"] == "fine again: failing, newcomer\n"


def test_a_failed_publish_is_sent_again_by_the_next_run(fleet_app, monkeypatch):
    """SNS refusing (here: a topic that does not exist) fails the run, which Lambda retries;
    the state is not kept, so the next run publishes it again."""
    cameras, store, now = fleet_app
    cameras.secret("lonely")
    monkeypatch.setenv("ALARM_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:nowhere")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(EndpointConnectionError):
        run_scheduled()
    assert store.read(rules.ALARM_STATE_KEY) is None
    monkeypatch.delenv("ALARM_TOPIC_ARN")
    done, _ = run_scheduled()  # no topic: logged only, and kept
    assert done["published"] is True and store.read(rules.ALARM_STATE_KEY) is not None
