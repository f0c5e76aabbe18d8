"""Replay protection and idempotent retries: one claim object per (camera, key id, counter).

Before a frame is written, the service writes
    claims/<camera>/<key id>/<counter as 10 digits>  ->  {"key": <frame key>, "sha256": <body hash>}
(the key id names the camera's current secret, so a rotated secret starts a fresh counter space),
and once the frame is stored it overwrites the claim with the same content plus "stored": true.
The mark tells a frame that was never written (a crash between claim and frame) from one deleted
on purpose (by its owner or the retention rule), however late the retry comes: a camera keeps an
unacknowledged frame for days. The rules below decide from what storage returned; they make no
storage call themselves:
- fresh: no claim for this counter and none higher: claim it, store the frame under the new key;
- stale: no claim for this counter, but a higher one: Stale;
- retry: a claim with the same body hash: answer with the claimed key, marking the claim when it
  is not yet; write the frame again only if it is missing and the claim is not marked stored (a
  crash between claim and frame); missing with the mark, it was deleted on purpose: Replayed, so
  a replay of its upload does not restore it;
- replayed: a claim with another body hash (or an unreadable one): Replayed.
A crash between the frame and the mark leaves the frame and an unmarked claim: the next retry of
that upload marks it.
"""

import json
from dataclasses import dataclass

from chalicelib.protocol import keys
from chalicelib.protocol.errors import Replayed, Stale

PREFIX = "claims/"


@dataclass(frozen=True)
class Claimed:
    """What an existing claim says."""

    key: str  # the frame the counter was claimed for
    stored: bool  # marked: the frame was written once (missing now: deleted on purpose)


def counter_space(camera: str, key_id: str) -> str:
    """The prefix of every claim of one camera under one secret."""
    return f"{PREFIX}{camera}/{key_id}/"


def claim_key(camera: str, key_id: str, counter: int) -> str:
    """The claim of one counter; zero-padded so that counters sort as numbers."""
    return f"{counter_space(camera, key_id)}{counter:010d}"


def lowest_from(camera: str, key_id: str, counter: int) -> str:
    """Where the listing starts (after) whose first key is the lowest claim at or above counter:
    one LIST tells a new counter from a used or a stale one."""
    space = counter_space(camera, key_id)
    return claim_key(camera, key_id, counter - 1) if counter else space


def claim_body(frame_key: str, sha256: str, stored: bool = False) -> bytes:
    """The claim's bytes; stored: with the mark written once the frame is."""
    return json.dumps({"key": frame_key, "sha256": sha256, **({"stored": True} if stored else {})}
                      ).encode()


def is_new(counter: int, claim: str, lowest: str | None) -> bool:
    """Given the lowest claim at or above counter (None: there is none), whether the counter is
    new (True: create its claim) or claimed (False: read the claim); Stale when only higher ones
    are."""
    if lowest is None:
        return True
    if lowest == claim:
        return False
    raise Stale(f"counter {counter} is older than one this camera already used")


def claimed(counter: int, sha256: str, claim: bytes | None) -> Claimed:
    """What an existing claim (its bytes; None: gone) gives a request with this body's hash;
    Replayed when the claim is of another body, unreadable or names no frame."""
    try:
        data = json.loads(claim) if claim is not None else None
    except ValueError:
        data = None
    if (
        not isinstance(data, dict)
        or data.get("sha256") != sha256
        or not isinstance(data.get("key"), str)
        or keys.parse_key(data["key"]) is None
        or not isinstance(data.get("stored", False), bool)
    ):
        raise Replayed(f"counter {counter} was already used for another frame")
    return Claimed(data["key"], data.get("stored", False))


def write_again(counter: int, claim: Claimed, frame_exists: bool) -> bool:
    """Whether a retry must write the frame its claim names: only when the frame is missing and
    the claim not marked stored (a crash between the two, however long ago); Replayed when it is
    missing with the mark (deleted on purpose: a replay must not restore it)."""
    if frame_exists:
        return False
    if claim.stored:
        raise Replayed(f"counter {counter} was used for a frame that has since been deleted")
    return True
