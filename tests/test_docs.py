"""The docs and the bundled scripts stay honest."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from crampvoice.cli.app import _parser
from crampvoice.core.commands import KEYS
from crampvoice.core.scriptfile import parse_script
from crampvoice.library import TEMPLATE, bundled_dir, load

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", ROOT / "THIRD_PARTY_NOTICES.md", *DOCS]  # every page a reader follows links in
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


def _page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(m) for m in re.findall(r"^#+ (.+)$", _prose(path.read_text()), re.MULTILINE)}


def _prose(text: str) -> str:
    """The text without its fenced code blocks (a `# comment` in one is not a heading)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


def _code(text: str) -> list[str]:
    """Each line of a fenced block, and each inline code span: where commands are written."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines()] + re.findall(r"`([^`\n]+)`", _prose(text))


def test_every_page_in_docs_is_linked_from_the_readme() -> None:
    for page in DOCS:
        assert f"(docs/{page.name}" in README, page.name


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_link_leads_somewhere(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", _prose(page.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # https: and mailto: are not checked offline
        name, _, anchor = target.partition("#")
        linked = (page.parent / name).resolve() if name else page
        assert linked.exists(), target
        if anchor:
            assert anchor in _anchors(linked), target


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subs[0].choices) if subs else {}


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_crampvoice_command_written_exists_with_its_options(page: Path) -> None:
    commands, everywhere = _commands(), _options(_parser())
    written = [line.split(" #")[0] for line in _code(page.read_text()) if line.startswith("crampvoice ")]
    for line in written:
        words = [w.strip("[]|") for w in shlex.split(line.replace("'", ""))[1:]]
        if words[0].startswith("-"):
            assert words[0] in everywhere, line
            continue
        assert words[0] in commands, line
        parser = commands[words[0]]
        subs = _subcommands(parser)
        allowed = everywhere | _options(parser) | {o for p in subs.values() for o in _options(p)}
        if subs and len(words) > 1 and re.fullmatch(r"[a-z]+", words[1]):
            assert words[1] in subs, line
        for word in words[1:]:
            if re.fullmatch(r"--?[a-z][a-z-]*", word):
                assert word in allowed, line


def test_the_commands_checked_include_the_readme_synopsis() -> None:
    written = [line for line in _code(README) if line.startswith("crampvoice ")]
    assert set(_commands()) <= {line.split()[1] for line in written}


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_dev_sh_task_and_bench_written_exists(page: Path) -> None:
    text = page.read_text()
    tasks = set(re.findall(r"^  ([a-z]+)\)$", (ROOT / "dev.sh").read_text(), re.MULTILINE))
    for task, bench in re.findall(r"\./dev\.sh ([a-z]+)(?: ([a-z]+))?", text):
        assert task in tasks, task
        if task == "bench" and bench:
            assert (ROOT / "bench" / f"{bench}.py").is_file(), bench
    for bench in re.findall(r"`bench ([a-z]+)", text):
        assert (ROOT / "bench" / f"{bench}.py").is_file(), bench


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_file_named_exists(page: Path) -> None:
    for span in _code(page.read_text()):
        path = span.split()[0] if span.split() else ""
        if re.fullmatch(r"(src|bench|tests|scripts|docs)/[\w./-]+", path):
            assert (ROOT / path).exists(), path
        elif re.fullmatch(r"(core|listen|speak)/[\w-]+\.py", path):
            assert (ROOT / "src" / "crampvoice" / path).exists(), path
