"""Profiles: one settings file per person, through the real command line and real pocketsphinx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
CORPUS = Path(__file__).parent / "data" / "corpus"


def crampvoice(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CRAMPVOICE, *args], input=stdin, capture_output=True, text=True, timeout=120, env=env)


def profile(own_dirs: Path, name: str) -> Path:
    return own_dirs / "config" / "crampvoice" / "profiles" / f"{name}.yaml"


def test_profile_new_writes_a_valid_commented_file_and_never_overwrites_one(own_dirs: Path) -> None:
    made = crampvoice("profile", "new", "dad")
    assert made.returncode == 0, made.stderr
    path = profile(own_dirs, "dad")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# yaml-language-server: $schema=file:///") and lines[0].endswith("/profile.schema.json")
    assert lines[1].startswith("# The settings of one person") and "script: calf" in path.read_text()
    shown = crampvoice("profile", "show", "dad")
    assert shown.returncode == 0 and "rate: 160 (the default) words a minute" in shown.stdout, shown
    path.write_text("rate: 120\n")
    again = crampvoice("profile", "new", "dad")
    assert again.returncode == 1 and "already exists, and was left as it is" in again.stderr
    assert path.read_text() == "rate: 120\n"
    copied = crampvoice("profile", "new", "mum", "--from", "dad")
    assert copied.returncode == 0 and profile(own_dirs, "mum").read_text().endswith("rate: 120\n")
    listed = crampvoice("profile", "list").stdout.split()
    assert listed[0] == "default" and "dad" in listed and "mum" in listed
    assert crampvoice("profile", "new", "../escape").returncode == 1


def test_a_profiles_words_reach_the_recogniser_and_the_usual_words_still_work(own_dirs: Path) -> None:
    crampvoice("profile", "new", "dad")
    profile(own_dirs, "dad").write_text("words:\n  next: [stuff]\n")
    heard = crampvoice("recognize", "--json", "--profile", "dad", str(CORPUS / "stuff_clean.wav"),
                       str(CORPUS / "next_clean.wav"))  # espeak's "next step" Moonshine hears as other words
    assert heard.returncode == 0, heard.stderr
    assert [line.split('"command": ')[1].split(",")[0] for line in heard.stdout.splitlines()] == ['"next"', '"next"']
    default = crampvoice("recognize", "--json", str(CORPUS / "stuff_clean.wav"))
    assert '"command": null' in default.stdout  # another person's word is not the default profile's
    before = crampvoice("--profile", "dad", "recognize", "--json", str(CORPUS / "stuff_clean.wav"))
    assert '"command": "next"' in before.stdout  # --profile before the command works too


def test_a_profile_giving_one_word_to_two_commands_is_refused_naming_both_places(own_dirs: Path) -> None:
    crampvoice("profile", "new", "dad")
    path = profile(own_dirs, "dad")
    path.write_text("words:\n  next: [okay]\n  stop: [okay]\n")
    ran = crampvoice("run", "--profile", "dad", "--text", "--keyboard")
    assert ran.returncode == 1
    assert ran.stderr.splitlines()[0] == (f"crampvoice: error: {path}: 'okay' is a word for both 'next' (line 2) "
                                          "and 'stop' (line 3, column 10)")
    missing = crampvoice("run", "--profile", "nobody", "--text")
    assert missing.returncode == 1 and "there is no profile 'nobody' (profiles: dad)" in missing.stderr


def test_each_profile_has_its_own_takes(own_dirs: Path) -> None:
    crampvoice("profile", "new", "dad")
    added = crampvoice("words", "add", "stuff", "--as", "next", str(CORPUS / "stuff_clean.wav"), "--profile", "dad")
    assert added.returncode == 0, added.stderr
    assert (own_dirs / "data" / "crampvoice" / "people" / "dad" / "voice" / "next" / "stuff" / "1.wav").is_file()
    assert "'stuff': 1 take" in crampvoice("--profile", "dad", "words", "list").stdout
    assert "No words taught yet" in crampvoice("words", "list").stdout


FAKE_EDITOR = """\
import sys
from pathlib import Path
count = Path(sys.argv[0]).with_suffix(".count")
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
Path(sys.argv[1]).write_text(["rate: fast\\n", "rate: 120\\n"][min(n, 1)])
"""


@pytest.fixture
def editor(tmp_path: Path) -> dict[str, str]:
    """An $EDITOR that writes a broken profile the first time it is opened, and a fixed one after."""
    import os

    script = tmp_path / "fake_editor.py"
    script.write_text(FAKE_EDITOR)
    return {**os.environ, "EDITOR": f"{sys.executable} {script}", "VISUAL": ""}


def test_profile_edit_reopens_a_broken_profile_and_puts_it_in_place_only_when_valid(
        own_dirs: Path, editor: dict[str, str]) -> None:
    crampvoice("profile", "new", "dad")
    path = profile(own_dirs, "dad")
    before = path.read_text()
    edited = crampvoice("profile", "edit", "dad", stdin="y\n", env=editor)
    assert edited.returncode == 0, edited
    assert f"{path.with_name('.dad.yaml.draft')}:1:7: error: 'rate' should be words a minute, from 80 to 350" \
        in edited.stdout
    assert "Edit it again? [Y/n]" in edited.stdout and edited.stdout.rstrip().endswith(f"{path}: ok")
    assert path.read_text() == "rate: 120\n" and before != path.read_text()
    assert not any(p.name.endswith(".draft") for p in path.parent.iterdir())


def test_giving_up_on_a_broken_edit_leaves_the_profile_as_it_was_and_keeps_the_draft(
        own_dirs: Path, editor: dict[str, str]) -> None:
    crampvoice("profile", "new", "dad")
    path = profile(own_dirs, "dad")
    before = path.read_text()
    gave_up = crampvoice("profile", "edit", "dad", stdin="n\n", env=editor)
    assert gave_up.returncode == 1 and path.read_text() == before
    draft = path.with_name(".dad.yaml.draft")
    assert draft.read_text() == "rate: fast\n" and str(draft) in gave_up.stdout
    no_answer = crampvoice("profile", "edit", "dad", env=editor)  # the editor fixes it this time
    assert no_answer.returncode == 0 and "Going on with the draft left last time" in no_answer.stdout
    assert path.read_text() == "rate: 120\n"


def test_a_script_and_a_profile_export_and_import_into_another_home_unchanged_but_the_schema_line(
        own_dirs: Path, tmp_path: Path) -> None:
    import os

    assert crampvoice("new", "dad-night", "--from", "night").returncode == 0
    crampvoice("profile", "new", "dad")
    profile(own_dirs, "dad").write_text("rate: 120\nwords:\n  next: [okay]\n")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("dad-night", "dad"):
        sent = crampvoice("export", name, "-o", str(out / f"{name}.yaml"))
        assert sent.returncode == 0, sent.stderr
    elsewhere = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "b" / "config"),
                 "XDG_DATA_HOME": str(tmp_path / "b" / "data")}
    for name in ("dad-night", "dad"):
        taken = crampvoice("import", str(out / f"{name}.yaml"), env=elsewhere)
        assert taken.returncode == 0, taken.stderr
    script = own_dirs / "data" / "crampvoice" / "scripts" / "dad-night.yaml"
    taken_in = (tmp_path / "b" / "data" / "crampvoice" / "scripts" / "dad-night.yaml").read_text()
    line, rest = taken_in.split("\n", 1)
    assert line.endswith(f"{tmp_path}/b/data/crampvoice/schemas/script.schema.json")  # its schema here, not there
    assert (tmp_path / "b" / "data" / "crampvoice" / "schemas" / "script.schema.json").is_file()
    assert rest == script.read_text().split("\n", 1)[1]
    assert (tmp_path / "b" / "config" / "crampvoice" / "profiles" / "dad.yaml").read_text() == \
        "rate: 120\nwords:\n  next: [okay]\n"
    again = crampvoice("import", str(out / "dad.yaml"), env=elsewhere)
    assert again.returncode == 1 and "already exists, and was left as it is" in again.stderr
    assert crampvoice("import", str(out / "dad.yaml"), "--force", env=elsewhere).returncode == 0
    assert crampvoice("export", "dad", "-o", str(out / "dad.yaml")).returncode == 1  # never overwrites a file


def test_a_broken_file_is_not_imported_and_says_where_it_is_broken(own_dirs: Path, tmp_path: Path) -> None:
    broken = tmp_path / "mum.yaml"
    broken.write_text("crampvoice: 1\ntitle: Mum\nsteps:\n  - stretch: Toes up.\n    hold: 9999\n")
    refused = crampvoice("import", str(broken))
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"{broken}:5:11: error: step 1's 'hold' should be a number of seconds")
    assert not (own_dirs / "data" / "crampvoice" / "scripts").exists()
    odd = tmp_path / "nan.yaml"
    odd.write_text("volume: loud\n")
    assert "'volume' should be a number from 0 to 1" in crampvoice("import", str(odd)).stderr
    assert not (own_dirs / "config" / "crampvoice" / "profiles").exists()


SET_PACE = """\
import sys
from pathlib import Path
path = Path(sys.argv[1])
path.write_text(path.read_text().replace("script: calf", "script: dad-night").replace("# rate: 140", "rate: 130"))
"""


def test_a_caregivers_whole_flow_in_a_real_terminal(own_dirs: Path, tmp_path: Path) -> None:
    """profile new, new --from, edit, validate, show, try --step 2, run --profile: as a new user would."""
    import os

    pexpect = pytest.importorskip("pexpect")
    editor = tmp_path / "set_pace.py"
    editor.write_text(SET_PACE)
    env = {**os.environ, "TERM": "xterm", "EDITOR": f"{sys.executable} {editor}", "VISUAL": ""}

    def terminal(*args: str) -> Any:
        return pexpect.spawn(sys.executable, ["-m", "crampvoice", *args], env=env, encoding="utf-8",
                             timeout=90, dimensions=(40, 200))

    def done(child: Any, *expected: str, then: str = "") -> int:
        """Each line expected in turn, then `then` typed, then the exit status at the end."""
        for line in expected:
            child.expect(line)
        child.send(then)
        child.expect(pexpect.EOF)
        child.close()
        assert "Traceback" not in (child.before or "")
        return int(child.exitstatus)

    assert done(terminal("profile", "new", "dad"), "Wrote .*dad.yaml") == 0
    assert done(terminal("new", "dad-night", "--from", "night"), "Wrote .*dad-night.yaml") == 0
    assert done(terminal("profile", "edit", "dad"), "dad.yaml: ok") == 0
    assert done(terminal("validate", "dad-night"), "dad-night.yaml: ok") == 0
    assert done(terminal("show", "dad-night"), "Night cramp", "Timed holds and rests") == 0
    assert done(terminal("profile", "show", "dad"), "script: dad-night", "rate: 130 words a minute") == 0
    # Step 2 holds for 20 s; Enter (next) ends it, as in a session.
    tried = terminal("try", "dad-night", "--step", "2", "--text", "--profile", "dad")
    assert done(tried, "Trying step 2 of 6 of 'Night cramp': move.", "press the foot flat on the floor",
                then="\r") == 0
    assert "Rub the cramped muscle" not in (tried.before or "")  # only the step tried
    # His session starts his routine; 's' asks first, 'y' stops.
    child = terminal("run", "--profile", "dad", "--text")
    child.expect("Night cramp")
    child.send("s")
    assert done(child, "Do you want to stop", then="y") == 0


def test_a_profile_whose_input_is_keys_never_opens_the_microphone(own_dirs: Path) -> None:
    short = Path(__file__).parent / "data" / "short.yaml"
    crampvoice("profile", "new", "dad")
    profile(own_dirs, "dad").write_text("input: keys\n")
    for who, listens in (("default", True), ("dad", False)):
        ran = crampvoice("run", str(short), "--text", "--profile", who, stdin="stop\nyes\n")
        assert ran.returncode == 0, ran.stderr
        assert ("Listening" in ran.stdout) is listens, ran.stdout
        assert "Stopping now. Take care." in ran.stdout


def test_each_profile_keeps_its_own_diary(own_dirs: Path) -> None:
    short = Path(__file__).parent / "data" / "short.yaml"
    crampvoice("profile", "new", "dad")
    ran = crampvoice("run", str(short), "--text", "--keyboard", "--profile", "dad", stdin="stop\nyes\n")
    assert ran.returncode == 0, ran.stderr
    assert (own_dirs / "data" / "crampvoice" / "people" / "dad" / "diary.sqlite3").is_file()
    assert "short" in crampvoice("diary", "--profile", "dad").stdout.split()
    assert "short" not in crampvoice("diary").stdout.split()
