"""Hostile and ordinary-but-awkward files through the real program: never a traceback, a hang or
a control character out; names as people write them. (Issue 10: items 4, 6, 7, 8, 9, 10.)"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crampvoice.cli import app as cli
from crampvoice.cli import main
from crampvoice.core.errors import DeviceError, ScriptError, SettingsError
from crampvoice.core.printable import first_control
from crampvoice.core.scriptfile import parse_script
from crampvoice.settings import load_settings

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
GOOD = "crampvoice: 1\ntitle: {title}\nsteps:\n  - say: Rest.\n"


class _NoEspeak:
    def __init__(self, *_: object) -> None:
        raise DeviceError("espeak-ng is not installed", "install it")


@pytest.fixture
def no_espeak(monkeypatch: pytest.MonkeyPatch) -> None:
    """`show` estimates speech instead of synthesising it: fast, and the same on every machine."""
    monkeypatch.setattr(cli, "Pyttsx3Synth", _NoEspeak)


def run_main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def no_controls(text: str) -> bool:
    return first_control(text) is None


def own_script(home: Path, name: str, text: str | bytes) -> Path:
    folder = home / "data" / "crampvoice" / "scripts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# -- item 4: control characters ----------------------------------------------------------------

def test_validate_refuses_an_escape_in_a_title_with_its_place_and_name(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.format(title='"Calf\\e[2J\\e]0;pwned\\a"'))
    code, out, _ = run_main("validate", str(path))
    assert code == 1
    assert out == (f"{path}:2:8: error: title has a control character, U+001B (escape) — remove it: escapes such "
                   "as \\e or \\x1b and bidi marks would act on the screen instead of being read\n")


def test_list_show_and_run_never_print_a_control_character_from_a_file(own_dirs: Path, no_espeak: None) -> None:
    own_script(own_dirs, "\x1b[2Jevil.yaml", GOOD.format(title="Fine"))
    own_script(own_dirs, "bidi.yaml", GOOD.format(title='"Safe\\u202eefas"'))
    code, out, _ = run_main("list")
    assert code == 0 and "\\x1b[2Jevil" in out and no_controls(out)
    assert "bidi         (has problems" in out
    for argv in (("show", "bidi"), ("run", "\x1b]0;x\x07"), ("validate", "\x9bname")):
        code, out, err = run_main(*argv)
        assert code == 1 and no_controls(out + err) and err + out


@pytest.mark.slow
def test_raw_control_bytes_are_a_problem_with_a_place_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "raw.yaml"
    path.write_bytes(b"crampvoice: 1\ntitle: Calf\x1b[2J\nsteps:\n  - say: a\n")
    for command in ("validate", "show", "run"):
        done = subprocess.run([*CRAMPVOICE, command, str(path)], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 1, done.stderr
        shown = done.stdout + done.stderr
        assert "Traceback" not in shown and no_controls(shown)
        assert f"{path}:2:12: error: the file has a control character, U+001B (escape)" in shown


# -- item 6 and 10: ordinary sentences, a script's voice -------------------------------------------

def test_validate_tells_to_quote_a_sentence_and_warns_about_a_cut_one(tmp_path: Path) -> None:
    colon, hash_ = tmp_path / "colon.yaml", tmp_path / "hash.yaml"
    colon.write_text("crampvoice: 1\ntitle: T\nsteps:\n  - say: Remember: breathe slowly.\n")
    hash_.write_text("crampvoice: 1\ntitle: On\nsteps:\n  - say: Yes, take tablet #2 now\n    hold: '30'\n")
    code, out, _ = run_main("validate", str(colon), str(hash_))
    assert code == 1
    assert out.splitlines() == [
        f'{colon}:4:18: error: YAML syntax: mapping values are not allowed here — put the sentence in double '
        'quotes: say: "Remember: breathe slowly."',
        f"{hash_}:4:10: warning: step 1's 'say' stops before ' #': the rest of that line is a comment and is not "
        "said — to say it, put the whole sentence in double quotes; for a comment, leave two spaces before the '#'",
        f"{hash_}: ok (1 step)"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_validate_checks_a_scripts_voice_against_espeak_ng(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("crampvoice: 1\ntitle: T\nvoice: gmw/en-xx\nsteps: [{say: a}]\n")
    code, out, _ = run_main("validate", str(path))
    assert (code, out) == (1, f"{path}:3:8: error: espeak-ng has no voice 'gmw/en-xx' — 'crampvoice voices' lists "
                              "the voices; or remove 'voice:' to use the default\n")
    path.write_text("crampvoice: 1\ntitle: T\nvoice: gmw/en-us\nsteps: [{say: a}]\n")
    assert run_main("validate", str(path))[:2] == (0, f"{path}: ok (1 step)\n")


def test_validate_says_when_a_voice_could_not_be_checked(tmp_path: Path, no_espeak: None) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("crampvoice: 1\ntitle: T\nvoice: gmw/en-xx\nsteps: [{say: a}]\n")
    assert run_main("validate", str(path))[:2] == (
        0, f"{path}: ok (1 step); its voice 'gmw/en-xx' was not checked (espeak-ng is not installed)\n")


# -- item 7 and 10: settings ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("words:\n  next: [okay]\n  'yes': [okay]\n", "'okay' is a word for both 'next' (line 2) and 'yes' (line 3, column 11)"),
    ("words:\n  stop: [done]\n", "'done' is a word for both 'next' (a default word) and 'stop' (line 2, column 10)"),
    ("volume: yes\n", "'volume' should be a number from 0 to 1 (line 1, column 9)"),
    ("rate: " + "7" * 5000 + "\n", "'rate' should be words a minute, from 80 to 350 (line 1, column 7)"),
    ("words:\n" + "  " * 2 + "[" * 10_000 + "]" * 10_000 + "\n", "the file is nested more than 8 levels deep (line 2"),
])
def test_settings_problems_are_one_plain_line(own_dirs: Path, no_espeak: None, text: str, message: str) -> None:
    path = own_dirs / "config" / "crampvoice" / "settings.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    code, _, err = run_main("show", "calf")
    assert code == 1 and f"crampvoice: error: {path}: {message}" in err and "Traceback" not in err
    assert path.read_text() == text


def test_yes_and_no_under_words_work_and_xdg_config_home_as_a_file_is_no_settings(
        own_dirs: Path, no_espeak: None, monkeypatch: pytest.MonkeyPatch) -> None:
    path = own_dirs / "config" / "crampvoice" / "settings.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("words:\n  yes: [yeah]\n  no: [nope]\n")
    assert run_main("show", "calf")[0] == 0
    (own_dirs / "a-file").write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(own_dirs / "a-file"))
    assert run_main("show", "calf")[0] == 0


# -- item 8: names -------------------------------------------------------------------------------

def test_scripts_with_capitals_spaces_or_yml_are_listed_and_taken_by_name(own_dirs: Path, no_espeak: None) -> None:
    own_script(own_dirs, "Mum.yaml", GOOD.format(title="Mum's cramp"))
    own_script(own_dirs, "Dad Calf.yaml", GOOD.format(title="Dad's calf"))
    own_script(own_dirs, "gran.yml", GOOD.format(title="Gran's foot"))
    listed = run_main("list")[1]
    assert "Mum          Mum's cramp  [yours]" in listed and "Dad Calf     Dad's calf  [yours]" in listed
    assert "gran         Gran's foot  [yours]" in listed
    for name, title in (("Mum", "Mum's cramp"), ("mum", "Mum's cramp"), ("Dad Calf", "Dad's calf"),
                        ("gran", "Gran's foot")):
        code, out, err = run_main("show", name)
        assert code == 0 and out.startswith(title), err
    code, out, _ = run_main("validate", "dad calf", "calf", "nothing-called-this")
    assert code == 1
    assert out.splitlines()[0].endswith("Dad Calf.yaml: ok (1 step)")
    assert out.splitlines()[2].startswith("nothing-called-this: error: there is no relief script called")


# -- item 9: FIFOs and huge numbers ----------------------------------------------------------------

@pytest.mark.slow
def test_a_fifo_as_a_script_in_the_folder_or_as_settings_never_hangs(tmp_path: Path, own_dirs: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    os.mkfifo(own_script(own_dirs, "x.txt", "").with_name("stuck.yaml"))
    env = {**os.environ, "XDG_DATA_HOME": str(own_dirs / "data"), "XDG_CONFIG_HOME": str(own_dirs / "config")}
    for argv in (["validate", str(fifo)], ["list"], ["show", str(fifo)]):
        done = subprocess.run([*CRAMPVOICE, *argv], capture_output=True, text=True, timeout=30, env=env)
        assert "Traceback" not in done.stderr and "stuck" not in done.stdout
        assert done.returncode == (0 if argv == ["list"] else 1)
    settings = own_dirs / "config" / "crampvoice" / "settings.yaml"
    settings.parent.mkdir(parents=True)
    os.mkfifo(settings)
    done = subprocess.run([*CRAMPVOICE, "show", "calf"], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 1 and "pipe, device or socket" in done.stderr


def test_an_integer_of_5000_digits_in_a_script_is_a_plain_problem(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("crampvoice: 1\ntitle: T\nrate: " + "1" * 5000 + "\nsteps: [{say: a}]\n")
    code, out, _ = run_main("validate", str(path))
    assert code == 1 and out.startswith(f"{path}:3:7: error: rate (words a minute) should be a whole number")


# -- the property: generated text and bytes ----------------------------------------------------

HOSTILE_CHARS = ["\x1b", "\x07", "\x00", "\x7f", "\x9b", "\x85", "\u202e", "\u2066", "\u200f", "\r", "\n", "\t",
                 "\ufeff", "\U0001f600"]
YAML_SPECIALS = [": ", " #", "#", "&a", "*a", "!!python/object:x", "|", ">", "'", '"', "[", "]", "{", "}", "- ",
                 "? ", "%", "@", "`", "\\e", "\\x9b", "\\u202e", "\\", "yes", "On", "~", "1:30", ".nan", "---"]
HUGE_NUMBERS = ["9" * 4301, "-" + "1" * 5000, "1e999", "0x" + "f" * 5000, "1" * 2000 + ":30"]
pieces = st.one_of(st.text(max_size=8), st.sampled_from(HOSTILE_CHARS + YAML_SPECIALS + HUGE_NUMBERS))
values = st.lists(pieces, max_size=6).map("".join)
fields = st.sampled_from(["title", "muscle", "voice", "rate", "crampvoice", "words", "steps"])
step_keys = st.sampled_from(["say", "stretch", "ask", "hold", "repeat", "rest", "sides", "yes", "no", "wait"])


@st.composite
def scripts(draw: st.DrawFn) -> bytes:
    """Almost a good script, with generated values (and sometimes keys) in it, or plain bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    top = draw(st.lists(st.tuples(fields, values), max_size=3))
    steps = draw(st.lists(st.tuples(step_keys, values), min_size=1, max_size=3))
    quoted = draw(st.booleans())

    def put(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if quoted else value

    text = "crampvoice: 1\ntitle: T\n" + "".join(f"{k}: {put(v)}\n" for k, v in top)
    text += "steps:\n" + "".join(f"  - {k}: {put(v)}\n" for k, v in steps)
    return text.encode("utf-8", "surrogatepass")


SETTINGS_KEYS = st.sampled_from(["script", "voice", "rate", "volume", "words", "yes", "words:\n  next"])


@st.composite
def settings_files(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    lines = draw(st.lists(st.tuples(SETTINGS_KEYS, values), max_size=4))
    return "".join(f"{k}: {v}\n" for k, v in lines).encode("utf-8", "surrogatepass")


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(scripts())
def test_the_script_reader_never_raises_anything_else_and_never_keeps_a_control_character(data: bytes) -> None:
    try:
        script = parse_script(data, "s.yaml")
    except ScriptError as e:
        assert e.problems and all(no_controls(str(p)) and "\n" not in str(p) for p in e.problems)
        return
    texts = [script.title, script.muscle, script.voice or "", *script.safety, *(s.text for s in script.steps)]
    assert all(no_controls(t) for t in texts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scripts(), settings_files())
def test_show_with_generated_script_and_settings_exits_0_or_1_with_no_control_character_out(
        own_dirs: Path, no_espeak: None, script: bytes, settings_data: bytes) -> None:
    own_dirs.mkdir(exist_ok=True)
    path = own_dirs / "s.yaml"
    path.write_bytes(script)
    config = own_dirs / "config" / "crampvoice" / "settings.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes(settings_data)
    with contextlib.suppress(SettingsError):  # the settings reader alone: nothing else may escape it
        load_settings(config)
    code, out, err = run_main("show", str(path))
    assert code in (0, 1)
    assert no_controls(out + err) and (code == 0 or err)
