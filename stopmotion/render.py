"""`stopmotion render`: a folder of frames to an MP4 (H.264), WebM (VP9) or GIF film.

Each frame is decoded once in Python (Pillow at 1/8 scale, on all cores: enough to find frames that
do not decode), then its JPEG bytes are piped unchanged into ffmpeg, which decodes and encodes them.
A frame that ffmpeg would decode to another size or pixel format than the first frame is letterboxed
to the first frame's size and re-encoded first: on such a change ffmpeg rebuilds its filter graph,
losing the frames queued in palettegen.
The capture time for the overlay comes from the frame's name (the S3 key layout that `pull` keeps).
"""

import argparse
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps, ImageStat, JpegImagePlugin
from tqdm import tqdm

from stopmotion import ffmpeg, frames


@dataclass(frozen=True)
class Frame:
    path: Path
    size: tuple[int, int]
    taken: datetime | None
    mode: str = "RGB"
    sampling: int = 2  # chroma subsampling (Pillow's code: 2 is 4:2:0); with mode, the pixel format
    brightness: float = 128.0  # mean luma, 0..255


@dataclass(frozen=True)
class Film:
    fmt: str
    fps: float
    width: int | None = None
    height: int | None = None
    timestamps: bool = False
    deflicker: bool = False
    hold: float = 1.0
    crf: int | None = None


