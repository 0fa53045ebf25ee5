"""The program's standard streams and small promises, through the real program."""

from __future__ import annotations

import json
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
