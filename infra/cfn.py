"""Read CloudFormation YAML (short-form intrinsics too) and resolve what tests check offline."""

import re
from pathlib import Path
from typing import Any

import yaml

INFRA = Path(__file__).resolve().parent
FRONT_DOOR = INFRA / "front-door.yaml"
MERGE = INFRA / "package-merge.yaml"


class _Loader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref x` into {"Ref": x} and `!Sub s` into {"Fn::Sub": s}."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(path: Path | str) -> dict:
    """The template at `path` as plain data, intrinsics in their long form."""
    return yaml.load(Path(path).read_text(), Loader=_Loader)


def sub(value: Any, names: dict[str, str]) -> str:
    """Resolve a literal or an `Fn::Sub` string against `names`; unknown names raise KeyError."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return names[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}!]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    raise ValueError(f"cannot resolve {value!r} offline")


def parameter_defaults(template: dict) -> dict[str, str]:
    """Parameter name -> default, for the parameters that have one."""
    return {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }
