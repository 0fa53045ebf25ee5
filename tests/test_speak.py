"""Speech out through real espeak-ng, heard back through real pocketsphinx and a real (virtual) device."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crampvoice import library
from crampvoice.audio import Audio, read_wav, to_mono_16k
from crampvoice.core.events import Say
from crampvoice.core.timeline import simulate

from . import pulse as pa
from .child import killed_on_failure

pytestmark = pytest.mark.slow
SHORT = Path(__file__).parent / "data" / "short.yaml"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]
FRAME_S = 0.01


def needs_espeak() -> None:
    pytest.importorskip("pyttsx3")
    from crampvoice.core.errors import DeviceError
    from crampvoice.speak.synth import Pyttsx3Synth

    try:
        Pyttsx3Synth().close()
    except DeviceError as e:
        pytest.skip(e.message)


def loud_frames(audio: Audio, threshold: int = 300) -> list[bool]:
    s, n = audio.samples(), round(FRAME_S * audio.sample_rate_hz)
    return [max(map(abs, s[i:i + n]), default=0) > threshold for i in range(0, len(s) - n + 1, n)]


def runs(flags: list[bool], value: bool) -> list[tuple[int, int]]:
    """(start, length) of each run of `value`, in frames."""
    out, start = [], None
    for i, flag in enumerate([*flags, not value]):
        if flag == value and start is None:
            start = i
        elif flag != value and start is not None:
            out.append((start, i - start))
            start = None
    return out


def pieces(flags: list[bool], min_gap: int) -> list[tuple[int, int]]:
    """Loud runs joined across quiet gaps shorter than `min_gap` frames: sentences, not syllables."""
    joined: list[tuple[int, int]] = []
    for start, length in runs(flags, True):
        if joined and start - sum(joined[-1]) < min_gap:
            joined[-1] = (joined[-1][0], start + length - joined[-1][0])
        else:
            joined.append((start, length))
    return joined


def render(tmp_path: Path, script: str) -> Audio:
    path = tmp_path / "session.wav"
    done = subprocess.run([*CRAMPVOICE, "render", script, "-o", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return read_wav(path)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("-", " "))


def test_a_rendered_bundled_script_is_heard_back_in_order(tmp_path: Path) -> None:
    """Render `foot`, cut the WAV at its silences, and decode each piece with pocketsphinx.

    The decoder may choose among all the script's clauses, in any number and order; the
    clauses it hears must carry the script's key words in the script's order.
    """
    needs_espeak()
    pocketsphinx = pytest.importorskip("pocketsphinx")
    script = library.load(library.find("foot"))
    audio = to_mono_16k(render(tmp_path, "foot"))
    probe = pocketsphinx.Decoder(samprate=16000)
    clauses = {" ".join(w for w in words(clause) if probe.lookup_word(w))
               for m in simulate(script) if isinstance(m.effect, Say) for clause in re.split(r"[,.?]", m.effect.text)}
    grammar = tmp_path / "sentences.jsgf"
    grammar.write_text("#JSGF V1.0;\ngrammar script;\npublic <s> = ( "
                       + " | ".join(f"( {c} )" for c in sorted(clauses) if c) + " )+ ;\n")
    decoder = pocketsphinx.Decoder(samprate=16000, jsgf=str(grammar))
    heard: list[str] = []
    pad = round(0.1 / FRAME_S)
    for start, length in pieces(loud_frames(audio), min_gap=round(0.25 / FRAME_S)):
        a, b = max(0, start - pad), start + length + pad
        piece = audio.pcm[a * 320:b * 320]
        decoder.start_utt()
        decoder.process_raw(piece, full_utt=True)
        decoder.end_utt()
        if decoder.hyp() is not None:
            heard += decoder.hyp().hypstr.split()
    # Not "easing": on a loaded machine pyttsx3 sometimes drops a few ms of a sentence's quiet
    # tail (it writes the file before adding the last callback's samples), which shifts the
    # cuts, and the short question then decodes on some renders and not on others.
    key_words = ["toes", "shin", "towel", "flat", "thumbs", "walk", "water"]
    position = 0
    for word in key_words:
        assert word in heard[position:], f"{word!r} not heard after {heard[max(0, position - 8):position]} in {heard}"
        position = heard.index(word, position) + 1


def test_holds_and_rests_are_silences_of_the_scripts_lengths(tmp_path: Path) -> None:
    needs_espeak()
    audio = render(tmp_path, str(SHORT))
    gaps = [length * FRAME_S for _, length in runs(loud_frames(audio, threshold=200), False)]
    # holds of 2 s and rests of 1 s (no cues under 4 s), the 3 s massage, the 1 s wait for an answer;
    # the first hold is filled by the notes said in it, and ends as they do
    expected = [1, 2, 1, 2, 1, 2, 3, 1]
    timed = [g for g in gaps if g > 0.8]
    assert timed == pytest.approx(expected, abs=0.05)


def test_render_is_as_long_as_the_timeline_show_prints(tmp_path: Path) -> None:
    needs_espeak()
    done = subprocess.run([*CRAMPVOICE, "show", "calf"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shown = done.stdout
    total = re.search(r"as espeak-ng says it: (\d+):(\d\d)", shown)
    assert total is not None, shown
    audio = render(tmp_path, "calf")
    assert round(audio.duration_s) == int(total[1]) * 60 + int(total[2])


@pytest.fixture
def recorder(pulse: dict[str, str]) -> Iterator[pa.Monitor]:
    monitor = pa.Monitor(pulse)
    yield monitor
    monitor.close()


def start_session(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*CRAMPVOICE, "run", str(SHORT), "--keyboard", *args], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


SYNTH_ELSEWHERE = """
import sys, threading
from crampvoice.speak.synth import Pyttsx3Synth, VoiceSettings
synth = Pyttsx3Synth(VoiceSettings(rate_wpm=int(sys.argv[1])))
made = []
speak = lambda: made.append(synth.synth("I am a guide, not a doctor.").duration_s)
if sys.argv[2] == "here":
    speak()
