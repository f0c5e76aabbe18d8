"""The frame ingest service: routes only; the work is done in chalicelib.

This is the only module that knows Chalice: it answers the protocol's errors
(chalicelib/protocol/errors.py) as HTTP, JSON bodies like Chalice's own.
"""

import functools
import json
import logging
import os

from chalice import Chalice, Rate, Response

from chalicelib import archive, aws, catalog, clock, fleet, ingest, keystore, preview
from chalicelib.protocol import answer, keys, upload, viewer
from chalicelib.protocol.errors import BadRequest, LengthRequired, ProtocolError
from chalicelib.storage import FrameStore, make_client
from chalicelib.upload import receive, signed_answer

app = Chalice(app_name="stopmotion-ingest")
if archive.CONTENT_TYPE not in app.api.binary_types:  # Chalice's defaults hold it today
    app.api.binary_types.append(archive.CONTENT_TYPE)
log = logging.getLogger(__name__)


@functools.cache
def get_store() -> FrameStore:
    """The bucket's store, built once per Lambda container from the environment."""
    bucket = os.environ.get("FRAMES_BUCKET")
    if not bucket:
        raise RuntimeError("FRAMES_BUCKET is not set (see .chalice/config.json)")
    return FrameStore(make_client(), bucket)


@functools.cache
def get_keys() -> keystore.KeyStore:
    """Camera secrets and the viewer token (SSM or the local file), cached per container."""
    return keystore.from_env()


def error_response(err: ProtocolError, method: str) -> Response:
    """The protocol error as a JSON answer: its status, Retry-After when it passes, and for a
    401 the credential to send (the camera's on its upload, the viewer's on reads)."""
    if err.status >= 500:  # our side failed: keep the cause for whoever reads the logs
        log.error("%s: %s (cause: %r)", type(err).__name__, err, err.__cause__)
    headers = {"Retry-After": str(err.retry_after)} if err.retry_after else {}
    if err.status == 401:
        headers["WWW-Authenticate"] = upload.CHALLENGE if method == upload.METHOD else (
            viewer.CHALLENGE)
    body = {"Code": type(err).__name__, "Message": str(err)}
    return Response(body=body, status_code=err.status, headers=headers)


