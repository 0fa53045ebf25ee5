"""The JSON Schemas, checked by a real validator of the JSON Schema world against the readers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jsonschema
import pytest
import yaml

from crampvoice.cli import main
from crampvoice.core.errors import ScriptError, SettingsError
from crampvoice.core.scriptfile import KIND_KEYS, STEP_KEYS, TOP_KEYS, parse_script
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


def step_kinds() -> dict[str, dict[str, Any]]:
    """Each kind of step's own schema, by its kind key: what an editor offers inside such a step."""
    step = script_schema()["properties"]["steps"]["items"]
    return {branch["if"]["required"][0]: branch["then"] for branch in step["allOf"]}


def test_the_schemas_know_exactly_the_keys_the_readers_allow() -> None:
    script = script_schema()
    assert list(script["properties"]) == list(TOP_KEYS)
    kinds = step_kinds()
    assert list(kinds) == list(KIND_KEYS)
    assert {key for kind in kinds.values() for key in kind["properties"]} == set(STEP_KEYS)
    assert list(kinds["ask"]["properties"]) == ["ask", "yes", "no", "default", "wait"]
    for name in ("stretch", "move", "massage", "heat", "say"):
        assert list(kinds[name]["properties"]) == [name, "hold", "repeat", "rest", "sides"]
    assert list(profile_schema()["properties"]) == list(KEYS)
    every: list[dict[str, Any]] = [*script["properties"].values(),
                                   *(field for kind in kinds.values() for field in kind["properties"].values()),
                                   *profile_schema()["properties"].values()]
    assert all(field["description"].endswith(".") for field in every)  # an editor shows each one


