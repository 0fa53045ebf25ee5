"""Listening: the endpointer with time as data, then real pocketsphinx on real and synthetic speech."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from crampvoice.core.commands import Command, Vocabulary
from crampvoice.listen.endpoint import FRAME_BYTES, Endpointer, Mark, Timing
from crampvoice.listen.grammar import jsgf

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
HUMAN = DATA / "human"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]

VOICED, QUIET = b"\x01" * FRAME_BYTES, b"\x00" * FRAME_BYTES


def push(endpointer: Endpointer, pattern: str) -> list[tuple[int, Mark, int]]:
    """Feed frames ('x' voiced, '.' not); (frame index, mark, frames given) for each start/end."""
    marks: list[tuple[int, Mark, int]] = []
    for i, c in enumerate(pattern):
        step = endpointer.push(VOICED if c == "x" else QUIET)
        if step is not None and step.mark is not Mark.CONTINUE:
            marks.append((i, step.mark, len(step.frames)))
    return marks


def endpointer(**timing: int) -> Endpointer:
    return Endpointer(lambda frame: frame == VOICED, Timing(**timing))


def test_an_utterance_starts_on_three_voiced_frames_of_five_with_its_lead_in_kept() -> None:
    marks = push(endpointer(), "." * 20 + "x.x" + "x" * 10 + "." * 13)
    assert marks[0] == (23, Mark.START, 15)  # 300 ms kept: the onset is not lost
    assert marks[1] == (23 + 10 + 12, Mark.END, 1)  # 250 ms quiet ends it


def test_a_click_or_two_is_not_an_utterance() -> None:
    assert push(endpointer(), "..x....x.....xx......") == []


def test_a_short_pause_inside_a_phrase_does_not_end_it() -> None:
    marks = push(endpointer(), "xxxxxx" + "." * 10 + "xxxxxx" + "." * 13)
    assert [m for _, m, _ in marks] == [Mark.START, Mark.END]


def test_talk_that_goes_on_is_dropped_and_nothing_starts_until_it_is_quiet() -> None:
    marks = push(endpointer(longest_ms=400), "x" * 60 + "....." + "xxxx" + "." * 13)
    assert [m for _, m, _ in marks] == [Mark.START, Mark.TOO_LONG, Mark.START, Mark.END]
    assert marks[2][0] == 60 + 5 + 2  # a new start only after a quiet window


def test_the_grammar_offers_each_phrase_once_or_else_a_loop_of_phones() -> None:
    text = jsgf(["next", "go back", "next"], other_weight=0.5)
    assert "<command> = go back | next;" in text
    assert "/0.5/ <other>" in text and "<other> = <phone>+;" in text and "ph_zh" in text


# -- real pocketsphinx --------------------------------------------------------------------

def recognize(*files: Path | str) -> tuple[list[dict[str, object]], subprocess.CompletedProcess[str]]:
    proc = subprocess.run([*CRAMPVOICE, "recognize", "--json", *map(str, files)], capture_output=True, text=True,
                          timeout=120)
    return [json.loads(line) for line in proc.stdout.splitlines()], proc


def manifest(folder: Path) -> list[dict[str, str]]:
    with open(folder / "manifest.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_clean_synthetic_commands_are_heard_and_other_words_are_not() -> None:
    rows = [r for r in manifest(CORPUS) if r["noise"] == "clean"]
    results, proc = recognize(*(CORPUS / r["file"] for r in rows))
    assert proc.returncode == 0, proc.stderr
    got = {Path(str(r["file"])).name: r["command"] for r in results}
    commands = [r for r in rows if r["command"]]
    right = [r["transcript"] for r in commands if got[r["file"]] == r["command"]]
    assert len(right) >= 0.75 * len(commands), right  # one voice, clean; the measure is bench/listen.py
    assert all(got[r["file"]] in (None, r["command"]) for r in commands)  # a miss, never another command
    assert [r["transcript"] for r in rows if not r["command"] and got[r["file"]]] == []
    for result in results:
        assert set(result) == {"file", "command", "text", "confidence", "decided_ms"}
        if result["command"]:
            assert 0 < float(str(result["confidence"])) <= 1 and int(str(result["decided_ms"])) > 0


def test_real_voices_are_heard_and_other_real_words_and_noise_are_not() -> None:
    rows = manifest(HUMAN)
    results, proc = recognize(*(HUMAN / r["file"] for r in rows))
    assert proc.returncode == 0, proc.stderr
    for row, result in zip(rows, results, strict=True):
        assert result["command"] == (row["command"] or None), row


def test_any_rate_channels_and_format_is_read_alike(tmp_path: Path) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox makes the other formats")
    source = CORPUS / "repeat_clean.wav"
    files = [tmp_path / "stereo-44k.flac", tmp_path / "stereo-48k.aiff", tmp_path / "mono-8k.wav"]
    for target, args in zip(files, (["-r", "44100", "-c", "2"], ["-r", "48000", "-c", "2"], ["-r", "8000"]),
                            strict=True):
        subprocess.run(["sox", str(source), *args, str(target)], check=True)
    results, proc = recognize(*files)
    assert proc.returncode == 0, proc.stderr
    assert [r["command"] for r in results] == ["repeat"] * 3


def test_a_broken_file_gets_a_sentence_and_the_others_are_still_heard(tmp_path: Path) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt ")
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n")
    results, proc = recognize(broken, CORPUS / "stop_clean.wav", tmp_path / "missing.wav", text)
    assert proc.returncode == 1
    assert [r["command"] for r in results] == ["stop"]
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("crampvoice: error: ") for line in lines)
    assert "broken.wav: cannot read it as audio" in lines[0] and "missing.wav: no such file" in lines[1]


def test_only_the_commands_on_offer_are_heard() -> None:
    from crampvoice.listen.endpoint import webrtc_vad
    from crampvoice.listen.files import read_audio
    from crampvoice.listen.sphinx import SphinxRecognizer
    from crampvoice.listen.stream import Listener
    from crampvoice.listen.stream import recognize as heard_in

    recognizer = SphinxRecognizer(Vocabulary())
    audio = read_audio(CORPUS / "repeat_clean.wav")
    decision = heard_in(audio, recognizer)
    assert decision is not None and decision.heard.command is Command.REPEAT
    recognizer.expect({Command.WAKE})
    decision = heard_in(audio, recognizer)
    assert decision is not None and decision.heard.command is None
    assert isinstance(Listener(recognizer, Endpointer(webrtc_vad())).position_ms, int)


def test_with_every_command_heard_another_way_pocketsphinx_decodes_nothing() -> None:
    """After a full `teach` the person's voice hears every command: pocketsphinx would only
    spend a core decoding a loop of phones that can never be a command."""
    from crampvoice.listen.files import read_audio
    from crampvoice.listen.sphinx import SphinxRecognizer
    from crampvoice.listen.stream import recognize as heard_in

    every_phrase = frozenset(p for ps in Vocabulary().phrases.values() for p in ps)
    audio = read_audio(CORPUS / "repeat_clean.wav")
    for skip, decoded in ((frozenset(), True), (every_phrase, False)):
        recognizer = SphinxRecognizer(Vocabulary(), skip=skip)
        decision = heard_in(audio, recognizer)
        assert decision is not None and (decision.heard.command is Command.REPEAT) is decoded
        assert (recognizer.last_decode_s > 0) is decoded


def test_a_persons_own_words_are_heard_and_unknown_ones_are_named() -> None:
    from crampvoice.listen.files import read_audio
    from crampvoice.listen.sphinx import SphinxRecognizer
    from crampvoice.listen.stream import recognize as heard_in

    words = Vocabulary({Command.HELP: ("the weather tonight", "zzyzx")})  # any phrase a caregiver picks
    recognizer = SphinxRecognizer(words)
    assert recognizer.unknown == ("zzyzx",)
    decision = heard_in(read_audio(CORPUS / "the-weather-tonight_clean.wav"), recognizer)
    assert decision is not None and decision.heard.command is Command.HELP
    decision = heard_in(read_audio(CORPUS / "the-weather-tonight_clean.wav"), SphinxRecognizer(Vocabulary()))
    assert decision is not None and decision.heard.command is None


def test_the_utterance_decided_on_is_kept_with_the_decision_as_the_recogniser_was_fed_it() -> None:
    from crampvoice.listen.endpoint import webrtc_vad
    from crampvoice.listen.files import read_audio
    from crampvoice.listen.recognizer import Heard
    from crampvoice.listen.stream import Listener, frames_ending_quiet

    class Fed:
        def __init__(self) -> None:
            self.pcm = bytearray()

        def expect(self, commands: Iterable[Command]) -> None: ...
        def begin(self) -> None:
            self.pcm = bytearray()

        def feed(self, frame: bytes) -> None:
            self.pcm += frame

        def end(self) -> Heard:
            return Heard(None, "weather", 0.2)

    fed = Fed()
    listener = Listener(fed, Endpointer(webrtc_vad()))
    audio = read_audio(CORPUS / "the-weather-tonight_clean.wav")
    decisions = [d for f in frames_ending_quiet(audio) if (d := listener.push(f)) is not None]
    assert len(decisions) == 1 and decisions[0].utterance is not None
    assert decisions[0].utterance.pcm == bytes(fed.pcm)
    assert 0.5 < decisions[0].utterance.duration_s <= audio.duration_s + 0.1


def test_only_the_newest_unheard_utterances_are_kept_privately_newest_first(tmp_path: Path) -> None:
    from crampvoice.audio import Audio
    from crampvoice.listen import unheard

    folder = tmp_path / "unheard"
    kept = [unheard.keep(Audio(bytes(3200 * (i + 1)), 16000), "go back" if i % 2 else "", folder)
            for i in range(unheard.KEEP + 2)]
    clips = unheard.clips(folder)
    assert [c.path for c in clips] == kept[::-1][:unheard.KEEP]
    assert not kept[0].exists() and not kept[1].exists()
    assert clips[0].guess == "go back" and clips[1].guess == ""
    assert clips[0].seconds == pytest.approx(0.1 * (unheard.KEEP + 2))
    assert folder.stat().st_mode & 0o077 == 0
    (folder / "notes.wav").write_bytes(b"not a take")  # passed over, not an error
    assert unheard.clear(folder) == unheard.KEEP and [p.name for p in folder.iterdir()] == ["notes.wav"]


def test_the_tip_to_teach_it_ones_voice_is_said_at_a_first_session_heard_without_it_only() -> None:
    from crampvoice.cli import teach_tip
    from crampvoice.core.phrases import TEACH_TIP
    from crampvoice.core.safety import History
    from crampvoice.listen.sphinx import SphinxRecognizer

    untaught = SphinxRecognizer(Vocabulary())
    assert teach_tip(None, untaught) == teach_tip(History(), untaught) == (TEACH_TIP,)
    assert teach_tip(History(first_session=False), untaught) == ()
