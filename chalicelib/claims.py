"""Replay protection and idempotent retries: one claim object per (camera, key, counter).

Before a frame is written, the service writes
    claims/<camera>/<key id>/<counter as 10 digits>  ->  {"key": <frame key>, "sha256": <body hash>}
(the key id names the camera's current secret, so a rotated secret starts a fresh counter space).
- no claim for this counter and none higher: claim it, store the frame under the new key;
- a claim with the same body hash: a retry whose answer was lost; answer with the claimed key;
- a claim with another body hash: Replayed;   no claim but a higher one exists: Stale.
The claim is written with If-None-Match: * so two racing writers cannot both win on S3 (servers that
ignore the condition, like rclone, still get the sequential-retry guarantee). The header is added
through botocore's event hooks, not put_object's IfNoneMatch parameter: botocore only learned that
parameter in 2024, the SDK bundled with the Lambda runtime may be older, and an unknown parameter
would turn every upload into a 503.
"""

import json
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import naming
from chalicelib.auth import Replayed, Stale
from chalicelib.errors import StorageUnavailable

PREFIX = "claims"


@dataclass(frozen=True)
class Claim:
    key: str  # where the frame lives (or must be written)
    fresh: bool  # True: this request made the claim; False: a retry of an earlier request


def claim_key(camera: str, key_id: str, counter: int) -> str:
    return f"{PREFIX}/{camera}/{key_id}/{counter:010d}"


def _frame_key(key: object) -> bool:
    return isinstance(key, str) and naming.parse_key(key) is not None


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _mark_create_only(params, context, **_) -> None:
    if str(params.get("Key", "")).startswith(PREFIX + "/"):
        context["create_only"] = True


def _add_if_none_match(params, context, **_) -> None:
    if context.get("create_only"):
        params["headers"]["If-None-Match"] = "*"


class Claims:
    def __init__(self, s3, bucket: str):
        self.s3, self.bucket = s3, bucket
        # Idempotent: a unique_id registers each hook once per client, however many Claims.
        events = s3.meta.events
        events.register("before-parameter-build.s3.PutObject", _mark_create_only, "claims-mark")
        events.register("before-call.s3.PutObject", _add_if_none_match, "claims-if-none-match")

    def claim(self, camera: str, key_id: str, counter: int, sha256: str, new_key: str) -> Claim:
        """Claims the counter for this body, or returns the earlier claim of the same body."""
        name = claim_key(camera, key_id, counter)
        try:
            lowest = self._lowest_claim_from(camera, key_id, counter)  # this one or a higher one
            earlier = self._read(name) if lowest == name else None
            if earlier is None:
                if lowest not in (None, name):
                    raise Stale(f"counter {counter} is older than one this camera already used")
                if self._create(name, {"key": new_key, "sha256": sha256}):
                    return Claim(new_key, fresh=True)
                earlier = self._read(name)  # lost a race to another request with this counter
        except (BotoCoreError, ClientError) as err:
            raise StorageUnavailable(f"claim store unavailable: {type(err).__name__}") from None
        if earlier is None or earlier.get("sha256") != sha256 or not _frame_key(earlier.get("key")):
            raise Replayed(f"counter {counter} was already used for another frame")
        return Claim(str(earlier["key"]), fresh=False)

    def _read(self, name: str) -> dict | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except ClientError as err:
            if _code(err) in ("NoSuchKey", "404"):
                return None
            raise
        try:
            data = json.loads(body)
        except ValueError:
            return {}  # unreadable claim: treat as someone else's
        return data if isinstance(data, dict) else {}

    def _lowest_claim_from(self, camera: str, key_id: str, counter: int) -> str | None:
        """The first claim at or above counter: one LIST tells a new counter from a used or a
        stale one, so a new frame costs no GET of a claim that is not there."""
        prefix = f"{PREFIX}/{camera}/{key_id}/"
        before = claim_key(camera, key_id, counter - 1) if counter else prefix
        listing = self.s3.list_objects_v2(
            Bucket=self.bucket, Prefix=prefix, StartAfter=before, MaxKeys=1
        )
        contents = listing.get("Contents") or []
        return contents[0]["Key"] if contents else None

    def _create(self, name: str, claim: dict) -> bool:
        """False if the object already exists (a server that honours If-None-Match said so)."""
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=json.dumps(claim).encode(),
                ContentType="application/json",
            )  # create-only: the hooks above add If-None-Match: *
        except ClientError as err:
            if _code(err) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise
        return True
