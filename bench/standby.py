"""Standby's start phrase: false starts an hour over what a bedroom hears, and phrases caught in noise.

    ./dev.sh bench standby [--seeds N] [--data DIR] [--speech DIR]

Issue 30's targets, one table. Each person of ../shared/personal-dev is taught a start phrase as
`words add PHRASE --as start` teaches it: two of their digits joined ("four seven", each cut to
its voice, about 200 ms between them) stand in for a phrase, from three takes. Then, as `bench
hour` does, one long stream heard through the microphone's streaming path
(`listen.stream.Listener`, one voice-activity detector all along):
the person's own talk (every take of three other digits), the hard negatives (their phrase's
first word followed by each of their other digits, each other digit followed by its second word,
the two words the other way round, and each word alone), other people's talk and noises from
../shared/speech-dev, and a television-like mix (three of those people's clips run together over
one of its noises at 10 dB), shuffled, one to three seconds of quiet between pieces. Every start
taken in it is a false start, counted by the piece it followed. Then the person's other takes of
the phrase (two words joined as the takes were, twenty pairs), alone and with a speech-dev noise
going on from 2 s before them to 1 s after (a room's noise, which standby hears before the
phrase: the gate weighs the phrase against its takes in it) at 20, 10 and 5 dB: the share taken
as a start.

Rows, on the same streams. The person's model and the start rule propose (standby's
`WakeRecognizer`, each utterance and then it and the one just before heard as one), and every
utterance they propose is put to every second check: the phrase gate (over the whole phrase) as
standby runs it, weighing the phrase also cut to its voice and against its takes in the noise
the room had before it; the gate with the takes as learnt only; and Moonshine's transcript of
the whole utterance (listen/wake.py `TranscriptCheck`: it must name the proposed phrase); so
that these rows are decided on the very same proposals: standby as it now decides (the gate in
the room, or else Moonshine), the same without two utterances heard as one, standby before it
heard the room (the gate as learnt, or else Moonshine, each utterance alone), each gate alone,
Moonshine alone, and no second check. Moonshine is asked
about proposals only, as standby asks it; its time is reported, on all of them and on those the
gate turned away (the only ones standby waits for it on). Then a
session's rule (the model alone, as a command is heard) and out of the box (pocketsphinx checked
by the verifier listening for the default phrases, as standby hears before Moonshine has loaded
or where it is not installed), each heard on its own; catches out of the box cannot be measured
here: no real recordings of "cramp help" or "crampvoice start" exist in this repository or
beside it. The positives' noise is drawn once for every row.

The phrase gate's one number (its 1 % quantile) was chosen on these same three speakers, and so
was the transcript rule's one allowance (the phrase followed by its own words again, as
Moonshine runs on over a short utterance): the figures are not held out. The digits are 8 kHz
recordings of words said alone, joined: what a general recogniser makes of them, out of any
context, need not be what it makes of a phrase a person says at once; that is not measured here.
"""

from __future__ import annotations

import argparse
import bisect
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from hour import Span, accepts, poisson_upper, stream  # noqa: E402
from personal import DIGITS, SPEAKERS, clip, noisy, speech_dev  # noqa: E402

from crampvoice.audio import Audio  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.core.wake import muscle_phrases, takes_start  # noqa: E402
from crampvoice.listen import takes  # noqa: E402
from crampvoice.listen.embedding import Embedder  # noqa: E402
from crampvoice.listen.hearing import Combined, build_from_takes, personal_recognizer  # noqa: E402
from crampvoice.listen.moonshine import MoonshineModel, import_error  # noqa: E402
from crampvoice.listen.personal import PersonalModel, spoken_span  # noqa: E402
from crampvoice.listen.phrasegate import PhraseGate, start_gate  # noqa: E402
from crampvoice.listen.recognizer import Heard, Recognizer  # noqa: E402
from crampvoice.listen.stream import Listener, frames_ending_quiet, recognize  # noqa: E402
from crampvoice.listen.verifier import VerifiedRecognizer  # noqa: E402
from crampvoice.listen.wake import TranscriptCheck, WakeRecognizer  # noqa: E402

