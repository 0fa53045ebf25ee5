"""The JSON Schemas, checked by a real validator of the JSON Schema world against the readers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from crampvoice.core.errors import ScriptError, SettingsError
from crampvoice.core.scriptfile import STEP_KEYS, TOP_KEYS, parse_script
from crampvoice.library import TEMPLATE, bundled_dir
from crampvoice.schema import SCHEMAS, as_json, profile_schema, script_schema, shipped
from crampvoice.settings import KEYS, load_settings

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"


class Yaml12(yaml.SafeLoader):
    """YAML as an editor's language server reads it (1.2): `yes` and `no` are words, not booleans."""


Yaml12.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Yaml12.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false|True|False|TRUE|FALSE)$"),
                             list("tTfF"))


def schema_errors(kind: str, text: str) -> list[str]:
    """What the JSON Schema finds wrong; a file YAML itself cannot load is one error too."""
    try:
        data = yaml.load(text, Loader=Yaml12)
    except yaml.YAMLError as e:
        return [f"YAML: {e}"]
    validator = jsonschema.Draft202012Validator(SCHEMAS[kind]())
    return [e.message for e in validator.iter_errors(data)]


def test_each_schema_is_a_valid_json_schema_and_the_shipped_file_is_the_one_made_now() -> None:
    for kind, make in SCHEMAS.items():
        jsonschema.Draft202012Validator.check_schema(make())
        assert shipped(kind).read_text() == as_json(make()), (
            f"the shipped schema is out of date: crampvoice schema {kind} > src/crampvoice/schemas/{kind}.schema.json")
        assert json.loads(shipped(kind).read_text()) == make()


def test_the_schemas_know_exactly_the_keys_the_readers_allow() -> None:
    script = script_schema()
    assert list(script["properties"]) == list(TOP_KEYS)
    assert list(script["properties"]["steps"]["items"]["properties"]) == list(STEP_KEYS)
    assert list(profile_schema()["properties"]) == list(KEYS)
    every: list[dict[str, Any]] = [*script["properties"].values(), *script["properties"]["steps"]["items"]
                                   ["properties"].values(), *profile_schema()["properties"].values()]
    assert all(field["description"].endswith(".") for field in every)  # an editor shows each one


SCRIPTS = [*sorted(bundled_dir().glob("*.yaml")), DATA / "short.yaml"]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_bundled_script_is_valid_by_the_schema_as_by_the_reader(path: Path) -> None:
    parse_script(path.read_bytes(), str(path))
    assert schema_errors("script", path.read_text()) == []


def test_the_template_new_writes_is_valid_by_the_schema() -> None:
    assert schema_errors("script", TEMPLATE) == []


def test_a_profile_with_every_key_is_valid_by_the_schema_as_by_the_reader(tmp_path: Path) -> None:
    text = "script: night\nvoice: gmw/en-gb-x-rp\nrate: 140\nvolume: 0.8\nwords:\n  next: [okay, go on]\n  yes: yeah\n"
    (tmp_path / "p.yaml").write_text(text)
    load_settings(tmp_path / "p.yaml")
    assert schema_errors("profile", text) == []


def reader_refuses(path: Path) -> bool:
    try:
        if path.name.startswith("profile-"):
            load_settings(path)
        else:
            parse_script(path.read_bytes(), str(path))
    except (ScriptError, SettingsError):
        return True
    return False


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.name)
def test_each_broken_file_is_refused_by_the_reader_and_by_the_schema(path: Path) -> None:
    kind = "profile" if path.name.startswith("profile-") else "script"
    assert reader_refuses(path)
    assert schema_errors(kind, path.read_text()) != []


@pytest.mark.parametrize("path", sorted((BAD / "validator-only").glob("*.yaml")), ids=lambda p: p.name)
def test_what_a_schema_cannot_see_is_refused_by_the_reader(path: Path) -> None:
    assert reader_refuses(path)
