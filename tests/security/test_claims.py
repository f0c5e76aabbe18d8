"""Claims (chalicelib.upload.claim) on a real S3-compatible server: idempotent retries, replays
and stale counters refused."""

import itertools
import json

import pytest

from chalicelib.protocol import errors
from chalicelib.protocol.claims import claim_body, claim_key
from chalicelib.storage import FrameStore
from chalicelib.upload import claim, mark_stored

_cameras = itertools.count()
K1 = "frames/x/2026/01/01/20260101T000000.000Z-0001.jpg"
K2 = "frames/x/2026/01/01/20260101T000001.000Z-0002.jpg"


@pytest.fixture
def store(s3):
    return FrameStore(s3, "frames")


@pytest.fixture
def camera():
    return f"cam-{next(_cameras)}"


def test_first_claim_is_fresh_and_stored(store, s3, camera):
    got = claim(store, camera, "k1", 5, "aa", K1)
    assert got.fresh and got.key == K1
    body = s3.get_object(Bucket="frames", Key=f"claims/{camera}/k1/0000000005")["Body"].read()
    assert b'"sha256": "aa"' in body


def test_retry_with_same_body_returns_the_claimed_key(store, camera):
    claim(store, camera, "k1", 5, "aa", K1)
    again = claim(store, camera, "k1", 5, "aa", K2)
    assert not again.fresh and again.key == K1


def test_same_counter_other_body_is_a_replay(store, camera):
    claim(store, camera, "k1", 5, "aa", K1)
    with pytest.raises(errors.Replayed):
        claim(store, camera, "k1", 5, "bb", K2)


def test_lower_counter_is_stale_but_gaps_are_fine(store, camera):
    claim(store, camera, "k1", 5, "aa", K1)
    claim(store, camera, "k1", 9, "bb", K1)  # frames whose upload gave up leave gaps
    with pytest.raises(errors.Stale):
        claim(store, camera, "k1", 7, "cc", K1)
    assert claim(store, camera, "k1", 5, "aa", K1).fresh is False  # an old retry still answers


def test_counters_compare_as_numbers_not_text(store, camera):
    claim(store, camera, "k1", 10, "aa", K1)
    with pytest.raises(errors.Stale):
        claim(store, camera, "k1", 9, "bb", K1)
    assert claim(store, camera, "k1", 4294967295, "cc", K1).fresh


def test_new_secret_starts_a_new_counter_space(store, camera):
    claim(store, camera, "k1", 500, "aa", K1)
    assert claim(store, camera, "k2", 1, "bb", K1).fresh  # EEPROM erased, secret rotated


def test_cameras_do_not_share_counters(store, camera):
    claim(store, camera, "k1", 500, "aa", K1)
    assert claim(store, camera + "x", "k1", 1, "bb", K1).fresh


def test_claim_key_is_zero_padded():
    assert claim_key("c", "k", 42) == "claims/c/k/0000000042"


@pytest.mark.parametrize(
    "body", [b"not json", b"[1]", b'{"key": 5, "sha256": "aa"}', b'{"key": "../x", "sha256": "aa"}']
)
def test_a_damaged_claim_refuses_the_counter(store, s3, camera, body):
    s3.put_object(Bucket="frames", Key=claim_key(camera, "k1", 3), Body=body)
    with pytest.raises(errors.Replayed):
        claim(store, camera, "k1", 3, "aa", K1)


@pytest.fixture
def honouring_s3(monkeypatch):
    """A factory of S3 clients on moto, which, like S3 and unlike rclone, refuses a second
    create of one object (If-None-Match: *); the bucket 'frames' exists."""
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="frames")
        yield lambda: boto3.client("s3", region_name="us-east-1")


def test_a_second_create_of_a_claim_is_refused_but_frames_are_overwritten(honouring_s3):
    """The create-only header goes on claims only: frames through the same client stay PUTs."""
    s3 = honouring_s3()
    store = FrameStore(s3, "frames")
    name = claim_key("racer", "k1", 1)
    assert store.create(name, claim_body(K1, "aa"))
    assert not store.create(name, claim_body(K2, "bb"))
    assert b'"aa"' in s3.get_object(Bucket="frames", Key=name)["Body"].read()
    s3.put_object(Bucket="frames", Key=K1, Body=b"first")
    s3.put_object(Bucket="frames", Key=K1, Body=b"second")
    assert s3.get_object(Bucket="frames", Key=K1)["Body"].read() == b"second"


def test_the_stored_mark_overwrites_the_claim_where_creates_are_refused(honouring_s3):
    """The claim is created once, but its stored mark overwrites it: If-None-Match goes on the
    create alone, and a retry then reads the mark."""
    s3 = honouring_s3()
    store = FrameStore(s3, "frames")
    mark_stored(store, claim(store, "marker", "k1", 1, "aa", K1), "aa")
    name = claim_key("marker", "k1", 1)
    assert json.loads(s3.get_object(Bucket="frames", Key=name)["Body"].read()) == {
        "key": K1, "sha256": "aa", "stored": True}
    assert not store.create(name, claim_body(K2, "aa"))  # still create-only for a new claim
    s3.put_object(Bucket="frames", Key=K1, Body=b"frame")
    again = claim(store, "marker", "k1", 1, "aa", K2)
    assert (again.key, again.fresh, again.write, again.marked) == (K1, False, False, True)


def race(honouring_s3, rival_sha256: str):
    """Two requests with one counter: the rival's claim() runs to the end between this one's
    check (no claim yet) and its write. Returns (the rival's claim, this one's claim())."""
    mine, theirs = honouring_s3(), honouring_s3()  # two Lambda containers, two clients
    rival = []

    def rival_claims_first(params, **_):
        if params["Key"] == claim_key("racer", "k1", 7) and not rival:
            rival.append(claim(FrameStore(theirs, "frames"), "racer", "k1", 7, rival_sha256, K1))

    mine.meta.events.register("before-parameter-build.s3.PutObject", rival_claims_first)
    claimed = claim(FrameStore(mine, "frames"), "racer", "k1", 7, "aa", K2)
    assert rival, "the rival never ran: this claim wrote without checking first?"
    return rival[0], claimed


def test_the_same_body_racing_itself_gets_the_winners_key(honouring_s3):
    """A camera retry that overtakes its first attempt: one frame key, and only one is fresh."""
    won, lost = race(honouring_s3, "aa")
    assert (won.fresh, won.key) == (True, K1)
    assert (lost.fresh, lost.key) == (False, K1)


def test_another_body_losing_the_race_is_a_replay(honouring_s3):
    with pytest.raises(errors.Replayed):
        race(honouring_s3, "bb")
