"""The `crampvoice` command: parse, call the library, render. Exit 0 ok, 1 error, 2 usage."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TextIO

from .. import __version__, library, session
from ..core import phrases
from ..core.commands import KEY_HELP, Vocabulary
from ..core.errors import CrampvoiceError, DeviceError, Problem, ScriptError
from ..core.events import DeviceFailed, Log, Say
from ..core.phrases import count
from ..core.ports import Sink, Source, Speaker
from ..core.printable import brief, printable
from ..core.safety import History
from ..core.script import RATE_BOUNDS_WPM, Script
from ..core.timeline import estimate_speech_s, simulate, total_s
from ..core.yamlnodes import shown
from ..eventlog import EventLog, Marked, Tee
from ..settings import Settings, load_settings, select_profile, settings_path
from ..speak import build_voice_speaker
from ..speak.render import output_file, prepare, sentences
from ..speak.synth import DEFAULT_VOICE, Pyttsx3Synth, VoiceSettings
from ..speak.text import TextSpeaker
from ..speak.voice import VoiceSpeaker
from ..view import TextView
from . import diary as cli_diary
from . import doctor
from . import profile as cli_profile
from . import share as cli_share
from . import standby as cli_standby
from . import voice as cli_voice

if TYPE_CHECKING:
    from ..listen.duplex import Duplex
    from ..listen.mic import MicrophoneSource
    from ..listen.recognizer import Recognizer
    from ..listen.stream import Decision

EXIT_INTERRUPTED = 130
LIST_NAME_CHARS = 32  # a longer name is cut in `list`, so that the titles stay in one column


def main(argv: Sequence[str] | None = None) -> int:
    _usable_streams()
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "files_anywhere", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        select_profile(args.profile)
        return int(args.handler(args))
    except ScriptError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 1
    except CrampvoiceError as e:
        print(brief(printable(f"crampvoice: error: {e.message}")), file=sys.stderr)
        if e.hint:
            print(brief(printable(f"  hint: {e.hint}")), file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (| head): nothing more can be said there
        with suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1
    except KeyboardInterrupt:  # Ctrl-C before or after a session, while setting up or writing
        return EXIT_INTERRUPTED


def _usable_streams() -> None:
    """Characters the terminal's encoding lacks become '?', not a traceback; a closed stdout is said once."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    if sys.stdout is None:  # started with standard output closed (>&-)
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the life of the process
        if sys.stderr is not None:
            print("crampvoice: standard output is closed, so nothing is printed there; carrying on.",
                  file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crampvoice", description="Talks you through a leg cramp, hands-free.",
                                     epilog=phrases.GUIDE_NOTE)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--profile", metavar="NAME", help="whose settings and voice: a name from "
                        "'crampvoice profile list' (default: your settings file)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a relief session", epilog=(
        "The first instruction comes within seconds. The safety notes (when to get medical help) are said "
        "during the first hold; say 'help' or press h to hear them again, and 'emergency' or e for the red flags."))
    run.add_argument("script", nargs="?", help="a name from 'crampvoice list', or a .yaml file")
    run.add_argument("--text", action="store_true", help="print instead of speaking")
    run.add_argument("--keyboard", action="store_true", help="keys only: do not listen for speech")
    run.add_argument("--events", metavar="FILE", help="write JSON events, one a line ('-': stdout)")
    run.add_argument("--mic", metavar="NAME", help="the microphone: a number or name from 'crampvoice devices'")
    run.add_argument("--no-diary", action="store_true", help="keep this session out of the diary")
    run.add_argument("--listen-while-speaking", action="store_true",
                     help="hear stop, pause and a few more over its own speech (as 'listen_while_speaking: yes')")
    _voice_options(run)
    cli_profile.option(run)
    run.set_defaults(handler=cmd_run)

    render = sub.add_parser("render", help="the whole guided session as a WAV file")
    render.add_argument("script")
    render.add_argument("-o", "--output", required=True, metavar="FILE.wav")
    _voice_options(render)
    cli_profile.option(render)
    render.set_defaults(handler=cmd_render)

    recognize = sub.add_parser("recognize", help="the command heard in each audio file (WAV, FLAC, AIFF)")
    recognize.add_argument("files", nargs="+", metavar="FILE")
    recognize.add_argument("--json", action="store_true", help="one JSON object a file")
    cli_profile.option(recognize)
    recognize.set_defaults(handler=cmd_recognize)

    sub.add_parser("devices", help="the microphones you can listen with").set_defaults(handler=cmd_devices)
    sub.add_parser("voices", help="the voices espeak-ng can speak with").set_defaults(handler=cmd_voices)
    doctor_parser = sub.add_parser("doctor", help="what works, what does not, and the fix")
    cli_profile.option(doctor_parser)
    doctor_parser.set_defaults(handler=cmd_doctor)

    _script_commands(sub)
    cli_voice.register(sub)
    cli_diary.register(sub)
    cli_profile.register(sub)
    cli_share.register(sub)
    cli_standby.register(sub)
    return parser


