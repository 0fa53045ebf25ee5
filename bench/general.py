"""The general recogniser (a voice never taught): the one before Moonshine, pocketsphinx checked by
the verifier, beside Moonshine deciding at an utterance's end and Moonshine deciding early, in one run.

    ./dev.sh bench general [--takes N] [--seeds N]

- speech-dev (../shared/speech-dev): every clip; its commands must be heard, its other words
  and noise not. Moonshine learnt nothing from it and nothing was tuned on it. The verifier
  was trained on all of speech-dev's speakers, so the first row is in-sample here; bench
  verify gives its held-out figure.
- personal-dev (../shared/personal-dev), as a person who has taught nothing but wrote seven
  digits in `words:` for seven commands (the digits chosen per seed, as bench personal does):
  the first N takes of each taught digit must be heard as its command, the first N takes of
  the three untaught digits must not be taken for any command.

Each clip goes frame by frame through the microphone's path (`listen.stream.Listener`), 20 ms
apart as from a microphone (`paced`), so that work begun in the quiet before an utterance's end
has the time it would have: the first command acted on is the answer, and the wall-clock time
from where a command's speech ended (estimated from the clip's loudness, bench/decide.py) to
the decision is the latency of a right one. Rows: today's before Moonshine; Moonshine deciding
at the utterance's end (`AtTheEnd`); Moonshine deciding as soon as the guess begun in the quiet
names a command, as wired. Then the model's start-up and memory, in a process of its own.

On 2026-12-07 (two cores shared with other jobs, load average 4 to 5 through speech-dev, under
2 through personal-dev):

| speech-dev, every clip | commands right | false accepts | decided after speech ends (right ones) |
|---|---|---|---|
| pocketsphinx + verifier (before Moonshine) | 76.5 % (65/85) | 1.0 % (1/102) | p50 946 / p95 2988 ms |
| Moonshine, decided at the utterance's end | 89.4 % (76/85) | 0.0 % (0/102) | p50 380 / p95 647 ms |
| Moonshine, decided early when sure (as wired) | 89.4 % (76/85) | 0.0 % (0/102) | p50 330 / p95 613 ms |

| personal-dev, 7 digits as words:, 5 takes, 2 seeds | commands right | false accepts | decided (right ones) |
|---|---|---|---|
| pocketsphinx + verifier (before Moonshine) | 39.0 % (82/210) | 5.6 % (5/90) | p50 436 / p95 606 ms |
| Moonshine, decided at the utterance's end | 74.3 % (156/210) | 0.0 % (0/90) | p50 370 / p95 527 ms |
| Moonshine, decided early when sure (as wired) | 74.3 % (156/210) | 0.0 % (0/90) | p50 260 / p95 502 ms |

Start-up: shared() returned in 44 ms; import, load and warm-up 0.48 s; 24 MB resident before,
451 MB loaded, 624 MB after 20 two-second transcriptions (peak 624 MB).

The same afternoon on an idle machine, the wired row before and after three changes (the lead-in
kept for an utterance right after another, "go" decided after 300 ms of quiet, the second try on
the voice alone begun in the quiet): speech-dev 89.4 % to 90.6 % (77/85), none taken, p95 451 to
315 ms; personal-dev 74.3 % to 73.3 % (154/210), none taken, p95 500 to 380 ms
(docs/listening.md, Measured).

On 2026-12-06, before homophones and early decisions: Moonshine 89.4 % and 72.4 % (152/210),
none taken, p50 393 / p95 677 and 421 / 708 ms; asking today's where Moonshine made out nothing
heard no more. The same day, cut at the room's floor as the person's voice is: 85.9 % (73/85)
of speech-dev's, one decision 3.1 s late.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from decide import Outcome, row, speech_end_ms  # noqa: E402
from listen import REAL, real_rows  # noqa: E402
from personal import COMMANDS, DIGITS, SPEAKERS, clip  # noqa: E402

from crampvoice.audio import Audio  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.listen.endpoint import FRAME_MS  # noqa: E402
from crampvoice.listen.files import read_audio  # noqa: E402
from crampvoice.listen.moonshine import GeneralRecognizer, MoonshineModel, MoonshineRecognizer  # noqa: E402
from crampvoice.listen.recognizer import Recognizer  # noqa: E402
from crampvoice.listen.stream import Listener, frames_ending_quiet  # noqa: E402
from crampvoice.listen.verifier import VerifiedRecognizer  # noqa: E402

BEFORE, AT_END, EARLY = ("pocketsphinx + verifier (before Moonshine)", "Moonshine, decided at the utterance's end",
                         "Moonshine, decided early when sure (as wired)")
Ways = dict[str, Callable[[Vocabulary], Recognizer]]


class AtTheEnd:
    """A recogniser as it is, but never deciding before an utterance's end (no `early`)."""

    def __init__(self, inner: GeneralRecognizer) -> None:
        self.inner = inner
        self.follows_room = inner.follows_room
        self.expect, self.begin, self.feed, self.end = inner.expect, inner.begin, inner.feed, inner.end


