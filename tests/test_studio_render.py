"""`stopmotion render` end to end with the ffmpeg imageio-ffmpeg ships: frames in, films out."""

import argparse
import math
from datetime import timedelta
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps, ImageStat

from chalicelib.protocol.keys import ROOT
from simboard import frames as sample_frames
from stopmotion import frames, render

SIZE = (160, 120)


def stopmotion_render(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    render.register(parser.add_subparsers())
    args = parser.parse_args(["render", "--quiet", *argv])
    return args.func(args)


def film(path: Path) -> tuple[dict, list[Image.Image]]:
    """The film's metadata and its frames as RGB images, decoded by ffmpeg."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    return meta, [Image.frombytes("RGB", meta["size"], raw) for raw in reader]


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel value."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    sample_frames.write_folder(tmp_path / "frames", 12, SIZE)
    return tmp_path / "frames"


def test_mp4_is_h264_yuv420p_with_every_frame_and_the_hold(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    assert stopmotion_render(str(folder), "-o", str(out), "--fps", "6", "--hold", "0.5") == 0
    meta, pictures = film(out)
    assert meta["codec"] == "h264"
    assert meta["pix_fmt"].startswith("yuv420p(tv")
    assert meta["fps"] == 6
    assert len(pictures) == 12 + 3
    assert difference(pictures[-1], pictures[-4]) < 0.5  # the last frame held (not black)
    assert difference(pictures[-4], pictures[-5]) > 2  # while real frames differ
    assert not list(tmp_path.glob(".*.part"))


def test_odd_sizes_become_even_and_width_alone_keeps_the_aspect(tmp_path: Path) -> None:
    sample_frames.write_folder(tmp_path / "odd", 3, (161, 121))
    out = tmp_path / "odd.mp4"
    stopmotion_render(str(tmp_path / "odd"), "-o", str(out), "--hold", "0")
    assert film(out)[0]["size"] == (160, 120)
    stopmotion_render(str(tmp_path / "odd"), "-o", str(out), "--hold", "0", "--width", "81")
    assert film(out)[0]["size"] == (80, 60)


def test_frames_of_another_size_are_letterboxed(folder: Path, tmp_path: Path) -> None:
    paths = frames.local_frames(folder)
    Image.new("RGB", (60, 120), (250, 250, 250)).save(paths[1])  # portrait, white
    out = tmp_path / "film.mp4"
    stopmotion_render(str(folder), "-o", str(out), "--hold", "0", "--crf", "0")
    meta, pictures = film(out)
    assert meta["size"] == SIZE and len(pictures) == 12
    portrait = pictures[1]
    assert ImageStat.Stat(portrait.crop((60, 10, 100, 110))).mean[0] > 240  # the picture, centred
    assert ImageStat.Stat(portrait.crop((0, 0, 40, 120))).mean[0] < 20  # black bars at the sides


def mixed_sizes(folder: Path) -> list[Path]:
    """18 frames of one brightness and 18 hues: the film's size (one with 4:4:4 chroma instead of
    4:2:0), smaller of the same aspect, portrait."""
    paths = []
    for i, key in enumerate(sample_frames.frame_keys(18)):
        path = folder / key.removeprefix(ROOT)
        path.parent.mkdir(parents=True, exist_ok=True)
        angle = math.radians(20 * i)
        hue = (128, round(128 + 60 * math.cos(angle)), round(128 + 60 * math.sin(angle)))
        picture = Image.new("YCbCr", (SIZE, (80, 60), (60, 120))[i % 3], hue).convert("RGB")
        picture.save(path, quality=95, subsampling=0 if i == 9 else 2)
        paths.append(path)
    return paths


def hue(picture: Image.Image) -> tuple[float, float]:
    """Mean chroma (Cb, Cr) of the middle, inside the picture whatever the letterbox."""
    return tuple(ImageStat.Stat(picture.crop((60, 10, 100, 110)).convert("YCbCr")).mean[1:])


@pytest.mark.parametrize("deflicker", [False, True], ids=["plain", "deflicker"])
@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".gif"])
def test_every_frame_of_another_size_is_letterboxed_in_its_place(
    tmp_path: Path, suffix: str, deflicker: bool
) -> None:
    paths = mixed_sizes(tmp_path / "mixed")
    out = tmp_path / f"film{suffix}"
    stopmotion_render(str(tmp_path / "mixed"), "-o", str(out), "--hold", "0", "--fps", "4",
                      *(["--deflicker"] if deflicker else []))
    meta, pictures = film(out)
    assert meta["size"] == SIZE and len(pictures) == len(paths)
    letterboxed = [ImageOps.pad(Image.open(p).convert("RGB"), SIZE, color="black") for p in paths]
    hues = [hue(source) for source in letterboxed]
    for index, picture in enumerate(pictures):  # each output frame shows its own source frame
        nearest = min(range(len(paths)), key=lambda j: math.dist(hue(picture), hues[j]))
        assert nearest == index, f"frame {index} shows source frame {nearest}"
        if index % 3 == 2:  # portrait: black bars at the sides, the picture centred
            assert max(ImageStat.Stat(picture.crop((0, 0, 40, 120))).mean) < 20
        if not deflicker:  # deflicker changes brightness (not hue)
            assert difference(picture, letterboxed[index]) < 8


def test_gif_keeps_the_colours_of_the_last_frame(folder: Path, tmp_path: Path) -> None:
    """A colour seen only in the last frame gets its palette entries too."""
    last = frames.local_frames(folder)[-1]
    picture = Image.open(last).convert("RGB")
    ImageDraw.Draw(picture).rectangle((60, 20, 110, 70), fill=(230, 20, 200))
    picture.save(last, quality=95)
    out = tmp_path / "film.gif"
    stopmotion_render(str(folder), "-o", str(out), "--hold", "0", "--fps", "4")
    rendered = film(out)[1][-1]
    square = (65, 25, 105, 65)
    assert difference(rendered.crop(square), picture.crop(square)) < 8
    assert difference(rendered, picture) < 8


def test_frames_that_do_not_decode_are_skipped_and_reported(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    paths = frames.local_frames(folder)
    paths[3].write_bytes(paths[3].read_bytes()[:400])  # truncated scan
    paths[5].write_bytes(b"<html>503 Service Unavailable</html>")
    paths[7].write_bytes(b"")
    out = tmp_path / "film.mp4"
    assert stopmotion_render(str(folder), "-o", str(out), "--hold", "0") == 0
    assert len(film(out)[1]) == 9
    report = capsys.readouterr()
    for index in (3, 5, 7):
        assert f"skipped {paths[index]}" in report.err
    assert "skipped 3 that do not decode" in report.out


def test_camera_time_range_and_every_nth_select_frames(folder: Path, tmp_path: Path) -> None:
    sample_frames.write_folder(folder, 4, SIZE, camera="other")
    out = tmp_path / "film.mp4"
    # cam-1 frames are 6 h apart from 06:00: [08:00 day 1, 12:00 day 2) holds frames 1..4.
    since, until = "2026-11-24T08:00:00Z", "2026-11-25T12:00:00"
    stopmotion_render(str(folder), "-o", str(out), "--hold", "0", "--camera", "cam-1",
                      "--since", since, "--until", until)
    assert len(film(out)[1]) == 4
    stopmotion_render(str(folder), "-o", str(out), "--hold", "0", "--every", "3")
    assert len(film(out)[1]) == 6  # 16 frames of both cameras, every 3rd: 0, 3, ..., 15
    stopmotion_render(str(folder), "-o", str(out), "--hold", "0", "--camera", "other")
    assert len(film(out)[1]) == 4


def test_duration_sets_the_frame_rate(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    stopmotion_render(str(folder), "-o", str(out), "--duration", "3", "--hold", "1")
    meta, pictures = film(out)
    assert meta["fps"] == 6  # 12 frames in the 2 s before the hold
    assert meta["duration"] == pytest.approx(3, abs=0.2)


@pytest.mark.parametrize(("suffix", "codec"), [(".webm", "vp9"), (".gif", "gif")])
def test_webm_and_gif(folder: Path, tmp_path: Path, suffix: str, codec: str) -> None:
    out = tmp_path / f"film{suffix}"
    stopmotion_render(str(folder), "-o", str(out), "--hold", "0", "--fps", "4")
    meta, pictures = film(out)
    assert meta["codec"].rstrip(",") == codec
    assert len(pictures) == 12
    assert difference(pictures[0], pictures[1]) > 1  # it moves


def test_timestamp_overlay_draws_only_in_the_corner(folder: Path, tmp_path: Path) -> None:
    plain, stamped = tmp_path / "plain.mp4", tmp_path / "stamped.mp4"
    stopmotion_render(str(folder), "-o", str(plain), "--hold", "0", "--crf", "0")
    stopmotion_render(str(folder), "-o", str(stamped), "--hold", "0", "--crf", "0", "--timestamps")
    a, b = film(plain)[1][4], film(stamped)[1][4]
    corner = (0, 100, 100, 120)  # bottom left, where the stamp goes
    assert difference(a.crop(corner), b.crop(corner)) > 10
    assert difference(a.crop((0, 0, 160, 60)), b.crop((0, 0, 160, 60))) < 1


def test_each_frame_gets_its_own_capture_time(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.mp4"
    # 12 frames in 1.8 s: 6.666... frames/s, a rate that does not round evenly
    stopmotion_render(str(folder), "-o", str(out), "--hold", "0", "--crf", "0", "--timestamps",
                      "--duration", "1.8")
    pictures = film(out)[1]
    corner = (0, 90, 160, 120)
    for index in (1, 6, 11):  # the same frame rendered alone carries the same stamp
        taken = sample_frames.START + index * timedelta(hours=6)
        alone = tmp_path / f"alone{index}.mp4"
        stopmotion_render(str(folder), "-o", str(alone), "--hold", "0", "--crf", "0",
                          "--timestamps", "--since", taken.isoformat(),
                          "--until", (taken + timedelta(seconds=1)).isoformat())
        picture = film(alone)[1][0]
        assert difference(picture.crop(corner), pictures[index].crop(corner)) < 1
        assert difference(picture.crop(corner), pictures[index - 1].crop(corner)) > 1


def test_deflicker_evens_out_brightness(tmp_path: Path) -> None:
    source = tmp_path / "flicker"
    for i, key in enumerate(sample_frames.frame_keys(16)):
        path = source / key.removeprefix(ROOT)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", SIZE, (90, 90, 90) if i % 2 else (150, 150, 150)).save(path, quality=95)

    def spread(*extra: str) -> float:
        out = tmp_path / "film.mp4"
        stopmotion_render(str(source), "-o", str(out), "--hold", "0", *extra)
        means = [ImageStat.Stat(picture.convert("L")).mean[0] for picture in film(out)[1]]
        average = sum(means) / len(means)
        return (sum((m - average) ** 2 for m in means) / len(means)) ** 0.5

    assert spread("--deflicker") < spread() / 2


def test_bad_arguments_are_clear_errors(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"\.mp4, \.webm or \.gif"):
        stopmotion_render(str(folder), "-o", str(tmp_path / "film.avi"))
    with pytest.raises(SystemExit, match="no frames that decode"):
        stopmotion_render(str(folder), "-o", str(tmp_path / "f.mp4"), "--camera", "nobody")
    with pytest.raises(SystemExit, match="longer than --hold"):
        stopmotion_render(str(folder), "-o", str(tmp_path / "f.mp4"), "--duration", "1")
