"""A signed camera upload to a stored frame: verify, claim the counter, store once."""

from datetime import timedelta

from chalicelib import auth, ingest, metrics, naming
from chalicelib.claims import Claims
from chalicelib.keystore import KeyStore
from chalicelib.storage import FrameStore

PATH = "/frames"  # the route the camera signs (the API stage and CloudFront add no prefix here)
# How long after its claim a missing frame may still be written by a retry of its upload: the
# firmware starts no retry later than CONFIG_RETRY_BUDGET_S (30 min) after the first attempt, and
# 5 min more covers that attempt's send and answer. A frame missing past this was deleted on
# purpose (by its owner or the retention rule), and a replay of its upload must not restore it.
RETRY_HORIZON = timedelta(minutes=35)


def receive(
    store: FrameStore, keys: KeyStore, authorization: str | None, body: bytes, max_bytes: int
) -> tuple[dict, int]:
    """Stores a signed frame once; returns (what the camera is told, 201 new or 200 retry).

    Every frame written, a retry's that completes one included, logs the FramesStored metric.

    Raises auth errors (401/403) before anything is written, ingest errors (413/422) before the
    counter is claimed, and StorageUnavailable (503) when S3 fails; a retry after a 503 is safe.
    """
    credential = auth.parse_camera(authorization)
    secret = keys.camera_secret(credential.camera)
    body_sha256 = auth.verify_camera(credential, secret, "POST", PATH, body)
    claims = Claims(store.client, store.bucket)
    fresh = written = True

    def claim(new_key: str) -> tuple[str, bool]:
        nonlocal fresh, written
        claimed = claims.claim(
            credential.camera, auth.key_id(secret), credential.counter, body_sha256, new_key
        )
        fresh = claimed.fresh
        if fresh or store.exists(claimed.key):
            written = fresh
            return claimed.key, fresh
        # The frame the claim names is missing: a crash between claim and frame, or a deletion.
        if naming.parse_key(new_key).time - naming.parse_key(claimed.key).time > RETRY_HORIZON:
            raise auth.Replayed(
                f"counter {credential.counter} was used for a frame that has since been deleted"
            )
        return claimed.key, True

    facts = ingest.ingest(store, body, credential.camera, max_bytes, claim=claim)
    if written:
        metrics.record_frame_stored(facts["camera"], facts["key"])
    return facts, 201 if fresh else 200
