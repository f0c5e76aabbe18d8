"""Synthetic camera frames made with Pillow (for benches and tests): a noisy sky, a moving sun."""

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from chalicelib.protocol import keys

START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def jpeg(index: int, size: tuple[int, int] = (800, 600), quality: int = 85) -> bytes:
    """Frame `index`: sensor-like noise that differs per frame, a gradient sky, a moving disc."""
    width, height = size
    sky = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 30 + index % 7).filter(ImageFilter.GaussianBlur(1))
    image = Image.merge("RGB", (sky, noise, sky.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    draw = ImageDraw.Draw(image)
    x = index * 7 % max(1, width - height // 5)
    draw.ellipse((x, height // 3, x + height // 5, height // 3 + height // 5), fill=(255, 220, 0))
    draw.rectangle((0, height * 5 // 6, width, height), fill=(60 + index % 20, 120, 40))
    out = BytesIO()
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
            path.write_bytes(jpeg(i, size))
        paths.append(path)
    return paths
