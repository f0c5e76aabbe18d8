"""`stopmotion render` against bare ffmpeg: the same 800x600 frames, the same H.264 settings.

Both runs encode every frame with the same binary and codec arguments (ffmpeg.codec_args); ours is
timed as a user runs it (a fresh `stopmotion render` process: start-up, the decode check, piping).
Rounds alternate and the best of each is compared, in wall time and in CPU time (user+sys of the
process and its children: steadier when other work shares the cores). Frames are made once under
var/bench/. STUDIO_BENCH_FRAMES overrides the frame count (default 1000).
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simboard import frames as sample_frames
from stopmotion import ffmpeg

ROOT = Path(__file__).resolve().parent.parent
FRAMES = int(os.environ.get("STUDIO_BENCH_FRAMES", "1000"))
SIZE = (800, 600)
FPS = 24
ROUNDS = 2


def source() -> Path:
    """The benchmark's frames in the layout `pull` writes, made on the first run."""
    folder = ROOT / "var" / "bench" / f"frames-{SIZE[0]}x{SIZE[1]}-{FRAMES}"
    started = time.perf_counter()
    sample_frames.write_folder(folder, FRAMES, SIZE)
    print(f"frames: {FRAMES} of {SIZE[0]}x{SIZE[1]} in {folder.relative_to(ROOT)} "
          f"(ready in {time.perf_counter() - started:.1f} s)")
    return folder


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user+sys, children included) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    folder = source()
    pattern = str(folder / "cam-1" / "*" / "*" / "*" / "*.jpg")  # the time order of the keys
    with tempfile.TemporaryDirectory() as out:
        bare = [ffmpeg.executable(), "-hide_banner", "-loglevel", "error", "-nostdin",
                "-framerate", str(FPS), "-pattern_type", "glob", "-i", pattern,
                *ffmpeg.codec_args("mp4"), "-y", f"{out}/bare.mp4"]
        ours = [str(Path(sys.executable).parent / "stopmotion"), "render", str(folder), "-o",
                f"{out}/ours.mp4", "--fps", str(FPS), "--hold", "0", "--quiet"]
        runs: dict[str, list[tuple[float, float]]] = {"bare ffmpeg": [], "stopmotion render": []}
        for _ in range(ROUNDS):
            runs["bare ffmpeg"].append(timed(bare))
            runs["stopmotion render"].append(timed(ours))
        sizes = {name: Path(out, f"{name}.mp4").stat().st_size for name in ("bare", "ours")}
    best = {name: (min(w for w, _ in times), min(c for _, c in times))
            for name, times in runs.items()}
    print(f"{'encoder':<20}{'wall s':>8}{'frames/s':>10}{'CPU s':>8}")
    for name, (wall, cpu) in best.items():
        print(f"{name:<20}{wall:>8.2f}{FRAMES / wall:>10.1f}{cpu:>8.2f}")
    (ours_wall, ours_cpu), (bare_wall, bare_cpu) = best["stopmotion render"], best["bare ffmpeg"]
    print(f"ratio render/bare: wall {ours_wall / bare_wall:.3f}, CPU {ours_cpu / bare_cpu:.3f} "
          f"(goal <= 1.10); best of {ROUNDS} rounds each; "
          f"films {sizes['ours']} and {sizes['bare']} bytes")
