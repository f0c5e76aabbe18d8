"""Every JPEG the tests, the benches and the simulated camera use, made with Pillow and
deterministic (the same arguments give the same bytes):
- photo_jpeg: photo-like (gradients, shapes, sensor noise), about an OV2640's size at that size;
- blocks_jpeg: noisy 8x8 blocks, baseline or progressive, optionally an EXIF thumbnail;
- noise_jpeg: sensor noise only (the hardest to compress), at a size or near a byte count;
- sky_jpeg: frame `index` of a day (a moving sun), with frame_keys/write_folder laying such frames
  out as the service names them and `stopmotion pull` writes them.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from chalicelib.protocol import keys


def photo_jpeg(width: int = 800, height: int = 600, quality: int = 85, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(10, max(11, width // 6))
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(2))
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    image = Image.blend(image, noise, 0.04)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def blocks_jpeg(
    width: int = 64,
    height: int = 48,
    *,
    progressive: bool = False,
    thumbnail: bool = False,
    seed: int = 0,
    quality: int = 85,
) -> bytes:
    """A JPEG of noisy blocks (so it has real entropy data), optionally with an EXIF thumbnail.

    The thumbnail is a complete JPEG, EOI included, inside the APP1 segment.
    """
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    for x in range(0, width, 8):
        for y in range(0, height, 8):
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            image.paste(colour, (x, y, x + 8, y + 8))
    out = io.BytesIO()
    options: dict = {"quality": quality, "progressive": progressive}
    if thumbnail:
        thumb = io.BytesIO()
        image.resize((max(width // 4, 8), max(height // 4, 8))).save(thumb, "JPEG", quality=70)
        exif = Image.Exif()
        exif[0x010F] = "stopmotion test"  # Make
        options["exif"] = _exif_with_thumbnail(exif.tobytes(), thumb.getvalue())
    image.save(out, "JPEG", **options)
    return out.getvalue()


def _exif_with_thumbnail(exif: bytes, thumb: bytes) -> bytes:
    """EXIF with an IFD1 that points at thumb, a complete JPEG stored after it."""
    # Pillow writes "Exif\0\0", a TIFF header and IFD0 whose next-IFD link is 0; add IFD1.
    tiff = bytearray(exif[6:])
    order = "little" if tiff[:2] == b"II" else "big"

    def num(value: int, size: int) -> bytes:
        return value.to_bytes(size, order)

    ifd0 = int.from_bytes(tiff[4:8], order)
    link = ifd0 + 2 + 12 * int.from_bytes(tiff[ifd0 : ifd0 + 2], order)
    tiff += b"\0" * (len(tiff) & 1)
    ifd1 = len(tiff)
    tiff[link : link + 4] = num(ifd1, 4)
    thumb_at = ifd1 + 2 + 2 * 12 + 4
    tiff += num(2, 2)
    tiff += num(0x0201, 2) + num(4, 2) + num(1, 4) + num(thumb_at, 4)  # JPEGInterchangeFormat
    tiff += num(0x0202, 2) + num(4, 2) + num(1, 4) + num(len(thumb), 4)  # ...FormatLength
    tiff += num(0, 4) + thumb
    return b"Exif\0\0" + bytes(tiff)


def noise_jpeg(width: int, height: int, quality: int = 85, sigma: int = 40) -> bytes:
    """Sensor-like noise in every channel: a JPEG that barely compresses."""
    noise = Image.merge("RGB", [Image.effect_noise((width, height), sigma)] * 3)
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=quality)
    return out.getvalue()


def noise_jpeg_near(target: int) -> bytes:
    """A 4:3 noise JPEG within a few percent of target bytes (quality 85)."""
    width = 160
    while True:
        data = noise_jpeg(width, width * 3 // 4)
        if len(data) >= target * 0.97:
            return data
        width = int(width * min(1.5, max(1.01, (target / len(data)) ** 0.5)))


START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def sky_jpeg(index: int, size: tuple[int, int] = (800, 600), quality: int = 85) -> bytes:
    """Frame `index`: sensor-like noise that differs per frame, a gradient sky, a moving disc."""
    width, height = size
    sky = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 30 + index % 7).filter(ImageFilter.GaussianBlur(1))
    image = Image.merge("RGB", (sky, noise, sky.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    draw = ImageDraw.Draw(image)
    x = index * 7 % max(1, width - height // 5)
    draw.ellipse((x, height // 3, x + height // 5, height // 3 + height // 5), fill=(255, 220, 0))
    draw.rectangle((0, height * 5 // 6, width, height), fill=(60 + index % 20, 120, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def frame_keys(count: int, camera: str = "cam-1",
               step: timedelta = timedelta(hours=6)) -> list[str]:
    """Keys in the contract's layout for `count` frames taken `step` apart from START."""
    return [keys.frame_key(camera, START + i * step, f"{i:08x}") for i in range(count)]


def write_folder(folder: Path, count: int, size: tuple[int, int] = (800, 600),
                 camera: str = "cam-1") -> list[Path]:
    """`count` frames laid out as `pull` writes them (key minus "frames/"), made once and reused."""
    paths = []
    for i, key in enumerate(frame_keys(count, camera)):
        path = folder / key.removeprefix(keys.ROOT)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(sky_jpeg(i, size))
        paths.append(path)
    return paths
