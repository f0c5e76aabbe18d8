"""Signed uploads against a model (hypothesis): any sequence of (counter, body) from one camera,
on a real S3-compatible server, gets the answers the claim rules say and one frame per claim."""

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.keystore import KeyStore
from chalicelib.protocol import errors, secrets, upload
from chalicelib.protocol.secrets import Secrets
from chalicelib.storage import FrameStore
from chalicelib.upload import receive
from simboard.frames import blocks_jpeg

SECRET = bytes(range(100, 132))
BODIES = [blocks_jpeg(16, 16, seed=s) for s in range(3)]
_runs = itertools.count()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 2)), min_size=1, max_size=10))
def test_claim_rules_hold_for_any_sequence(s3, requests):
    camera = f"model-{next(_runs)}"
    store = FrameStore(s3, "frames")
    keys = KeyStore(lambda: Secrets({camera: SECRET}, None))
    claimed: dict[int, tuple[int, str]] = {}  # counter -> (body index, key)
    for counter, which in requests:
        body = BODIES[which]
        header = upload.authorization(SECRET, camera, counter, body)
        try:
            facts, status = receive(store, keys, header, body, 10**6)
        except errors.Replayed:
            assert counter in claimed and claimed[counter][0] != which
            continue
        except errors.Stale:
            assert counter not in claimed and counter < max(claimed)
            continue
        if counter in claimed:
            assert (status, facts["key"]) == (200, claimed[counter][1]) and claimed[counter][
                0
            ] == which
        else:
            assert status == 201 and (not claimed or counter > max(claimed))
            claimed[counter] = (which, facts["key"])
    listing = s3.list_objects_v2(Bucket="frames", Prefix=f"frames/{camera}/")
    stored = sorted(item["Key"] for item in listing.get("Contents", []))
    assert stored == sorted(key for _, key in claimed.values())
    for counter, (which, key) in claimed.items():
        assert s3.get_object(Bucket="frames", Key=key)["Body"].read() == BODIES[which]
        claim = s3.get_object(
            Bucket="frames", Key=f"claims/{camera}/{secrets.key_id(SECRET)}/{counter:010d}"
        )
        assert json.loads(claim["Body"].read())["key"] == key
