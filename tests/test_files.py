"""A person's files through the real program (issue 28): written whole or not at all, a bundled
script never hidden unasked, only a diary taken as a diary, health data kept private, and the
right reason given when a file cannot be used."""

from __future__ import annotations

import contextlib
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from crampvoice.cli import main

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
ONE_STEP = "crampvoice: 1\ntitle: Evil\nsteps:\n  - say: Rest.\n"


def run_main(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def crampvoice(*args: str, disk_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    def full_disk() -> None:  # every file stops growing after `disk_bytes`, as on a full disk
        if disk_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (disk_bytes, disk_bytes))

    return subprocess.run([*CRAMPVOICE, *args], capture_output=True, text=True, timeout=120, preexec_fn=full_disk,
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
