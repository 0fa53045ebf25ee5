"""`crampvoice teach` and `crampvoice words`: the person's own voice. Parse, call the library, render."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..audio import Audio
from ..core.commands import Command, Vocabulary, kept_for, normalise
from ..core.errors import CrampvoiceError
from ..core.phrases import count
from ..core.ports import Source, Speaker
from ..view import TextView
from .profile import option

if TYPE_CHECKING:
    from ..listen.hearing import Built
    from ..teach import Teacher

COMMANDS = {c.value: c for c in Command if c is not Command.SWITCH}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    teach = sub.add_parser("teach", help="teach it your voice: say each command a few times (about two minutes)")
    teach.add_argument("commands", nargs="*", metavar="COMMAND",
                       help="teach only these commands (default: every command, then a few other words)")
    teach.add_argument("--mic", metavar="NAME", help="the microphone: a number or name from 'crampvoice devices'")
    teach.add_argument("--text", action="store_true", help="print the prompts instead of speaking them")
    option(teach)
    teach.set_defaults(handler=cmd_teach)

    words = sub.add_parser("words", help="your own words for commands, and the takes of them")
    verbs = words.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="every word taught, with its takes")
    option(listing)
    listing.set_defaults(handler=cmd_words_list)
    add = verbs.add_parser("add", help="a word of your own for a command, from recordings or the microphone")
    add.add_argument("word", help="the word as it is said")
    add.add_argument("files", nargs="*", metavar="FILE", help="recordings of the word (WAV, FLAC, AIFF); "
                     "none: say it three times into the microphone")
    add.add_argument("--as", dest="command", required=True, choices=sorted(COMMANDS), metavar="COMMAND",
                     help=f"the command it means: {', '.join(sorted(COMMANDS))}")
    add.add_argument("--mic", metavar="NAME", help="the microphone to record with")
    add.add_argument("--force", action="store_true",
                     help="take the word from the command it means now (never stop, pause or emergency's words)")
    option(add)
    add.set_defaults(handler=cmd_words_add, files_anywhere=True)  # `words add okay --as next a.wav b.wav`
    remove = verbs.add_parser("remove", help="forget a word and delete its takes")
    remove.add_argument("word")
    option(remove)
    remove.set_defaults(handler=cmd_words_remove)
    unheard = verbs.add_parser("unheard", help="what sessions heard and did not act on, newest first, "
                               "to play or teach as a word")
    unheard.add_argument("--clear", action="store_true", help="delete them all")
    option(unheard)
    unheard.set_defaults(handler=cmd_words_unheard)


def cmd_teach(args: argparse.Namespace) -> int:
    from .. import teach

    unknown = [c for c in args.commands if c not in COMMANDS]
    if unknown:
        raise CrampvoiceError(f"{unknown[0]!r} is not a command", f"commands are: {', '.join(sorted(COMMANDS))}")
    chosen: list[Command] = [COMMANDS[c] for c in args.commands] or list(teach.ORDER)
    with ExitStack() as stack:
        teacher = _teacher(stack, args.mic, args.text)
        checked: list[Built] = []
        teacher.teach(teach.plan(chosen, others=not args.commands), room=not args.commands,
                      unsure=partial(_unsure, checked))
        teacher.say(_build_sentence(checked))  # stopped or not, what was said is kept and learnt
    return 0


def cmd_words_list(args: argparse.Namespace) -> int:
    from ..listen import takes

    read = takes.read()
    counts = takes.counts(read.takes)
    note = read.note(takes.voice_dir())
    if note:
        print(note)
    if not counts:
        print("No words taught yet. 'crampvoice teach' records you saying each command.")
        return 0
    for (command, word), n in sorted(counts.items(), key=lambda kv: (kv[0][0] is None, str(kv[0]))):
        what = command.value if command is not None else "(no command)"
        print(f"{what:<14} {word!r}: {n} take{'s' if n != 1 else ''}")
    print(f"Takes are in {takes.voice_dir()}; you can play or delete them there.")
    return 0


def cmd_words_add(args: argparse.Namespace) -> int:
    from ..listen import takes
    from ..listen.unheard import unheard_dir

    command = COMMANDS[args.command]
    args.files = [*args.files, *args.extra]
    takes.checked_name(args.word)
    taken = _taken_from(args.word, command, args.force)
    if not args.files:  # three takes from the microphone
        from .. import teach

        with ExitStack() as stack:
            teacher = _teacher(stack, args.mic, text=True)
            have = takes.counts(takes.takes()).get((command, args.word), 0)
            checked: list[Built] = []
            teacher.teach([teach.Word(command, args.word, have + takes.TAKES_PER_WORD)], room=False,
                          unsure=partial(_unsure, checked))
            teacher.say(_build_sentence(checked))
        return 0
    recordings = [_spoken(Path(name)) for name in args.files]  # all read before any is kept
    before = takes.read()
    kept = {before.audio[t.path] for t in before.takes
            if (t.command, normalise(t.word)) == (command, normalise(args.word))}
    fresh = [audio for audio in dict.fromkeys(recordings) if audio not in kept]  # a recording is one take
    for audio in fresh:
        takes.add(audio, command, args.word)
    same = len(recordings) - len(fresh)
    print(f"Kept {count(len(fresh), 'take')} of {args.word!r} for {command.value}" +
          (f"; {count(same, 'recording')} {'was' if same == 1 else 'were'} the same as another, kept once." if same
           else "."))
    if taken is not None:
        print(f"{args.word!r} now means {command.value} for you; it no longer means {taken.value}.")
    taught = [path for name in args.files if (path := Path(name).resolve()).parent == unheard_dir().resolve()]
    for path in taught:  # a take now, no longer something not understood
        path.unlink(missing_ok=True)
    print(_build_sentence())
    return 0


def _taken_from(word: str, command: Command, force: bool) -> Command | None:
    """The command `word` means now, which teaching it for `command` would take it from (None: no
    other). Refused for stop, pause and emergency's words, and for any other without --force."""
    from ..listen import takes
    from ..settings import load_settings

    said = normalise(word)
    kept = kept_for(said)
    if kept is not None and kept is not command:
        raise CrampvoiceError(f"{word!r} is how anyone says {kept.value}, and it always means {kept.value}",
                              f"choose another word for {command.value}")
    taught = {t.command for t in takes.takes() if normalise(t.word) == said and t.command is not None}
    if taught - {command}:
        other = sorted(c.value for c in taught - {command})[0]
        raise CrampvoiceError(f"{word!r} is taught already as {other}",
                              f"to move it, first 'crampvoice words remove {said}'")
    owner = Vocabulary(load_settings().words).command_for(said)
    if owner is None or owner is command:
        return None
    if not force:
        raise CrampvoiceError(f"{word!r} means {owner.value} already",
                              f"choose another word, or add --force to make it mean {command.value} "
                              f"and no longer {owner.value}")
    return owner