def _script_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Finding, writing, checking and hearing scripts."""
    sub.add_parser("list", help="the relief scripts you can run").set_defaults(handler=cmd_list)

    trying = sub.add_parser("try", help="hear one step of a script, as a session says it")
    trying.add_argument("script")
    trying.add_argument("--step", type=int, default=1, metavar="N", help="which step (default: the first)")
    trying.add_argument("--text", action="store_true", help="print instead of speaking")
    _voice_options(trying)
    cli_profile.option(trying)
    trying.set_defaults(handler=cmd_try)

    show = sub.add_parser("show", help="a script's timeline and total time")
    show.add_argument("script")
    _voice_options(show)
    cli_profile.option(show)
    show.set_defaults(handler=cmd_show)

    new = sub.add_parser("new", help="start a script of your own")
    new.add_argument("name")
    new.add_argument("--from", dest="source", metavar="SCRIPT", help="copy this script to start from")
    new.set_defaults(handler=cmd_new)

    validate = sub.add_parser("validate", help="check script files; exit 1 if any has problems")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(handler=cmd_validate)

    schema = sub.add_parser("schema", help="the JSON Schema of a script or a profile, for editors")
    schema.add_argument("kind", choices=["script", "profile"])
    schema.set_defaults(handler=cmd_schema)


def _voice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--voice", metavar="ID", help="an espeak-ng voice id from 'crampvoice voices'")
    parser.add_argument("--rate", type=int, metavar="WPM", help="speaking pace in words a minute")
    parser.add_argument("--volume", type=float, metavar="0-1", help="loudness, from 0 to 1")


def _voice_settings(args: argparse.Namespace, settings: Settings, script: Script) -> VoiceSettings:
    low, high = RATE_BOUNDS_WPM
    if args.rate is not None and not low <= args.rate <= high:
        raise CrampvoiceError(f"--rate {args.rate} is out of range", f"give words a minute from {low} to {high}")
    if args.volume is not None and not 0 <= args.volume <= 1:
        raise CrampvoiceError(f"--volume {args.volume:g} is out of range", "give a number from 0 to 1")
    return VoiceSettings.chosen(args.voice, args.rate, args.volume, settings, script)


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    found = library.find(args.script) if args.script else library.named_in_settings(settings.script, settings_path())
    script = library.load(found)
    return _session(args, settings, script)


def cmd_try(args: argparse.Namespace) -> int:
    """One step, as a session says it, with its holds timed and the keys working."""
    settings = load_settings()
    script = library.load(library.find(args.script))
    if not 1 <= args.step <= len(script.steps):
        steps = len(script.steps)
        raise CrampvoiceError(f"'{script.title}' has {count(steps, 'step')}, so there is no step {args.step}",
                              f"give --step from 1 to {steps}; 'crampvoice show' lists them")
    step = script.steps[args.step - 1]
    print(printable(f"Trying step {args.step} of {len(script.steps)} of '{script.title}': {step.kind.value}."))
    args.keyboard, args.events, args.mic, args.no_diary = True, None, None, True  # a try is no episode
    return _session(args, settings, script, only=args.step - 1)


@dataclass
class Around:
    """What a session shares with what runs one session after another (standby): the inbox, the
    clock, the --events log, keys already putting into the inbox, and fields for its `start` event."""

    clock: session.MonotonicClock
    inbox: session.QueueInbox
    events: Sink | None
    keys: bool  # whether keys are read already (into `inbox`)
    mark: dict[str, object]
    abandoned: bool = False  # a speaker was left stuck in the audio library: leave without its clean-up


def _session(args: argparse.Namespace, settings: Settings, script: Script, only: int | None = None,
             around: Around | None = None) -> int:
    voice = _voice_settings(args, settings, script)
    to_stdout = args.events == "-"
    view = TextView(sys.stderr if to_stdout else sys.stdout)
    clock, inbox = (around.clock, around.inbox) if around else (session.MonotonicClock(), session.QueueInbox())
    with ExitStack() as stack:
        signals = stack.enter_context(session.signals_end_session(inbox))
        events: Sink | None = None if around is None else around.events
        begun = clock.now()  # the --events log and the diary count `t` from the same instant
        if args.events and around is None:
            stream = sys.stdout if to_stdout else _open_events(args.events)
            if not to_stdout:
                stack.callback(_close_quietly, stream)
            events = EventLog(stream, begun, notify=lambda message: inbox.put(DeviceFailed(message)))
        diary = None if args.no_diary else cli_diary.for_session(stack, begun, inbox.put, view)
        history = None if diary is None else diary.history
        if diary is not None:
            events = diary.sink if events is None else Tee(diary.sink, events)  # kept before it is shown
        if around is not None and events is not None:
            events = Marked(events, around.mark)
        speaker = TextSpeaker() if args.text else _voice_or_text(voice, inbox, view)
        vocabulary = Vocabulary(settings.words)
        keys = None if around is not None and around.keys else _keyboard(view, vocabulary)
        sources: tuple[Source, ...] = () if keys is None else (keys,)
        keys_only = args.keyboard or settings.input != "voice"  # the profile's input: keys, or the one switch
        duplex = getattr(args, "listen_while_speaking", False) or settings.listen_while_speaking
        ears = None if keys_only else _microphone_or_keys(args.mic, vocabulary, speaker, view, duplex)
        closing: tuple[str, ...] = ()
        if ears is not None:
            sources += (ears,)
            closing = teach_tip(history, ears.recognizer)
        parts = session.Parts(clock=clock, inbox=inbox, speaker=speaker, view=view, sources=sources, events=events,
                              ears=ears, recall=None if diary is None else diary.recall)
        answers_by = "voice" if ears is not None else "switch" if settings.input == "switch" else "keys"
        manner = replace(settings.manner, answers_by=answers_by)  # the hints name what works: words or keys
        reason = session.run(script, parts, history, only=only, manner=manner, closing=closing)
    code = 0
    if reason == "interrupted":
        code = 128 + signals[0] if signals else EXIT_INTERRUPTED  # 143 after SIGTERM, 129 after SIGHUP
    if isinstance(speaker, VoiceSpeaker) and speaker.abandoned:
        if around is not None:
            around.abandoned = True
        else:
            leave_now(code)
    return code


def teach_tip(history: History | None, recognizer: Recognizer) -> tuple[str, ...]:
    """The tip to teach it one's voice: said once, at the end of a first session heard without it
    (when the cramp has eased, not before the first stretch)."""
    from ..listen.hearing import is_personal

    first = history is None or history.first_session
    return (phrases.TEACH_TIP,) if first and not is_personal(recognizer) else ()


def leave_now(code: int) -> NoReturn:
    """End the process without the audio library's clean-up: a thread is stuck inside it on a
    frozen sound server, where the clean-up would wait on it (or crash under it)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _voice_or_text(voice: VoiceSettings, inbox: session.QueueInbox, view: TextView) -> Speaker:
    """A speaker that talks, or, saying why once, one that only prints."""
    try:
        return build_voice_speaker(voice, notify=inbox.put)
    except DeviceError as e:
        view.line(f"Speech is off: {e.message}. To hear it, {e.hint}. Showing everything as text.")
        return TextSpeaker()


