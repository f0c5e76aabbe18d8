"""The credential parser, the string to sign and the checks, on tables of good and bad input."""

import base64
import hashlib
import hmac

import pytest

from chalicelib import auth

SECRET = bytes(range(32))
SIG = "0" * 64


def header(camera="cam-1", counter="7", signature=SIG):
    return f"SM1-HMAC-SHA256 Camera={camera}, Counter={counter}, Signature={signature}"


def signed(body, camera="cam-1", counter=7, secret=SECRET, method="POST", path="/frames"):
    message = auth.string_to_sign(
        method, path, camera, counter, len(body), hashlib.sha256(body).hexdigest()
    )
    return auth.parse_camera(header(camera, str(counter), auth.sign(secret, message)))


def test_parse_well_formed():
    cred = auth.parse_camera(header(counter="4294967295"))
    assert cred == auth.CameraCredential("cam-1", 4294967295, SIG)


@pytest.mark.parametrize(
    "value, error",
    [
        (None, auth.MissingCredential),
        ("", auth.MissingCredential),
        (header(counter="4294967296"), auth.MalformedCredential),  # 33 bits
        (header(counter="007"), auth.MalformedCredential),  # leading zeros: two spellings
        (header(counter="-1"), auth.MalformedCredential),
        (header(counter="12345678901"), auth.MalformedCredential),
        (header(camera="Cam"), auth.MalformedCredential),  # upper case
        (header(camera="../x"), auth.MalformedCredential),  # traversal
        (header(camera="a" * 33), auth.MalformedCredential),
        (header(signature="A" * 64), auth.MalformedCredential),  # upper-case hex
        (header(signature="0" * 63), auth.MalformedCredential),
        (header() + " ", auth.MalformedCredential),
        (header() + "\n", auth.MalformedCredential),
        (header().replace(", ", ","), auth.MalformedCredential),
        (header() + ", " + header(), auth.MalformedCredential),  # a repeated header, joined
        ("SM1-HMAC-SHA256 " + "x" * 300, auth.MalformedCredential),
        ("Bearer token", auth.Forbidden),  # a viewer cannot write
        ("Basic dXNlcjpwYXNz", auth.Forbidden),
    ],
)
def test_parse_rejects(value, error):
    with pytest.raises(error):
        auth.parse_camera(value)


def test_string_to_sign_layout():
    message = auth.string_to_sign("POST", "/frames", "cam-1", 7, 3, "ab")
    assert message == b"SM1\nPOST\n/frames\ncam-1\n7\n3\nab"


def test_sign_is_hmac_sha256():
    assert auth.sign(b"key", b"msg") == hmac.new(b"key", b"msg", hashlib.sha256).hexdigest()


def test_verify_accepts_and_returns_body_hash():
    body = b"\xff\xd8frame\xff\xd9"
    cred = signed(body)
    assert (
        auth.verify_camera(cred, SECRET, "POST", "/frames", body)
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
    with pytest.raises(auth.Forbidden):
        auth.verify_camera(cred, args["secret"], args["method"], args["path"], args["body"])


def test_counter_and_camera_are_signed():
    body = b"x"
    good = signed(body, counter=7)
    for forged in (
        auth.CameraCredential("cam-1", 8, good.signature),
        auth.CameraCredential("cam-2", 7, good.signature),
    ):
        with pytest.raises(auth.Forbidden):
            auth.verify_camera(forged, SECRET, "POST", "/frames", body)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "value", ["Bearer s3cret-token", basic("viewer", "s3cret-token"), basic("", "s3cret-token")]
)
def test_viewer_accepted(value):
    auth.verify_viewer(value, "s3cret-token")


@pytest.mark.parametrize(
    "value, token, error",
    [
        (None, "t", auth.MissingCredential),
        ("Bearer", "t", auth.MalformedCredential),
        ("Bearer ", "t", auth.MalformedCredential),
        ("Basic !!!", "t", auth.MalformedCredential),
        (
            "Basic dmlld2VyOn\xdapZX\\lci=",
            "t",
            auth.MalformedCredential,
        ),  # atheris: non-ASCII base64
        ("Basic " + base64.b64encode(b"v:\xff").decode(), "t", auth.MalformedCredential),
        ("Basic " + base64.b64encode(b"no-colon").decode(), "t", auth.MalformedCredential),
        ("Token t", "t", auth.MalformedCredential),
        ("Bearer wrong", "t", auth.Forbidden),
        ("Bearer t", None, auth.Forbidden),  # no viewer configured: nobody reads
        (header(), "t", auth.Forbidden),  # a camera cannot read
        ("Bearer \udcff", "t", auth.Forbidden),  # odd code points compare, never crash
    ],
)
def test_viewer_rejected(value, token, error):
    with pytest.raises(error):
        auth.verify_viewer(value, token)


def test_errors_map_to_401_and_403():
    assert auth.MalformedCredential.status == 401
    assert auth.Stale.status == auth.Replayed.status == auth.Forbidden.status == 403


def test_key_id_names_the_secret():
    assert auth.key_id(SECRET) == auth.key_id(bytes(SECRET))
    assert auth.key_id(SECRET) != auth.key_id(bytes(32))
    assert len(auth.key_id(SECRET)) == 8
