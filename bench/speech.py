"""Speech out, measured on a private PulseAudio server beside the espeak-ng command line.

Latencies are read the same way for both: what arrives on the virtual speaker's monitor.
"""

from __future__ import annotations

import array
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pulse import available, pulse_server  # noqa: E402

SENTENCES = [
    "Straighten your leg and gently pull your toes up toward your shin.",
    "Rub the calf with firm, gentle strokes.",
    "Lay a warm towel over the calf. Warm, never hot.",
    "Sip some water, and rest the leg.",
    "Hold it for thirty seconds.",
    "Set two of three.",
]
LOUD = 300
Row = tuple[str, str, str, str]


class Monitor:
    """Peaks of what reaches the virtual speaker, 10 ms a frame, stamped on arrival."""

    def __init__(self, env: dict[str, str]) -> None:
        self.frames: list[tuple[float, int]] = []
        self._proc = subprocess.Popen(["parec", "--device=spk.monitor", "--rate=16000", "--channels=1",
                                       "--format=s16le", "--latency-msec=5"], env=env, stdout=subprocess.PIPE)
        threading.Thread(target=self._read, daemon=True).start()
        time.sleep(0.5)

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read(320):
            self.frames.append((time.monotonic(), max(map(abs, array.array("h", chunk)), default=0)))

    def first_loud_after(self, t: float, timeout_s: float = 5.0) -> float:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            hits = [at for at, peak in self.frames if at >= t and peak > LOUD]
            if hits:
                return hits[0]
            time.sleep(0.005)
        raise RuntimeError("nothing was heard")

    def quiet_after(self, t: float, hold_s: float = 0.3) -> float:
        """The arrival of the first quiet frame after `t` that stays quiet for `hold_s`."""
        time.sleep(hold_s + 0.3)
        frames = [(at, peak) for at, peak in self.frames if at >= t]
        for i, (at, _) in enumerate(frames):
            if all(p <= LOUD for a, p in frames[i:] if a < at + hold_s):
                return at
        raise RuntimeError("it never went quiet")

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait()


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
    from crampvoice.events import Say
    from crampvoice.speak.render import render
    from crampvoice.speak.synth import Pyttsx3Synth
    from crampvoice.timeline import simulate

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
