"""The `stopmotion` command: each subcommand is a module here with a `register(subparsers)`."""

import argparse
from importlib import import_module

# Module names in this package, in the order `--help` lists them.
SUBCOMMANDS = ["serve", "pull", "render", "post", "camera", "card"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stopmotion", description="Tools for the stop-motion camera and its frames."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        import_module(f"stopmotion.{name}").register(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
