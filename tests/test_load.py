"""Speech out on a busy machine, and a device that really stops and comes back.

Real espeak-ng, a real (virtual) PulseAudio speaker, real busy processes. A busy machine
must only delay speech a little, never be taken for a dead speaker.
"""

from __future__ import annotations

import json
import math
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO

import pytest

from crampvoice import library
from crampvoice.core.timeline import estimate_speech_s, simulate, total_s

from . import pulse as pa
from .load import LOWER, busy
from .test_speak import CRAMPVOICE, SHORT, needs_espeak

pytestmark = pytest.mark.slow


def heard_in_a_session(env: dict[str, str], recorder: pa.Monitor, prefix: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([*prefix, *CRAMPVOICE, "run", str(SHORT), "--keyboard", "--no-diary"], env=env, text=True,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    recorder.caught_up(time.monotonic())
    return recorder.loud_between(started, math.inf), done.stdout


def test_a_busy_machine_delays_speech_but_never_silences_it(pulse: dict[str, str]) -> None:
    """Two busy loops a core at normal priority, the program at nice 10: the issue's failing case."""
    needs_espeak()
    recorder = pa.Monitor(pulse)
    try:
        idle_s, _ = heard_in_a_session(pulse, recorder, LOWER)
        with busy(per_core=2):
            loaded_s, out = heard_in_a_session(pulse, recorder, LOWER)
    finally:
        recorder.close()
    assert "stopped working" not in out, out
    assert loaded_s >= 0.9 * idle_s, (loaded_s, idle_s)


def event_queue(stream: IO[str]) -> queue.SimpleQueue[dict[str, object]]:
    arrived: queue.SimpleQueue[dict[str, object]] = queue.SimpleQueue()

    def read() -> None:
        for line in stream:
            arrived.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    return arrived


def until(arrived: queue.SimpleQueue[dict[str, object]], seen: list[dict[str, object]], wanted: str) -> None:
    """Collect events until a notice containing `wanted` arrives."""
    while True:
        event = arrived.get(timeout=120)
        seen.append(event)
        if event["type"] == "notice" and wanted in str(event["text"]):
            return


def suspend(env: dict[str, str]) -> Callable[[], None]:
    """The speaker stops taking sound (its sink suspended); what brings it back."""
    subprocess.run(["pactl", "suspend-sink", "spk", "1"], env=env, check=True)

    def resume() -> None:
        subprocess.run(["pactl", "suspend-sink", "spk", "0"], env=env, check=True)
    return resume


def drop(env: dict[str, str]) -> Callable[[], None]:
    """The sound server drops the program's stream, as it does a client it has lost: the stream
    stops for good, and speech comes back only on one opened anew."""
    inputs = subprocess.run(["pactl", "list", "short", "sink-inputs"], env=env, capture_output=True, text=True,
                            check=True).stdout.split()
    subprocess.run(["pacmd", "kill-sink-input", inputs[0]], env=env, check=True)
    return lambda: None


@pytest.mark.parametrize("lose", [suspend, drop])
def test_a_speaker_that_stops_mid_sentence_and_comes_back_is_said_once_then_speaks_again(
        lose: Callable[[dict[str, str]], Callable[[], None]]) -> None:
    needs_espeak()
    if not pa.available():
        pytest.skip("PulseAudio is not installed")
    with pa.pulse_server() as env:
        recorder = pa.Monitor(env)
        argv = [*CRAMPVOICE, "run", str(SHORT), "--keyboard", "--no-diary", "--events", "-"]
        with subprocess.Popen(argv, env=env, text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            arrived = event_queue(proc.stdout)
            seen: list[dict[str, object]] = []
            recorder.first_loud_after(time.monotonic(), timeout_s=60)  # mid-sentence: the safety note
            restore = lose(env)
            until(arrived, seen, "stopped working")
            lost_at = len(seen)
            time.sleep(3.0)  # the session carries on in text meanwhile
            restore()
            resumed = time.monotonic()
            until(arrived, seen, "working again")
            back_at = len(seen)
            recorder.first_loud_after(resumed, timeout_s=30)  # heard again
            proc.wait(timeout=300)
            assert proc.stderr is not None
            err = proc.stderr.read()
        recorder.close()
    while seen[-1]["type"] != "end":
        seen.append(arrived.get(timeout=10))
    notices = [str(e["text"]) for e in seen if e["type"] == "notice"]
    assert sum("stopped working" in n for n in notices) == 1, notices
    assert sum("working again" in n for n in notices) == 1, notices
    assert seen[-1]["type"] == "end" and seen[-1]["reason"] == "completed", err
    assert seen[lost_at:back_at], "the session went on in text while the speaker was away"
    assert "Traceback" not in err


def test_a_text_session_takes_about_as_long_as_show_says() -> None:
    """Each line in text takes the time it would take to say, so steps do not fly by."""
    expected_s = total_s(simulate(library.load(SHORT), estimate_speech_s))
    started = time.monotonic()
    done = subprocess.run([*CRAMPVOICE, "run", str(SHORT), "--text", "--keyboard", "--no-diary"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)
    took_s = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert 0.5 * expected_s <= took_s <= 1.5 * expected_s, (took_s, expected_s)
    untimed_s = total_s(simulate(library.load(SHORT)))  # holds and rests only: what text took before
    assert took_s > untimed_s + 0.5 * (expected_s - untimed_s)
