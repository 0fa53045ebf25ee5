"""`crampvoice standby`: listens all night for a start phrase, runs a session on it, listens again.

One inbox, as a session has: the keys, the ear (the microphone, listening for a start phrase
only; listen/wake.py) and the signals to end put into it, and this loop is the only wait. The
ear is closed while a session runs (the session listens with its own) and opened again after.
What goes wrong is said once in the log and standby goes on: a microphone that is missing or
stops (tried again every `RETRY_S` until it answers), a session that fails. Ctrl-C and SIGTERM
end it at once: inside a session as `run` ends, between sessions at once.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from .core.commands import Command
from .core.errors import CrampvoiceError
from .core.events import Arrival, CommandGiven, DeviceBack, DeviceFailed, Interrupted, Unheard
from .core.ports import Clock, Inbox, Sink, Source
from .view import TextView

RETRY_S = 2.0  # a microphone that is missing or stopped is tried again this often
EXIT_INTERRUPTED = 130
STARTING_KEYS = frozenset({Command.NEXT, Command.SWITCH, Command.START})  # Enter, the one switch, a typed phrase


@dataclass(frozen=True, slots=True)
class Wake:
    """What started a session: the phrase (or key), how sure the ear was, and by what."""

    phrase: str
    score: float
    by: str  # "voice", "key" or "typed"


@dataclass
class StandbyParts:
    """What standby is wired to: real adapters from cli/standby.py, fakes from tests."""

    clock: Clock
    inbox: Inbox
    view: TextView
    open_ear: Callable[[], Source]  # the microphone listening for a start phrase; CrampvoiceError if none
    session: Callable[[Wake], int]  # one session to its end: its exit status (0, or 128 + a signal)
    acknowledge: Callable[[], None] = lambda: None  # the soft tone
    keys: Source | None = None
    events: Sink | None = None
    signals: list[int] = field(default_factory=list)  # filled by session.signals_end_session


class Standby:
    def __init__(self, parts: StandbyParts) -> None:
        self.parts = parts
        self._ear: Source | None = None
        self._ear_failed = False
        self._ear_off_said = False
        self._next_try_at = 0.0

    def run(self) -> int:
        """Until Ctrl-C or a signal; returns the exit status (130, or 128 + the signal)."""
        parts = self.parts
        if parts.keys is not None:
            parts.keys.start(parts.inbox.put)
        try:
            return self._loop()
        except KeyboardInterrupt:  # Ctrl-C when standard input is no terminal
            return self._ended()
        finally:
            self._close_ear()
            if parts.keys is not None:
                parts.keys.close()

    def _loop(self) -> int:
        parts = self.parts
        self._arm()
        while True:
            if self._ear is None:
                self._try_ear()
            wait = None if self._ear is not None else max(0.0, self._next_try_at - parts.clock.now())
            event = parts.inbox.poll(wait)
            if event is None:
                continue
            if isinstance(event, Interrupted):
                return self._ended()
            wake = self._wake_for(event)
            if wake is None:
                continue
            code = self._session(wake)
            if code != 0:  # the session was ended by Ctrl-C or a signal: so is standby
                self._write("standby_end", reason="interrupted")
                return 128 + parts.signals[0] if parts.signals else code  # one that came just before it
            if self._drain():
                return self._ended()
            self._arm()

    def _wake_for(self, event: Arrival) -> Wake | None:
        """A start, from the ear or the keys; everything else is noted or passed over."""
        match event:
            case CommandGiven(command=Command.START, by_voice=True, heard=phrase):
                return Wake(phrase, self._score(), "voice")
            case CommandGiven(command=command, by_voice=False, heard=heard, typed=typed) if command in STARTING_KEYS:
                return Wake(heard, 1.0, "typed" if typed else "key")
            case Unheard(guess=guess, score=score) if guess:  # a near miss: for whoever reads the events
                self._write("unheard", guess=guess, score=round(score, 3))
            case DeviceFailed(message=message) if self._ear_failed:
                self._close_ear()
                if not self._ear_off_said:
                    self._say(f"{message} Standby tries it again every {RETRY_S:g} s; the keys start a session.")
                    self._ear_off_said = True
            case DeviceFailed(message=message) | DeviceBack(message=message):
                self._say(message)
        return None

    def _score(self) -> float:
        taken = getattr(getattr(self._ear, "recognizer", None), "taken", None)
        return round(float(getattr(taken, "confidence", 0.0)), 3)

    def _session(self, wake: Wake) -> int:
        """The tone, then the session; a session that fails is said once and standby goes on.

        The tone comes first, before the microphone is closed (which waits on its reader)."""
        self._write("wake", phrase=wake.phrase, score=wake.score, by=wake.by)
        with suppress(Exception):  # no sound out: the session says so itself
            self.parts.acknowledge()
        self._close_ear()
        if self._drain():
            return self._ended()
        try:
            return self.parts.session(wake)
        except CrampvoiceError as e:
            self._say(f"The session could not run: {e.message}" + (f"; {e.hint}" if e.hint else "") +
                      ". Standing by again.")
        except Exception as e:  # our bug: its traceback for the log, and standby goes on
            traceback.print_exc()
            self._say(f"The session failed ({type(e).__name__}: {e}). Standing by again.")
        return 0

    def _drain(self) -> bool:
        """Forget what arrived meanwhile (keys pressed during the tone, the session's leftovers);
        True if it included a signal to end."""
        ended = False
        while (event := self.parts.inbox.poll(0)) is not None:
            ended = ended or isinstance(event, Interrupted)
        return ended

    def _arm(self) -> None:
        """Listening begins (again): `standby`, once the microphone listens, or it is known not to."""
        self._try_ear()
        self._write("standby", microphone=self._ear is not None)

    def _try_ear(self) -> None:
        now = self.parts.clock.now()
        if now < self._next_try_at:
            return
        self._next_try_at = now + RETRY_S
        try:
            ear = self.parts.open_ear()
        except CrampvoiceError as e:
            if not self._ear_off_said:
                self._say(f"Not listening for the start phrase: {e.message}. Standby tries again every "
                          f"{RETRY_S:g} s; the keys start a session.")
                self._ear_off_said = True
            return
        self._ear_failed = False
        ear.start(self._from_ear)
        self._ear = ear
        if self._ear_off_said:
            self._say("The microphone works again: listening for the start phrase.")
            self._write("standby", microphone=True)
            self._ear_off_said = False

    def _from_ear(self, event: Arrival) -> None:
        if isinstance(event, DeviceFailed):
            self._ear_failed = True
        self.parts.inbox.put(event)

    def _close_ear(self) -> None:
        if self._ear is not None:
            self._ear.close()
            self._ear = None
        self._next_try_at = 0.0

    def _ended(self) -> int:
        self._write("standby_end", reason="interrupted")
        with suppress(OSError, ValueError):  # the terminal hung up
            self.parts.view.line("Standby ended.")
        return 128 + self.parts.signals[0] if self.parts.signals else EXIT_INTERRUPTED

    def _say(self, message: str) -> None:
        with suppress(OSError, ValueError):
            self.parts.view.line(message)
        self._write("notice", text=message)

    def _write(self, type_: str, **fields: object) -> None:
        if self.parts.events is not None:
            self.parts.events.write(type_, self.parts.clock.now(), **fields)
