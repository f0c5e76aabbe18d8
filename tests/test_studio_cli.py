"""The installed `stopmotion` command end to end: post frames as a camera, pull, render a film."""

import argparse
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import imageio_ffmpeg
import pytest

from simboard import frames as sample_frames
from stopmotion import cli

STOPMOTION = str(Path(sys.executable).parent / "stopmotion")


def run(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([STOPMOTION, *argv], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("command", ["pull", "render", "post", "card"])
def test_each_subcommand_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: stopmotion {command}" in result.stdout


def test_post_pull_render(local_stack, cameras, tmp_path: Path) -> None:
    cameras.secret("studio-cli")  # the camera exists in the stack's secrets file
    for i in range(5):
        frame = tmp_path / f"shot{i}.jpg"
        frame.write_bytes(sample_frames.sky_jpeg(i, (200, 150)))
        posted = run("post", str(frame), "--url", f"{local_stack.api_url}/frames",
                     "--camera", "studio-cli", "--secrets-file", str(local_stack.secrets_file))
        assert posted.returncode == 0, posted.stdout + posted.stderr
        assert posted.stdout.startswith("HTTP/1.1 201")

    # --local: the local stack's keys and bucket, no AWS settings from the environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("FRAMES_BUCKET", None)
    pulled = run("pull", str(tmp_path / "frames"), "--local", "--endpoint-url",
                 local_stack.s3_endpoint, "--camera", "studio-cli", env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert "pulled 5 frames" in pulled.stdout and "sha256 5" in pulled.stdout

    film = tmp_path / "film.mp4"
    rendered = run("render", str(tmp_path / "frames"), "-o", str(film), "--fps", "5",
                   "--timestamps")
    assert rendered.returncode == 0, rendered.stderr
    assert imageio_ffmpeg.count_frames_and_secs(str(film)) == (10, 2.0)  # 5 frames + 1 s hold


def subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    """Each subcommand's parser, registered as `stopmotion` registers them."""
    subparsers = argparse.ArgumentParser().add_subparsers()
    for name in cli.SUBCOMMANDS:
        import_module(f"stopmotion.{name}").register(subparsers)
    return dict(subparsers.choices)


def test_until_is_exclusive_in_every_help() -> None:
    helps = {name: action.help for name, parser in subcommand_parsers().items()
             for action in parser._actions if "--until" in action.option_strings}
    assert {"pull", "render"} <= set(helps)
    assert len(set(helps.values())) == 1, helps  # one wording everywhere
    assert "exclusive" in helps["render"]


def test_render_help_names_the_default_size() -> None:
    result = run("render", "--help")
    assert "first frame" in " ".join(result.stdout.split())
