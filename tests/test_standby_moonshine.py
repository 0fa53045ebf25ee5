"""Standby's second chance for a taught start phrase: what the phrase gate turns away, Moonshine's
transcript may confirm. First the rule a transcript is held to and the order of the checks
(fakes, fast); then the real model on a real person (george of the Free Spoken Digit Dataset,
tests/data/personal/README.md): his taught "four seven" in noise, which the gate alone turns
away, is taken, and "four" followed by another of his words, which his model proposes, is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from crampvoice.audio import Audio, read_wav, to_mono_16k
from crampvoice.core.commands import Command, Vocabulary
from crampvoice.core.wake import muscle_phrases
from crampvoice.listen.moonshine import MoonshineModel
from crampvoice.listen.personal import Samples, spoken_span
from crampvoice.listen.phrasegate import PAUSE_KEPT_MS, pauses_shortened
from crampvoice.listen.recognizer import Heard
from crampvoice.listen.wake import TranscriptCheck, WakeRecognizer, names

from .fixed import Fixed

GEORGE = Path(__file__).parent / "data" / "personal"
CHANGING_NOISE = Path(__file__).parent / "data" / "human" / "mycroft_precise__bg_noise2_excerpt.wav"
START = Vocabulary({Command.START: ("four seven", "calf cramp")})


@pytest.mark.parametrize(("transcript", "taken"), [
    ("Four seven.", True), ("Four, seven.", True), ("47", True), ("4 7", True), ("4-7.", True),
    ("Uh, four seven.", True), ("four seven four seven", True),
    ("Four, seven, seven, seven.", True), ("4744747474", True),  # Moonshine running on over a short utterance
    ("Four three.", False), ("Four.", False), ("Seven, four.", False), ("Nine seven.", False),
    ("Four and seven.", False), ("Four seven three.", False), ("", False), ("Calf cramp.", False),
])
def test_a_transcript_confirms_only_the_phrase_proposed_whole(transcript: str, taken: bool) -> None:
    assert names(transcript, "four seven", START) is taken


def test_figures_are_read_as_numbers_too_and_words_that_sound_alike_as_the_phrase() -> None:
    assert names("16", "sixteen", Vocabulary({Command.START: ("sixteen",)}))
    assert names("For seven, seven.", "four seven", START, {"for": "four"})
    assert not names("For seven.", "four seven", START)


class FakeGate:
    def __init__(self, passes: bool) -> None:
        self.answer, self.asked = passes, 0
        self.room: Samples | None = None
        self.samples: Samples | None = None

    def passes(self, phrase: str, samples: Samples, room: Samples | None = None) -> tuple[bool, float]:
        self.asked, self.room, self.samples = self.asked + 1, room, samples
        return self.answer, 0.5 if self.answer else 2.0


class FakeCheck:
    def __init__(self, passes: bool, ready: bool = True) -> None:
        self.answer, self.ready, self.asked = passes, ready, 0

    def passes(self, phrase: str, samples: Samples) -> bool:
        self.asked += 1
        return self.answer


def ear(gate: FakeGate, check: FakeCheck | None) -> Heard:
    wake = WakeRecognizer(Fixed(Heard(Command.START, "four seven", 0.95)), START, gate=gate, check=check)  # type: ignore[arg-type]
    wake.begin()
    wake.feed(b"\x01\x00" * 320)
    return wake.end()


def test_the_gate_decides_first_and_moonshine_is_asked_only_about_what_it_turned_away() -> None:
    check = FakeCheck(passes=False)
    assert ear(FakeGate(True), check).command is Command.START and check.asked == 0  # no wait for Moonshine
    assert ear(FakeGate(False), FakeCheck(passes=True)).command is Command.START
    assert ear(FakeGate(False), check).command is None and check.asked == 1
    unloaded = FakeCheck(passes=True, ready=False)  # still loading: the gate alone
    assert ear(FakeGate(False), unloaded).command is None and unloaded.asked == 0
    assert ear(FakeGate(False), None).command is None  # not installed


def test_the_gate_hears_the_room_before_the_phrase_without_the_phrase_or_its_lead_in() -> None:
    from crampvoice.listen.endpoint import FRAME_BYTES, Endpointer, Voice
    from crampvoice.listen.stream import Listener

    gate = FakeGate(True)
    wake = WakeRecognizer(Fixed(Heard(Command.START, "four seven", 0.95)), START, gate=gate)  # type: ignore[arg-type]
    listener = Listener(wake, Endpointer(lambda frame: Voice.SPEECH if frame[:2] == b"xx" else Voice.NONE))
    room = [i.to_bytes(2, "little") * (FRAME_BYTES // 2) for i in range(100)]  # 2 s, each frame its own
    decisions = [d for f in [*room, *[b"xx" * (FRAME_BYTES // 2)] * 10, *[b"\0\0" * (FRAME_BYTES // 2)] * 13]
                 if (d := listener.push(f)) is not None]
    assert [d.heard.command for d in decisions] == [Command.START]
    # 1.5 s of it, up to where the lead-in began (300 ms, the 15 frames to the word's third voiced one)
    assert gate.room is not None and gate.room.tobytes() == b"".join(room[13:88])


class BothWords(Fixed):
    """Proposes "four seven" only for an utterance that holds both its words: frames of b"44", then b"77"."""

    def begin(self) -> None:
        self.fed = bytearray()

    def feed(self, pcm: bytes) -> None:
        self.fed += pcm

    def end(self) -> Heard:
        self.ended += 1
        four, seven = self.fed.find(b"44" * 160), self.fed.find(b"77" * 160)
        return Heard(Command.START, "four seven", 0.95) if 0 <= four < seven else Heard(None, "four seven", 0.5)


def heard_with_a_pause(quiet_frames: int) -> tuple[list[Heard], FakeGate, BothWords]:
    """The room, "four", `quiet_frames` of quiet, "seven", through the real streaming path."""
    from crampvoice.listen.endpoint import FRAME_BYTES, Endpointer, Voice
    from crampvoice.listen.stream import Listener

    gate, inner = FakeGate(True), BothWords(Heard(None, "", 0.0))
    wake = WakeRecognizer(inner, START, gate=gate)  # type: ignore[arg-type]
    listener = Listener(wake, Endpointer(lambda frame: Voice.SPEECH if frame[:2] in (b"44", b"77") else Voice.NONE))
    frame = FRAME_BYTES // 2
    room = [i.to_bytes(2, "little") * frame for i in range(100)]
    quiet = [b"\0\0" * frame] * quiet_frames
    said = [*room, *[b"44" * frame] * 10, *quiet, *[b"77" * frame] * 10, *[b"\0\0" * frame] * 13]
    return [d.heard for f in said if (d := listener.push(f)) is not None], gate, inner


def test_a_phrase_cut_in_two_by_a_pause_is_heard_whole_with_the_room_before_its_first_word() -> None:
    heard, gate, inner = heard_with_a_pause(13)  # 260 ms: "four" ends as an utterance of its own (250 ms)
    assert [h.command for h in heard] == [None, Command.START]
    assert inner.ended == 3  # "four", "seven", then the two as one
    assert gate.samples is not None and gate.samples.tobytes().count(b"44" * 320) == 10  # all of "four" is in it ...
    assert gate.room is not None and len(gate.room) == 75 * 320  # ... and the room is what came before "four"
    heard, gate, inner = heard_with_a_pause(40)  # 800 ms: two utterances, each alone
    assert [h.command for h in heard] == [None, None] and inner.ended == 2 and gate.asked == 0
    heard, gate, inner = heard_with_a_pause(5)  # 100 ms: one utterance
    assert [h.command for h in heard] == [Command.START] and inner.ended == 1


# -- the real model, a real person ----------------------------------------------------


def clip(name: str) -> Samples:
    return np.frombuffer(to_mono_16k(read_wav(GEORGE / f"{name}.wav")).pcm, dtype="<i2")


def said(*names: str) -> Audio:
    """His words one after the other, each cut to its voice, as one phrase."""
    return Audio(b"".join(spoken_span(clip(n)).tobytes() for n in names), 16000)


def in_white_noise(audio: Audio, snr_db: float) -> Audio:
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    noise = np.random.default_rng(0).standard_normal(len(x))
    noise *= np.sqrt(np.mean(x**2) / np.mean(noise**2)) / 10 ** (snr_db / 20)
    return Audio(np.clip(x + noise, -32768, 32767).astype("<i2").tobytes(), 16000)


@pytest.fixture(scope="module")
def ears(model: MoonshineModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, WakeRecognizer]]:
    """His "four seven" taught for start from three takes, as `words add` teaches it; standby's ear
    with the phrase gate alone, with Moonshine beside it, and with no second check (the proposals)."""
    from crampvoice.listen import takes
    from crampvoice.listen.embedding import Embedder
    from crampvoice.listen.hearing import Combined, build_from_takes, personal_recognizer
    from crampvoice.listen.phrasegate import start_gate

    folder = tmp_path_factory.mktemp("voice")
    for i in range(3):
        take = takes.spoken_part(said(f"4_george_{i}", f"7_george_{i}"))
        assert take is not None
        takes.add(take, Command.START, "four seven", folder)
    embedder = Embedder()
    built = build_from_takes(folder, embedder)
    assert built.model is not None
    vocabulary = Vocabulary({Command.START: (*muscle_phrases(), "four seven")})
    personal = personal_recognizer(built.model, embedder)
    gate = start_gate(built.model, folder, embedder)  # as standby has it: the takes' sound read from the folder
    assert gate is not None
    check = TranscriptCheck(vocabulary.phrases[Command.START], model)
    yield {"gate": WakeRecognizer(Combined.for_person(personal, vocabulary), vocabulary, gate=gate),
           "gate or moonshine": WakeRecognizer(Combined.for_person(personal, vocabulary), vocabulary, gate=gate,
                                               check=check),
           "proposed": WakeRecognizer(Combined.for_person(personal, vocabulary), vocabulary)}


def started(audio: Audio, ear: WakeRecognizer) -> bool:
    from crampvoice.listen.stream import recognize

    decision = recognize(audio, ear)
    return decision is not None and decision.heard.command is Command.START


@pytest.mark.slow
def test_a_taught_phrase_in_noise_the_gate_turned_away_is_taken_when_moonshine_writes_it_down(
        ears: dict[str, WakeRecognizer]) -> None:
    phrase = in_white_noise(said("4_george_10", "7_george_20"), 20)  # takes he did not teach
    assert started(phrase, ears["proposed"])  # his model proposes it ...
    assert not started(phrase, ears["gate"])  # ... the gate alone turns it away (noise moves it from the takes)
    ear = ears["gate or moonshine"]
    assert ear.check is not None
    assert started(phrase, ear), ear.check.last_transcript
    assert ear.confirmed_by == "transcript"


def white_noise(like: Audio, snr_db: float, seconds: float, seed: int) -> Samples:
    x = np.frombuffer(like.pcm, "<i2").astype(np.float64)
    noise = np.random.default_rng(seed).standard_normal(int(seconds * 16000))
    scaled: Samples = (noise * np.sqrt(np.mean(x**2) / np.mean(noise**2)) / 10 ** (snr_db / 20)).astype(np.int16)
    return scaled


@pytest.mark.slow
def test_a_phrase_in_noise_the_takes_turn_away_passes_the_gate_once_the_rooms_noise_is_heard(
        ears: dict[str, WakeRecognizer]) -> None:
    gate = ears["gate"].gate
    assert gate is not None

    def in_noise(audio: Audio) -> Samples:
        x = np.frombuffer(audio.pcm, "<i2")
        return np.clip(x + white_noise(audio, 10, len(x) / 16000, seed=1), -32768, 32767).astype(np.int16)

    phrase = said("4_george_10", "7_george_10")
    room = white_noise(phrase, 10, 1.5, seed=2)  # noise of the same kind, heard before he spoke
    assert not gate.passes("four seven", in_noise(phrase))[0]  # the takes as learnt turn it away
    assert gate.passes("four seven", in_noise(phrase), room)[0]  # the takes in the room's noise do not
    for other in (said("4_george_11", "3_george_12"), said("9_george_5", "7_george_10"), said("4_george_10")):
        assert not gate.passes("four seven", in_noise(other), room)[0]  # his other words, in the same room
    assert not gate.passes("four seven", in_noise(phrase), room[:4000])[0]  # a quarter second is not the room


def in_a_noisy_room(audio: Audio, snr_db: float, seed: int, before_s: float = 1.5, after_s: float = 0.5) -> Samples:
    """`audio` in white noise that goes on from `before_s` before it to `after_s` after it."""
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    x = np.concatenate([np.zeros(int(before_s * 16000)), x, np.zeros(int(after_s * 16000))])
    return np.clip(x + white_noise(audio, snr_db, len(x) / 16000, seed), -32768, 32767).astype(np.int16)


def in_changing_noise(audio: Audio, snr_db: float) -> tuple[Samples, Samples]:
    """`audio` 2 s into a room's noise that comes and goes (tests/data/human), going on 0.5 s after it:
    the room's first 1.5 s, and from there on, as the endpointer might cut it."""
    noise = np.frombuffer(to_mono_16k(read_wav(CHANGING_NOISE)).pcm, "<i2").astype(np.float64)
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    noise = noise[:32000 + len(x) + 8000] * np.sqrt(np.mean(x**2) / np.mean(noise**2)) / 10 ** (snr_db / 20)
    heard = np.clip(np.concatenate([np.zeros(32000), x, np.zeros(8000)]) + noise, -32768, 32767).astype(np.int16)
    return heard[:24000], heard[24000:]


