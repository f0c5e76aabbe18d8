"""A signed camera upload to a stored frame: verify, claim the counter, store once; and the
signature on every answer to it.

The rules are the protocol's (chalicelib/protocol/upload.py, claims.py, answer.py); here they
meet storage and the secrets.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib import fleet, ingest, metrics
from chalicelib.keystore import KeyStore
from chalicelib.protocol import answer, claims, secrets, upload
from chalicelib.protocol.errors import ProtocolError
from chalicelib.storage import FrameStore


@dataclass(frozen=True)
class Claim:
    name: str  # the claim object
    key: str  # where the frame lives (or must be written)
    fresh: bool  # True: this request made the claim; False: a retry of an earlier request
    write: bool  # whether to write the frame: fresh, or a retry completing a crashed write
    marked: bool  # whether the claim already says its frame was stored


def claim(
    store: FrameStore, camera: str, key_id: str, counter: int, sha256: str, new_key: str
) -> Claim:
    """Claims the counter for this body, or finds the earlier claim of the same body."""
    name = claims.claim_key(camera, key_id, counter)
    lowest = store.first_key(
        claims.counter_space(camera, key_id), claims.lowest_from(camera, key_id, counter)
    )
    if claims.is_new(counter, name, lowest):
        if store.create(name, claims.claim_body(new_key, sha256)):
            return Claim(name, new_key, fresh=True, write=True, marked=False)
        # lost a race to another request with this counter: read its claim
    found = claims.claimed(counter, sha256, store.read(name))
    write = claims.write_again(counter, found, store.exists(found.key))
    return Claim(name, found.key, fresh=False, write=write, marked=found.stored)


def mark_stored(store: FrameStore, claimed: Claim, sha256: str) -> None:
    """Marks the claim once its frame is stored (claims.py): from now on a missing frame was
    deleted on purpose."""
    if not claimed.marked:
        store.replace(claimed.name, claims.claim_body(claimed.key, sha256, stored=True))


def receive(
    store: FrameStore, keys: KeyStore, authorization: str | None, body: bytes, max_bytes: int
) -> tuple[dict, int]:
    """Stores a signed frame once; returns (what the camera is told, 201 new or 200 retry).

    Every frame written, a retry's that completes one included, logs the FramesStored metric;
    every frame not yet marked stored updates the camera's status object (chalicelib/fleet.py).

    Raises auth errors (401/403) before anything is written, ingest errors (413/422) before the
    counter is claimed, and StorageUnavailable (503) when S3 fails; a retry after a 503 is safe
    (it writes the frame if it is missing, and marks the claim).
    """
    credential = upload.parse_authorization(authorization)
    secret = keys.camera_secret(credential.camera)
    body_sha256 = upload.verify(credential, secret, body)
    claimed = None

    def claim_for(new_key: str) -> tuple[str, bool]:
        nonlocal claimed
        claimed = claim(store, credential.camera, secrets.key_id(secret), credential.counter,
                        body_sha256, new_key)
        return claimed.key, claimed.write

    facts = ingest.ingest(store, body, credential.camera, max_bytes, claim=claim_for,
                          age=credential.age)
    if not claimed.marked:  # before the mark: a 503 here is retried, and the retry counts it
        fleet.record_frame(store, facts["camera"], facts["key"], facts.get("health"),
                           facts["received"])
    mark_stored(store, claimed, body_sha256)
    if claimed.write:
        metrics.record_frame_stored(facts["camera"], facts["key"])
    return facts, 201 if claimed.fresh else 200


def signed_answer(
    keys: KeyStore, authorization: str | None, received: datetime, status: int, body: object
) -> str | None:
    """The Stopmotion-Answer value of an answer (status, body: the stored frame's facts for a
    2xx) to a POST whose request arrived at received; None when there is nothing to sign with:
    the Authorization is no camera credential, the camera has no secret, or the secrets cannot
    be read (answer.py). A refusal of a known camera is signed too, a bad signature's included."""
    try:
        credential = upload.parse_authorization(authorization)
        secret = keys.camera_secret(credential.camera)
    except ProtocolError:
        return None
    if secret is None:
        return None
    stored = body if 200 <= status < 300 and isinstance(body, dict) else {}
    return answer.answer_value(secret, credential.camera, credential.counter, status,
                               stored.get("key"), stored.get("sha256"), received,
                               answered=datetime.now(UTC))
