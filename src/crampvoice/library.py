"""Finding relief scripts: bundled ones, and the person's own, which win by name."""

from __future__ import annotations

import difflib
import errno
import os
import re
import stat
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .core.errors import CrampvoiceError, Problem, ScriptError
from .core.printable import first_control
from .core.script import Script
from .core.scriptfile import read_script
from .core.yamlnodes import MAX_FILE_BYTES
from .schema import MODELINE, SCRIPT_HELP, first_line
from .settings import data_dir, user_scripts_dir
from .smallfile import private_folder, read_regular, why, write_new

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # what `new` writes; `list` shows any file's name
FILE_NAME = re.compile(r"^[^./\\\s][^/\\]{0,63}$")  # what `import` keeps a script under: 'Dad Calf' too
SUFFIXES = (".yml", ".yaml")  # in this order: of 'x.yml' and 'x.yaml' in one folder, 'x.yaml' wins


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    path: Path
    bundled: bool
    hides: Path | None = None  # the bundled script of this name, which this one is used in place of


@dataclass(frozen=True, slots=True)
class Skipped:
    path: Path
    reason: str


def bundled_dir() -> Path:
    return Path(str(resources.files("crampvoice") / "scripts"))


def entries(skipped: list[Skipped] | None = None) -> list[Entry]:
    """Every script by name, the person's own in place of a bundled one of the same name.

    What lies in a scripts folder but cannot be a script (a FIFO, which would hang whoever read
    it; a device, a folder, a link to nothing or a looping one) is left out, and added to `skipped`.
    """
    found: dict[str, Entry] = {}
    for folder, bundled in ((bundled_dir(), True), (user_scripts_dir(), False)):
        if folder.is_dir():
            for suffix in SUFFIXES:
                for path in sorted(folder.glob(f"*{suffix}")):
                    reason = _not_a_file(path)
                    if reason:
                        if skipped is not None:
                            skipped.append(Skipped(path, reason))
                        continue
                    other = found.get(path.stem)
                    hides = other.path if other and other.bundled and not bundled else (other.hides if other else None)
                    found[path.stem] = Entry(path.stem, path, bundled, hides)
    return sorted(found.values(), key=lambda e: e.name)


def _not_a_file(path: Path) -> str:
    """Why `path` cannot be read as a script, or '' when it is a regular file (or a link to one)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a link to nothing"
    except OSError as e:
        return "a link that loops" if e.errno == errno.ELOOP else f"cannot be looked at ({why(e)})"
    if stat.S_ISREG(mode):
        return ""
    return "a folder" if stat.S_ISDIR(mode) else "a pipe, device or socket"


def bundled_named(name: str) -> Entry | None:
    """The bundled script called `name`, if there is one."""
    path = bundled_dir() / f"{name}.yaml"
    return Entry(name, path, True) if path.is_file() else None


def find(name_or_path: str) -> Path:
    """A script's file from a name in `list` ('Dad Calf' too; 'dad calf' if only one matches), or a path."""
    every = entries()
    for entry in every:
        if entry.name == name_or_path:
            return entry.path
    path = Path(name_or_path)
    if path.suffix in SUFFIXES or os.path.exists(path) or "/" in name_or_path:
        return path
    alike = [e for e in every if e.name.casefold() == name_or_path.casefold()]
    if len(alike) == 1:
        return alike[0].path
    names = [e.name for e in every]
    near = difflib.get_close_matches(name_or_path.casefold(), names, n=1, cutoff=0.75)
    mean = f"did you mean '{near[0]}'? " if near else ""
    raise CrampvoiceError(f"there is no relief script called '{name_or_path}'",
                          f"{mean}choose one of: {', '.join(names)}; or give the path to a .yaml file")


def own_scripts_dir() -> Path:
    """The person's scripts folder, made if need be; the data folder it is in (health data) is private."""
    try:
        return private_folder(user_scripts_dir(), data_dir())
    except OSError as e:
        raise CrampvoiceError(f"cannot make the folder {user_scripts_dir()} ({why(e)})",
                              "check that your data folder can be written to") from None


