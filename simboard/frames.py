"""Test frames: deterministic photo-like JPEGs (gradients, shapes, sensor noise) made with
Pillow, about the size an OV2640 produces at the same resolution."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter


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