else:
    worker = threading.Thread(target=speak)
    worker.start()
    worker.join()
print(made[0])
"""


def test_synthesis_prints_nothing_where_the_events_go(capfd: pytest.CaptureFixture[str]) -> None:
    """pyttsx3's driver prints "Audio saved to ..." for every sentence; standard output carries
    `--events -`, one JSON object a line, so not a word of it may reach the file descriptor."""
    needs_espeak()
    from crampvoice.speak.synth import Pyttsx3Synth

    with Pyttsx3Synth() as synth:
        audio = synth.synth("Hold it for thirty seconds.")
    assert audio.frames > 0
    assert capfd.readouterr().out == ""


def test_the_rate_asked_for_is_the_rate_spoken_from_the_first_sentence_of_every_process() -> None:
    """A session makes its synth on one thread and speaks from another, as here. Set that way,
    espeak-ng lost the rate in two processes in five (the first sentence spoken too fast, and
    every one after it): eight fresh processes all speak at the rate asked for."""
    needs_espeak()

    def seconds(rate_wpm: int, where: str = "elsewhere") -> float:
        done = subprocess.run([sys.executable, "-c", SYNTH_ELSEWHERE, str(rate_wpm), where],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return float(done.stdout)

    at_160 = seconds(160, "here")
    assert seconds(120, "here") > 1.2 * at_160  # the rate reaches espeak-ng at all
    # Lost, the rate is 200 and the sentence 20 % shorter; a sentence made again after a loss
    # comes out 3 % longer (espeak-ng's state after a cancel), which nobody hears.
    assert [seconds(160) for _ in range(8)] == pytest.approx([at_160] * 8, rel=0.05)


def test_a_live_session_speaks_on_the_virtual_speaker_for_as_long_as_its_speech(
        tmp_path: Path, pulse: dict[str, str], recorder: pa.Monitor) -> None:
    needs_espeak()
    rendered = render(tmp_path, str(SHORT))
    speech_s = sum(loud_frames(rendered)) * FRAME_S
    started = time.monotonic()
    with killed_on_failure(start_session(pulse)) as proc:
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "Speech is off" not in out and "stopped working" not in out
    recorder.caught_up(time.monotonic())
    heard_s = recorder.loud_between(started, math.inf)
    assert heard_s == pytest.approx(speech_s, rel=0.15)


def test_pause_mid_sentence_silences_the_speaker_until_carry_on(pulse: dict[str, str], recorder: pa.Monitor) -> None:
    needs_espeak()
    from crampvoice.core.phrases import HINTS
    from crampvoice.speak.synth import Pyttsx3Synth

    synth = Pyttsx3Synth()
    paused_message_s = synth.synth(HINTS["keys"].paused).duration_s  # --keyboard: it names the key
    synth.close()
    proc = start_session(pulse)
    try:
        assert proc.stdin is not None
        began = recorder.first_loud_after(time.monotonic())
        time.sleep(4.0)  # into "Start with one leg. Pull your toes up toward your shin. ..."
        paused_at = time.monotonic()
        proc.stdin.write("pause\n")
        proc.stdin.flush()
        time.sleep(7.0)
        # The sentence is cut off; only "Paused. Press c to carry on..." is heard, then nothing.
        assert recorder.loud_between(paused_at, paused_at + 7.0) < paused_message_s + 0.4
        assert recorder.loud_between(paused_at + 5.0, paused_at + 7.0) == 0
        proc.stdin.write("carry on\n")
        proc.stdin.flush()
        assert recorder.first_loud_after(time.monotonic(), timeout_s=5.0) > paused_at + 7.0
        proc.stdin.write("stop\nyes\n")
        proc.stdin.flush()
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.communicate()
    assert began < paused_at and "Stopping now. Take care." in out


def test_with_no_audio_server_it_runs_to_the_end_in_text_and_says_why_once(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}
    done = subprocess.run([*CRAMPVOICE, "run", str(SHORT), "--keyboard"], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Speech is off:") == 1
    assert "Showing everything as text." in done.stdout
    assert done.stdout.rstrip().endswith("you can start again.")
    assert "Traceback" not in done.stderr


def test_a_hung_sound_server_turns_speech_into_text_said_once() -> None:
    needs_espeak()
    if not pa.available():
        pytest.skip("PulseAudio is not installed")
    with pa.pulse_server() as env:
        pid = int(env["CRAMPVOICE_TEST_PULSE_PID"])
        with killed_on_failure(start_session(env)) as proc:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "Quick test."
            os.kill(pid, signal.SIGSTOP)  # the server freezes: every audio call now hangs
            try:
                out, _ = proc.communicate(timeout=120)
            finally:
                os.kill(pid, signal.SIGCONT)
    assert proc.returncode == 0, out
    assert out.count("Speech output stopped working") == 1
    assert out.rstrip().endswith("you can start again.")


SYNTH_FAILS = """
import sys
from crampvoice.speak import synth
real, read = synth.read_wav, []
def fails_after_the_first(path):
    read.append(path)
    if len(read) > 1:
        raise RuntimeError("a fault the test put in")
    return real(path)
