"""Property tests (hypothesis) over hostile input: the JPEG repair and the credential parsers.

No exception escapes but the module's own error types, and whatever the repair returns (what would
be stored) is a well-formed JPEG by an independent check, and is left alone by a second repair.
"""

import functools
import hashlib
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chalicelib import jpeg
from chalicelib.protocol import errors, keys, upload, viewer
from chalicelib.protocol.errors import NotAJpeg
from simboard.frames import blocks_jpeg
from tests.security.jpeg_check import check

# `make fuzz` raises the number of examples (FUZZ_EXAMPLES); `make test` runs the short default.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@functools.cache
def seeds() -> tuple[bytes, ...]:
    return (
        blocks_jpeg(16, 16, quality=50),
        blocks_jpeg(40, 24, progressive=True, seed=3),
        blocks_jpeg(32, 32, thumbnail=True, seed=5),
    )


def repaired_or_refused(body: bytes) -> jpeg.Jpeg | None:
    try:
        image = jpeg.repair(body)
    except NotAJpeg:
        return None
    assert check(image.data) == (image.width, image.height)
    again = jpeg.repair(image.data)  # a stored frame needs no further repair
    assert again.data == image.data and again.repairs == ()
    return image


@FUZZ
@given(st.binary(max_size=600))
def test_repair_of_arbitrary_bytes(body):
    repaired_or_refused(body)


# Found by atheris in make test's run: an FF D8 inside the chosen image's data reached the same end
# once the repair had appended an EOI, so the stored frame repaired differently a second time.
ATHERIS_FINDING = bytes.fromhex(
    "2900f910004946001410010000000000000000000000000000ffffffffffff02e9fd0020ffd70001031101ff"
    "c40017000003010001000001000000000000000000050607d8ffffd8ffe0001001000000000002ba00ffd85b"
    "ffd8ffc600160101010100000000000000000000000000040305ffda000c0301ffd8b001ffd8ffe000104a46"
    "494620202020202020202020202020202003010002900310000001af646419e0545612114602000000000000"
    "0000000020ffda00afafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafaf"
    "af000000050607d8ffffd8ffe0001001000000000002ba00ffd85bffd8ffc600160101010100000000000000"
    "000000000000040305ffda000c0301ffd8b001ffd8ffe000104a464946202020202020202020202020202020"
    "03010002900310000001af646419e05456121146010100000000000000000000000000040305ffda000c0301"
    "ffd8b001ffd8ffe000104a46494620202020204a464946000101000201000130303030303030303030303039"
    "31373730d8ffe000104a4649460001010000ffd800ffd8ffe00010303030304600000201460001010000ffd8"
    "00ffd8ffe0001001000000000002ba4a46494600010100020100013030303030303030303030000000003039"
    "31373730363933380100ffe000104a4649070f0b00ffdb0043000503040404030504040405050506070c0800"
    "000000050607ffd8ffd8ffe0001001000000000002ba00ffd85bffd8ffc600030156ffd8b001ffd8fff9b501"
    "00460200004a46d800ffd8ffe00010014a4649014610000201000100e0"
)


# Found by atheris again after the rule above: another start the kept bytes made ambiguous. Repair
# now repeats itself on what it keeps until nothing changes.
ATHERIS_FINDING_2 = bytes.fromhex(
    "1efffffffffffffffffffffffffffffffffbffffffffffffffffffffffffffffffffffffffffff1e1e1e1e1e"
    "1e1e1e1e1e1e1e1e1e1e1e1e1e1effc200110800100010000001af646419e054568ea7ffc400141001000000"
    "10001803012200000000040305ffda000c090c110f12125c26111113161cecebe5eaeef5ffc4568ea7ffc400"
    "1410010000ffd8ffe000104a46494600010100000100010000ffe102eb4578696600004dffd8ffe000104a46"
    "494600010001000001010000ffdb0043000503040404030504040405050506070c08070707070f0b0b090c11"
    "0f1212110f111113161c1713141a1511111821181a1d5d1f1f1f13172224221e241c1e1f1effdb0043010505"
    "050706070e08080e1e1411141e1e1e1e1e1e1e1e111e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e"
    "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1effc20011080010001803012200021101031101ffc40017000003"
    "010000000000000000000000000000050607ffc400160101010100000000000000000000000000040305ffda"
    "008c030100021003100000014d002aaf6464190100000000000011e054568e00000100010000ff029b000009"
    "00ffd8ffe000104a465fffda000c030100010000000200030000001050efffc4001ae1010001050000000000"
    "00000000000000119798999aa2a3a4a5a6a7a8a908080e1e14110043000afcf80807060a0808ffd8ffc20011"
    "080010001803012200000000040305ffda000c09ffd8ffe000104a46494600010100000100010000ffdb0043"
    "000503040404030504040405050506070c08070707070f0b0b090c110f1212110f111113161c1713141a1511"
    "111821181a1d5d1f1f1f13172224221e241c1e1f1effdb0043010505050706070e08080e1e1411141e1e1e1e"
    "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e"
    "1e1effc20011080010001803012200021101031101ffc4001700000301000000000000000000000000000005"
    "0607ffc400160101010100000000000000000000000000040305ffda008c03010002100310000001af646419"
    "e054568ea7ffc40014100100000000000000000000000000000020ffda00080101000105025fffc4001a1100"
    "01050100000000000000000000000000010311146115ffda0008010301013f016d7a1905ec3fffc4001e1100"
    "000407000000000000000000000000000512e1131522415162a1ffda0008010201013f012b2682aaf16713bd"
    "3ac3ffc40014100100000000000000000000000000000020ffda0008010100063f025fffc400141001000000"
    "00000000000000000000000020ffda0008010100013f215fffda000c030100010000000200030000001050ef"
    "ffc4001a11010001050000000000000000000000000c110f12125c2611119798999aa2a3a4a5a6a7a8a9aab2"
    "b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa"
    "ffda000c0301000211031100000000000000000000000000001113161cecebe5eaeef51821181a0000000000"
)


