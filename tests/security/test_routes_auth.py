"""Authentication at the routes (in-process Chalice client, real local S3): who may write and read,
replays and stale counters, idempotent retries, rotation; nothing stored on a refusal."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

import app
from chalicelib import metrics
from chalicelib.protocol import answer, claims, keys, secrets, upload
from chalicelib.storage import FrameStore
from chalicelib.upload import claim
from simboard.frames import blocks_jpeg
from stopmotion.camera import FileSecrets, new_camera_secret
from stopmotion.localstack import free_port
from tests.conftest import cameras_for

ENV = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_S3",
    "SECRETS_FILE",
]
FRAME = blocks_jpeg(32, 24, seed=6)
OTHER = blocks_jpeg(32, 24, seed=7)


@pytest.fixture
def client(local_stack, monkeypatch):
    for name in ENV:
        monkeypatch.setenv(name, local_stack.env[name])
    app.get_store.cache_clear()
    app.get_keys.cache_clear()
    with Client(app.app, stage_name="local") as test_client:
        yield test_client
    app.get_store.cache_clear()
    app.get_keys.cache_clear()


@pytest.fixture
def cameras(local_stack):
    return cameras_for(local_stack)


@pytest.fixture
def frames(local_stack):
    s3 = local_stack.s3_client()

    def list_(camera):
        listing = s3.list_objects_v2(Bucket=local_stack.bucket, Prefix=f"frames/{camera}/")
        return [item["Key"] for item in listing.get("Contents", [])]

    return list_


def post(client, body, authorization=None, **headers):
    headers = {"Content-Type": "image/jpeg", **headers}
    if authorization:
        headers["Authorization"] = authorization
    return client.http.post("/frames", headers=headers, body=body)


def test_the_key_names_the_verified_camera_not_the_header(client, cameras, frames):
    response = post(
        client, FRAME, cameras.authorization("auth-a", FRAME), **{"X-Camera-Id": "evil"}
    )
    assert response.status_code == 201
    assert response.json_body["camera"] == "auth-a"
    assert response.json_body["key"].startswith("frames/auth-a/")
    assert frames("evil") == []


def test_a_retry_answers_200_with_the_same_key_and_stores_one_frame(client, cameras, frames):
    first = post(client, FRAME, cameras.authorization("auth-retry", FRAME, counter=5))
    again = post(client, FRAME, cameras.authorization("auth-retry", FRAME, counter=5))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body["key"] == first.json_body["key"]
    assert frames("auth-retry") == [first.json_body["key"]]


def test_same_counter_other_body_is_a_replay(client, cameras, frames):
    assert (
        post(client, FRAME, cameras.authorization("auth-replay", FRAME, counter=3)).status_code
        == 201
    )
    response = post(client, OTHER, cameras.authorization("auth-replay", OTHER, counter=3))
    assert response.status_code == 403
    assert response.json_body["Code"] == "Replayed"
    assert len(frames("auth-replay")) == 1


def test_an_older_counter_is_stale(client, cameras, frames):
    assert (
        post(client, FRAME, cameras.authorization("auth-stale", FRAME, counter=10)).status_code
        == 201
    )
    response = post(client, OTHER, cameras.authorization("auth-stale", OTHER, counter=9))
    assert (response.status_code, response.json_body["Code"]) == (403, "Stale")
    assert (
        post(client, OTHER, cameras.authorization("auth-stale", OTHER, counter=12)).status_code
        == 201
    )
    assert len(frames("auth-stale")) == 2


def claim_of(local_stack, cameras, camera, counter) -> dict:
    """The claim object of camera's counter, as JSON."""
    name = claims.claim_key(camera, secrets.key_id(cameras.secret(camera)), counter)
    return json.loads(local_stack.s3_client().get_object(
        Bucket=local_stack.bucket, Key=name)["Body"].read())


def test_a_stored_frame_marks_its_claim(client, cameras, local_stack):
    stored = post(client, FRAME, cameras.authorization("auth-marked", FRAME, counter=2)).json_body
    assert claim_of(local_stack, cameras, "auth-marked", 2) == {
        "key": stored["key"], "sha256": hashlib.sha256(FRAME).hexdigest(), "stored": True}


def test_a_deleted_frame_with_its_stored_mark_is_not_restored(
    client, cameras, frames, local_stack
):
    """The frame was stored and then deleted (by its owner or the retention rule), a moment ago:
    a replay of its upload is refused and writes nothing, however soon it comes."""
    first = post(client, FRAME, cameras.authorization("auth-deleted", FRAME, counter=4)).json_body
    local_stack.s3_client().delete_object(Bucket=local_stack.bucket, Key=first["key"])
    response = post(client, FRAME, cameras.authorization("auth-deleted", FRAME, counter=4))
    assert response.status_code == 403, response.json_body
    assert response.json_body["Code"] == "Replayed" and "deleted" in response.json_body["Message"]
    assert frames("auth-deleted") == []