def defaults(schema: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    """Every (schema, default) in a schema: what an editor inserts when a key is completed."""
    if isinstance(schema, dict):
        if "default" in schema:
            yield schema, schema["default"]
        for value in schema.values():
            yield from defaults(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from defaults(value)


def test_what_completion_inserts_is_valid() -> None:
    for kind, make in SCHEMAS.items():
        for schema, default in defaults(make()):
            assert list(jsonschema.Draft202012Validator(schema).iter_errors(default)) == [], (kind, schema)
    script = script_schema()
    assert script["properties"]["crampvoice"]["default"] == 1
    [snippet] = script["defaultSnippets"]  # the whole file, its placeholders left as they are offered
    text = yaml.safe_dump(json.loads(re.sub(r"\$\{\d+:([^}]*)\}", r"\1", json.dumps(snippet["body"]))
                                     .replace('"\\"no\\""', '"no"')), sort_keys=False)
    parse_script(text.encode(), "snippet.yaml")
    assert schema_errors("script", text) == []


def test_a_bare_no_and_a_quoted_one_mean_the_same() -> None:
    """What the program writes quotes "no" (YAML 1.1 reads a bare one as false); older scripts stay valid."""
    quoted = [path.read_text() for path in SCRIPTS if "\n    \"no\": " in path.read_text()]
    assert quoted and "\n    no:" not in TEMPLATE and '\n    "no": repeat' in TEMPLATE
    for text in quoted:
        bare = text.replace('"no":', "no:").replace('"yes":', "yes:")
        assert parse_script(bare.encode(), "bare.yaml") == parse_script(text.encode(), "quoted.yaml")
        assert schema_errors("script", bare) == []
    for path in bundled_dir().glob("*.yaml"):
        assert not re.search(r"^\s*(no|yes):", path.read_text(), re.M), path


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


def _schema_named(path: Path) -> Path:
    """The file the first line of `path` points the YAML language server at."""
    line = path.read_text().splitlines()[0]
    assert line.startswith("# yaml-language-server: $schema=file:///"), line
    return Path(unquote(urlparse(line.split("$schema=", 1)[1]).path))


def test_new_names_the_schema_kept_in_the_data_folder_and_validate_brings_it_up_to_date(own_dirs: Path) -> None:
    assert main(["new", "mine"]) == 0
    named = _schema_named(own_dirs / "data" / "crampvoice" / "scripts" / "mine.yaml")
    assert named == own_dirs / "data" / "crampvoice" / "schemas" / "script.schema.json"
    assert named.read_bytes() == shipped("script").read_bytes()
    named.write_text("{}")  # a schema from an older crampvoice, or none at all
    assert not (own_dirs / "data" / "crampvoice" / "schemas" / "profile.schema.json").exists()  # made when needed
    assert main(["validate", "mine"]) == 0
    assert named.read_bytes() == shipped("script").read_bytes()
    assert (own_dirs / "data" / "crampvoice" / "schemas" / "profile.schema.json").read_bytes() == \
        shipped("profile").read_bytes()


def test_copies_and_imports_name_this_machines_schema_not_the_senders(own_dirs: Path, tmp_path: Path) -> None:
    sender = "# yaml-language-server: $schema=file:///home/else/.venv/lib/python3.11/site-packages/crampvoice/"
    script = tmp_path / "from-else.yaml"
    script.write_text(f"{sender}schemas/script.schema.json\n" + TEMPLATE)
    profile = tmp_path / "mum.yaml"
    profile.write_text(f"{sender}schemas/profile.schema.json\nrate: 120\n")
    assert main(["import", str(script)]) == 0 and main(["import", str(profile)]) == 0
    assert main(["new", "copy", "--from", "from-else"]) == 0 and main(["profile", "new", "dad", "--from", "mum"]) == 0
    scripts, profiles = own_dirs / "data" / "crampvoice" / "scripts", own_dirs / "config" / "crampvoice" / "profiles"
    for path, kind in [(scripts / "from-else.yaml", "script"), (scripts / "copy.yaml", "script"),
                       (profiles / "mum.yaml", "profile"), (profiles / "dad.yaml", "profile")]:
        text = path.read_text()
        assert "/home/else/" not in text, path
        assert _schema_named(path) == own_dirs / "data" / "crampvoice" / "schemas" / f"{kind}.schema.json"
    assert (scripts / "from-else.yaml").read_text().endswith(TEMPLATE)
    assert (profiles / "dad.yaml").read_text().endswith("rate: 120\n")
    plain = tmp_path / "plain.yaml"
    plain.write_text("rate: 130\n")  # a file with no schema line is taken in as it is
    assert main(["import", str(plain)]) == 0 and (profiles / "plain.yaml").read_text() == "rate: 130\n"


def test_profile_edit_points_an_old_schema_line_here(own_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = own_dirs / "config" / "crampvoice" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "dad.yaml").write_text("# yaml-language-server: $schema=file:///gone/profile.schema.json\nrate: 120\n")
    (profiles / "mum.yaml").write_text("rate: 130\n")
    monkeypatch.setenv("VISUAL", "true")  # an editor that changes nothing
    assert main(["profile", "edit", "dad"]) == 0 and main(["profile", "edit", "mum"]) == 0
    assert _schema_named(profiles / "dad.yaml") == own_dirs / "data" / "crampvoice" / "schemas" / "profile.schema.json"
    assert (profiles / "dad.yaml").read_text().endswith("\nrate: 120\n")
    assert (profiles / "mum.yaml").read_text() == "rate: 130\n"  # no line added to a file that had none


MOVED = """\
import sys
import crampvoice
from crampvoice.cli import main
print(crampvoice.__file__)
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_script_made_by_new_keeps_its_schema_when_the_install_moves(own_dirs: Path, tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    package = Path(__file__).resolve().parent.parent / "src" / "crampvoice"
    env = {**os.environ, "XDG_DATA_HOME": str(own_dirs / "data"), "XDG_CONFIG_HOME": str(own_dirs / "config")}

    def crampvoice(install: Path, *args: str) -> str:
        done = subprocess.run([sys.executable, "-c", MOVED, *args], capture_output=True, text=True, timeout=120,
                              cwd=tmp_path, env={**env, "PYTHONPATH": str(install)})
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(str(install)), done.stdout  # this install ran, not the project's
        return done.stdout

    first = tmp_path / "first"
    shutil.copytree(package, first / "crampvoice")
    crampvoice(first, "new", "mine")
    shutil.rmtree(first)  # uninstalled: pipx uninstall, a new Python, a reinstall elsewhere
    made = own_dirs / "data" / "crampvoice" / "scripts" / "mine.yaml"
    assert str(first) not in made.read_text()
    assert json.loads(_schema_named(made).read_text()) == script_schema()
    second = tmp_path / "second"
    shutil.copytree(package, second / "crampvoice")
    assert "mine.yaml: ok" in crampvoice(second, "validate", "mine")
    assert json.loads(_schema_named(made).read_text()) == script_schema()


def _expanded(snippet: str) -> str:
    """A completion's snippet as an editor leaves it when every placeholder is kept: `${1:2}` -> `2`."""
    return re.sub(r"\$\{\d+:([^}]*)\}|\$\d+", lambda m: m[1] or "", snippet)


def _completed(text: str, line: int, column: int, item: dict[str, Any]) -> str:
    """`text` with a completion applied where it was asked for, its later lines indented as that line."""
    lines = text.split("\n")
    edit = item.get("textEdit")
    start, end = ((edit["range"]["start"]["character"], edit["range"]["end"]["character"]) if edit
                  else (column, column))
    new = _expanded(edit["newText"] if edit else item.get("insertText") or item["label"])
    indent = re.match(r"\s*", lines[line])[0]  # type: ignore[index]
    lines[line] = lines[line][:start] + new.replace("\n", "\n" + indent) + lines[line][end:]
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("yaml_version", ["1.2", "1.1"])
def test_the_yaml_language_server_completes_and_flags_as_validate_does(own_dirs: Path, tmp_path: Path,
                                                                       yaml_version: str) -> None:
    from . import lsp

    command = lsp.install()
    if isinstance(command, str):
        pytest.skip(command)
    assert main(["new", "mine"]) == 0
    made = (own_dirs / "data" / "crampvoice" / "scripts" / "mine.yaml").read_text()
    modeline = made.splitlines(keepends=True)[0]
    server = lsp.YamlServer(command, tmp_path, {"yamlVersion": yaml_version})
    files = iter(range(1000))

    def check(text: str) -> list[tuple[int, str]]:
        uri = server.open(tmp_path / f"{next(files)}.yaml", text)
        return [(d["range"]["start"]["line"], d["message"]) for d in server.diagnostics(uri)]

    def offered(text: str, line: int, column: int) -> dict[str, dict[str, Any]]:
        uri = server.open(tmp_path / f"{next(files)}.yaml", text)
        server.diagnostics(uri)
        return {item["label"]: item for item in server.complete(uri, line, column)}

    try:
        # What the program writes and ships has no false error, at YAML 1.1 too ("no" is quoted).
        assert check(made) == []
        for path in sorted(bundled_dir().glob("*.yaml")):
            assert check(modeline + path.read_text()) == [], path.name

        head = modeline + "crampvoice: 1\ntitle: Mine\nsteps:\n"  # line 4 is the first step
        # A new step offers the six kinds; a step of one kind offers its own keys, and no others.
        assert set(KIND_KEYS) <= set(offered(head + "  - \n", 4, 4))
        timed = offered(head + "  - massage: Rub the calf.\n    \n", 5, 4)
        assert set(timed) == {"hold", "repeat", "rest", "sides"}, set(timed)
        asked = offered(head + "  - ask: Is it easing?\n    \n", 5, 4)
        assert set(asked) == {"yes", "no", "default", "wait"}, set(asked)
        # What a key's completion inserts is valid: hold, then repeat, each as offered.
        text = head + "  - stretch: Pull your toes up.\n    \n"
        text = _completed(text, 5, 4, offered(text, 5, 4)["hold"]) + "    \n"
        text = _completed(text, 6, 4, offered(text, 6, 4)["repeat"])
        assert "hold: 30\n    repeat: 2" in text and check(text) == []
        parse_script(text.encode(), "completed.yaml")

        # A typo is flagged on its line, naming it; so is a step of no kind, in validate's words.
        typo = head + "  - stretch: Pull your toes up.\n    hodl: 30\n  - hold: 20\n"
        assert check(typo) == [(5, "Property hodl is not allowed."),
                               (6, "Each step needs exactly one of: stretch, move, massage, heat, say, ask.")]
        mixed = head + "  - ask: Is it easing?\n    hold: 30\n  - stretch: Pull.\n    repeat: 3\n"
        found = check(mixed)
        assert (5, "Property hold is not allowed.") in found
        assert any(line == 6 and "'repeat' counts timed sets" in message for line, message in found), found
        assert not any("Matches" in message for _, message in found), found
        rest = head + "  - stretch: Pull.\n    hold: 30\n    repeat: 1\n    rest: 10\n  - say: Rest.\n    hold: 9\n    sides: both\n    rest: 5\n"
        assert [(line, message.split(":")[0]) for line, message in check(rest)] == [(4, "'rest' is the pause between sets or sides")]

        # A new file's completions: the format line is the one this program reads, and the whole
        # script, kept as offered, is valid to the editor and to the program.
        start = offered(modeline, 1, 0)
        assert _expanded(start["crampvoice"]["insertText"]) == "crampvoice: 1"
        assert _expanded(start["crampvoice relief script"]["insertText"]).startswith("crampvoice: 1\n")
        whole = _completed(modeline + "\n", 1, 0, start["a relief script"])
        assert check(whole) == []
        assert parse_script(whole.encode(), "whole.yaml").steps
    finally:
        server.close()
