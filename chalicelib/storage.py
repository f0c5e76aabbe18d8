"""The frames bucket, the one class that calls S3: frames and claims are put, read and listed
here, and any S3 failure becomes the protocol's StorageUnavailable (aws.unavailable)."""

from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.parts import PartsReader

MISSING = ("NoSuchKey", "404", "NotFound")
ALREADY_THERE = ("PreconditionFailed", "412", "ConditionalRequestConflict")


def make_client() -> Any:
    """An S3 client bound by aws.CONFIG; SigV4 for the preview's presigned links too (newer
    buckets refuse the older scheme)."""
    return aws.client("s3", signature_version="s3v4")


# A claim is created with If-None-Match: * so two racing writers cannot both win on S3 (servers
# that ignore the condition, like rclone, still get the sequential-retry guarantee); its stored
# mark then overwrites it (claims.py), so the condition goes on the create alone: _CREATING names
# the key create() is writing. The header is added through botocore's event hooks, not
# put_object's IfNoneMatch parameter: botocore only learned that parameter in 2024, the SDK
# bundled with the Lambda runtime may be older, and an unknown parameter would turn every upload
# into a 503.
_CREATING: ContextVar[str | None] = ContextVar("creating", default=None)


def _mark_create_only(params, context, **_) -> None:
    if params.get("Key") is not None and params.get("Key") == _CREATING.get():
        context["create_only"] = True


def _add_if_none_match(params, context, **_) -> None:
    if context.get("create_only"):
        params["headers"]["If-None-Match"] = "*"


class FrameStore:
    """Puts, finds and lists frame and claim objects in one bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        # Idempotent: a unique_id registers each hook once per client, however many stores.
        events = client.meta.events
        events.register("before-parameter-build.s3.PutObject", _mark_create_only, "claims-mark")
        events.register("before-call.s3.PutObject", _add_if_none_match, "claims-if-none-match")

    def put(self, key: str, parts: Sequence[bytes | memoryview], metadata: dict[str, str]) -> None:
        """Stores the parts as one object in a single PUT: it exists whole or not at all."""
        body = parts[0] if len(parts) == 1 and isinstance(parts[0], bytes) else PartsReader(parts)
        with aws.unavailable("store the frame"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="image/jpeg",
                Metadata=metadata,
            )

    def exists(self, key: str) -> bool:
        """Whether the object is there (a claimed frame may not be: a crash between the two)."""
        with aws.unavailable("check a frame"):
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as err:
                if aws.error_code(err) in MISSING:
                    return False
                raise
        return True

    def head(self, key: str) -> dict | None:
        """The object's HEAD answer (ContentLength, Metadata, ...), or None when there is none."""
        with aws.unavailable("read a frame's metadata"):
            try:
                return self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as err:
                if aws.error_code(err) in MISSING:
                    return None
                raise

    def read(self, key: str, action: str = "read a claim") -> bytes | None:
        """The object's bytes, or None when there is none."""
        with aws.unavailable(action):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except ClientError as err:
                if aws.error_code(err) in MISSING:
                    return None
                raise

    def create(self, key: str, body: bytes) -> bool:
        """Writes a claim unless it exists; False if a server that honours If-None-Match said it
        does."""
        creating = _CREATING.set(key)  # create-only: the hooks above add If-None-Match: *
        with aws.unavailable("claim the counter"):
            try:
                self._put_claim(key, body)
            except ClientError as err:
                if aws.error_code(err) in ALREADY_THERE:
                    return False
                raise
            finally:
                _CREATING.reset(creating)
        return True

    def replace(self, key: str, body: bytes) -> None:
        """Overwrites a claim (with its stored mark)."""
        with aws.unavailable("mark the claim"):
            self._put_claim(key, body)

    def write(self, key: str, body: bytes, action: str) -> None:
        """Puts a small JSON object (a camera's status, the alarm's state)."""
        with aws.unavailable(action):
            self._put_claim(key, body)

    def _put_claim(self, key: str, body: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/json"
        )

    def first_key(self, prefix: str, start_after: str) -> str | None:
        """The first key under prefix after start_after, or None: one LIST of one key."""
        with aws.unavailable("check the counter"):
            listing = self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=prefix, StartAfter=start_after, MaxKeys=1
            )
        contents = listing.get("Contents") or []
        return contents[0]["Key"] if contents else None

    def check(self) -> None:
        """Raises StorageUnavailable unless the bucket answers."""
        with aws.unavailable("reach the bucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def keys(self, prefix: str, start_after: str = "", page_size: int = 1000) -> Iterator[dict]:
        """Yields {"Key", "Size", ...} for each object under prefix after start_after, in order."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=prefix,
            StartAfter=start_after,
            PaginationConfig={"PageSize": page_size},
        )
        with aws.unavailable("list frames"):
            yield from (entry for page in pages for entry in page.get("Contents", []))

    def folders(self, prefix: str) -> list[str]:
        """The "folders" (common prefixes ending in /) right under prefix, sorted."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        )
        with aws.unavailable("list frames"):
            return sorted(p["Prefix"] for page in pages for p in page.get("CommonPrefixes", []))
