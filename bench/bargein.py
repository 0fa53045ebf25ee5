"""Barge-in, measured offline: real people's "stop" said over the program's own speech.

    ./dev.sh bench bargein [--speech DIR] [--personal DIR] [--delay-ms 60] [--drift-ppm 200]
                           [--person-db 0] [--seed 1] [--only PART-OF-A-ROW'S-NAME ...]

The program's own speech is every distinct sentence of the bundled scripts, synthesised with
the project's synthesiser (espeak-ng through pyttsx3) and strung together with the player's
0.35 s breath. It is "played" through a simulated room: a delay, a clock drift (the speaker's
clock against the microphone's, resampled), a loudspeaker's band and soft clipping, and a short
reverberation. Real people's words are mixed into what the microphone hears at the echo's level
(equal active-speech RMS; `--person-db` louder), always inside a sentence: untaught, speech-dev's
"stop" (17 speakers, each at two moments); taught, personal-dev's three people, each with "seven"
taught as stop and "three" as pause from three takes, six other takes of each said over it.
Each way of listening then hears the whole stream through the project's own streaming path
(`listen.stream.Listener`, the recogniser from `hearing.recognizer_for`), listening while
speaking only for the commands that matter then (stop, pause, emergency, repeat, louder,
quieter).

- caught: the word's command decided from the word's start to 1 s after its end;
- commands elsewhere: any command decided outside those windows, and over the own speech alone
  (the same stream, nobody speaking: the self-triggered count);
- echo left: the own speech alone after the canceller, against before it (dB, active frames);
- CPU: the canceller's compute a second of audio.

Half-duplex (today: nothing heard while it speaks and 0.4 s after) is the baseline in the same
run. Cancellers: WebRTC's AEC3 (the `livekit` wheel's AudioProcessingModule, when installed:
not a dependency) and SpeexDSP's (libspeexdsp through ctypes, with and without its residual
echo suppression, and with a guard), each given as the reference the exact samples played or
the speaker's monitor read on the microphone's clock (the drift in it).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from echo import RATE, TEN_MS, Aec3, Canceller, Floats, Gated, Speex, cancelled, guarded  # noqa: E402  # noqa: E402

from crampvoice import library  # noqa: E402
from crampvoice.audio import Audio, to_mono_16k  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.core.events import Say  # noqa: E402
from crampvoice.core.timeline import simulate  # noqa: E402
from crampvoice.listen import takes  # noqa: E402
from crampvoice.listen.files import read_audio  # noqa: E402
from crampvoice.listen.hearing import recognizer_for  # noqa: E402
from crampvoice.listen.stream import Listener  # noqa: E402
from crampvoice.speak.synth import Pyttsx3Synth  # noqa: E402

BREATH_S = 0.35
GUARD_S = 0.4  # listen/mic.py's
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TAUGHT = {7: Command.STOP, 3: Command.PAUSE}  # personal-dev's digits, as a person's words for these
WHILE_SPEAKING = frozenset({Command.STOP, Command.PAUSE, Command.EMERGENCY, Command.REPEAT, Command.LOUDER,
                            Command.QUIETER})


def own_speech(cache: Path) -> tuple[Floats, list[tuple[int, int]]]:
    """Every distinct sentence of the bundled scripts, one after another, and where each is."""
    if cache.is_file():
        data = np.load(cache)
        return data["x"], [tuple(s) for s in data["spans"]]
    texts = sorted({m.effect.text for e in library.entries() for m in simulate(library.load(e.path))
                    if isinstance(m.effect, Say)})
    parts: list[Floats] = []
    spans: list[tuple[int, int]] = []
    at = 0
    with Pyttsx3Synth() as synth:
        for text in texts:
            s = np.frombuffer(to_mono_16k(synth.synth(text)).pcm, "<i2").astype(np.float64)
            parts += [s, np.zeros(int(BREATH_S * RATE))]
            spans.append((at, at + len(s)))
            at += len(s) + int(BREATH_S * RATE)
    x = np.concatenate(parts)
    np.savez(cache, x=x, spans=np.array(spans))
    return x, spans


def room(x: Floats, delay_ms: float, drift_ppm: float, rng: np.random.Generator) -> Floats:
    """What the microphone hears of `x`: late, on a drifting clock, through a small loudspeaker
    (no bass, soft clipping) and a room (0.3 s reverberation, 20 dB under the direct sound)."""
    n = len(x)
    t = np.arange(n) * (1 + drift_ppm * 1e-6) - delay_ms * RATE / 1000
    y = np.interp(t, np.arange(n), x, left=0.0, right=0.0)
    y = y - np.convolve(y, np.ones(40) / 40, "same")  # about 200 Hz and down taken out
    y = 20000 * np.tanh(y / 20000)
    tail = rng.standard_normal(int(0.3 * RATE)) * np.exp(-np.arange(int(0.3 * RATE)) / (0.3 * RATE / 6.9))
    ir = np.concatenate([[1.0], np.zeros(int(0.004 * RATE)), [0.4], np.zeros(int(0.007 * RATE)), [-0.25]])
    ir = np.concatenate([ir, np.zeros(len(tail) - len(ir))]) + 0.1 * tail / np.sqrt(np.sum(tail**2))
    return np.convolve(y, ir)[:n]


def active_rms(x: Floats) -> float:
    frames = x[: len(x) // TEN_MS * TEN_MS].reshape(-1, TEN_MS)
    power = np.mean(frames**2, axis=1)
    loud = power[power > power.max() * 10 ** (-40 / 10)]
    return float(np.sqrt(np.mean(loud)))


Word = tuple[str, Command, Floats]  # who, what it means, the samples


def samples(path: Path) -> Floats:
    return np.frombuffer(to_mono_16k(read_audio(path)).pcm, "<i2").astype(np.float64)


def stops(folder: Path) -> list[Word]:
    rows = csv.DictReader((folder / "manifest.csv").open())
    return [(r["speaker"], Command.STOP, samples(folder / r["file"]))
            for r in rows if r["kind"] == "command" and r["transcript"] == "stop"]


def taught(folder: Path, speaker: str, root: Path, *, k: int = 3, heard: int = 6,
           over: Floats | None = None, over_db: float = -24.0) -> list[Word]:
    """personal-dev: the speaker's "seven" taught as stop and "three" as pause from K takes each
    (as `words add` keeps a recording); `heard` of their other takes of each, to be said over speech.
    `over`: the program's own speech, each take also taught mixed into a stretch of it at
    `over_db` under the take (the echo a canceller leaves: the issue's third way)."""
    words: list[Word] = []
    rng = np.random.default_rng(k)
    for digit, command in TAUGHT.items():
        for t in range(k):
            take = takes.spoken_part(to_mono_16k(read_audio(folder / "audio" / f"{digit}_{speaker}_{t}.wav")))
            if take is None:
                continue
            takes.add(take, command, DIGITS[digit], root)
            if over is not None:
                w = np.frombuffer(take.pcm, "<i2").astype(np.float64)
                at = int(rng.integers(0, len(over) - len(w)))
                stretch = over[at:at + len(w)]
                mixed = w + stretch * active_rms(w) * 10 ** (over_db / 20) / max(active_rms(stretch), 1.0)
                takes.add(Audio(np.clip(mixed, -32768, 32767).astype("<i2").tobytes(), RATE), command,
                          DIGITS[digit], root)
        words += [(speaker, command, samples(folder / "audio" / f"{digit}_{speaker}_{t}.wav"))
                  for t in range(k, k + heard)]
    return words


@dataclass(frozen=True, slots=True)
class Trial:
    speaker: str
    command: Command
    start: int
    end: int


def place(words: Sequence[Word], spans: list[tuple[int, int]], echo_rms: float, n: int, *,
          rng: np.random.Generator, times: int = 2) -> tuple[Floats, list[Trial]]:
    """The people's words, each `times` over, inside sentences at least 4 s apart, at the echo's level."""
    near = np.zeros(n)
    trials: list[Trial] = []
    taken_until = 0
    for _ in range(times):
        for speaker, command, w in words:
            for a, b in spans:
                earliest = max(a + int(0.2 * RATE), taken_until)
                if b - len(w) > earliest:
                    break
            else:
                raise SystemExit("not enough speech to place every word")
            at = int(earliest + rng.integers(0, min(RATE, b - len(w) - earliest)))
            near[at:at + len(w)] += w * echo_rms / active_rms(w)
            trials.append(Trial(speaker, command, at, at + len(w)))
            taken_until = at + len(w) + 5 * RATE
    return near, trials


def decisions(heard: Floats, deaf: Callable[[int], bool], root: Path | None) -> Iterator[tuple[int, Command]]:
    """(sample, command) for each command decided in `heard`, listening as the microphone does
    (with the person's model taught in `root`, if given)."""
    recognizer, _ = recognizer_for(Vocabulary(), root, wait_s=None)  # Moonshine loaded, as after a few seconds
    recognizer.expect(WHILE_SPEAKING)
    listener = Listener(recognizer)
    pcm = np.clip(heard, -32768, 32767).astype("<i2").tobytes()
    step = 2 * 2 * TEN_MS
    for i in range(0, len(pcm) - step + 1, step):
        at = i // 2
        if deaf(at):
            listener.drop()
            continue
        decision = listener.push(pcm[i:i + step])
        if decision is not None and decision.heard.command is not None:
            yield at + 2 * TEN_MS, decision.heard.command


def speaking_mask(spans: list[tuple[int, int]], n: int) -> np.ndarray:
    """Half-duplex's deafness: each sentence, and GUARD_S after it."""
    mask = np.zeros(n, bool)
    for a, b in spans:
        mask[a:b + int(GUARD_S * RATE)] = True
    return mask


@dataclass
class Row:
    name: str
    caught: int = 0
    trials: int = 0
    self_mixed: int = 0
    self_alone: int = 0
    echo_left_db: float = float("nan")
    cpu: float = 0.0


@dataclass(frozen=True, slots=True)
class Way:
    make: Callable[[], Canceller] | None  # None: half-duplex
    reference: Floats  # what the canceller is given as played
    guard_db: float | None = None
    run: int = 1  # 20 ms frames in a row that must stand out of the echo
    hang_db: float = 0.0  # once they have, how much less will do, to the word's end


def measure(name: str, way: Way, echo: Floats, near: Floats, *, trials: list[Trial], mask: np.ndarray,
            root: Path | None = None) -> Row:
    row = Row(name, trials=len(trials))
    make = way.make
    deaf: Callable[[int], bool] = (lambda at: bool(mask[at])) if make is None else (lambda at: False)
    alone, mixed = echo, echo + near
    if make is not None:
        alone, row.cpu = cancelled(echo, way.reference, make())
        mixed, _ = cancelled(echo + near, way.reference, make())
        if way.guard_db is not None:
            alone, mixed = (guarded(v, way.reference, way.guard_db, way.run, way.hang_db) for v in (alone, mixed))
        settle = 15 * RATE  # the first 15 s left out of the echo measure: it settles
        if echo.any():
            row.echo_left_db = 10 * np.log10(np.mean(alone[settle:] ** 2) / np.mean(echo[settle:len(alone)] ** 2))
    windows = [(t.start, t.end + RATE, t.command) for t in trials]
    for at, command in decisions(mixed, deaf, root):
        inside = [w for w in windows if w[0] <= at <= w[1]]
        if inside and command is inside[0][2]:
            row.caught += 1
            windows.remove(inside[0])
        elif not inside:
            row.self_mixed += 1
    row.self_alone = sum(1 for _ in decisions(alone, deaf, root))
    return row


TAUGHT_ROWS = ("the words over silence (the recogniser's ceiling)", "half-duplex (today)",
               "WebRTC AEC3 (livekit), monitor reference", "SpeexDSP, linear, monitor reference, 15 dB guard",
               "SpeexDSP, linear, monitor reference, 20 dB guard",
               "SpeexDSP, linear, monitor reference, 20 dB guard, 80 ms in a row",
               "SpeexDSP, linear, monitor reference, 20 dB guard, 80 ms in a row, 10 dB hang")
# The third way: the person's takes taught also mixed into the program's own speech, at the level
# of the echo the linear canceller leaves (-24 dB, its row above); heard through that canceller.
OVER_ROWS = ("SpeexDSP, linear, monitor reference", "SpeexDSP, linear, monitor reference, 15 dB guard",
             "SpeexDSP, linear, monitor reference, 20 dB guard",
             "SpeexDSP, linear, monitor reference, 20 dB guard, 80 ms in a row",
             "SpeexDSP, linear, monitor reference, 20 dB guard, 80 ms in a row, 10 dB hang")


@dataclass(frozen=True, slots=True)
class Stage:
    """What every row hears the same: the speech played, where its sentences are, what the
    microphone hears of it, when half-duplex is deaf, and the seed that places the words."""
    x: Floats
    spans: list[tuple[int, int]]
    echo: Floats
    mask: np.ndarray
    seed: int
    person_db: float = 0.0  # the people's words over the echo's level


def line(name: str, way: Way, groups: Sequence[tuple[list[Word], Path | None]], stage: Stage) -> None:
    """One row of the table: each group's words said over the speech, heard with its own model."""
    x, spans, echo, mask, seed = stage.x, stage.spans, stage.echo, stage.mask, stage.seed
    total = Row(name)
    rng = np.random.default_rng(seed)
    for words, root in groups:
        near, trials = place(words, spans, active_rms(echo) * 10 ** (stage.person_db / 20), len(x), rng=rng)
        heard = np.zeros(len(x)) if "ceiling" in name else echo
        try:
            row = measure(name, way, heard, near, trials=trials, mask=mask, root=root)
        except (ImportError, OSError) as e:  # no livekit wheel, no libspeexdsp
            print(f"| {name} | not installed ({e}) | | | |", flush=True)
            return
        total.caught += row.caught
        total.trials += row.trials
        total.self_mixed += row.self_mixed
        total.self_alone += row.self_alone
        total.echo_left_db, total.cpu = row.echo_left_db, row.cpu
    echo_left = "—" if np.isnan(total.echo_left_db) else f"{total.echo_left_db:.0f} dB"
    print(f"| {name} | {total.caught} of {total.trials} ({100 * total.caught / total.trials:.0f} %) | "
          f"{total.self_mixed} / {total.self_alone} | {echo_left} | {100 * total.cpu:.1f} % |",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    parser.add_argument("--delay-ms", type=float, default=60.0)
    parser.add_argument("--drift-ppm", type=float, default=200.0)
    parser.add_argument("--monitor-lead-ms", type=float, default=20.0,
                        help="how far the monitor leads the microphone (80 through the virtual loopback)")
    parser.add_argument("--personal", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--person-db", type=float, default=0.0, help="the people's words this much over the echo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--taught-over-db", type=float, default=-24.0,
                        help="the own speech under each take taught over it (the third way)")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x, spans = own_speech(Path("/tmp") / "crampvoice-bargein-speech.npz")
    echo = room(x, args.delay_ms, args.drift_ppm, rng)
    echo += rng.standard_normal(len(echo)) * 3.0  # a quiet room's floor, about -80 dBFS
    mask = speaking_mask(spans, len(x))
    # The speaker's monitor read on the microphone's clock: the drift is in it, and it leads the
    # microphone by the room's delay less the sound server's latency (by default 60 - 40 ms).
    monitor = np.interp(np.arange(len(x)) * (1 + args.drift_ppm * 1e-6) - args.monitor_lead_ms * RATE / 1000,
                        np.arange(len(x)), x, left=0.0, right=0.0)
    ways: dict[str, Way] = {
        "the words over silence (the recogniser's ceiling)": Way(Canceller, x),
        "half-duplex (today)": Way(None, x),
        "full duplex, no canceller": Way(Canceller, x),
        "SpeexDSP, linear": Way(Speex, x),
        "SpeexDSP, with residual suppression": Way(lambda: Speex(suppress=True), x),
        "WebRTC AEC3 (livekit)": Way(lambda: Aec3(int(args.delay_ms)), x),
        "SpeexDSP, linear, monitor reference": Way(Speex, monitor),
        "SpeexDSP, linear, monitor reference, 10 dB guard": Way(Speex, monitor, 10.0),
        "SpeexDSP, linear, monitor reference, 15 dB guard": Way(Speex, monitor, 15.0),
        "SpeexDSP, linear, monitor reference, 20 dB guard": Way(Speex, monitor, 20.0),
        "SpeexDSP, linear, monitor reference, 20 dB guard, 80 ms in a row": Way(Speex, monitor, 20.0, 4),
        "SpeexDSP, linear, monitor reference, 20 dB guard, 80 ms in a row, 10 dB hang":
            Way(Speex, monitor, 20.0, 4, 10.0),
        "SpeexDSP, residual suppression, monitor reference": Way(lambda: Speex(suppress=True), monitor),
        "WebRTC AEC3 (livekit), monitor reference": Way(lambda: Aec3(40), monitor),
        "SpeexDSP heard where AEC3 hears a voice, monitor reference": Way(lambda: Gated(40), monitor),
    }
    print(f"own speech {len(x) / RATE:.0f} s; room: {args.delay_ms:g} ms late, {args.drift_ppm:g} ppm drift",
          flush=True)
    print("| way | caught | commands elsewhere: with the words / speech alone | echo left | CPU |")
    print("|---|---|---|---|---|")
    untaught = [(stops(args.speech), None)]
    stage = Stage(x, spans, echo, mask, args.seed, args.person_db)
    for name, way in ways.items():
        if not args.only or any(o.lower() in name.lower() for o in args.only):
            line(f"untaught, speech-dev's 'stop': {name}", way, untaught, stage)
    if not (args.personal / "README.md").is_file():
        return 0
    with tempfile.TemporaryDirectory() as folder:
        groups = []
        for speaker in ("george", "jackson", "lucas"):
            (Path(folder) / speaker).mkdir()
            groups.append((taught(args.personal, speaker, Path(folder) / speaker), Path(folder) / speaker))
        for name, way in ways.items():
            if (not args.only or any(o.lower() in name.lower() for o in args.only)) and name in TAUGHT_ROWS:
                line(f"taught, personal-dev 'stop'/'pause': {name}", way, groups, stage)
        over = []
        for speaker in ("george", "jackson", "lucas"):
            (Path(folder) / f"{speaker}-over").mkdir()
            root = Path(folder) / f"{speaker}-over"
            over.append((taught(args.personal, speaker, root, over=x, over_db=args.taught_over_db), root))
        for name, way in ways.items():
            if (not args.only or any(o.lower() in name.lower() for o in args.only)) and name in OVER_ROWS:
                line(f"taught, and taught over its own speech at {args.taught_over_db:g} dB: {name}", way, over,
                     stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