synth.read_wav = fails_after_the_first
from crampvoice.cli.app import main
sys.exit(main(sys.argv[1:]))
"""


def test_an_error_synthesis_did_not_expect_turns_speech_into_text_said_once(pulse: dict[str, str]) -> None:
    """Any error in the synthesis thread, not only a device's: the thread ending would leave the
    session waiting for a sentence that never comes, silent, with no step after the first."""
    needs_espeak()
    proc = subprocess.Popen([sys.executable, "-c", SYNTH_FAILS, "run", str(SHORT), "--keyboard"], env=pulse,
                            text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with killed_on_failure(proc):
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert out.count("Speech output stopped working") == 1 and "RuntimeError: a fault the test put in" in out
    assert out.rstrip().endswith("you can start again.")


def test_a_sentence_file_cut_short_is_made_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyttsx3 can leave the sentence's file cut short on a busy machine: made again, not an error."""
    needs_espeak()
    from crampvoice.speak import synth

    cut: list[Path] = []

    def cut_short_once(path: Path) -> Audio:
        if not cut:
            cut.append(path)
            path.write_bytes(path.read_bytes()[:30])  # in the middle of its header
        return read_wav(path)

    monkeypatch.setattr(synth, "read_wav", cut_short_once)
    with synth.Pyttsx3Synth() as made:
        audio = made.synth("Sip some water.")
    assert cut and audio.duration_s > 0.5


