"""The check on the words the person's model acts on (listen/veto.py): what Moonshine writes of
the utterance, then the real model on george's real takes (tests/data/personal, credited in its
README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crampvoice.core.commands import Command, Vocabulary
from crampvoice.listen.moonshine import MoonshineModel
from crampvoice.listen.personal import Decided, Label
from crampvoice.listen.sphinx import sounds_like
from crampvoice.listen.veto import ANOTHER, NOTHING, OTHER, THE_WORD, WIRED, MoonshineVeto, verdict

GEORGE = Path(__file__).parent / "data" / "personal"
ONE = Label(Command.NEXT, "one")
WORDS = Vocabulary({Command.NEXT: ("one",), Command.STOP: ("five", "four"), Command.BACK: ("seven", "two")})


@pytest.mark.parametrize(("transcript", "word", "said"), [
    ("One.", ONE, THE_WORD), ("one, one", ONE, THE_WORD), ("Uh, one.", ONE, THE_WORD), ("1", ONE, THE_WORD),
    ("Won.", ONE, THE_WORD), ("To.", Label(Command.BACK, "two"), THE_WORD), ("For", Label(Command.STOP, "four"), THE_WORD),
    ("Next.", ONE, THE_WORD),  # another phrase of the same command
    ("", ONE, NOTHING), ("Uh.", ONE, NOTHING), ("...", ONE, NOTHING),
    ("Five.", ONE, ANOTHER), ("Stop!", ONE, ANOTHER), ("No,", ONE, ANOTHER),
    ("Nine.", ONE, OTHER), ("None.", ONE, OTHER), ("Won't.", ONE, OTHER), ("one more", ONE, OTHER),
    ("To.", ONE, ANOTHER),  # "two", another of their words
])
def test_what_moonshine_wrote_says_the_word_nothing_another_command_or_other_words(transcript: str, word: Label,
                                                                                    said: str) -> None:
    assert verdict(transcript, word, WORDS, sounds_like(WORDS)) == said


class _Unloaded:
    def wait(self, timeout_s: float | None = None) -> bool:
        return False

    def transcribe(self, samples: object) -> str:
        raise AssertionError("not loaded: never asked")


def test_until_moonshine_has_loaded_every_word_the_model_chose_is_acted_on() -> None:
    veto = MoonshineVeto([ONE], "mismatch", _Unloaded())  # type: ignore[arg-type]
    assert veto.allows(np.zeros(16000, np.int16), Decided(ONE, ONE, 0.99, ratio=0.99))
    assert veto.last_transcript is None


class _WritesNine(_Unloaded):
    def wait(self, timeout_s: float | None = None) -> bool:
        return True

    def transcribe(self, samples: object) -> str:
        return "Nine."


def test_a_word_taught_for_emergency_is_never_turned_away() -> None:
    help_me = Label(Command.EMERGENCY, "one")
    assert not MoonshineVeto([ONE], "mismatch", _WritesNine()).allows(  # type: ignore[arg-type]
        np.zeros(16000, np.int16), Decided(ONE, ONE, 0.99, ratio=0.99))
    assert MoonshineVeto([help_me], "mismatch", _WritesNine()).allows(  # type: ignore[arg-type]
        np.zeros(16000, np.int16), Decided(help_me, help_me, 0.99, ratio=0.99))


@pytest.mark.slow
def test_a_persons_untaught_word_the_model_takes_for_a_taught_one_is_turned_away(model: MoonshineModel,
                                                                                 tmp_path: Path) -> None:
    """george taught "one" for next, "six" for stop and "eight" for back. His model takes his
    "nine" (take 21) for "one", just inside the word's gate; Moonshine writes "Nine.", so it is not
    acted on. His own "one" (take 3) still is."""
    from crampvoice.audio import read_wav, to_mono_16k
    from crampvoice.listen import takes
    from crampvoice.listen.embedding import Embedder
    from crampvoice.listen.hearing import build_from_takes, personal_recognizer
    from crampvoice.listen.stream import recognize

    def clip(name: str) -> Any:
        return to_mono_16k(read_wav(GEORGE / f"{name}.wav"))

    for digit, word, command in ((1, "one", Command.NEXT), (6, "six", Command.STOP), (8, "eight", Command.BACK)):
        for i in range(3):
            take = takes.spoken_part(clip(f"{digit}_george_{i}"))
            assert take is not None
            takes.add(take, command, word, tmp_path)
    persons = build_from_takes(tmp_path, Embedder()).model
    assert persons is not None

    def heard(name: str, veto: str = WIRED) -> Command | None:
        recognizer = personal_recognizer(persons, Embedder(), veto=veto, wait_s=None)
        decision = recognize(clip(name), recognizer)
        return decision.heard.command if decision else None

    assert heard("9_george_21", veto="off") is Command.NEXT  # the model alone takes "nine" for "one"
    assert heard("9_george_21", veto="another") is Command.NEXT  # "nine" is no phrase of any command
    assert heard("9_george_21") is None
    assert heard("1_george_3") is Command.NEXT
    assert heard("9_george_5") is None
