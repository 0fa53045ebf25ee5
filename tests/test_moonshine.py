"""Moonshine, the general recogniser: transcripts to commands (fast), then the real model on real
voices (tests/data/human, credited in its README and manifest)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from crampvoice.audio import Audio, to_mono_16k
from crampvoice.core.commands import Command, Vocabulary
from crampvoice.core.transcript import command_in, said_in
from crampvoice.listen.files import read_audio
from crampvoice.listen.moonshine import (
    GOES_ON_QUIET_MS,
    QUIET_MS,
    GeneralRecognizer,
    MoonshineModel,
    MoonshineRecognizer,
)
from crampvoice.listen.personal import spoken_span
from crampvoice.listen.recognizer import Heard
from crampvoice.listen.sphinx import sounds_like
from crampvoice.listen.stream import recognize

from .fixed import Fixed

HUMAN = Path(__file__).parent / "data" / "human"
SIX_FOR_NEXT = Vocabulary({Command.NEXT: ("six",)})


@pytest.mark.parametrize(("transcript", "command"), [
    ("Stop.", Command.STOP), ("Go back!", Command.BACK), ("Stop, stop.", Command.STOP),
    ("next next next", Command.NEXT), ("go back, go back", Command.BACK), ("Uh, next.", Command.NEXT),
    ("Um... pause, please.", Command.PAUSE), ("Pause please please", Command.PAUSE), ("please help", Command.HELP),
    ("What can I say?", Command.HELP), ("Backwards.", Command.BACK), ("Wake-up.", Command.WAKE),
    ("I can't stop now.", None), ("stop stop stop stop", None), ("next back", None), ("Uh.", None),
    ("", None), ("Please.", None), ("Go to the shop.", None), ("Seven.", None),
])
def test_a_transcript_is_a_command_only_when_all_of_it_names_one(transcript: str, command: Command | None) -> None:
    assert command_in(transcript, Vocabulary())[0] is command


def test_a_persons_words_are_heard_in_figures_too() -> None:
    assert command_in("6.", SIX_FOR_NEXT) == (Command.NEXT, "six")
    assert command_in("Okay.", Vocabulary({Command.NEXT: ("okay",)}))[0] is Command.NEXT  # a filler, unless it is theirs
    assert command_in("16", SIX_FOR_NEXT)[0] is None
    code = Vocabulary({Command.START: ("four seven",)})
    assert command_in("47.", code) == command_in("4, 7", code) == (Command.START, "four seven")  # a code, digit by digit
    assert command_in("47.", Vocabulary({Command.START: ("forty seven",)}))[0] is Command.START  # or a number


def test_a_phrase_written_apart_or_together_is_the_phrase() -> None:
    assert command_in("Cramp voice start.", Vocabulary()) == (Command.START, "crampvoice start")
    assert command_in("Goback, goback.", Vocabulary()) == (Command.BACK, "go back")
    assert command_in("Cramp voice.", Vocabulary())[0] is None


def test_a_word_that_sounds_as_a_phrase_is_taken_for_it_only_alone() -> None:
    four = Vocabulary({Command.NEXT: ("four",)})
    assert command_in("For.", four)[0] is None  # no homophones given: a different word
    assert command_in("For.", four, {"for": "four"}) == (Command.NEXT, "four")
    assert command_in("For sure.", four, {"for": "four"})[0] is None
    assert command_in("Go to sleep.", Vocabulary({Command.NEXT: ("two",)}), {"to": "two"})[0] is Command.SLEEP


def test_a_phrase_is_said_in_a_sentence_by_its_words_in_a_row_or_words_said_as_they_are() -> None:
    weight = {"weight": "wait"}
    assert said_in("wait", "Put your weight on the leg.", weight)
    assert not said_in("wait", "Put your weight on the leg.")  # no homophones given: a different word
    assert said_in("go back", "Then go back, slowly.") and not said_in("go back", "Go on, and back.")
    assert not said_in("stop", "Stopping now.") and not said_in("", "Anything.")
    assert said_in("four", "Hold it 4 seconds.")


def test_homophones_come_from_the_pronouncing_dictionary() -> None:
    vocabulary = Vocabulary({Command.NEXT: ("four",), Command.BACK: ("two",)})
    said = sounds_like(vocabulary)
    assert {w: said[w] for w in ("for", "fore", "to", "too", "paws", "necks", "weight")} == {
        "for": "four", "fore": "four", "to": "two", "too": "two", "paws": "pause", "necks": "next", "weight": "wait"}
    assert "four" not in said and "two" not in said and "stop" not in said.values()


class _Unloaded(MoonshineModel):
    """A model that never finishes loading."""

    def wait(self, timeout_s: float | None = None) -> bool:
        return False


def test_before_the_model_has_loaded_the_fallback_hears_at_once() -> None:
    fallback = Fixed(Heard(Command.NEXT, "next", 0.9))
    general = GeneralRecognizer(MoonshineRecognizer(Vocabulary(), _Unloaded()), fallback)
    general.begin()
    general.feed(b"\x10\x00" * 320)
    assert general.end().command is Command.NEXT and general.last_by == "fallback"


class _Refusing(MoonshineModel):
    """A loaded model that must not be asked anything."""

    @property
    def usable(self) -> bool:
        return True

    def transcribe(self, samples: object) -> str:
        raise AssertionError("transcribed")


def test_with_every_phrase_heard_in_the_persons_voice_moonshine_transcribes_nothing() -> None:
    everything = frozenset(p for phrases in Vocabulary().phrases.values() for p in phrases)
    recognizer = MoonshineRecognizer(Vocabulary(), _Refusing(), skip=everything)
    recognizer.begin()
    for level in [3000] * 20 + [0] * 20:  # a word, then the quiet a guess would start in
        recognizer.feed(np.full(320, level, "<i2").tobytes())
    assert recognizer.end() == Heard(None, "", 0.0)


class _Hears(MoonshineModel):
    """A loaded model that writes down the same words for anything, at once."""

    def __init__(self, said: str) -> None:
        super().__init__()
        self.said = said

    @property
    def usable(self) -> bool:
        return True

    def later(self, samples: npt.NDArray[np.int16]) -> Future[str]:
        done: Future[str] = Future()
        done.set_result(self.transcribe(samples))
        return done

    def transcribe(self, samples: npt.NDArray[np.int16]) -> str:
        return self.said


class _HearsTheVoiceAlone(_Hears):
    """As `_Hears`, but makes out nothing of the word with the quiet around it (as Moonshine does
    for some short words said alone): only of the voice cut out of it (`spoken_span`)."""

    def transcribe(self, samples: npt.NDArray[np.int16]) -> str:
        return super().transcribe(samples) if len(samples) < 0.9 * 16000 else ""


def _decided_at_ms(said: str, hears: type[_Hears] = _Hears) -> tuple[Command | None, int]:
    """Where a word said over a quiet room is decided, when the model writes down `said`."""
    room = np.random.default_rng(0).normal(0, 3, 16000 * 2)
    word = np.sin(np.arange(8000) * 2 * np.pi * 220 / 16000) * 8000 * np.hanning(8000)
    audio = Audio(np.concatenate([room[:16000], word + room[:8000], room[16000:]]).astype("<i2").tobytes(), 16000)
    decision = recognize(audio, GeneralRecognizer(MoonshineRecognizer(Vocabulary(), hears(said)), Fixed(
        Heard(None, "", 0.0))))
    assert decision is not None
    return decision.heard.command, decision.decided_ms


def test_a_command_is_decided_in_the_quiet_once_sure_and_one_that_may_go_on_into_another_later() -> None:
    stop, stop_ms = _decided_at_ms("Stop.")  # after QUIET_MS of quiet, not the 250 ms that end an utterance
    go, go_ms = _decided_at_ms("Go.")  # "go" may be "go back": after GOES_ON_QUIET_MS of quiet
    nothing, end_ms = _decided_at_ms("Go to.")  # no command: the utterance's end
    assert (stop, go, nothing) == (Command.STOP, Command.NEXT, None)
    assert go_ms - stop_ms == GOES_ON_QUIET_MS - QUIET_MS, (stop_ms, go_ms)
    assert go_ms < end_ms, (go_ms, end_ms)
    # where the guess made out nothing, the voice alone is heard at once, not at the end
    alone, alone_ms = _decided_at_ms("Stop.", _HearsTheVoiceAlone)
    assert alone is Command.STOP and alone_ms < stop_ms + 100 < end_ms, (alone_ms, stop_ms, end_ms)


def rows() -> list[dict[str, str]]:
    with open(HUMAN / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def heard(audio: Audio, recognizer: MoonshineRecognizer | GeneralRecognizer) -> Command | None:
    decision = recognize(audio, recognizer)
    return decision.heard.command if decision else None


@pytest.mark.slow
def test_real_voices_commands_are_heard_and_other_words_sentences_and_noise_are_not(model: MoonshineModel) -> None:
    moonshine = MoonshineRecognizer(Vocabulary(), model)
    got = {r["file"]: heard(read_audio(HUMAN / r["file"]), moonshine) for r in rows()}
    expected = {r["file"]: Command(r["command"]) if r["command"] else None for r in rows()}
    assert {f: c for f, c in got.items() if c is not None and c is not expected[f]} == {}  # nothing wrongly acted on
    assert sum(got[f] is c for f, c in expected.items() if c) >= 6  # of 7 commands, one speaker each


@pytest.mark.slow
def test_a_word_said_twice_is_one_command_and_a_persons_own_word_is_heard(model: MoonshineModel) -> None:
    clip = to_mono_16k(read_audio(HUMAN / "speech_commands_v002__stop_4f8ef132_nohash_0.wav"))
    word = spoken_span(np.frombuffer(clip.pcm, "<i2")).tobytes()  # the word alone, without the clip's quiet
    quiet = bytes(int(0.3 * clip.sample_rate_hz) * 2)
    twice = Audio(quiet + word + bytes(int(0.1 * clip.sample_rate_hz) * 2) + word + quiet, clip.sample_rate_hz)
    moonshine = MoonshineRecognizer(Vocabulary(), model)
    assert heard(twice, moonshine) is Command.STOP
    assert moonshine.last_transcript.lower().count("stop") == 2  # it heard both, and acted once
    six = read_audio(HUMAN / "speech_commands_v002__six_1acc97de_nohash_0.wav")
    assert heard(six, MoonshineRecognizer(SIX_FOR_NEXT, model)) is Command.NEXT
    assert heard(six, MoonshineRecognizer(Vocabulary(), model)) is None


@pytest.mark.slow
def test_doctor_says_moonshine_hears(model: MoonshineModel) -> None:
    from crampvoice.listen.hearing import hears_with

    assert hears_with().startswith("Moonshine (English base model) hears any voice, loaded in ")


@pytest.mark.slow
def test_a_command_not_expected_now_or_taught_in_the_persons_voice_is_not_acted_on(model: MoonshineModel) -> None:
    stop = read_audio(HUMAN / "speech_commands_v002__stop_4f8ef132_nohash_0.wav")
    answers = MoonshineRecognizer(Vocabulary(), model)
    answers.expect({Command.YES, Command.NO})
    assert heard(stop, answers) is None
    assert heard(stop, MoonshineRecognizer(Vocabulary(), model, skip=frozenset({"stop"}))) is None


@pytest.mark.slow
def test_once_loaded_moonshine_decides_and_the_fallback_hears_only_what_it_makes_nothing_of_if_asked(
        model: MoonshineModel) -> None:
    sentence = read_audio(HUMAN / "mycroft_precise__notww_a_cheddar_block_1c54f75b.wav")
    room = Audio(np.random.default_rng(0).normal(0, 3, 16000).astype("<i2").tobytes(), 16000)
    for when_nothing in (False, True):
        fallback = Fixed(Heard(Command.NEXT, "next", 0.9))
        general = GeneralRecognizer(MoonshineRecognizer(Vocabulary(), model), fallback, when_nothing=when_nothing)
        assert heard(sentence, general) is None and fallback.ended == 0  # words, none a command: no second chance
        general.begin()
        general.feed(room.pcm)
        assert (general.end().command is Command.NEXT) is when_nothing
        assert general.last_by == ("fallback" if when_nothing else "moonshine")


WITHOUT_MOONSHINE = """
import sys
sys.modules["moonshine_cpp"] = None  # as on a machine it has no wheel for: importing it fails
from crampvoice.cli import main
from crampvoice.listen.hearing import hears_with
print(hears_with(), flush=True)
sys.exit(main(["recognize", "--json", *sys.argv[1:]]))
"""


@pytest.mark.slow
def test_without_moonshine_pocketsphinx_hears_and_says_so(tmp_path: Path) -> None:
    files = [HUMAN / r["file"] for r in rows()]
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}  # nothing taught
    done = subprocess.run([sys.executable, "-c", WITHOUT_MOONSHINE, *map(str, files)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    said, *lines = done.stdout.splitlines()
    assert said.startswith("pocketsphinx, checked by the verifier, hears any voice: Moonshine cannot be used here")
    got = {Path(str(r["file"])).name: r["command"] for r in map(json.loads, lines)}
    expected = {r["file"]: r["command"] or None for r in rows()}  # as tests/test_listen.py expects of it ...
    expected["speech_commands_v002__go_c22d3f18_nohash_0.wav"] = None  # ... but for the "go" only Moonshine hears
    assert got == expected
