"""The personal recogniser, measured on real people beside what a person could use without it.

    ./dev.sh bench personal [--seeds N] [--first-seed S] [--takes K ...] [--speakers ...]
                            [--second pocketsphinx|moonshine] [--no-more] [--no-baselines] [--said FILE]

Data: ../shared/personal-dev (three people, fifty takes of each digit) and ../shared/speech-dev
(other people's words and noise), when they are beside the project. Each person, each seed:
seven digits stand for seven commands (the person says "seven" for next), K takes of each are
taught through `crampvoice.listen.takes` and the model built as `teach` builds it; then every
other take goes through the same streaming path as the microphone (`listen.stream.recognize`),
heard by the model with its second opinion as `run` hears a taught word
(`hearing.personal_recognizer`).

- right: the person's other takes of a taught word heard as its command (clean, and at 10 dB
  with speech-dev's room noise mixed in: over the take only, and all along, as in a room where
  the noise goes on, from 1.5 s before the take to 1 s after it; and 20 and 30 dB softer than
  taught, as from across the room or in a weak voice, over a quiet room's -65 dBFS);
- "3 takes, more where unsure": as `teach` does, two more takes of each word the model built
  from three is unsure of (`PersonalModel.unsure`), then the model built again; every word is
  then heard on its takes after the fifth, so that all words are heard on the same takes;
- false accepts: the person's three untaught digits (as recorded, and at 10 dB with the noise
  all along, as the words they taught are heard), other people's non-command speech, noise.
  Some of speech-dev's speech is digits: another person saying a digit this person taught is
  no false accept (crampvoice hears a word, not whose voice it is, so a caregiver's "next"
  counts), and is its own row, heard as the word's command.

Each row is given for each rule of the check on the words the model acts on (veto.RULES,
issue 29): "today", the model and its second opinion alone; "names another", a word turned away
when Moonshine's transcript of the utterance names another command's phrase; "any other words",
when it writes any words that are not the word (nor one that sounds like it, "to" for two);
"other words, near its gate", the same only for a word within 0.95 of its gate's distance
(`veto.NEAR_GATE`: the rule `run` hears with). Moonshine is asked about every word the model
acts on, once, and each rule's decision is worked out from what it wrote, so all the rules are
measured on the same hearing (an utterance turned away counts as nothing heard: in the rare clip
with a second utterance after it, that one is not heard). Moonshine's time on each, which a rule
adds to that decision, is printed (p50 and p95, over the taught words heard clean, counting 0 for
a word the rule does not ask about). `--said FILE` writes each word acted on with what Moonshine
wrote, the head's score and its distance over the gate, and what it wrote of the takes (TSV).
Seeds from 2 on were used to choose the rules (george and lucas, `--first-seed 2`); the bench's
own are 0 and 1.

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
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crampvoice.audio import Audio, to_mono_16k  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.listen import takes  # noqa: E402
from crampvoice.listen.embedding import Embedder  # noqa: E402
from crampvoice.listen.files import read_audio, speech_recognition  # noqa: E402
from crampvoice.listen.hearing import Combined, build_from_takes, personal_recognizer  # noqa: E402
from crampvoice.listen.moonshine import MoonshineModel  # noqa: E402
from crampvoice.listen.personal import Decided, Label, PersonalModel, PersonalRecognizer, Samples, _stretch  # noqa: E402
from crampvoice.listen.recognizer import Recognizer  # noqa: E402
from crampvoice.listen.sphinx import SphinxRecognizer  # noqa: E402
from crampvoice.listen.stream import recognize  # noqa: E402
from crampvoice.listen.veto import NOTHING, RULES, MoonshineVeto, verdict  # noqa: E402
from crampvoice.teach import MORE  # noqa: E402

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SPEAKERS = ("george", "jackson", "lucas")
COMMANDS = (Command.NEXT, Command.BACK, Command.REPEAT, Command.PAUSE, Command.RESUME, Command.STOP, Command.HELP)
TAUGHT = len(COMMANDS)
MEASURES = ("right", "right 10 dB", "right 10 dB, noise all along", "right 20 dB softer, a quiet room",
            "right 30 dB softer, a quiet room", "right: another person saying a taught word",
            "false: own other words", "false: own other words, 10 dB noise all along", "false: other people's speech",
            "false: noise")
ALONG_S = (1.5, 1.0)  # "noise all along": seconds of the same noise before and after the take
ROOM_DBFS, ROOM_S = -65.0, 0.5  # "softer": the quiet room's pink noise, and seconds of it before and after the take


def speech_dev(folder: Path) -> list[tuple[str, str, Audio]]:
    """speech-dev's clips that are none of its own command words: (kind, transcript, audio)."""
    if not (folder / "manifest.csv").is_file():
        return []
    rows = csv.DictReader((folder / "manifest.csv").open())
    return [(r["kind"], r["transcript"], to_mono_16k(read_audio(folder / r["file"]))) for r in rows
            if r["kind"] != "command"]


