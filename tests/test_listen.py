"""Listening: the endpointer with time as data, then real pocketsphinx on real and synthetic speech."""

from __future__ import annotations

import collections
import csv
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from crampvoice.audio import Audio, read_wav, to_mono_16k
from crampvoice.core.commands import Command, Vocabulary
from crampvoice.listen.endpoint import FRAME_BYTES, FRAME_MS, SAMPLE_RATE_HZ, Endpointer, Mark, Timing, Voice
from crampvoice.listen.grammar import jsgf
from crampvoice.listen.recognizer import Heard

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
HUMAN = DATA / "human"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]

FRAMES = {"x": Voice.SPEECH, "f": Voice.FAINT, ".": Voice.NONE}


def push(endpointer: Endpointer, pattern: str) -> list[tuple[int, Mark, int]]:
    """Feed frames ('x' voiced, 'f' voiced but faint, '.' not); (frame index, mark, frames given)
    for each start/end."""
    marks: list[tuple[int, Mark, int]] = []
    for i, c in enumerate(pattern):
        step = endpointer.push(c.encode() * FRAME_BYTES)
        if step is not None and step.mark is not Mark.CONTINUE:
            marks.append((i, step.mark, len(step.frames)))
    return marks


def endpointer(**timing: int) -> Endpointer:
    return Endpointer(lambda frame: FRAMES[frame[:1].decode()], Timing(**timing))


def test_an_utterance_starts_on_three_voiced_frames_of_five_with_its_lead_in_kept() -> None:
    marks = push(endpointer(), "." * 20 + "x.x" + "x" * 10 + "." * 13)
    assert marks[0] == (23, Mark.START, 15)  # 300 ms kept: the onset is not lost
    assert marks[1] == (23 + 10 + 12, Mark.END, 1)  # 250 ms quiet ends it


def _starts(points: Endpointer, pattern: str) -> list[tuple[bytes, ...]]:
    steps = [points.push(c.encode() * FRAME_BYTES) for c in pattern]
    return [s.frames for s in steps if s is not None and s.mark is Mark.START]


def test_an_utterance_right_after_another_keeps_its_lead_in_from_the_quiet_that_ended_that_one() -> None:
    """A word's unvoiced start ("s" of "stop") can fall in the quiet that ends what came before."""
    pattern = "x" * 5 + "." * 13 + "xxx" + "x" * 5 + "." * 13
    starts = _starts(endpointer(), pattern)
    assert len(starts) == 2
    assert len(starts[1]) == 15  # 300 ms, as after a long silence
    assert starts[1][:12] == (b"." * FRAME_BYTES,) * 12  # the first's quiet end, then the new word's onset
    # not where the detector follows the room (the person's voice): only what came after the end
    apart = Endpointer(lambda frame: FRAMES[frame[:1].decode()], lead_in_from_last=False)
    assert [len(s) for s in _starts(apart, pattern)] == [3, 3]
    # the quiet end alone starts nothing: nothing more than two utterances
    assert push(endpointer(), "x" * 5 + "." * 40) == [(2, Mark.START, 3), (17, Mark.END, 1)]


def test_faint_voice_starts_an_utterance_but_does_not_hold_it_open() -> None:
    """webrtcvad's hangover after a word, at the room's floor, is no voice: the end comes as soon
    as it would have in quiet."""
    marks = push(endpointer(), "." * 20 + "fxf" + "x" * 10 + "f" * 12 + "." * 5)
    assert marks[0] == (22, Mark.START, 15)  # three voiced of five, faint or not
    assert marks[1] == (32 + 13, Mark.END, 1)  # the 13th frame after the last 'x' (32) with no voice, faint or not


def test_a_click_or_two_is_not_an_utterance() -> None:
    assert push(endpointer(), "..x....x.....xx......") == []


def test_a_short_pause_inside_a_phrase_does_not_end_it() -> None:
    marks = push(endpointer(), "xxxxxx" + "." * 10 + "xxxxxx" + "." * 13)
    assert [m for _, m, _ in marks] == [Mark.START, Mark.END]


def test_talk_that_goes_on_is_dropped_and_nothing_starts_until_it_is_quiet() -> None:
    marks = push(endpointer(longest_ms=400), "x" * 60 + "....." + "xxxx" + "." * 13)
    assert [m for _, m, _ in marks] == [Mark.START, Mark.TOO_LONG, Mark.START, Mark.END]
    assert marks[2][0] == 60 + 5 + 2  # a new start only after a quiet window