@pytest.mark.slow
def test_a_phrase_with_the_rooms_noise_on_either_side_is_weighed_where_its_voice_stands_out_of_it(
        ears: dict[str, WakeRecognizer]) -> None:
    gate = ears["gate"].gate
    assert gate is not None
    for snr_db in (20, 10):
        room, utterance = in_changing_noise(said("4_george_10", "7_george_10"), snr_db)
        assert gate.passes("four seven", utterance, room)[0], snr_db
        for other in (said("4_george_11", "3_george_12"), said("9_george_5", "7_george_10"), said("4_george_10")):
            room, utterance = in_changing_noise(other, snr_db)
            assert not gate.passes("four seven", utterance, room)[0]  # his other words, in the same room


@pytest.mark.slow
def test_a_phrase_the_rooms_noise_cuts_in_two_is_heard_whole(ears: dict[str, WakeRecognizer]) -> None:
    from crampvoice.listen.stream import Listener, frames_ending_quiet

    ear = ears["gate"]
    heard = Audio(in_a_noisy_room(said("4_george_10", "7_george_10"), 10, seed=1).tobytes(), 16000)
    listener = Listener(ear)
    decisions = [d for f in frames_ending_quiet(heard) if (d := listener.push(f)) is not None]
    assert [d.heard.command for d in decisions][-2:] == [None, Command.START]  # "four", then "seven" and both
    assert decisions[-1].utterance is not None and not started(decisions[-1].utterance, ears["proposed"])
    for other in (said("4_george_11", "3_george_12"), said("9_george_5", "7_george_10"), said("4_george_10")):
        assert not started(Audio(in_a_noisy_room(other, 10, seed=1).tobytes(), 16000), ear)


