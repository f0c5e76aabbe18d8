"""Replay protection and idempotent retries: one claim object per (camera, key id, counter).

Before a frame is written, the service writes
    claims/<camera>/<key id>/<counter as 10 digits>  ->  {"key": <frame key>, "sha256": <body hash>}
(the key id names the camera's current secret, so a rotated secret starts a fresh counter space).
The rules below decide from what storage returned; they make no storage call themselves:
- fresh: no claim for this counter and none higher: claim it, store the frame under the new key;
- stale: no claim for this counter, but a higher one: Stale;
- retry: a claim with the same body hash: answer with the claimed key; write the frame again
  only if it is missing and the claim is younger than RETRY_HORIZON (a crash between claim and
  frame), else it was deleted on purpose: Replayed;
- replayed: a claim with another body hash (or an unreadable one): Replayed.
"""

import json
from datetime import timedelta

from chalicelib.protocol import keys
from chalicelib.protocol.errors import Replayed, Stale

PREFIX = "claims/"
# How long after its claim a missing frame may still be written by a retry of its upload: the
# firmware starts no retry later than CONFIG_RETRY_BUDGET_S (30 min) after the first attempt, and
# 5 min more covers that attempt's send and answer. A frame missing past this was deleted on
# purpose (by its owner or the retention rule), and a replay of its upload must not restore it.
RETRY_HORIZON = timedelta(minutes=35)


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


def claim_body(frame_key: str, sha256: str) -> bytes:
    return json.dumps({"key": frame_key, "sha256": sha256}).encode()


def is_new(counter: int, claim: str, lowest: str | None) -> bool:
    """Given the lowest claim at or above counter (None: there is none), whether the counter is
    new (True: create its claim) or claimed (False: read the claim); Stale when only higher ones
    are."""
    if lowest is None:
        return True
    if lowest == claim:
        return False
    raise Stale(f"counter {counter} is older than one this camera already used")


def claimed_key(counter: int, sha256: str, claim: bytes | None) -> str:
    """The frame key an existing claim (its bytes; None: gone) gives a request with this body's
    hash; Replayed when the claim is of another body, unreadable or names no frame."""
    try:
        data = json.loads(claim) if claim is not None else None
    except ValueError:
        data = None
    if (
        not isinstance(data, dict)
        or data.get("sha256") != sha256
        or not isinstance(data.get("key"), str)
        or keys.parse_key(data["key"]) is None
    ):
        raise Replayed(f"counter {counter} was already used for another frame")
    return data["key"]


def write_again(counter: int, claimed: str, new_key: str, frame_exists: bool) -> bool:
    """Whether a retry (the claim names `claimed`; this attempt would have been `new_key`) must
    write its frame: only when the frame is missing and the claim is within RETRY_HORIZON;
    Replayed when it is missing beyond (deleted on purpose: a replay must not restore it)."""
    if frame_exists:
        return False
    age = keys.parse_key(new_key).time - keys.parse_key(claimed).time
    if age > RETRY_HORIZON:
        raise Replayed(f"counter {counter} was used for a frame that has since been deleted")
    return True