def _microphone_or_keys(mic: str | None, vocabulary: Vocabulary, speaker: Speaker,
                        view: TextView, while_speaking: bool = False) -> MicrophoneSource | None:
    """A listening microphone, or, saying why once, none (the keys work either way).
    `while_speaking`: listen while it speaks too where that can be had (listen/duplex.py)."""
    from ..listen.hearing import recognizer_for
    from ..listen.mic import MicrophoneSource, find_device
    from ..listen.unheard import unheard_dir

    duplex = None
    if while_speaking:
        duplex, how = _duplex(mic, speaker)
        view.line(f"Listening while it speaks too, for stop, pause and a few more: {how}." if duplex is not None
                  else f"Listening only between sentences: {how}.")
    try:
        recognizer, notes = recognizer_for(vocabulary)
        saying = speaker.saying if isinstance(speaker, VoiceSpeaker) else tuple
        source = MicrophoneSource(recognizer, speaker.quiet_since, find_device(mic), unheard_dir(), duplex=duplex,
                                  saying=saying, vocabulary=vocabulary)
    except CrampvoiceError as e:  # no microphone, or not the one asked for: the keys still work
        view.line(f"Listening is off: {e.message}. To talk to it, {e.hint}. Use the keys instead.")
        return None
    for note in notes:
        view.line(note)
    view.line("Listening. Say 'help' to hear what you can say; the keys work too.")
    return source