def route(path: str, **options):
    """app.route, whose view answers the protocol's errors; the bare view stays callable (the
    preview's views call the listing's)."""

    def register(view):
        @functools.wraps(view)
        def answering(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ProtocolError as err:
                return error_response(err, app.current_request.method)

        app.route(path, **options)(answering)
        return view

    return register


@app.middleware("http")
def json_answers(event, get_response):
    """Every answer of the app: JSON ends with a newline (a shell prompt after curl starts on its
    own line). Chalice would serialise without one; this is the one place. Every answer to a
    camera's upload, Chalice's own 415 included, is signed for the camera when it can be."""
    received = clock.now()
    response = get_response(event)
    if response.status_code == 415:  # Chalice's own answer names only the type it refused
        response.body["Message"] += f"; send Content-Type {' or '.join(upload.CONTENT_TYPES)}"
    if event.method == upload.METHOD and event.path == upload.ROUTE:
        frame = bool(event.raw_body) or "transfer-encoding" in event.headers  # else a hello
        signed = signed_answer(get_keys(), event.headers.get("authorization"), received,
                               response.status_code, response.body, frame)
        if signed:
            response.headers[answer.HEADER] = signed
    if not isinstance(response.body, str | bytes):
        response.body = json.dumps(response.body, separators=(",", ":")) + "\n"
        response.headers["Content-Type"] = "application/json"
    return response


def require_viewer() -> None:
    """Reads need the viewer token (401/403 otherwise); a camera credential cannot read."""
    viewer.verify(app.current_request.headers.get("authorization"), get_keys().viewer_token())


def max_frame_bytes() -> int:
    return int(os.environ.get("MAX_FRAME_BYTES", ingest.DEFAULT_MAX_FRAME_BYTES))


def max_zip_bytes() -> int:
    return int(os.environ.get("MAX_ZIP_BYTES", archive.DEFAULT_MAX_ZIP_BYTES))


def query(name: str) -> str | None:
    return (app.current_request.query_params or {}).get(name) or None


def header_values(name: str) -> list[str]:
    """Every value of the request's header `name`: API Gateway's REST event lists a repeated
    header's values in multiValueHeaders (its `headers` keeps the last one); chalice local has no
    such list and passes the first value alone, so there a repeat cannot be seen."""
    request = app.current_request
    repeated = request.to_original_event().get("multiValueHeaders") or {}
    found = [value for key, values in repeated.items() if key.lower() == name.lower()
             for value in values or ()]
    if found:
        return found
    value = request.headers.get(name.lower())
    return [] if value is None else [value]


@route(upload.ROUTE, methods=[upload.METHOD], content_types=list(upload.CONTENT_TYPES))
def post_frame():
    request = app.current_request
    if "transfer-encoding" in request.headers:  # chalice local hands the view no body then
        raise LengthRequired("send the frame with a Content-Length header, not chunked")
    health = upload.one_health(header_values(upload.HEALTH_HEADER))
    stored, status = receive(
        get_store(), get_keys(), request.headers.get("authorization"), request.raw_body,
        max_frame_bytes(), health,
    )
    return Response(body=stored, status_code=status)


@route("/frames", methods=["GET"])
def list_frames():
    require_viewer()
    camera, since, until, limit = query("camera"), query("since"), query("until"), query("limit")
    return catalog.list_frames(
        get_store(),
        camera=keys.camera_id(camera, "camera") if camera else None,
        since=keys.parse_time(since, "since") if since else None,
        until=keys.parse_time(until, "until") if until else None,
        limit=catalog.parse_limit(limit) if limit else 100,
        cursor=query("cursor"),
    )


@route("/frames/latest", methods=["GET"])
def latest_frames():
    require_viewer()
    camera = query("camera")
    return catalog.latest(get_store(), keys.camera_id(camera, "camera") if camera else None)


@route("/preview", methods=["GET"])
def preview_page():
    require_viewer()
    return Response(body=preview.PAGE, headers={"Content-Type": "text/html; charset=utf-8"})


@route("/preview/frames", methods=["GET"])
def preview_frames():
    store = get_store()  # its client signs the links: no second S3 client per container
    return preview.with_links(store.client, store.bucket, list_frames())


@route("/preview/latest", methods=["GET"])
def preview_latest():
    store = get_store()
    return preview.with_links(store.client, store.bucket, latest_frames())


@route("/preview/frame", methods=["GET"])
def preview_frame():
    """One frame's facts (size, repairs, health...) with a link to view and one to download it."""
    require_viewer()
    key = query("key")
    if not key:
        raise BadRequest("give the frame's key: /preview/frame?key=<a key GET /frames listed>")
    return preview.frame(get_store(), key)


@route("/preview/zip", methods=["GET"])
def preview_zip():
    """One camera's frames with since <= time < until as a zip (capped: chalicelib/archive.py).
    A binary answer: send Accept: application/zip (API Gateway decodes it only then)."""
    require_viewer()
    camera, since, until = query("camera"), query("since"), query("until")
    if not camera:
        raise BadRequest("give the camera: /preview/zip?camera=<id>&since=<ISO time>&until=<ISO "
                         "time>")
    name, body = archive.build(
        get_store(), keys.camera_id(camera, "camera"),
        keys.parse_time(since, "since") if since else None,
        keys.parse_time(until, "until") if until else None,
        max_zip_bytes(),
    )
    return Response(body=body, headers={
        "Content-Type": archive.CONTENT_TYPE,
        "Content-Disposition": f'attachment; filename="{name}"',
    })


@route("/cameras", methods=["GET"])
def list_cameras():
    """Every camera: its last frame, frames today and in all, missed frames, health, trouble."""
    require_viewer()
    found = fleet.check(get_store(), get_keys().get(), fleet.now())
    return {"cameras": [report.as_dict() for report in found]}


@route("/preview/cameras", methods=["GET"])
def preview_cameras():
    """GET /cameras with a presigned link ("url") to each camera's last frame."""
    store = get_store()
    listing = list_cameras()
    frames = [camera["last_frame"] for camera in listing["cameras"] if camera["last_frame"]]
    links = preview.with_links(store.client, store.bucket, {"frames": frames})
    listing["expires_in"] = links["expires_in"]
    return listing


def publish_alarm(subject: str, text: str) -> None:
    """The alarm to the SNS topic in ALARM_TOPIC_ARN (the deploy sets it: the front door's
    AlarmTopic); without one it is logged only."""
    topic = os.environ.get("ALARM_TOPIC_ARN")
    if not topic:
        log.warning("no ALARM_TOPIC_ARN, the alarm is only logged: %s\n%s", subject, text)
        return
    aws.client("sns").publish(TopicArn=topic, Subject=subject, Message=text)


@app.schedule(Rate(1, unit=Rate.HOURS))
def check_fleet(event):
    """Hourly: every camera's missed frames and hours since its last frame as metrics, and one
    alarm when the cameras in trouble change (chalicelib/fleet.py)."""
    done = fleet.run_check(get_store(), get_keys().get(), fleet.now(), publish_alarm)
    log.info("fleet check: %d cameras, %d in trouble, alarm %s", done["cameras"],
             len(done["troubled"]), "sent" if done["published"] else "unchanged")
    return done


@route("/health", methods=["GET"])
def health():
    store = get_store()
    store.check()
    return {"status": "ok", "bucket": store.bucket}
