"""`crampvoice profile`: one settings file per person. Parse, call the library, render.

`profile edit` works as `crontab -e` does: the file is edited as a draft, checked, and put in
place only when it is valid; on a mistake the editor opens again, or the draft is kept beside
the profile, so nothing typed is lost and no broken profile is ever in use.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .. import library
from ..core.errors import CrampvoiceError, SettingsError
from ..core.yamlnodes import MAX_FILE_BYTES
from ..schema import first_line, with_first_line
from ..settings import (
    Settings,
    check_settings,
    config_dir,
    load_settings,
    profile_file,
    profile_names,
    profile_path,
    select_profile,
    settings_path,
)
from ..smallfile import read_regular, why, write_new

TEMPLATE = """\
# The settings of one person crampvoice is set up for. Every key is optional.
# Check it with 'crampvoice profile show {name}'; use it with 'crampvoice run --profile {name}'.
script: calf          # the routine 'run' starts with no name given ('crampvoice list')
# voice: gmw/en-us    # an espeak-ng voice ('crampvoice voices')
# rate: 140           # speaking pace in words a minute, 80 to 350 (160 if not set)
# volume: 0.8         # loudness, 0 to 1
# words:              # the person's own words for commands, beside the usual ones
#   next: [okay, go on]
#   stop: [enough]
# input: voice        # voice (and keys), keys (no microphone), or switch (space only, no microphone)
# scan: 3             # seconds the one switch offers each choice, 1 to 10
# countdown: full     # during a hold: full (halfway and the last seconds), halfway, or none
# brief: no           # yes: instructions only, for someone who knows the routine
# listen_while_speaking: no  # yes: 'stop' and 'pause' heard while it speaks (docs/reference.md)
"""


def option(parser: argparse.ArgumentParser) -> None:
    """--profile after the command too; when absent there, the one before the command stands."""
    parser.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS,
                        help="whose settings and voice: a name from 'crampvoice profile list'")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profile = sub.add_parser("profile", help="a settings file for each person: their voice, pace, words")
    verbs = profile.add_subparsers(dest="verb", required=True, metavar="VERB")
    new = verbs.add_parser("new", help="start a profile, commented; never overwrites one")
    new.add_argument("name")
    new.add_argument("--from", dest="source", metavar="PROFILE", help="copy this profile ('default': your settings)")
    new.set_defaults(handler=cmd_new)
    verbs.add_parser("list", help="every profile").set_defaults(handler=cmd_list)
    show = verbs.add_parser("show", help="a profile's settings, checked, and where its files are")
    show.add_argument("name", nargs="?", default="default")
    show.set_defaults(handler=cmd_show)
    edit = verbs.add_parser("edit", help="open a profile in $VISUAL or $EDITOR; it is checked before it is used")
    edit.add_argument("name", nargs="?", default="default")
    edit.set_defaults(handler=cmd_edit)


def cmd_new(args: argparse.Namespace) -> int:
    target = profile_path(args.name)
    if args.source is None:
        text = first_line("profile") + TEMPLATE.format(name=args.name)
    else:
        copied = with_first_line(_read(profile_file(args.source)), "profile")
        text = copied.replace("\n", f"\n# Copied from the profile '{args.source}'.\n", 1)
    write_new(target, text.encode("utf-8"), other_name=f"choose another name, or 'crampvoice profile edit {args.name}'")
    print(f"Wrote {target}.")
    print(f"Edit it with 'crampvoice profile edit {args.name}'; use it with 'crampvoice run --profile {args.name}'.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    print(f"default  {config_dir() / 'settings.yaml'}")
    for name in profile_names():
        print(f"{name:<8} {profile_path(name)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..listen import takes

    select_profile(args.name)
    path = settings_path()
    settings = load_settings()  # SettingsError, with line and column, if it is not valid
    print(f"{args.name}: {path}" + ("" if path.is_file() else " (not written yet: every setting is the default)"))
    for line in _described(settings):
        print(f"  {line}")
    taught = takes.counts(takes.takes())
    words = sorted({word for (command, word) in taught if command is not None})
    print(f"  voice taught: {', '.join(words) if words else 'not yet'} ({takes.voice_dir()})")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    """Edit a draft until it is valid, or the person gives up; the profile changes only when valid."""
    path = profile_file(args.name)
    draft = path.with_name(f".{path.name}.draft")
    if not draft.exists():
        fresh = first_line("profile") + TEMPLATE.format(name=args.name)
        current = with_first_line(_read(path), "profile", add=False) if path.exists() else fresh
        write_new(draft, current.encode("utf-8"))
    else:
        print(f"Going on with the draft left last time: {draft}")
    while True:
        _open_editor(draft)
        settings, problems = check_settings(draft)
        for problem in problems:  # every one at once, where they are: in the draft
            print(problem)
        if settings is None:
            if _again():
                continue
            print(f"The profile was left as it was; your draft is kept in {draft} and opens next time.")
            return 1
        os.replace(draft, path)
        print(f"{path}: ok")
        try:
            library.named_in_settings(settings.script, path)
        except CrampvoiceError as e:  # kept, as the script may come later; said, as 'run' would refuse it
            print(f"warning: {e.message}\n  hint: {e.hint}")
        return 0


def _read(path: Path) -> str:
    """A profile's text; never waits on a FIFO or device in its place."""
    try:
        return read_regular(path, MAX_FILE_BYTES + 1).decode("utf-8")
    except FileNotFoundError:
        raise SettingsError(f"there is no profile at {path}", "'crampvoice profile list' shows the profiles") from None
    except OSError as e:
        raise SettingsError(f"cannot read {path} ({why(e)})", "check the file") from None
    except UnicodeDecodeError:
        raise SettingsError(f"cannot read {path}: it is not UTF-8 text", "save it as UTF-8 text") from None


def _open_editor(path: Path) -> None:
    """$VISUAL, then $EDITOR, then the system's editor, as git and crontab choose one."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    command = shlex.split(chosen) if chosen else next(([e] for e in ("editor", "nano", "vi") if shutil.which(e)), [])
    if not command:
        raise CrampvoiceError("no text editor was found",
                              "set EDITOR, for example: EDITOR=nano crampvoice profile edit")
    try:
        subprocess.run([*command, str(path)], check=False)
    except OSError as e:
        raise CrampvoiceError(f"the editor '{command[0]}' could not be started ({e.strerror or e})",
                              "set EDITOR to an editor that is installed, such as nano") from None


def _again() -> bool:
    print("Edit it again? [Y/n] ", end="", flush=True)
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    return answer != "" and answer.strip().lower() in ("", "y", "yes")


def _described(settings: Settings) -> list[str]:
    from ..speak.synth import VoiceSettings

    default = VoiceSettings()
    lines = [f"script: {settings.script}",
             f"voice: {settings.voice or f'{default.voice} (the default)'}",
             f"rate: {settings.rate or f'{default.rate_wpm} (the default)'} words a minute",
             f"volume: {settings.volume if settings.volume is not None else f'{default.volume} (the default)'}"]
    manner = settings.manner
    lines += [f"input: {settings.input}", f"countdown: {manner.countdown.value}",
              f"brief: {'yes' if manner.brief else 'no'}", f"scan: {manner.scan_s:g} seconds a choice",
              f"listen_while_speaking: {'yes' if settings.listen_while_speaking else 'no'}"]
    for command, phrases in sorted(settings.words.items(), key=lambda kv: kv[0].value):
        lines.append(f"words for {command.value}: {', '.join(phrases)}")
    return lines
