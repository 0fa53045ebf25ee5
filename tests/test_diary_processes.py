"""The diary through the real program: killed, two at once, a read-only folder, a full disk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crampvoice.diary import Diary

pytestmark = pytest.mark.slow
# Text keeps the pace of speech: a script of few words keeps each session to seconds.
TINY = """\
crampvoice: 1
title: Tiny
safety: [Get help.]
steps:
  - stretch: Toes up.
    hold: 2
    repeat: 2
  - ask: Easing?
    wait: 1
  - say: Rest.
"""


@pytest.fixture
def run(tmp_path: Path) -> list[str]:
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY)
    return [sys.executable, "-m", "crampvoice", "run", str(script), "--text", "--keyboard"]


def diary_file(home: Path) -> Path:
    return home / "data" / "crampvoice" / "diary.sqlite3"


def test_sigkill_mid_hold_keeps_every_event_before_it_unfinished_and_the_next_session_starts(own_dirs: Path, run: list[str]) -> None:
    with subprocess.Popen([*run, "--events", "-"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as proc:
        assert proc.stdout is not None
        shown = []
        for line in proc.stdout:
            shown.append(json.loads(line))
            if shown[-1]["type"] == "hold_start":
                proc.send_signal(signal.SIGKILL)
                break
        shown += [json.loads(line) for line in proc.stdout if line.endswith("\n")]  # what it wrote before dying
    assert proc.returncode == -signal.SIGKILL
    with Diary.open(diary_file(own_dirs)) as diary:
        (episode,) = diary.episodes()
        kept = diary.events(episode.id)
    assert episode.ended == "unfinished" and episode.script == "tiny"
    # The diary is written before --events shows an event: all that was shown is kept, in order, and at
    # most the one event in flight beyond it.
    assert kept[:len(shown)] == shown and len(kept) - len(shown) <= 1
    assert "hold_start" in [e["type"] for e in kept]

    done = subprocess.run(run, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr + done.stdout
    assert "diary" not in done.stdout  # nothing to say about it: it just works
    with Diary.open(diary_file(own_dirs)) as diary:
        assert [e.ended for e in diary.episodes()] == ["completed", "unfinished"]


def test_two_sessions_at_once_both_land_whole(own_dirs: Path, tmp_path: Path, run: list[str]) -> None:
    logs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    procs = [subprocess.Popen([*run, "--events", str(log)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for log in logs]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and err == ""
        assert "diary" not in out.lower(), out  # nothing to say about it: both sessions' diary just works
    with Diary.open(diary_file(own_dirs)) as diary:
        episodes = diary.episodes()
        kept = sorted((diary.events(e.id) for e in episodes), key=len)
    shown = sorted(([json.loads(line) for line in log.read_text().splitlines()] for log in logs), key=len)
    assert [e.ended for e in episodes] == ["completed", "completed"]
    assert len(kept) == 2 and {json.dumps(k) for k in kept} == {json.dumps(s) for s in shown}


def in_own_mounts(shell: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`shell` in a mount namespace of its own (its mounts vanish with it); skipped where that is not allowed."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no mount namespaces here (needs root or user namespaces)")
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", shell], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def test_a_read_only_diary_folder_is_one_sentence_the_session_runs_and_nothing_is_written(own_dirs: Path, run: list[str]) -> None:
    subprocess.run(run, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=True)
    folder = diary_file(own_dirs).parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    argv = " ".join(f"'{a}'" for a in run)
    done = in_own_mounts(f"mount --bind '{folder}' '{folder}' && mount -o remount,ro,bind '{folder}' '{folder}' "
                         f"&& exec {argv}", dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    notes = [line for line in done.stdout.splitlines() if "diary" in line.lower()]
    assert len(notes) == 1 and notes[0].startswith("The diary is off: ") and "is not kept" in notes[0]
    assert "Rest." in done.stdout
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_full_disk_is_said_once_and_the_session_goes_on(tmp_path: Path, run: list[str]) -> None:
    data = tmp_path / "small"
    data.mkdir()
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    argv = " ".join(f"'{a}'" for a in run)
    # 160 KiB: room for the diary and its first events, not for a whole session's write-ahead log.
    done = in_own_mounts(f"mount -t tmpfs -o size=160k tmpfs '{data}' && exec {argv}", env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    notes = [line for line in done.stdout.splitlines() if "diary" in line.lower()]
    assert notes == [notes[0]] and notes[0].startswith("The diary can no longer be written (the disk is full)")
    assert "Rest." in done.stdout


def test_forget_with_standard_input_closed_refuses_at_once(own_dirs: Path, run: list[str]) -> None:
    subprocess.run(run, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=True)
    done = subprocess.run(f"exec {sys.executable} -m crampvoice diary forget --all <&-", shell=True,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "no terminal to ask on" in done.stderr and "--yes" in done.stderr
    with Diary.open(diary_file(own_dirs)) as diary:
        assert len(diary.episodes()) == 1