def clip(folder: Path, digit: int, speaker: str, take: int) -> Audio:
    return to_mono_16k(read_audio(folder / "audio" / f"{digit}_{speaker}_{take}.wav"))


def noisy(audio: Audio, noise: Audio, snr_db: float, rng: np.random.Generator,
          around_s: tuple[float, float] = (0.0, 0.0)) -> Audio:
    """`audio` with `noise` at `snr_db` (to the take's own level), over the take only, or also
    `around_s` seconds before and after it, as in a room where the noise goes on."""
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    before, after = (int(s * audio.sample_rate_hz) for s in around_s)
    n = np.frombuffer(noise.pcm, "<i2").astype(np.float64)
    start = int(rng.integers(0, max(1, len(n) - len(x))))
    n = np.resize(n[start:], before + len(x) + after)
    gain = np.sqrt(np.mean(x**2) / (np.mean(n**2) + 1e-9)) / 10 ** (snr_db / 20)
    mixed = np.concatenate([np.zeros(before), x, np.zeros(after)]) + gain * n
    return Audio(np.clip(mixed, -32768, 32767).astype("<i2").tobytes(), audio.sample_rate_hz)


def softer(audio: Audio, by_db: float, rng: np.random.Generator) -> Audio:
    """`audio` `by_db` quieter, as from across the room or in a weak voice, in a quiet room (pink
    noise at ROOM_DBFS, from ROOM_S before the take to ROOM_S after it)."""
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float64) * 10 ** (-by_db / 20)
    quiet = np.zeros(int(ROOM_S * audio.sample_rate_hz))
    x = np.concatenate([quiet, x, quiet])
    room = np.fft.irfft(np.fft.rfft(rng.standard_normal(len(x))) / np.sqrt(np.maximum(np.arange(len(x) // 2 + 1), 1)),
                        len(x))
    room *= 32768 * 10 ** (ROOM_DBFS / 20) / np.sqrt(np.mean(room**2))
    return Audio(np.clip(x + room, -32768, 32767).astype("<i2").tobytes(), audio.sample_rate_hz)


def heard_as(recognizer: Recognizer, audio: Audio) -> Command | None:
    decision = recognize(audio, recognizer)
    return decision.heard.command if decision else None


class Asked(MoonshineVeto):
    """Moonshine asked about every word the model acts on, as the veto would be, but never
    turning one away: each rule's decision is worked out from what it wrote (`by_rule`)."""

    def __init__(self, labels: list[Label]) -> None:
        super().__init__(labels, "mismatch")

    def allows(self, utterance: Samples, decided: Decided) -> bool:
        super().allows(utterance, decided)
        return True


def by_rule(personal: PersonalRecognizer, audio: Audio, run: Run, measure: str) -> dict[str, Command | None]:
    """What each veto rule (veto.RULES) acts on in `audio`: the model's command, unless Moonshine's
    transcript of the utterance it was decided on says something the rule turns away. From one
    hearing: an utterance turned away counts as nothing heard (in the rare clip with another
    utterance after it, that one is not heard)."""
    run.last_asked_s = 0.0
    decision = recognize(audio, personal)
    command = decision.heard.command if decision else None
    if command is None or decision is None:
        return dict.fromkeys(RULES)
    asked, last = personal.veto, personal.last
    assert isinstance(asked, Asked) and last is not None
    said = asked.last_transcript
    seen = NOTHING if said is None else verdict(said, last.guess, asked.vocabulary, asked.sounds)
    run.asked_s[measure].append((asked.last_s, last.ratio))
    run.last_asked_s = asked.last_s
    run.said.append((run.where, measure, last.guess.word, said or "", seen, f"{last.score:.3f}", f"{last.ratio:.3f}"))
    return {name: None if rule.vetoes(seen, last) else command for name, rule in RULES.items()}


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


@dataclass
class Run:
    args: argparse.Namespace
    others: list[tuple[str, str, Audio]]  # `speech_dev`
    noises: list[Audio]
    embedder: Embedder
    figures: dict[str, list[float]] = field(default_factory=dict)
    build_s: list[float] = field(default_factory=list)
    rebuild_s: list[float] = field(default_factory=list)  # after the takes asked for when unsure
    asked: list[int] = field(default_factory=list)  # words asked for more takes, a run
    decide_s: list[float] = field(default_factory=list)
    asked_s: dict[str, list[tuple[float, float]]] = field(  # Moonshine's time on each word acted on, and its ratio
        default_factory=lambda: {key: [] for key in MEASURES})
    said: list[tuple[str, ...]] = field(default_factory=list)  # where, measure, word acted on, transcript, verdict, ...
    where: str = ""  # the person, seed and takes being heard
    last_asked_s: float = 0.0  # Moonshine's time on the last clip heard

    def add(self, key: str, value: float) -> None:
        self.figures.setdefault(key, []).append(value)

    def clip(self, digit: int, speaker: str, take: int) -> Audio:
        return clip(self.args.data, digit, speaker, take)


def teach(run: Run, speaker: str, taught: np.ndarray, order: dict[int, np.ndarray], k: int, *,
          more: bool) -> PersonalModel:
    """The person's model from K takes of each taught digit (and, `more`, up to MORE more of those
    the model is unsure of), built as `teach` builds it."""
    def add(root: Path, digit: int, command: Command, which: np.ndarray) -> None:
        for t in which:
            take = takes.spoken_part(run.clip(digit, speaker, int(t)))
            if take is not None:  # as `words add` does with a recording
                takes.add(take, command, DIGITS[digit], root)

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for d, command in zip(taught, COMMANDS, strict=True):
            add(root, int(d), command, order[int(d)][:k])
        started = time.perf_counter()
        built = build_from_takes(root, run.embedder)
        run.build_s.append(time.perf_counter() - started)
        if more:
            assert built.model is not None
            unsure = built.model.unsure()
            run.asked.append(len(unsure))
            for d, command in zip(taught, COMMANDS, strict=True):
                if any(label.command is command for label in unsure):
                    add(root, int(d), command, order[int(d)][k:k + MORE])
            started = time.perf_counter()
            built = build_from_takes(root, run.embedder)
            run.rebuild_s.append(time.perf_counter() - started)
    assert built.model is not None
    return built.model


def said_of_takes(run: Run, speaker: str, taught: dict[int, np.ndarray]) -> None:
    """What Moonshine writes of the takes themselves (and of them 10 % slower and faster)."""
    for d, which in taught.items():
        for t in which:
            take = takes.spoken_part(run.clip(d, speaker, int(t)))
            if take is not None:
                x = np.frombuffer(take.pcm, "<i2").astype(np.float64)
                for v in (x, _stretch(x, 0.9), _stretch(x, 1.1)):
                    said = MoonshineModel.shared().transcribe(np.clip(v, -32768, 32767).astype(np.int16))
                    run.said.append((run.where, "TAKE", DIGITS[d], said))


def teach_and_measure(run: Run, speaker: str, k: int, seed: int,
                      more: bool = False) -> tuple[PersonalRecognizer, dict[str, Command]]:
    """Teach K takes of seven digits (and, `more`, up to MORE more of those the model is unsure of),
    then hear every other take, the untaught digits and others."""
    rng = np.random.default_rng(seed)
    along_rng = np.random.default_rng(seed + 1000)  # its own: the other measures draw as they always did
    room_rng = np.random.default_rng(seed + 2000)  # the same
    untaught_rng = np.random.default_rng(seed + 3000)  # the same
    digits = rng.permutation(10)
    taught, untaught = digits[:TAUGHT], digits[TAUGHT:]
    order = {int(d): rng.permutation(50) for d in taught}
    model = teach(run, speaker, taught, order, k, more=more)
    run.where = f"{speaker} {seed} {k}{'+' if more else ''}"
    if run.args.said:
        said_of_takes(run, speaker, {int(d): order[int(d)][:k] for d in taught})
    heard_from = k + MORE if more else k
    personal = personal_recognizer(model, run.embedder, run.args.second, veto="off")
    personal.veto = Asked(model.labels)
    hits: dict[str, dict[str, list[bool]]] = {rule: {key: [] for key in MEASURES} for rule in RULES}

    def hear(measure: str, audio: Audio, expected: Command | None) -> None:
        """Whether each rule heard `audio` as `expected` (None: whether it acted on it at all)."""
        for rule, got in by_rule(personal, audio, run, measure).items():
            hits[rule][measure].append(got is expected if expected is not None else got is not None)

    for d, command in zip(taught, COMMANDS, strict=True):
        for t in order[int(d)][heard_from:]:
            audio = run.clip(int(d), speaker, int(t))
            started = time.perf_counter()
            hear("right", audio, command)
            run.decide_s.append(time.perf_counter() - started - run.last_asked_s)  # the model's own compute
            noise = run.noises[t % len(run.noises)]
            hear("right 10 dB", noisy(audio, noise, 10, rng), command)
            hear("right 10 dB, noise all along", noisy(audio, noise, 10, along_rng, ALONG_S), command)
            for by_db in (20, 30):
                hear(f"right {by_db} dB softer, a quiet room", softer(audio, by_db, room_rng), command)
    for d in untaught:
        for t in range(50):
            hear("false: own other words", run.clip(int(d), speaker, t), None)
    words = {DIGITS[d]: c for d, c in zip(taught, COMMANDS, strict=True)}
    for kind, text, audio in run.others:
        if text in words:
            hear("right: another person saying a taught word", audio, words[text])
        else:
            hear("false: noise" if kind == "noise" else "false: other people's speech", audio, None)
    for d in untaught:  # last: the rows before it in a run draw the embedder's padding noise as they always did
        for t in range(50):
            along = noisy(run.clip(int(d), speaker, t), run.noises[t % len(run.noises)], 10, untaught_rng, ALONG_S)
            hear("false: own other words, 10 dB noise all along", along, None)
    for rule, by_measure in hits.items():
        for key, found in by_measure.items():
            run.add(f"{k}{'+' if more else ''}|{rule}|{key}", percent(found))
    return personal, words


def measure_baselines(run: Run, speaker: str, personal: PersonalRecognizer, words: dict[str, Command]) -> None:
    """How the same takes are heard as `run` hears them, and by the ways there are without teaching."""
    vocabulary = Vocabulary({c: (w,) for w, c in words.items()})
    sphinx = SphinxRecognizer(vocabulary)
    combined = Combined.for_person(personal_recognizer(personal.model, run.embedder, run.args.second), vocabulary)
    ways: dict[str, Callable[[Audio], Command | None]] = {
        "as run hears (personal + general)": partial(heard_as, combined),
        "today's recogniser": partial(heard_as, sphinx),
        "stock recognize_sphinx": stock(words)}
    sample = [(d, t) for d in range(10) for t in range(run.args.baseline_takes)]
    for name, hear in ways.items():
        hits, wrong = [], []
        for d, t in sample:
            got, expected = hear(run.clip(d, speaker, t)), words.get(DIGITS[d])
            if expected is None:
                wrong.append(got is not None)
            else:
                hits.append(got is expected)
        run.add(f"base|{name}|right", percent(hits))
        run.add(f"base|{name}|false", percent(wrong))
        run.add(f"base|{name}|speech", percent([hear(a) is not None for kind, text, a in run.others
                                                if kind != "noise" and text not in words]))


RULE_NAMES = {"off": "today", "another": "veto: names another", "mismatch": "veto: any other words",
              "near": "veto: other words, near its gate"}


def report(run: Run) -> None:
    ks = run.args.takes
    columns = [(f"{ks[0]}", f"{ks[0]} take{'s' if ks[0] > 1 else ''} a word"),
               (f"{ks[0]}+", f"{ks[0]}, {MORE} more where unsure"), *((f"{k}", f"{k} take{'s' if k > 1 else ''} a word")
                                                                    for k in ks[1:])]
    columns = [c for c in columns if any(key.startswith(f"{c[0]}|") for key in run.figures)]
    print(f"| measure ({len(run.args.speakers)} people of personal-dev, {run.args.seeds} seeds, 7 words taught) | "
          + " | ".join(f"{name}: {RULE_NAMES[rule]}" for _, name in columns for rule in RULES) + " |")
    print("|---|" + "---|" * len(columns) * len(RULES))
    for key in MEASURES:
        print(f"| {key} | " + " | ".join(f"{statistics.mean(run.figures[f'{c}|{rule}|{key}']):.1f} %"
                                         for c, _ in columns for rule in RULES) + " |")
    if run.asked:
        print(f"words asked for more takes: {statistics.mean(run.asked):.2f} of {TAUGHT} a run "
              f"({', '.join(map(str, run.asked))})")
    if not run.args.no_baselines:
        print()
        print(f"| the same people, {run.args.baseline_takes} takes of each digit, {ks[0]} taught | right | "
              "false (untaught digits) | false (other people's speech) |")
        print("|---|---|---|---|")
        for name in ("as run hears (personal + general)", "today's recogniser", "stock recognize_sphinx"):
            print(f"| {name} | " + " | ".join(f"{statistics.mean(run.figures[f'base|{name}|{m}']):.1f} %"
                                             for m in ("right", "false", "speech")) + " |")
    print()
    decide = sorted(run.decide_s)
    if run.rebuild_s:
        print(f"model built again after the takes asked for: p50 {statistics.median(run.rebuild_s):.1f} s / max "
              f"{max(run.rebuild_s):.1f} s (each take's embeddings kept)")
    print(f"model built in p50 {statistics.median(run.build_s):.1f} s / max {max(run.build_s):.1f} s; an utterance "
          f"heard in p50 {1000 * statistics.median(decide):.0f} ms / p95 {1000 * decide[int(0.95 * len(decide))]:.0f}"
          " ms of compute (the whole clip through the streaming path, endpointing included; Moonshine's not)")
    for name, rule in RULES.items():
        if rule.turns_away:
            asked = [t if ratio >= rule.from_ratio else 0.0 for t, ratio in run.asked_s["right"]]
            times = sorted(asked)
            print(f"{RULE_NAMES[name]}: time it adds to deciding a taught word heard clean (Moonshine asked of "
                  f"{sum(1 for t in asked if t)} of {len(asked)} acted on): p50 "
                  f"{1000 * statistics.median(times):.0f} ms / p95 {1000 * times[int(0.95 * len(times))]:.0f} ms")
    if run.args.said:
        with run.args.said.open("w", newline="") as out:
            csv.writer(out, delimiter="\t").writerows(run.said)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds from this one on (2 and up: tuning)")
    parser.add_argument("--takes", type=int, nargs="+", default=[3, 1])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    parser.add_argument("--speakers", nargs="+", default=list(SPEAKERS), choices=SPEAKERS)
    parser.add_argument("--second", choices=("pocketsphinx", "moonshine"), default="pocketsphinx",
                        help="the second opinion on a word just outside its gate")
    parser.add_argument("--baseline-takes", type=int, default=8, help="takes of each digit the baselines hear")
    parser.add_argument("--no-more", action="store_true", help="leave out the column of 2 more takes where unsure")
    parser.add_argument("--no-baselines", action="store_true", help="leave out the ways without teaching")
    parser.add_argument("--said", type=Path, help="write each word acted on and what Moonshine wrote (TSV) here")
    args = parser.parse_args()
    if not (args.data / "audio").is_dir():
        sys.exit(f"no recordings at {args.data}: give --data DIR (personal-dev's layout)")
    others = speech_dev(args.speech)
    noises = [a for kind, _, a in others if kind == "noise"] or [Audio(np.random.default_rng(1).normal(
        0, 300, 16000 * 5).astype("<i2").tobytes(), 16000)]
    if not MoonshineModel.shared().wait():  # the veto rules' rows and `--second moonshine` need it
        sys.exit(f"Moonshine cannot be loaded here: {MoonshineModel.shared().error}")
    run = Run(args, others, noises, Embedder())
    for k in args.takes:
        for speaker in args.speakers:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                personal, words = teach_and_measure(run, speaker, k, seed)
                if k == args.takes[0] and seed == args.first_seed and not args.no_baselines:
                    measure_baselines(run, speaker, personal, words)
                if k == args.takes[0] and not args.no_more:
                    teach_and_measure(run, speaker, k, seed, more=True)
    report(run)


if __name__ == "__main__":
    main()
