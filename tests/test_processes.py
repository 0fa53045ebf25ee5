"""The installed command as a person meets it: real processes, a real terminal, the real clock."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from crampvoice.core.scriptfile import parse_script

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.slow
SHORT = Path(__file__).parent / "data" / "short.yaml"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]


def test_a_session_with_no_keys_runs_to_its_end_with_holds_on_time() -> None:
    """Holds by the events and by an outside clock (when each line arrives) match the script."""
    argv = [*CRAMPVOICE, "run", str(SHORT), "--text", "--keyboard", "--events", "-"]
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        arrivals = [(time.monotonic(), json.loads(line)) for line in proc.stdout]
        shown = proc.stderr.read()
    assert proc.returncode == 0, shown
    events = [e for _, e in arrivals]
    assert events[-1]["type"] == "end" and events[-1]["reason"] == "completed"
    expected = [2, 2, 2, 3]  # after the first, which lasts until the notes said during it are said
    starts = [(at, e) for at, e in arrivals if e["type"] == "hold_start"]
    ends = [(at, e) for at, e in arrivals if e["type"] == "hold_end"]
    by_events = [e["t"] - s["t"] for (_, s), (_, e) in zip(starts, ends, strict=True)]
    by_outside = [e_at - s_at for (s_at, _), (e_at, _) in zip(starts, ends, strict=True)]
    # Behaviour, not speed: bench/ reports the error in milliseconds; here a hold must be its own length.
    assert by_events[1:] == pytest.approx(expected, abs=0.25) and by_events[0] > 2
    assert by_outside == pytest.approx(by_events, abs=0.25)
    assert shown.splitlines()[0] == "Quick test."  # the text view moves to stderr when events use stdout


def test_next_said_during_the_spoken_opening_starts_step_one(pulse: dict[str, str]) -> None:
    """The opening notes take seconds to say; "next" then must start step 1, not skip to step 2."""
    argv = [*CRAMPVOICE, "run", str(SHORT), "--keyboard", "--events", "-"]
    with subprocess.Popen(argv, env=pulse, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        lines = (json.loads(line) for line in proc.stdout)
        assert next(e for e in lines if e["type"] == "say")["text"] == "Quick test."
        proc.stdin.write("next\n")
        proc.stdin.flush()
        assert next(e for e in lines if e["type"] == "step")["index"] == 1
        proc.stdin.write("stop\nyes\n")
        proc.stdin.flush()
        assert next(e for e in lines if e["type"] == "end")["reason"] == "stopped"
    assert proc.returncode == 0


HOSTILE: dict[str, bytes] = {
    "malformed.yaml": b"crampvoice: 1\ntitle: [unclosed\nsteps:\n",
    "random.yaml": bytes(range(256)) * 8,
    "latin1.yaml": "crampvoice: 1\ntitle: Caf\u00e9\n".encode("latin-1"),
    "bomb.yaml": b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
    "python.yaml": b"crampvoice: 1\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\nsteps: []\n",
    "deep.yaml": b"[" * 50_000 + b"]" * 50_000,
    "negative.yaml": b"crampvoice: 1\ntitle: T\nsteps:\n  - stretch: x\n    hold: -30\n",
    "nan.yaml": b"crampvoice: 1\ntitle: T\nsteps:\n  - stretch: x\n    hold: .nan\n",
    "enormous.yaml": b"crampvoice: 1\ntitle: T\nsteps:\n  - stretch: x\n    hold: 1e308\n",
    "typo.yaml": b"crampvoice: 1\ntitle: T\nsteps:\n  - strech: x\n    hold: 30\n",
    "empty.yaml": b"",
    "huge.yaml": b"# padding\n" * 200_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_get_one_clear_message_and_are_left_untouched(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    for argv in (["validate", str(path)], ["run", str(path), "--text"], ["show", str(path)]):
        done = subprocess.run([*CRAMPVOICE, *argv], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=60)
        output = done.stdout + done.stderr
        assert done.returncode == 1, output
        assert "Traceback" not in output
        assert output.startswith(f"{path}:") and ": error: " in output
    assert path.read_bytes() == HOSTILE[name]
    assert not Path("/tmp/pwned").exists()


def spawn(*args: str) -> Any:
    env = {**os.environ, "TERM": "xterm"}
    # Text keeps the pace of speech: the opening notes alone take about ten seconds to "say".
    return pexpect.spawn(sys.executable, ["-m", "crampvoice", *args], env=env, encoding="utf-8",
                         timeout=60, dimensions=(40, 200))


def converse(child: Any, *turns: tuple[str | None, str]) -> int:
    """Send each key (None: just wait) and expect each line; then the exit status at the end."""
    for key, expected in turns:
        if key is not None:
            child.send(key)
        child.expect(expected)
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus)


def test_single_keys_in_a_real_terminal_drive_the_session() -> None:
    assert converse(
        spawn("run", str(SHORT), "--text"),
        (None, "Keys: space is the one switch"),
        (None, "Pull your toes up toward your shin"),
        ("p", "pressed: pause"),
        (None, "Paused. (Say|Press c to) carry on when you are ready."),  # keys, where no microphone is
        # Paused during a hold it says "Carrying on"; during the instruction (text keeps the pace
        # of speech, so it may still be "saying" it), it says the instruction again.
        ("c", "Carrying on|Pull your toes up toward your shin"),
        ("h", "pressed: help"),
        (None, "Keys: space is the one switch"),  # the keys are shown by h
        (None, "You can say: next, back|Keys: Enter for next, b back"),
        ("\r", "Step 2 of 4:"),  # Enter: next step
        ("q", "Do you want to stop?"),
        ("y", "Stopping now. Take care."),
    ) == 0


def test_a_terminal_session_prints_plain_lines_with_no_colour_or_cursor_movement() -> None:
    """The README's promise to screen readers: no escape sequence ever reaches the terminal."""
    child = spawn("run", str(SHORT), "--text")
    child.logfile_read = seen = io.StringIO()
    child.expect("Hold it for two seconds")
    child.send("q")
    child.expect("Do you want to stop")
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    everything = seen.getvalue()
    assert child.exitstatus == 0 and "Stopping now." in everything
    assert "\x1b" not in everything and "\x9b" not in everything