RATE_HZ = 16000
SOURCES = ("own talk", "hard negatives", "other people's talk", "television-like", "noise")
SNRS = (None, 20, 10, 5)
# The rows the model and the start rule propose for, by what must agree on a proposal (`Verdicts`) -> taken.
CHECKED: dict[str, Callable[[Verdicts], bool]] = {
    "standby: model, start rule, the gate (the phrase also cut to its voice, and its takes, in the room's noise) "
    "or else Moonshine; a phrase cut in two also heard whole": lambda v: v.in_room or v.moonshine,
    "standby, each utterance only alone": lambda v: not v.joined and (v.in_room or v.moonshine),
    "standby before it heard the room: the gate (takes as learnt) or else Moonshine, each utterance only alone":
        lambda v: not v.joined and (v.as_learnt or v.moonshine),
    "model, start rule, the gate in the room's noise alone": lambda v: v.in_room,
    "model, start rule, the gate as learnt alone": lambda v: v.as_learnt,
    "model, start rule, Moonshine confirms": lambda v: v.moonshine,
    "model and start rule, no second check": lambda v: True,
}
SESSION, OUT_OF_THE_BOX = "a session's rule (model alone)", "out of the box (general recogniser)"
LIVE = next(iter(CHECKED))  # the row standby decides by: bench/live_standby.py runs standby itself
ROWS = (*CHECKED, SESSION, OUT_OF_THE_BOX)
TAKES = 3
POSITIVES = 20
HARD_TAKES = 5  # takes of each hard negative
NOISE_ALONG_S = (2.0, 1.0)  # a phrase in noise: seconds of it before and after, as in a room where it goes on


def joined(*parts: Audio) -> Audio:
    """Words said one after the other as in one phrase: each cut to its voice (`spoken_span`: 100 ms
    either side), so that about 200 ms lie between them. The clips' own silences (a third of a
    second and more) would be a pause the endpointer ends an utterance at (250 ms), in noise."""
    return Audio(b"".join(spoken_span(np.frombuffer(p.pcm, "<i2")).tobytes() for p in parts), RATE_HZ)


class Tally:
    def __init__(self) -> None:
        self.false: dict[str, Counter[str]] = {row: Counter() for row in ROWS}
        self.caught: dict[str, dict[int | None, list[bool]]] = {row: {s: [] for s in SNRS} for row in ROWS}
        self.minutes = dict.fromkeys(SOURCES, 0.0)
        self.moonshine_s: dict[int | None, list[float]] = {s: [] for s in SNRS}  # its call on a proposed phrase
        self.refused_s: list[float] = []  # ... on those the gate turned away: what standby waits for
        self.heard: list[str] = []  # what Moonshine wrote for each proposal: for whoever wants to know why


class Verdicts(NamedTuple):
    """A proposed start's second checks: the phrase gate as standby weighs it (also in the room's
    noise), the gate with the takes as learnt only, Moonshine's transcript; and whether it was an
    utterance heard together with the one before (`WakeRecognizer.candidates`)."""
    in_room: bool
    as_learnt: bool
    moonshine: bool
    joined: bool


class Proposals:
    """The model and the start rule proposing, as standby's `WakeRecognizer` does (each utterance,
    then it and the one before it heard as one), and every utterance they propose put to both
    second checks, the phrase gate and Moonshine's transcript, so that each row's rule is applied to
    the very same proposals. Moonshine is asked about proposals only, as standby asks it."""

    def __init__(self, proposer: WakeRecognizer, check: TranscriptCheck) -> None:
        assert proposer.gate is not None
        self.proposer, self.gate, self.check = proposer, proposer.gate, check
        self.follows_room = proposer.follows_room
        self.verdicts: list[Verdicts] = []  # the last utterance's proposals
        self.times: list[float] = []  # each Moonshine check's, s

    def expect(self, commands: object) -> None:
        """A start and nothing else, as standby."""

    def begin(self) -> None:
        self.proposer.begin()

    def feed(self, pcm: bytes) -> None:
        self.proposer.feed(pcm)

    def room(self, frame: bytes) -> None:
        self.proposer.room(frame)

    def end(self) -> Heard:
        self.verdicts = []
        for joined, candidate in enumerate(self.proposer.candidates()):
            heard, samples = candidate.heard, candidate.samples
            if takes_start(heard.command is Command.START, heard.text, heard.confidence, self.proposer.phrases,
                           self.proposer.floor):
                self.verdicts.append(Verdicts(self.gate.passes(heard.text, samples, candidate.room)[0],
                                              self.gate.passes(heard.text, samples)[0],
                                              self.check.passes(heard.text, samples), bool(joined)))
                self.times.append(self.check.last_s)
        return Heard(None, "", 0.0)  # what was proposed is in `verdicts`


