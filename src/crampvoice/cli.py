"""The `crampvoice` command: parse, call the library, render. Exit 0 ok, 1 error, 2 usage."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from . import library, session
from .commands import KEY_HELP, Vocabulary
from .errors import CrampvoiceError, ScriptError
from .eventlog import EventLog
from .events import Log
from .ports import Source
from .settings import load_settings
from .speak.text import TextSpeaker
from .timeline import estimate_speech_s, simulate, total_s
from .view import TextView

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ScriptError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 1
    except CrampvoiceError as e:
        print(f"crampvoice: error: {e.message}", file=sys.stderr)
        if e.hint:
            print(f"  hint: {e.hint}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crampvoice",
                                     description="Talks you through a leg cramp, hands-free.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a relief session")
    run.add_argument("script", nargs="?", help="a name from 'crampvoice list', or a .yaml file")
    run.add_argument("--text", action="store_true", help="print instead of speaking")
    run.add_argument("--keyboard", action="store_true", help="keys only: do not listen for speech")
    run.add_argument("--events", metavar="FILE", help="write JSON events, one a line ('-': stdout)")
    run.set_defaults(handler=cmd_run)

    sub.add_parser("list", help="the relief scripts you can run").set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="a script's timeline and total time")
    show.add_argument("script")
    show.set_defaults(handler=cmd_show)

    new = sub.add_parser("new", help="start a script of your own")
    new.add_argument("name")
    new.add_argument("--from", dest="source", metavar="SCRIPT", help="copy this script to start from")
    new.set_defaults(handler=cmd_new)

    validate = sub.add_parser("validate", help="check script files; exit 1 if any has problems")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(handler=cmd_validate)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    script = library.load(library.find(args.script or settings.script))
    to_stdout = args.events == "-"
    view = TextView(sys.stderr if to_stdout else sys.stdout)
    clock = session.MonotonicClock()
    with ExitStack() as stack:
        events = None
        if args.events:
            stream = sys.stdout if to_stdout else stack.enter_context(_open_events(args.events))
            events = EventLog(stream, clock.now())
        if not args.text:
            view.line("Speech is not available yet in this version, so everything is shown as text.")
        sources: tuple[Source, ...] = (_keyboard(view, Vocabulary(settings.words)),)
        parts = session.Parts(clock=clock, inbox=session.QueueInbox(), speaker=TextSpeaker(),
                              view=view, sources=sources, events=events)
        reason = session.run(script, parts)
    return EXIT_INTERRUPTED if reason == "interrupted" else 0


def _open_events(path: str) -> TextIO:
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as e:
        raise CrampvoiceError(f"cannot write the events file {path} ({e.strerror})",
                              "give a path in a folder you can write to, or '-' for the screen") from None


def _keyboard(view: TextView, vocabulary: Vocabulary) -> Source:
    from .keys import LineKeys, TerminalKeys

    if sys.stdin.isatty():
        for line in KEY_HELP:
            view.line(line)
        return TerminalKeys(sys.stdin)
    return LineKeys(sys.stdin, vocabulary)


def cmd_list(args: argparse.Namespace) -> int:
    for entry in library.entries():
        try:
            title = library.load(entry.path).title
        except ScriptError:
            title = f"(has problems: run 'crampvoice validate {entry.path}')"
        print(f"{entry.name:<12} {title}  [{'bundled' if entry.bundled else 'yours'}]")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    script = library.load(library.find(args.script))
    timed = total_s(simulate(script))
    moments = simulate(script, estimate_speech_s)
    print(f"{script.title}" + (f" ({script.muscle})" if script.muscle else ""))
    for moment in moments:
        effect = moment.effect
        if isinstance(effect, Log) and effect.type == "step":
            step = script.steps[int(str(effect.fields["index"])) - 1]
            print(f"  {_clock(moment.at_s)}  {effect.fields['index']}. {step.kind.value}: {step.text}")
            detail = _step_detail(step.hold_s, step.sets, step.rest_s, step.both_sides)
            if detail:
                print(f"         {detail}")
    print(f"Timed holds and rests: {_clock(timed)}. "
          f"With the speaking, about {_clock(total_s(moments))} if nobody answers.")
    return 0


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
    print(f"Edit it, check it with 'crampvoice validate {path}', then run 'crampvoice run {args.name}'.")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    failed = False
    for name in args.paths:
        path = Path(name)
        try:
            script = library.load(path)
        except ScriptError as e:
            failed = True
            for problem in e.problems:
                print(problem)
            continue
        print(f"{path}: ok ({len(script.steps)} steps)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
