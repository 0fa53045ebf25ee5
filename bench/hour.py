"""False accepts per hour: how often a session would act on talk and noise that is no command.

    ./dev.sh bench hour [--seeds N] [--first-seed S] [--speakers ...] [--second pocketsphinx|moonshine]
                        [--said FILE] [--data DIR] [--speech DIR]

Issue 11's last target: at most one false accept an hour of non-command talk and noise, with
the personal model on. Each person of ../shared/personal-dev is taught as `bench personal`
teaches them (three takes each of seven digits, one digit standing for each of seven commands)
and heard as `run` hears a taught word (`hearing.personal_recognizer`: the model, and
pocketsphinx's second opinion where it is unsure). Then one long stream, as a microphone would
give it, is heard through the same streaming path (`listen.stream.Listener`, 20 ms at a time,
one voice-activity detector for the whole stream): every take of the person's three untaught
digits, other people's speech and the noises of ../shared/speech-dev (less another person
saying one of the taught digits, which is no false accept: see bench personal), in a shuffled
order with one to three seconds of quiet between them. Every command acted on in it is a false
accept, counted against what it was heard in (the piece it followed, and the quiet after it):
the person's own words, other people's talk or noise, each with its own minutes.

The personal model's row is given for each rule of the check on the words it acts on
(veto.RULES, as in bench personal): Moonshine is asked about every command acted on in the
stream, and each rule's count worked out from what it wrote, so all rules are counted on the
same hearing. `--said FILE` writes each false accept, what Moonshine wrote, the head's score and
the word's distance over its gate (TSV). The rules were chosen on seeds 3 to 5 of george and
lucas (`--first-seed 3 --speakers george lucas`); the bench's own seeds are 0 to 2.

Beside it, in the same run and on the same stream: today's recogniser (pocketsphinx, the
digits added as the person's words), which a person has before teaching it.
"""

from __future__ import annotations

import argparse
import bisect
import math
import sys
import tempfile
from collections import Counter
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from personal import COMMANDS, DIGITS, RULE_NAMES, SPEAKERS, TAUGHT, Asked, clip, speech_dev  # noqa: E402

from crampvoice.audio import Audio  # noqa: E402
from crampvoice.core.commands import Vocabulary  # noqa: E402
from crampvoice.listen import takes  # noqa: E402
from crampvoice.listen.embedding import Embedder  # noqa: E402
from crampvoice.listen.hearing import build_from_takes, personal_recognizer  # noqa: E402
from crampvoice.listen.moonshine import MoonshineModel  # noqa: E402
from crampvoice.listen.personal import PersonalRecognizer  # noqa: E402
from crampvoice.listen.recognizer import Recognizer  # noqa: E402
from crampvoice.listen.sphinx import SphinxRecognizer  # noqa: E402
from crampvoice.listen.stream import Listener, frames_ending_quiet  # noqa: E402
from crampvoice.listen.veto import NOTHING, RULES, verdict  # noqa: E402

RATE_HZ = 16000


SOURCES = ("own words", "other people's talk", "noise")


class Span(NamedTuple):
    start_ms: int  # a piece of the stream, with the quiet after it
    end_ms: int
    source: str  # one of SOURCES


