"""`crampvoice standby` as a real process, started from keys (a pipe): sessions one after another, a
session that fails, SIGTERM; and the systemd unit `--install` writes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from crampvoice.cli import main
from crampvoice.diary import Diary

from .standby_process import StandbyProcess

TINY = """\
crampvoice: 1
title: {title}
muscle: {muscle}
safety: [Get help if it lasts.]
steps:
  - say: Sip some water.
"""


def standby_(*args: str | Path) -> StandbyProcess:
    env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent/crampvoice-test"}  # no sound: text and keys
    return StandbyProcess(env, *args, typing=True)


@pytest.fixture
def scripts(own_dirs: Path) -> Path:
    folder = own_dirs / "data" / "crampvoice" / "scripts"
    folder.mkdir(parents=True)
    (folder / "my-feet.yaml").write_text(TINY.format(title="My feet", muscle="foot"))
    return folder


@pytest.mark.slow
def test_phrases_start_their_scripts_one_session_after_another_and_sigterm_ends_it_with_143(
        own_dirs: Path, scripts: Path, tmp_path: Path) -> None:
    quick = tmp_path / "quick.yaml"
    quick.write_text(TINY.format(title="Quick", muscle="calf").replace("Sip some water.", "Rest. " * 40))
    standby = standby_(quick)
    standby.until("standby")
    standby.type("foot cramp")  # names a muscle: the person's own script for it
    wake = standby.until("wake")
    assert (wake["phrase"], wake["by"]) == ("foot cramp", "typed")
    start = standby.until("start")
    assert (start["script"], start["started_by"]) == ("my-feet", "typed")
    assert standby.until("end")["reason"] == "completed"
    standby.until("standby")  # listening again
    standby.type("")  # Enter: the default script
    assert standby.until("start")["title"] == "Quick"
    standby.until("say")
    code, err = standby.end()
    assert code == 143, err
    assert [e["type"] for e in standby.seen[-2:]] == ["end", "standby_end"]
    assert standby.seen[-2]["reason"] == "interrupted"
    with Diary.open(own_dirs / "data" / "crampvoice" / "diary.sqlite3") as diary:
        episodes = sorted(diary.episodes(), key=lambda e: e.id)
        starts = [diary.events(e.id)[0] for e in episodes]
    assert [s["started_by"] for s in starts] == ["typed", "key"]
    assert episodes[0].ended == "completed"


@pytest.mark.slow
def test_a_session_that_fails_is_said_once_and_standby_starts_the_next(own_dirs: Path, tmp_path: Path) -> None:
    script = tmp_path / "mine.yaml"
    script.write_text("crampvoice: 1\ntitle: Mine\nsteps: [{hodl: 3}]\n")
    standby = standby_(script)
    standby.until("standby")
    standby.type("cramp help")
    notice = standby.until("notice", saying="The session could not run")
    assert "mine.yaml:3:9: error: step 1 has no instruction" in str(notice["text"]), notice
    assert str(notice["text"]).endswith("Standing by again.")
    standby.until("standby")
    script.write_text(TINY.format(title="Mine", muscle="calf"))  # mended meanwhile: read again at the start
    standby.type("cramp help")
    assert standby.until("start")["title"] == "Mine"
    assert standby.until("end")["reason"] == "completed"
    standby.until("standby")
    code, err = standby.end(signal.SIGINT)  # Ctrl-C, from a pipe
    assert code == 130, err
    assert standby.seen[-1]["type"] == "standby_end"


def test_install_writes_a_unit_systemd_accepts_and_uninstall_removes_it(
        own_dirs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["standby", "calf", "--install", "--mic", "USB 2"]) == 0
    out = capsys.readouterr().out
    unit = own_dirs / "config" / "systemd" / "user" / "crampvoice-standby.service"
    assert "systemctl --user enable --now crampvoice-standby.service" in out
    text = unit.read_text()
    assert "Restart=on-failure" in text
    (exec_start,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    program = exec_start.removeprefix("ExecStart=").split()[0]
    assert Path(program).is_absolute() and Path(program).exists()
    assert exec_start.endswith('standby calf --mic "USB 2"')
    _verified(unit, tmp_path)

    assert main(["standby", "--uninstall"]) == 0
    assert not unit.exists()
    assert main(["standby", "--uninstall"]) == 0  # nothing left: said, not an error
    assert "No standby unit" in capsys.readouterr().out


def _verified(unit: Path, tmp_path: Path) -> None:
    """systemd-analyze verify accepts it, or the test says why it could not ask."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt package systemd; ./dev.sh test installs it)")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    done = subprocess.run([analyze, "verify", "--user", str(unit)], env=env, capture_output=True, text=True,
                          timeout=60)
    if "Failed to initialize manager" in done.stderr:
        pytest.skip(f"systemd-analyze cannot run here: {done.stderr.strip()}")
    assert done.returncode == 0 and unit.name not in done.stderr, done.stderr
    broken = unit.with_name("broken.service")
    broken.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    done = subprocess.run([analyze, "verify", "--user", str(broken)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert "broken.service" in done.stderr  # the check does catch a bad setting
