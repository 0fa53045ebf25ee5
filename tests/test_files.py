"""A person's files through the real program (issue 28): written whole or not at all, a bundled
script never hidden unasked, only a diary taken as a diary, health data kept private, and the
right reason given when a file cannot be used."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crampvoice.cli import main
from crampvoice.settings import select_profile

from .test_diary import run_main

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
ONE_STEP = "crampvoice: 1\ntitle: Evil\nsteps:\n  - say: Rest.\n"


@pytest.fixture(autouse=True)
def default_profile() -> Iterator[None]:
    """Each test starts with the default profile, whatever one an earlier `main(["--profile", ...])` chose."""
    select_profile(None)
    yield
    select_profile(None)


def crampvoice(*args: str, disk_bytes: int | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    def full_disk() -> None:  # every file stops growing after `disk_bytes`, as on a full disk
        if disk_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (disk_bytes, disk_bytes))

    return subprocess.run([*CRAMPVOICE, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          preexec_fn=full_disk,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def scripts_dir(home: Path) -> Path:
    return home / "data" / "crampvoice" / "scripts"


# -- item 4: a full disk leaves nothing behind to block the next try ---------------------------

@pytest.mark.parametrize("argv, made", [
    (("new", "mine"), "data/crampvoice/scripts/mine.yaml"),
    (("import", "{source}"), "data/crampvoice/scripts/evil.yaml"),
    (("profile", "new", "dad"), "config/crampvoice/profiles/dad.yaml"),
])
def test_a_full_disk_leaves_no_empty_file_and_the_next_try_works(
        own_dirs: Path, tmp_path: Path, argv: tuple[str, ...], made: str) -> None:
    source = tmp_path / "evil.yaml"
    source.write_text(ONE_STEP + "# " + "padding " * 40 + "\n")
    argv = tuple(a.format(source=source) for a in argv)
    full = crampvoice(*argv, disk_bytes=64)
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert "(File too large)" in full.stderr and "hint: free some space on the disk, then try again" in full.stderr
    target = own_dirs / made
    assert sorted(target.parent.iterdir()) == []
    again = crampvoice(*argv)
    assert again.returncode == 0, again.stderr
    assert target.stat().st_size > 64


# -- item 5: a bundled script is hidden only when asked, and `list` says which ----------------

def test_importing_a_bundled_scripts_name_needs_force_and_says_what_it_hides(own_dirs: Path, tmp_path: Path) -> None:
    source = tmp_path / "calf.yaml"
    source.write_text(ONE_STEP)
    code, out, err = run_main("import", str(source))
    assert code == 1 and out == ""
    assert err == ("crampvoice: error: 'calf' is the name of a bundled script, which yours would hide\n"
                   "  hint: give another name with --as NAME; or --force to run yours in place of the bundled 'calf'\n")
    assert not (scripts_dir(own_dirs) / "calf.yaml").exists()
    assert "calf         Calf cramp  [bundled]" in run_main("list")[1]
    code, out, _ = run_main("import", str(source), "--force")
    mine = scripts_dir(own_dirs) / "calf.yaml"
    assert code == 0 and out.splitlines()[-1] == (f"It hides the bundled script 'calf': 'crampvoice run calf' runs "
                                                   f"yours now. Remove {mine} to have the bundled one back.")
    assert "calf         Evil  [yours, in place of the bundled one]" in run_main("list")[1]


def test_list_says_once_which_files_in_the_scripts_folder_it_left_out_and_why(own_dirs: Path) -> None:
    folder = scripts_dir(own_dirs)
    folder.mkdir(parents=True)
    os.mkfifo(folder / "fifo.yaml")
    (folder / "loop.yaml").symlink_to("loop.yaml")
    (folder / "gone.yaml").symlink_to("nowhere.yaml")
    (folder / "dir.yaml").mkdir()
    (folder / ("x" * 60 + ".yaml")).write_text(ONE_STEP)
    (folder / "esc\x1b.yaml").write_text(ONE_STEP)
    code, out, err = run_main("list")
    assert code == 0
    assert err == ("Left out, as they are not files a script can be read from: dir.yaml (a folder); fifo.yaml (a "
                   "pipe, device or socket); gone.yaml (a link to nothing); loop.yaml (a link that loops)\n")
    rows = out.splitlines()
    assert all(row[32:34] == "  " and row[34] != " " for row in rows)  # every title in one column
    assert "esc\\x1b " in out and "x" * 31 + "…  Evil  [yours]" in out


# -- import: the right reason, the right hint ------------------------------------------------

def test_import_takes_a_file_named_as_people_name_them_and_refuses_what_is_no_crampvoice_file(
        own_dirs: Path, tmp_path: Path) -> None:
    dad = tmp_path / "Dad Calf.yaml"
    dad.write_text(ONE_STEP)
    code, out, _ = run_main("import", str(dad))
    assert code == 0 and out.endswith("use it with 'crampvoice run \"Dad Calf\"'.\n")
    assert run_main("validate", "Dad Calf")[1].endswith(": ok (1 step)\n")
    code, _, err = run_main("import", str(dad))
    assert err.endswith("  hint: give another name with --as NAME, or --force to replace it\n")
    code, _, err = run_main("import", str(dad), "--as", "")
    assert code == 1 and err.startswith("crampvoice: error: --as was given an empty name\n")
    archive = tmp_path / "calf.tar"
    subprocess.run(["tar", "cf", str(archive), "-C", str(tmp_path), "Dad Calf.yaml"], check=True)
    code, _, err = run_main("import", str(archive))
    assert code == 1 and err.startswith(f"crampvoice: error: {archive} is not a crampvoice file: it is not text")


# -- item 9: an erase says exactly what it erases, and takes exactly 'yes' ---------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_forget_before_a_time_names_the_instant_and_the_count_and_takes_only_yes(own_dirs: Path) -> None:
    from datetime import datetime

    from crampvoice.diary import Diary, diary_path

    def at(hh_mm: str) -> float:
        return datetime.fromisoformat(f"2026-12-06T{hh_mm}").astimezone().timestamp()

    with Diary.open(diary_path()) as diary:
        for when in ("20:09", "20:15"):
            diary.begin(0.0, print, wall=at(when)).write("start", 0.0, title=when, steps=1, script="calf")
    instant = datetime.fromtimestamp(at("20:12")).astimezone().isoformat(sep=" ")
    assert instant.startswith("2026-12-06 20:12:00")
    for answer in ("y", "Yes", "yes please", ""):
        out, old = io.StringIO(), sys.stdin
        sys.stdin = _Terminal(answer + "\n")
        try:
            with contextlib.redirect_stdout(out):
                assert main(["diary", "forget", "--before", "2026-12-06T20:12"]) == 0
        finally:
            sys.stdin = old
        assert out.getvalue() == (f"Erase the 1 episode begun before {instant} from {diary_path()}, for good? It "
                                  f"cannot be undone. Type yes to erase: Nothing was erased"
                                  + (" (only 'yes' erases).\n" if answer else ".\n"))
    code, _, err = run_main("diary", "forget", "--before", "2026-12-06T20:12")  # no terminal to ask on
    assert code == 1 and f"add --yes to erase the 1 episode begun before {instant} without asking" in err
    out, old = io.StringIO(), sys.stdin
    sys.stdin = _Terminal(" yes\n")
    try:
        with contextlib.redirect_stdout(out):
            assert main(["diary", "forget", "--before", "2026-12-06T20:12"]) == 0
    finally:
        sys.stdin = old
    assert out.getvalue().endswith(f"Type yes to erase: Erased 1 episode, every one begun before {instant}.\n")
    with Diary.open(diary_path()) as diary:
        assert [e.title for e in diary.episodes()] == ["20:15"]


# -- item 6: only a diary, or an empty file, is taken as a diary -------------------------------

def _contacts(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        db.execute("INSERT INTO contacts VALUES ('Gran', '0123')")


def tiny(tmp_path: Path) -> str:
    """A session of a second or two, in text."""
    path = tmp_path / "tiny.yaml"
    path.write_text(ONE_STEP)
    return str(path)


def test_a_database_that_is_no_diary_is_refused_plainly_and_left_as_it_is(own_dirs: Path, tmp_path: Path) -> None:
    from crampvoice.diary import diary_path

    path = diary_path()
    _contacts(path)
    before = path.read_bytes()
    for argv in (("diary",), ("diary", "summary"), ("diary", "--json")):
        code, out, err = run_main(*argv)
        assert code == 1 and out == ""
        assert err == (f"crampvoice: error: {path} is a database, but not a crampvoice diary (its tables: contacts)\n"
                       f"  hint: it is left exactly as it is; move it away, and a new diary will be made at {path}\n")
    out = crampvoice("run", tiny(tmp_path), "--text", "--keyboard").stdout
    assert "The diary is off: " in out and "not a crampvoice diary" in out
    assert path.read_bytes() == before
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["contacts"]


def test_an_empty_file_at_the_diary_path_is_no_diary_yet_until_a_session_makes_it_one(
        own_dirs: Path, tmp_path: Path) -> None:
    from crampvoice.diary import diary_path

    path = diary_path()
    path.parent.mkdir(parents=True)
    path.touch()
    assert run_main("diary")[:2] == (0, f"No diary yet: each session is kept in {path} from the first one on.\n")
    assert path.stat().st_size == 0  # reading writes nothing
    ran = crampvoice("run", tiny(tmp_path), "--text", "--keyboard")
    assert ran.returncode == 0 and "The diary is off" not in ran.stdout
    assert "tiny" in run_main("diary")[1]


# -- item 11: the data folder and the diary are private, whoever made them ------------------------

@pytest.mark.parametrize("argv", [("new", "mine"), ("import", "{source}")])
def test_a_data_folder_first_made_by_new_or_import_is_private(own_dirs: Path, tmp_path: Path,
                                                             argv: tuple[str, ...]) -> None:
    source = tmp_path / "mine.yaml"
    source.write_text(ONE_STEP)
    old = os.umask(0o022)
    try:
        assert run_main(*(a.format(source=source) for a in argv))[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((own_dirs / "data" / "crampvoice").stat().st_mode) == 0o700


def test_a_widened_data_folder_and_diary_are_narrowed_again_even_by_reading(own_dirs: Path) -> None:
    from crampvoice.diary import Diary, diary_path

    Diary.open(diary_path()).close()
    folder = diary_path().parent
    folder.chmod(0o755)
    diary_path().chmod(0o644)
    assert run_main("diary")[0] == 0
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(diary_path().stat().st_mode) == 0o600
    profile = own_dirs / "data" / "crampvoice" / "people" / "dad"
    assert run_main("profile", "new", "dad")[0] == 0
    Diary.open(profile / "diary.sqlite3").close()
    for each in (profile.parent, profile.parent.parent):
        each.chmod(0o755)
    assert run_main("--profile", "dad", "diary")[0] == 0
    assert {stat.S_IMODE(p.stat().st_mode) for p in (profile, profile.parent, profile.parent.parent)} == {0o700}


# -- item 12: the right reason, in a message of a readable length --------------------------------

LONG = "a" * 10_000


@pytest.mark.parametrize("argv, message, hint", [
    (("export", "calf", "-o", LONG), "cannot write a", "  hint: give a shorter name"),
    (("import", LONG), "cannot read a", "  hint: check the path"),
    (("run", f"x/{LONG}"), "x/a", "check the path, or run 'crampvoice list'"),
    (("validate", LONG), "a", "or give the path to a .yaml file"),
])
def test_a_name_too_long_is_said_so_in_a_short_message(argv: tuple[str, ...], message: str, hint: str) -> None:
    code, out, err = run_main(*argv)
    said = out + err
    assert code == 1 and "Traceback" not in said and len(said) < 1000, said
    assert said.split("\n")[0].startswith(message) or said.startswith(f"crampvoice: error: {message}")
    assert " characters)…" in said and hint in said
    assert "the name is too long" in said or "there is no relief script called" in said


def test_a_folder_at_the_diary_path_is_named_as_such(own_dirs: Path) -> None:
    from crampvoice.diary import diary_path

    diary_path().mkdir(parents=True)
    code, _, err = run_main("diary")
    assert code == 1 and err == (
        f"crampvoice: error: the diary {diary_path()} is a folder, not a file\n"
        f"  hint: move that folder away (nothing in it is touched); a new diary will be made at {diary_path()}\n")


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` cannot be written to, even by root (who ignores its mode, but not the immutable flag)."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no folder is read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_the_diary_is_read_in_a_folder_that_cannot_be_written(own_dirs: Path) -> None:
    from crampvoice.diary import Diary, diary_path

    with Diary.open(diary_path()) as diary:
        diary.begin(0.0, print, wall=1_790_000_000.0).write("start", 0.0, title="Calf", steps=1, script="calf")
    with read_only(diary_path().parent):
        code, out, err = run_main("diary", "--json")
        assert (code, err) == (0, "") and json.loads(out)[0]["script"] == "calf"


def test_diary_json_gives_null_where_nothing_was_answered_commanded_or_advised(own_dirs: Path) -> None:
    from crampvoice.diary import Diary, diary_path
    from crampvoice.diary import view as diaryview

    with Diary.open(diary_path()) as diary:
        diary.begin(0.0, print, wall=1_790_000_000.0).write("start", 0.0, title="Calf", steps=1, script="calf")
    code, out, _ = run_main("diary", "--json")
    (record,) = json.loads(out)
    assert code == 0 and (record["eased"], record["commands"], record["advised"]) == (None, None, None)
    assert diaryview.from_json(out)[0].eased == ""  # read back as the diary holds it


# -- profiles: every problem at once, in the draft; the script a profile names ------------------

TWO_TRIES = """\
import sys
from pathlib import Path
count = Path(sys.argv[0]).with_suffix(".count")
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
Path(sys.argv[1]).write_text(["rate: fast\\nvolume: 9\\n", "script: nosuch\\n"][min(n, 1)])
"""


def test_profile_edit_gives_every_problem_at_once_in_the_draft_and_warns_of_a_missing_script(
        own_dirs: Path, tmp_path: Path) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text(TWO_TRIES)
    assert crampvoice("profile", "new", "dad").returncode == 0
    edited = subprocess.run([*CRAMPVOICE, "profile", "edit", "dad"], input="y\n", capture_output=True, text=True,
                            timeout=60, env={**os.environ, "EDITOR": f"{sys.executable} {editor}", "VISUAL": ""})
    path = own_dirs / "config" / "crampvoice" / "profiles" / "dad.yaml"
    draft = path.with_name(".dad.yaml.draft")
    lines = edited.stdout.splitlines()
    assert edited.returncode == 0, edited
    assert lines[0].startswith(f"{draft}:1:7: error: 'rate' should be words a minute")
    assert lines[1].startswith(f"{draft}:2:9: error: 'volume' should be a number from 0 to 1")
    assert lines[-3].endswith(f"Edit it again? [Y/n] {path}: ok")
    assert lines[-2:] == [f"warning: the script 'nosuch' named by 'script:' in {path} does not exist",
                          "  hint: give a script to run, or change that line; choose one of: bedtime, calf, foot, "
                          "hamstring, night, thigh; or give the path to a .yaml file"]
    ran = crampvoice("run", "--profile", "dad", "--text", "--keyboard")
    assert ran.returncode == 1 and ran.stderr.startswith(
        f"crampvoice: error: the script 'nosuch' named by 'script:' in {path} does not exist\n")


def test_exporting_a_profile_says_its_own_script_does_not_travel_with_it(own_dirs: Path, tmp_path: Path) -> None:
    assert run_main("new", "dads-calf")[0] == 0
    assert run_main("profile", "new", "dad")[0] == 0
    path = own_dirs / "config" / "crampvoice" / "profiles" / "dad.yaml"
    path.write_text("script: dads-calf\n")
    code, _, err = run_main("export", "dad", "-o", str(tmp_path / "dad.yaml"))
    assert code == 0 and err.splitlines()[-1] == (
        "The profile runs the script 'dads-calf', which is your own and is not in this file: give it too, with "
        "'crampvoice export dads-calf -o dads-calf.yaml'.")
    path.write_text("script: foot\n")
    assert run_main("export", "dad", "-o", "-")[2] == ""  # a bundled script: every crampvoice has it


# -- a FIFO, a device or a folder where a file is expected: never a hang, never a traceback ---------

def test_no_reader_waits_on_a_fifo_or_breaks_on_a_folder_or_device(own_dirs: Path, tmp_path: Path) -> None:
    from crampvoice.diary import diary_path

    profiles = own_dirs / "config" / "crampvoice" / "profiles"
    profiles.mkdir(parents=True)
    os.mkfifo(profiles / "fifo.yaml")
    (profiles / "dir.yaml").mkdir()
    diary_path().parent.mkdir(parents=True)
    os.mkfifo(diary_path())
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for argv in (("profile", "new", "x", "--from", "fifo"), ("profile", "show", "fifo"), ("profile", "edit", "fifo"),
                 ("profile", "new", "y", "--from", "dir"), ("export", "fifo", "-o", "-"), ("import", str(fifo)),
                 ("import", "/dev/zero"), ("import", str(tmp_path)), ("validate", str(fifo)), ("diary",),
                 ("diary", "summary"), ("run", "calf", "--profile", "dir", "--text"), ("list",)):
        done = crampvoice(*argv)
        said = done.stdout + done.stderr
        assert "Traceback" not in said and (done.returncode == 1 or argv == ("list",)), (argv, said)
    assert "is a pipe, device or socket, not a file" in crampvoice("diary").stderr


def test_a_profile_file_named_as_no_profile_can_be_is_imported_with_as(own_dirs: Path, tmp_path: Path) -> None:
    source = tmp_path / "Dad Night.yaml"
    source.write_text("rate: 120\n")
    code, _, err = run_main("import", str(source))
    assert code == 1 and err.splitlines() == [
        "crampvoice: error: 'Dad Night' cannot be a profile name",
        "  hint: give one with --as NAME: up to 64 lower-case letters, digits, '-' and '_', such as 'dad' or "
        "'mum-night'"]
    assert run_main("import", str(source), "--as", "dad-night")[0] == 0
    folder = own_dirs / "config" / "crampvoice" / "profiles"
    os.mkfifo(folder / "fifo.yaml")
    code, _, err = run_main("--profile", "fifo", "profile", "list")
    assert code == 1 and "there is no profile 'fifo' (profiles: dad-night)" in err


def test_an_empty_file_left_by_an_earlier_full_disk_no_longer_blocks_new(own_dirs: Path) -> None:
    folder = scripts_dir(own_dirs)
    folder.mkdir(parents=True)
    (folder / "mine.yaml").touch()
    assert "start from 'crampvoice new NAME'" in run_main("validate", "mine")[1]
    assert run_main("new", "mine")[0] == 0
    assert run_main("validate", "mine")[1].endswith(": ok (4 steps)\n")
