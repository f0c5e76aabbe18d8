"""The preview page (latest frame per camera, a timeline, stop-motion playback) and its image links.

The page is one static HTML file (preview.html, next to this module); it reads /preview/latest and
/preview/frames, which are GET /frames/latest and GET /frames with a short-lived presigned GET link
added to each frame, so the browser fetches images straight from S3 (or from the local S3 server:
the links follow AWS_ENDPOINT_URL_S3).
"""

from pathlib import Path
from typing import Any

LINK_SECONDS = 600  # the page reloads its listing before links expire
PAGE = (Path(__file__).parent / "preview.html").read_text(encoding="utf-8")


def with_links(s3: Any, bucket: str, listing: dict, seconds: int = LINK_SECONDS) -> dict:
    """The listing ({"frames": [{"key", ...}], ...}) with a presigned "url" on every frame.

    Signing is local computation (no request to S3), so a page of frames costs no round trips."""
    for frame in listing["frames"]:
        frame["url"] = s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": frame["key"]}, ExpiresIn=seconds
        )
    listing["expires_in"] = seconds
    return listing