def quiet_room(samples: int) -> Samples:
    """A quiet bedroom's noise, about -60 dBFS."""
    return (np.random.default_rng(0).standard_normal(samples) * 30).astype(np.int16)


def test_a_long_pause_between_words_is_shortened_and_a_short_one_or_a_word_alone_left_as_it_is() -> None:
    word = (np.random.default_rng(1).standard_normal(4000) * 3000).astype(np.int16)  # 250 ms, loud
    halting = np.concatenate([word, quiet_room(4800), word])  # 300 ms between
    shortened = pauses_shortened(halting)
    assert len(shortened) == len(halting) - 4800 + PAUSE_KEPT_MS * 16
    assert np.array_equal(shortened[:4000], word) and np.array_equal(shortened[-4000:], word)
    assert len(pauses_shortened(np.concatenate([word, quiet_room(PAUSE_KEPT_MS * 16), word]))) == 0
    assert len(pauses_shortened(word)) == 0


def said_haltingly(first: str, second: str, pause_ms: int) -> Audio:
    """His two words with `pause_ms` of a quiet room between them, and a second of it either side."""
    room = quiet_room(16000)
    x = np.concatenate([room, spoken_span(clip(first)), room[:pause_ms * 16], spoken_span(clip(second)), room])
    return Audio(x.tobytes(), 16000)


