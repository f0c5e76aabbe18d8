"""The frame ingest service: routes only; the work is done in chalicelib."""

import functools
import json
import os

from chalice import Chalice, Response

from chalicelib import auth, catalog, ingest, keystore, naming, preview, upload
from chalicelib.errors import IngestError, LengthRequired
from chalicelib.storage import FrameStore, make_client

app = Chalice(app_name="stopmotion-ingest")

FRAME_TYPES = ["image/jpeg", "application/octet-stream"]


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


def require_viewer() -> None:
    """Reads need the viewer token (401/403 otherwise); a camera credential cannot read."""
    auth.verify_viewer(app.current_request.headers.get("authorization"), get_keys().viewer_token())


def max_frame_bytes() -> int:
    return int(os.environ.get("MAX_FRAME_BYTES", ingest.DEFAULT_MAX_FRAME_BYTES))


@app.middleware("http")
def json_answers(event, get_response):
    """Every answer of the app: errors as JSON, and JSON ends with a newline (a shell prompt after
    curl starts on its own line). Chalice would serialise without one; this is the one place."""
    try:
        response = get_response(event)
    except IngestError as err:
        response = err.response()
    if response.status_code == 415:  # Chalice's own answer names only the type it refused
        response.body["Message"] += f"; send Content-Type {' or '.join(FRAME_TYPES)}"
    if not isinstance(response.body, str | bytes):
        response.body = json.dumps(response.body, separators=(",", ":")) + "\n"
        response.headers["Content-Type"] = "application/json"
    return response


def query(name: str) -> str | None:
    return (app.current_request.query_params or {}).get(name) or None


@app.route("/frames", methods=["POST"], content_types=FRAME_TYPES)
def post_frame():
    request = app.current_request
    if "transfer-encoding" in request.headers:  # chalice local hands the view no body then
        raise LengthRequired("send the frame with a Content-Length header, not chunked")
    stored, status = upload.receive(
        get_store(), get_keys(), request.headers.get("authorization"), request.raw_body,
        max_frame_bytes(),
    )
    return Response(body=stored, status_code=status)


@app.route("/frames", methods=["GET"])
def list_frames():
    require_viewer()
    camera, since, until, limit = query("camera"), query("since"), query("until"), query("limit")
    return catalog.list_frames(
        get_store(),
        camera=naming.camera_id(camera, "camera") if camera else None,
        since=naming.parse_time(since, "since") if since else None,
        until=naming.parse_time(until, "until") if until else None,
        limit=catalog.parse_limit(limit) if limit else 100,
        cursor=query("cursor"),
    )


@app.route("/frames/latest", methods=["GET"])
def latest_frames():
    require_viewer()
    camera = query("camera")
    return catalog.latest(get_store(), naming.camera_id(camera, "camera") if camera else None)


@app.route("/preview", methods=["GET"])
def preview_page():
    require_viewer()
    return Response(body=preview.PAGE, headers={"Content-Type": "text/html; charset=utf-8"})


@app.route("/preview/frames", methods=["GET"])
def preview_frames():
    store = get_store()  # its client signs the links: no second S3 client per container
    return preview.with_links(store.client, store.bucket, list_frames())


@app.route("/preview/latest", methods=["GET"])
def preview_latest():
    store = get_store()
    return preview.with_links(store.client, store.bucket, latest_frames())


@app.route("/health", methods=["GET"])
def health():
    store = get_store()
    store.check()
    return {"status": "ok", "bucket": store.bucket}