def _duplex(mic: str | None, speaker: Speaker) -> tuple[Duplex | None, str]:
    """Its own voice taken out of the microphone, or None and why not (half-duplex then)."""
    from ..listen.duplex import open_duplex

    if not isinstance(speaker, VoiceSpeaker):
        return None, "it is not speaking aloud"
    if mic is not None:
        return None, "its own voice is taken out of the default microphone only, not one named with --mic"
    return open_duplex()


def _open_events(path: str, mode: Literal["w", "a"] = "w") -> TextIO:
    try:
        return open(path, mode, encoding="utf-8")
    except OSError as e:
        raise CrampvoiceError(f"cannot write the events file {path} ({e.strerror})",
                              "give a path in a folder you can write to, or '-' for the screen") from None


def _close_quietly(stream: TextIO) -> None:
    """Close a file whose last writes may have failed (a full disk): EventLog has said so already."""
    with suppress(OSError):
        stream.close()


def _keyboard(view: TextView, vocabulary: Vocabulary) -> Source | None:
    from ..keys import LineKeys, TerminalKeys

    if sys.stdin is None:  # started with standard input closed (<&-)
        view.line("Keys are off: standard input is closed. The session goes on by itself; Ctrl-C ends it.")
        return None
    if sys.stdin.isatty():
        for line in KEY_HELP:
            view.line(line)
        return TerminalKeys(sys.stdin)
    return LineKeys(sys.stdin, vocabulary)


