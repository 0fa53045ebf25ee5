"""Standby's ear: whatever recogniser hears the person (`hearing.recognizer_for`), asked for the
start phrases only and held to the stricter rule of `core/wake.py`.

It is a `Recognizer` itself, so the microphone's one streaming path (mic.py, stream.py) runs it
as it runs a session's: the voice-activity detector frames every 20 ms, and the recogniser is
fed only once an utterance has begun, so silence costs next to nothing. Any recogniser behind
the Protocol will do, the general one out of the box (pocketsphinx checked by the verifier, or
what replaces it) or the person's own model once they have taught a start phrase ("any phrase,
from three to five takes").

A taught phrase the model proposes is confirmed by the phrase gate (phrasegate.py), or, where
the gate turns it away, by Moonshine writing it down (`TranscriptCheck`): the gate holds the
hard negatives back but turns away much of the phrase in noise; Moonshine, a general recogniser
that knows nothing of the person, names few of those negatives' words as the phrase. Where
Moonshine is not installed (or not loaded yet), the gate decides alone. The gate also weighs a
phrase against its takes in the room's own noise: what was heard before the phrase began (`room`).
In noise, a phrase said at once often comes as two utterances (one a word): where the second
began within its lead-in of the first's end, the two are heard again as one (`candidates`).
`bench standby`: caught at 20 / 10 / 5 dB in noise that goes on, 54 / 36 / 22 % of phrases each
utterance alone, 73 / 63 / 53 % with the two heard as one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..core.commands import Command, Vocabulary, normalise
from ..core.transcript import FILLERS, command_in, words_of
from ..core.wake import START_CONFIDENCE, near_miss, takes_start
from .endpoint import FRAME_BYTES, FRAME_MS, Timing
from .personal import Samples, spoken_span
from .recognizer import Heard, Recognizer
from .sphinx import sounds_later

if TYPE_CHECKING:
    from .moonshine import MoonshineModel
    from .phrasegate import PhraseGate


ROOM_FRAMES = 1500 // FRAME_MS  # the room's sound kept for the phrase gate: the last 1.5 s between utterances
FRAME_SAMPLES = FRAME_BYTES // 2
LEAD_IN_FRAMES = Timing().preroll_ms // FRAME_MS  # the room's last frames became the utterance's lead-in
JOINED_FRAMES = (Timing().longest_ms + Timing().preroll_ms) // FRAME_MS  # two utterances heard as one: at most this


class RoomSound:
    """The last seconds heard, whatever they were: the room's noise, for the phrase gate, and the
    utterances themselves. Noise that goes on is often voice to webrtcvad, and cut into utterances
    of its own: every frame is kept."""

    def __init__(self) -> None:
        self._frames: deque[bytes] = deque(maxlen=max(ROOM_FRAMES + LEAD_IN_FRAMES, JOINED_FRAMES))
        self._before: tuple[bytes, ...] = ()
        self.heard = 0  # frames heard in all

    def hear(self, frame: bytes) -> None:
        self._frames.append(frame)
        self.heard += 1

    def last(self, frames: int) -> Samples:
        """The last `frames` frames heard (as many as are kept)."""
        return np.frombuffer(b"".join(list(self._frames)[-frames:]), dtype="<i2")

    def utterance_begins(self) -> None:
        """Up to 1.5 s heard before it, its lead-in left out, kept aside (the frames, not copied)."""
        self._before = tuple(self._frames)[-(ROOM_FRAMES + LEAD_IN_FRAMES):-LEAD_IN_FRAMES]

    @property
    def before_utterance(self) -> tuple[bytes, ...]:
        """The room's sound kept when the utterance under way began, as frames: joined only when
        a check asks for it (`Candidate.room`)."""
        return self._before


class WakeRecognizer:
    """A `Recognizer` that names `Command.START` or nothing; `taken` is the last start's answer."""

    def __init__(self, inner: Recognizer, vocabulary: Vocabulary, floor: float = START_CONFIDENCE,
                 gate: PhraseGate | None = None, check: TranscriptCheck | None = None) -> None:
        """`gate`: the second check on a phrase the person taught (phrasegate.py), if they taught one;
        `check`: another chance for what the gate turns away, Moonshine's transcript (when it has
        loaded; without a gate it is not asked)."""
        self.inner = inner
        self.gate = gate
        self.check = check
        self.confirmed_by = ""  # the last start's second check: "gate", "transcript" or "" (none asked)
        self._utterance = bytearray()
        self.room_sound = RoomSound()
        self._previous: _Utterance | None = None  # the utterance before, for a phrase split in two
        self.follows_room = inner.follows_room
        self.phrases = vocabulary.phrases[Command.START]
        self.floor = floor
        self.taken: Heard | None = None
        inner.expect({Command.START})

    def expect(self, commands: Iterable[Command]) -> None:
        """Standby listens for a start and nothing else, whatever it is told."""

    def forget(self) -> None:
        """Forget the last start and the utterance before (after a warm-up, say)."""
        self.taken, self._previous = None, None

    def begin(self) -> None:
        self.inner.begin()
        self._utterance.clear()
        if self.gate is not None:
            self.room_sound.utterance_begins()

    def feed(self, pcm: bytes) -> None:
        self.inner.feed(pcm)
        if self.gate is not None:
            self._utterance += pcm

    def room(self, frame: bytes) -> None:
        """Every frame heard (`HearsTheRoom`): the noise the phrase gate hears the takes in."""
        if self.gate is not None:
            self.room_sound.hear(frame)

    def end(self) -> Heard:
        """A start, or no command with the phrase guessed only when it was a start phrase (a near miss)."""
        heard = None
        for candidate in self.candidates():
            heard = heard or candidate.heard
            if takes_start(candidate.heard.command is Command.START, candidate.heard.text, candidate.heard.confidence,
                           self.phrases, self.floor) and self._gate_passes(candidate):
                self.taken, self._previous = candidate.heard, None
                return Heard(Command.START, candidate.heard.text, candidate.heard.confidence)
        assert heard is not None
        if near_miss(heard.text, heard.confidence, self.phrases):
            return Heard(None, heard.text, heard.confidence)
        return Heard(None, "", 0.0)

    def candidates(self) -> Iterator[Candidate]:
        """What the utterance that just ended may be: itself as the inner recogniser heard it; then,
        where its lead-in reached back to the end of the one before (a pause of half a second at
        most), the two heard again as one, from the first's beginning to the second's end, the pause
        between them as it was heard. In a room's noise, the quiet between a phrase's words, with
        the faint ends of its words, is often long enough to end an utterance (endpoint.py): the
        phrase comes as two utterances, neither of them the phrase. Joined as heard, the pause kept,
        caught more than each part cut to its voice and then joined (bench standby's phrases at 10
        dB: 48 % through the gate instead of 38 %). Only where a second check will weigh the whole
        phrase (a taught phrase and its gate): it costs another decoding of such an utterance."""
        heard = self.inner.end()
        if self.gate is None:
            yield Candidate(heard, np.zeros(0, np.int16), ())
            return
        samples = np.frombuffer(bytes(self._utterance), dtype="<i2")
        ends = self.room_sound.heard
        current = _Utterance(ends - len(samples) // FRAME_SAMPLES, ends, self.room_sound.before_utterance)
        previous, self._previous = self._previous, current
        yield Candidate(heard, samples, current.room)
        if previous is None or current.begins > previous.ends or current.ends - previous.begins > JOINED_FRAMES:
            return
        joined = self.room_sound.last(ends - previous.begins)
        self.inner.begin()
        self.inner.feed(joined.tobytes())
        yield Candidate(self.inner.end(), joined, previous.room)

    def _gate_passes(self, candidate: Candidate) -> bool:
        """The phrase gate, or else Moonshine's transcript, confirms a start the model proposed."""
        self.confirmed_by = ""
        if self.gate is None:
            return True
        phrase, samples = candidate.heard.text, candidate.samples
        passed, _ = self.gate.passes(phrase, samples, candidate.room)
        if passed:
            self.confirmed_by = "gate"
            return True
        if self.check is not None and self.check.ready and self.check.passes(phrase, samples):
            self.confirmed_by = "transcript"
            return True
        return False


@dataclass(frozen=True, slots=True)
class Candidate:
    """An utterance that may be a start: as the inner recogniser heard it, its samples (none where no
    second check needs them) and the room's sound before it, as frames."""
    heard: Heard
    samples: Samples
    room_frames: tuple[bytes, ...]

    @property
    def room(self) -> Samples:
        """The room's sound before it, for the phrase gate (asked only of a proposed start)."""
        return np.frombuffer(b"".join(self.room_frames), dtype="<i2")


@dataclass(frozen=True, slots=True)
class _Utterance:
    begins: int  # the frames heard before it (`RoomSound.heard`)
    ends: int
    room: tuple[bytes, ...]


class TranscriptCheck:
    """A second, independent check on a proposed start: a general recogniser (Moonshine) writes the
    whole utterance down, and the transcript must name the very phrase proposed (`names`).

    Moonshine is asked about proposals only (a few an hour in talk), and only when the phrase gate
    turned one away (`WakeRecognizer`): the gate's threshold is learnt from clean takes, and noise
    takes a phrase farther from them than from the hard negatives; Moonshine's transcript does not
    move so. It costs p50 about 180 ms a phrase on a shared core (bench/standby.py).
    """

    def __init__(self, phrases: Iterable[str], model: MoonshineModel) -> None:
        self.model = model
        self._vocabulary = Vocabulary({Command.START: tuple(phrases)})
        self._sounds_like = sounds_later(self._vocabulary)  # "for seven" is "four seven"
        self.last_transcript = ""  # for benchmarks and tests: what it wrote down
        self.last_s = 0.0  # how long the last check took

    @property
    def ready(self) -> bool:
        """Whether the model has loaded (it loads in the background: until then it is not asked)."""
        return self.model.usable

    def passes(self, phrase: str, samples: Samples) -> bool:
        started = time.perf_counter()
        said = self.model.transcribe(samples)
        if not words_of(said):  # nothing made out: once more, the voice alone, as MoonshineRecognizer does
            said = self.model.transcribe(spoken_span(samples))
        self.last_transcript, self.last_s = said, time.perf_counter() - started
        return names(said, phrase, self._vocabulary, self._sounds_like.result())


def names(transcript: str, phrase: str, vocabulary: Vocabulary, sounds: Mapping[str, str] | None = None) -> bool:
    """Whether the whole transcript names `phrase` as a start phrase: all of it names the phrase
    (core/transcript.py: figures read as numbers and digit by digit, words that sound alike,
    fillers and the phrase said over again allowed), or it is the phrase and then only the
    phrase's own words again ("four, seven, seven, seven": Moonshine runs on in a loop over a
    short utterance). Its words alone, in another order, or beside any other word, are not it."""
    command, heard = command_in(transcript, vocabulary, sounds)
    if command is Command.START and heard == normalise(phrase):
        return True
    wanted = normalise(phrase).split()
    for by_digit in (False, True):
        words = [(sounds or {}).get(w, w) for w in words_of(transcript, by_digit)]
        words = [w for w in words if w not in FILLERS or w in wanted]
        if words[:len(wanted)] == wanted and set(words[len(wanted):]) <= set(wanted):
            return True
    return False
