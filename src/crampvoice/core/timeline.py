"""A whole session run with nobody answering, as data: what `show` and `render` print.

Core module. It drives the real sequencer with a made-up clock, so the timeline
can never disagree with what a session does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .events import Effect, Log, Recall, Recalled, Say, SpeechFinished, TimerFired
from .script import Script
from .sequencer import Sequencer

WORDS_PER_S = 2.5  # an easy speaking pace, for estimates when nothing is synthesised
SENTENCE_GAP_S = 0.35  # the pause a speaker leaves between one sentence and the next


def estimate_speech_s(text: str) -> float:
    return len(text.split()) / WORDS_PER_S


@dataclass(frozen=True, slots=True)
class Moment:
    at_s: float  # from the start of the session
    effect: Say | Log


def simulate(script: Script, speech_s: Callable[[str], float] | None = None,
             limit: int = 100_000) -> list[Moment]:
    """Every Say and Log of an unattended session, stamped with when it happens.

    `speech_s` says how long a text takes to say; without it speech takes no time and
    leaves no gaps (the timed parts only). Speech during a hold (cues) does not move it.
    """
    seq = Sequencer(script)
    gap_s = 0.0 if speech_s is None else SENTENCE_GAP_S
    length_s = speech_s or (lambda _: 0.0)
    now, busy_until = 0.0, -gap_s
    moments: list[Moment] = []

    def take(effects: list[Effect]) -> bool:
        nonlocal busy_until
        said = False
        for effect in effects:
            if isinstance(effect, Say):  # queued behind anything still being said
                starts = max(busy_until + gap_s, now)
                moments.append(Moment(starts, effect))
                busy_until = starts + length_s(effect.text)
                said = True
            elif isinstance(effect, Log):
                moments.append(Moment(effect.at, effect))
            elif isinstance(effect, Recall):  # no diary here: what it knew at the start stands
                said = take(seq.handle(Recalled(None), now)) or said
        return said

    said = take(seq.start(now))
    for _ in range(limit):
        if seq.finished:
            return moments
        deadline = seq.deadline
        if said and (deadline is None or busy_until <= deadline):
            now = max(now, busy_until)
            said = take(seq.handle(SpeechFinished(), now))
        elif deadline is not None:
            now = max(now, deadline)
            said = take(seq.handle(TimerFired(), now)) or said
        else:
            break
    raise RuntimeError(f"the session did not end by itself ({script.title!r})")


def total_s(moments: list[Moment]) -> float:
    return max((m.at_s for m in moments), default=0.0)
