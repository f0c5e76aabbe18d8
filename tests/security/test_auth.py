"""The credential parser, the string to sign and the checks, on tables of good and bad input."""

import base64
import hashlib
import hmac

import pytest

from chalicelib.protocol import errors, secrets, upload, viewer

SECRET = bytes(range(32))
SIG = "0" * 64


def header(camera="cam-1", counter="7", signature=SIG, age="0"):
    return f"SM1-HMAC-SHA256 Camera={camera}, Counter={counter}, Age={age}, Signature={signature}"


def signed(body, camera="cam-1", counter=7, secret=SECRET, method="POST", path="/frames", age=0):
    message = upload.string_to_sign(
        method, path, camera, counter, age, len(body), hashlib.sha256(body).hexdigest()
    )
    return upload.parse_authorization(
        header(camera, str(counter), upload.sign(secret, message), str(age))
    )


def test_parse_well_formed():
    cred = upload.parse_authorization(header(counter="4294967295", age="86400"))
    assert cred == upload.CameraCredential("cam-1", 4294967295, 86400, SIG)


def test_the_oldest_frame_taken_is_max_age():
    """400 days is taken; a second more is refused, and the message says what to send."""
    assert upload.parse_authorization(header(age=str(upload.MAX_AGE_S))).age == upload.MAX_AGE_S
    with pytest.raises(errors.MalformedCredential, match="more than the 34560000 s"):
        upload.parse_authorization(header(age=str(upload.MAX_AGE_S + 1)))


def test_the_longest_credential_fits_the_header_limit():
    longest = upload.credential_value("a" * 32, 2**32 - 1, 4294967295, SIG)
    assert len(longest) == 167 <= upload.MAX_HEADER_CHARS


@pytest.mark.parametrize(
    "value, error",
    [
        (None, errors.MissingCredential),
        ("", errors.MissingCredential),
        (header(counter="4294967296"), errors.MalformedCredential),  # 33 bits
        (header(counter="007"), errors.MalformedCredential),  # leading zeros: two spellings
        (header(counter="-1"), errors.MalformedCredential),
        (header(counter="12345678901"), errors.MalformedCredential),
        (header(age="007"), errors.MalformedCredential),  # the age as strict as the counter
        (header(age="-1"), errors.MalformedCredential),
        (header(age="12345678901"), errors.MalformedCredential),
        (header(age="4294967295"), errors.MalformedCredential),  # past MAX_AGE_S
        (header(age=""), errors.MalformedCredential),
        (header().replace(", Age=0", ""), errors.MalformedCredential),  # the old credential
        (header().replace("Counter=7, Age=0", "Age=0, Counter=7"), errors.MalformedCredential),
        (header(camera="Cam"), errors.MalformedCredential),  # upper case
        (header(camera="../x"), errors.MalformedCredential),  # traversal
        (header(camera="a" * 33), errors.MalformedCredential),
        (header(signature="A" * 64), errors.MalformedCredential),  # upper-case hex
        (header(signature="0" * 63), errors.MalformedCredential),
        (header() + " ", errors.MalformedCredential),
        (header() + "\n", errors.MalformedCredential),
        (header().replace(", ", ","), errors.MalformedCredential),
        (header() + ", " + header(), errors.MalformedCredential),  # a repeated header, joined
        ("SM1-HMAC-SHA256 " + "x" * 300, errors.MalformedCredential),
        ("Bearer token", errors.Forbidden),  # a viewer cannot write
        ("Basic dXNlcjpwYXNz", errors.Forbidden),
    ],
)
def test_parse_rejects(value, error):
    with pytest.raises(error):
        upload.parse_authorization(value)


def test_string_to_sign_layout():
    message = upload.string_to_sign("POST", "/frames", "cam-1", 7, 86400, 3, "ab")
    assert message == b"SM1\nPOST\n/frames\ncam-1\n7\n86400\n3\nab"


def test_sign_is_hmac_sha256():
    assert upload.sign(b"key", b"msg") == hmac.new(b"key", b"msg", hashlib.sha256).hexdigest()


def test_verify_accepts_and_returns_body_hash():
    body = b"\xff\xd8frame\xff\xd9"
    cred = signed(body)
    assert (
        upload.verify(cred, SECRET, body)
        == hashlib.sha256(body).hexdigest()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"secret": bytes(32)},
        {"body": b"\xff\xd8other\xff\xd9"},
        {"body": b"\xff\xd8frame\xff\xd9\x00"},  # a Content-Length that lies is a different length
        {"method": "PUT"},
        {"path": "/frames/latest"},
        {"secret": None},  # unknown camera
    ],
)
def test_verify_rejects(change):
    body = b"\xff\xd8frame\xff\xd9"
    cred = signed(body)
    args = {"secret": SECRET, "method": "POST", "path": "/frames", "body": body} | change
    with pytest.raises(errors.Forbidden):
        upload.verify(cred, args["secret"], args["body"], args["path"], args["method"])


def test_counter_age_and_camera_are_signed():
    body = b"x"
    good = signed(body, counter=7, age=60)
    for forged in (
        upload.CameraCredential("cam-1", 8, 60, good.signature),
        upload.CameraCredential("cam-2", 7, 60, good.signature),
        upload.CameraCredential("cam-1", 7, 61, good.signature),  # a frame redated
    ):
        with pytest.raises(errors.Forbidden):
            upload.verify(forged, SECRET, body)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "value", ["Bearer s3cret-token", basic("viewer", "s3cret-token"), basic("", "s3cret-token")]
)
def test_viewer_accepted(value):
    viewer.verify(value, "s3cret-token")


@pytest.mark.parametrize(
    "value, token, error",
    [
        (None, "t", errors.MissingCredential),
        ("Bearer", "t", errors.MalformedCredential),
        ("Bearer ", "t", errors.MalformedCredential),
        ("Basic !!!", "t", errors.MalformedCredential),
        (
            "Basic dmlld2VyOn\xdapZX\\lci=",
            "t",
            errors.MalformedCredential,
        ),  # atheris: non-ASCII base64
        ("Basic " + base64.b64encode(b"v:\xff").decode(), "t", errors.MalformedCredential),
        ("Basic " + base64.b64encode(b"no-colon").decode(), "t", errors.MalformedCredential),
        ("Token t", "t", errors.MalformedCredential),
        ("Bearer wrong", "t", errors.Forbidden),
        ("Bearer t", None, errors.Forbidden),  # no viewer configured: nobody reads
        (header(), "t", errors.Forbidden),  # a camera cannot read
        ("Bearer \udcff", "t", errors.Forbidden),  # odd code points compare, never crash
    ],
)
def test_viewer_rejected(value, token, error):
    with pytest.raises(error):
        viewer.verify(value, token)


def test_errors_map_to_401_and_403():
    assert errors.MalformedCredential.status == 401
    assert errors.Stale.status == errors.Replayed.status == errors.Forbidden.status == 403


def test_key_id_names_the_secret():
    assert secrets.key_id(SECRET) == secrets.key_id(bytes(SECRET))
    assert secrets.key_id(SECRET) != secrets.key_id(bytes(32))
    assert len(secrets.key_id(SECRET)) == 8
