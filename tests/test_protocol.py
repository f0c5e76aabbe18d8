"""chalicelib/protocol: the rules decided once, checked on their own (no server), and the seams
where the service and the desktop tools must agree (one listing, one head, no Chalice)."""

import ast
import inspect
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from chalice import Response

import app
from chalicelib import catalog
from chalicelib.protocol import claims, errors, keys, secrets, upload
from chalicelib.protocol.errors import ProtocolError, Replayed, Stale, StorageUnavailable
from chalicelib.storage import FrameStore
from chalicelib.upload import claim
from stopmotion import frames, pull
from stopmotion.localstack import PROJECT_DIR, free_port

PROTOCOL = PROJECT_DIR / "chalicelib" / "protocol"
T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
NAME = claims.claim_key("cam", "k1", 7)
EARLIER = keys.frame_key("cam", T0, "0001")


# Every claim rule, as a row: what storage returned -> what the request gets.
IS_NEW = [  # lowest claim at or above the counter -> new counter (create) or claimed (read)
    ("fresh: no claim at or above", None, True),
    ("claimed: this counter's claim is the lowest", NAME, False),
    ("stale: only a higher counter is claimed", claims.claim_key("cam", "k1", 8), Stale),
    ("stale: numbers, not text (10 > 9)", claims.claim_key("cam", "k1", 10), Stale),
]
CLAIMED = [  # the claim's bytes -> what a retry of this body gets: its key, and the stored mark
    ("retry: same body", claims.claim_body(EARLIER, "aa"), claims.Claimed(EARLIER, False)),
    ("retry of a stored frame: the mark is read", claims.claim_body(EARLIER, "aa", stored=True),
     claims.Claimed(EARLIER, True)),
    ("damaged: a mark that is not true or false",
     b'{"key": "' + EARLIER.encode() + b'", "sha256": "aa", "stored": "yes"}', Replayed),
    ("replayed: another body", claims.claim_body(EARLIER, "bb"), Replayed),
    ("replayed: the claim went away after the LIST", None, Replayed),
    ("damaged: not JSON", b"not json", Replayed),
    ("damaged: not an object", b"[1]", Replayed),
    ("damaged: key not text", b'{"key": 5, "sha256": "aa"}', Replayed),
    ("damaged: key not a frame", b'{"key": "../x", "sha256": "aa"}', Replayed),
]
WRITE_AGAIN = [  # (claim marked stored?, frame there?) -> write the frame again?
    ("retry of a stored frame writes nothing", True, True, False),
    ("frame there, claim not yet marked (a crash before the mark): nothing", False, True, False),
    ("crash between claim and frame: the retry writes it, however late", False, False, True),
    ("missing with the stored mark: deleted, not restored", True, False, Replayed),
]


def outcome(rule, *args):
    try:
        return rule(*args)
    except ProtocolError as err:
        return type(err)


@pytest.mark.parametrize("case, lowest, expected", IS_NEW, ids=[row[0] for row in IS_NEW])
def test_the_listing_tells_a_new_counter_from_a_claimed_or_stale_one(case, lowest, expected):
    assert outcome(claims.is_new, 7, NAME, lowest) == expected


@pytest.mark.parametrize("case, body, expected", CLAIMED, ids=[r[0] for r in CLAIMED])
def test_an_earlier_claim_answers_only_a_retry_of_the_same_body(case, body, expected):
    assert outcome(claims.claimed, 7, "aa", body) == expected


@pytest.mark.parametrize("case, stored, exists, expected", WRITE_AGAIN,
                         ids=[row[0] for row in WRITE_AGAIN])
def test_a_retry_writes_a_missing_frame_only_when_it_was_never_stored(case, stored, exists,
                                                                      expected):
    assert outcome(claims.write_again, 7, claims.Claimed(EARLIER, stored), exists) == expected


def test_the_listing_of_claims_starts_just_below_the_counter():
    assert claims.lowest_from("cam", "k1", 7) == claims.claim_key("cam", "k1", 6)
    assert claims.lowest_from("cam", "k1", 0) == claims.counter_space("cam", "k1")
    assert claims.claim_key("cam", "k1", 6) < NAME < claims.claim_key("cam", "k1", 10)


def test_the_request_head_is_the_firmwares_header_set_in_its_order():
    head = upload.request_head("h:8080", "/api/frames", 13, "SM1 x", "stopmotion-cam/0.1.0")
    assert head == (
        b"POST /api/frames HTTP/1.1\r\n"
        b"Host: h:8080\r\n"
        b"User-Agent: stopmotion-cam/0.1.0\r\n"
        b"Content-Type: image/jpeg\r\n"
        b"Content-Length: 13\r\n"
        b"Authorization: SM1 x\r\n"
        b"Connection: close\r\n"
        b"\r\n"
    )
    unsigned = upload.request_head("h", upload.ROUTE, 0, None, "ua", "application/octet-stream")
    assert b"Authorization" not in unsigned
    assert b"Content-Type: application/octet-stream\r\n" in unsigned


def test_the_health_goes_after_the_authorization_before_connection_close():
    head = upload.request_head("h", "/frames", 0, "SM1 x", "stopmotion-cam/0.2.0",
                               health="fw=0.2.0 up=5")
    assert head.endswith(b"Authorization: SM1 x\r\nStopmotion-Health: fw=0.2.0 up=5\r\n"
                         b"Connection: close\r\n\r\n")
    assert b"Stopmotion-Health" not in upload.request_head("h", "/frames", 0, "SM1 x", "ua")
    assert upload.FIRMWARE_VERSION == "0.3.0"


