"""`crampvoice export` and `crampvoice import`: a script or a profile as one YAML file to pass on.

A file is checked before it is written out and before it is taken in, and nothing is
overwritten without `--force`. Only the file travels: a profile's takes (recordings of a
person's voice) never leave the machine this way.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from .. import library
from ..core.errors import CrampvoiceError, SettingsError
from ..core.scriptfile import parse_script
from ..schema import with_first_line
from ..settings import load_settings, profile_file, profile_names, profile_path
from ..smallfile import read_regular, why, write_new

MAX_BYTES = 1024 * 1024
ANOTHER_FILE = "give another -o FILE, or --force to replace it"
ANOTHER_NAME = "give another name with --as NAME, or --force to replace it"
NOT_TEXT = (b"\0", b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")  # a NUL anywhere; zip, gzip, bzip2, xz
SCRIPT_LINE = re.compile(rb"^crampvoice\s*:", re.MULTILINE)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="a script or a profile as one file, to give to someone")
    export.add_argument("name", help="a script from 'crampvoice list', or a profile from 'crampvoice profile list'")
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it ('-': the screen)")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(handler=cmd_export)
    take_in = sub.add_parser("import", help="a script or a profile from a file, checked first")
    take_in.add_argument("file")
    take_in.add_argument("--as", dest="name", metavar="NAME", help="the name to keep it under (default: the file's)")
    take_in.add_argument("--force", action="store_true",
                         help="replace a script or profile of that name, or hide the bundled script of that name")
    take_in.set_defaults(handler=cmd_import)


def cmd_export(args: argparse.Namespace) -> int:
    source = _exported(args.name)
    data = _read(source)
    kind = _check(source, data)
    if args.output == "-":
        sys.stdout.write(data.decode("utf-8"))
    else:
        write_new(Path(args.output), data, args.force, ANOTHER_FILE)
        print(f"Wrote {args.output} (from {source}).", file=sys.stderr)
    if kind == "profile":
        _script_stays(load_settings(source).script)
    return 0


def _script_stays(name: str) -> None:
    """Say that a profile's script does not travel with it, unless every crampvoice has it (bundled)."""
    mine = [e for e in library.entries() if e.name == name and not e.bundled]
    if mine:
        print(f"The profile runs the script '{name}', which is your own and is not in this file: give it too, "
              f"with 'crampvoice export {name} -o {name}.yaml'.", file=sys.stderr)
    elif not any(e.name == name for e in library.entries()):
        print(f"The profile names the script '{name}', which is not here either; whoever imports it needs "
              "a script of that name.", file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    source = Path(args.file)
    data = _read(source)
    kind = _check(source, data)
    if args.name == "":
        raise CrampvoiceError("--as was given an empty name", "give the name to keep it under, such as --as dads-calf")
    name = source.stem if args.name is None else args.name
    hidden = None
    if kind == "script":
        library.check_name(name, "give another with --as NAME")
        hidden = library.bundled_named(name)
        if hidden is not None and not args.force:
            raise CrampvoiceError(f"'{name}' is the name of a bundled script, which yours would hide",
                                  f"give another name with --as NAME; or --force to run yours in place of the "
                                  f"bundled '{name}'")
        target = library.own_scripts_dir() / f"{name}.yaml"
    else:
        try:
            target = profile_path(name)
        except SettingsError as e:
            raise SettingsError(e.message, f"give one with --as NAME: {e.hint.removeprefix('use ')}") from None
    data = with_first_line(data.decode("utf-8"), kind, add=False).encode("utf-8")  # our schema, not the sender's
    write_new(target, data, args.force, ANOTHER_NAME)
    quoted = f'"{name}"' if " " in name else name
    use = f"crampvoice run {quoted}" if kind == "script" else f"crampvoice run --profile {name}"
    print(f"Imported the {kind} '{name}' into {target}; use it with '{use}'.")
    if hidden is not None:
        print(f"It hides the bundled script '{name}': 'crampvoice run {name}' runs yours now. "
              f"Remove {target} to have the bundled one back.")
    return 0


def _exported(name: str) -> Path:
    """The script called `name`, or else the profile; asked which when both have that name."""
    profile = profile_file(name) if name in [*profile_names(), "default"] else None
    try:
        script: Path | None = library.find(name)
    except CrampvoiceError:
        script = None
    if script is not None and not os.path.exists(script):
        script = None
    if script is not None and profile is not None:
        raise CrampvoiceError(f"'{name}' is both a script and a profile",
                              f"give the file itself: {script} or {profile}")
    found = script or profile
    if found is None:
        raise CrampvoiceError(f"there is no script or profile called '{name}'",
                              "'crampvoice list' and 'crampvoice profile list' show them")
    return found


def _read(path: Path) -> bytes:
    try:
        return read_regular(path, MAX_BYTES + 1)
    except OSError as e:
        raise CrampvoiceError(f"cannot read {path} ({why(e)})", "check the path") from None


def _check(path: Path, data: bytes) -> str:
    """'script' or 'profile', whichever the file is; ScriptError or SettingsError with every problem."""
    if b"\0" in data or data.startswith(NOT_TEXT):
        raise CrampvoiceError(f"{path} is not a crampvoice file: it is not text (an archive, a picture or a program?)",
                              "give a script or profile itself, a .yaml file; unpack an archive first")
    if SCRIPT_LINE.search(data):  # every script has its format line; a profile has no such key
        parse_script(data, str(path))
        return "script"
    try:
        load_settings(path)
    except SettingsError as e:
        raise SettingsError(e.message, e.hint + " (a relief script needs a 'crampvoice: 1' line)") from None
    return "profile"
