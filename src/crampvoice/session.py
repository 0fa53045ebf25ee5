"""The one loop that joins the core to the adapters, and the only place that waits."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass

from .core.events import Adjust, Arrival, Effect, Finish, Log, Notice, Say, Silence, SpeechFinished, TimerFired
from .core.ports import Clock, Ears, Inbox, Source, Speaker
from .core.script import Script
from .core.sequencer import Sequencer
from .eventlog import EventLog
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


@dataclass
class Parts:
    """What a session is wired to: real adapters from the CLI, fakes from tests."""

    clock: Clock
    inbox: Inbox
    speaker: Speaker
    view: TextView
    sources: tuple[Source, ...] = ()
    events: EventLog | None = None
    ears: Ears | None = None  # the listening source among `sources`, told what to listen for


def run(script: Script, parts: Parts) -> str:
    """Run a session to its end; returns why it ended: completed, stopped or interrupted."""
    seq = Sequencer(script)
    clock, inbox = parts.clock, parts.inbox
    for source in parts.sources:
        source.start(inbox.put)
    reason = "interrupted"
    try:
        now = clock.now()
        effects = seq.start(now)
        while True:
            finish = _perform(effects, now, parts)
            if parts.ears is not None:
                parts.ears.expect(seq.listening_for())
            if finish is not None:
                reason = finish.reason
                break
            deadline = seq.deadline
            timeout = None if deadline is None else max(0.0, deadline - clock.now())
            event = inbox.poll(timeout) or TimerFired()
            now = clock.now()
            if isinstance(event, Notice):  # the person is told; the sequencer carries on
                _tell(event.message, now, parts)
                effects = []
            else:
                effects = seq.handle(event, now)
    except KeyboardInterrupt:
        parts.speaker.silence()
        parts.view.line("Session ended.")
        if parts.events is not None:
            parts.events.write("end", clock.now(), reason="interrupted")
    finally:
        for source in parts.sources:
            source.close()
        parts.speaker.close()
    return reason


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