def ways(model: MoonshineModel) -> Ways:
    return {BEFORE: VerifiedRecognizer,
            AT_END: lambda v: AtTheEnd(GeneralRecognizer(MoonshineRecognizer(v, model), VerifiedRecognizer(v))),
            EARLY: lambda v: GeneralRecognizer(MoonshineRecognizer(v, model), VerifiedRecognizer(v))}


def paced(recognizer: Recognizer, audio: Audio, expected: Command | None, end_ms: float) -> Outcome:
    """As bench/decide.py's `decide`, but the frames are pushed as a microphone gives them, 20 ms
    apart, so that work begun before an utterance's end has the time it would have (and an early
    decision, the chance it would have); the time to a decision is then the wall clock's, from
    where speech ended."""
    listener = Listener(recognizer)
    started = time.perf_counter()
    for i, frame in enumerate(frames_ending_quiet(audio)):
        time.sleep(max(0.0, started + (i + 1) * FRAME_MS / 1000 - time.perf_counter()))
        decision = listener.push(frame)
        if decision is not None and decision.heard.command is not None:
            return expected is not None, decision.heard.command is expected, \
                1000 * (time.perf_counter() - started) - end_ms
    return expected is not None, expected is None, None


def end_ms(audio: Audio) -> float:
    """Where speech ends (decide.py's estimate); the clip's end for one too even to estimate."""
    try:
        return speech_end_ms(audio)
    except IndexError:
        return 1000 * len(audio.pcm) / 2 / audio.sample_rate_hz


def speech_dev(folder: Path, made: Ways) -> dict[str, list[Outcome]]:
    rows = real_rows(folder)
    out: dict[str, list[Outcome]] = {}
    for name, make in made.items():
        recognizer = make(Vocabulary())
        out[name] = []
        for clip_row in rows:
            audio = read_audio(folder / clip_row["file"])
            expected = Command(clip_row["command"]) if clip_row["command"] else None
            out[name].append(paced(recognizer, audio, expected, end_ms(audio)))
    return out


def personal_dev(folder: Path, made: Ways, takes: int, seeds: int) -> dict[str, list[Outcome]]:
    out: dict[str, list[Outcome]] = {name: [] for name in made}
    for seed in range(seeds):
        digits = np.random.default_rng(seed).permutation(10)
        words = {int(d): c for d, c in zip(digits, COMMANDS, strict=False)}
        vocabulary = Vocabulary({c: (DIGITS[d],) for d, c in words.items()})
        for name, make in made.items():
            recognizer = make(vocabulary)
            for speaker in SPEAKERS:
                for d in range(10):
                    for t in range(takes):
                        audio = clip(folder, d, speaker, t)
                        expected = words.get(d)
                        out[name].append(paced(recognizer, audio, expected, end_ms(audio)))
    return out


START_UP = """
import json, time
def rss(field='VmRSS'):  # VmHWM, the peak: ru_maxrss would carry the parent's over from the fork
    return int(open('/proc/self/status').read().split(field + ':')[1].split()[0]) // 1024
import numpy
before, started = rss(), time.perf_counter()
from crampvoice.listen.moonshine import MoonshineModel
model = MoonshineModel.shared()
asked = time.perf_counter() - started
model.wait()
loaded = rss()
for _ in range(20):
    model.transcribe(numpy.random.default_rng(1).normal(0, 3000, 16000 * 2).astype(numpy.int16))
print(json.dumps({"asked_ms": 1000 * asked, "load_s": model.load_s, "before_mb": before, "loaded_mb": loaded,
                  "busy_mb": rss(), "peak_mb": rss('VmHWM')}))
"""


def start_up() -> str:
    done = subprocess.run([sys.executable, "-c", START_UP], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(ROOT / "src")})
    f = json.loads(done.stdout)
    return (f"Moonshine start-up: shared() returns in {f['asked_ms']:.1f} ms (the load goes on in its thread); "
            f"import, load and warm-up {f['load_s']:.2f} s. Resident memory {f['before_mb']} MB before, "
            f"{f['loaded_mb']} MB loaded, {f['busy_mb']} MB after 20 two-second transcriptions "
            f"(peak {f['peak_mb']} MB).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, default=REAL)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--takes", type=int, default=5, help="takes of each digit, a person and seed")
    parser.add_argument("--seeds", type=int, default=2, help="choices of the seven digits taken as words")
    parser.add_argument("--only", choices=("speech-dev", "personal-dev"), help="one block only")
    args = parser.parse_args()
    model = MoonshineModel.shared()
    if not model.wait():
        sys.exit(f"Moonshine cannot be loaded here: {model.error}")
    made = ways(model)
    blocks: list[tuple[str, Callable[[], dict[str, list[Outcome]]]]] = [
        ("speech-dev, every clip", lambda: speech_dev(args.real, made)),
              (f"personal-dev, 7 digits as words:, {args.takes} takes a digit, {args.seeds} seeds",
               lambda: personal_dev(args.data, made, args.takes, args.seeds))]
    for title, measure in blocks:
        if args.only and not title.startswith(args.only):
            continue
        print(f"| {title} | commands right | false accepts | decided after speech ends (right ones) |")
        print("|---|---|---|---|")
        for name, outcomes in measure().items():
            print(row(name, outcomes), flush=True)
        print()
    print(start_up())


if __name__ == "__main__":
    main()
