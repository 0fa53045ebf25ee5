"""TextSpeaker keeps the pace of speech, on the real clock (lower bounds only: never timing-fragile)."""

from __future__ import annotations

import threading
import time

from crampvoice.core.timeline import SENTENCE_GAP_S, estimate_speech_s
from crampvoice.speak.text import TextSpeaker


def idle_after(speaker: TextSpeaker) -> float:
    done = threading.Event()
    started = time.monotonic()
    speaker.when_idle(done.set)
    assert done.wait(10)
    return time.monotonic() - started


def test_a_line_in_text_is_idle_only_after_the_time_it_would_take_to_say() -> None:
    speaker = TextSpeaker()
    speaker.say("Rub the calf.")
    speaker.say("Hold.")
    assert idle_after(speaker) >= estimate_speech_s("Rub the calf.") + SENTENCE_GAP_S + estimate_speech_s("Hold.") - 0.05


LONG = "Straighten your leg and gently pull your toes up toward your shin, and hold it there for a while."


def test_with_nothing_said_or_after_a_stop_it_is_idle_at_once() -> None:
    speaker = TextSpeaker()
    assert idle_after(speaker) < estimate_speech_s(LONG)
    speaker.say(LONG)
    speaker.silence()
    assert idle_after(speaker) < estimate_speech_s(LONG)  # not the 7.6 s it would take to say


def test_only_the_last_idle_callback_is_called() -> None:
    speaker = TextSpeaker()
    speaker.say("Rub the calf.")
    first, second = threading.Event(), threading.Event()
    speaker.when_idle(first.set)
    speaker.when_idle(second.set)
    assert second.wait(10) and not first.is_set()