def check(path: Path) -> Frame | str:
    """The frame's size and capture time, or why it does not decode."""
    try:
        with Image.open(path) as image:
            if image.format != "JPEG":
                return f"not a JPEG ({image.format})"
            size, mode, sampling = image.size, image.mode, JpegImagePlugin.get_sampling(image)
            image.draft("RGB", (size[0] // 8, size[1] // 8))
            image.load()
            brightness = ImageStat.Stat(image.convert("L")).mean[0]
    except Exception as error:  # noqa: BLE001 - any decoder failure means "skip and report"
        return str(error) or type(error).__name__
    name = frames.parse(path.as_posix())
    return Frame(path, size, name.time if name else None, mode, sampling, brightness)


def scan(paths: list[Path], progress: bool = False) -> tuple[list[Frame], list[tuple[Path, str]]]:
    """Splits `paths` into frames that decode (in order) and (path, reason) for the others."""
    good: list[Frame] = []
    bad: list[tuple[Path, str]] = []
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        results = pool.map(check, paths)
        for path, result in tqdm(zip(paths, results, strict=True), total=len(paths),
                                 desc="check", unit="frame", disable=not progress):
            if isinstance(result, Frame):
                good.append(result)
            else:
                bad.append((path, result))
    return good, bad


def jpeg_like(frame: Frame, first: Frame) -> bytes:
    """The frame's JPEG bytes, or, if it differs from `first` in size or pixel format, the frame
    letterboxed to the first frame's size and encoded as it is (quality 95)."""
    if (frame.size, frame.mode, frame.sampling) == (first.size, first.mode, first.sampling):
        return frame.path.read_bytes()
    with Image.open(frame.path) as image:
        picture = ImageOps.pad(image.convert(first.mode), first.size, color="black")
    out = BytesIO()
    picture.save(out, "JPEG", quality=95, **({"subsampling": first.sampling}
                                              if first.sampling >= 0 else {}))
    return out.getvalue()


def output_size(film: Film, first: tuple[int, int]) -> tuple[int, int]:
    """Even width and height: as asked, or scaled from the first frame's aspect ratio."""
    width, height = film.width, film.height
    if width and not height:
        height = round(first[1] * width / first[0])
    elif height and not width:
        width = round(first[0] * height / first[1])
    elif not width:
        width, height = first
    assert width and height
    return max(2, width // 2 * 2), max(2, height // 2 * 2)


def filters(film: Film, good: list[Frame], workdir: Path) -> str:
    """The -vf chain: deflicker, fit to the output size, timestamp overlay, hold, GIF palette."""
    width, height = output_size(film, good[0].size)
    chain = []
    if film.deflicker:  # each frame's luma times its gain (black bars stay black)
        commands = _commands(workdir / "deflicker.cmd", film, [
            f"lutyuv y 'val*{gain:.4f}'" for gain in deflicker_gains(good)])
        chain.append(f"sendcmd=f={commands},lutyuv=y=val")
    if good[0].size != (width, height):  # every frame has the first one's size (jpeg_like)
        chain.append(f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
                     f"pad={width}:{height}:-1:-1,setsar=1")
    if film.timestamps:
        commands = _commands(workdir / "timestamps.cmd", film, [
            f"drawtext reinit 'text={_stamp(frame.taken)}'" for frame in good])
        chain.append(f"sendcmd=f={commands},drawtext=text='':"
                     "fontcolor=white:fontsize=h/24:box=1:boxcolor=black@0.5:boxborderw=6:"
                     "x=w/60:y=h-th-h/60")
    if film.hold > 0:
        chain.append(f"tpad=stop_mode=clone:stop_duration={film.hold}")
    if film.fmt == "gif":
        # A palette per frame: a palette of the whole film misses colours seen in few frames.
        chain.append("split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1")
    return ",".join(chain) or "null"


def deflicker_gains(good: list[Frame], window: int = 5) -> list[float]:
    """Per frame: the mean brightness of the `window` frames around it over its own. Measured on
    the frames as taken, so the black bars of a letterboxed frame do not count as dark."""
    half = window // 2
    gains = []
    for i, frame in enumerate(good):
        around = good[max(0, i - half): i + half + 1]
        target = sum(f.brightness for f in around) / len(around)
        gains.append(target / frame.brightness if frame.brightness >= 1 else 1.0)
    return gains


def _commands(path: Path, film: Film, per_frame: list[str]) -> str:
    """A sendcmd file sending frame i its command, half a frame early (immune to fps rounding);
    returns the file name as a filter option value."""
    path.write_text("".join(f"{max(0.0, (i - 0.5) / film.fps):.6f} {command};\n"
                            for i, command in enumerate(per_frame)))
    return ffmpeg.escape_filter_path(path)


def _stamp(taken: datetime | None) -> str:
    return taken.strftime("%Y-%m-%d %H\\:%M\\:%S UTC") if taken else ""


def render(good: list[Frame], out: Path, film: Film, progress: bool = False) -> None:
    """Encodes `good` frames to `out` (written under a temporary name, renamed when complete)."""
    partial = out.with_name(f".{out.name}.part")
    out.parent.mkdir(parents=True, exist_ok=True)
    total = len(good) + round(film.hold * film.fps)
    with tempfile.TemporaryDirectory() as workdir, \
            tqdm(total=total, desc="render", unit="frame", disable=not progress) as bar:
        args = ["-f", "image2pipe", "-framerate", f"{film.fps:g}", "-c:v", "mjpeg", "-i", "pipe:0",
                "-vf", filters(film, good, Path(workdir)), "-r", f"{film.fps:g}",
                *ffmpeg.codec_args(film.fmt, film.crf), "-y", str(partial)]
        feed = (jpeg_like(frame, good[0]) for frame in good)
        try:
            ffmpeg.run(args, feed, on_frame=lambda n: bar.update(n - bar.n))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, out)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("render", help="turn a folder of frames into a film",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of JPEG frames (e.g. from `pull`)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="film to write: .mp4 (H.264), .webm (VP9) or .gif")
    parser.add_argument("--camera", help="only this camera's frames")
    frames.add_time_range(parser)
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--fps", type=float, default=12.0, help="frames per second (default 12)")
    speed.add_argument("--duration", type=float,
                       help="target length in seconds, hold included (sets the fps)")
    parser.add_argument("--every", type=int, default=1, metavar="N", help="keep every N-th frame")
    parser.add_argument("--width", type=int,
                        help="output width (default: the first frame's; height follows unless "
                        "given); frames of another size are letterboxed")
    parser.add_argument("--height", type=int,
                        help="output height (default: the first frame's; width follows unless "
                        "given)")
    parser.add_argument("--timestamps", action="store_true", help="overlay each capture time")
    parser.add_argument("--deflicker", action="store_true", help="even out frame brightness")
    parser.add_argument("--hold", type=float, default=1.0, help="seconds on the last frame")
    parser.add_argument("--crf", type=int, help="quality (lower is better; 23 for H.264)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    fmt = args.output.suffix.lower().lstrip(".")
    if fmt not in ffmpeg.FORMATS:
        sys.exit(f"render: {args.output}: the name must end in .mp4, .webm or .gif")
    if args.every < 1 or (args.duration is not None and args.duration <= 0) or args.fps <= 0:
        sys.exit("render: --every, --fps and --duration must be positive")
    if not args.source.is_dir():
        sys.exit(f"render: {args.source} is not a folder")
    paths = [p for p in frames.local_frames(args.source)
             if frames.in_range(frames.parse(p.as_posix()), args.camera, args.since, args.until)]
    good, bad = scan(paths[:: args.every], progress=not args.quiet)
    for path, reason in bad:
        print(f"render: skipped {path}: {reason}", file=sys.stderr)
    if not good:
        sys.exit(f"render: no frames that decode in {args.source} for that selection")
    hold = max(0.0, args.hold)
    if args.duration is not None and args.duration <= hold:
        sys.exit("render: --duration must be longer than --hold")
    fps = len(good) / (args.duration - hold) if args.duration else args.fps
    film = Film(fmt, fps, args.width, args.height, args.timestamps, args.deflicker, hold, args.crf)
    render(good, args.output, film, progress=not args.quiet)
    seconds = len(good) / fps + film.hold
    print(f"{args.output}: {len(good)} frames at {fps:g} fps, {seconds:.1f} s"
          + (f"; skipped {len(bad)} that do not decode" if bad else ""))
    return 0
