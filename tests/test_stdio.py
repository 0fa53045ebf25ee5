"""The program's standard streams and small promises, through the real program."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import crampvoice

pytestmark = pytest.mark.slow
SHORT = Path(__file__).parent / "data" / "short.yaml"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
RUN_SHORT = [*CRAMPVOICE, "run", str(SHORT), "--text", "--keyboard"]


def test_a_phrase_from_a_pipe_is_logged_as_typed_and_a_key_as_pressed() -> None:
    done = subprocess.run([*RUN_SHORT, "--events", "-"], input="go back\n\nstop\ny\n", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    commands = [(e["command"], e["by"]) for e in map(json.loads, done.stdout.splitlines()) if e["type"] == "command"]
    assert commands == [("back", "typed"), ("next", "key"), ("stop", "typed"), ("yes", "key")]
    assert "typed: back" in done.stderr and "pressed: next" in done.stderr


def test_version_says_which_crampvoice_this_is() -> None:
    done = subprocess.run([*CRAMPVOICE, "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"crampvoice {crampvoice.__version__}\n")


def test_show_with_an_unknown_voice_says_so_instead_of_blaming_espeak_ng() -> None:
    done = subprocess.run([*CRAMPVOICE, "show", str(SHORT), "--voice", "no/such"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "(estimated, because espeak-ng has no voice 'no/such')" in done.stdout
    assert "not available" not in done.stdout


def test_with_standard_input_closed_the_session_says_so_and_runs_to_its_end() -> None:
    done = subprocess.run([*RUN_SHORT, "--events", "-"], preexec_fn=lambda: os.close(0), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("Keys are off: standard input is closed.") and "Traceback" not in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["reason"] == "completed"


def test_with_standard_output_closed_it_says_so_once_and_carries_on(tmp_path: Path) -> None:
    events = tmp_path / "events"
    done = subprocess.run([*RUN_SHORT, "--events", str(events)], preexec_fn=lambda: os.close(1),
                          stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "crampvoice: standard output is closed, so nothing is printed there; carrying on.\n"
    assert json.loads(events.read_text().splitlines()[-1])["reason"] == "completed"


def test_events_on_a_full_disk_are_given_up_in_one_sentence_and_the_session_goes_on() -> None:
    done = subprocess.run([*RUN_SHORT, "--events", "/dev/full"], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("The events can no longer be written (No space left on device); "
                             "the session goes on without them.") == 1
    assert done.stdout.rstrip().endswith("you can start again.") and done.stderr == ""


def test_an_ascii_terminal_gets_question_marks_not_a_traceback(tmp_path: Path) -> None:
    script = tmp_path / "cafe.yaml"
    script.write_text("crampvoice: 1\ntitle: Caf\u00e9 cramp \u2014 calf\nsteps:\n  - say: Sip some water.\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for argv in (["show", str(script)], ["run", str(script), "--text", "--keyboard", "--events", "-"]):
        done = subprocess.run([*CRAMPVOICE, *argv], stdin=subprocess.DEVNULL, capture_output=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert b"Caf? cramp ? calf" in done.stdout + done.stderr and b"Traceback" not in done.stderr
    events = [json.loads(line) for line in done.stdout.decode("ascii").splitlines()]  # escaped, not replaced
    assert events[0]["title"] == "Caf\u00e9 cramp \u2014 calf"


@pytest.mark.parametrize("kind", ["-b 24", "-e floating-point -b 32 -c 2 -r 44100", "-e floating-point -b 64",
                                  "-b 32 -e signed", "-b 16 -c 2 -r 48000"])
def test_recognize_takes_wavs_of_any_sample_type_rate_and_channels(tmp_path: Path, kind: str) -> None:
    """24-bit and float WAVs are what Audacity exports; docs/reference.md promises any rate and channels."""
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (./dev.sh test installs it)")
    wav = tmp_path / "next.wav"
    subprocess.run(["sox", str(Path(__file__).parent / "data" / "corpus" / "next_clean.wav"), *kind.split(),
                    str(wav)], check=True)
    done = subprocess.run([*CRAMPVOICE, "recognize", "--json", str(wav)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == "next"
