"""Out of the box: pocketsphinx proposes, the verifier on the frozen embedding decides.

The clips are espeak-ng's (tests/data/corpus, made by bench/corpus.py --sample), not
speech-dev's: the shipped verifier learnt from every speech-dev speaker.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from crampvoice.core.commands import PHRASES, Command, Vocabulary, normalise
from crampvoice.listen.files import read_audio
from crampvoice.listen.sphinx import SphinxRecognizer, Tuning
from crampvoice.listen.stream import recognize
from crampvoice.listen.verifier import VerifiedRecognizer, Verifier

CORPUS = Path(__file__).parent / "data" / "corpus"


def test_the_verifier_loads_from_the_installed_package_with_no_network() -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('a socket was opened')\n"
        "socket.socket = refuse; socket.create_connection = refuse\n"
        "from crampvoice.core.commands import Vocabulary\n"
        "from crampvoice.listen.verifier import VerifiedRecognizer, Verifier\n"
        "v = Verifier.load()\n"
        "r = VerifiedRecognizer(Vocabulary(), v)\n"
        "print(len(v.phrases) > 30, 0 < v.threshold < 1, v.proposal_floor <= 0.6)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True True True"


def test_every_default_phrase_has_a_class_and_the_weights_survive_a_round_trip() -> None:
    verifier = Verifier.load()
    # start phrases are no session command: standby holds them to a stricter rule of its own
    # (core/wake.py), pocketsphinx alone proposing them, since no real recordings of them exist to train on
    commands = {normalise(p) for c, ps in PHRASES.items() if c is not Command.START for p in ps}
    assert commands <= set(verifier.phrases)
    again = Verifier.from_bytes(verifier.to_bytes())
    assert again.phrases == verifier.phrases and again.threshold == verifier.threshold


@pytest.fixture(scope="module")
def verified() -> VerifiedRecognizer:
    return VerifiedRecognizer(Vocabulary())


def heard(path: Path, recognizer: object) -> str | None:
    decision = recognize(read_audio(path), recognizer)  # type: ignore[arg-type]
    return decision.heard.command.value if decision and decision.heard.command else None


def test_stop_said_by_espeak_is_heard_as_stop(verified: VerifiedRecognizer) -> None:
    assert heard(CORPUS / "stop_clean.wav", verified) == "stop"
    assert heard(CORPUS / "next-step_clean.wav", verified) == "next"
    assert heard(CORPUS / "say-that-again_clean.wav", verified) == "repeat"


def test_what_pocketsphinx_alone_takes_for_a_command_the_verifier_turns_down(verified: VerifiedRecognizer) -> None:
    weather = CORPUS / "the-weather-tonight_babble10.wav"
    assert heard(weather, SphinxRecognizer(Vocabulary())) == "louder"  # today's recogniser acts on it
    assert heard(weather, verified) is None
    hold_on = CORPUS / "hold-on_clean.wav"
    assert heard(hold_on, SphinxRecognizer(Vocabulary(), Tuning(min_confidence=verified.verifier.proposal_floor))) \
        == "next"  # proposed at the verifier's floor ...
    decision = recognize(read_audio(hold_on), verified)
    assert decision is not None and decision.heard.command is None  # ... and turned down,
    assert decision.heard.text == "go" and decision.heard.confidence < verified.verifier.threshold  # with its guess


def test_only_the_commands_expected_are_heard(verified: VerifiedRecognizer) -> None:
    verified.expect([Command.NEXT, Command.BACK])
    try:
        assert heard(CORPUS / "stop_clean.wav", verified) is None
    finally:
        verified.expect(Command)


def test_a_persons_own_phrase_the_verifier_has_no_class_for_is_left_to_pocketsphinx() -> None:
    vocabulary = Vocabulary({Command.NEXT: ("stuff",)})
    own = VerifiedRecognizer(vocabulary)
    assert "stuff" not in own.verifier.phrases
    decision = recognize(read_audio(CORPUS / "stuff_clean.wav"), own)
    assert decision is not None and decision.heard.command is Command.NEXT and decision.heard.text == "stuff"
    assert decision.heard.confidence >= Tuning().min_confidence and own.last_verify_s == 0.0  # not checked


@pytest.mark.slow
def test_the_built_wheel_carries_the_verifier(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
                   check=True, timeout=300)
    with zipfile.ZipFile(next(tmp_path.glob("crampvoice-*.whl"))) as archive:
        assert "crampvoice/listen/verifier.npz" in archive.namelist()