def test_voices_and_doctor(pulse: dict[str, str], tmp_path: Path) -> None:
    needs_espeak()
    voices = subprocess.run([*CRAMPVOICE, "voices"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^gmw/en-us\s+English \(America\)\s+\(default\)$", voices, re.M)
    ok = subprocess.run([*CRAMPVOICE, "doctor"], env=pulse, capture_output=True, text=True)
    assert ok.returncode == 0 and "ok       audio output" in ok.stdout
    # the default microphone is read the cheap way, PulseAudio's own client, not PortAudio's ALSA route
    assert "ok       microphone: the default is read through PulseAudio's own client" in ok.stdout
    assert "half-duplex: not heard while it speaks" in ok.stdout  # barge-in's mode (issue 32)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}
    bad = subprocess.run([*CRAMPVOICE, "doctor"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert re.search(r"^PROBLEM  audio output: .+ — next: .+$", bad.stdout, re.M), bad.stdout


def render_to(output: Path | str, script: str = str(SHORT), **popen: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CRAMPVOICE, "render", script, "-o", str(output)], capture_output=True, text=True,
                          timeout=300, **popen)


def test_render_writes_through_a_link_and_into_a_fifo_instead_of_replacing_them(tmp_path: Path) -> None:
    needs_espeak()
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target = tmp_path / "real.wav"
    target.write_bytes(b"old")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    done = render_to(link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and read_wav(target).duration_s > 10
    fifo = tmp_path / "fifo.wav"  # stands for a device such as /dev/null, which a rename would replace
    os.mkfifo(fifo)
    with subprocess.Popen([*CRAMPVOICE, "render", str(SHORT), "-o", str(fifo)], stderr=subprocess.PIPE) as proc:
        received = fifo.read_bytes()  # opens the reading end; the render writes into the pipe
    assert proc.returncode == 0
    # The whole WAV came through the pipe: its header counts exactly the bytes received. (Not the
    # other render's size: under load two syntheses of one script have differed by 13 ms.)
    riff, data = int.from_bytes(received[4:8], "little"), int.from_bytes(received[40:44], "little")
    assert fifo.is_fifo() and received[:4] == b"RIFF" and riff == len(received) - 8 and data == len(received) - 44
    assert abs(len(received) - target.stat().st_size) < 22050 * 2  # within a second of the other render
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.wav", "link.wav", "real.wav"]


def test_a_render_that_cannot_finish_writing_says_so_in_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    needs_espeak()
    import resource

    def small_files() -> None:  # the disk fills up after 2 MB, a sentence fits, the whole render (3 MB) not
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    output = tmp_path / "session.wav"
    done = render_to(output, preexec_fn=small_files)
    assert done.returncode == 1
    # (libpulse, loaded by espeak-ng, complains of its own shared memory first: "ftruncate() failed")
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert done.stderr.splitlines()[-2:] == [f"crampvoice: error: cannot write {output} (File too large)",
                                        "  hint: give a path in a folder you can write to, on a disk with room"]
    assert list(tmp_path.iterdir()) == []
    missing = render_to(tmp_path / "no such folder" / "x.wav")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith(f"crampvoice: error: cannot write {tmp_path}/no such folder/x.wav (No such file")


def test_a_long_render_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    """Fifty minutes of holds is 130 MB of audio; building it in memory took twice that."""
    needs_espeak()
    script = tmp_path / "long.yaml"
    script.write_text("crampvoice: 1\ntitle: Long\nsteps:\n" + "  - stretch: Hold.\n    hold: 600\n" * 5)
    output = tmp_path / "long.wav"
    measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", measure, *CRAMPVOICE, "render", str(script), "-o", str(output)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert output.stat().st_size > 130_000_000
    assert int(done.stdout) < 120_000  # kB of peak memory: the audio itself is not held
