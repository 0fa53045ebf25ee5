"""The personal recogniser, measured on real people beside what a person could use without it.

    ./dev.sh bench personal [--seeds N] [--takes K ...] [--data DIR] [--speech DIR]

Data: ../shared/personal-dev (three people, fifty takes of each digit) and ../shared/speech-dev
(other people's words and noise), when they are beside the project. Each person, each seed:
seven digits stand for seven commands (the person says "seven" for next), K takes of each are
taught through `crampvoice.listen.takes` and the model built as `teach` builds it; then every
other take goes through the same streaming path as the microphone (`listen.stream.recognize`).

- right: the person's other takes of a taught word heard as its command (clean, and at 10 dB
  with speech-dev's room noise mixed in);
- false accepts: the person's three untaught digits, other people's non-command speech, noise.

Beside it, in the same run, the ways a person has without teaching: today's recogniser
(pocketsphinx, the digits added as the person's words in settings) and the stock
SpeechRecognition call (`recognize_sphinx(keyword_entries=...)`), on a sample of the takes.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crampvoice.audio import Audio, to_mono_16k  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.listen import takes  # noqa: E402
from crampvoice.listen.embedding import Embedder  # noqa: E402
from crampvoice.listen.files import read_audio, speech_recognition  # noqa: E402
from crampvoice.listen.hearing import Combined, build_from_takes  # noqa: E402
from crampvoice.listen.personal import PersonalRecognizer  # noqa: E402
from crampvoice.listen.recognizer import Recognizer  # noqa: E402
from crampvoice.listen.sphinx import SphinxRecognizer  # noqa: E402
from crampvoice.listen.stream import recognize  # noqa: E402

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SPEAKERS = ("george", "jackson", "lucas")
COMMANDS = (Command.NEXT, Command.BACK, Command.REPEAT, Command.PAUSE, Command.RESUME, Command.STOP, Command.HELP)
TAUGHT = len(COMMANDS)


def clip(folder: Path, digit: int, speaker: str, take: int) -> Audio:
    return to_mono_16k(read_audio(folder / "audio" / f"{digit}_{speaker}_{take}.wav"))


def noisy(audio: Audio, noise: Audio, snr_db: float, rng: np.random.Generator) -> Audio:
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    n = np.frombuffer(noise.pcm, "<i2").astype(np.float64)
    start = int(rng.integers(0, max(1, len(n) - len(x))))
    n = np.resize(n[start:], len(x))
    gain = np.sqrt(np.mean(x**2) / (np.mean(n**2) + 1e-9)) / 10 ** (snr_db / 20)
    return Audio(np.clip(x + gain * n, -32768, 32767).astype("<i2").tobytes(), audio.sample_rate_hz)


def heard_as(recognizer: Recognizer, audio: Audio) -> tuple[Command | None, int | None]:
    decision = recognize(audio, recognizer)
    return (decision.heard.command if decision else None), (decision.decided_ms if decision else None)


def stock(mapping: dict[str, Command]) -> Callable[[Audio], Command | None]:
    sr = speech_recognition()
    recognizer = sr.Recognizer()

    def hear(audio: Audio) -> Command | None:
        data = sr.AudioData(audio.pcm, audio.sample_rate_hz, 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                text = str(recognizer.recognize_sphinx(data, keyword_entries=[(w, 0.5) for w in mapping]))
        except (sr.UnknownValueError, IndexError):
            return None
        found = sorted((text.find(w), w) for w in mapping if w in text)
        return mapping[found[0][1]] if found else None

    return hear


def percent(hits: list[bool]) -> float:
    return 100 * sum(hits) / len(hits) if hits else float("nan")


def main() -> None:  # noqa: PLR0915 - one measurement, read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--takes", type=int, nargs="+", default=[3, 1])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    parser.add_argument("--baseline-takes", type=int, default=8, help="takes of each digit the baselines hear")
    args = parser.parse_args()
    if not (args.data / "audio").is_dir():
        sys.exit(f"no recordings at {args.data}: give --data DIR (personal-dev's layout)")
    rows = list(csv.DictReader((args.speech / "manifest.csv").open())) if args.speech.is_dir() else []
    others = [(r["kind"], to_mono_16k(read_audio(args.speech / r["file"]))) for r in rows if r["kind"] != "command"]
    noises = [a for kind, a in others if kind == "noise"] or [Audio(np.random.default_rng(1).normal(
        0, 300, 16000 * 5).astype("<i2").tobytes(), 16000)]
    embedder = Embedder()
    figures: dict[str, list[float]] = {}
    times = {"build": [], "decide": []}

    def add(key: str, value: float) -> None:
        figures.setdefault(key, []).append(value)

    for k in args.takes:
        for speaker in SPEAKERS:
            for seed in range(args.seeds):
                rng = np.random.default_rng(seed)
                digits = rng.permutation(10)
                taught, untaught = digits[:TAUGHT], digits[TAUGHT:]
                order = {int(d): rng.permutation(50) for d in taught}
                with tempfile.TemporaryDirectory() as folder:
                    root = Path(folder)
                    for d, command in zip(taught, COMMANDS, strict=True):
                        for t in order[int(d)][:k]:
                            takes.add(clip(args.data, int(d), speaker, int(t)), command, DIGITS[d], root)
                    started = time.perf_counter()
                    built = build_from_takes(root, embedder)
                    times["build"].append(time.perf_counter() - started)
                assert built.model is not None
                personal = PersonalRecognizer(built.model, embedder)
                right, right10, fa_own, fa_speech, fa_noise = [], [], [], [], []
                for d, command in zip(taught, COMMANDS, strict=True):
                    for t in order[int(d)][k:]:
                        audio = clip(args.data, int(d), speaker, int(t))
                        started = time.perf_counter()
                        got, _ = heard_as(personal, audio)
                        times["decide"].append(time.perf_counter() - started)
                        right.append(got is command)
                        right10.append(heard_as(personal, noisy(audio, noises[t % len(noises)], 10, rng))[0] is command)
                for d in untaught:
                    fa_own += [heard_as(personal, clip(args.data, int(d), speaker, t))[0] is not None
                               for t in range(50)]
                for kind, audio in others:
                    (fa_noise if kind == "noise" else fa_speech).append(heard_as(personal, audio)[0] is not None)
                for key, hits in (("right", right), ("right 10 dB", right10), ("false: own other words", fa_own),
                                  ("false: other people's speech", fa_speech), ("false: noise", fa_noise)):
                    add(f"{k}|{key}", percent(hits))
                if k == args.takes[0] and seed == 0:
                    words = {DIGITS[d]: c for d, c in zip(taught, COMMANDS, strict=True)}
                    vocabulary = Vocabulary({c: (w,) for w, c in words.items()})
                    sphinx = SphinxRecognizer(vocabulary)
                    hear_stock = stock(words)
                    combined = Combined(personal, SphinxRecognizer(vocabulary, skip=frozenset(words)))
                    sample = [(d, t) for d in range(10) for t in range(args.baseline_takes)]
                    for name, hear in (("today's recogniser", lambda a: heard_as(sphinx, a)[0]),
                                       ("stock recognize_sphinx", hear_stock),
                                       ("as run hears (personal + general)", lambda a: heard_as(combined, a)[0])):
                        hits, wrong = [], []
                        for d, t in sample:
                            got = hear(clip(args.data, d, speaker, t))
                            expected = words.get(DIGITS[d])
                            (hits if expected else wrong).append(got is expected if expected else got is not None)
                        add(f"base|{name}|right", percent(hits))
                        add(f"base|{name}|false", percent(wrong))
                        add(f"base|{name}|speech", percent([hear(a) is not None for kind, a in others
                                                            if kind != "noise"]))
    print(f"| measure (3 people of personal-dev, {args.seeds} seeds, 7 words taught) | "
          + " | ".join(f"{k} take{'s' if k > 1 else ''} a word" for k in args.takes) + " |")
    print("|---|" + "---|" * len(args.takes))
    for key in ("right", "right 10 dB", "false: own other words", "false: other people's speech", "false: noise"):
        print(f"| {key} | " + " | ".join(f"{statistics.mean(figures[f'{k}|{key}']):.1f} %" for k in args.takes) + " |")
    print()
    print(f"| the same people, {args.baseline_takes} takes of each digit | right | false (untaught digits) | "
          "false (other people's speech) |")
    print("|---|---|---|---|")
    for name in ("as run hears (personal + general)", "today's recogniser", "stock recognize_sphinx"):
        print(f"| {name} | " + " | ".join(f"{statistics.mean(figures[f'base|{name}|{m}']):.1f} %"
                                         for m in ("right", "false", "speech")) + " |")
    print()
    decide = sorted(times["decide"])
    print(f"model built in p50 {statistics.median(times['build']):.1f} s / max {max(times['build']):.1f} s; "
          f"an utterance heard in p50 {1000 * statistics.median(decide):.0f} ms / "
          f"p95 {1000 * decide[int(0.95 * len(decide))]:.0f} ms of compute (the whole clip, endpointing included)")


if __name__ == "__main__":
    main()
