"""The docs and the bundled scripts stay honest."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from crampvoice.cli import _parser
from crampvoice.core.commands import KEYS
from crampvoice.core.scriptfile import parse_script
from crampvoice.library import TEMPLATE, bundled_dir, load

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BUNDLED = sorted(bundled_dir().glob("*.yaml"))


def test_the_top_level_scripts_folder_is_the_bundled_one() -> None:
    assert sorted(p.name for p in (ROOT / "scripts").glob("*.yaml")) == [p.name for p in BUNDLED]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_script_is_valid_and_says_the_red_flags(path: Path) -> None:
    script = load(path)
    safety = " ".join(script.safety).lower()
    for flag in ("ten minutes", "keeps coming back", "dirty wound", "numb", "weak", "swelling", "warmth",
                 "redness", "breathlessness", "chest pain", "emergency number"):
        assert flag in safety or flag.replace("keeps coming", "keep coming") in safety, flag


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scripts_give_no_advice_the_guidance_does_not(path: Path) -> None:
    text = path.read_text().lower()
    for banned in ("quinine", "painkiller", "ibuprofen", "paracetamol", "on your heels", "hot water bottle",
                   "don't see", "no need to see", "avoid the doctor"):
        assert banned not in text


def test_the_template_is_a_valid_script() -> None:
    assert len(parse_script(TEMPLATE.encode(), "template").steps) == 4


def test_the_readme_opens_with_the_two_setup_commands() -> None:
    first_block = README.split("```")[1]
    assert "./dev.sh run" in first_block and "./dev.sh test" in first_block
    assert "./dev.sh test" in (ROOT / ".ci" / "run").read_text()


def test_every_cli_command_is_in_the_readme() -> None:
    sub = next(a for a in _parser()._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"crampvoice {name}" in README, name


def test_every_key_is_in_the_readme_table() -> None:
    table = README.split("### Keys")[1].split("**One switch.**")[0]
    spelled = {"space": "space", "enter": "Enter", "right": "→", "left": "←", "escape": "Esc", " ": "space"}
    for key in KEYS:
        assert re.search(rf"(^|[\s|,/]){re.escape(spelled.get(key, key))}($|[\s|,/])", table), key


def test_the_caregivers_guide_shows_every_key_and_is_linked_from_the_readme() -> None:
    from crampvoice.schema import SCRIPT_HELP
    from crampvoice.settings import KEYS as PROFILE_KEYS

    guide = (ROOT / "docs" / "caregivers.md").read_text()
    assert "(docs/caregivers.md)" in README
    table = {line.split("|")[1].strip().strip("`") for line in guide.splitlines() if line.startswith("| `")}
    assert table == set(SCRIPT_HELP)
    assert all(re.search(rf"^{key}:", guide, re.MULTILINE) for key in PROFILE_KEYS)
    for flag in ("ten minutes", "swelling", "breathlessness", "numbness"):
        assert flag in guide


def test_the_licence_files_exist_and_the_notices_name_every_data_file_shipped() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert all((ROOT / name).is_file() for name in project["license-files"])
    notices = (ROOT / "THIRD_PARTY_NOTICES.md").read_text()
    shipped = sorted((ROOT / "src" / "crampvoice").rglob("*.npz"))
    assert shipped and all(f"crampvoice/listen/{p.name}" in notices for p in shipped)


@pytest.mark.slow
def test_the_built_wheel_declares_its_licence_and_carries_the_notices(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, timeout=300)
    with zipfile.ZipFile(next(tmp_path.glob("crampvoice-*.whl"))) as archive:
        names = archive.namelist()
        info = next(n.rsplit("/", 1)[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        assert archive.read(f"{info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        assert archive.read(f"{info}/licenses/THIRD_PARTY_NOTICES.md") == (ROOT / "THIRD_PARTY_NOTICES.md").read_bytes()
    assert metadata["License-Expression"] == "MIT"
    assert sorted(metadata.get_all("License-File") or []) == ["LICENSE", "THIRD_PARTY_NOTICES.md"]
    assert "crampvoice/listen/negatives.npz" in names and "crampvoice/listen/verifier.npz" in names
