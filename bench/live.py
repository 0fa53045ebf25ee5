"""Listening live on the virtual microphone: the share of one core each way of listening uses,
in silence and with people talking, beside the recogniser before Listen 2, in one run.

    ./dev.sh bench live [--seconds S]

Each way listens in a process of its own to a private PulseAudio server's virtual microphone
(tests/pulse.py) for S seconds, while nothing plays into it and then while real people's talk
does (tests/data: Speech Commands and Mycroft Precise clips that are no command, and
synthetic talk, one after another with a breath between; no command in it, so the way that
hears stays listening as it would in a room):

- out of the box: what `run` hears with before any teaching (Moonshine where moonshine_cpp is
  installed, else pocketsphinx checked by the verifier on the embedding; Moonshine's load, once
  a process, is waited for before the CPU is counted);
- taught: what `run` hears with once words are taught (george's takes in tests/data/personal
  taught as two commands, as the tests teach them; the person's model hears those, pocketsphinx the rest);
- taught every command: the same takes standing for every command, so nothing is left to
  pocketsphinx (a full `teach`);
- pocketsphinx alone: the recogniser before Listen 2, with no verifier and no taught words;
- the microphone alone: 20 ms frames read and nothing done with them, the floor every way
  stands on: as `run` reads the default microphone (PulseAudio's own client), and the same
  through PortAudio (how it was read before, and how `--mic` reads one).

The stock SpeechRecognition way is not here: its `Microphone` needs PyAudio, which needs a C
compiler and portaudio19-dev to install; `./dev.sh bench listen` measured it before (docs/benchmarks.md).

The share is the child's own CPU time (user + system) over the time it listened; the machine
is shared, so read the figures side by side.

On 2026-12-02 (30 s each, two cores shared with other jobs), silence / people talking: out
of the box 0.8 / 4.9 %, taught two commands 0.6 / 5.7 %, taught every command 0.6 / 2.4 %,
pocketsphinx alone 0.7 / 4.4 %, the microphone alone 0.6 / 0.6 %, through PortAudio
6.3 / 6.8 %. Before the embedding ran on XNNPACK (the same day): 8.8, 14.3 and 8.4 % with
talk, beside pocketsphinx alone's 7.8 %. Before the default microphone was read through
PulseAudio's own client, every way stood on PortAudio's 4 to 10 %. On 2026-12-03, the same
rows: 0.7 / 3.5, 0.8 / 5.3, 0.9 / 2.3, 0.7 / 4.3, 0.8 / 0.7 and 6.5 / 6.9 %. On 2026-12-04,
with pocketsphinx's second opinion on the person's words: 0.2 / 3.1, 0.3 / 4.5, 0.6 / 2.2,
0.6 / 3.3, 0.6 / 0.5 and 6.3 / 6.6 %.
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from crampvoice.audio import Audio, to_mono_16k, write_wav  # noqa: E402
from crampvoice.core.commands import Command, Vocabulary  # noqa: E402
from crampvoice.listen.files import read_audio  # noqa: E402

DATA = ROOT / "tests" / "data"
BEFORE = "pocketsphinx alone"
ALONE = "the microphone alone"
PORTAUDIO = "the same through PortAudio"
EVERY = "taught every command"
WAYS = ("out of the box", "taught", EVERY, BEFORE, ALONE, PORTAUDIO)
TAUGHT = {"7": ("seven", Command.NEXT), "4": ("four", Command.STOP)}  # as the tests teach george's digits


def talk(path: Path, seconds: float) -> Path:
    """Real people's words and phrases that are no command, and synthetic talk, with breaths
    between, over and over for `seconds`."""
    clips = [DATA / "human" / row["file"] for row in csv.DictReader((DATA / "human" / "manifest.csv").open())
             if not row["command"]]
    clips += [DATA / "corpus" / row["file"] for row in csv.DictReader((DATA / "corpus" / "manifest.csv").open())
              if row["kind"] != "command"]
    breath = bytes(2 * 16000 * 3 // 10)
    once = b"".join(to_mono_16k(read_audio(c)).pcm + breath for c in clips)
    write_wav(path, Audio(once * (1 + int(seconds * 32000) // len(once)), 16000))
    return path


def teach(root: Path, every: bool = False) -> None:
    """George's takes, as the tests teach them; `every`: the same takes for every command too, so
    that nothing is left to pocketsphinx (what it costs is measured here, not what it hears)."""
    from crampvoice.listen import takes
    from crampvoice.listen.hearing import build_from_takes

    for digit, (word, command) in TAUGHT.items():
        for n in range(3):
            take = takes.spoken_part(read_audio(DATA / "personal" / f"{digit}_george_{n}.wav"))
            assert take is not None
            takes.add(take, command, word, root)
            for other in Command if every else ():
                if other not in (Command.SWITCH, *(c for _, c in TAUGHT.values())):
                    takes.add(take, other, f"{other.value} {word}", root)
    build_from_takes(root)  # here, once, not in the child whose CPU is measured


def listen(way: str, seconds: float, root: Path) -> None:
    """In a child process: listen for `seconds`, print the share of a core used."""
    from crampvoice.listen.capture import Capture, sounddevice
    from crampvoice.listen.hearing import recognizer_for
    from crampvoice.listen.mic import MicrophoneSource
    from crampvoice.listen.moonshine import MoonshineModel, import_error
    from crampvoice.listen.sphinx import SphinxRecognizer

    if way in (ALONE, PORTAUDIO):
        capture = Capture(sounddevice().default.device[0] if way == PORTAUDIO else None)
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        while time.monotonic() < started + seconds:
            capture.frame(timeout_s=1.0)
        capture.close()
        _print_share(before, started)
        return
    recognizer = SphinxRecognizer(Vocabulary()) if way == BEFORE else recognizer_for(Vocabulary(), root)[0]
    if import_error() is None:
        MoonshineModel.shared().wait()  # its load (once a process, bench general) is not listening
    source = MicrophoneSource(recognizer, lambda: 0.0)  # as if it spoke long ago: always listening
    heard: list[object] = []
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    source.start(heard.append)
    time.sleep(seconds)
    source.close()
    _print_share(before, started)


def _print_share(before: resource.struct_rusage, started: float) -> None:
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{100 * cpu / (time.monotonic() - started):.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--child", nargs=2, metavar=("WAY", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        listen(args.child[0], args.seconds, Path(args.child[1]))
        return
    from tests import pulse

    if not pulse.available():
        sys.exit("PulseAudio is not installed: ./dev.sh bench installs it")
    with tempfile.TemporaryDirectory() as folder, pulse.pulse_server() as env:
        roots = {way: Path(folder) / "none" for way in WAYS}  # no takes, but for the two taught ways
        roots["taught"], roots[EVERY] = Path(folder) / "taught", Path(folder) / "every"
        teach(roots["taught"])
        teach(roots[EVERY], every=True)
        long = talk(Path(folder) / "talk.wav", args.seconds + 30)
        rows = []
        for way in WAYS:
            shares = []
            for playing in (False, True):
                player = (subprocess.Popen(["paplay", "--device=micfeed", str(long)], env=env) if playing
                          else None)
                child = subprocess.run([sys.executable, __file__, "--seconds", str(args.seconds), "--child", way,
                                        str(roots[way])], check=False, env=env, capture_output=True, text=True,
                                       timeout=args.seconds + 300)
                if player is not None:
                    player.kill()
                    player.wait()
                lines = child.stdout.strip().splitlines()
                shares.append(lines[-1] if lines else "failed: " + child.stderr.strip()[-200:])
            rows.append((way, *shares))
    print(f"listening live for {args.seconds:.0f} s, share of one core (this machine, one run)")
    print(f"{'way':<28}{'silence':>10}{'people talking':>17}")
    for way, quiet, talking in rows:
        print(f"{way:<28}{quiet:>10}{talking:>17}")


if __name__ == "__main__":
    main()
