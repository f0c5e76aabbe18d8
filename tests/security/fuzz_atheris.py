"""Coverage-guided fuzzing (atheris/libFuzzer) of the JPEG repair and the credential parsers.

    .venv/bin/python -m tests.security.fuzz_atheris jpeg|auth CORPUS_DIR [libFuzzer options]
e.g. -runs=5000 (what `make test` does) or -max_total_time=300 (`make fuzz`). A crash is any
exception but the module's own errors, or a repaired frame that is not a well-formed JPEG; libFuzzer
then writes the input to crash-<hash> in the working directory.
"""

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from chalicelib import jpeg
    from chalicelib.protocol import errors, upload, viewer
    from chalicelib.protocol.errors import NotAJpeg
    from tests.security.jpeg_check import check


def fuzz_jpeg(data: bytes) -> None:
    try:
        image = jpeg.repair(data)
    except NotAJpeg:
        return
    assert check(image.data) == (image.width, image.height)
    again = jpeg.repair(image.data)
    assert again.data == image.data and not again.repairs


def fuzz_auth(data: bytes) -> None:
    header = data.decode("latin-1")  # how HTTP header bytes reach the app
    authorization, _, health = header.partition("\n")  # one input, both camera headers
    try:
        credential = upload.parse_authorization(authorization)
        upload.parse_health(health or None)
        upload.verify(credential, bytes(32), data, health=health or None)
    except (errors.AuthError, errors.MalformedHealth):
        pass
    try:
        viewer.verify(header, "viewer-token")
    except errors.AuthError:
        pass


def seed_corpus(target: str, corpus: Path) -> None:
    """Starts an empty corpus with good inputs, so the fuzzer mutates from real structure."""
    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    if target == "jpeg":
        from simboard.frames import blocks_jpeg

        seeds = [
            blocks_jpeg(16, 16),
            blocks_jpeg(24, 16, progressive=True),
            blocks_jpeg(16, 16, thumbnail=True),
            b"\xd8\xff\xe0",
            b"\x00\xff\xd8\xff",
        ]
    else:
        seeds = [
            b"SM1-HMAC-SHA256 Camera=cam-1, Counter=12, Age=0, Signature=" + b"ab" * 32,
            b"SM1-HMAC-SHA256 Camera=cam-1, Counter=12, Age=0, Signature=" + b"ab" * 32
            + b"\nfw=0.2.0 up=86400 boots=3 reset=wdt sram=612 tries=2",
            b"Bearer viewer-token",
            b"Basic dmlld2VyOnZpZXdlci10b2tlbg==",
        ]
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i}").write_bytes(seed)


def main() -> None:
    target, corpus = sys.argv[1], Path(sys.argv[2])
    seed_corpus(target, corpus)
    test = {"jpeg": fuzz_jpeg, "auth": fuzz_auth}[target]
    atheris.Setup([sys.argv[0], *sys.argv[3:], str(corpus)], test)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
