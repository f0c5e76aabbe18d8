"""The preview page (a card per camera, a player for one camera's frames) and its image links.

The page is one static HTML file (preview.html, next to this module); it reads /preview/cameras
and /preview/frames, which are GET /cameras and GET /frames with a short-lived presigned GET link
added to each frame, so the browser fetches images straight from S3 (or from the local S3 server:
the links follow AWS_ENDPOINT_URL_S3); /preview/frame, one frame's facts with a link to view it and
one to download it; and /preview/zip, the range's frames as one zip (chalicelib/archive.py).
"""

from pathlib import Path
from typing import Any

from chalicelib.ingest import facts_from_metadata
from chalicelib.protocol import keys
from chalicelib.protocol.errors import BadRequest, NotFound
from chalicelib.protocol.fleet import parse_health
from chalicelib.storage import FrameStore

LINK_SECONDS = 600  # the page reloads its listing before links expire
PAGE = (Path(__file__).parent / "preview.html").read_text(encoding="utf-8")


def with_links(s3: Any, bucket: str, listing: dict, seconds: int = LINK_SECONDS) -> dict:
    """The listing ({"frames": [{"key", ...}], ...}) with a presigned "url" on every frame.

    Signing is local computation (no request to S3), so a page of frames costs no round trips."""
    for entry in listing["frames"]:
        entry["url"] = link(s3, bucket, entry["key"], seconds)
    listing["expires_in"] = seconds
    return listing


def link(s3: Any, bucket: str, key: str, seconds: int = LINK_SECONDS,
         download_as: str | None = None) -> str:
    """A presigned GET of the object; with download_as, S3 answers it as an attachment of that
    name (the `download` attribute alone is ignored for another origin, as S3 is the page's)."""
    params = {"Bucket": bucket, "Key": key}
    if download_as:
        params["ResponseContentDisposition"] = f'attachment; filename="{download_as}"'
    return s3.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)


def frame(store: FrameStore, key: str, seconds: int = LINK_SECONDS) -> dict:
    """One frame's facts (what its upload was told, from the object's metadata: one HEAD), its
    health report as {name: value}, a link to view it and one to download it."""
    name = keys.parse_key(key)
    if name is None:
        raise BadRequest("key must be a frame key as GET /frames lists it, e.g. "
                         "frames/<camera>/2026/11/24/20261124T062345.259Z-3f9d5ed8.jpg")
    head = store.head(key)
    if head is None:
        raise NotFound(f"no frame {key}: it was deleted, or the key is mistyped")
    facts = facts_from_metadata(head.get("Metadata") or {})
    facts.update(key=key, camera=name.camera, captured=keys.iso(name.time),
                 bytes=head["ContentLength"], health=parse_health(facts["health"]))
    download_as = f"{name.camera}-{key.rsplit('/', 1)[1]}"
    facts["url"] = link(store.client, store.bucket, key, seconds)
    facts["download"] = link(store.client, store.bucket, key, seconds, download_as)
    facts["expires_in"] = seconds
    return facts