@pytest.mark.parametrize("field", ["host", "authorization", "user_agent", "health"])
def test_a_value_that_would_add_a_header_line_is_refused(field):
    values = {"host": "h", "authorization": "SM1 x", "user_agent": "ua", "health": "fw=1"}
    values[field] += "\r\nX-Injected: 1"
    with pytest.raises(ValueError, match="one line"):
        upload.request_head(path="/frames", length=1, **values)


def test_errors_are_one_hierarchy_of_plain_data():
    """One base; each says in one line what went wrong and whether retrying is safe; the status
    is an int and only the passing (5xx) failures are safe to retry."""
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if c.__module__ == errors.__name__]
    assert len(classes) > 10
    for cls in classes:
        assert issubclass(cls, ProtocolError)
        doc = cls.__doc__ or ""
        assert doc and "\n" not in doc.strip(), cls
        assert ("retrying is safe" in doc) == cls.retry_safe, cls
        assert isinstance(cls.status, int) and cls.retry_safe == (cls.status >= 500), cls


@pytest.mark.parametrize("err, method, headers", [
    (errors.MissingCredential("x"), "POST", {"WWW-Authenticate": upload.CHALLENGE}),
    (errors.MalformedCredential("x"), "GET", {"WWW-Authenticate": 'Basic realm="stopmotion", '
                                                                  'charset="UTF-8"'}),
    (errors.Stale("x"), "POST", {}),
    (errors.SecretsUnavailable("x"), "POST", {"Retry-After": "30"}),
    (errors.BadRequest("x"), "GET", {}),
])
def test_app_answers_each_error_with_its_status_code_and_headers(err, method, headers):
    response = app.error_response(err, method)
    assert isinstance(response, Response) and response.status_code == err.status
    assert response.body == {"Code": type(err).__name__, "Message": "x"}
    assert response.headers == headers


def test_the_protocol_imports_nothing_but_the_standard_library():
    """Read from the source: a framework or SDK import anywhere in the package fails here."""
    for module in PROTOCOL.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name.startswith("chalicelib.protocol"), (
                    f"{module.name} imports {name}")


NO_CHALICE = """
import sys
sys.modules["chalice"] = None  # any import of it now fails
import chalicelib.protocol.claims, chalicelib.protocol.secrets, chalicelib.protocol.viewer
import stopmotion.camera, stopmotion.cli, stopmotion.post, stopmotion.pull, stopmotion.render
import stopmotion.serve
from chalicelib.protocol import keys, upload
from stopmotion import frames
assert frames.parse("frames/cam/2026/11/24/20261124T060000.000Z-ab12.jpg").camera == "cam"
print(upload.authorization(bytes(32), "cam", 1, b"x"))
"""


def test_the_desktop_tools_sign_and_parse_without_chalice():
    result = subprocess.run([sys.executable, "-c", NO_CHALICE], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(upload.SCHEME)


@pytest.fixture
def down_store():
    """A FrameStore whose S3 is a port where nothing listens."""
    client = boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{free_port()}", region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    return FrameStore(client, "frames")


def test_a_claim_on_storage_that_is_down_keeps_the_cause(down_store):
    with pytest.raises(StorageUnavailable) as raised:
        claim(down_store, "cam", "k1", 1, "aa", EARLIER)
    assert isinstance(raised.value.__cause__, BotoCoreError)


def test_the_service_and_pull_list_the_same_frames(local_stack):
    """GET /frames and `stopmotion pull` select by one rule: odd keys the service would never
    write are frames to neither, and the range is the same half-open one."""
    client = local_stack.s3_client()
    day = datetime(2001, 2, 3, tzinfo=UTC)  # no other test stores frames then
    good = [keys.frame_key("proto-list", day + timedelta(hours=h), "00ab") for h in range(4)]
    between = keys.time_prefix("proto-list", day + timedelta(minutes=90))
    odd = [between + "-XYZ.jpg", between + "-a_b.jpg", "frames/proto-list/2001/02/03/notes.txt",
           "frames/Proto/2001/02/03/" + good[2].rpartition("/")[2]]
    for key in good + odd:
        client.put_object(Bucket=local_stack.bucket, Key=key, Body=b"x")
    since, until = day + timedelta(hours=1), day + timedelta(hours=3)
    for camera in ("proto-list", None):
        served = catalog.list_frames(FrameStore(client, local_stack.bucket), camera, since, until)
        pulled = pull.listing(client, local_stack.bucket, camera, since, until)
        assert [f["key"] for f in served["frames"]] == [o["Key"] for o in pulled] == good[1:3]


def test_a_pulled_file_parses_as_its_key():
    key = keys.frame_key("cam", T0, "00ab")
    path = Path("film") / key.removeprefix(keys.ROOT)
    assert frames.parse(str(path)) == keys.parse_key(key)
    assert frames.parse(str(path).replace("/", "\\")) == keys.parse_key(key)
    assert frames.parse("film/cam/2026/11/24/holiday.jpg") is None


def test_every_config_line_the_protocol_prints_is_a_firmware_setting():
    """camera add and make deploy print config.h lines through one function: each names a setting
    that firmware/include/config.example.h documents, and the secret is the 32 bytes it takes."""
    example = (Path(__file__).parent.parent / "firmware/include/config.example.h").read_text()
    documented = set(re.findall(r"^#define (CONFIG_\w+)", example, re.MULTILINE))
    printed = secrets.firmware_lines(camera="garden", secret=bytes(range(32)),
                                     host="d1.cloudfront.net", path="/frames")
    names = re.findall(r"^#define (CONFIG_\w+) ", printed, re.MULTILINE)
    assert names and set(names) <= documented
    secret = re.search(r"CONFIG_CAMERA_SECRET \{([^}]*)\}", printed).group(1)
    assert bytes(int(v, 16) for v in secret.split(",")) == bytes(range(32))
