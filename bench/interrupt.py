"""Barge-in another way, measured offline: stop speaking when a voice not the program's is heard
over it, then hear the word.

    ./dev.sh bench interrupt [--stop-ms 150] [--over-db 20] [--seed 1]

The same room, speech and words as `bench bargein`. WebRTC's AEC3 (the `livekit` wheel, when
installed), given the speaker's monitor on the microphone's clock, takes the echo to the room's
floor; a voice that is not the program's stands out of it. When AEC3's output stands `--over-db`
over the room's floor (the quietest tenth of the last 2 s) for three 20 ms frames running, the
speech stops `--stop-ms` later (the player empties its buffer), and the word is heard as the
microphone path hears it: AEC3's output up to the stop, then the microphone as it is (the
speech's echo dies away in the room). Measured:

- caught: the word's command decided, as in `bench bargein`;
- interruptions: the detector firing over the speech alone, nobody speaking (each would stop a
  sentence for nothing: it would be said again), a minute of speech;
- commands of its own: any command decided over the speech alone, listening as above.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bargein import (  # noqa: E402
    Word,
    active_rms,
    own_speech,
    place,
    room,
    stops,
    taught,
)
from echo import RATE, Aec3, Floats, Speex, cancelled  # noqa: E402

from crampvoice.audio import Audio  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.listen.hearing import recognizer_for  # noqa: E402
from crampvoice.listen.stream import recognize  # noqa: E402

FRAME = RATE // 50
RUN = 3  # frames over the floor, running, that make a voice


def detections(out: Floats, over_db: float) -> list[int]:
    """Where a voice not the program's begins in AEC3's output (samples), once a second at most."""
    frames = len(out) // FRAME
    power = np.mean(out[: frames * FRAME].reshape(frames, FRAME) ** 2, axis=1) + 1.0
    found: list[int] = []
    run, quiet_until = 0, 0
    for i in range(frames):
        floor = np.percentile(power[max(0, i - 100):i + 1], 10)
        run = run + 1 if power[i] > floor * 10 ** (over_db / 10) else 0
        if run >= RUN and i >= quiet_until:
            found.append((i + 1) * FRAME)
            quiet_until = i + 50
    return found


def command_heard(audio: Floats, root: Path | None) -> Command | None:
    recognizer, _ = recognizer_for(Vocabulary(), root)
    decision = recognize(Audio(np.clip(audio, -32768, 32767).astype("<i2").tobytes(), RATE), recognizer)
    return decision.heard.command if decision else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    parser.add_argument("--personal", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--delay-ms", type=float, default=60.0)
    parser.add_argument("--drift-ppm", type=float, default=200.0)
    parser.add_argument("--stop-ms", type=float, default=150.0)
    parser.add_argument("--over-db", type=float, nargs="+", default=[20.0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x, spans = own_speech(Path("/tmp") / "crampvoice-bargein-speech.npz")
    delay = args.delay_ms * RATE / 1000
    echo = room(x, args.delay_ms, args.drift_ppm, rng) + rng.standard_normal(len(x)) * 3.0
    monitor = np.interp(np.arange(len(x)) * (1 + args.drift_ppm * 1e-6) - delay + 0.04 * RATE,
                        np.arange(len(x)), x, left=0.0, right=0.0)
    try:
        alone, cpu = cancelled(echo, monitor, Aec3(40))
    except ImportError as e:
        print(f"bench interrupt needs the livekit wheel, which crampvoice does not depend on ({e}): "
              "pip install livekit into a scratch virtual environment with crampvoice, and run it there")
        return 1
    minutes = len(x) / RATE / 60
    with tempfile.TemporaryDirectory() as folder:
        groups: list[tuple[str, list[Word], Path | None]] = [
            ("untaught, speech-dev's 'stop'", stops(args.speech), None)]
        if (args.personal / "README.md").is_file():
            for speaker in ("george", "jackson", "lucas"):
                (Path(folder) / speaker).mkdir()
                groups.append((f"taught, {speaker}'s 'stop'/'pause'", taught(args.personal, speaker,
                                                                            Path(folder) / speaker),
                               Path(folder) / speaker))
        print(f"AEC3 {100 * cpu:.1f} % of a core; the speech stops {args.stop_ms:g} ms after a voice is found")
        print("| over the floor | words | caught: AEC3's output / SpeexDSP's from 0.4 s before the voice was "
              "found | found, p50 after the word began | interruptions over the speech alone, a minute | "
              "commands of its own |")
        print("|---|---|---|---|---|---|")
        for over_db in args.over_db:
            false = detections(alone, over_db)
            own = sum(command_heard(np.concatenate([alone[max(0, f - RATE):f + int(args.stop_ms * RATE / 1000)],
                                                    np.zeros(RATE)]), root=groups[-1][2]) is not None for f in false)
            for name, words, root in groups:
                caught, from_linear, lags = 0, 0, []
                local = np.random.default_rng(args.seed)
                near, trials = place(words, spans, active_rms(echo), len(x), rng=local)
                mixed, _ = cancelled(echo + near, monitor, Aec3(40))
                linear, _ = cancelled(echo + near, monitor, Speex())
                found = detections(mixed, over_db)
                for t in trials:
                    hit = [f for f in found if t.start <= f <= t.end + RATE // 2]
                    if not hit:
                        continue
                    lags.append((hit[0] - t.start) / RATE * 1000)
                    stop_at = hit[0] + int(args.stop_ms * RATE / 1000)
                    played = x.copy()
                    played[stop_at:] = 0.0  # never played; what was, still reaches the microphone `delay` later
                    tail = room(played[: t.end + 2 * RATE], args.delay_ms, args.drift_ppm, np.random.default_rng(0))
                    begin = max(0, t.start - RATE)
                    after = (near[: len(tail)] + tail[: len(near)])[stop_at:t.end + RATE]
                    caught += command_heard(np.concatenate([mixed[begin:stop_at], after]), root) is t.command
                    opened = hit[0] - int(0.4 * RATE)  # the detector opens the utterance
                    from_linear += command_heard(np.concatenate([linear[opened:stop_at], after]), root) is t.command
                lag = f"{np.median(lags):.0f} ms" if lags else "—"
                print(f"| {over_db:g} dB | {name} | {caught} / {from_linear} of {len(trials)} | {len(lags)} found, "
                      f"{lag} | {len(false) / minutes:.1f} | {own} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