@pytest.mark.slow
def test_a_phrase_said_haltingly_in_a_quiet_room_passes_the_gate_and_his_other_words_so_do_not(
        ears: dict[str, WakeRecognizer]) -> None:
    ear = ears["gate"]
    for pause_ms in (300, 500):  # heard as two utterances, and joined: the pause weighed shortened
        assert started(said_haltingly("4_george_10", "7_george_10", pause_ms), ear), pause_ms
    assert ear.gate is not None
    for other in (("4_george_11", "3_george_12"), ("9_george_5", "7_george_10")):  # weighed shortened too
        heard = np.frombuffer(said_haltingly(*other, 300).pcm, "<i2")
        assert len(pauses_shortened(spoken_span(heard))) and not ear.gate.passes("four seven", heard)[0]


@pytest.mark.slow
def test_his_first_word_followed_by_another_of_his_words_or_the_other_way_is_proposed_and_still_no_start(
        ears: dict[str, WakeRecognizer]) -> None:
    ear = ears["gate or moonshine"]
    assert ear.check is not None
    for other in (said("4_george_11", "3_george_12"), said("9_george_5", "7_george_10")):  # and the other way
        assert started(other, ears["proposed"])  # a false start but for the second checks
        assert not started(other, ear), ear.check.last_transcript
        assert ear.check.last_transcript  # Moonshine was asked, and wrote something else
    clean_phrase = said("4_george_10", "7_george_10")
    assert started(clean_phrase, ear) and ear.confirmed_by == "gate"  # nothing to wait for


def test_out_of_the_box_crampvoice_start_is_taken_as_moonshine_writes_it() -> None:
    from crampvoice.core.transcript import command_in

    vocabulary = Vocabulary({Command.START: muscle_phrases()})  # with the defaults
    assert command_in("Cramp voice start.", vocabulary) == (Command.START, "crampvoice start")
    assert command_in("Cramp voice.", vocabulary)[0] is None
