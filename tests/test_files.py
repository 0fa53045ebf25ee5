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
