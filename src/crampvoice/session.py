"""The one loop that joins the core to the adapters, and the only place that waits."""

from __future__ import annotations

import queue
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import FrameType

from .core.events import (
    Adjust,
    Arrival,
    Effect,
    Finish,
    Interrupted,
    Log,
    Notice,
    Recall,
    Recalled,
    Say,
    Silence,
    SpeechFinished,
    TimerFired,
    Unheard,
)
from .core.manner import DEFAULT, Manner
from .core.ports import Clock, Ears, Inbox, Sink, Source, Speaker
from .core.safety import History
from .core.script import Script
from .core.sequencer import Sequencer
from .view import TextView


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class QueueInbox:
    """A thread-safe inbox; `poll` wakes on the first input or at the timeout."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Arrival] = queue.SimpleQueue()

    def put(self, event: Arrival) -> None:
        self._queue.put(event)

    def poll(self, timeout_s: float | None) -> Arrival | None:
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None


ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def signals_end_session(inbox: Inbox) -> Iterator[list[int]]:
    """While inside, SIGTERM and SIGHUP end the session as Ctrl-C does; yields the signals received.

    The handler only puts `Interrupted` into the inbox (a SimpleQueue may be put to from a
    signal handler), so the session ends through its one loop: terminal restored, `end`
    written, temporary files removed.
    """
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        inbox.put(Interrupted())

    previous = {signum: signal.signal(signum, handler) for signum in ENDING_SIGNALS}
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@dataclass
class Parts:
    """What a session is wired to: real adapters from the CLI, fakes from tests."""

    clock: Clock
    inbox: Inbox
    speaker: Speaker
    view: TextView
    sources: tuple[Source, ...] = ()
    events: Sink | None = None  # the --events log, the diary, or both (eventlog.Tee)
    ears: Ears | None = None  # the listening source among `sources`, told what to listen for
    recall: Callable[[], History | None] | None = None  # the diary read again, for the advice at the end


def run(script: Script, parts: Parts, history: History | None = None, *, only: int | None = None,
        manner: Manner = DEFAULT, closing: tuple[str, ...] = ()) -> str:
    """Run a session to its end; returns why it ended: completed, stopped or interrupted.

    `history` is what the diary knows of earlier episodes, for the safety rules (core/safety.py);
    `only`: the index of the one step tried (`try`), with no opening notes or closing lines;
    `manner`: how the person is talked to (their profile); `closing`: said after the last line.

    Ctrl-C from a pipe arrives as KeyboardInterrupt; Ctrl-C in a terminal and the signals
    to end (SIGTERM, SIGHUP) arrive as `Interrupted` in the inbox, which wakes the wait at once.
    """
    seq = Sequencer(script, history, only=only, manner=manner, closing=closing)
    for source in parts.sources:
        source.start(parts.inbox.put)
    try:
        try:
            reason = _loop(seq, parts)
        except KeyboardInterrupt:
            reason = "interrupted"
        if reason == "interrupted":
            _interrupted(parts)
    finally:
        for source in parts.sources:
            source.close()
        parts.speaker.close()
    return reason


def _loop(seq: Sequencer, parts: Parts) -> str:
    clock, inbox = parts.clock, parts.inbox
    now = clock.now()
    effects = _recalled(seq, seq.start(now), now, parts)
    while True:
        finish = _perform(effects, now, parts)
        if parts.ears is not None:
            parts.ears.expect(seq.listening_for())
        if finish is not None:
            return finish.reason
        deadline = seq.deadline
        timeout = None if deadline is None else max(0.0, deadline - clock.now())
        event = inbox.poll(timeout) or TimerFired()
        now = clock.now()
        if isinstance(event, Interrupted):
            return "interrupted"
        if isinstance(event, Notice):  # the person is told; the sequencer carries on
            _tell(event.message, now, parts)
            effects = []
        elif isinstance(event, Unheard):  # for whoever reads the events: not said, not printed
            if parts.events is not None:
                kept = {"clip": event.clip} if event.clip else {}
                parts.events.write("unheard", now, guess=event.guess, score=round(event.score, 3), **kept)
            effects = []
        else:
            effects = _recalled(seq, seq.handle(event, now), now, parts)


def _recalled(seq: Sequencer, effects: list[Effect], now: float, parts: Parts) -> list[Effect]:
    """A `Recall` answered at once, before anything else can arrive: the diary read again."""
    if not any(isinstance(e, Recall) for e in effects):
        return effects
    history = parts.recall() if parts.recall is not None else None
    rest = [e for e in effects if not isinstance(e, Recall)]
    return rest + _recalled(seq, seq.handle(Recalled(history), now), now, parts)


def _interrupted(parts: Parts) -> None:
    """Silence, a last line where the terminal is still there, and the `end` event."""
    parts.speaker.silence()
    with suppress(OSError, ValueError):  # the terminal hung up (SIGHUP) or the stream was closed
        parts.view.line("Session ended.")
    if parts.events is not None:
        parts.events.write("end", parts.clock.now(), reason="interrupted")


def _tell(message: str, now: float, parts: Parts) -> None:
    parts.view.line(message)
    if parts.events is not None:
        parts.events.write("notice", now, text=message)


def _perform(effects: list[Effect], now: float, parts: Parts) -> Finish | None:
    speaker, view, events = parts.speaker, parts.view, parts.events
    spoke = False
    for effect in effects:
        match effect:
            case Say(text, cue):
                view.said(text)
                if events is not None:
                    events.write("say", now, text=text, cue=cue)
                speaker.say(text, cue)
                spoke = True
            case Silence():
                speaker.silence()
            case Adjust(setting, level):
                speaker.adjust(setting, level)
            case Log():
                view.logged(effect)
                if events is not None:
                    events.write(effect.type, effect.at, **effect.fields)
            case Finish():
                return effect
    if spoke:
        speaker.when_idle(lambda: parts.inbox.put(SpeechFinished()))
    return None
