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
    assert message == b"SM1\nPOST\n/frames\ncam-1\n7\n86400\n3\nab\n"  # no health: ""
    message = upload.string_to_sign("POST", "/frames", "cam-1", 7, 0, 3, "ab", "fw=0.2.0 up=5")
    assert message == b"SM1\nPOST\n/frames\ncam-1\n7\n0\n3\nab\nfw=0.2.0 up=5"


FULL_HEALTH = ("fw=0.2.0 up=86400 boots=3 reset=wdt sram=612 tries=2 queued=4 lost=1 lead=0 "
               "link=up dhcp=2 spi=8000")


def test_the_firmwares_health_parses_in_its_order():
    fields = upload.parse_health(FULL_HEALTH)
    assert tuple(fields) == upload.HEALTH_FIELDS
    assert fields["sram"] == "612" and fields["link"] == "up"
    assert upload.health_value(fields) == FULL_HEALTH
    assert upload.parse_health(None) == {}


def test_unknown_health_names_are_kept_and_the_limits_are_exact():
    assert upload.parse_health("fw=0.2.0 volts=4.95 temp=-3") == {
        "fw": "0.2.0", "volts": "4.95", "temp": "-3"}
    longest = " ".join(f"{chr(97 + i) * 2}={i * 1111111:07d}" for i in range(16))  # 175 chars
    assert len(upload.parse_health(longest)) == upload.MAX_HEALTH_TOKENS == 16
    near = " ".join(f"{chr(97 + i) * 8}={'9' * 14}" for i in range(8))  # 8 * 24 - 1 = 191 chars
    assert len(near) <= upload.MAX_HEALTH_CHARS
    upload.parse_health(near)


@pytest.mark.parametrize("value", [
    "",  # present but empty: leave the header out instead
    " fw=0.2.0", "fw=0.2.0 ", "fw=0.2.0  up=5", "fw=0.2.0\tup=5",  # one space between tokens
    "fw=0.2.0,up=5", "fw", "fw=", "=5", "FW=0.2.0", "f_w=1", "firmware1=1",  # names a-z, 1-8
    "abcdefghi=1", "fw=0.2.0+1", "fw=0.2.0_rc", "fw=" + "1" * 17, "up=5 up=6",  # values, once
    "fw=0.2.0 fw=0.2.0, up=5",  # a repeated header, joined
    " ".join(f"{chr(97 + i)}=1" for i in range(17)),  # 17 tokens
    " ".join(f"{chr(97 + i) * 8}={'9' * 16}" for i in range(9)),  # 9 * 26 - 1 = 233 characters
    "fw=0.2.0 up=\u0665",  # a digit that is not ASCII
])
def test_a_malformed_health_says_the_format(value):
    with pytest.raises(errors.MalformedHealth, match="name=value tokens separated by single"):
        upload.parse_health(value)
    assert errors.MalformedHealth.status == 400 and not errors.MalformedHealth.retry_safe


@pytest.mark.parametrize("fields", [{"fw": ""}, {"fw": "0.2.0 rc"}, {"Up": 5}, {"up": 1e100}])
def test_a_malformed_health_is_never_built(fields):
    with pytest.raises(ValueError, match="name=value"):
        upload.health_value(fields)


def test_the_health_is_signed():
    body = b"\xff\xd8frame\xff\xd9"
    value = upload.authorization(SECRET, "cam-1", 7, body, health=FULL_HEALTH)
    cred = upload.parse_authorization(value)
    assert upload.verify(cred, SECRET, body, health=FULL_HEALTH)
    for other in (None, "", FULL_HEALTH.replace("sram=612", "sram=999"), FULL_HEALTH + " x=1"):
        with pytest.raises(errors.Forbidden):
            upload.verify(cred, SECRET, body, health=other)
    without = upload.parse_authorization(upload.authorization(SECRET, "cam-1", 7, body))
    with pytest.raises(errors.Forbidden):  # a health header added on the way
        upload.verify(without, SECRET, body, health="fw=0.2.0")


def test_a_hello_is_an_upload_of_nothing():
    value = upload.authorization(SECRET, "cam-1", 9, b"")
    message = upload.string_to_sign("POST", "/frames", "cam-1", 9, 0, 0,
                                    hashlib.sha256(b"").hexdigest())
    assert value == header(counter="9", signature=upload.sign(SECRET, message))
    assert upload.verify(upload.parse_authorization(value), SECRET, b"") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


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
