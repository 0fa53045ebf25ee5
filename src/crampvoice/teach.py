"""`crampvoice teach`: a guided session that records the person saying each command.

It asks for each command's main word three times, a few everyday phrases that are not
commands, and a moment of the room's own sound; every take is kept as a WAV file in the
person's voice folder (listen/takes.py), and the recogniser is built from them at the end.
Then it asks for up to two more takes of each word it is unsure of (`PersonalModel.unsure`: a
take the word's other takes would not let through, or one nearer another word): on george's
and lucas's takes that was 0.75 words of seven, and 95.8 % of their other takes heard right
instead of 94.7 %.
A caregiver can run it with the person: keys redo a take (r), skip a word (Enter) or stop
(s, q, Esc) and go on later, since a word that has its takes is not asked for again. The
caller builds the recogniser from the takes afterwards (listen/hearing.py).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from .audio import Audio
from .core import phrases as P
from .core.commands import PHRASES, Command, normalise
from .core.events import Arrival, CommandGiven, Interrupted
from .core.ports import Source, Speaker
from .listen import takes
from .listen.capture import Capture, record_utterance
from .listen.endpoint import FRAME_MS, SAMPLE_RATE_HZ
from .view import TextView

WAIT_S = 6.0  # a take not begun within this long is asked for again
MISSES = 2  # then the word is skipped, to be taught another time
MORE = 2  # takes asked for, at most, beyond a word's own, of a word the recogniser is unsure of
GUARD_S = 0.3  # the end of our own prompt, still in the room
ROOM_S = 3.0  # the room's own sound, recorded once
# Said by the person, and no command: what the recogniser learns to leave alone.
OTHER_PHRASES = ("hello", "thank you", "what time is it", "I am fine", "the weather is nice")
# Taught first: what a person mid-cramp needs most.
ORDER = (Command.STOP, Command.PAUSE, Command.NEXT, Command.RESUME, Command.REPEAT, Command.BACK, Command.HELP,
         Command.EMERGENCY, Command.YES, Command.NO, Command.TIME, Command.SLOWER, Command.FASTER,
         Command.LOUDER, Command.QUIETER, Command.SLEEP, Command.WAKE)


@dataclass(frozen=True, slots=True)
class Word:
    command: Command | None  # None: not a command
    word: str
    takes: int  # how many it should have


def plan(commands: Sequence[Command] = ORDER, others: bool = True) -> list[Word]:
    """What a full teaching asks for: each command's main word, then the other phrases."""
    words = [Word(c, PHRASES[c][0], takes.TAKES_PER_WORD) for c in commands]
    if others:
        words += [Word(None, p, 1) for p in OTHER_PHRASES]
    return words


@dataclass
class Teacher:
    """One teaching session's parts; `teach` runs it."""

    speaker: Speaker
    view: TextView
    capture: Capture
    keys: Source

    def __post_init__(self) -> None:
        self._keys: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._interrupted = False

    def teach(self, words: Sequence[Word], room: bool = True,
              unsure: Callable[[], Collection[tuple[Command, str]]] | None = None) -> bool:
        """Runs the session; False if the person stopped it (what was recorded is kept). `unsure`
        names the (command, word) pairs that want more takes, once every word has been said.

        Ctrl-C in a terminal raises KeyboardInterrupt here, as it does from a pipe."""
        self.keys.start(self._key)
        try:
            have = takes.counts(takes.takes())
            todo = [w for w in words if have.get((w.command, w.word), 0) < w.takes]
            self.say(f"Teaching crampvoice your voice: {P.count(len(todo), 'word')}. Say each one when asked, "
                      "as you would mid-cramp. Keys: r records the last one again, Enter skips a word, "
                      "s stops; what you have said is kept.")
            for word in todo:
                if not self._word(word, have.get((word.command, word.word), 0)):
                    return self._stopped()
            if room and not any(t.word == takes.ROOM for t in takes.takes()):
                self._room()
            if unsure is not None:
                self.say("One moment, while I learn your voice.")
                if not self._more(words, unsure()):
                    return self._stopped()
            return True
        finally:
            self.keys.close()

    def _stopped(self) -> bool:
        """The person stopped (a key, or Ctrl-C, which ends it at once): what was said is kept."""
        if self._interrupted:
            raise KeyboardInterrupt
        self.say("Stopped. What you said is kept; run 'crampvoice teach' to go on.")
        return False

    def _key(self, event: Arrival) -> None:
        if isinstance(event, Interrupted):  # Ctrl-C in a terminal: stop at once
            self._interrupted = True
            self._keys.put(Command.STOP)
        elif isinstance(event, CommandGiven):
            self._keys.put(event.command)

    def _pressed(self) -> Command | None:
        try:
            return self._keys.get_nowait()
        except queue.Empty:
            return None

    def say(self, text: str) -> None:
        """Say it and wait until it has been heard and its echo has died away; then print it, so
        that what the microphone hears after the line appears is the person."""
        self.speaker.say(text)
        done = threading.Event()
        self.speaker.when_idle(done.set)
        done.wait()
        time.sleep(GUARD_S)
        self.capture.drain()
        self.view.said(text)

    def _word(self, word: Word, have: int) -> bool:
        """Records the takes `word` still needs; False when the person stopped."""
        misses, last = 0, None
        while have < word.takes:
            prompt = f"Say: {word.word}." if last is None else "Again."
            self.say(f"{prompt} ({have + 1} of {word.takes})" if word.takes > 1 else prompt)
            audio = record_utterance(self.capture, WAIT_S, cancelled=lambda: not self._keys.empty())
            key = self._pressed()
            if key is Command.STOP:
                return False
            if key is Command.NEXT:
                self.say(f"Skipped {word.word}.")
                return True
            if key is Command.REPEAT:
                if last is not None:
                    last.unlink(missing_ok=True)
                    have, last = have - 1, None
                continue
            if audio is None:
                misses += 1
                if misses >= MISSES:
                    self.say(f"I heard nothing. Skipping {word.word} for now.")
                    return True
                self.say("I did not hear that.")
                continue
            last = takes.add(audio, word.command, word.word)
            have += 1
        return True

    def _more(self, words: Sequence[Word], unsure: Collection[tuple[Command, str]]) -> bool:
        """Up to MORE more takes of each word the recogniser is unsure of; False when the person stopped."""
        doubtful = {(command, normalise(word)) for command, word in unsure}
        have = takes.counts(takes.takes())
        for word in words:
            n = have.get((word.command, word.word), 0)
            if (word.command, normalise(word.word)) not in doubtful or not word.takes <= n < word.takes + MORE:
                continue  # sure of it, or skipped (not asked again now), or asked for more already
            self.say(f"I am not sure of {word.word} yet.")
            if not self._word(Word(word.command, word.word, word.takes + MORE), n):
                return False
        return True

    def _room(self) -> None:
        self.say("Last, stay quiet for three seconds, so I know the sound of the room.")
        pcm = bytearray()
        for _ in range(round(ROOM_S * 1000 / FRAME_MS)):
            frame = self.capture.frame(timeout_s=2.0)
            if frame is None:
                return
            pcm += frame
        takes.add(Audio(bytes(pcm), SAMPLE_RATE_HZ), None, takes.ROOM)