def test_one_switch_alone_can_pause_choose_and_stop() -> None:
    assert converse(
        spawn("run", str(SHORT), "--text"),
        (None, "Hold it for two seconds"),
        (" ", r"Carry on\?"),
        (None, r"Next step\?"),
        (None, r"Hear it again\?"),
        (None, r"Go back\?"),
        (None, r"Help\?"),
        (None, r"Stop\?"),
        (" ", "Do you want to stop?"),
        (" ", r"Yes\?"),
        (" ", "Stopping now."),
    ) == 0


def test_ctrl_c_ends_cleanly_and_gives_the_terminal_back() -> None:
    child = spawn("run", str(SHORT), "--text")
    child.expect("Pull your toes up")
    child.sendcontrol("c")
    child.expect("Session ended.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")


LONG = """\
crampvoice: 1
title: Long holds
steps:
  - stretch: Pull your toes up.
    hold: 120
  - ask: Is the cramp easing?
    wait: 120
"""


def in_a_shell(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """The program in a pty under bash, which then prints its exit status and `stty -a` of the same pty."""
    script = tmp_path / "long.yaml"
    script.write_text(LONG)
    command = " ".join([*CRAMPVOICE, "run", str(script), "--keyboard", "--events", str(tmp_path / "events"), *args])
    shell = f"{command} <&0 & echo pid=$!; wait $!; echo exit=$?; stty -a"
    return pexpect.spawn("bash", ["-c", shell], env={**(env or os.environ), "TERM": "xterm"},
                         encoding="utf-8", timeout=20, dimensions=(40, 200))


def ended_and_restored(child: Any, tmp_path: Path, status: int) -> None:
    child.expect(r"exit=(\d+)")
    assert int(child.match.group(1)) == status
    child.expect(pexpect.EOF)
    modes = (child.before or "").split()
    assert "echo" in modes and "icanon" in modes, modes  # the terminal is out of raw mode
    assert "Traceback" not in (child.before or "")
    events = [json.loads(line) for line in (tmp_path / "events").read_text().splitlines()]
    assert events[-1]["type"] == "end" and events[-1]["reason"] == "interrupted"


STATES = {"hold": (None, "Hold it for two minutes"), "paused": ("p", "Paused."),
          "question": ("\r", "Is the cramp easing?")}


@pytest.mark.parametrize("state", sorted(STATES))
def test_ctrl_c_in_a_terminal_ends_the_session_at_once_in_every_state(tmp_path: Path, state: str) -> None:
    child = in_a_shell(tmp_path, "--text")
    child.expect("Hold it for two minutes")
    key, expected = STATES[state]
    if key is not None:
        child.send(key)
        child.expect(expected)
    sent = time.monotonic()
    child.sendcontrol("c")
    child.expect("Session ended.")
    assert time.monotonic() - sent < 3  # at once, not at the next cue or never; bench/ has real timings
    ended_and_restored(child, tmp_path, 130)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_end_like_ctrl_c_and_leave_no_temporary_files(
        tmp_path: Path, pulse: dict[str, str], name: str) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    child = in_a_shell(tmp_path, env={**pulse, "TMPDIR": str(temp)})  # speaking: espeak-ng's temporary file
    child.expect(r"pid=(\d+)")
    pid = int(child.match.group(1))
    child.expect("Hold it for two minutes")
    os.kill(pid, getattr(signal, name))
    child.expect("Session ended.")
    ended_and_restored(child, tmp_path, 128 + getattr(signal, name))
    assert list(temp.iterdir()) == []


def test_a_terminal_closed_mid_session_ends_it_with_an_end_event(tmp_path: Path) -> None:
    script = tmp_path / "long.yaml"
    script.write_text(LONG)
    child = spawn("run", str(script), "--text", "--events", str(tmp_path / "events"))
    child.expect("Hold it for two minutes")
    os.close(child.child_fd)  # the terminal window is closed: the kernel hangs up
    deadline = time.monotonic() + 10
    while child.isalive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not child.isalive()
    events = [json.loads(line) for line in (tmp_path / "events").read_text().splitlines()]
    assert events[-1]["type"] == "end" and events[-1]["reason"] == "interrupted"


def test_installed_into_a_new_environment_it_finds_its_scripts_from_anywhere(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(repo)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    exe = str(venv / "bin" / "crampvoice")
    listed = subprocess.run([exe, "list"], cwd=outside, capture_output=True, text=True, check=True).stdout
    assert [line.split()[0] for line in listed.splitlines()] == sorted(p.stem for p in (repo / "scripts").glob("*.yaml"))
    scripts = sorted(str(p) for p in (repo / "scripts").glob("*.yaml"))
    validated = subprocess.run([exe, "validate", *scripts], cwd=outside, capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout
    for path in scripts:  # the repository's files are the installed ones
        assert parse_script(Path(path).read_bytes(), path).title in listed