def cmd_list(args: argparse.Namespace) -> int:
    skipped: list[library.Skipped] = []
    every = library.entries(skipped)
    names = [shown(printable(entry.name), LIST_NAME_CHARS) for entry in every]
    width = max([11, *map(len, names)])
    for entry, name in zip(every, names, strict=True):
        try:
            title = library.load(entry.path).title
        except ScriptError:
            title = f"(has problems: run 'crampvoice validate \"{entry.path}\"')"
        whose = "bundled" if entry.bundled else "yours, in place of the bundled one" if entry.hides else "yours"
        print(printable(f"{name:<{width}}  {title}  [{whose}]"))
    if skipped:
        print("Left out, as they are not files a script can be read from: " +
              "; ".join(printable(f"{s.path.name} ({s.reason})") for s in skipped), file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    script, warnings = library.check(library.find(args.script))
    for warning in warnings:  # what may not say what was meant, or is hard to follow by ear
        print(warning, file=sys.stderr)
    timed = total_s(simulate(script))
    speech_s, how = _speech_lengths(script, _voice_settings(args, load_settings(), script))
    moments = simulate(script, speech_s)
    print(printable(f"{script.title}" + (f" ({script.muscle})" if script.muscle else "")))
    for moment in moments:
        effect = moment.effect
        if isinstance(effect, Log) and effect.type == "step":
            step = script.steps[int(str(effect.fields["index"])) - 1]
            print(printable(f"  {_clock(moment.at_s)}  {effect.fields['index']}. {step.kind.value}: {step.text}"))
            detail = _step_detail(step.hold_s, step.sets, step.rest_s, step.both_sides)
            if detail:
                print(f"         {detail}")
    print(f"Timed holds and rests: {_clock(timed)}. "
          f"With the speaking {how}: {_clock(total_s(moments))}, if nobody answers.")
    return 0


def _speech_lengths(script: Script, voice: VoiceSettings) -> tuple[Callable[[str], float], str]:
    """How long each sentence takes: as espeak-ng says it, or estimated when it cannot."""
    try:
        with Pyttsx3Synth(voice) as synth:
            lengths = {text: audio.duration_s for text, audio in sentences(script, synth).items()}
    except DeviceError as e:  # no espeak-ng, or no such voice: say which
        return estimate_speech_s, f"(estimated, because {e.message})"
    return lengths.__getitem__, "as espeak-ng says it"


def _step_detail(hold_s: float | None, sets: int, rest_s: float, both: bool) -> str:
    if hold_s is None:
        return ""
    parts = [f"hold {hold_s:g} s"]
    if sets > 1:
        parts.append(f"{sets} sets")
    if rest_s:
        parts.append(f"rest {rest_s:g} s")
    if both:
        parts.append("each side")
    return ", ".join(parts)


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def cmd_new(args: argparse.Namespace) -> int:
    source = library.find(args.source) if args.source else None
    path = library.new_script(args.name, source)
    print(f"Wrote {path}")
    if library.bundled_named(args.name) is not None:
        print(f"It hides the bundled script '{args.name}': 'crampvoice run {args.name}' runs yours now.")
    print(f"Edit it, check it with 'crampvoice validate {path}', then run 'crampvoice run {args.name}'.")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    script = library.load(library.find(args.script))
    voice = _voice_settings(args, load_settings(), script)
    output = Path(args.output)
    with output_file(output) as out, Pyttsx3Synth(voice) as synth, \
            tqdm(desc="Rendering", unit="sentence", file=sys.stderr, disable=None, leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        rendering = prepare(script, synth, progress)
        rendering.write(out)
    said = sum(isinstance(m.effect, Say) for m in rendering.moments)
    print(f"Wrote {output}: {_clock(rendering.duration_s)} of audio, {said} sentences, "
          f"with {script.title!r} as nobody answering would hear it.")
    return 0


def cmd_recognize(args: argparse.Namespace) -> int:
    from ..listen.files import read_audio
    from ..listen.hearing import recognizer_for
    from ..listen.stream import recognize

    # wait_s=None: a file is heard alike every time, never before Moonshine has loaded
    recognizer, notes = recognizer_for(Vocabulary(load_settings().words), wait_s=None)
    for note in notes:  # on standard error: standard output is one line a file
        print(printable(note), file=sys.stderr)
    failed = False
    for name in args.files:
        try:
            audio = read_audio(Path(name))
        except CrampvoiceError as e:
            failed = True
            print(printable(f"crampvoice: error: {e.message}; {e.hint}"), file=sys.stderr)
            continue
        result = _recognized(name, recognize(audio, recognizer))
        if args.json:
            print(json.dumps(result), flush=True)
        elif result["command"] is not None:
            print(printable(f"{name}: {result['command']} (heard {result['text']!r}, confidence "
                            f"{result['confidence']:.2f}, decided at {result['decided_ms']} ms)"))
        else:
            print(printable(f"{name}: no command"))
    return 1 if failed else 0


def _recognized(name: str, decision: Decision | None) -> dict[str, object]:
    """`recognize`'s line for one file: `text` is the phrase taken for `command`; where none was taken,
    `closest` is the recogniser's nearest phrase (not what was said), both with their `confidence`."""
    heard = decision.heard if decision is not None else None
    command = heard.command.value if heard is not None and heard.command is not None else None
    guess = heard.text if heard is not None and heard.text else None
    return {"file": name, "command": command, "text": guess if command else None,
            "closest": None if command else guess, "confidence": round(heard.confidence, 3) if heard else 0.0,
            "decided_ms": decision.decided_ms if decision else None}


def cmd_devices(args: argparse.Namespace) -> int:
    from ..listen.mic import input_devices

    devices = input_devices()
    for device in devices:
        print(f"{device.index:>3}  {device.name}" + ("  (default)" if device.default else "")
              + ("  (a monitor: it hears the speakers, not a person)" if device.monitor else ""))
    trouble = doctor.monitor_as_microphone() or (
        None if any(not d.monitor for d in devices) else doctor.no_device("input", DeviceError("none found", "")))
    if trouble is not None:
        print(f"No microphone: {trouble.message} — next: {trouble.hint}")
        print(f"Until then: {doctor.WITHOUT['input']}.")
    return 0


def cmd_voices(args: argparse.Namespace) -> int:
    with Pyttsx3Synth() as synth:
        for voice in synth.voices:
            mark = "  (default)" if voice.id == DEFAULT_VOICE else ""
            print(f"{voice.id:<28} {voice.name}{mark}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = [("speech synthesis", doctor.check_synthesis), ("audio output", doctor.check_output),
              ("speech recognition", doctor.check_recognizer), ("microphone", doctor.check_microphone)]
    needs = {"speech synthesis": "output", "audio output": "output", "speech recognition": "input",
             "microphone": "input"}
    failed = []
    for name, check in checks:
        try:
            print(f"ok       {name}: {check()}")
        except DeviceError as e:
            failed.append(needs[name])
            # The one thing to do next: a hint's "or run with --text" is said once, below, for every problem.
            print(f"PROBLEM  {name}: {e.message} — next: {e.hint.split(', or run with --')[0]}")
    without = [doctor.WITHOUT[d] for d in ("output", "input") if d in failed]
    if without:
        print(f"Until then: {'; '.join(without)}.")
    return 1 if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from ..schema import SCHEMAS, as_json

    sys.stdout.write(as_json(SCHEMAS[args.kind]()))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from ..schema import refresh_all

    refresh_all()  # after a reinstall, the schemas editors read are this program's again
    failed = False
    voices = _VoiceIds()
    for name in args.paths:
        try:
            path = library.find(name)
            script, warnings = library.check(path)
        except ScriptError as e:
            failed = True
            for problem in e.problems:
                print(problem)
            continue
        except CrampvoiceError as e:  # a name that is no script
            failed = True
            print(Problem(name, 0, 0, e.message, e.hint))
            continue
        for warning in warnings:
            print(warning)
        voice_problem, note = voices.check(script, str(path))
        if voice_problem is not None:
            failed = True
            print(voice_problem)
            continue
        print(printable(f"{path}: ok ({count(len(script.steps), 'step')}){note}"))
    return 1 if failed else 0


class _VoiceIds:
    """espeak-ng's voice ids, asked for once and only when a script names a voice."""

    def __init__(self) -> None:
        self._ids: set[str] | None = None
        self._missing = ""

    def check(self, script: Script, path: str) -> tuple[Problem | None, str]:
        """A problem for a voice espeak-ng does not have, or a note that it could not be checked."""
        if script.voice is None:
            return None, ""
        if self._ids is None and not self._missing:
            try:
                with Pyttsx3Synth() as synth:
                    self._ids = {v.id for v in synth.voices}
            except DeviceError as e:
                self._missing = e.message
        if self._ids is None:
            return None, f"; its voice '{script.voice}' was not checked ({self._missing})"
        if script.voice in self._ids:
            return None, ""
        line, col = script.voice_at
        return Problem(path, line, col, f"espeak-ng has no voice '{script.voice}'",
                       "'crampvoice voices' lists the voices; or remove 'voice:' to use the default"), ""


if __name__ == "__main__":
    sys.exit(main())