def claimed_earlier(local_stack, cameras, camera, body, counter, age):
    """The claim an upload of body, captured `age` ago, made before the service crashed (no frame
    written, no stored mark), as upload.claim makes it; returns the key it names."""
    key = keys.frame_key(camera, datetime.now(UTC) - age)
    claim(
        FrameStore(local_stack.s3_client(), local_stack.bucket), camera,
        secrets.key_id(cameras.secret(camera)), counter, hashlib.sha256(body).hexdigest(), key,
    )
    return key


def test_a_late_retry_completes_a_frame_the_crash_left_unwritten(
    client, cameras, frames, local_stack
):
    """The service crashed between claim and frame three days ago; the camera kept the frame on
    its card and retries now: the frame is written under the claimed key and the claim marked."""
    key = claimed_earlier(local_stack, cameras, "auth-crashed", FRAME, 4, timedelta(days=3))
    authorization = cameras.authorization("auth-crashed", FRAME, counter=4, age=3 * 86400)
    response = post(client, FRAME, authorization)
    assert response.status_code == 200, response.json_body
    assert response.json_body["key"] == key
    assert frames("auth-crashed") == [key]
    assert claim_of(local_stack, cameras, "auth-crashed", 4)["stored"] is True


def test_a_retry_marks_the_claim_of_a_frame_stored_before_a_crash(
    client, cameras, frames, local_stack
):
    """The frame was written but the service crashed before the mark: the retry marks it, so a
    later deletion is one on purpose."""
    key = claimed_earlier(local_stack, cameras, "auth-unmarked", FRAME, 1, timedelta(minutes=1))
    local_stack.s3_client().put_object(Bucket=local_stack.bucket, Key=key, Body=FRAME)
    response = post(client, FRAME, cameras.authorization("auth-unmarked", FRAME, counter=1))
    assert response.status_code == 200 and response.json_body["key"] == key
    assert claim_of(local_stack, cameras, "auth-unmarked", 1)["stored"] is True


def metric_keys(capsys, camera):
    """The keys of the FramesStored metric lines the service printed for camera."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if line.startswith('{"_aws"')]
    return [doc["key"] for doc in lines if doc[metrics.DIMENSION] == camera]


def test_a_retry_that_completes_a_frame_counts_it_for_the_silence_alarm(
    client, cameras, local_stack, capsys
):
    key = claimed_earlier(local_stack, cameras, "auth-counted", FRAME, 1, timedelta(minutes=1))
    capsys.readouterr()
    assert post(client, FRAME, cameras.authorization("auth-counted", FRAME, counter=1)).json_body[
        "key"] == key
    assert metric_keys(capsys, "auth-counted") == [key]
    post(client, FRAME, cameras.authorization("auth-counted", FRAME, counter=1))
    assert metric_keys(capsys, "auth-counted") == []  # a retry of a stored frame stores nothing


@pytest.mark.parametrize("forge", ["signature", "camera", "counter", "body", "secret"])
def test_forgeries_are_forbidden_and_store_nothing(client, cameras, frames, forge):
    camera = f"auth-forge-{forge}"
    good = cameras.authorization(camera, FRAME, counter=1)
    credential = upload.parse_authorization(good)
    header, body = good, FRAME
    if forge == "signature":
        header = good[:-1] + ("0" if good[-1] != "0" else "1")
    elif forge == "camera":
        cameras.secret(camera + "x")
        header = good.replace(f"Camera={camera}", f"Camera={camera}x")
    elif forge == "counter":
        header = good.replace("Counter=1,", "Counter=2,")
    elif forge == "body":
        body = OTHER
    else:
        header = upload.authorization(new_camera_secret(), camera, 1, FRAME)
    response = post(client, body, header)
    assert response.status_code == 403, credential
    assert response.json_body["Code"] == "Forbidden"
    assert frames(camera) == [] and frames(camera + "x") == []


def test_an_unknown_camera_is_forbidden(client, frames):
    header = upload.authorization(bytes(32), "auth-nobody", 1, FRAME)
    assert post(client, FRAME, header).status_code == 403
    assert frames("auth-nobody") == []


def test_a_viewer_cannot_write_and_a_camera_cannot_read(client, cameras):
    response = post(client, FRAME, cameras.viewer()["Authorization"])
    assert (response.status_code, response.json_body["Code"]) == (403, "Forbidden")
    camera_header = cameras.authorization("auth-reader", b"")
    for path in ("/frames", "/frames/latest"):
        assert client.http.get(path, headers={"Authorization": camera_header}).status_code == 403


@pytest.mark.parametrize("path", ["/frames", "/frames/latest"])
def test_reads_need_the_viewer_token(client, cameras, path):
    missing = client.http.get(path)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Basic ")
    assert client.http.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.http.get(path, headers=cameras.viewer()).status_code == 200
    token = cameras.viewer()["Authorization"].split()[1]
    import base64

    basic = "Basic " + base64.b64encode(f"viewer:{token}".encode()).decode()
    assert client.http.get(path, headers={"Authorization": basic}).status_code == 200


def test_health_stays_open(client):
    assert client.http.get("/health").status_code == 200


def test_rotation_retires_the_old_secret_and_starts_a_fresh_counter(client, cameras, local_stack):
    camera = "auth-rotate"
    assert post(client, FRAME, cameras.authorization(camera, FRAME, counter=500)).status_code == 201
    old_header = cameras.authorization(camera, OTHER, counter=501)
    FileSecrets(local_stack.secrets_file).set_camera(camera, new_camera_secret(), replace=True)
    assert post(client, OTHER, old_header).status_code == 403
    # after an EEPROM erase the camera counts from 1 again: fine with the new secret
    assert post(client, OTHER, cameras.authorization(camera, OTHER, counter=1)).status_code == 201


def test_secrets_unreadable_is_503_not_a_crash(client, monkeypatch, tmp_path, cameras):
    monkeypatch.setenv("SECRETS_FILE", str(tmp_path / "absent.json"))
    app.get_keys.cache_clear()
    response = post(client, FRAME, cameras.authorization("auth-a", FRAME))
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert json.loads(response.body)["Code"] == "SecretsUnavailable"


# The signed answer (chalicelib/protocol/answer.py): every answer to a known camera's upload.
ANSWER_KINDS = ["201 stored", "200 retry", "403 bad signature", "403 stale", "403 replayed",
                "413 too large", "422 not a JPEG", "503 storage down", "411 chunked",
                "415 media type"]


def answer_of(client, cameras, monkeypatch, kind):
    """Posts as camera answer-<status> so that the service answers `kind`; returns the response
    and the request's counter."""
    status, _, case = kind.partition(" ")
    camera, body, counter, headers = f"answer-{status}-{case.split()[0]}", FRAME, 5, {}
    if case == "retry":
        post(client, FRAME, cameras.authorization(camera, FRAME, counter=counter))
    elif case == "stale":
        post(client, FRAME, cameras.authorization(camera, FRAME, counter=counter + 1))
    elif case == "replayed":
        post(client, OTHER, cameras.authorization(camera, OTHER, counter=counter))
    elif case == "too large":
        monkeypatch.setenv("MAX_FRAME_BYTES", "100")
    elif case == "not a JPEG":
        body = b"not a picture"
    elif case == "storage down":
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
        app.get_store.cache_clear()
    elif case == "chunked":
        headers["Transfer-Encoding"] = "chunked"
    elif case == "media type":
        headers["Content-Type"] = "text/plain"
    authorization = cameras.authorization(camera, body, counter=counter)
    if case == "bad signature":
        authorization = authorization[:-1] + ("0" if authorization[-1] != "0" else "1")
    response = post(client, body, authorization, **headers)
    assert response.status_code == int(status), response.body
    return response, camera, counter