def cmd_words_unheard(args: argparse.Namespace) -> int:
    from ..listen import unheard

    if args.clear:
        print(f"Deleted {count(unheard.clear(), 'recording')} of what was not understood.")
        return 0
    clips = unheard.clips()
    if not clips:
        print("Nothing kept: every session so far understood what it heard, or nothing was said.")
        return 0
    for clip in clips:
        guess = f"closest: {clip.guess!r}" if clip.guess else "nothing close"
        print(f"{clip.heard_at:%Y-%m-%d %H:%M:%S}  {clip.seconds:4.1f} s  {guess:<24} {clip.path}")
    print(f"To teach one as a word: crampvoice words add WORD --as COMMAND {clips[0].path}")
    print(f"The newest {unheard.KEEP} are kept; 'crampvoice words unheard --clear' deletes them.")
    return 0


def _spoken(path: Path) -> Audio:
    """The word in a recording, cut where the microphone path would cut it."""
    from ..listen.files import read_audio
    from ..listen.takes import spoken_part

    utterance = spoken_part(read_audio(path))
    if utterance is None:
        raise CrampvoiceError(f"{path}: no speech was found in it", "give a recording of the word being said")
    return utterance


def cmd_words_remove(args: argparse.Namespace) -> int:
    from ..listen import takes

    gone = takes.remove(args.word)
    if not gone:
        raise CrampvoiceError(f"no takes of {args.word!r} were found", "'crampvoice words list' shows the words")
    print(f"Deleted {count(len(gone), 'take')} of {args.word!r}.")
    print(_build_sentence())
    return 0


def _build_sentence(checked: Sequence[Built] = ()) -> str:
    """What the model built from the takes is; if it was built already while teaching (`_unsure`)
    and nothing has changed since, what was said then ("Learnt your voice ... in 4.2 s")."""
    from ..listen.hearing import build_from_takes

    built = build_from_takes()
    return checked[-1].summary if checked and checked[-1].learnt and not built.learnt else built.summary


def _unsure(checked: list[Built]) -> set[tuple[Command, str]]:
    """Builds the model from the takes so far (kept in `checked`): the words it is unsure of."""
    from ..listen.hearing import build_from_takes

    built = build_from_takes()
    checked.append(built)
    return set() if built.model is None else {(label.command, label.word) for label in built.model.unsure()}


def _teacher(stack: ExitStack, mic: str | None, text: bool) -> Teacher:
    """A teaching session's parts, closed with `stack`."""
    from ..listen.capture import Capture
    from ..listen.mic import find_device
    from ..teach import Teacher

    capture = Capture(find_device(mic))
    stack.callback(capture.close)
    speaker = _speaker(text)
    stack.callback(speaker.close)
    return Teacher(speaker, TextView(sys.stdout), capture, _keys())


def _speaker(text: bool) -> Speaker:
    from ..settings import load_settings
    from ..speak import build_voice_speaker
    from ..speak.synth import VoiceSettings
    from ..speak.text import TextSpeaker

    if text:
        return TextSpeaker()
    settings, default = load_settings(), VoiceSettings()
    voice = VoiceSettings(settings.voice or default.voice, settings.rate or default.rate_wpm,
                          default.volume if settings.volume is None else settings.volume)
    try:
        return build_voice_speaker(voice, notify=lambda _: None)
    except CrampvoiceError as e:
        print(f"Speech is off: {e.message}. To hear the prompts, {e.hint}. Showing them as text.", file=sys.stderr)
        return TextSpeaker()


def _keys() -> Source:
    from ..core.commands import Vocabulary
    from ..keys import LineKeys, TerminalKeys

    return TerminalKeys(sys.stdin) if sys.stdin.isatty() else LineKeys(sys.stdin, Vocabulary())