def check_name(name: str, hint: str) -> None:
    """CrampvoiceError unless `name` can be the name of a script file of one's own."""
    if not FILE_NAME.match(name) or name != name.strip() or first_control(name):
        raise CrampvoiceError(f"'{name}' cannot be a script name",
                              f"{hint}: up to 64 letters, digits, spaces, '-' or '_', such as 'dads-calf'")


def named_in_settings(name: str, where: Path) -> Path:
    """The file of the script a profile names; CrampvoiceError saying which profile named it, if none."""
    try:
        path = find(name)
    except CrampvoiceError as e:
        hint = e.hint
    else:
        if os.path.isfile(path):
            return path
        hint = "choose one in 'crampvoice list'"
    raise CrampvoiceError(f"the script '{name}' named by 'script:' in {where} does not exist",
                          f"give a script to run, or change that line; {hint}")


def read_bytes(path: Path) -> bytes:
    """At most one byte more than a script may have, so a huge file is refused cheaply; never a FIFO."""
    try:
        return read_regular(path, MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        reason = "the file does not exist"
    except IsADirectoryError:
        reason = "that is a folder, not a file"
    except OSError as e:
        reason = f"the file cannot be read ({why(e)})"
    raise ScriptError([Problem(str(path), 0, 0, reason, "check the path, or run 'crampvoice list'")])


def load(path: Path) -> Script:
    return check(path)[0]


def check(path: Path) -> tuple[Script, list[Problem]]:
    """The script and its warnings; ScriptError with every problem when it cannot be used."""
    return read_script(read_bytes(path), str(path), name=path.stem)


def new_script(name: str, source: Path | None) -> Path:
    """Write a starting file into the person's folder; never overwrite one."""
    if not NAME.match(name):
        raise CrampvoiceError(f"'{name}' cannot be a script name",
                              "use up to 64 lower-case letters, digits, '-' and '_', such as 'mums-calf'")
    if source is not None:
        load(source)  # refuse to copy a broken script
    text = first_line("script") + (TEMPLATE if source is None  # the source's own schema line, if any, goes
                                   else _copy_header(source) + MODELINE.sub("", read_bytes(source).decode("utf-8")))
    target = own_scripts_dir() / f"{name}.yaml"
    write_new(target, text.encode("utf-8"), other_name="choose another name, or edit that file")
    return target


def _copy_header(source: Path) -> str:
    """Where it came from, how to check it, and what each key means (the schema's descriptions)."""
    keys = "".join(f"#   {key}: {meaning}\n" for key, meaning in SCRIPT_HELP.items())
    return (f"# Copied from {source.name} by 'crampvoice new'. Edit freely, then check it with\n"
            f"# 'crampvoice validate' and try it with 'crampvoice run --text'.\n"
            f"# What each key means:\n{keys}")


TEMPLATE = """\
# A relief script for crampvoice. Each step is read aloud; holds are timed.
# Check it with 'crampvoice validate FILE' and try it with 'crampvoice run FILE --text'.
crampvoice: 1                  # the format version
title: My calf cramp           # said first
muscle: calf

safety:                        # said before the first step, and on "help"
  - If the cramp does not ease after about ten minutes, or the leg is swollen, red, warm or numb, get medical help.

steps:                         # each step has one of: stretch, move, massage, heat, say, ask
  - stretch: Straighten your leg and gently pull your toes up toward your shin.
    hold: 30                   # seconds, from 1 to 600
    repeat: 2                  # sets (optional)
    rest: 10                   # seconds between sets (optional)
    sides: one                 # or 'both': the person is told to switch sides

  - massage: Rub the calf with firm, gentle strokes.
    hold: 60

  - ask: Is the cramp easing?  # answered with yes or no
    "no": repeat               # continue, repeat (from the first step) or end
    default: yes               # taken if nobody answers
    wait: 20                   # seconds to wait for an answer

  - say: Sip some water, and rest the leg.
"""