def answer_header(response) -> str | None:
    return {name.lower(): value for name, value in response.headers.items()}.get(
        answer.HEADER.lower())


@pytest.mark.parametrize("kind", ANSWER_KINDS)
def test_every_answer_to_a_known_camera_is_signed_for_its_request(
    client, cameras, monkeypatch, kind
):
    before = datetime.now(UTC).replace(microsecond=0)
    response, camera, counter = answer_of(client, cameras, monkeypatch, kind)
    signed = answer.verify_answer(cameras.secret(camera), camera, answer_header(response), counter)
    assert signed.status == response.status_code
    assert before <= signed.received <= datetime.now(UTC)
    if response.status_code in (200, 201):
        stored = json.loads(response.body)
        assert (signed.key, signed.sha256) == (stored["key"], stored["sha256"])
    else:
        assert (signed.key, signed.sha256) == (None, None)
    with pytest.raises(answer.ForgedAnswer):  # another camera's secret does not verify it
        answer.verify_answer(cameras.secret("answer-other"), camera, answer_header(response))


def test_an_answer_to_an_unknown_camera_or_no_credential_is_unsigned(client, cameras):
    """Nothing to sign with: no secret for the camera, or no camera named at all."""
    unknown = upload.authorization(bytes(32), "answer-nobody", 1, FRAME)
    malformed = cameras.authorization("answer-malformed", FRAME).replace("Counter=", "Count=")
    for authorization, status in [(unknown, 403), (None, 401), (malformed, 401),
                                  (cameras.viewer()["Authorization"], 403)]:
        response = post(client, FRAME, authorization)
        assert response.status_code == status
        assert answer_header(response) is None, authorization


def test_no_answer_is_signed_when_the_secrets_cannot_be_read(client, monkeypatch, tmp_path,
                                                           cameras):
    monkeypatch.setenv("SECRETS_FILE", str(tmp_path / "absent.json"))
    app.get_keys.cache_clear()
    response = post(client, FRAME, cameras.authorization("answer-nosecrets", FRAME))
    assert response.status_code == 503 and answer_header(response) is None
