"""Draws samples/frame.jpg, the frame `make run` says to post (run once; the JPEG is committed)."""

from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 320, 240


def main() -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):  # a sky-to-ground gradient
        draw.line([(0, y), (WIDTH, y)], fill=(90 + y // 3, 140 + y // 4, 230 - y // 2))
    draw.ellipse([230, 25, 290, 85], fill=(250, 210, 60))  # the sun
    draw.rectangle([0, 180, WIDTH, HEIGHT], fill=(70, 120, 60))  # the ground
    draw.polygon([(60, 180), (120, 110), (180, 180)], fill=(120, 90, 70))  # a hill
    draw.text((10, 10), "stopmotion sample frame", fill=(255, 255, 255))
    image.save(Path(__file__).with_name("frame.jpg"), "JPEG", quality=85)


if __name__ == "__main__":
    main()