def stream(pieces: list[tuple[str, Audio]], rng: np.random.Generator) -> tuple[Audio, list[Span]]:
    """The pieces (source, audio) in a shuffled order, one to three seconds of quiet between
    them; and the span of each piece with the quiet after it."""
    out: list[bytes] = []
    spans, at = [], 0  # at: bytes so far
    for i in rng.permutation(len(pieces)):
        source, audio = pieces[i]
        quiet = bytes(2 * int(RATE_HZ * rng.uniform(1.0, 3.0)))
        out += [audio.pcm, quiet]
        start, at = at, at + len(audio.pcm) + len(quiet)
        spans.append(Span(start * 1000 // (2 * RATE_HZ), at * 1000 // (2 * RATE_HZ), source))
    return Audio(b"".join(out), RATE_HZ), spans


def accepts(recognizer: Recognizer, audio: Audio, spans: list[Span]) -> Counter[str]:
    """Commands acted on in one long stream, heard as the microphone hears it, by the source of
    the piece each was decided after."""
    return by_rule(recognizer, audio, spans)["off"]


def by_rule(recognizer: Recognizer, audio: Audio, spans: list[Span],
            said: list[str] | None = None) -> dict[str, Counter[str]]:
    """Commands acted on in one long stream, heard as the microphone hears it, by the source of
    the piece each was decided after: for the personal model, under each veto rule (veto.RULES,
    from what Moonshine wrote of each word it acted on: the stream is heard once), else "off"."""
    listener = Listener(recognizer)
    asked = recognizer.veto if isinstance(recognizer, PersonalRecognizer) else None
    found: dict[str, Counter[str]] = {rule: Counter() for rule in (RULES if isinstance(asked, Asked) else ("off",))}
    for frame in frames_ending_quiet(audio):
        if (d := listener.push(frame)) is not None and d.heard.command is not None:
            source = spans[bisect.bisect_right(spans, d.decided_ms, key=attrgetter("start_ms")) - 1].source
            last = recognizer.last if isinstance(recognizer, PersonalRecognizer) else None
            seen = NOTHING
            if isinstance(asked, Asked) and asked.last_transcript is not None and last is not None:
                seen = verdict(asked.last_transcript, last.guess, asked.vocabulary, asked.sounds)
                if said is not None:
                    said.append(f"{source}\t{last.guess.word}\t{asked.last_transcript}\t{seen}\t{last.score:.3f}\t"
                                f"{last.ratio:.3f}")
            for rule, counts in found.items():
                if last is None or not RULES[rule].vetoes(seen, last):
                    counts[source] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds from this one on (3 and up: tuning)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    parser.add_argument("--speakers", nargs="+", default=list(SPEAKERS), choices=SPEAKERS)
    parser.add_argument("--second", choices=("pocketsphinx", "moonshine"), default="pocketsphinx",
                        help="the second opinion on a word just outside its gate")
    parser.add_argument("--said", type=Path, help="write each false accept and what Moonshine wrote (TSV) here")
    args = parser.parse_args()
    if not (args.data / "audio").is_dir() or not (args.speech / "manifest.csv").is_file():
        sys.exit(f"needs personal-dev at {args.data} and speech-dev at {args.speech} (give --data and --speech)")
    others = speech_dev(args.speech)
    if not MoonshineModel.shared().wait():  # the veto rules' rows and `--second moonshine` need it
        sys.exit(f"Moonshine cannot be loaded here: {MoonshineModel.shared().error}")
    embedder = Embedder()
    names = [f"personal, {RULE_NAMES[rule]}" for rule in RULES]
    found: dict[str, Counter[str]] = {name: Counter() for name in [*names, "today's recogniser"]}
    said: list[str] = []
    minutes = dict.fromkeys(SOURCES, 0.0)
    for speaker in args.speakers:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rng = np.random.default_rng(seed)
            digits = rng.permutation(10)
            taught, untaught = digits[:TAUGHT], digits[TAUGHT:]
            with tempfile.TemporaryDirectory() as folder:
                for d, command in zip(taught, COMMANDS, strict=True):
                    for t in rng.permutation(50)[:takes.TAKES_PER_WORD]:
                        take = takes.spoken_part(clip(args.data, int(d), speaker, int(t)))
                        if take is not None:
                            takes.add(take, command, DIGITS[d], Path(folder))
                built = build_from_takes(Path(folder), embedder)
            assert built.model is not None
            own = [("own words", clip(args.data, int(d), speaker, t)) for d in untaught for t in range(50)]
            taught_words = {DIGITS[d] for d in taught}
            audio, spans = stream(own + [("noise" if kind == "noise" else "other people's talk", a)
                                         for kind, text, a in others if text not in taught_words], rng)
            for span in spans:
                minutes[span.source] += (span.end_ms - span.start_ms) / 60000
            words = Vocabulary({c: (DIGITS[d],) for d, c in zip(taught, COMMANDS, strict=True)})
            personal = personal_recognizer(built.model, embedder, args.second, veto="off")
            personal.veto = Asked(built.model.labels)
            for rule, counts in by_rule(personal, audio, spans, said).items():
                found[f"personal, {RULE_NAMES[rule]}"] += counts
            found["today's recogniser"] += accepts(SphinxRecognizer(words), audio, spans)
    if args.said:
        args.said.write_text("".join(f"{line}\n" for line in said))
    total = sum(minutes.values())
    print(f"| {len(args.speakers)} people, {args.seeds} seed(s), {total:.0f} minutes | false accepts | an hour "
          "| at most, an hour (95 %) | " + " | ".join(f"{s}, {minutes[s]:.0f} min (an hour)" for s in SOURCES) + " |")
    print("|---|---|---|---|" + "---|" * len(SOURCES))
    for name, counts in found.items():
        n = sum(counts.values())
        by_source = " | ".join(f"{counts[s]} ({60 * counts[s] / minutes[s]:.1f})" if minutes[s] else "none heard"
                               for s in SOURCES)
        print(f"| {name} | {n} | {60 * n / total:.1f} | {60 * poisson_upper(n) / total:.1f} | {by_source} |")


def poisson_upper(n: int, confidence: float = 0.95) -> float:
    """The largest mean count an observed `n` still allows at this confidence (one-sided)."""
    def at_most_n(mean: float) -> float:
        term = total = math.exp(-mean)
        for k in range(1, n + 1):
            term *= mean / k
            total += term
        return total

    low, high = 0.0, n + 10.0 * (n + 1)
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if at_most_n(mid) > 1 - confidence else (low, mid)
    return high


if __name__ == "__main__":
    main()
