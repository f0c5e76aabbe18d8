"""A signed camera upload to a stored frame: verify, claim the counter, store once; a hello (the
same request without a body) answered with the camera's schedule; the camera's health kept; and the
signature on every answer, with the camera's next capture in it.

The rules are the protocol's (chalicelib/protocol/upload.py, claims.py, answer.py); here they
meet storage and the secrets.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import clock, fleet, ingest, metrics
from chalicelib.keystore import KeyStore
from chalicelib.protocol import answer, claims, keys, schedule, secrets, upload
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
    store: FrameStore,
    keys_: KeyStore,
    authorization: str | None,
    body: bytes,
    max_bytes: int,
    health: str | None = None,
) -> tuple[dict, int]:
    """Stores a signed frame once; returns (what the camera is told, 201 new or 200 retry). An
    empty body is a hello: verified, no counter claimed and no frame stored, 200 with the camera's
    next capture.

    Every frame written, a retry's that completes one included, logs the FramesStored metric;
    every verified request with a Stopmotion-Health header logs the camera's health, and a stored
    frame keeps it in its metadata.
    Every frame not yet marked stored updates the camera's status object (chalicelib/fleet.py), and
    so does a hello's health (its report alone; a 503 when S3 fails, as for a frame).

    Raises auth errors (401/403) and MalformedHealth (400) before anything is written, ingest
    errors (413/422) before the counter is claimed, and StorageUnavailable (503) when S3 fails; a
    retry after a 503 is safe (it writes the frame if it is missing, and marks the claim).
    """
    credential = upload.parse_authorization(authorization)
    fields = upload.parse_health(health)
    secret = keys_.camera_secret(credential.camera)
    body_sha256 = upload.verify(credential, secret, body, health=health)
    if fields:
        metrics.record_health(credential.camera, health, fields)
    if not body:
        if fields:
            fleet.record_health(store, credential.camera, health, keys.iso(clock.now()),
                                secrets.key_id(secret), credential.counter)
        return hello(keys_, credential.camera), 200
    claimed = None

    def claim_for(new_key: str) -> tuple[str, bool]:
        nonlocal claimed
        claimed = claim(store, credential.camera, secrets.key_id(secret), credential.counter,
                        body_sha256, new_key)
        return claimed.key, claimed.write

    facts = ingest.ingest(store, body, credential.camera, max_bytes, claim=claim_for,
                          age=credential.age, health=health)
    if not claimed.marked:  # before the mark: a 503 here is retried, and the retry counts it
        fleet.record_frame(store, facts["camera"], facts["key"], health,
                           facts["received"])
    mark_stored(store, claimed, body_sha256)
    if claimed.write:
        metrics.record_frame_stored(facts["camera"], facts["key"])
    return facts, 201 if claimed.fresh else 200


def hello(keys_: KeyStore, camera: str) -> dict:
    """What a camera's hello is told besides the signed answer: its next capture (the rule of
    schedule.next_capture, for a request without a frame) and its schedule."""
    chosen = keys_.camera_schedule(camera)
    upcoming = schedule.next_capture(chosen, clock.now())
    return {"camera": camera, "next": keys.iso(upcoming) if upcoming else None,
            "schedule": str(chosen)}


def signed_answer(
    keys_: KeyStore,
    authorization: str | None,
    received: datetime,
    status: int,
    body: object,
    frame: bool = True,
) -> str | None:
    """The Stopmotion-Answer value of an answer (status, body: the stored frame's facts for a
    2xx) to a POST whose request arrived at received; frame: whether it carried one (False: a
    hello), which decides the camera's next capture (schedule.next_capture, from the frame's
    capture: received minus its Age). None when there is nothing to sign with: the Authorization
    is no camera credential, the camera has no secret, or the secrets cannot be read (answer.py).
    A refusal of a known camera is signed too, a bad signature's included."""
    try:
        credential = upload.parse_authorization(authorization)
        secret = keys_.camera_secret(credential.camera)
        chosen = keys_.camera_schedule(credential.camera)
    except ProtocolError:
        return None
    if secret is None:
        return None
    answered = clock.now().replace(microsecond=0)  # the answer's Time, which Next counts from
    captured = received - timedelta(seconds=credential.age) if frame else None
    next_s = schedule.seconds_until_next(chosen, answered, captured)
    stored = body if 200 <= status < 300 and isinstance(body, dict) else {}
    return answer.answer_value(secret, credential.camera, credential.counter, status,
                               stored.get("key"), stored.get("sha256"), received,
                               answered=answered, next_s=next_s)
