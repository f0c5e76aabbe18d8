"""Writes the vectors the firmware's SHA-256, HMAC and request signer are checked against.

Every expected value comes from Python (hashlib, hmac, chalicelib.protocol.upload). To regenerate:
    .venv/bin/python -m tests.security.make_vectors > firmware/test/test_native/auth_vectors.txt
Line formats ("-" stands for empty hex):
    sha256 <message hex> <digest hex>
    hmac   <key hex> <message hex> <mac hex>
    sign   <key hex> <method> <path> <camera> <counter> <age> <length> <body sha256 hex> <signature>
           <Stopmotion-Health value, the rest of the line ("-": no header, "" signed)>
    header <camera> <counter> <age> <signature> <Authorization value (rest of the line)>
"""

import hashlib
import hmac
import random
import sys

from chalicelib.protocol import upload


def hx(data: bytes) -> str:
    return data.hex() or "-"


def lines() -> list[str]:
    rng = random.Random(20261124)
    out = []
    messages = [b"", b"abc", b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"]
    # every length around the padding boundaries (55/56/63/64 bytes and one block further)
    messages += [rng.randbytes(n) for n in range(0, 200)]
    messages += [rng.randbytes(n) for n in (1000, 4095, 4096)]
    for message in messages:
        out.append(f"sha256 {hx(message)} {hashlib.sha256(message).hexdigest()}")
    keys = [b"", b"\x0b" * 20, b"Jefe", rng.randbytes(32), rng.randbytes(63), rng.randbytes(64)]
    for key in keys:
        for message in (b"", b"Hi There", b"what do ya want for nothing?", rng.randbytes(300)):
            out.append(
                f"hmac {hx(key)} {hx(message)} {hmac.new(key, message, hashlib.sha256).hexdigest()}"
            )
    healths = [  # none, the firmware's twelve fields, one token, the longest value taken
        None,
        "fw=0.2.0 up=86400 boots=3 reset=wdt sram=612 tries=2 queued=4 lost=1 lead=0 link=up "
        "dhcp=2 spi=8000",
        "fw=0.2.0",
        " ".join(f"{chr(97 + i) * 8}={'9' * 16}"[: 200 // 8 - 1] for i in range(8)),
    ]
    cases = [  # ages: just taken, a day, the service's limit, and the most the firmware can write
        ("POST", "/frames", "cam-1", 1, 0, 0, None),
        ("POST", "/frames", "a" * 32, 2**32 - 1, 2**32 - 1, 4_500_000, healths[1]),
        ("POST", "/frames", "cam-day", 7, 86_400, 59_377, None),
        ("POST", "/frames", "cam-oldest", 8, upload.MAX_AGE_S, 59_377, healths[1]),
        ("POST", "/frames", "cam-hello", 9, 0, 0, healths[1]),  # a hello: no body
    ]
    cases += [
        ("POST", "/frames", f"cam-{i}", rng.randrange(2**32), rng.randrange(2**32),
         rng.randrange(10**7), healths[i % len(healths)])
        for i in range(20)
    ]
    for method, path, camera, counter, age, length, health in cases:
        key = rng.randbytes(32)
        body_sha = hashlib.sha256(b"" if length == 0 else rng.randbytes(64)).hexdigest()
        upload.parse_health(health)  # only health the service takes
        message = upload.string_to_sign(method, path, camera, counter, age, length, body_sha,
                                        health or "")
        signature = upload.sign(key, message)
        out.append(
            f"sign {key.hex()} {method} {path} {camera} {counter} {age} {length} {body_sha} "
            f"{signature} {health or '-'}"
        )
        value = upload.credential_value(camera, counter, age, signature)
        if age <= upload.MAX_AGE_S:  # the service takes it back as it was written
            credential = upload.CameraCredential(camera, counter, age, signature)
            assert upload.parse_authorization(value) == credential
        out.append(f"header {camera} {counter} {age} {signature} {value}")
    return out


def main() -> int:
    sys.stdout.write("\n".join(lines()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
