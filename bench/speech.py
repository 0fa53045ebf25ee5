"""Speech out, measured on a private PulseAudio server beside the espeak-ng command line.

Latencies are read the same way for both: what arrives on the virtual speaker's monitor.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pulse import Monitor, available, pulse_server  # noqa: E402

SENTENCES = [
    "Straighten your leg and gently pull your toes up toward your shin.",
    "Rub the calf with firm, gentle strokes.",
    "Lay a warm towel over the calf. Warm, never hot.",
    "Sip some water, and rest the leg.",
    "Hold it for thirty seconds.",
    "Set two of three.",
]
Row = tuple[str, str, str, str]


def _speaker(env: dict[str, str]) -> object:
    import os

    os.environ.update({k: env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")})
    from crampvoice.speak import build_voice_speaker
    from crampvoice.speak.synth import VoiceSettings

    return build_voice_speaker(VoiceSettings(), notify=print)


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(values) * 1000:.0f} / p95 {p95 * 1000:.0f} ms"


def ratio(ours: list[float], theirs: list[float]) -> str:
    return f"x{statistics.median(ours) / statistics.median(theirs):.2f}"


def live_rows() -> list[Row]:
    if not available():
        return [("speech latencies", "skipped: PulseAudio is not installed", "", "")]
    with pulse_server() as env:
        monitor = Monitor(env)
        time.sleep(0.5)  # let the recording settle before the first measure
        speaker = _speaker(env)
        say: Callable[[str], None] = speaker.say  # type: ignore[attr-defined]
        silence: Callable[[], None] = speaker.silence  # type: ignore[attr-defined]
        first, cut, first_cli, cut_cli = [], [], [], []
        for text in SENTENCES * 2:
            t0 = time.monotonic()
            say(text)
            first.append(monitor.first_loud_after(t0) - t0)
            time.sleep(0.6)
            t1 = time.monotonic()
            silence()
            cut.append(monitor.quiet_after(t1) - t1)
            time.sleep(0.5)
            t0 = time.monotonic()
            proc = subprocess.Popen(["espeak-ng", "-v", "en-us", "-s", "160", text], env=env)
            first_cli.append(monitor.first_loud_after(t0) - t0)
            time.sleep(0.6)
            t1 = time.monotonic()
            proc.kill()
            proc.wait()
            cut_cli.append(monitor.quiet_after(t1) - t1)
            time.sleep(0.5)
        speaker.close()  # type: ignore[attr-defined]
        monitor.close()
    return [
        ("sentence queued -> first sound on the speaker", ms(first), ms(first_cli) + " (espeak-ng CLI started)",
         ratio(first, first_cli)),
        ("stop -> silence on the speaker", ms(cut), ms(cut_cli) + " (espeak-ng CLI killed)", ratio(cut, cut_cli)),
    ]


def render_rows() -> list[Row]:
    import tempfile

    from crampvoice import library
    from crampvoice.core.events import Say
    from crampvoice.core.timeline import simulate
    from crampvoice.speak.render import render
    from crampvoice.speak.synth import Pyttsx3Synth

    script = library.load(library.find("calf"))
    with Pyttsx3Synth() as synth:
        start = time.perf_counter()
        audio, _ = render(script, synth)
        ours_s = time.perf_counter() - start
    text = " ".join(dict.fromkeys(m.effect.text for m in simulate(script) if isinstance(m.effect, Say)))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", f"{tmp}/all.wav", text], check=True)
        cli_s = time.perf_counter() - start
        from crampvoice.audio import read_wav

        cli_audio_s = read_wav(Path(tmp) / "all.wav").duration_s
    return [("render calf to WAV, seconds of audio a second",
             f"{audio.duration_s / ours_s:.0f} (whole session, {audio.duration_s:.0f} s)",
             f"{cli_audio_s / cli_s:.0f} (espeak-ng -w, its sentences only, {cli_audio_s:.0f} s)",
             f"x{(audio.duration_s / ours_s) / (cli_audio_s / cli_s):.1f}")]