def softly(take: Path, room_dbfs: float, rng: np.random.Generator, by_db: float = 30) -> Audio:
    """`take` said `by_db` softer than it was recorded, in a room's steady pink noise at
    `room_dbfs` from half a second before it to half a second after."""
    said = np.frombuffer(to_mono_16k(read_wav(take)).pcm, "<i2") * 10 ** (-by_db / 20)
    x = np.concatenate([np.zeros(SAMPLE_RATE_HZ // 2), said, np.zeros(SAMPLE_RATE_HZ // 2)])
    spectrum = np.fft.rfft(rng.standard_normal(len(x))) / np.sqrt(np.maximum(np.arange(len(x) // 2 + 1), 1))
    room = np.fft.irfft(spectrum, len(x))
    x += room * 32768 * 10 ** (room_dbfs / 20) / np.sqrt(np.mean(room**2))
    return Audio(np.clip(x, -32768, 32767).astype("<i2").tobytes(), SAMPLE_RATE_HZ)


class Fed:
    """A recogniser that keeps what it is fed and takes it as no command."""

    def __init__(self, follows_room: bool = False) -> None:
        self.follows_room = follows_room
        self.pcm = bytearray()

    def expect(self, commands: Iterable[Command]) -> None: ...
    def begin(self) -> None:
        self.pcm = bytearray()

    def feed(self, frame: bytes) -> None:
        self.pcm += frame

    def end(self) -> Heard:
        return Heard(None, "weather", 0.2)


def test_a_quiet_room_is_heard_boosted_toward_an_ordinary_one_and_a_louder_room_as_it_is() -> None:
    from crampvoice.listen.endpoint import KNOWN_FRAMES, MOST_BOOST_DB, QUIET_ROOM_DBFS, ROOM_FRAMES, Room

    def level_db(frame: bytes) -> float:
        x = np.frombuffer(frame, "<i2").astype(float)
        return float(10 * np.log10(np.mean(x * x) / 32768**2))

    def frame_at(dbfs: float) -> bytes:
        return np.full(FRAME_BYTES // 2, 32768 * 10 ** (dbfs / 20)).astype("<i2").tobytes()

    room = Room()
    for n in range(1, ROOM_FRAMES + 1):
        heard, above_db = room.hear(frame_at(-65))
        assert level_db(heard) == pytest.approx(QUIET_ROOM_DBFS, abs=0.2)  # 10 dB up
        assert above_db == (pytest.approx(0, abs=0.2) if n >= KNOWN_FRAMES else math.inf)  # the room, once known
    for _ in range(5):
        heard, above_db = room.hear(frame_at(-45))
        assert level_db(heard) == pytest.approx(-35, abs=0.2)  # a word over it: the same boost
        assert above_db == pytest.approx(20, abs=0.2)
    for _ in range(ROOM_FRAMES):  # the room got louder (a tap turned on): within a second it is heard as it is
        room.hear(frame_at(-40))
    assert room.hear(frame_at(-30))[0] == frame_at(-30)

    hushed = Room()
    for _ in range(ROOM_FRAMES):
        hushed.hear(frame_at(-78))
    assert level_db(hushed.hear(frame_at(-78))[0]) == pytest.approx(level_db(frame_at(-78)) + MOST_BOOST_DB, abs=0.2)

    loud = Room()
    for dbfs in (-40, -20, -45):
        assert loud.hear(frame_at(dbfs))[0] == frame_at(dbfs)  # never turned down
    muted = Room()
    for _ in range(ROOM_FRAMES):
        muted.hear(frame_at(-65))
    for _ in range(3):  # digital silence is no room: the microphone was muted; what follows is a room afresh
        assert muted.hear(bytes(FRAME_BYTES)) == (bytes(FRAME_BYTES), -math.inf)
    assert muted.hear(frame_at(-40)) == (frame_at(-40), math.inf)  # louder, and a room not yet known


def test_a_word_said_softly_in_a_quiet_room_is_heard_as_speech_and_noise_is_not_made_louder() -> None:
    """The detector alone misses much of a word 30 dB softer than usual (the phone across the
    room, a weak voice); boosted over a quiet room it hears more of it, and over a louder room,
    where a boost would make noise speech, it hears exactly what the detector alone hears."""
    import webrtcvad

    from crampvoice.listen.endpoint import webrtc_vad
    from crampvoice.listen.stream import frames

    rng = np.random.default_rng(0)
    voiced: collections.Counter[tuple[str, float]] = collections.Counter()
    for room_dbfs in (-65.0, -40.0):
        for take in sorted((DATA / "personal").glob("*.wav")):
            heard = list(frames(softly(take, room_dbfs, rng)))
            alone = webrtcvad.Vad(2)
            voiced["ours", room_dbfs] += sum(v is not Voice.NONE for v in map(webrtc_vad(follows_room=True), heard))
            general = list(map(webrtc_vad(), heard))
            voiced["general", room_dbfs] += sum(v is not Voice.NONE for v in general)
            voiced["general faint", room_dbfs] += general.count(Voice.FAINT)
            voiced["alone", room_dbfs] += sum(alone.is_speech(f, SAMPLE_RATE_HZ) for f in heard)
    assert voiced["ours", -65.0] >= 1.3 * voiced["alone", -65.0]
    assert voiced["ours", -40.0] == voiced["alone", -40.0]
    assert voiced["general", -65.0] == voiced["alone", -65.0]  # the general recogniser's: webrtcvad alone,
    assert voiced["general faint", -65.0] == voiced["general faint", -40.0] == 0  # which never calls a frame faint


def test_an_utterance_ends_when_the_room_is_quiet_again_not_when_webrtcvad_stops_hearing_a_voice() -> None:
    """george's real takes in a quiet room: each ends sooner than webrtcvad's hangover would end it,
    and still holds the whole take; and so does each take alone in a file, with no room heard
    before it to tell how quiet the room is."""
    from crampvoice.listen.endpoint import webrtc_vad
    from crampvoice.listen.stream import frames_ending_quiet

    def ends_ms(audio: Audio, faint_ends: bool) -> list[int]:
        hear = webrtc_vad(follows_room=True)
        points = Endpointer(hear if faint_ends else lambda f: Voice.NONE if hear(f) is Voice.NONE else Voice.SPEECH)
        marks = ((i, points.push(f)) for i, f in enumerate(frames_ending_quiet(audio), 1))
        return [i * FRAME_MS for i, step in marks if step is not None and step.mark is Mark.END]

    rng = np.random.default_rng(0)
    sooner = []
    for take in sorted((DATA / "personal").glob("*.wav")):
        take_ms = 1000 * len(to_mono_16k(read_wav(take)).pcm) // (2 * SAMPLE_RATE_HZ)
        (alone,) = ends_ms(to_mono_16k(read_wav(take)), faint_ends=True)  # a file with no room before the word
        assert alone >= take_ms, take.name
        in_room = softly(take, -65, rng, by_db=0)
        now, before = ends_ms(in_room, faint_ends=True)[-1], ends_ms(in_room, faint_ends=False)[-1]  # the word's
        assert now >= 500 + take_ms, take.name
        sooner.append(before - now)
    assert min(sooner) >= 0 and sum(sooner) / len(sooner) >= 80  # 100 to 120 ms sooner


def test_the_person_s_voice_is_heard_following_the_room_and_the_general_recogniser_as_webrtcvad_alone() -> None:
    """Each recogniser says how its detector hears the room: the person's model following it
    (their takes are cut so), pocketsphinx and its verifier as they were tuned, with webrtcvad alone."""
    from crampvoice.listen.hearing import Combined
    from crampvoice.listen.personal import PersonalRecognizer
    from crampvoice.listen.sphinx import SphinxRecognizer
    from crampvoice.listen.stream import recognize
    from crampvoice.listen.verifier import VerifiedRecognizer

    soft = softly(DATA / "personal" / "7_george_10.wav", -65.0, np.random.default_rng(0))
    heard = {follows_room: recognize(soft, Fed(follows_room)) for follows_room in (True, False)}
    fed = {k: len(d.utterance.pcm) if d is not None and d.utterance is not None else 0 for k, d in heard.items()}
    assert fed[True] > fed[False] > 0  # more of the soft word, with the boost
    assert PersonalRecognizer.follows_room and Combined.follows_room
    assert not SphinxRecognizer.follows_room and not VerifiedRecognizer.follows_room


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
        assert set(result) == {"file", "command", "text", "closest", "confidence", "decided_ms"}
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
    from crampvoice.listen.stream import Listener, frames_ending_quiet

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
    from crampvoice.cli.app import teach_tip
    from crampvoice.core.phrases import TEACH_TIP
    from crampvoice.core.safety import History
    from crampvoice.listen.sphinx import SphinxRecognizer

    untaught = SphinxRecognizer(Vocabulary())
    assert teach_tip(None, untaught) == teach_tip(History(), untaught) == (TEACH_TIP,)
    assert teach_tip(History(first_session=False), untaught) == ()