def proposals(probe: Proposals, audio: Audio) -> Iterator[tuple[int, list[Verdicts]]]:
    """Each utterance of `audio` the model and the start rule proposed, heard as the microphone
    hears it: when it was decided (ms) and the checks' verdicts."""
    listener = Listener(probe)
    for frame in frames_ending_quiet(audio):
        if listener.push(frame) is not None and probe.verdicts:
            yield listener.position_ms, probe.verdicts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "personal-dev")
    parser.add_argument("--speech", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    parser.add_argument("--live-seconds", type=float, default=30.0, help="CPU measured this long, each way")
    parser.add_argument("--starts", type=int, default=10, help="starts timed live, for the tone (0: not live)")
    parser.add_argument("--heard", type=Path, help="write what Moonshine wrote of each proposal here (TSV)")
    args = parser.parse_args()
    if not (args.data / "audio").is_dir() or not (args.speech / "manifest.csv").is_file():
        sys.exit(f"needs personal-dev at {args.data} and speech-dev at {args.speech} (give --data and --speech)")
    if import_error() is not None:
        sys.exit(f"needs Moonshine (moonshine_cpp): {import_error()}")
    model = MoonshineModel.shared()
    if not model.wait():
        sys.exit(f"Moonshine did not load: {model.error}")
    others = speech_dev(args.speech)
    noises = [a for kind, _, a in others if kind == "noise"]
    talk = [a for kind, _, a in others if kind != "noise"]
    embedder = Embedder()
    tally = Tally()
    for speaker in SPEAKERS:
        for seed in range(args.seeds):
            measure(tally, args.data, speaker, seed, talk=talk, noises=noises, embedder=embedder, model=model)
            print(f"{speaker} seed {seed} done", file=sys.stderr, flush=True)
    if args.heard:
        args.heard.write_text("\n".join(tally.heard) + "\n")
    from live_standby import live

    report(tally, args.seeds, live(args.live_seconds, args.starts) if args.starts else "not measured")


@dataclass
class Person:
    """One person and seed as the bench draws them: their phrase taught from three takes, the stream
    they are heard in (its pieces, as `hard_and_own` and the rest give them), and their other takes
    of the phrase; `rng` goes on to draw the noise over those."""
    phrase: str
    model: PersonalModel
    gate: PhraseGate
    pieces: list[tuple[str, Audio]]
    audio: Audio
    spans: list[Span]
    positives: list[Audio]
    rng: np.random.Generator


def draw(data: Path, speaker: str, seed: int, *, talk: list[Audio], noises: list[Audio], embedder: Embedder) -> Person:
    rng = np.random.default_rng(seed)
    digits = [int(d) for d in rng.permutation(10)]
    a, b, own = digits[0], digits[1], digits[2:5]
    phrase = f"{DIGITS[a]} {DIGITS[b]}"
    order = [int(t) for t in rng.permutation(50)]
    taught, rest = order[:TAKES], order[TAKES:]

    def say(*pairs: tuple[int, int]) -> Audio:
        return joined(*(clip(data, d, speaker, t) for d, t in pairs))

    with tempfile.TemporaryDirectory() as folder:
        for t in taught:
            take = takes.spoken_part(say((a, t), (b, t)))
            if take is not None:
                takes.add(take, Command.START, phrase, Path(folder))
        built = build_from_takes(Path(folder), embedder)
        gate = start_gate(built.model, Path(folder), embedder)
    assert built.model is not None and gate is not None
    pieces = hard_and_own(say, a, b, own=own, rest=rest, rng=rng)
    pieces += [("other people's talk", x) for x in talk]
    for _ in range(20):
        three = rng.choice(len(talk), 3, replace=False)
        mix = Audio(b"".join(talk[i].pcm for i in three), RATE_HZ)
        pieces.append(("television-like", noisy(mix, noises[int(rng.integers(len(noises)))], 10.0, rng)))
    pieces += [("noise", x) for x in noises]
    audio, spans = stream(pieces, rng)
    positives = [say((a, int(s)), (b, int(t))) for s, t in zip(rng.permutation(rest)[:POSITIVES],
                                                                rng.permutation(rest)[:POSITIVES], strict=True)]
    return Person(phrase, built.model, gate, pieces, audio, spans, positives, rng)


def measure(tally: Tally, data: Path, speaker: str, seed: int, *, talk: list[Audio], noises: list[Audio],
            embedder: Embedder, model: MoonshineModel) -> None:
    person = draw(data, speaker, seed, talk=talk, noises=noises, embedder=embedder)
    phrase, audio, spans, positives, rng = person.phrase, person.audio, person.spans, person.positives, person.rng
    vocabulary = Vocabulary({Command.START: (*muscle_phrases(), phrase)})
    personal = personal_recognizer(person.model, embedder)
    probe = Proposals(WakeRecognizer(Combined.for_person(personal, vocabulary), vocabulary, gate=person.gate),
                      TranscriptCheck(vocabulary.phrases[Command.START], model))
    recognizers: dict[str, Recognizer] = {
        SESSION: WakeRecognizer(Combined.for_person(personal, vocabulary), vocabulary, floor=0.6),
        OUT_OF_THE_BOX: WakeRecognizer(VerifiedRecognizer(Vocabulary()), Vocabulary()),
    }
    for span in spans:
        tally.minutes[span.source] += (span.end_ms - span.start_ms) / 60000
    for at_ms, verdicts in proposals(probe, audio):
        source = source_at(spans, at_ms)
        tally.heard.append(f"{speaker}\t{seed}\t{phrase}\t{source}\t{verdicts}\t{probe.check.last_transcript!r}")
        for row, rule in CHECKED.items():
            tally.false[row][source] += any(rule(v) for v in verdicts)
    noisy_positives = {snr: [p if snr is None else noisy(p, noises[int(rng.integers(len(noises)))], float(snr), rng,
                                                         NOISE_ALONG_S) for p in positives] for snr in SNRS}
    for snr, heard in noisy_positives.items():
        for p in heard:
            said = [v for _, verdicts in proposals(probe, p) for v in verdicts]
            times = probe.times[-len(said):] if said else []
            tally.moonshine_s[snr] += times
            tally.refused_s += [x for x, v in zip(times, said, strict=True) if not v.in_room]
            tally.heard.append(f"{speaker}\t{seed}\t{phrase}\tphrase at {snr} dB\t{said}"
                               f"\t{probe.check.last_transcript if said else ''!r}")
            for row, rule in CHECKED.items():
                tally.caught[row][snr].append(any(rule(v) for v in said))
    for row, recognizer in recognizers.items():
        tally.false[row] += accepts(recognizer, audio, spans)
        if row == OUT_OF_THE_BOX:
            continue  # no real recordings of the default phrases
        for snr, heard in noisy_positives.items():
            for p in heard:
                decision = recognize(p, recognizer)
                tally.caught[row][snr].append(decision is not None and decision.heard.command is Command.START)


def source_at(spans: list[Span], at_ms: int) -> str:
    """The source of the piece a decision at `at_ms` came after (as hour.accepts counts it)."""
    return spans[bisect.bisect_right(spans, at_ms, key=attrgetter("start_ms")) - 1].source


def hard_and_own(say: Callable[..., Audio], a: int, b: int, *, own: list[int], rest: list[int],
                 rng: np.random.Generator) -> list[tuple[str, Audio]]:
    """The person's other talk, and the hard negatives of the phrase a-b."""
    pieces: list[tuple[str, Audio]] = [("own talk", say((d, t))) for d in own for t in range(50)]
    others = [d for d in range(10) if d not in (a, b)]
    for take in rng.permutation(rest)[:HARD_TAKES]:
        t = int(take)
        pieces += [("hard negatives", say((a, t), (o, t))) for o in others]
        pieces += [("hard negatives", say((o, t), (b, t))) for o in others]
        pieces += [("hard negatives", say((b, t), (a, t))), ("hard negatives", say((a, t))),
                   ("hard negatives", say((b, t)))]
    return pieces


def report(tally: Tally, seeds: int, live: str) -> None:
    total = sum(tally.minutes.values())
    print(f"| {len(SPEAKERS)} people, {seeds} seed(s), {total:.0f} minutes | false starts (an hour; at most, 95 %) | "
          + " | ".join(f"{s}, {tally.minutes[s]:.0f} min" for s in SOURCES)
          + " | caught, clean | 20 dB | 10 dB | 5 dB | live: CPU in silence, with talk; the tone after the phrase |")
    print("|---|---|" + "---|" * len(SOURCES) + "---|---|---|---|---|")
    for row in ROWS:
        counts = tally.false[row]
        n = sum(counts.values())
        by_source = " | ".join(str(counts[s]) for s in SOURCES)
        caught = " | ".join(f"{100 * np.mean(h):.1f} %" if h else "no recordings"
                            for h in tally.caught[row].values())
        print(f"| {row} | {n} ({60 * n / total:.2f}; {60 * poisson_upper(n) / total:.2f}) | {by_source} | {caught} "
              f"| {live if row == LIVE else '-'} |")
    every = [x for times in tally.moonshine_s.values() for x in times]
    print("\nMoonshine's check on a proposed phrase, ms (p50, p95): "
          + ", ".join(f"{'clean' if snr is None else f'{snr} dB'} {_ms(times)}"
                      for snr, times in tally.moonshine_s.items())
          + f"; all {_ms(every)}; on those the gate turned away (what standby waits for) {_ms(tally.refused_s)}",
          file=sys.stderr)
    print(f"Caught: {POSITIVES} takes of the phrase a person and seed ({POSITIVES * len(SPEAKERS) * seeds} in all), "
          "noise over the phrase from speech-dev's noises.", file=sys.stderr)


def _ms(times: list[float]) -> str:
    if not times:
        return "-"
    p50, p95 = np.percentile(times, [50, 95]) * 1000
    return f"{p50:.0f}, {p95:.0f} ({len(times)})"


if __name__ == "__main__":
    main()