@pytest.mark.parametrize("body", [ATHERIS_FINDING, ATHERIS_FINDING_2], ids=["first", "second"])
def test_what_the_fuzzer_found_repairs_once(body):
    assert repaired_or_refused(body) is not None


@st.composite
def mutated_jpeg(draw):
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set-ff", "insert", "delete", "truncate", "marker"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if not data:
            break
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set-ff":
            data[at] = 0xFF
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[at:]
        else:  # a marker where it does not belong
            data[at:at] = bytes(
                [0xFF, draw(st.sampled_from([0xD8, 0xD9, 0xDA, 0xC0, 0x00, 0xFF, 0xD0]))]
            )
    return bytes(data)


@FUZZ
@given(mutated_jpeg())
def test_repair_of_damaged_jpegs(body):
    repaired_or_refused(body)


@FUZZ
@given(st.text(max_size=300))
def test_camera_parser_raises_only_its_own_errors(text):
    try:
        credential = upload.parse_authorization(text)
    except errors.AuthError:
        return
    assert keys.CAMERA_ID.fullmatch(credential.camera) and 0 <= credential.counter < 2**32
    assert 0 <= credential.age <= upload.MAX_AGE_S


@FUZZ
@given(st.one_of(
    st.text(max_size=260),
    st.lists(st.from_regex(r"[a-z]{1,9}=[A-Za-z0-9.+-]{0,17}", fullmatch=True), max_size=18)
    .map(" ".join),
))
def test_health_parser_raises_only_its_own_error(text):
    """Anything, and near misses of the format: the parser keeps only what the format allows."""
    try:
        fields = upload.parse_health(text)
    except errors.MalformedHealth:
        return
    assert len(text) <= upload.MAX_HEALTH_CHARS and 0 < len(fields) <= upload.MAX_HEALTH_TOKENS
    assert upload.health_value(fields) == text  # nothing dropped, nothing reordered


ids = st.from_regex(keys.CAMERA_ID, fullmatch=True)
healths = st.one_of(
    st.none(),
    st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True),
                    st.from_regex(r"[A-Za-z0-9.-]{1,16}", fullmatch=True), min_size=1,
                    max_size=7).map(upload.health_value),
)
counters = st.integers(0, 2**32 - 1)
ages = st.integers(0, upload.MAX_AGE_S)


@given(ids, counters, ages, st.binary(min_size=32, max_size=32), healths)
def test_a_signed_header_round_trips_and_verifies(camera, counter, age, secret, health):
    body = b"\xff\xd8" + secret + b"\xff\xd9"
    message = upload.string_to_sign(
        "POST", "/frames", camera, counter, age, len(body), hashlib.sha256(body).hexdigest(),
        health or "",
    )
    signature = upload.sign(secret, message)
    value = upload.credential_value(camera, counter, age, signature)
    credential = upload.parse_authorization(value)
    upload.parse_health(health)
    assert upload.verify(credential, secret, body, health=health)
    if health:  # the health is signed: without it, or with a token more, it does not verify
        for other in (None, health + " x=1"):
            with pytest.raises(errors.Forbidden):
                upload.verify(credential, secret, body, health=other)


@given(
    ids,
    counters,
    ages,
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.binary(max_size=64),
)
def test_a_forged_signature_is_forbidden(camera, counter, age, signature, body):
    credential = upload.CameraCredential(camera, counter, age, signature)
    secret = bytes(32)
    expected = upload.sign(
        secret,
        upload.string_to_sign(
            "POST", "/frames", camera, counter, age, len(body), hashlib.sha256(body).hexdigest()
        ),
    )
    assume(signature != expected)
    with pytest.raises(errors.Forbidden):
        upload.verify(credential, secret, body)


@FUZZ
@given(
    st.one_of(
        st.text(max_size=300),
        st.text(max_size=40).map(lambda t: "Bearer " + t),
        st.binary(max_size=60).map(lambda b: "Basic " + __import__("base64").b64encode(b).decode()),
    ),
    st.one_of(st.none(), st.text(min_size=1, max_size=40)),
)
def test_viewer_check_raises_only_its_own_errors(header, token):
    try:
        viewer.verify(header, token)
    except errors.AuthError:
        return
    assert token is not None


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d + b"\x00",  # padding after the EOI
        lambda d: d[:-2],  # no EOI
        lambda d: d[1:],  # no SOI
        lambda d: d[:2] + b"\xff\xfe\x00\x01" + d[2:],  # a segment length below 2
        lambda d: d[:2] + b"\xff\xd9",  # an EOI before any scan
    ],
)
def test_the_oracle_rejects_what_must_not_be_stored(damage):
    from tests.security.jpeg_check import Malformed

    for seed in seeds():
        assert check(seed)
        with pytest.raises(Malformed):
            check(damage(seed))


@pytest.mark.parametrize("code", [0x00, 0x02, 0x44, 0xBF, 0xD8])
def test_a_non_marker_among_the_segments_is_refused(code):
    """Found by the fuzzers: FF00 (or a reserved code) where a segment belongs was stored as is."""
    seed = seeds()[0]
    with pytest.raises(NotAJpeg):
        jpeg.repair(seed[:2] + bytes([0xFF, code]) + b"\x00\x04ab" + seed[2:])
