"""The ffmpeg that imageio-ffmpeg ships (no system ffmpeg), codec settings, a run with progress."""

import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import imageio_ffmpeg

FORMATS = ("mp4", "webm", "gif")


class FfmpegError(RuntimeError):
    """ffmpeg exited with an error; the message carries the end of its log."""


def executable() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def codec_args(fmt: str, crf: int | None = None) -> list[str]:
    """Encoder settings per container: H.264 yuv420p (plays everywhere), VP9, or a GIF."""
    if fmt == "mp4":
        crf = 23 if crf is None else crf
        return ["-c:v", "libx264", "-preset", "medium", "-crf", str(crf),
                "-pix_fmt", "yuv420p", "-color_range", "tv", "-movflags", "+faststart", "-f", "mp4"]
    if fmt == "webm":
        crf = 32 if crf is None else crf
        return ["-c:v", "libvpx-vp9", "-crf", str(crf), "-b:v", "0", "-row-mt", "1",
                "-deadline", "good", "-cpu-used", "4", "-pix_fmt", "yuv420p", "-color_range", "tv",
                "-f", "webm"]
    if fmt == "gif":
        return ["-f", "gif"]
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


def run(
    args: list[str],
    feed: Iterable[bytes],
    on_frame: Callable[[int], None] | None = None,
) -> None:
    """Runs ffmpeg with `args`, writes each chunk of `feed` to its stdin, reports encoded frames.

    ffmpeg's machine-readable progress goes to stdout (`frame=N` lines); its log goes to a file so a
    full pipe can never stall it.
    """
    command = [executable(), "-hide_banner", "-nostats", "-loglevel", "error",
               "-progress", "pipe:1", *args]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
        )
        writer = threading.Thread(target=_write, args=(process, feed), daemon=True)
        writer.start()
        assert process.stdout is not None
        try:
            for line in process.stdout:
                if line.startswith(b"frame=") and on_frame:
                    on_frame(int(line[6:]))
        except BaseException:  # Ctrl-C or a failing callback: leave no ffmpeg behind
            process.kill()
            process.wait()
            raise
        code = process.wait()
        writer.join()
        if code != 0:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
            raise FfmpegError(f"ffmpeg exited with {code}: " + " | ".join(tail))


def _write(process: subprocess.Popen, feed: Iterable[bytes]) -> None:
    assert process.stdin is not None
    try:
        for chunk in feed:
            process.stdin.write(chunk)
    except BrokenPipeError:
        pass  # ffmpeg stopped early; its exit code and log say why
    finally:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass


def escape_filter_path(path: Path) -> str:
    """A file name as a filter option value (':' and '\\' and quotes are special there)."""
    text = str(path).replace("\\", "/")
    return "'" + text.replace("'", r"'\''").replace(":", r"\:") + "'"
