"""The frames bucket: puts, finds and lists frames. Any S3 failure becomes StorageUnavailable."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.errors import StorageUnavailable
from chalicelib.parts import PartsReader


def make_client() -> Any:
    """An S3 client bound by aws.CONFIG; SigV4 for the preview's presigned links too (newer
    buckets refuse the older scheme)."""
    return aws.client("s3", signature_version="s3v4")


@contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    try:
        yield
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "unknown")
        raise StorageUnavailable(f"storage refused to {action} ({code})") from err
    except BotoCoreError as err:
        raise StorageUnavailable(f"storage unreachable, could not {action}") from err


class FrameStore:
    """Puts, finds and lists frame objects in one bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, parts: Sequence[bytes | memoryview], metadata: dict[str, str]) -> None:
        """Stores the parts as one object in a single PUT: it exists whole or not at all."""
        body = parts[0] if len(parts) == 1 and isinstance(parts[0], bytes) else PartsReader(parts)
        with _storage_errors("store the frame"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="image/jpeg",
                Metadata=metadata,
            )

    def exists(self, key: str) -> bool:
        """Whether the object is there (a claimed frame may not be: a crash between the two)."""
        with _storage_errors("check a frame"):
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                    return False
                raise
        return True

    def check(self) -> None:
        """Raises StorageUnavailable unless the bucket answers."""
        with _storage_errors("reach the bucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def keys(self, prefix: str, start_after: str = "", page_size: int = 1000) -> Iterator[dict]:
        """Yields {"Key", "Size", ...} for each object under prefix after start_after, in order."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=prefix,
            StartAfter=start_after,
            PaginationConfig={"PageSize": page_size},
        )
        with _storage_errors("list frames"):
            for page in pages:
                yield from page.get("Contents", [])

    def folders(self, prefix: str) -> list[str]:
        """The "folders" (common prefixes ending in /) right under prefix, sorted."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        )
        with _storage_errors("list frames"):
            return sorted(p["Prefix"] for page in pages for p in page.get("CommonPrefixes", []))
